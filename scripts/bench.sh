#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: the benchmarks, on kernels built without debugging options
# (configs/base, rdma and bench: no KASAN, lockdep, DMA-API debugging or
# CONFIG_RDMA_SGE_DEBUG, which would be measured instead of the code).
#
#   bench.sh [micro|nvme|profile|all]   (default all: micro and nvme)
#
# micro: the micro-benchmark of the rdma_map_sge helpers (sge_bench, full
#   mode, through the sge_bench.sh kselftest) in two boots of the patched
#   kernel: on rxe, siw and rxe_dma with swiotlb=force, as in every test
#   boot (rxe_dma maps through swiotlb), then on rxe_dma without it
#   (dma-direct maps in place, as for a hardware HCA without an IOMMU).
# nvme: nvme-rdma throughput (tests/nvme-bench.sh: fio sequential 128 KiB
#   read and write, random 4 KiB read at queue depth 16) over rxe and siw on
#   the base kernel and on the patched kernel, built from the same config
#   (the base leaves out the symbols only the series has; any other
#   difference fails), BENCH_RUNS boots of each (default 3), alternating and
#   changing which goes first, BENCH_RUNTIME seconds per job (default 20).
#   Per row: the median MiB/s of each kernel, the ratio patched/base, and
#   each kernel's spread (min-max); a row without BENCH_RUNS results of each
#   kernel fails. The "null" rows (BENCH_CONTROL=0 to leave them out) are a
#   control: the same jobs on null_blk without RDMA, where the series' code
#   does not run, so their ratio shows how much the two kernels differ
#   anyway (code layout and noise under TCG).
# profile: one boot of each kernel running the nvme jobs under perf
#   (cpu-clock samples in the guest). Per row: MiB/s of each kernel, the
#   share of the samples in the series' own functions (SERIES_FUNCS below)
#   on the patched kernel, and the symbols whose share differs most between
#   the two kernels. Shares are of the busy samples (default_idle left out):
#   how the idle time falls on the two vCPUs differs between boots, and
#   would otherwise shift every share.
# BENCH_TYPES (default "rxe siw") and BENCH_JOBS (default all: seqread-128k
# seqwrite-128k randread-4k) select the rows of nvme and profile.
# BENCH_ICOUNT (default 1; 0 with KVM) boots every VM with vm.sh -c: the
#   guest's clock counts instructions (1 ns each), so MiB/s and ns per call
#   measure the instructions executed, the same from boot to boot (host time
#   under TCG moves by tens of percent between boots, which hides a 2 %
#   difference). BENCH_ICOUNT=0 measures host time instead. BENCH_RUNTIME
#   defaults to 5 s with instruction counting (about 15 s of host time), 20 s
#   without.
# BENCH_BASE=REV (a commit of build/linux, e.g. main~4) compares the patched
# kernel with the series up to REV instead of the base, to tell which patches
# move a row in one run; REV is built in build/bench/ref/ (linux: a worktree,
# bench/obj: its O= directory, the layout of build/linux and build/bench/obj
# under CCACHE_BASEDIR=build/bench/ref, so ccache serves what a bench build
# of that state compiled before). The "base" columns are then REV's.
#
# The table goes to bench/results-DATE.txt in the project (with the date,
# the kernels, the host and the accelerator): commit it to keep it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

WHAT=${1:-all}
BENCH=$BUILD/bench
RUNS=${BENCH_RUNS:-3}
# instructions are counted under TCG only: with KVM (RDMA_SGE_KVM=1) host time
ICOUNT=${BENCH_ICOUNT:-$([ "${RDMA_SGE_KVM:-0}" = 1 ] && echo 0 || echo 1)} VMOPTS=()
case $ICOUNT in
0) RUNTIME=${BENCH_RUNTIME:-20} ;;
1) RUNTIME=${BENCH_RUNTIME:-5} VMOPTS=(-c) ;;
*) die "BENCH_ICOUNT is 0 or 1, not $ICOUNT" ;;
esac
PATCHED_OBJ=$BENCH/obj			# build.sh bench
BASE_REV=${BENCH_BASE:-base}
if [ "$BASE_REV" = base ]; then
	BASE_SRC=$BENCH/linux-base BASE_OBJ=$BENCH/obj-base
