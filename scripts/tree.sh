#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The generated kernel work tree and the series in patches/.
#
#   tree.sh create        build/linux: one pristine base commit (tag "base"),
#                         then every patch of patches/series with git am
#   tree.sh applies       check that the series applies on base, without
#                         touching the work tree (a temporary index)
#   tree.sh export        write base..HEAD back to patches/ and series
#   tree.sh export-check  non-zero when the work tree and patches/ differ
#   tree.sh quilt         apply the series the way Debian's packaging does:
#                         quilt push -a, without fuzz, on the unpacked base
#                         tarball (not on the import in build/linux)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

git_k() { git -C "$KSRC" "$@"; }

# Base commit dates are fixed so the base hash depends on the source only.
FIXED_DATE="2000-01-01T00:00:00Z"

create() {
	local tarball pristine p

	[ ! -e "$KSRC" ] || die "$KSRC exists; remove it first (make distclean-tree)"
	tarball=$("$TOP/scripts/base.sh")
	log "extracting $(basename "$tarball") into $KSRC"
	mkdir -p "$KSRC"
	tar -xJf "$tarball" -C "$KSRC" --strip-components=1
	# Debian's tarball ignores everything at the top level ("/*" then
	# "!/debian/"): drop that stanza or git would add nothing.
	sed -i -e '\#^/\*$#d' -e '\#^!/debian/$#d' "$KSRC/.gitignore"
	git_k init -q -b main
	git_k config user.name "$GIT_AUTHOR_NAME"
	git_k config user.email "$GIT_AUTHOR_EMAIL"
	git_k add -A
	[ "$(git_k ls-files | wc -l)" -gt 50000 ] ||
		die "base import added too few files: check $KSRC/.gitignore"
	pristine=$(basename "$tarball" .tar.xz)
	GIT_AUTHOR_DATE=$FIXED_DATE GIT_COMMITTER_DATE=$FIXED_DATE \
		git_k commit -q -m "base: Debian $pristine" -m "Pristine import, .gitignore top-level stanza dropped."
	git_k tag base
	for p in $(series_patches); do
		[ -f "$PATCHES/$p" ] || die "series names $p, which is not in patches/"
		if ! git_k am -q --keep-cr "$PATCHES/$p" >/dev/null 2>&1; then
			git_k am --abort 2>/dev/null || true
			die "patch does not apply: patches/$p"
		fi
	done
	log "work tree ready: $(git_k rev-list --count base..HEAD) patches on base"
}

# Apply the series on base into a throw-away index: fast, no checkout.
applies() {
	local idx p n=0

	idx=$(mktemp)
	trap 'rm -f "$idx"' RETURN
	GIT_INDEX_FILE=$idx git_k read-tree base
	for p in $(series_patches); do
		[ -f "$PATCHES/$p" ] || { echo "missing: patches/$p"; return 1; }
		if ! GIT_INDEX_FILE=$idx git_k apply --cached "$PATCHES/$p"; then
			echo "does not apply: patches/$p"
			return 1
		fi
		n=$((n + 1))
	done
	echo "$n patches apply on base"
}

