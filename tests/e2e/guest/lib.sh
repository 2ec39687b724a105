# SPDX-License-Identifier: MIT
#
# Helpers for the guest scenario scripts (busybox sh, sourced by /init).
# Results: every check prints "ok - what" or "not ok - what: why"; `finish`
# prints the tally and returns non-zero if anything failed. Parameters chosen
# by the host (configured addresses, temperatures, ...) are in /e2e/params.

FAILS=0
CHECKS=0
[ -f /e2e/params ] && . /e2e/params

pass() {
	CHECKS=$((CHECKS + 1))
	echo "ok - $1"
}

fail() {
	CHECKS=$((CHECKS + 1))
	FAILS=$((FAILS + 1))
	echo "not ok - $1"
}

# The words of its arguments separated by single blanks (i2ctransfer prints
# one line per read message, some tools end lines with a blank).
words() {
	# shellcheck disable=SC2048,SC2086 # splitting is the point
	echo $*
}

# check_eq WHAT EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1: expected '$2', got '$3'"
	fi
}

# Runs a command, echoing it and its output. Its status is returned and its
# output is left in $OUT.
run() {
	echo "\$ $*"
	OUT=$("$@" 2>&1)
	local rc=$?
	[ -n "$OUT" ] && echo "$OUT"
	[ $rc -eq 0 ] || echo "(exit status $rc)"
	return $rc
}

# check_ok WHAT CMD...: the command must succeed; its output is in $OUT.
check_ok() {
	local what=$1
	shift
	if run "$@"; then
		pass "$what"
	else
		fail "$what: command failed"
		return 1
	fi
}

# check_fails WHAT CMD...: the command must fail.
check_fails() {
	local what=$1
	shift
	if run "$@"; then
		fail "$what: command succeeded but must fail"
		return 1
	fi
	pass "$what"
}

# check_out WHAT EXPECTED CMD...: the command must succeed and print EXPECTED.
check_out() {
	local what=$1 expected=$2
	shift 2
	if ! run "$@"; then
		fail "$what: command failed"
		return 1
	fi
	check_eq "$what" "$expected" "$(words "$OUT")"
}

finish() {
	echo "# $CHECKS checks, $FAILS failed"
	[ "$FAILS" -eq 0 ] && [ "$CHECKS" -gt 0 ]
}

# Arm guests also load virtio-mmio (the transports of QEMU's virt machine);
# the x86 initramfs does not carry it.
load_modules() {
	if [ "$(uname -m)" = aarch64 ]; then
		modprobe virtio_mmio || return 1
	fi
	modprobe virtio_pci && modprobe i2c-dev && modprobe i2c-virtio
}

# Bus numbers of the virtio-i2c adapters, one per line, in device order.
vi2c_buses() {
	local d name
	for d in /sys/bus/i2c/devices/i2c-*; do
		[ -e "$d/name" ] || continue
		name=$(cat "$d/name")
		case $name in
		i2c_virtio*) echo "${name##* } ${d##*/i2c-}" ;;
		esac
	done | sort -n | while read -r _ bus; do echo "$bus"; done
}

# Waits up to 10 s for a virtio-i2c adapter and prints its bus number.
vi2c_bus() {
	local i=0 bus
	while [ $i -lt 100 ]; do
		bus=$(vi2c_buses | head -n1)
		if [ -n "$bus" ] && [ -e "/dev/i2c-$bus" ]; then
			echo "$bus"
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# Addresses i2cdetect shows as present (a number or UU) on a bus, as
# "0x1c 0x50 ...". i2cdetect prints rows "70: " followed by 16 three-character
# cells, so cell N of a row starts at column 5 + 3 * N.
detect_map() {
	i2cdetect -y "$1" | awk '
		/^[0-7]0:/ {
			row = index("01234567", substr($0, 1, 1)) - 1
			for (i = 0; i < 16; i++) {
				cell = substr($0, 5 + 3 * i, 2)
				if (cell ~ /^[0-9a-f][0-9a-f]$/ || cell == "UU")
					printf("%s0x%02x", n++ ? " " : "", row * 16 + i)
			}
		}
		END { printf("\n") }'
}

# The sysfs directory of the client at ADDR on BUS, e.g. /sys/bus/i2c/devices/0-0050.
client_dir() {
	printf '/sys/bus/i2c/devices/%d-%04x' "$1" "$2"
}

# new_client BUS MODEL ADDR: instantiates a kernel driver from userspace.
new_client() {
	echo "\$ echo $2 $3 > /sys/bus/i2c/devices/i2c-$1/new_device"
	echo "$2 $3" >"/sys/bus/i2c/devices/i2c-$1/new_device"
}

# Bytes of a file as "0x.. 0x.." (the format i2ctransfer prints).
hex_bytes() {
	od -An -v -tx1 "$1" | awk '{ for (i = 1; i <= NF; i++) printf("%s0x%s", n++ ? " " : "", $i) } END { printf("\n") }'
}

# host_step BUS N: takes a turn with the host (tests/e2e/run.sh's helper,
# over the control socket) through the mailbox register map at 0x40: writes
# step N to register 0 and waits (30 s) for the host to acknowledge it with
# N in register 1. Fails if the host acknowledges 0xee instead (its check of
# the step failed) or not at all.
host_step() {
	local i=0 ack
	i2cset -y "$1" 0x40 0x00 "$2" || return 1
	while [ $i -lt 300 ]; do
		ack=$(i2cget -y "$1" 0x40 0x01 2>/dev/null)
		[ "$ack" = "$(printf '0x%02x' "$2")" ] && return 0
		[ "$ack" = 0xee ] && return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