else
	BASE_SRC=$BENCH/ref/linux BASE_OBJ=$BENCH/ref/bench/obj
fi
TYPES=${BENCH_TYPES:-rxe siw} JOBS=${BENCH_JOBS:-} CONTROL=${BENCH_CONTROL:-1}
case $WHAT in micro|nvme|profile|all) ;; *) die "usage: $0 [micro|nvme|profile|all]" ;; esac
# The series' functions on the software devices' data path (pfn_to_online_page
# is the kernel's, called by rdma_phys_to_page)
SERIES_FUNCS='^(_*rdma_(map_sge|unmap_sge|unmap_sgl|fill_ib_sge|sgl_|sge_|phys_to_page)|pfn_to_online_page$|get_dev_pagemap$|rxe_addr_to_page)'

# build_base: the base kernel (or BENCH_BASE's commit) with the patched
# benchmark kernel's config
build_base() {
	local diff rev basedir=$CCACHE_BASEDIR

	rev=$(git -C "$KSRC" rev-parse --verify -q "$BASE_REV^{commit}") ||
		die "BENCH_BASE: no commit $BASE_REV in $KSRC"
	base_worktree "$BASE_SRC"
	git -C "$BASE_SRC" checkout -q --detach "$rev"
	[ "$BASE_REV" = base ] || basedir=$BENCH/ref
	mkdir -p "$BASE_OBJ"
	cp "$PATCHED_OBJ/.config" "$BASE_OBJ/.config"
	CCACHE_BASEDIR=$basedir KSRC=$BASE_SRC KOBJ=$BASE_OBJ kmake -s olddefconfig
	# Only symbols the base does not have may differ: the ones the series adds
	diff=$(diff <(grep -E '^(CONFIG_|# CONFIG_.* is not set)' "$BASE_OBJ/.config" | sort) \
		    <(grep -E '^(CONFIG_|# CONFIG_.* is not set)' "$PATCHED_OBJ/.config" | sort) |
	       sed -nE 's/^> (# )?(CONFIG_[A-Z0-9_]+).*/\2/p' | while read -r sym; do
			grep -qE "^(# )?${sym}[= ]" "$BASE_OBJ/.config" && echo "$sym"
		done) || true
	[ -z "$diff" ] || die "the base config differs from the patched one in:"$'\n'"$diff"
	log "building the base kernel ($BASE_REV) in $BASE_OBJ"
	CCACHE_BASEDIR=$basedir KSRC=$BASE_SRC KOBJ=$BASE_OBJ kmake -s bzImage > "$BASE_OBJ/build.log" 2>&1 ||
		die "base kernel build failed: $BASE_OBJ/build.log"
}

# micro_boot LOG TITLE OUT [VM_OPTION...] -- [ENV...]: sge_bench.sh in one
# boot of the patched kernel, its table appended to OUT under TITLE
micro_boot() {
	local log=$BENCH/$1 title=$2 out=$3 vmopts=()

	shift 3
	while [ "$1" != -- ]; do vmopts+=("$1"); shift; done
	shift
	log "sge_bench in the VM: $title"
	# no DMA-API debugging in this kernel: rxe_dma's checks off
	"$TOP/scripts/vm.sh" -t 1800 "${VMOPTS[@]}" "${vmopts[@]}" \
		-k "$PATCHED_OBJ/arch/x86/boot/bzImage" -- \
		env SGE_BENCH_ARGS= RDMA_KSFT_DMA_CHECKS=0 "$@" \
		"$BENCH/kselftest/rdma/sge_bench.sh" > "$log" 2>&1 ||
		die "the micro-benchmark failed: $log"
	{
		echo "## micro-benchmark (sge_bench), patched kernel, $title"
		grep -E '^# [a-z]+ [a-z]+=|^# (samples|case|note)|^(not )?ok ' "$log"
	} >> "$out"
}

