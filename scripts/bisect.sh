#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bisect-check: build the kernel after every patch of the series, with
# the test config, and fail naming the first patch that does not build or
# whose build prints a warning (the base builds without one).
#
# It works in build/bisect/ (linux: a worktree of build/linux; obj: its O=
# directory), so build/linux and build/obj are left alone. The layout mirrors
# build/linux and build/obj under CCACHE_BASEDIR=build/bisect, so the
# compiler sees the same relative paths and ccache serves what the main
# build already compiled. Each step is an incremental build of the previous
# one. Logs: build/bisect/logs/NNNN.log, one per patch (0000: base).
#
# A run can be resumed: build/bisect/passed lists "commit config-hash" for
# every step that passed. A step whose commit and test config are both listed
# is not built again (make clean drops the list), so a run stopped halfway,
# or one after patches were appended, builds only what is new. Incremental
# builds stay correct across skipped steps: a checkout gives every file it
# changes a new mtime.
#
# BISECT_FROM=N checks only patch N and the ones after it (N as numbered in
# patches/): the first of them is a full build of its state, the base and
# the patches before it are not built, and the result says so.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

BISECT=$BUILD/bisect
LOGS=$BISECT/logs
MAIN_CONFIG=$KOBJ/.config

[ -f "$MAIN_CONFIG" ] || die "no $MAIN_CONFIG: run make build first"
"$TOP/scripts/tree.sh" export-check >/dev/null ||
	die "build/linux differs from patches/: export it first"
export KSRC=$BISECT/linux KOBJ=$BISECT/obj CCACHE_BASEDIR=$BISECT

# A detached worktree of build/linux (it shares the objects and commits).
base_worktree "$KSRC"
mkdir -p "$KOBJ" "$LOGS"
# A copy of the test config taken now: a make build meanwhile rewrites it.
cp "$MAIN_CONFIG" "$BISECT/config"
PASSED=$BISECT/passed
touch "$PASSED"
# The hash leaves out CONFIG_PAHOLE_VERSION when BTF is off: it records
# which pahole is installed (setup installs one for sizes.sh), and only BTF
# generation uses pahole.
CONFIG_HASH=$(if grep -q '^CONFIG_DEBUG_INFO_BTF=y' "$BISECT/config"; then
		cat "$BISECT/config"
	else
		grep -v '^CONFIG_PAHOLE_VERSION=' "$BISECT/config"
	fi | sha1sum | cut -c1-12)
skipped=0

# step N COMMIT: check out COMMIT, build it with the test config (the final
# config, less the symbols this commit does not know yet); fail on an error
# or a warning.
step() {
	local n=$1 commit=$2 log subject

	log=$LOGS/$(printf %04d "$n").log
	commit=$(git -C "$KSRC" rev-parse "$commit")
	subject=$(git -C "$KSRC" log -1 --format=%s "$commit")
	if grep -qx "$commit $CONFIG_HASH" "$PASSED"; then
		skipped=$((skipped + 1))
		return
	fi
	git -C "$KSRC" checkout -q --detach "$commit"
	cp "$BISECT/config" "$KOBJ/.config"
	if ! kmake -s olddefconfig bzImage modules > "$log" 2>&1; then
		grep -E 'error|Error' "$log" | head -n 20 >&2
		die "$(printf %04d "$n") does not build: $subject (log: $log)"
	fi
	if grep -q 'warning:' "$log"; then
		grep 'warning:' "$log" | head -n 20 >&2
		die "$(printf %04d "$n") adds a warning: $subject (log: $log)"
	fi
	log "$(printf %04d "$n") builds: $subject"
	echo "$commit $CONFIG_HASH" >> "$PASSED"
}

[[ ${BISECT_FROM:-0} =~ ^[0-9]+$ ]] ||
	die "BISECT_FROM=$BISECT_FROM: not a patch number (e.g. 130 or 0130)"
from=$((10#${BISECT_FROM:-0}))
start=$SECONDS
n=0
[ "$from" -gt 0 ] || step 0 base
for commit in $(git -C "$BUILD/linux" rev-list --reverse base..main); do
	n=$((n + 1))
	[ "$n" -lt "$from" ] || step "$n" "$commit"
done
[ "$from" -le "$n" ] || die "BISECT_FROM=$BISECT_FROM: the series has $n patches"
if [ "$from" -gt 0 ]; then
	log "bisect-check: patches $(printf %04d "$from")-$(printf %04d "$n") build" \
		"without a warning; the base and the patches before were not built" \
		"(BISECT_FROM; $skipped steps passed in an earlier run with this config;" \
		"$((SECONDS - start)) s)"
else
	log "bisect-check: base and all $n patches build without a warning" \
		"($skipped steps passed in an earlier run with this config; $((SECONDS - start)) s)"
fi
