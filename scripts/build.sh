#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Configure and build the one test kernel in build/obj.
#
#   build.sh config   merge configs/*.config onto the Kconfig defaults
#   build.sh kernel   config, then an incremental ccache build (bzImage and
#                     modules; Module.symvers for the test modules)
#   build.sh bench    the same for the benchmark kernel in build/bench/obj:
#                     configs/bench.config instead of debug.config and
#                     kunit.config
set -euo pipefail
. "$(dirname "$0")/lib.sh"

FRAGMENTS=("$TOP"/configs/{base,rdma,debug,kunit}.config)

config() {
	local old=$KOBJ/.config.prev bad

	[ -d "$KSRC/.git" ] || die "no kernel work tree at $KSRC (make tree)"
	mkdir -p "$KOBJ"
	[ -f "$KOBJ/.config" ] && cp -p "$KOBJ/.config" "$old"
	rm -f "$KOBJ/.config"
	# allnoconfig plus the fragments: only what a test asks for gets built.
	(cd "$KSRC" && scripts/kconfig/merge_config.sh -n -O "$KOBJ" "${FRAGMENTS[@]}") \
		> "$KOBJ/merge_config.log" 2>&1 ||
		die "merge_config.sh failed: $KOBJ/merge_config.log"
	kmake -s olddefconfig >/dev/null
	# Every value a fragment asks for must survive: a symbol that was renamed
	# or lost a dependency fails here, not later in a test.
	bad=$(sed -nE 's/^# (CONFIG_[A-Z0-9_]+) is not set$/\1=n/p; /^CONFIG_/p' \
		"${FRAGMENTS[@]}" | while IFS= read -r want; do
		sym=${want%%=*}
		got=$(sed -nE "s/^($sym=.*)$/\1/p; s/^# ($sym) is not set$/\1=n/p" "$KOBJ/.config")
		[ "$got" = "$want" ] || echo "  $want (got ${got:-nothing})"
	done)
	[ -z "$bad" ] || die "config values not honoured:"$'\n'"$bad"
	# An unchanged config keeps its old timestamp, so Kbuild rebuilds nothing.
	if [ -f "$old" ] && cmp -s "$old" "$KOBJ/.config"; then
		mv "$old" "$KOBJ/.config"
	else
		rm -f "$old"
		log "kernel config updated: $KOBJ/.config"
	fi
}

kernel() {
	config
	log "building $(git -C "$KSRC" describe --always --tags) in $KOBJ"
	if ! kmake -s bzImage modules > "$KOBJ/build.log" 2>&1; then
		grep -E 'error|Error' "$KOBJ/build.log" | head -n 30 >&2
		die "kernel build failed (log: $KOBJ/build.log)"
	fi
	grep -E 'warning:' "$KOBJ/build.log" >&2 || true
	log "built $KOBJ/arch/x86/boot/bzImage"
}

case "${1:-kernel}" in
config)	config ;;
kernel)	kernel ;;
bench)	KOBJ=$BUILD/bench/obj
	FRAGMENTS=("$TOP"/configs/{base,rdma,bench}.config)
	kernel ;;
*)	die "usage: $0 config|kernel|bench" ;;
esac