# micro OUT: sge_bench with swiotlb=force, then on rxe_dma without it
micro() {
	micro_boot micro.log "swiotlb=force" "$1" --
	micro_boot micro-direct.log "rxe_dma without swiotlb=force (dma-direct)" \
		"$1" -n -- RDMA_KSFT_TYPES=rxe_dma
}

# nvme_boot KERNEL RUN [ENV...]: tests/nvme-bench.sh in one boot of the base
# or patched kernel, its output in $BENCH/nvme-KERNEL-RUN.log
nvme_boot() {
	local kernel=$1 run=$2 obj=$PATCHED_OBJ log=$BENCH/nvme-$1-$2.log

	shift 2
	[ "$kernel" = patched ] || obj=$BASE_OBJ
	"$TOP/scripts/vm.sh" -t 1800 "${VMOPTS[@]}" -k "$obj/arch/x86/boot/bzImage" -- \
		env RDMA_KSFT_TYPES="$TYPES" NVME_BENCH_JOBS="$JOBS" "$@" \
		"$TOP/tests/nvme-bench.sh" "$BENCH/kselftest/rdma" "$RUNTIME" \
		> "$log" 2>&1 || die "nvme-rdma run failed: $log"
}

# nvme OUT: the A/B runs, the table appended to OUT
nvme() {
	local run kernel order raw=$BENCH/nvme.raw

	: > "$raw"
	for run in $(seq "$RUNS"); do
		order="base patched"
		[ $((run % 2)) -eq 1 ] || order="patched base"
		for kernel in $order; do
			log "nvme-rdma fio, $kernel kernel, run $run of $RUNS"
			nvme_boot "$kernel" "$run" NVME_BENCH_CONTROL="$CONTROL"
			sed -n "s/^nvme /$kernel $run /p" "$BENCH/nvme-$kernel-$run.log" >> "$raw"
		done
	done
	{
		echo "## nvme-rdma over $TYPES, fio ${RUNTIME} s per job, $RUNS boots of each kernel, alternating"
		python3 - "$raw" "$RUNS" <<'PY'
import statistics, sys
runs = int(sys.argv[2])
failed = False
rows = {}
for line in open(sys.argv[1]):
    kernel, run, dev, job, mibs, iops = line.split()
    rows.setdefault((dev, job), {}).setdefault(kernel, []).append(float(mibs))
print("# device job base_MiB/s patched_MiB/s patched/base base_spread patched_spread runs")
for (dev, job), k in sorted(rows.items()):
    b, p = k.get("base", []), k.get("patched", [])
    if len(b) != runs or len(p) != runs:
        print("%s %s FAILED: %d/%d runs, %d expected" % (dev, job, len(b), len(p), runs))
        failed = True
        continue
    mb, mp = statistics.median(b), statistics.median(p)
    print("%s %s %.1f %.1f %.3f %.1f-%.1f %.1f-%.1f %d/%d" % (dev, job, mb, mp, mp / mb,
          min(b), max(b), min(p), max(p), len(b), len(p)))
sys.exit(failed)
PY
	} >> "$1" || die "nvme: a row lacks runs of a kernel: $1"
}

