#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: every test, in order, each counted. Ends with one line
# "N passed, N failed" and exits non-zero when anything failed.
#
#  1. the series applies on the base, also with quilt on the unpacked base
#     tarball (as Debian's packaging applies it), and build/linux matches
#     patches/
#  2. checkpatch.pl --strict on every patch
#  3. the test kernel builds
#  4. sparse (C=2), W=1 and kernel-doc on the files the series touches; the
#     structure sizes of those files against the base (scripts/sizes.sh)
#  5. KUnit: one kunit.py run --arch=x86_64 with every .kunitconfig the series
#     adds
#  6. the VM tests (smoke test, kselftests) in two boots of the test kernel
#     at once
set -uo pipefail
. "$(dirname "$0")/lib.sh"

pass=0 fail=0 skip=0
LOGS=$BUILD/check
T0=$(date +%s)

result() {	# result ok|fail|skip NAME
	case $1 in
	ok)   pass=$((pass + 1)); echo "PASS  $2" ;;
	fail) fail=$((fail + 1)); echo "FAIL  $2" ;;
	skip) skip=$((skip + 1)); echo "SKIP  $2" ;;
	esac
}

# step NAME CMD...: one counted step; its output goes to a log, shown on failure.
step() {
	local name=$1 log t0 rc=0

	shift
	log=$LOGS/$(echo "$name" | tr -c 'A-Za-z0-9._-' _).log
	t0=$(date +%s)
	"$@" > "$log" 2>&1 || rc=$?
	if [ $rc -eq 0 ]; then
		result ok "$name ($(($(date +%s) - t0))s)"
	else
		result fail "$name ($(($(date +%s) - t0))s, exit $rc, log $log)"
		tail -n 30 "$log" | sed 's/^/      /'
	fi
	return $rc
}

# touched PATHSPEC...: files the series adds or changes.
touched() {
	git -C "$KSRC" diff --name-only --diff-filter=AM base..HEAD -- "$@"
}

checkpatch_all() {
	local p

	for p in $(series_patches); do
		step "checkpatch --strict $p" checkpatch "$PATCHES/$p"
	done
	[ -n "$(series_patches)" ] || result skip "checkpatch: the series is empty"
}

# Static checks on touched files, in their own O= directory so that the test
# kernel's objects are not rebuilt with other flags. Every directory holding a
# touched C file is built with W=1, then sparse checks the touched C files;
# only warnings in touched files count (the base has its own), less those
# configs/lint-known.txt lists.
lint() {
	local lint=$BUILD/lint out dirs files objs missing

	mkdir -p "$lint"
	cp "$KOBJ/.config" "$lint/.config"
	# drivers the series touches that the test kernel does not need
	(cd "$KSRC" && scripts/kconfig/merge_config.sh -m -O "$lint" \
		"$lint/.config" "$TOP/configs/lint.config") > "$lint/merge_config.log" ||
		return
	# KUnit suites are not in the test kernel (kunit.py builds its own):
	# enable what the series' .kunitconfig files ask for, so they get linted.
	touched '*.kunitconfig' | (cd "$KSRC" && xargs -r cat) |
		sed -nE 's/^CONFIG_([A-Z0-9_]+)=y$/\1/p' |
		while read -r sym; do
			"$KSRC/scripts/config" --file "$lint/.config" -e "$sym"
		done
	KOBJ=$lint kmake -s olddefconfig prepare || return
	files=$(touched '*.c' '*.h' | grep -v '^tools/')
	dirs=$(touched '*.c' | grep -v '^tools/' | xargs -r -n 1 dirname | sort -u | sed 's|$|/|')
	objs=$(touched '*.c' | grep -v '^tools/' | sed 's|\.c$|.o|')
	if [ -n "$dirs" ]; then
		# shellcheck disable=SC2086
		out=$(KOBJ=$lint kmake W=1 $dirs 2>&1) || { echo "$out"; return 1; }
		# A touched file the config does not build was checked by nothing.
		# (Checked before sparse: an object named on the command line is
		# compiled whatever the config says.)
		missing=$(touched '*.c' | grep -v '^tools/' | while read -r f; do
			[ -f "$lint/${f%.c}.o" ] || echo "$f"
		done)
		if [ -n "$missing" ]; then
			echo "touched but not compiled by the lint config:"
			echo "$missing"
			return 1
		fi
		# Sparse on the touched files only: C=2 checks up-to-date objects
		# too, at the cost of a compile each, and the other files of
		# these directories are the base's.
		# shellcheck disable=SC2086
		out+=$'\n'$(KOBJ=$lint kmake C=2 W=1 $objs 2>&1) || { echo "$out"; return 1; }
		echo "$out" | grep -F "$files" | grep -E '(warning|error):' |
			sed -E "s|^$KSRC/||; s|^([^:]+):[0-9]+:[0-9]+:|\1:|" |
			grep -vxF -f <(grep -Ev '^(#|$)' "$TOP/configs/lint-known.txt") &&
			return 1
	fi
	out=$(cd "$KSRC" && touched '*.c' '*.h' | xargs -r scripts/kernel-doc -none 2>&1)
	echo "$out"
	[ -z "$out" ]
}

