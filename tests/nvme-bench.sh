#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench, inside the VM: nvme-rdma throughput with fio. For each device
# type of $RDMA_KSFT_TYPES (default "rxe siw"): nvmet-rdma exports a
# memory-backed null_blk on the device's address, nvme-rdma connects to it
# over the same device, and fio runs each job for RUNTIME seconds (after 2 s
# of ramp) with O_DIRECT and libaio. One line per job:
#   "nvme <type> <job> <MiB/s> <IOPS>"
# Any failure prints "nvme <type> FAILED: <why>" and exits 1.
#
#   nvme-bench.sh KSFT_RDMA_DIR RUNTIME
#
# NVME_BENCH_JOBS: the names of the jobs to run (default all three).
# NVME_BENCH_CONTROL=1: first run the jobs on a memory-backed null_blk
#   directly, without RDMA ("nvme null <job> ..."): a control whose ratio
#   between two kernels shows how much they differ where the series' code
#   does not run (block layer, null_blk, fio under TCG).
# NVME_BENCH_PROFILE=1: run each job under perf (cpu-clock samples of every
#   CPU) and print, after its line, the symbols with at least 0.05 % of the
#   samples: "prof <type> <job> <percent> <symbol>".
#
# It uses the set-up functions of the rdma kselftests' lib.sh (installed by
# scripts/bench.sh), which it runs the same on the base kernel.
set -u
ksft=$1 runtime=$2
export RDMA_KSFT_TYPES=${RDMA_KSFT_TYPES:-rxe siw}
profile=${NVME_BENCH_PROFILE:-0}
# lib.sh finds the kselftest helpers next to $0
BASH_ARGV0=$ksft/nvme-bench
# shellcheck source=/dev/null
. "$ksft/lib.sh"

# name and fio options of each job
JOBS=("seqread-128k --rw=read --bs=128k --iodepth=4"
      "seqwrite-128k --rw=write --bs=128k --iodepth=4"
      "randread-4k --rw=randread --bs=4k --iodepth=16")

# fio_job DEV NAME OPTS...: run one job on DEV, print "MiB/s IOPS" of the
# direction it measured (under perf into /tmp/perf.data if profiling).
fio_job() {
	local dev=$1 name=$2 json perf=()

	shift 2
	[ "$profile" = 1 ] &&
		perf=(perf record -q -a -e cpu-clock -F 1000 -o /tmp/perf.data --)
	# shellcheck disable=SC2068 # the job's options are words
	json=$("${perf[@]}" fio --name="$name" --filename="$dev" --direct=1 \
		   --ioengine=libaio --time_based --runtime="$runtime" --ramp_time=2 \
		   --size=192M --output-format=json $@) || return 1
	python3 -c '
import json, sys
job = json.load(sys.stdin)["jobs"][0]
d = job["write"] if job["write"]["io_bytes"] else job["read"]
if not d["io_bytes"] or job["error"]:
    sys.exit(1)
print("%.1f %.0f" % (d["bw_bytes"] / 2**20, d["iops"]))' <<< "$json"
}

# run_jobs TYPE DEV: the selected jobs on DEV, one line each (and the
# profile lines); sets rc=1 on a failure
run_jobs() {
	local type=$1 dev=$2 job name res

	for job in "${JOBS[@]}"; do
		name=${job%% *}
		[ -z "${NVME_BENCH_JOBS:-}" ] ||
			[[ " $NVME_BENCH_JOBS " == *" $name "* ]] || continue
		# shellcheck disable=SC2086 # name and options
		if res=$(fio_job "$dev" $job); then
			echo "nvme $type $name $res"
			[ "$profile" = 1 ] &&
				perf report -i /tmp/perf.data --stdio --no-children \
					--sort sym --percent-limit 0.05 2>/dev/null |
				awk -v p="prof $type $name" \
					'$1 ~ /%$/ { sub("%", "", $1); print p, $1, $3 }'
		else
			echo "nvme $type FAILED: fio $name"
			rc=1
		fi
	done
}

rc=0
modprobe -a -q null_blk nvmet nvmet-rdma nvme-rdma
if [ "${NVME_BENCH_CONTROL:-0}" = 1 ]; then
	if rdma_nullb_add /sys/kernel/config/nullb/nvme_bench 256; then
		run_jobs null /dev/nvme_bench
		rdma_nullb_del /sys/kernel/config/nullb/nvme_bench || rc=1
	else
		echo "nvme null FAILED: set-up"
		rc=1
	fi
fi
for type in $RDMA_TYPES; do
	if ! rdma_setup "$type" || ! nvmet_subsys_add 256 ||
	   ! nvmet_port_add "$RDMA_ADDR0" || ! dev=$(nvme_rdma_connect "$RDMA_ADDR0"); then
		echo "nvme $type FAILED: set-up"
		rc=1
	else
		run_jobs "$type" "$dev"
	fi
	rdma_cleanup || rc=1
done
exit $rc