# profile OUT: one boot of each kernel with perf, the table appended to OUT
profile() {
	local kernel

	for kernel in base patched; do
		log "nvme-rdma fio under perf, $kernel kernel"
		nvme_boot "$kernel" prof NVME_BENCH_PROFILE=1
	done
	{
		echo "## nvme-rdma over $TYPES under perf (cpu-clock), fio ${RUNTIME} s per job, one boot of each kernel"
		echo "# series: share of the samples in functions matching $SERIES_FUNCS"
		python3 - "$BENCH/nvme-base-prof.log" "$BENCH/nvme-patched-prof.log" "$SERIES_FUNCS" <<'PY'
import re, sys
mibs, prof = {}, {}
for kernel, path in (("base", sys.argv[1]), ("patched", sys.argv[2])):
    for line in open(path):
        f = line.split()
        if len(f) == 5 and f[0] == "nvme":
            mibs[(f[1], f[2], kernel)] = float(f[3])
        elif len(f) == 5 and f[0] == "prof":
            prof.setdefault((f[1], f[2], kernel), {})[f[4]] = float(f[3])
# shares of the busy samples: the idle loop left out
for samples in prof.values():
    busy = 100 - samples.pop("default_idle", 0)
    for sym in samples:
        samples[sym] *= 100 / busy
series = re.compile(sys.argv[3])
failed = False
for dev, job in sorted({k[:2] for k in mibs}):
    b, p = (prof.get((dev, job, k), {}) for k in ("base", "patched"))
    if not b or not p:
        print("%s %s: FAILED: no profile of the %s kernel" % (dev, job, "patched" if b else "base"))
        failed = True
        continue
    share = sum(v for s, v in p.items() if series.match(s))
    print("%s %s: base %.1f MiB/s, patched %.1f MiB/s (%.3f); series %.2f %% of the busy samples"
          % (dev, job, mibs.get((dev, job, "base"), 0), mibs.get((dev, job, "patched"), 0),
             mibs.get((dev, job, "patched"), 0) / mibs.get((dev, job, "base"), 1), share))
    delta = sorted(set(b) | set(p), key=lambda s: -abs(p.get(s, 0) - b.get(s, 0)))
    for s in delta[:12]:
        print("#   %-36s base %5.2f %%  patched %5.2f %%  %+5.2f" % (s, b.get(s, 0), p.get(s, 0),
                                                               p.get(s, 0) - b.get(s, 0)))
sys.exit(failed)
PY
	} >> "$1" || die "profile: a row has no perf samples (perf in the guest?): $1"
}

"$TOP/scripts/build.sh" bench
export KOBJ=$PATCHED_OBJ
ksft_install "$KOBJ" "$BENCH/kselftest" > "$BENCH/kselftest.log" 2>&1 ||
	die "kselftest build failed: $BENCH/kselftest.log"
[ "$WHAT" = micro ] || build_base

mkdir -p "$TOP/bench"
out=$TOP/bench/results-$(date -u +%Y%m%d-%H%M).txt
{
	echo "# make bench $WHAT, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "# patched: $(git -C "$KSRC" describe --always --tags --dirty)" \
	     "($(series_patches | wc -l) patches); base: $(git -C "$KSRC" rev-parse --short base)," \
	     "Linux $(make -s -C "$KSRC" kernelversion)"
	[ "$BASE_REV" = base ] || [ "$WHAT" = micro ] ||
		echo "# BENCH_BASE=$BASE_REV: the \"base\" columns are the series up to" \
		     "$(git -C "$KSRC" log -1 --format='%h ("%s"),' "$BASE_REV")" \
		     "$(git -C "$KSRC" rev-list --count "base..$BASE_REV") patches"
	echo "# config: configs/base, rdma, bench (no debugging options)"
	echo "# host: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)," \
	     "$(nproc) CPUs; guest: 2 vCPUs, 2 GiB," \
	     "$([ "${RDMA_SGE_KVM:-0}" = 1 ] && echo KVM || echo TCG)"
	if [ "$ICOUNT" = 1 ]; then
		echo "# guest clock: instructions (QEMU -icount shift=0: 1 ns per guest" \
		     "instruction, idle time skipped): MiB/s and ns measure instructions, not time"
	else
		echo "# guest clock: host time (TCG: rows move by tens of percent between boots)"
	fi
} > "$out"
case $WHAT in micro|all) micro "$out" ;; esac
case $WHAT in nvme|all) nvme "$out" ;; esac
[ "$WHAT" != profile ] || profile "$out"
cat "$out"
log "results: $out (commit it to keep it)"
