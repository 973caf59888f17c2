#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The series must not grow struct ib_sge, nor the structures of the ULPs and
# the core it converts (the SGE-carrying descriptors, requests and contexts)
# without a reason. Every C file the series touches is compiled with debug
# info in the base tree and in the patched tree, with the lint step's config
# (the test config plus configs/lint.config); pahole reads the size of every
# named structure in those objects. A structure that is bigger on the patched
# side fails the check unless configs/sizes-allowed.txt allows that size,
# with a reason; an allowance for a structure that does not grow fails too.
# Every change, growth or shrinkage, is printed.
#
# build/sizes/base is a worktree of build/linux at the base commit,
# build/sizes/{base,patched}.obj the two O= directories (incremental).
set -euo pipefail
export LC_ALL=C	# sort and join must agree on the order
. "$(dirname "$0")/lib.sh"

SIZES=$BUILD/sizes
ALLOWED=$TOP/configs/sizes-allowed.txt

command -v pahole >/dev/null || die "pahole missing (make setup: dwarves)"
[ -f "$KOBJ/.config" ] || die "no $KOBJ/.config: run make build first"
TOUCHED=$(git -C "$KSRC" diff --name-only --diff-filter=AM base..HEAD -- '*.c' |
	  grep -v '^tools/' || true)
[ -n "$TOUCHED" ] || { log "the series touches no C file"; exit 0; }

base_worktree "$SIZES/base"

# build_side SRC OBJ: compile the touched files SRC has, with -g, in OBJ.
# A file the base does not have (the series adds it) is left out; every
# other one must compile (the lint config builds every touched file).
build_side() {
	local src=$1 obj=$2 f targets=()

	mkdir -p "$obj"
	cp "$KOBJ/.config" "$obj/.config"
	(cd "$src" && scripts/kconfig/merge_config.sh -m -O "$obj" "$obj/.config" \
		"$TOP/configs/lint.config") > "$obj/merge_config.log" ||
		die "merge_config.sh failed: $obj/merge_config.log"
	KSRC=$src KOBJ=$obj kmake -s olddefconfig prepare > "$obj/prepare.log" 2>&1 ||
		die "prepare failed in $obj: $obj/prepare.log"
	for f in $TOUCHED; do
		[ -f "$src/$f" ] && targets+=("${f%.c}.o")
	done
	KSRC=$src KOBJ=$obj kmake KCFLAGS=-g "${targets[@]}" > "$obj/build.log" 2>&1 ||
		die "compiling the touched files failed in $obj: $obj/build.log"
}

# sizes OBJ: "file:name size" of every named structure in the touched
# objects (two modules may each have their own structure of one name).
sizes() {
	local f

	for f in $TOUCHED; do
		[ -f "$1/${f%.c}.o" ] || continue
		pahole -s "$1/${f%.c}.o" | awk -v f="$f" '{ print f ":" $1, $2 }'
	done | sort
}

build_side "$SIZES/base" "$SIZES/base.obj"
build_side "$KSRC" "$SIZES/patched.obj"
sizes "$SIZES/base.obj" > "$SIZES/base.sizes"
sizes "$SIZES/patched.obj" > "$SIZES/patched.sizes"

sge=$(awk '$1 ~ /:ib_sge$/ { print $2; exit }' "$SIZES/base.sizes")
[ -n "$sge" ] || die "no struct ib_sge in the base objects: nothing was compiled?"
log "compared the structures of $(cut -d: -f1 "$SIZES/base.sizes" | sort -u | wc -l)" \
    "objects; struct ib_sge: $sge bytes on the base"

# "name base patched" for every structure whose size changed in some object
# that both sides have (once, however many objects include it)
join "$SIZES/base.sizes" "$SIZES/patched.sizes" |
	awk '$2 != $3 { sub(/^[^:]*:/, "", $1); print }' | sort -u > "$SIZES/changed"
bad=0
while read -r name old new; do
	read -r max reason < <(awk -v s="$name" '$1 == s { $1 = ""; print }' "$ALLOWED") ||
		max=0
	if [ "$new" -lt "$old" ]; then
		echo "struct $name: $old -> $new bytes"
	elif [ "$new" -le "$max" ]; then
		echo "struct $name: $old -> $new bytes, allowed up to $max: $reason"
	else
		echo "struct $name: $old -> $new bytes: grows, and $ALLOWED allows ${max:-0}"
		bad=1
	fi
done < "$SIZES/changed"
# an allowance for a structure that no longer grows would let it grow again
while read -r name _; do
	if ! awk -v s="$name" '$1 == s && $3 > $2 { f = 1 } END { exit !f }' \
		"$SIZES/changed"; then
		echo "struct $name: allowed to grow in $ALLOWED, but does not"
		bad=1
	fi
done < <(grep -Ev '^(#|$)' "$ALLOWED")
[ $bad -eq 0 ] || die "structures grew, or an allowance is not needed"
log "no structure grew without a reason ($(wc -l < "$SIZES/changed") changed)"
