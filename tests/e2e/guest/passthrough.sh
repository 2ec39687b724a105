# SPDX-License-Identifier: MIT
#
# Helpers for the host-passthrough scenarios (busybox sh, sourced by the
# t_passthrough_*.sh scripts after lib.sh): a daemon started inside the guest
# on the guest kernel's adapters, and vi2c-drive playing its VMM.

VI2C=/e2e/bin/vhost-user-i2c
DRIVE=/e2e/bin/vi2c-drive

# Bus number of the adapter named NAME, or nothing.
bus_named() {
	local d
	for d in /sys/bus/i2c/devices/i2c-*; do
		[ "$(cat "$d/name" 2>/dev/null)" = "$1" ] && echo "${d##*/i2c-}"
	done
}

# start_daemon NAME ARGS...: starts the daemon in the background with
# -s /tmp/NAME -v ARGS, waits up to 10 s for its socket /tmp/NAME0 and sets
# DAEMON_PID. Its log is /tmp/NAME.log. Returns non-zero (with a failed
# check) if it did not come up.
start_daemon() {
	local name="$1" i=0
	shift
	echo "\$ $VI2C -s /tmp/$name -v $* &"
	"$VI2C" -s "/tmp/$name" -v "$@" </dev/null >"/tmp/$name.log" 2>&1 &
	DAEMON_PID=$!
	while [ $i -lt 100 ]; do
		if [ -S "/tmp/${name}0" ]; then
			pass "daemon '$name' listens on /tmp/${name}0"
			return 0
		fi
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	fail "daemon '$name' did not create /tmp/${name}0"
	cat "/tmp/$name.log"
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID"
	DAEMON_PID=
	return 1
}

# stop_daemon NAME: SIGTERM; it must exit 0 within 10 s and remove its socket.
stop_daemon() {
	local name="$1" i=0 rc
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID"
	while [ $i -lt 100 ] && kill -0 "$DAEMON_PID" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$DAEMON_PID" 2>/dev/null; then
		fail "daemon '$name' still runs 10 s after SIGTERM"
		kill -KILL "$DAEMON_PID"
	fi
	wait "$DAEMON_PID"
	rc=$?
	DAEMON_PID=
	check_eq "daemon '$name' exits 0 on SIGTERM" 0 "$rc"
	if [ -e "/tmp/${name}0" ]; then
		fail "daemon '$name' left its socket /tmp/${name}0 behind"
	else
		pass "daemon '$name' removed its socket"
	fi
	echo "--- log of daemon '$name' ---"
	cat "/tmp/$name.log"
	echo "--- end of log ---"
}

# drive WHAT EXPECTED SOCKET GROUP [-- GROUP]...: vi2c-drive must answer
# every group and print exactly EXPECTED (its lines joined by blanks).
drive() {
	local what="$1" expected="$2"
	shift 2
	check_out "$what" "$expected" "$DRIVE" -t 10000 "$@"
}

# start_fails WHAT NAME PATTERN ARGS...: the daemon started with
# -s /tmp/NAME ARGS must exit with status 1, print a line matching PATTERN
# (grep -E) and create no socket.
start_fails() {
	local what="$1" name="$2" pattern="$3" rc
	shift 3
	echo "\$ $VI2C -s /tmp/$name $*"
	OUT=$(timeout 20 "$VI2C" -s "/tmp/$name" "$@" </dev/null 2>&1)
	rc=$?
	echo "$OUT"
	echo "(exit status $rc)"
	check_eq "$what: exit status 1" 1 "$rc"
	if echo "$OUT" | grep -qE "$pattern"; then
		pass "$what: the message says why"
	else
		fail "$what: no line matching '$pattern' in its output"
	fi
	if [ -e "/tmp/${name}0" ]; then
		fail "$what: it left a socket /tmp/${name}0"
		rm -f "/tmp/${name}0"
	else
		pass "$what: no socket created"
	fi
}

# Byte values FROM..TO as "0x.. 0x..".
byte_seq() {
	local i="$1" out=
	while [ "$i" -le "$2" ]; do
		out="$out $(printf '0x%02x' "$i")"
		i=$((i + 1))
	done
	words "$out"
}
