# shellcheck shell=bash disable=SC2154 # cache_root is the caller's
# SPDX-License-Identifier: MIT
#
# A private apt configuration for fetching (never installing) Debian packages
# that the host's apt does not offer: another suite (bookworm-backports) or
# another architecture (arm64). Sourced by build-guest.sh and backports.sh.
#
# The configuration lives in the shared cache, $cache_root/apt/NAME:
#   sources.list    written here from the host's own archive URLs
#   lists/ cache/   apt's state, refreshed at most once a day under .lock
# It is used with -o Dir::Etc::sourcelist/sourceparts/State::Lists/Cache, so
# neither /etc/apt nor /var/lib/apt is touched; the host's dpkg database is
# only read.
#
# Callers set cache_root and define say() and die() first.

# apt_setup NAME ARCH SUITE...: defines the private configuration NAME for
# packages of ARCH from the host archive's SUITEs (component main) and brings
# its package lists up to date. Sets apt_dir. Exit status 0 or die.
apt_setup() {
	local name=$1 arch=$2 suite uri
	shift 2
	apt_dir=$cache_root/apt/$name
	mkdir -p "$apt_dir"/lists/partial "$apt_dir"/cache/archives/partial
	{
		flock -w 600 7 || die "timed out waiting for $apt_dir/.lock"
		# The archive URL of each suite as the host's apt knows it (the
		# host's codename suites; -backports and -updates share the main
		# archive's URL, -security has its own).
		local list=$apt_dir/sources.list.new
		: >"$list"
		for suite in "$@"; do
			uri=$(apt_host_uri "$suite")
			[ -n "$uri" ] || die "no archive URL for suite '$suite' in the host's apt sources"
			echo "deb [arch=$arch] $uri $suite main" >>"$list"
		done
		if ! cmp -s "$list" "$apt_dir/sources.list" ||
			[ -z "$(find "$apt_dir/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440)" ]; then
			mv "$list" "$apt_dir/sources.list"
			say "updating the package lists of $apt_dir ($*, $arch)"
			# Lists a day old still name what the cache holds: an archive
			# that cannot be reached then only costs freshness.
			if ! timeout 600 apt-get "${apt_opts[@]}" -q update </dev/null >&2; then
				[ -n "$(find "$apt_dir/lists" -maxdepth 1 -name '*_Packages*')" ] ||
					die "apt-get update failed for $apt_dir"
				say "warning: apt-get update failed for $apt_dir; using the old lists"
			fi
		else
			rm -f "$list"
		fi
	} 7>"$apt_dir/.lock"
}

# The options that select the private configuration (after apt_setup).
apt_opts_for() { # ARCH
	apt_opts=(-o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o Dir::Etc::sourceparts=/dev/null
		-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
		-o "APT::Architecture=$1" -o "APT::Architectures::=$1" -o APT::Sandbox::User=root)
}

# The URL of the host's archive that serves SUITE (or, for SUITE-backports and
# SUITE-updates, the one that serves SUITE).
apt_host_uri() { # SUITE
	local want=$1 base=${1%-backports}
	# shellcheck disable=SC2016 # apt's own $(...) fields
	apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
		awk -v want="$want" -v base="$base" '
			$2 == want { print $1; found = 1; exit }
			$2 == base && !alt { alt = $1 }
			END { if (!found && alt) print alt }'
}

# apt_private NAME ARCH SUITE...: apt_setup with the options set up for ARCH.
apt_private() {
	local name=$1 arch=$2
	apt_dir=$cache_root/apt/$name
	apt_opts_for "$arch"
	apt_setup "$@"
}

# apt-cache / apt-get (at most 15 min) on the private configuration, reading
# its lists under a shared lock.
papt_cache() { flock -s -w 600 "$apt_dir/.lock" apt-cache "${apt_opts[@]}" "$@"; }
papt_get() { flock -s -w 600 "$apt_dir/.lock" timeout 900 apt-get "${apt_opts[@]}" "$@"; }
