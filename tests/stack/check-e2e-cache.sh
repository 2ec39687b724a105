#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The e2e cache's pruning (tests/e2e/cache.sh) on a fake cache: once a newer
# kernel ABI's guest is built, the older ABI of the same kind and the older
# guest formats are removed; the current entry, newer keys, keys of another
# kind or with no recorded kind, a key being built and an entry a run holds
# are kept. A run's hold on a removed entry fails, so it looks the entry up again.
# Usage: check-e2e-cache.sh E2E_DIR
set -euo pipefail
e2e=$1
failures=0
say() { printf 'cache: %s\n' "$*"; }
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}
# shellcheck source=tests/e2e/cache.sh
. "$e2e/cache.sh"

root=$(mktemp -d "${TMPDIR:-/tmp}/vi2c-cache-test.XXXXXX")
trap 'rm -rf "$root"' EXIT

entry() { # KEY ENTRY [KIND]: a complete entry, as build-guest.sh leaves it
	mkdir -p "$root/$1/$2" "$root/$1/debs"
	echo "$1" >"$root/$1/$2/abi"
	touch "$root/$1/.lock" "$root/$1/$2/complete"
	[ -z "${3:-}" ] || cache_set_kind "$root/$1" "$3"
}
entry 6.1.0-57-amd64 guest-v3 "host amd64"  # the one just built
entry 6.1.0-57-amd64 guest-v2               # older format of the same ABI
entry 6.1.0-57-amd64 guest-v1-ee1004        # an older branch's format
entry 6.1.0-56-amd64 guest-v3 "host amd64"  # superseded ABI
entry 6.1.0-56-amd64 guest-v2               # ... with an older format too
entry 6.1.0-55-amd64 guest-v3 "host amd64"  # superseded, but a run uses it
entry 6.1.0-54-amd64 guest-v3 "host amd64"  # superseded, but being built
entry 6.1.0-53-amd64 guest-v3               # no kind recorded: kept
entry 6.1.0-58-amd64 guest-v3 "host amd64"  # newer: kept
entry 6.1.0-50-arm64 guest-v3 "main-arm64 arm64"                    # another kind
entry 6.12.9+deb12-amd64 guest-v3 "bookworm-backports-amd64 amd64" # another kind
mkdir -p "$root/apt/main-arm64" "$root/qemu"
mkdir -p "$root/6.1.0-57-amd64/.build.x" # a build in progress (hidden): kept

# A run holds 6.1.0-55's guest (a shared lock, as run.sh takes it).
cache_hold "$root/6.1.0-55-amd64/guest-v3" || fail "cache_hold on a complete entry failed"
# A build of 6.1.0-54 holds its key's lock, in another process.
bash -c 'exec 9>"$1" && flock -x 9 && exec sleep 30' _ "$root/6.1.0-54-amd64/.lock" &
builder=$!
trap 'kill "$builder" 2>/dev/null || true; rm -rf "$root"' EXIT
for _ in $(seq 100); do
	flock -n -x "$root/6.1.0-54-amd64/.lock" true || break
	sleep 0.1
done
flock -n -x "$root/6.1.0-54-amd64/.lock" true && fail "the builder's lock was not taken"

cache_set_kind "$root/6.1.0-57-amd64" "another kind" # the first writer's kind stays
[ "$(cat "$root/6.1.0-57-amd64/kind")" = "host amd64" ] || fail "cache_set_kind replaced a kind"

out=$(cache_prune_superseded "$root" 6.1.0-57-amd64 guest-v3)
echo "$out"
kill "$builder" 2>/dev/null || true
wait "$builder" 2>/dev/null || true

gone() { if [ -e "$root/$1" ]; then fail "$1 was kept ($2)"; fi; }
kept() { [ -f "$root/$1/complete" ] || fail "$1 was removed ($2)"; }
gone 6.1.0-57-amd64/guest-v2 "an older format"
gone 6.1.0-57-amd64/guest-v1-ee1004 "an older format"
gone 6.1.0-56-amd64 "a superseded ABI of the same kind"
kept 6.1.0-57-amd64/guest-v3 "the current entry"
kept 6.1.0-55-amd64/guest-v3 "held by a run"
kept 6.1.0-54-amd64/guest-v3 "being built"
kept 6.1.0-53-amd64/guest-v3 "no kind recorded"
kept 6.1.0-58-amd64/guest-v3 "newer"
kept 6.1.0-50-arm64/guest-v3 "another kind"
kept 6.12.9+deb12-amd64/guest-v3 "another kind"
for d in apt/main-arm64 qemu 6.1.0-57-amd64/.build.x 6.1.0-57-amd64/debs; do
	[ -d "$root/$d" ] || fail "$d was removed (not a superseded entry)"
done
[ -z "$(find "$root" -maxdepth 2 -name '.trash.*')" ] || fail "a .trash directory was left"
grep -q "kept the superseded cache $root/6.1.0-55-amd64: in use" <<<"$out" ||
	fail "no log line for the held entry"
[ "$(grep -c '^cache: removed' <<<"$out")" = 3 ] || fail "expected 3 removals logged"

# Once released, the next build removes them.
for fd in "/proc/$$/fd"/*; do
	[ "$(readlink "$fd")" = "$root/6.1.0-55-amd64/guest-v3/complete" ] && eval "exec ${fd##*/}<&-"
done
cache_prune_superseded "$root" 6.1.0-57-amd64 guest-v3 >/dev/null
gone 6.1.0-55-amd64 "released by its run"
gone 6.1.0-54-amd64 "its build finished"
kept 6.1.0-58-amd64/guest-v3 "newer"

# A run that looks up a removed entry is told so (run.sh looks again).
cache_hold "$root/6.1.0-56-amd64/guest-v3" && fail "cache_hold succeeded on a removed entry"

# QEMU versions: the same rules one level down (backports.sh).
entry qemu/1_10.0.2+ds-2-amd64 qemu-v1 "qemu bookworm-backports amd64"
entry qemu/1_10.0.0+ds-1-amd64 qemu-v1 "qemu bookworm-backports amd64"
entry qemu/1_9.2.0+ds-1-amd64 qemu-v1 "qemu bookworm-backports amd64"
entry qemu/1_9.0.0+ds-1-amd64 qemu-v1 "qemu trixie-backports amd64"
cache_prune_superseded "$root/qemu" 1_10.0.2+ds-2-amd64 qemu-v1 >/dev/null
kept qemu/1_10.0.2+ds-2-amd64/qemu-v1 "the current QEMU"
gone qemu/1_10.0.0+ds-1-amd64 "an older QEMU of the same suite"
gone qemu/1_9.2.0+ds-1-amd64 "an older QEMU of the same suite"
kept qemu/1_9.0.0+ds-1-amd64/qemu-v1 "another suite"

# cache_lock on a key removed while waiting locks the new key directory.
cache_lock "$root/6.1.0-60-amd64" 5 || fail "cache_lock timed out on a free lock"
cache_same_file "$cache_lock_fd" "$root/6.1.0-60-amd64/.lock" || fail "cache_lock holds the wrong file"
cache_unlock

if [ "$failures" -gt 0 ]; then
	echo "$failures check(s) failed"
	exit 1
fi
echo "e2e cache pruning: all checks passed"
