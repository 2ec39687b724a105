#!/usr/bin/env bash
# The Debian package: builds it from a copy of the source tree with the
# distribution's tools (dpkg-buildpackage -b -us -uc), installs it with
# dpkg -i, checks the installed daemon (--version, --print-capabilities) and
# files, then purges it. Installs its build dependencies itself. Needs root
# (CI runs as root); refuses to touch an already installed vhost-user-i2c.
# Usage: check-package.sh SOURCE_DIR VERSION
set -euo pipefail
src=$1 version=$2
pkg=vhost-user-i2c

if [ "$(id -u)" -ne 0 ]; then
	echo "the package test installs a .deb: it must run as root"
	exit 1
fi
if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
	echo "$pkg is already installed on this machine; not replacing it"
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
deps=(dpkg-dev debhelper fakeroot build-essential cmake pkg-config libseccomp-dev)
missing=()
for p in "${deps[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
fi

tmp=$(mktemp -d)
cleanup() {
	dpkg --purge "$pkg" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

mkdir "$tmp/$pkg-$version"
tar -C "$src" --exclude='./build*' --exclude=./.git --exclude='./obj-*' -cf - . |
	tar -C "$tmp/$pkg-$version" -xf -
(cd "$tmp/$pkg-$version" && dpkg-buildpackage -b -us -uc >"$tmp/build.log" 2>&1) || {
	tail -40 "$tmp/build.log"
	echo "dpkg-buildpackage failed"
	exit 1
}
deb=$(ls "$tmp"/${pkg}_"$version"_*.deb)
echo "built $(basename "$deb")"
dpkg-deb -c "$deb"
dpkg -i "$deb"

fail() {
	echo "FAIL: $*"
	exit 1
}
bin=/usr/libexec/$pkg
[ -x "$bin" ] || fail "$bin missing"
[ "$("$bin" --version)" = "$pkg $version" ] || fail "--version says '$("$bin" --version)'"
[ "$("$bin" --print-capabilities)" = '{"type": "i2c", "features": []}' ] ||
	fail "--print-capabilities"
for f in /usr/share/man/man8/$pkg.8.gz /usr/share/man/man1/$pkg-ctl.1.gz /usr/bin/$pkg-ctl \
	/lib/systemd/system/$pkg@.service \
	/usr/lib/sysusers.d/$pkg.conf /usr/share/doc/$pkg/examples/50-$pkg.json \
	/usr/share/doc/$pkg/README.md.gz /usr/share/doc/$pkg/example.conf /usr/share/doc/$pkg/copyright; do
	[ -f "$f" ] || fail "$f missing"
done
[ -d /etc/$pkg ] || fail "/etc/$pkg missing"
grep -q "^ExecStart=$bin " /lib/systemd/system/$pkg@.service || fail "unit ExecStart"
grep -q "\"binary\": \"$bin\"" /usr/share/doc/$pkg/examples/50-$pkg.json || fail "json binary"
if command -v python3 >/dev/null; then
	python3 -m json.tool /usr/share/doc/$pkg/examples/50-$pkg.json >/dev/null || fail "json"
fi
getent passwd $pkg >/dev/null || fail "user $pkg not created"
zcat /usr/share/man/man8/$pkg.8.gz | grep -q '^\.TH VHOST-USER-I2C 8' || fail "man page"
# The installed daemon serves: a socket appears, SIGTERM ends it with status 0.
"$bin" -s "$tmp/s" -e stub@0x20 &
pid=$!
for _ in $(seq 50); do [ -S "$tmp/s0" ] && break; sleep 0.1; done
[ -S "$tmp/s0" ] || fail "installed daemon did not listen"
kill -TERM $pid
wait $pid || fail "installed daemon exit status $?"

dpkg --purge $pkg
[ ! -e "$bin" ] || fail "$bin left after purge"
echo "OK: $pkg $version built, installed, checked and purged"
