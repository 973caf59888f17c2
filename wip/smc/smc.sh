#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# SMC-R (AF_SMC sockets over RoCE, net/smc) on one machine, over rxe, siw and
# rxe_dma: smc_xfer connects an AF_SMC client to an AF_SMC server on the
# address of the RDMA device and moves messages of 17 bytes to 1 MiB both
# ways at once, each with its sequence number, length and FNV-1a-64
# checksum, which the receiver checks. SMC-R, not the TCP fallback, must
# have carried them: each socket's TCP connection (TCP_INFO) moved no more
# than the SMC handshake, SMC shows a client and a server SMC-Rv2 link group
# with an active link on the device, its statistics count an SMC-Rv2
# handshake on each end, the payload both ways and no fallback, and, if the
# kernel has sock_diag for SMC (CONFIG_SMC_DIAG), both sockets are in SMC-R
# mode.
# rxe has RoCE v2 GIDs only, so it takes SMC-Rv2, which needs a user EID;
# the handshake runs over "lo", which needs a pnetid shared with the device:
# smc_xfer sets both up and removes them (see smc_xfer.c).
# SMC keeps a link group, with its QP and the DMA mappings of its buffers,
# for 10 minutes after its last connection closed (SMC_LGR_FREE_DELAY_SERV
# and _CLNT in net/smc/smc_core.c): the device is removed under the idle
# link groups, which must take them down (smc_ib_remove_dev() terminates
# them), and the device must go away (on rxe_dma with every DMA mapping and
# swiotlb slot given back).
# SMC-R does not support iWARP: smc_ib_add_dev() ignores a device that is
# not RDMA_NODE_IB_CA, so SMC finds no device for the connection. On siw the
# test checks that the connection falls back to TCP for that reason (and
# that the data still arrives) and is skipped.

. "$(dirname "$0")/lib.sh"

SMC_XFER=$(dirname "$0")/smc_xfer

# smc_run ARGS...: smc_xfer ARGS, its output as KTAP comments; returns its
# exit status.
smc_run() {
	local out line rc=0

	out=$(timeout 600 "$SMC_XFER" "$@" 2>&1) || rc=$?
	while IFS= read -r line; do
		ktap_print_msg "$line"
	done <<< "$out"
	return $rc
}

# smc_cleanup: the pnetid and UEID of a run of smc_xfer that did not end,
# then what rdma_setup made.
smc_cleanup() {
	local rc=0

	smc_run --cleanup || rc=1
	rdma_cleanup || rc=1
	return $rc
}

# smc_test TYPE: the transfer on a TYPE device, then the device is removed
# under the idle link groups. Returns 0 on success, $KSFT_SKIP when SMC-R
# cannot use an iWARP device, as it should, 1 on failure.
smc_test() {
	local type=$1 dev rc=0 start=$SECONDS

	rdma_setup "$type" || return 1
	trap smc_cleanup EXIT
	dev=$RDMA_DEV
	ktap_print_msg "$type: $dev is a $(cat "/sys/class/infiniband/$dev/node_type")"
	smc_run "$dev" "$RDMA_ADDR0" || rc=$?
	if [ $rc -eq 2 ] && rdma_iwarp; then
		ktap_print_msg "$type: no SMC-R over an iWARP device: TCP fallback, as it should"
		smc_cleanup || return 1
		ktap_print_msg "$type: done in $((SECONDS - start)) s"
		return "$KSFT_SKIP"
	fi
	[ $rc -eq 0 ] || rc=1
	ktap_print_msg "$type: after the sockets closed: $(rdma_rc_qps) RC QPs"
	if smc_run --lgrs "$dev"; then
		rdma_dev_del || rc=1
	else
		# idle link groups: they keep their buffers mapped
		ktap_print_msg "$type: removing $dev under them"
		RDMA_DMA_IN_USE=1 rdma_dev_del || rc=1
	fi
	smc_run --lgrs "$dev" || rc=1
	smc_cleanup || rc=1
	ktap_print_msg "$type: done in $((SECONDS - start)) s"
	return $rc
}

ktap_print_header
rdma_require
if [ ! -x "$SMC_XFER" ]; then
	ktap_skip_all "$SMC_XFER not built"
	exit "$KSFT_SKIP"
fi
# no SMC: skip; anything else: fail
out=$("$SMC_XFER" --probe 2>&1)
case $? in
0) ;;
"$KSFT_SKIP") ktap_skip_all "$out"; exit "$KSFT_SKIP" ;;
*) ktap_exit_fail_msg "smc_xfer --probe: $out" ;;
esac
rdma_plan 1
what="SMC-R both ways, 17 B to 1 MiB (fnv1a64), no TCP fallback, device removed"
for type in $RDMA_TYPES; do
	smc_test "$type"
	case $? in
	0) ktap_test_pass "$type: $what" ;;
	"$KSFT_SKIP") ktap_test_skip "$type: SMC-R does not support iWARP devices" ;;
	*) ktap_test_fail "$type: $what" ;;
	esac
done
ktap_finished