# kunit_count WORD LINE: the number after "WORD: " in kunit.py's summary, or 0.
kunit_count() {
	local n

	n=$(echo "$2" | sed -nE "s/.*[ ,]$1: ([0-9]+).*/\1/p")
	echo "${n:-0}"
}

# kunit DIR...: run the suites of every DIR/.kunitconfig in one kunit.py run
# (one kernel with all their options merged) and count each case.
kunit() {
	local log=$LOGS/kunit.log line n p f d args=()

	for d in "$@"; do args+=(--kunitconfig="$d"); done
	(cd "$KSRC" && python3 tools/testing/kunit/kunit.py run --arch=x86_64 \
		"${args[@]}" --build_dir="$BUILD/kunit" --jobs="$(nproc)" \
		--make_options "CC=ccache gcc") > "$log" 2>&1
	line=$(grep -E 'Testing complete\. Ran [0-9]+ tests' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		result fail "kunit $*: no result (log $log)"
		tail -n 30 "$log" | sed 's/^/      /'
		return
	fi
	# "Ran 43 tests: passed: 41, failed: 1, skipped: 1" (zero counts omitted)
	p=$(kunit_count passed "$line") n=$(kunit_count skipped "$line")
	f=$(($(kunit_count failed "$line") + $(kunit_count crashed "$line") +
	     $(kunit_count errors "$line")))
	pass=$((pass + p))
	fail=$((fail + f))
	skip=$((skip + n))
	echo "$([ $f -eq 0 ] && echo PASS || echo FAIL)  kunit $*: $line"
	[ $f -eq 0 ] || grep -E '\[(FAILED|CRASHED)\]' "$log" | sed 's/^/      /'
}

# The series' kselftests, with their test modules built against the test
# kernel, installed where tests/guest.sh finds them.
kselftest_install() {
	ksft_install "$KOBJ" "$BUILD/kselftest"
}

# The VM tests run in two boots of the test kernel at once, each running
# tests/guest.sh on a part of the tests: under TCG a guest keeps about one
# host core busy (its tests mostly do one thing at a time), and the machines
# here have two. VM_PART1 is the first part; the second runs every other
# test, so that a new kselftest cannot drop out. The parts took 635 s and
# 453 s side by side (warm, 70 patches); the second grew by the SMB Direct
# and RDS tests (81 patches: 848 s and 816 s, with other VMs running).
VM_PART1="smoke cq_rearm.sh bad_sge.sh p2p.sh nvme_rdma.sh nfs.sh"

# vm_count NAME LOG RC: count the results of the VM NAME from its LOG and
# its exit status RC. Every KTAP result line at every nesting depth counts
# (a kselftest script and each of its cases); the boot itself counts too
# (exit status, no kernel splat).
vm_count() {
	local name=$1 log=$2 rc=$3 results n

	results=$(tr -d '\r' < "$log" | grep -E '^(# )*(not )?ok [0-9]+' | sed -E 's/^(# )*//')
	n=$(echo "$results" | grep -cE '^ok [0-9]+.*# SKIP')
	skip=$((skip + n))
	n=$(echo "$results" | grep -E '^ok [0-9]+' | grep -cvE '# SKIP')
	pass=$((pass + n))
	n=$(echo "$results" | grep -cE '^not ok [0-9]+')
	fail=$((fail + n))
	echo "$results" | sed -E "/^\$/d; s/^ok .*# SKIP/SKIP  $name: &/; s/^ok/PASS  $name: ok/; s/^not ok/FAIL  $name: not ok/"
	if [ "$rc" -eq 0 ]; then
		result ok "$name: clean run, no kernel splat ($(grep -o 'after [0-9]*s' "$log" | tail -n 1))"
	else
		result fail "$name: exit $rc (log $log)"
		grep -A 40 -m 1 'VM: kernel splat' "$log" | sed 's/^/      /'
		tail -n 5 "$log" | sed 's/^/      /'
	fi
}

vm_tests() {
	local pid1 pid2 rc1=0 rc2=0

	# The parts took about 1170 s and 1040 s side by side (warm, 61 patches);
	# the limit leaves room for a busy machine within CI's 90 minutes.
	# shellcheck disable=SC2086 # VM_PART1 is a list
	"$TOP/scripts/vm.sh" -t 2400 -- "$TOP/tests/guest.sh" $VM_PART1 \
		> "$LOGS/vm1.log" 2>&1 &
	pid1=$!
	# shellcheck disable=SC2086
	"$TOP/scripts/vm.sh" -t 2400 -- "$TOP/tests/guest.sh" -n $VM_PART1 \
		> "$LOGS/vm2.log" 2>&1 &
	pid2=$!
	wait $pid1 || rc1=$?
	wait $pid2 || rc2=$?
	vm_count vm1 "$LOGS/vm1.log" $rc1
	vm_count vm2 "$LOGS/vm2.log" $rc2
}

rm -rf "$LOGS"
mkdir -p "$LOGS"
"$TOP/scripts/setup.sh" all || die "package setup failed"
if [ ! -d "$KSRC/.git" ]; then
	step "series applies (git am on a fresh work tree)" "$TOP/scripts/tree.sh" create ||
		{ echo "0 passed, 1 failed"; exit 1; }
fi
step "series applies on base" "$TOP/scripts/tree.sh" applies
step "series applies with quilt push -a on the base tarball" "$TOP/scripts/tree.sh" quilt
step "work tree matches patches/" "$TOP/scripts/tree.sh" export-check
checkpatch_all
if step "kernel builds" "$TOP/scripts/build.sh" kernel; then
	if [ -n "$(touched '*.c' '*.h')" ]; then
		step "sparse, W=1, kernel-doc on touched files" lint
		step "no structure grows against the base without a reason" \
			"$TOP/scripts/sizes.sh"
	else
		result skip "sparse/W=1/kernel-doc: the series touches no C file"
	fi
	kdirs=$(touched '*.kunitconfig' | xargs -r -n 1 dirname)
	# shellcheck disable=SC2086
	[ -z "$kdirs" ] || kunit $kdirs
	[ -n "$kdirs" ] || result skip "kunit: the series adds no .kunitconfig yet"
	rm -rf "$BUILD/kselftest"
	if [ -d "$KSRC/tools/testing/selftests/rdma" ]; then
		step "kselftests: build and install rdma" kselftest_install
	else
		result skip "kselftests: the series adds none yet"
	fi
	vm_tests
else
	result skip "KUnit and VM tests: no kernel"
fi

echo "make check took $(($(date +%s) - T0))s; logs in $LOGS"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
