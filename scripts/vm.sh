#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run one command inside the test kernel under QEMU, virtme style: the host
# root is the guest root (9p, read-only), tmpfs for writable directories,
# the command runs in the current directory, its exit status comes back.
#
#   vm.sh [-t SECONDS] [-m MEM] [-k BZIMAGE] [-a KERNEL_ARGS] [-n] [-c] -- CMD [ARGS...]
#
# -n leaves out swiotlb=force (below): dma-direct then maps in place, as for a
# hardware HCA without an IOMMU, and nothing bounces.
# -c counts instructions (TCG only: -icount shift=0,sleep=off): the guest's
# clock advances by 1 ns per guest instruction executed, on either vCPU, and
# jumps over idle time, instead of following the host's. Benchmarks then
# measure instructions, reproducibly from boot to boot, where host time
# under TCG moves by tens of percent; not time on a CPU (a cache miss or a
# slow instruction counts as one).
#
# The run fails (exit 1) when the guest console or dmesg shows a kernel splat
# (KASAN, lockdep, WARN, BUG, Oops, hung task, RCU stall, kmemleak), and
# with 124 on timeout. TCG by default; RDMA_SGE_KVM=1 asks for KVM.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

timeout=600 mem=2G kernel=$KOBJ/arch/x86/boot/bzImage extra_args=
swiotlb=swiotlb=65536,force icount=()
while getopts "t:m:k:a:nc" opt; do
	case $opt in
	t) timeout=$OPTARG ;;
	m) mem=$OPTARG ;;
	k) kernel=$OPTARG ;;
	a) extra_args=$OPTARG ;;
	n) swiotlb= ;;
	c) icount=(-icount "shift=0,sleep=off") ;;
	*) die "usage: $0 [-t s] [-m mem] [-k bzImage] [-a args] [-n] [-c] -- cmd..." ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || die "no command given"
[ -f "$kernel" ] || die "no kernel at $kernel (make build)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (make setup)"

# The run directory is shared read-write with the guest: the command and the
# directories it needs (see guest-init.sh) go in, exit status, dmesg and
# kmemleak report come out.
mkdir -p "$BUILD/vm"
run=$(mktemp -d "$BUILD/vm/run.XXXXXX")
printf '%s\n' "$TOP" "$BUILD" "$PWD" > "$run/keep"
{
	printf 'cd %q || exit 126\n' "$PWD"
	printf '%q ' "$@"
	echo
} > "$run/cmd"

# The guest kernel command line reserves 128 MiB at 1 GiB as emulated
# persistent memory (memmap=, CONFIG_X86_PMEM_LEGACY) for the DAX test, and
# makes swiotlb bounce every streaming DMA mapping through a 128 MiB pool
# (swiotlb=65536 slots of 2 KiB,force). Only rxe_dma devices and the NVMe
# controller below map through the DMA API there (the virtio devices do not
# use it): stale data from a missing sync or a short unmap then shows in the
# tests' checksums.
# An NVMe controller with a 16 MiB controller memory buffer, which nvme-pci
# publishes as PCI P2PDMA memory (p2pmem) for the P2P test, backed by a
# sparse 64 MiB image in the run directory.
truncate -s 64M "$run/nvme.img"
accel=(-accel tcg -cpu max "${icount[@]}")
if [ "${RDMA_SGE_KVM:-0}" = 1 ]; then
	[ ${#icount[@]} -eq 0 ] || die "-c needs TCG (RDMA_SGE_KVM=1 asks for KVM)"
	accel=(-accel kvm -cpu host)
fi

qemu=(qemu-system-x86_64 "${accel[@]}" -machine pc -smp 2 -m "$mem"
      -nographic -no-reboot -nodefaults -serial stdio
      -kernel "$kernel"
      -fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap
      -device virtio-9p-pci,fsdev=root,mount_tag=/dev/root
      -fsdev local,id=out,path="$run",security_model=none
      -device virtio-9p-pci,fsdev=out,mount_tag=out
      -device virtio-rng-pci
      -drive file="$run/nvme.img",if=none,id=nvme0,format=raw
      -device nvme,serial=rdma-sge,drive=nvme0,cmb_size_mb=16
      -append "console=ttyS0 loglevel=5 panic=-1 oops=panic panic_on_warn=0
	       memmap=128M!1G $swiotlb
	       root=/dev/root rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=262144,cache=loose
	       ro init=$TOP/scripts/guest-init.sh $extra_args")

start=$(date +%s)
rc=0
timeout -k 10 "$timeout" "${qemu[@]}" < /dev/null 2>&1 | tee "$run/console.log" || rc=$?
rm -f "$run/nvme.img"
[ $rc -eq 0 ] || [ $rc -eq 124 ] || die "qemu failed (exit $rc): $run/console.log"
secs=$(($(date +%s) - start))

if [ $rc -eq 124 ]; then
	echo "VM: timed out after ${timeout}s; console: $run/console.log" >&2
elif [ -f "$run/rc" ]; then
	rc=$(cat "$run/rc")
else
	echo "VM: the guest died before the command finished" >&2
	rc=1
fi

# Kernel splats: dmesg when the guest got to write it, else the console.
splat_re='(BUG:|WARNING:|Oops|general protection fault|kernel BUG at|Kernel panic|UBSAN:|INFO: task .* blocked|rcu: INFO:|INFO: rcu_|watchdog: BUG|unreferenced object)'
sources=("$run/kmemleak")
if [ -s "$run/dmesg" ]; then sources+=("$run/dmesg"); else sources+=("$run/console.log"); fi
for f in "${sources[@]}"; do
	[ -s "$f" ] && grep -Eq "$splat_re" "$f" || continue
	echo "VM: kernel splat in $(basename "$f"):" >&2
	grep -E -A 40 -m 1 "$splat_re" "$f" >&2
	[ "$rc" -ne 0 ] || rc=1
	break
done

echo "VM: exit $rc after ${secs}s (TCG=$([ "${RDMA_SGE_KVM:-0}" = 1 ] && echo no || echo yes)$([ ${#icount[@]} -eq 0 ] || echo ", icount")); logs in $run" >&2
exit "$rc"
