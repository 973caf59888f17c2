#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Prove that the set-up is complete: run the README's commands in a clean
# Debian 12 root (debootstrap minbase + make + git), as root, from a fresh
# clone of this repository's HEAD, with nothing from this machine's installed
# packages. Everything else must come from the project's own setup.sh.
#
#   cleanroot.sh [--fresh | --reuse] [-- CMD [ARGS...]]
#
# Default: "make run", then "make check". With CMD, only CMD. Each command is
# timed, its output goes to a log under the clone, and the run exits non-zero
# when any command failed.
#
# The first run debootstraps the root and saves it, with make and git, as
# $CLEANROOT.tar; every later run starts from a new copy of that tarball, so
# nothing an earlier run installed or cached is left.
#
#   --fresh     debootstrap again (to start over: also what rm -rf
#               build/cleanroot build/cleanroot.tar does, when no run is active)
#   --reuse     keep the root as the previous run left it (packages, caches):
#               faster, but not a proof
#
# The root is $CLEANROOT (default build/cleanroot, gitignored); the debootstrap
# mirror is the Debian one this machine's apt uses ($CLEANROOT_MIRROR
# overrides it). The clone (/root/rdma-sge in the root) is made anew on every
# run, with ../shared beside it as in CI.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

SUITE=bookworm
ROOT=$(realpath -m "${CLEANROOT:-$BUILD/cleanroot}")
TARBALL=$ROOT.tar			# debootstrap + make + git, finished
OWNED=$ROOT/.cleanroot			# "this directory is ours to delete"
CLONE=/root/rdma-sge			# inside the root
SHARED=$TOP/../shared
# The environment the commands get: what root's login would give, no more.
ENV=(HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb LANG=C.UTF-8)

usage() { die "usage: $0 [--fresh | --reuse] [-- CMD [ARGS...]]"; }
fresh=0 reuse=0
while [ $# -gt 0 ]; do
	case $1 in
	--fresh) fresh=1; shift ;;
	--reuse) reuse=1; shift ;;
	--) shift; break ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $((fresh + reuse)) -le 1 ] || usage
if [ $# -gt 0 ]; then
	cmd=$(printf '%q ' "$@")
	cmds=("${cmd% }")
else
	cmds=("make run" "make check")
fi

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot, mount)"
[ "$ROOT" != / ] || die "CLEANROOT must not be /"

# One run at a time per root: a second run's cleanup would unmount the
# first's mounts. The lock sits beside the root, which gets deleted.
mkdir -p "$(dirname "$ROOT")"
exec 9> "$ROOT.lock"
flock -n 9 || die "another cleanroot.sh is using $ROOT"

# --- Mounts, and the guards around them -------------------------------------

# mounts_under: every mount point below $ROOT, deepest first.
mounts_under() {
	findmnt -ln -o TARGET | awk -v r="$ROOT/" 'index($0, r) == 1' | sort -r
}

# assert_unmounted: called before every deletion inside $ROOT, so that rm -rf
# can never walk into a bind mount of /dev or /sys.
assert_unmounted() {
	local m
	m=$(mounts_under)
	[ -z "$m" ] || die "still mounted under $ROOT, not deleting anything:
$m"
}

# remove_root: delete $ROOT, but only a root this script created.
remove_root() {
	[ -e "$ROOT" ] || return 0
	if [ ! -f "$OWNED" ]; then
		rmdir "$ROOT" 2>/dev/null ||
			die "$ROOT was not made by $0: remove it yourself"
		return 0
	fi
	assert_unmounted
	log "removing $ROOT"
	rm -rf --one-file-system "$ROOT"
}

# mount_root: the kernel interfaces, nothing else: no /usr, no /home, no
# cache of this machine.
mount_root() {
	mount -t proc proc "$ROOT/proc"
	mount --bind /sys "$ROOT/sys"
	mount --bind /dev "$ROOT/dev"
	mount --bind /dev/pts "$ROOT/dev/pts"
	mount -t tmpfs -o mode=1777 tmpfs "$ROOT/dev/shm"
}

# root_pids: the processes whose root directory is $ROOT.
root_pids() {
	local pid
	for pid in /proc/[0-9]*; do
		[ "$(readlink "$pid/root" 2>/dev/null)" != "$ROOT" ] || echo "${pid#/proc/}"
	done
}

