#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The tests "make check" runs inside a boot of the test VM: the project's
# smoke test and the series' kselftests (installed into build/kselftest by
# check.sh).
#
#   guest.sh             every test
#   guest.sh TEST...     only these: "smoke", or the name of an rdma
#                        kselftest (nvme_rdma.sh, ...)
#   guest.sh -n TEST...  every test but these
#
# A TEST that does not exist fails the run: a renamed kselftest must not
# drop out of a selection unnoticed.
here=$(cd "$(dirname "$0")" && pwd)
ksft=$here/../build/kselftest
rc=0

invert=
[ "${1:-}" != -n ] || { invert=1; shift; }
all=smoke
if [ -x "$ksft/run_kselftest.sh" ]; then
	all="$all $(cd "$ksft" && ./run_kselftest.sh -l | sed -n 's/^rdma://p' | tr '\n' ' ')"
fi
for t in "$@"; do
	case " $all " in
	*" $t "*) ;;
	*) echo "Bail out! no test named $t"; exit 1 ;;
	esac
done
run=
for t in $all; do
	listed=
	case " $* " in *" $t "*) listed=1 ;; esac
	# no TEST: all of them; TEST...: those listed; -n TEST...: the others
	if [ $# -eq 0 ] || [ "$listed" != "$invert" ]; then
		run="$run $t"
	fi
done

# every rdma kselftest on all three device types; the test kernel has
# rxe_dma (configs/rdma.config), so its absence fails instead of skipping
export RDMA_KSFT_TYPES="rxe siw rxe_dma"
ksft_args=()
for t in $run; do
	if [ "$t" = smoke ]; then
		"$here/smoke.sh" || rc=1
	else
		ksft_args+=(-t "rdma:$t")
	fi
done
if [ ${#ksft_args[@]} -gt 0 ]; then
	(cd "$ksft" && ./run_kselftest.sh "${ksft_args[@]}") || rc=1
fi
exit $rc
