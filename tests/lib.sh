# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Guest-side helpers for the project's own VM tests (sourced). Runs inside
# the test VM as root: sets up RDMA links on a veth pair and prints KTAP.
#
# Addresses come from 192.0.2.0/24 (TEST-NET-1, RFC 5737) only.

NET_IF0=rsge0 NET_IF1=rsge1
NET_ADDR0=192.0.2.1 NET_ADDR1=192.0.2.2

KTAP_N=0 KTAP_FAIL=0

ktap_plan() { echo "TAP version 13"; echo "1..$1"; }
ktap_ok()   { KTAP_N=$((KTAP_N + 1)); echo "ok $KTAP_N $*"; }
ktap_fail() { KTAP_N=$((KTAP_N + 1)); KTAP_FAIL=$((KTAP_FAIL + 1)); echo "not ok $KTAP_N $*"; }
ktap_info() { echo "# $*"; }
ktap_exit() { exit $((KTAP_FAIL > 0)); }

# ktap_run NAME CMD...: one test case; CMD's output becomes KTAP comments.
ktap_run() {
	local name=$1 out rc=0

	shift
	out=$("$@" 2>&1) || rc=$?
	[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/# /'
	if [ $rc -eq 0 ]; then ktap_ok "$name"; else ktap_fail "$name (exit $rc)"; fi
}

# net_up: a veth pair, one address per end.
net_up() {
	ip link add "$NET_IF0" type veth peer name "$NET_IF1" || return
	ip addr add "$NET_ADDR0/24" dev "$NET_IF0"
	ip addr add "$NET_ADDR1/24" dev "$NET_IF1"
	ip link set "$NET_IF0" up
	ip link set "$NET_IF1" up
}

net_down() {
	ip link del "$NET_IF0" 2>/dev/null || true
}

# rdma_link_add TYPE NAME NETDEV: create a software RDMA device (rxe or siw)
# and wait until its port is ACTIVE.
rdma_link_add() {
	local type=$1 name=$2 netdev=$3 i

	rdma link add "$name" type "$type" netdev "$netdev" || return
	for i in $(seq 50); do
		rdma link show "$name/1" 2>/dev/null | grep -q 'state ACTIVE' && return 0
		sleep 0.1
	done
	echo "$name: port not ACTIVE" >&2
	return 1
}

rdma_link_del() {
	rdma link delete "$1" 2>/dev/null || true
}

# rping_verified ADDR COUNT SIZE: rping client and server on ADDR; the client
# checks every buffer it gets back (-V) and must print COUNT pings.
rping_verified() {
	local addr=$1 count=$2 size=$3 srv got

	rping -s -a "$addr" -C "$count" -S "$size" >/dev/null 2>&1 &
	srv=$!
	sleep 0.5
	got=$(timeout 120 rping -c -a "$addr" -C "$count" -S "$size" -V -v 2>&1 |
	      grep -c '^ping data:') || true
	wait "$srv" || { echo "rping server failed"; return 1; }
	[ "$got" -eq "$count" ] || { echo "verified $got of $count pings"; return 1; }
	echo "$count pings of $size bytes verified"
}

# NVMe over RDMA loopback: nvmet-rdma exports a memory-backed null_blk on
# ADDR and nvme-rdma connects to it on the same VM.
NVME_NQN=nqn.2014-08.org.example:rdma-sge
NVMET=/sys/kernel/config/nvmet
NULLB=/sys/kernel/config/nullb/rsge_nullb

# nvmet_start ADDR SIZE_MB
nvmet_start() {
	local addr=$1 mb=$2

	mkdir "$NULLB" || return
	echo "$mb" > "$NULLB/size"
	echo 1 > "$NULLB/memory_backed"
	echo 1 > "$NULLB/power" || return
	mkdir "$NVMET/subsystems/$NVME_NQN" || return
	echo 1 > "$NVMET/subsystems/$NVME_NQN/attr_allow_any_host"
	mkdir "$NVMET/subsystems/$NVME_NQN/namespaces/1"
	# a null_blk made through configfs is named after its directory
	echo "/dev/${NULLB##*/}" > "$NVMET/subsystems/$NVME_NQN/namespaces/1/device_path"
	echo 1 > "$NVMET/subsystems/$NVME_NQN/namespaces/1/enable" || return
	mkdir "$NVMET/ports/1"
	echo rdma > "$NVMET/ports/1/addr_trtype"
	echo ipv4 > "$NVMET/ports/1/addr_adrfam"
	echo "$addr" > "$NVMET/ports/1/addr_traddr"
	echo 4420 > "$NVMET/ports/1/addr_trsvcid"
	ln -s "$NVMET/subsystems/$NVME_NQN" "$NVMET/ports/1/subsystems/" || return
}

nvmet_stop() {
	rm -f "$NVMET/ports/1/subsystems/$NVME_NQN" 2>/dev/null
	rmdir "$NVMET/ports/1" 2>/dev/null
	rmdir "$NVMET/subsystems/$NVME_NQN/namespaces/1" 2>/dev/null
	rmdir "$NVMET/subsystems/$NVME_NQN" 2>/dev/null
	[ -d "$NULLB" ] && { echo 0 > "$NULLB/power"; rmdir "$NULLB"; }
	true
}

# nvme_connect ADDR: connect and print the namespace's block device: the
# nvme*n* disk whose controller or subsystem has our NQN.
nvme_connect() {
	local addr=$1 i b

	nvme connect -t rdma -a "$addr" -s 4420 -n "$NVME_NQN" >/dev/null || return
	for i in $(seq 100); do
		for b in /sys/block/nvme*n*; do
			[ "$(cat "$b/device/subsysnqn" 2>/dev/null)" = "$NVME_NQN" ] &&
				[ -b "/dev/${b##*/}" ] && { echo "/dev/${b##*/}"; return 0; }
		done
		sleep 0.1
	done
	echo "no namespace after connect" >&2
	return 1
}

nvme_disconnect() {
	nvme disconnect -n "$NVME_NQN" >/dev/null 2>&1 || true
}

# verified_copy DEV MB: write MB MiB of random data to DEV with O_DIRECT,
# read it back the same way and compare SHA-256 sums. Prints both sums and
# the throughput.
verified_copy() {
	local dev=$1 mb=$2 want got t0 t1 t2

	head -c "${mb}M" /dev/urandom > /tmp/vc.in
	want=$(sha256sum < /tmp/vc.in | cut -d' ' -f1)
	t0=$(date +%s.%N)
	dd if=/tmp/vc.in of="$dev" bs=1M oflag=direct status=none || return
	t1=$(date +%s.%N)
	dd if="$dev" of=/tmp/vc.out bs=1M count="$mb" iflag=direct status=none || return
	t2=$(date +%s.%N)
	got=$(sha256sum < /tmp/vc.out | cut -d' ' -f1)
	rm -f /tmp/vc.in /tmp/vc.out
	echo "wrote $mb MiB at $(echo "$mb / ($t1 - $t0)" | bc) MiB/s, read back at $(echo "$mb / ($t2 - $t1)" | bc) MiB/s"
	echo "sha256 written $want"
	echo "sha256 read    $got"
	[ "$want" = "$got" ]
}
