# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2034
# Shared helpers for the rdma-sge tooling. Sourced, never executed.

# Paths, all overridable from the environment.
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
KSRC=${KSRC:-$BUILD/linux}		# generated git work tree of the kernel
KOBJ=${KOBJ:-$BUILD/obj}		# O= directory of the one test kernel
CACHE=${RDMA_SGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rdma-sge}
PATCHES=$TOP/patches

# The Debian source package the series was tested against. base.sh falls back
# to the newest 6.12.y with a warning when this one is gone from the archive.
BASE_PKG=linux-source-6.12
BASE_VERSION=6.12.118-1~deb12u1

# Identity used for the base commit and for commits made by the tooling.
export GIT_AUTHOR_NAME=${GIT_AUTHOR_NAME:-rdma-sge}
export GIT_AUTHOR_EMAIL=${GIT_AUTHOR_EMAIL:-rdma-sge@example.org}
export GIT_COMMITTER_NAME=${GIT_COMMITTER_NAME:-$GIT_AUTHOR_NAME}
export GIT_COMMITTER_EMAIL=${GIT_COMMITTER_EMAIL:-$GIT_AUTHOR_EMAIL}

log()  { printf '==> %s\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die()  { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# need_pkgs PKG...: apt-get install whatever of PKG is not installed yet.
# Runs "apt-get update" only when something is missing.
need_pkgs() {
	local p missing=()

	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing: ${missing[*]}"
	[ "$(id -u)" -eq 0 ] || die "need root to install: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || die "apt-get update failed"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install failed: ${missing[*]}"
}

# series_patches: the patch files named by patches/series, in order.
series_patches() {
	[ -f "$PATCHES/series" ] || return 0
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$PATCHES/series"
}

# checkpatch PATCH: checkpatch.pl --strict as make check runs it. The base is
# a tarball without upstream history, so checkpatch cannot look up the
# commits that Fixes: tags name.
checkpatch() {
	"$KSRC/scripts/checkpatch.pl" --strict --no-summary --quiet \
		--ignore UNKNOWN_COMMIT_ID --root="$KSRC" "$1"
}

# ccache: rewrite absolute paths under build/ relative to the compiler's
# working directory, so that a checkout anywhere else (CI's clone) hits the
# objects compiled here.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$BUILD}

# kmake ARGS...: make in the kernel tree with the one test build directory,
# ccache and all cores. Every build of the test kernel goes through here so
# that the command line (and thus Kbuild's rebuild decisions) never changes.
KMAKE_OPTS=(ARCH=x86_64 "CC=ccache gcc" "HOSTCC=ccache gcc")
kmake() {
	make -C "$KSRC" O="$KOBJ" "${KMAKE_OPTS[@]}" -j"$(nproc)" "$@"
}

# Debian's own python3 and tools first: the kernel's scripts (checkpatch's
# spdxcheck.py, kunit.py) need the python3-* packages setup.sh installs,
# which a python3 earlier in PATH (pyenv, a venv) would not see.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

# ksft_install KDIR DEST: build the rdma kselftests (test modules against the
# kernel build directory KDIR) and install them into DEST, afresh.
ksft_install() {
	rm -rf "$2"
	make -C "$KSRC/tools/testing/selftests" TARGETS=rdma KDIR="$1" \
		"${KMAKE_OPTS[@]}" INSTALL_PATH="$2" install
}

# base_worktree DIR: a detached worktree of build/linux at the base commit in
# DIR, made unless it exists (it shares build/linux's objects).
base_worktree() {
	[ -d "$1" ] && return 0
	mkdir -p "$(dirname "$1")"
	git -C "$BUILD/linux" worktree prune
	git -C "$BUILD/linux" worktree add -q --detach "$1" base
}