# umount_root (also on every exit, Ctrl-C included): stop whatever still runs
# inside the root (TERM, then KILL), then unmount everything below it,
# deepest first.
# shellcheck disable=SC2317 # reached through the trap
umount_root() {
	local pids m left

	mapfile -t pids < <(root_pids)
	if [ ${#pids[@]} -gt 0 ]; then
		warn "stopping what still runs in the root: ${pids[*]}"
		kill "${pids[@]}" 2>/dev/null || true
		sleep 2
		mapfile -t pids < <(root_pids)
		[ ${#pids[@]} -eq 0 ] || { kill -KILL "${pids[@]}" 2>/dev/null; sleep 1; } || true
	fi
	for m in $(mounts_under); do
		umount "$m" || umount --lazy "$m" || warn "cannot unmount $m"
	done
	left=$(mounts_under)
	[ -z "$left" ] || warn "still mounted: $left"
}
trap 'set +e; umount_root' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# Leftovers of a run that was killed outright (the lock says none is active).
umount_root

# in_root DIR CMD...: run CMD in the root, as root, in DIR, with $ENV only.
in_root() {
	local dir=$1
	shift
	chroot "$ROOT" /usr/bin/env -i -C "$dir" "${ENV[@]}" "$@"
}

# --- apt in the root works as on this machine -------------------------------

# debian_mirror: the URI this machine's apt uses for $SUITE itself (not
# -updates or -security), from one-line (.list) or deb822 (.sources) files.
debian_mirror() {
	local f uri
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		uri=$(awk -v s="$SUITE" '$1 == "deb" {
			sub(/\[[^]]*\][[:space:]]*/, "")
			if ($3 == s) { print $2; exit }
		}' "$f")
		[ -z "$uri" ] || { echo "$uri"; return; }
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		uri=$(awk -v s="$SUITE" '
			function stanza_end() {
				if (deb && suite && uri != "" && !found) { print uri; found = 1 }
				deb = suite = 0; uri = ""
			}
			/^[[:space:]]*$/ { stanza_end(); next }
			$1 == "Types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
			$1 == "URIs:" { uri = $2 }
			$1 == "Suites:" { for (i = 2; i <= NF; i++) if ($i == s) suite = 1 }
			END { stanza_end() }' "$f")
		[ -z "$uri" ] || { echo "$uri"; return; }
	done
}

# copy_apt_config: the same sources (replacing the one line debootstrap
# wrote), this machine's own settings for fetching from the archive
# (apt.conf.d files that set Acquire:: and belong to no package, e.g. no
# DEP-11, no date check) and its DNS resolver. Packages' apt configuration
# stays out: it comes with the packages, if setup.sh installs them.
copy_apt_config() {
	local f

	rm -f "$ROOT/etc/apt/sources.list" "$ROOT"/etc/apt/sources.list.d/*
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		 /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		cp "$f" "$ROOT$f"
		log "apt config: $f"
	done
	for f in /etc/apt/apt.conf.d/*; do
		[ -f "$f" ] || continue
		grep -q '^[[:space:]]*Acquire::' "$f" || continue
		dpkg -S "$f" >/dev/null 2>&1 && continue
		cp "$f" "$ROOT$f"
		log "apt config: $f"
	done
	cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
}

# --- 1. The root --------------------------------------------------------------

if [ $fresh -eq 1 ]; then
	remove_root
	rm -f "$TARBALL"
fi

if [ ! -f "$TARBALL" ]; then
	# debootstrap, once. Then what a fresh machine needs to *start* the
	# README commands: "from a clone of this repository" implies git, and
	# typing "make run" needs make. Nothing else: minbase already has the
	# apt, dpkg and bash that setup.sh uses, and the mirror is http, so no
	# ca-certificates. Everything else must come from setup.sh.
	remove_root
	need_pkgs debootstrap
	mirror=${CLEANROOT_MIRROR:-$(debian_mirror)}
	[ -n "$mirror" ] || die "no '$SUITE' source in /etc/apt: set CLEANROOT_MIRROR"
	mkdir -p "$ROOT"
	touch "$OWNED"
	log "debootstrap --variant=minbase $SUITE $ROOT $mirror"
	start=$SECONDS
	debootstrap --variant=minbase "$SUITE" "$ROOT" "$mirror" > "$ROOT.debootstrap.log" 2>&1 ||
		die "debootstrap failed, see $ROOT.debootstrap.log"
	log "debootstrap done in $((SECONDS - start)) s"

	copy_apt_config
	# Standard for chroots: packages must not start daemons in the root
	# (no init runs here, and a daemon would keep the mounts busy).
	printf '#!/bin/sh\nexit 101\n' > "$ROOT/usr/sbin/policy-rc.d"
	chmod 755 "$ROOT/usr/sbin/policy-rc.d"

	log "installing make and git into the root"
	start=$SECONDS
	mount_root
	in_root / DEBIAN_FRONTEND=noninteractive apt-get update -qq
	in_root / DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends make git >/dev/null
	in_root / apt-get clean
	umount_root
	log "make and git installed in $((SECONDS - start)) s"

	assert_unmounted
	tar -C "$ROOT" --numeric-owner --xattrs --xattrs-include='*' -cf "$TARBALL.tmp" .
	mv "$TARBALL.tmp" "$TARBALL"
	log "saved as $TARBALL"
elif [ $reuse -eq 1 ] && [ -f "$OWNED" ]; then
	warn "reusing $ROOT as the last run left it: not a proof of a clean set-up"
	copy_apt_config		# this machine's, as of now
else
	# A new root from the saved debootstrap: whatever the last run
	# installed or cached is gone.
	start=$SECONDS
	remove_root
	mkdir -p "$ROOT"
	tar -C "$ROOT" --numeric-owner --xattrs --xattrs-include='*' -xpf "$TARBALL"
	log "new root from $TARBALL ($(date -u -r "$TARBALL" +%F)) in $((SECONDS - start)) s"
	copy_apt_config		# this machine's, as of now
fi

# --- 2. A clean copy of the project: HEAD only, never the work tree ----------

head=$(git -C "$TOP" rev-parse HEAD)
[ -z "$(git -C "$TOP" status --porcelain --untracked-files=no)" ] ||
	warn "uncommitted changes in $TOP are NOT part of this run (HEAD ${head:0:12} is)"
assert_unmounted
rm -rf --one-file-system "$ROOT$CLONE" "$ROOT/root/shared"
# --no-hardlinks: the root must not share any inode with this repository.
git clone -q --no-hardlinks "$TOP" "$ROOT$CLONE"
git -C "$ROOT$CLONE" checkout -q --detach "$head"
if [ -d "$SHARED" ]; then
	cp -a "$SHARED" "$ROOT/root/shared"
else
	warn "no $SHARED: the clone has no ../shared"
fi
log "clone of ${head:0:12} in $ROOT$CLONE"

# --- 3. The commands ----------------------------------------------------------

mount_root
logdir=$CLONE/build/cleanroot-logs
mkdir -p "$ROOT$logdir"
summary=() rc=0 n=0
for cmd in "${cmds[@]}"; do
	n=$((n + 1))
	logfile=$logdir/$n-$(printf '%s' "$cmd" | tr -c 'A-Za-z0-9._-' '-' | cut -c1-40).log
	log "[$n/${#cmds[@]}] $cmd  (log: $ROOT$logfile)"
	start=$SECONDS
	cmd_rc=0
	# In the background, so that INT and TERM reach the traps at once
	# (bash runs them only when "wait" returns, not while a foreground
	# command runs); umount_root then stops the command.
	(in_root "$CLONE" bash -c "$cmd" < /dev/null 2>&1 | tee "$ROOT$logfile") &
	wait $! || cmd_rc=$?
	secs=$((SECONDS - start))
	if [ $cmd_rc -eq 0 ]; then
		summary+=("PASS  ${secs} s  $cmd  ($ROOT$logfile)")
	else
		summary+=("FAIL  ${secs} s  $cmd  (exit $cmd_rc, $ROOT$logfile)")
		rc=1
	fi
done

echo "cleanroot: HEAD ${head:0:12}, root $ROOT"
printf 'cleanroot: %s\n' "${summary[@]}"
exit $rc
