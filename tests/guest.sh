#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Everything "make check" runs inside one boot of the test VM: the project's
# smoke test, then the series' kselftests when they have been installed into
# build/kselftest (check.sh does that when the tree has them).
here=$(cd "$(dirname "$0")" && pwd)
rc=0

"$here/smoke.sh" || rc=1
ksft=$here/../build/kselftest
# every rdma kselftest on all three device types; the test kernel has
# rxe_dma (configs/rdma.config), so its absence fails instead of skipping
export RDMA_KSFT_TYPES="rxe siw rxe_dma"
if [ -x "$ksft/run_kselftest.sh" ]; then
	(cd "$ksft" && ./run_kselftest.sh) || rc=1
fi
exit $rc
