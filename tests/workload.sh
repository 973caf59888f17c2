#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The main job's workload (make run), inside the test VM: rxe and siw on a
# veth pair, then on each device rping with verification and an NVMe over
# RDMA loopback transfer (nvme-rdma to nvmet-rdma) checked by SHA-256.
# Ends with a short summary table.
. "$(dirname "$0")/lib.sh"

MB=${RDMA_SGE_RUN_MB:-64}
declare -a summary

# Teardown order: the RDMA device before the nvmet port. Removing a port
# whose CM listener still exists takes the listener's handler_mutex under
# nvmet_config_sem, the reverse of nvmet-rdma's connect path, and lockdep
# reports the cycle (seen by the series' nvme kselftest; that nvmet-rdma code
# is unchanged from 6.12). Without the device the listener is already gone.
cleanup() {
	nvme_disconnect
	rdma_link_del rxe_sge
	rdma_link_del siw_sge
	nvmet_stop
	net_down
}
trap cleanup EXIT

# one_device TYPE ADDR NETDEV
one_device() {
	local type=$1 addr=$2 netdev=$3 dev out r n

	echo "--- $type on $netdev ($addr)"
	rdma_link_add "$type" "${type}_sge" "$netdev" || return 1
	out=$(rping_verified "$addr" 100 4096) && r=ok || r=FAILED
	echo "rping: $out"
	summary+=("$(printf '%-4s %-40s %s' "$type" "rping 100 x 4 KiB, verified" "$r")")
	n=FAILED
	if nvmet_start "$addr" "$MB" && dev=$(nvme_connect "$addr"); then
		echo "nvme-rdma: $dev connected to nvmet-rdma at $addr"
		verified_copy "$dev" "$MB" && n=ok
	fi
	summary+=("$(printf '%-4s %-40s %s' "$type" "nvme-rdma $MB MiB write+read, sha256" "$n")")
	nvme_disconnect
	rdma_link_del "${type}_sge"
	nvmet_stop
	[ "$r" = ok ] && [ "$n" = ok ]
}

rc=0
echo "kernel: $(uname -r)"
net_up || exit 1
one_device rxe "$NET_ADDR0" "$NET_IF0" || rc=1
one_device siw "$NET_ADDR1" "$NET_IF1" || rc=1

echo
echo "=== rdma-sge workload summary ($(uname -r))"
printf '%s\n' "${summary[@]}"
echo "=== $([ $rc -eq 0 ] && echo 'all transfers verified' || echo 'SOME TRANSFERS FAILED')"
exit $rc
