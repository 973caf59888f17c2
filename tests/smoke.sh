#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# VM smoke test: real data over rxe and over siw, each transfer verified.
# Runs inside the test VM (vm.sh). KTAP on stdout.
. "$(dirname "$0")/lib.sh"

cleanup() {
	rdma_link_del rxe_sge
	rdma_link_del siw_sge
	net_down
}
trap cleanup EXIT

ktap_plan 4
net_up || { echo "Bail out! veth pair"; exit 1; }
ktap_run "rxe: create on $NET_IF0" rdma_link_add rxe rxe_sge "$NET_IF0"
ktap_run "rxe: rping 100 x 4 KiB verified" rping_verified "$NET_ADDR0" 100 4096
ktap_run "siw: create on $NET_IF1" rdma_link_add siw siw_sge "$NET_IF1"
ktap_run "siw: rping 100 x 4 KiB verified" rping_verified "$NET_ADDR1" 100 4096
ktap_exit
