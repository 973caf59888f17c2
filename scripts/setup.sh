#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install what the tooling needs, idempotently: only missing packages are
# fetched. Usage: setup.sh build|test|all
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Compiling the kernel and checking the patches (dwarves: pahole, for the
# structure sizes of scripts/sizes.sh).
BUILD_PKGS=(build-essential bc bison flex libelf-dev libssl-dev cpio kmod
	    ccache git xz-utils python3 python3-ply python3-git sparse coccinelle
	    rsync quilt dwarves)
# Booting it and running RDMA workloads inside the guest (the guest shares the
# host root, so its userspace is whatever is installed here; linux-perf: perf
# for make bench BENCH=profile).
TEST_PKGS=(qemu-system-x86 rdma-core ibverbs-utils rdmacm-utils perftest
	   iproute2 nvme-cli fio kmod util-linux procps ndctl open-iscsi
	   nfs-kernel-server nfs-common rpcbind ksmbd-tools cifs-utils linux-perf)

case "${1:-all}" in
build)	need_pkgs "${BUILD_PKGS[@]}" ;;
test)	need_pkgs "${TEST_PKGS[@]}" ;;
all)	need_pkgs "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}" ;;
*)	die "usage: $0 build|test|all" ;;
esac