# export_to DIR: the deterministic export. No commit hashes (--zero-commit),
# no "-- 2.x" signature, no Date: header, full blob hashes on "index" lines
# (abbreviated ones grow with the object count of the repository), so an
# unchanged tree always gives byte-identical files.
export_to() {
	local dir=$1 f

	mkdir -p "$dir"
	git_k format-patch -q --zero-commit --no-signature --no-numbered --full-index \
		--output-directory "$dir" base..HEAD
	for f in "$dir"/*.patch; do
		[ -e "$f" ] || continue
		# drop the Date: line of the mail header (up to the first blank line)
		awk 'hdr && /^Date: / { next } /^$/ { hdr = 0 } { print }' hdr=1 "$f" > "$f.tmp"
		mv "$f.tmp" "$f"
	done
	{
		echo "# rdma-sge series on $(git_k log -1 --format=%s base | sed 's/^base: //')"
		echo "# Apply in this order (quilt push -a, or git am)."
		(cd "$dir" && ls -1 -- *.patch 2>/dev/null || true)
	} > "$dir/series"
	cover_letter > "$dir/0000-cover-letter.patch"
}

# The cover letter, as git format-patch --cover-letter would write it: the
# subject and text of patches/cover-letter.txt, the shortlog and the diffstat.
# Not in the series file: quilt and git am skip it.
cover_letter() {
	local n

	n=$(git_k rev-list --count base..HEAD)
	echo "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001"
	echo "From: $GIT_AUTHOR_NAME <$GIT_AUTHOR_EMAIL>"
	echo "Subject: [PATCH 00/$n] $(head -n 1 "$PATCHES/cover-letter.txt")"
	echo
	tail -n +3 "$PATCHES/cover-letter.txt"
	echo
	git_k shortlog base..HEAD
	git_k diff --stat=72 --summary base..HEAD
}

dirty() {
	[ -n "$(git_k status --porcelain)" ]
}

do_export() {
	dirty && die "uncommitted changes in $KSRC: commit them first"
	find "$PATCHES" -maxdepth 1 \( -name '*.patch' -o -name series \) -delete
	export_to "$PATCHES"
	log "exported $(series_patches | wc -l) patches to patches/"
	check_changed
}

# check_changed: checkpatch the exported patches that differ from the ones
# committed in the project repository (a reworded message included, staged
# or not), so a style fault shows at export and not only in make check.
check_changed() {
	local p rc=0

	for p in $({ git -C "$TOP" diff --name-only HEAD -- 'patches/*.patch'
		     git -C "$TOP" ls-files --others --exclude-standard \
			-- 'patches/*.patch'; } | sort -u); do
		# not the cover letter, nor a patch the export renamed away
		[ "$(basename "$p")" != 0000-cover-letter.patch ] || continue
		[ -e "$TOP/$p" ] || continue
		checkpatch "$TOP/$p" || { warn "checkpatch: $p"; rc=1; }
	done
	return $rc
}

export_check() {
	local tmp rc=0

	[ -d "$KSRC/.git" ] || die "no work tree at $KSRC (make tree)"
	if dirty; then
		echo "uncommitted changes in $KSRC:"
		git_k status --short | head -n 20
		rc=1
	fi
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' RETURN
	export_to "$tmp"
	mkdir -p "$tmp/.cur"
	cp "$PATCHES"/*.patch "$PATCHES/series" "$tmp/.cur/" 2>/dev/null || true
	if ! diff -ru "$tmp/.cur" --exclude=.cur "$tmp" > "$tmp.diff"; then
		echo "work tree and patches/ differ (make export):"
		head -n 40 "$tmp.diff"
		rc=1
	fi
	rm -f "$tmp.diff"
	return $rc
}

quilt_check() {
	local tarball dir n

	tarball=$("$TOP/scripts/base.sh")
	dir=$(mktemp -d "$BUILD/quilt.XXXXXX")
	trap 'rm -rf "$dir"' RETURN
	tar -xJf "$tarball" -C "$dir" --strip-components=1 ||
		{ echo "cannot unpack $tarball"; return 1; }
	# quilt reads patches/series (its "#" lines are comments) and keeps
	# its state in .pc inside the tree; nothing is written to patches/.
	# No quiltrc: only the command line decides how the series applies.
	if ! (cd "$dir" && QUILT_PATCHES=$PATCHES quilt --quiltrc - push -a -q --fuzz=0); then
		echo "quilt push -a failed on $(basename "$tarball")"
		return 1
	fi
	n=$(cd "$dir" && QUILT_PATCHES=$PATCHES quilt --quiltrc - applied | wc -l)
	echo "$n patches pushed with quilt on $(basename "$tarball")"
	[ "$n" -eq "$(series_patches | wc -l)" ]
}

case "${1:-}" in
create)		create ;;
applies)	applies ;;
export)		do_export ;;
export-check)	export_check ;;
quilt)		quilt_check ;;
*)		die "usage: $0 create|applies|export|export-check|quilt" ;;
esac
