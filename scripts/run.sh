#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make run: set up what is missing, build the patched kernel, boot it and
# move verified data over rxe and siw (tests/workload.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/setup.sh" all
[ -d "$KSRC/.git" ] || "$TOP/scripts/tree.sh" create
"$TOP/scripts/build.sh" kernel
log "booting $(git -C "$KSRC" log -1 --format='%h %s') under QEMU"
exec "$TOP/scripts/vm.sh" -t 1200 -- "$TOP/tests/workload.sh"
