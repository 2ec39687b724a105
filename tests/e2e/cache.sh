# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# Locks and pruning of the end-to-end cache. Sourced by build-guest.sh,
# backports.sh, run.sh and tests/stack/check-e2e-cache.sh; callers define say().
#
# The cache holds keys, each a directory with the entries built for it:
#   $cache_root/<abi>/            a kernel ABI: debs/ and guest-vN/ entries
#   $cache_root/qemu/<version>/   a QEMU version: qemu-vN/ entries
# An entry is published whole, its `complete` file last. A key's `kind` file
# says which source it comes from ("host amd64", "bookworm-backports-amd64
# amd64", "qemu bookworm-backports amd64"): a newer key of the same kind
# supersedes it, one of another kind (the backports kernel beside the host's)
# does not.
#
# Locks (flock):
#   KEY/.lock              exclusive while an entry of KEY is built (cache_lock)
#   KEY/ENTRY/complete     shared while a run uses ENTRY (cache_hold)
# A directory is removed only with all of these taken exclusively without
# waiting, then renamed away before it is deleted: nothing being built or used
# is touched. A run that opened `complete` just before the removal finds the
# path gone (or another file there) once it has its lock, and looks again.

# True if the open file FD and the path PATH are the same file.
cache_same_file() { # FD PATH
	[ "$(stat -L -c %d:%i "/dev/fd/$1" 2>/dev/null)" = "$(stat -c %d:%i "$2" 2>/dev/null)" ]
}

# cache_lock DIR SECONDS: creates DIR and waits (at most SECONDS) for an
# exclusive lock on DIR/.lock, held on the fd in $cache_lock_fd until
# cache_unlock or exit. Status 1 on time-out.
cache_lock() {
	local dir=$1 secs=$2
	while :; do
		mkdir -p "$dir"
		exec {cache_lock_fd}>"$dir/.lock"
		flock -w "$secs" "$cache_lock_fd" || return 1
		# Pruned while we waited: our lock is on a deleted file.
		cache_same_file "$cache_lock_fd" "$dir/.lock" && return 0
		exec {cache_lock_fd}>&-
	done
}

cache_unlock() { exec {cache_lock_fd}>&-; }

# cache_hold ENTRY: a shared lock on ENTRY/complete until this shell and the
# processes it starts have exited, so that ENTRY is not pruned while in use.
# Status 1 if ENTRY is no (longer a) complete entry.
cache_hold() {
	local fd
	[ -f "$1/complete" ] || return 1
	exec {fd}<"$1/complete" || return 1
	if flock -s -w 600 "$fd" && cache_same_file "$fd" "$1/complete"; then
		return 0
	fi
	exec {fd}<&-
	return 1
}

# cache_remove DIR: removes the key or entry DIR unless one of its locks is
# taken. Status 1 if it was kept.
cache_remove() {
	local dir=$1
	(
		for f in "$dir/.lock" "$dir/complete" "$dir"/*/complete; do
			[ -e "$f" ] || continue
			exec {fd}<"$f" || exit 1
			flock -n -x "$fd" || exit 1
		done
		trash=$(mktemp -d "$(dirname "$dir")/.trash.XXXXXX") || exit 1
		mv "$dir" "$trash/" || exit 1
		rm -rf "$trash"
	)
}

# True if version-like name A sorts before B (sort -V).
cache_older() { # A B
	[ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$1" ]
}

# cache_prune PARENT CURRENT GLOB: removes the directories of PARENT matching
# GLOB that CURRENT supersedes: older by name (sort -V) and, if CURRENT has a
# kind file, of the same kind. Those in use or being built are kept.
cache_prune() {
	local parent=$1 current=$2 glob=$3 kind='' d name
	[ -f "$parent/$current/kind" ] && kind=$(cat "$parent/$current/kind")
	rm -rf "$parent"/.trash.* 2>/dev/null || true # left by an interrupted removal
	for d in "$parent"/$glob; do
		name=${d##*/}
		if [ ! -d "$d" ] || ! cache_older "$name" "$current"; then
			continue
		fi
		if [ -n "$kind" ] && [ "$(cat "$d/kind" 2>/dev/null)" != "$kind" ]; then
			continue
		fi
		if cache_remove "$d"; then
			say "removed the superseded cache $d"
		else
			say "kept the superseded cache $d: in use or being built"
		fi
	done
}

# cache_prune_superseded ROOT KEY ENTRY: after ENTRY of KEY (ROOT/KEY/ENTRY)
# was built, under KEY's lock: older entries of the same series in KEY
# (guest-v2 when ENTRY is guest-v3) and older keys of KEY's kind in ROOT.
cache_prune_superseded() {
	local root=$1 key=$2 entry=$3
	cache_prune "$root/$key" "$entry" "${entry%%-*}-*"
	[ -f "$root/$key/kind" ] && cache_prune "$root" "$key" '*'
	return 0
}

# cache_set_kind KEYDIR KIND: records KEYDIR's kind once (the first writer's
# stays), atomically.
cache_set_kind() {
	[ -f "$1/kind" ] && return 0
	mkdir -p "$1"
	echo "$2" >"$1/.kind.$$" && { mv -n "$1/.kind.$$" "$1/kind" || true; }
	rm -f "$1/.kind.$$"
}
