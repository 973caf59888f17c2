#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fetch the base kernel source (Debian's linux-source-6.12) into the cache,
# outside the work tree, and print the path of its tarball on stdout.
# The pinned version is used when the archive still has it; otherwise the
# newest 6.12.y, with a warning. A cached tarball is never fetched again.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mkdir -p "$CACHE"
version=$BASE_VERSION
tarball=$CACHE/$BASE_PKG-$version.tar.xz

# has_version LIST: whether the apt-cache madison LIST names $version. The
# list is read into a variable first: "apt-cache madison | grep -q" under
# pipefail fails at random when grep exits before apt-cache has written all
# its lines (SIGPIPE), which once made a fresh machine fall back to a newer
# base with the pinned one still in the archive.
has_version() {
	awk -F'|' -v v="$version" '{ gsub(/ /, "", $2) } $2 == v { f = 1 } END { exit !f }' <<< "$1"
}

if [ ! -s "$tarball" ]; then
	versions=$(apt-cache madison "$BASE_PKG" 2>/dev/null || true)
	if ! has_version "$versions"; then
		apt-get update -qq || true
		versions=$(apt-cache madison "$BASE_PKG" 2>/dev/null || true)
	fi
	if ! has_version "$versions"; then
		newest=$(awk -F'|' '{ gsub(/ /, "", $2); print $2 }' <<< "$versions" |
			 sed '/^$/d' | sort -V | tail -n 1)
		[ -n "$newest" ] || die "no $BASE_PKG in the configured apt sources"
		warn "$BASE_PKG $version (tested) is not in the archive; using $newest (untested)"
		version=$newest
		tarball=$CACHE/$BASE_PKG-$version.tar.xz
	fi
fi

if [ ! -s "$tarball" ]; then
	tmp=$(mktemp -d "$CACHE/fetch.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	log "downloading $BASE_PKG $version"
	# apt's sandbox user cannot write into root's cache: fetch as root.
	(cd "$tmp" && apt-get download -o APT::Sandbox::User=root \
		"$BASE_PKG=$version" >/dev/null) || die "apt-get download $BASE_PKG=$version failed"
	dpkg-deb --fsys-tarfile "$tmp"/*.deb |
		tar -xO "./usr/src/$BASE_PKG.tar.xz" > "$tmp/src.tar.xz"
	mv "$tmp/src.tar.xz" "$tarball"
fi

log "base: $BASE_PKG $version"
echo "$tarball"
