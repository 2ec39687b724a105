#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The newer stack for the end-to-end tests, from Debian's bookworm-backports
# suite (today QEMU 10.0 and Linux 6.12, what Debian 13 ships), fetched into
# the cache without installing anything on the host:
#   QEMU     qemu-system-x86, qemu-system-common, qemu-system-data and seabios,
#            unpacked (dpkg-deb -x) into
#            $cache_root/qemu/<version>-amd64/qemu-v1/root, published
#            atomically under $cache_root/qemu/<version>-amd64/.lock; older
#            versions from the same suite that no run uses are then removed
#            (tests/e2e/cache.sh)
#   kernel   linux-image, headers, kbuild and linux-source of the suite's
#            current ABI, with i2c-virtio built for it: build-guest.sh
#            --suite bookworm-backports (cache $cache_root/<abi>/guest-vN)
# Packages come through a private apt configuration ($cache_root/apt/,
# tests/e2e/apt.sh) whose sources name the host archive's URL.
#
# Prints the run.sh settings for this stack on stdout, as shell assignments:
#   VI2C_E2E_QEMU=...  VI2C_E2E_QEMU_DATA=...  VI2C_E2E_QEMU_MODULE_DIR=...
#   VI2C_E2E_GUEST_DIR=...  VI2C_E2E_QEMU_ENTRY=... (the cache entry, for cache_hold)
# Progress goes to stderr. Exit status 0 on success.
#
# Usage: backports.sh [SUITE]     (default bookworm-backports)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
suite=${1:-bookworm-backports}
cache_root=${VI2C_E2E_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/vhost-user-i2c}
QEMU_FORMAT=qemu-v1 # bump when the layout of an unpacked QEMU changes

say() { printf 'backports: %s\n' "$*" >&2; }
die() {
	say "error: $*"
	exit 1
}
for tool in apt-get apt-cache dpkg-deb flock; do
	command -v "$tool" >/dev/null || die "missing tool '$tool' (run scripts/install-deps.sh)"
done

# shellcheck source=tests/e2e/apt.sh
. "$here/apt.sh"
# shellcheck source=tests/e2e/cache.sh
. "$here/cache.sh"
apt_private "$suite-amd64" amd64 "$suite"

# --- QEMU ---
qemu_pkgs=(qemu-system-x86 qemu-system-common qemu-system-data seabios)
candidate() { # PKG: its version in the suite
	papt_cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' | head -n1
}
qemu_version=$(candidate qemu-system-x86)
case $qemu_version in
'' | '(none)') die "no qemu-system-x86 in $suite" ;;
esac
qkey=${qemu_version//[^A-Za-z0-9.+~-]/_}-amd64
qdir=$cache_root/qemu/$qkey
final=$qdir/$QEMU_FORMAT
qkind="qemu $suite amd64" # which versions a newer one supersedes
if [ -f "$final/complete" ]; then
	cache_set_kind "$qdir" "$qkind" # caches fetched before kinds were recorded
else
	say "waiting for the lock $qdir/.lock"
	cache_lock "$qdir" 1800 || die "timed out waiting for another fetch of $final"
	if [ ! -f "$final/complete" ]; then
		say "fetching QEMU $qemu_version from $suite into $final"
		work=$(mktemp -d "$qdir/.build.XXXXXX")
		trap 'rm -rf "$work"' EXIT
		mkdir "$work/debs" "$work/$QEMU_FORMAT"
		for pkg in "${qemu_pkgs[@]}"; do
			# The suite's version exactly: the host may have another one.
			(cd "$work/debs" && papt_get download -q "$pkg=$(candidate "$pkg")" \
				</dev/null >&2) ||
				die "apt-get download $pkg failed"
		done
		for d in "$work"/debs/*.deb; do
			dpkg-deb -x "$d" "$work/$QEMU_FORMAT/root"
		done
		echo "$qemu_version" >"$work/$QEMU_FORMAT/version"
		touch "$work/$QEMU_FORMAT/complete"
		rm -rf "$final"
		mv "$work/$QEMU_FORMAT" "$final"
		rm -rf "$work"
		trap - EXIT
		cache_set_kind "$qdir" "$qkind"
		say "done: $final"
		cache_prune_superseded "$cache_root/qemu" "$qkey" "$QEMU_FORMAT"
	fi
	cache_unlock
fi
root=$final/root
[ -x "$root/usr/bin/qemu-system-x86_64" ] || die "no qemu-system-x86_64 in $root"

# --- Kernel ---
guest_dir=$("$here/build-guest.sh" --suite "$suite") || die "building the $suite guest failed"

printf 'VI2C_E2E_QEMU=%q\n' "$root/usr/bin/qemu-system-x86_64"
printf 'VI2C_E2E_QEMU_DATA=%q\n' "$root/usr/share/qemu:$root/usr/share/seabios"
printf 'VI2C_E2E_QEMU_MODULE_DIR=%q\n' "$root/usr/lib/x86_64-linux-gnu/qemu"
printf 'VI2C_E2E_GUEST_DIR=%q\n' "$guest_dir"
printf 'VI2C_E2E_QEMU_ENTRY=%q\n' "$final"
