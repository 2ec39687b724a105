#!/usr/bin/env bash
# The systemd template unit: installed into a scratch prefix (so ExecStart
# names a binary that exists), then `systemd-analyze verify` on an instance.
# verify exits 0 even for unknown keys or unparsable values, so any line it
# prints about our unit fails the test. The unit must also keep its hardening
# (an offline `systemd-analyze security` exposure of at most 3.0). The files
# the man page's FILES section names under /usr are where it says.
# systemd-analyze is installed if missing (needs root, as in CI); if it cannot
# be had, the test fails: it is never skipped.
# Usage: check-systemd.sh BUILD_DIR
set -euo pipefail
build=$1

if ! command -v systemd-analyze >/dev/null; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "systemd-analyze is missing and we are not root to install it"
		exit 1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd </dev/null
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
units=$tmp/prefix/lib/systemd/system
unit=$units/vhost-user-i2c@.service
test -f "$unit"
test -x "$tmp/prefix/libexec/vhost-user-i2c"
grep -q "^ExecStart=$tmp/prefix/libexec/vhost-user-i2c " "$unit"
grep -q "^EnvironmentFile=$tmp/prefix/etc/vhost-user-i2c/%i.conf$" "$unit"
# Every installed file the man page's FILES section names (under /usr) is
# installed there by default.
man=$(dirname "$0")/../../man/vhost-user-i2c.8
files=$(awk '/^\.SH FILES/ { on = 1; next } /^\.SH / { on = 0 }
	on && tag { print; tag = 0 } on && /^\.TP/ { tag = 1 }' "$man" | sed 's/\\-/-/g; s/^\.I //')
[ -n "$files" ] || { echo "no FILES entries found in $man"; exit 1; }
for f in $files; do
	case $f in
	/usr/*)
		[ -f "$tmp/prefix${f#/usr}" ] || { echo "man FILES names $f, which is not installed"; exit 1; } ;;
	esac
done
ln -s vhost-user-i2c@.service "$units/vhost-user-i2c@vm1.service"

# --man=no: the Documentation= man page is not installed system-wide here.
out=$(cd "$units" && systemd-analyze verify --man=no ./vhost-user-i2c@vm1.service 2>&1) || {
	echo "systemd-analyze verify failed:"
	echo "$out"
	exit 1
}
if echo "$out" | grep -q 'vhost-user-i2c'; then
	echo "systemd-analyze verify complains about the unit:"
	echo "$out"
	exit 1
fi

for d in 'NoNewPrivileges=yes' 'PrivateTmp=yes' 'ProtectSystem=strict' 'ProtectHome=yes' \
	'DevicePolicy=closed' 'DeviceAllow=char-i2c rw' 'RuntimeDirectory=vhost-user-i2c/%i' \
	'User=vhost-user-i2c'; do
	grep -qxF "$d" "$unit" || { echo "unit lacks $d"; exit 1; }
done
(cd "$units" && systemd-analyze security --offline=yes --threshold=30 --man=no \
	./vhost-user-i2c@vm1.service | tail -1)
echo "OK: systemd-analyze verify is silent on vhost-user-i2c@vm1.service"
