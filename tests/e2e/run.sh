#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Runs one end-to-end scenario: starts the daemon with the scenario's emulated
# devices, boots real Linux guests (QEMU, TCG) with a vhost-user-i2c device on
# its sockets, runs the scenario's script in each guest and checks the
# verdict (QEMU's exit status AND the console marker), then stops the daemon
# (it must exit 0 and remove its sockets) and makes the host-side checks
# (e.g. EEPROM files). Logs the QEMU and guest kernel versions it used. Prints
# the guest console and the daemon log tail on failure. Leaves no process,
# socket or temporary file behind.
#
# Usage: run.sh [--daemon PATH] [--guest-daemon PATH] [--guest-drive PATH]
#               [--backports] [--arch amd64|arm64] [--transport pci|mmio]
#               [--show] SCENARIO
#   SCENARIO  smoke | transfers | drivers | ee1004 | models | rebind | two_vms |
#             demo | passthrough_smbus | passthrough_rdwr | control |
#             ee1004_hotplug
#   --daemon        the vhost-user-i2c binary (default: $VI2C_DAEMON)
#   --guest-daemon  static vhost-user-i2c for inside the guest, passthrough_*
#                   scenarios only (default: $VI2C_GUEST_DAEMON)
#   --guest-drive   static vi2c-drive for inside the guest, passthrough_*
#                   scenarios only (default: $VI2C_GUEST_DRIVE)
#   --backports     QEMU and guest kernel from Debian's bookworm-backports
#                   (QEMU 10.0 x Linux 6.12 today; tests/e2e/backports.sh
#                   fetches them into the cache and sets the VI2C_E2E_*
#                   variables below)
#   --arch arm64    an aarch64 guest: qemu-system-aarch64 -M virt, Debian's
#                   arm64 kernel (build-guest.sh --arch arm64); every
#                   scenario but smoke and passthrough_* (CI runs transfers
#                   and drivers)
#   --transport     pci (default): vhost-user-i2c-pci; mmio (arm64 only):
#                   vhost-user-i2c-device on the virt machine's virtio-mmio
#   --show          print the guest's session even on success (demo)
# Environment:
#   VI2C_E2E_QEMU             QEMU binary (default qemu-system-x86_64, or
#                             qemu-system-aarch64 for --arch arm64)
#   VI2C_E2E_QEMU_DATA        colon-separated firmware/data dirs, each passed
#                             as -L (default: none, QEMU's own)
#   VI2C_E2E_QEMU_MODULE_DIR  QEMU's module dir (exported as QEMU_MODULE_DIR;
#                             default: unset, QEMU's own)
#   VI2C_E2E_GUEST_DIR        prebuilt guest pieces (default: build-guest.sh's)
#   VI2C_E2E_KERNEL_ABI       guest kernel ABI for build-guest.sh (default: the
#                             current one of the host's suites)
#   VI2C_E2E_BOOT_TIMEOUT (s, default 240), VI2C_E2E_KEEP=1 keeps the
#   temporary directory, VI2C_E2E_CACHE overrides the cache directory.
# Scenario functions and traps are called indirectly; QEMU options contain commas.
# shellcheck disable=SC2317,SC2054
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
daemon=${VI2C_DAEMON:-}
guest_daemon=${VI2C_GUEST_DAEMON:-}
guest_drive=${VI2C_GUEST_DRIVE:-}
show=0
boot_timeout=${VI2C_E2E_BOOT_TIMEOUT:-240}
backports=0
arch=${VI2C_E2E_GUEST_ARCH:-amd64}
transport=pci

usage() {
	echo "usage: $0 [--daemon PATH] [--guest-daemon PATH] [--guest-drive PATH]" \
		"[--backports] [--arch amd64|arm64] [--transport pci|mmio] [--show] SCENARIO" >&2
}

while [ $# -gt 0 ]; do
	case $1 in
	--daemon)
		daemon=$2
		shift 2
		;;
	--guest-daemon)
		guest_daemon=$2
		shift 2
		;;
	--guest-drive)
		guest_drive=$2
		shift 2
		;;
	--backports)
		backports=1
		shift
		;;
	--arch)
		arch=$2
		shift 2
		;;
	--transport)
		transport=$2
		shift 2
		;;
	--show)
		show=1
		shift
		;;
	-*)
		usage
		exit 2
		;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || {
	usage
	exit 2
}
scenario=$1
case $arch/$transport in
amd64/pci | arm64/pci | arm64/mmio) ;;
*)
	echo "unsupported --arch '$arch' with --transport '$transport'" \
		"(amd64: pci; arm64: pci or mmio)" >&2
	exit 2
	;;
esac
if [ "$arch" = arm64 ] && [ $backports = 1 ]; then
	echo "--backports is for amd64 guests only" >&2
	exit 2
fi

say() { printf '== %s\n' "$*"; }

# ---------------------------------------------------------------------------
# Process and file hygiene: everything we start is tracked by PID.
tmp=
daemon_pid=
helper_pid=
qemu_pids=()

cleanup() {
	local pid
	if [ -n "$helper_pid" ]; then
		kill -TERM "$helper_pid" 2>/dev/null || true
		wait "$helper_pid" 2>/dev/null || true
	fi
	for pid in "${qemu_pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${qemu_pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill -TERM "$daemon_pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$daemon_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
	fi
	if [ -n "$tmp" ] && [ "${VI2C_E2E_KEEP:-0}" != 1 ]; then
		rm -rf "$tmp"
	elif [ -n "$tmp" ]; then
		echo "kept $tmp" >&2
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

failed=0
fail() {
	echo "FAIL: $*"
	failed=1
}

# Bytes of a file (or part of it) as "0x.. 0x..", the format the guest prints.
hex_bytes() {
	od -An -v -tx1 "$@" | awk '{ for (i = 1; i <= NF; i++) printf("%s0x%s", n++ ? " " : "", $i) } END { printf("\n") }'
}

random_file() { # PATH SIZE
	head -c "$2" /dev/urandom >"$1"
}

# ---------------------------------------------------------------------------
# Scenarios. Each sets:
#   NVMS           guests to boot at once (0: no daemon, no vhost-user device)
#   DAEMON_ARGS    emulated devices etc. (-s and -c are added here)
#   GUEST_TEST     guest script tests/e2e/guest/t_<name>.sh
#   GUEST_PROGRAMS 1: the guest gets the static daemon and vi2c-drive in
#                  /e2e/bin and the helpers tests/e2e/guest/passthrough.sh
# and may write guest parameters (shell assignments) to $tmp/params, files for
# the guest to $tmp/data/, and define post_check (runs after the daemon stopped)
# and host_helper (runs in the background while the guests run; must exit 0).
post_check() { :; }
host_helper=

scenario_smoke() {
	NVMS=0
	GUEST_TEST=smoke
}

# Bus scan, SMBus tools, write+read with repeated start, more messages than
# the queue holds, absent addresses.
scenario_transfers() {
	NVMS=1
	GUEST_TEST=transfers
	random_file "$tmp/e02.bin" 256
	random_file "$tmp/e32.bin" 4096
	cp "$tmp/e02.bin" "$tmp/e02.orig"
	cp "$tmp/e32.bin" "$tmp/e32.orig"
	DAEMON_ARGS=(-e stub@0x1c -e lm75@0x48,temp=31.5
		-e "24c02@0x50,file=$tmp/e02.bin" -e "24c32@0x54,file=$tmp/e32.bin")
	# QEMU's PCI device has a queue of 4; over virtio-mmio the guest picks
	# a far larger one.
	local queue=4
	[ "$transport" = mmio ] && queue=large
	cat >>"$tmp/params" <<-EOF
		QUEUE_SIZE=$queue
		EXPECT_MAP="0x1c 0x48 0x50 0x54"
		E02_AT_20="$(hex_bytes -j 0x20 -N 8 "$tmp/e02.bin")"
		E32_AT_0123="$(hex_bytes -j 0x123 -N 8 "$tmp/e32.bin")"
	EOF
	post_check() {
		# The guest wrote 0xde 0xad at 0x10 of the 24c02 and 0xbe 0xef at
		# 0x0ff0 of the 24c32; nothing else may have changed.
		printf '\xde\xad' | dd of="$tmp/e02.orig" bs=1 seek=$((0x10)) conv=notrunc status=none
		printf '\xbe\xef' | dd of="$tmp/e32.orig" bs=1 seek=$((0xff0)) conv=notrunc status=none
		cmp "$tmp/e02.orig" "$tmp/e02.bin" || fail "24c02 file content differs from the guest's writes"
		cmp "$tmp/e32.orig" "$tmp/e32.bin" || fail "24c32 file content differs from the guest's writes"
	}
}

# The guest's own at24 and lm75 drivers on emulated chips. The 24c02 has a
# 5 ms write cycle (write_cycle_us): at24 must retry through its NACKs, and
# the trace must show that some of its messages were NACKed (ERR), while the
# 24c32, without one, never NACKs. (Bound through new_device, at24 has no page
# size and writes one byte at a time: a cycle costs ~6 ms per byte, so it goes
# on the small part.)
scenario_drivers() {
	NVMS=1
	GUEST_TEST=drivers
	mkdir -p "$tmp/data"
	random_file "$tmp/e02.bin" 256
	random_file "$tmp/e32.bin" 4096
	cp "$tmp/e02.bin" "$tmp/data/e02.old"
	cp "$tmp/e32.bin" "$tmp/data/e32.old"
	random_file "$tmp/data/e02.new" 256
	random_file "$tmp/data/e32.new" 4096
	DAEMON_ARGS=(-e "24c02@0x50,file=$tmp/e02.bin,write_cycle_us=5000"
		-e "24c32@0x57,file=$tmp/e32.bin"
		-e lm75@0x48,temp=31.5 -e lm75@0x49,temp=-12.5 "--trace=$tmp/trace")
	cat >>"$tmp/params" <<-EOF
		EXPECT_MAP="0x48 0x49 0x50 0x57"
	EOF
	post_check() {
		cmp "$tmp/data/e02.new" "$tmp/e02.bin" ||
			fail "24c02 host file does not hold what the guest wrote through at24"
		cmp "$tmp/data/e32.new" "$tmp/e32.bin" ||
			fail "24c32 host file does not hold what the guest wrote through at24"
		grep -q '@0x50 .*-> ERR@0' "$tmp/trace" ||
			fail "24c02 (write_cycle_us=5000): no NACK in the trace, no write cycle met"
		! grep -q '@0x57 .*-> ERR' "$tmp/trace" ||
			fail "24c32 (no write cycle): NACKed"
	}
}

# The guest's ee1004 driver on two emulated DDR4 SPD EEPROMs (page select at
# 0x36/0x37 shared by both), file-backed: its eeprom file must equal the host
# file, all 512 bytes (both pages), for each.
scenario_ee1004() {
	NVMS=1
	GUEST_TEST=ee1004
	mkdir -p "$tmp/data"
	random_file "$tmp/spd50.bin" 512
	random_file "$tmp/spd53.bin" 512
	cp "$tmp/spd50.bin" "$tmp/data/spd50"
	cp "$tmp/spd53.bin" "$tmp/data/spd53"
	DAEMON_ARGS=(-e "ee1004@0x50,file=$tmp/spd50.bin" -e "ee1004@0x53,file=$tmp/spd53.bin"
		-e lm75@0x48)
	# i2cdetect reads (not quick-writes) 0x30-0x37: 0x36 ACKs in page 0, 0x37 never.
	cat >>"$tmp/params" <<-EOF
		EXPECT_MAP="0x36 0x48 0x50 0x53"
	EOF
	post_check() {
		cmp "$tmp/data/spd50" "$tmp/spd50.bin" || fail "ee1004 0x50: the host file changed"
		cmp "$tmp/data/spd53" "$tmp/spd53.bin" || fail "ee1004 0x53: the host file changed"
	}
}

# The guest's own drivers on the sensor, ADC, GPIO and RTC models (issue 13):
# one boot for all of them but the DS3231, which shares the DS1307's address:
# it is on the bus of a second guest booted at the same time. Each guest
# first reads the start values (-e ...,NAME=VALUE); then the host `set`s new
# values over the control socket and the guest reads those; then the guest
# sets the RTC (hwclock -w) and drives GPIO lines, and the host's `get` must
# show the new offset and outputs. Guest and host take turns through a
# mailbox register map at 0x40 on each guest's bus, as in the control
# scenario (models_helper, guest/t_models.sh).
scenario_models() {
	NVMS=2
	GUEST_TEST=models
	echo '{"size": 2}' >"$tmp/mailbox.json"
	DAEMON_ARGS=(--guest 0 -e tmp102@0x48,temp=-12.125 -e jc42@0x18,temp=36.75
		-e sht3x@0x44,temp=23.4,humidity=56.7 -e ads1015@0x4a,ain0=1.234,ain3=0.5
		-e bmp280@0x76,temp=21.37,pressure=1002.5 -e pca9555@0x20,inputs=0xa5a5
		-e ds1307@0x68,offset=3600 -e "regmap@0x40,map=$tmp/mailbox.json"
		--guest 1 -e ds3231@0x68,offset=-7200.5 -e "regmap@0x40,map=$tmp/mailbox.json"
		"--control=$tmp/ctl")
	# After the run-time set (step 1): what the host sets, what the guest
	# must read. tmp102/jc42: multiples of 0.125 C, exact in the drivers.
	cat >>"$tmp/params" <<-EOF
		EXPECT_MAP="0x18 0x20 0x40 0x44 0x48 0x4a 0x68 0x76"
		TMP102_MC=-12125
		JC42_MC=36750
		SHT3X_MC=23400
		SHT3X_MRH=56700
		ADS_AIN0_MV=1234
		ADS_AIN3_MV=500
		BMP280_MC=21370
		BMP280_KPA=100.25
		PCA_INPUTS=$((0xa5a5))
		RTC_OFFSET=3600
		RTC3231_OFFSET=-7200
		SET_TMP102_MC=85375
		SET_JC42_MC=-20500
		SET_SHT3X_MC=-10500
		SET_SHT3X_MRH=20250
		SET_ADS_MV="250 1500 750 2000"
		SET_BMP280_MC=-5250
		SET_BMP280_KPA=95.075
		SET_PCA_INPUTS=$((0x5a3c))
		SET_RTC_OFFSET=-30000000
		SET_RTC3231_OFFSET=123456789
		GUEST_RTC_OFFSET=864777
		GUEST_RTC3231_OFFSET=-259255
	EOF
	host_helper=models_helper
}

# The host side of the models scenario, for both guests at once: polls each
# guest's mailbox register 0 for its step number, does the step, and
# acknowledges it in register 1 (with 0xee instead if a check of the step
# failed, so the guest stops waiting). Step 1: set new values on every
# model; step 2: the guest has written its RTC and driven GPIO lines, the
# host's get must show them. Exits 0 once every step of both guests was done
# and checked (bounded by the boot timeout).
models_helper() {
	python3 - "$tmp/ctl" "$boot_timeout" "$tmp/params" "$here" <<-'EOF'
		import sys
		sys.path.insert(0, sys.argv[4])
		from ctl import Control
		# The values: the guest's parameters (SET_*: what the guest must read
		# after step 1, in the drivers' units; GUEST_*: the RTC offsets it writes).
		par = dict(l.strip().split("=", 1) for l in open(sys.argv[3]) if "=" in l)
		num = lambda k: float(par[k].strip('"'))
		ctl = Control(sys.argv[1])
		req = ctl.request
		def sets(guest, addr, props):
		    return req(cmd="set", guest=guest, addr=addr, props=props)["ok"]
		def near(guest, addr, prop, want, tol):
		    rep = req(cmd="get", guest=guest, addr=addr, props=[prop])
		    got = rep["props"][prop] if rep["ok"] else None
		    ok = got is not None and abs(got - want) <= tol
		    print("host: %s guest %d %s %s = %s, expected %s +- %s" %
		          ("ok" if ok else "FAIL", guest, addr, prop, got, want, tol), flush=True)
		    return ok
		ads = [int(mv) / 1000 for mv in par["SET_ADS_MV"].strip('"').split()]
		def g0_step1():
		    return all([sets(0, "0x48", {"temp": num("SET_TMP102_MC") / 1000}),
		                sets(0, "0x18", {"temp": num("SET_JC42_MC") / 1000}),
		                sets(0, "0x44", {"temp": num("SET_SHT3X_MC") / 1000,
		                                 "humidity": num("SET_SHT3X_MRH") / 1000}),
		                sets(0, "0x4a", {"ain%d" % i: v for i, v in enumerate(ads)}),
		                sets(0, "0x76", {"temp": num("SET_BMP280_MC") / 1000,
		                                 "pressure": num("SET_BMP280_KPA") * 10}),
		                sets(0, "0x20", {"inputs": int(num("SET_PCA_INPUTS"))}),
		                sets(0, "0x68", {"offset": num("SET_RTC_OFFSET")})])
		def g0_step2():
		    # The guest's hwclock -w wrote host time + GUEST_RTC_OFFSET (up to
		    # 1 s behind: whole seconds); GPIO line 1 is driven high, line 14
		    # low, every other line is an input.
		    return all([near(0, "0x68", "offset", num("GUEST_RTC_OFFSET"), 2),
		                near(0, "0x20", "outputs", 0x0002, 0),
		                near(0, "0x20", "config", 0xbffd, 0)])
		def g1_step1():
		    return sets(1, "0x68", {"offset": num("SET_RTC3231_OFFSET")})
		def g1_step2():
		    return near(1, "0x68", "offset", num("GUEST_RTC3231_OFFSET"), 2)
		steps = {0: [g0_step1, g0_step2], 1: [g1_step1, g1_step2]}
		sys.exit(0 if ctl.take_turns(steps, float(sys.argv[2])) else 1)
	EOF
}

# The guest driver unbound/rebound and removed/reloaded.
scenario_rebind() {
	NVMS=1
	GUEST_TEST=rebind
	DAEMON_ARGS=(-e stub@0x1c -e 24c02@0x50)
	cat >>"$tmp/params" <<-EOF
		EXPECT_MAP="0x1c 0x50"
	EOF
}

# Two guests on the two sockets of one daemon (-c 2), at the same time.
scenario_two_vms() {
	NVMS=2
	GUEST_TEST=two_vms
	DAEMON_ARGS=(-e stub@0x1c -e lm75@0x48,temp=-12.5)
	cat >>"$tmp/params" <<-EOF
		EXPECT_MAP="0x1c 0x48"
		ROUNDS=40
	EOF
}

# Host passthrough (-l, /dev/i2c-N) against the guest kernel's i2c-dev: the
# host has no I2C, so a second daemon runs inside the guest (static build),
# driven there by vi2c-drive as its VMM.

# SMBus mode: the guest's i2c-stub (no I2C_FUNC_I2C); no host daemon needed.
scenario_passthrough_smbus() {
	NVMS=0
	GUEST_TEST=passthrough_smbus
	GUEST_PROGRAMS=1
}

# I2C mode (I2C_RDWR): the guest's virtio-i2c adapter, served by the daemon
# here, passed through by the daemon in the guest.
scenario_passthrough_rdwr() {
	NVMS=1
	GUEST_TEST=passthrough_rdwr
	GUEST_PROGRAMS=1
	random_file "$tmp/e02.bin" 256
	cp "$tmp/e02.bin" "$tmp/e02.orig"
	DAEMON_ARGS=(-e "24c02@0x50,file=$tmp/e02.bin" -e stub@0x20 -e 24c32@0x52)
	cat >>"$tmp/params" <<-EOF
		E02="$(hex_bytes "$tmp/e02.bin")"
	EOF
	post_check() {
		# The guest wrote 0xde 0xad 0xbe 0xef at 0x10 through both daemons.
		printf '\xde\xad\xbe\xef' |
			dd of="$tmp/e02.orig" bs=1 seek=$((0x10)) conv=notrunc status=none
		cmp "$tmp/e02.orig" "$tmp/e02.bin" ||
			fail "24c02 file content differs from the guest's writes through the passthrough"
	}
}

# The control socket (--control): the host changes a sensor and injects a
# NACK while the guest's drivers run; guest and host take turns through a
# mailbox register map at 0x40 (see guest/t_control.sh).
scenario_control() {
	NVMS=1
	GUEST_TEST=control
	echo '{"size": 2}' >"$tmp/mailbox.json"
	DAEMON_ARGS=(-e lm75@0x48 -e stub@0x1c -e "regmap@0x40,map=$tmp/mailbox.json"
		"--control=$tmp/ctl")
	cat >>"$tmp/params" <<-EOF
		EXPECT_MAP="0x1c 0x40 0x48"
	EOF
	host_helper=control_helper
}

# Plays the host side of the control scenario over the control socket: polls
# mailbox register 0 for the guest's step number, does the step, acknowledges
# it in register 1. Exits 0 once both steps are done (120 s at most).
control_helper() {
	python3 - "$tmp/ctl" "$here" <<-'EOF'
		import sys
		sys.path.insert(0, sys.argv[2])
		from ctl import Control
		ctl = Control(sys.argv[1])
		def step(**r):
		    return lambda: ctl.request(**r)["ok"]
		steps = {0: [step(cmd="set", addr="0x48", props={"temp": 30.5}),
		             step(cmd="fault", addr="0x1c", kind="nack", count=1)]}
		sys.exit(0 if ctl.take_turns(steps, 120) else 1)
	EOF
}

# ee1004 hot-plug (--control add/remove) under the guest's ee1004 driver:
# the host adds an SPD, a second one while the driver's page is 1 (the
# newcomer must be in page 1 too: the 6.1 driver keeps one current page and
# selects only when it changes), then removes the first; the guest checks
# each eeprom file against the host file (see guest/t_ee1004_hotplug.sh).
scenario_ee1004_hotplug() {
	NVMS=1
	GUEST_TEST=ee1004_hotplug
	mkdir -p "$tmp/data"
	random_file "$tmp/spd51.bin" 512
	random_file "$tmp/spd52.bin" 512
	cp "$tmp/spd51.bin" "$tmp/data/spd51"
	cp "$tmp/spd52.bin" "$tmp/data/spd52"
	echo '{"size": 2}' >"$tmp/mailbox.json"
	DAEMON_ARGS=(-e lm75@0x48 -e "regmap@0x40,map=$tmp/mailbox.json" "--control=$tmp/ctl")
	cat >>"$tmp/params" <<-EOF
		EXPECT_MAP="0x40 0x48"
	EOF
	host_helper=spd_hotplug_helper
	post_check() {
		cmp "$tmp/data/spd51" "$tmp/spd51.bin" || fail "ee1004 0x51: the host file changed"
		cmp "$tmp/data/spd52" "$tmp/spd52.bin" || fail "ee1004 0x52: the host file changed"
	}
}

# The host side of ee1004_hotplug, in turns through the mailbox like
# control_helper: step 1 adds the SPD at 0x51, step 2 the one at 0x52,
# step 3 removes 0x51. Exits 0 once the three are done (120 s at most).
spd_hotplug_helper() {
	python3 - "$tmp/ctl" "$here" "$tmp" <<-'EOF'
		import sys
		sys.path.insert(0, sys.argv[2])
		from ctl import Control
		ctl = Control(sys.argv[1])
		tmp = sys.argv[3]
		def step(**r):
		    return lambda: ctl.request(**r)["ok"]
		steps = {0: [step(cmd="add", spec="ee1004@0x51,file=%s/spd51.bin" % tmp),
		             step(cmd="add", spec="ee1004@0x52,file=%s/spd52.bin" % tmp),
		             step(cmd="remove", addr="0x51")]}
		sys.exit(0 if ctl.take_turns(steps, 120) else 1)
	EOF
}

# scripts/demo.sh: what a guest sees.
scenario_demo() {
	NVMS=1
	GUEST_TEST=demo
	show=1
	local hello='Hello from the host file!'
	{
		printf '%s' "$hello"
		head -c $((256 - ${#hello})) /dev/zero | tr '\0' '\377'
	} >"$tmp/eeprom.bin"
	DAEMON_ARGS=(-e "24c02@0x50,file=$tmp/eeprom.bin" -e lm75@0x48,temp=36.5 -e stub@0x1c)
	post_check() {
		say "host: the EEPROM's backing file after the guest is done ($tmp/eeprom.bin)"
		od -A x -t x1z -v "$tmp/eeprom.bin" | head -n 6
		local text
		text=$(tail -c +65 "$tmp/eeprom.bin" | head -c 27)
		[ "$text" = "Written by the guest (at24)" ] ||
			fail "the host file does not hold the guest's write (got '$text')"
	}
}

# ---------------------------------------------------------------------------
declare -F "scenario_$scenario" >/dev/null || {
	echo "unknown scenario '$scenario'" >&2
	exit 2
}

case $arch/$scenario in
arm64/smoke | arm64/passthrough_*)
	# smoke needs i2c-stub (not in Debian's arm64 kernel), passthrough_* the
	# static x86 programs.
	echo "scenario '$scenario' is not available for --arch arm64" >&2
	exit 2
	;;
esac

# --- Which QEMU and which guest kernel: logged, so every run says what it tested.
# The cache entries used are held (tests/e2e/cache.sh) until this script and
# its QEMUs exit, so that a build of a newer kernel or QEMU does not remove
# them meanwhile; one removed between its lookup and its hold is looked up again.
# shellcheck source=tests/e2e/cache.sh
. "$here/cache.sh"
user_guest_dir=${VI2C_E2E_GUEST_DIR:-}
resolve_stack() {
	if [ $backports = 1 ]; then
		settings=$("$here/backports.sh") || {
			echo "FAIL: fetching the bookworm-backports QEMU and kernel failed" >&2
			exit 1
		}
		eval "$settings"
		cache_hold "$VI2C_E2E_QEMU_ENTRY" || return 1
	fi
	if [ -n "${VI2C_E2E_GUEST_DIR:-}" ]; then
		guest_dir=$VI2C_E2E_GUEST_DIR
		cache_hold "$guest_dir" || {
			[ -z "$user_guest_dir" ] && return 1
			echo "FAIL: VI2C_E2E_GUEST_DIR=$guest_dir holds no complete guest" >&2
			exit 1
		}
	else
		guest_dir=$("$here/build-guest.sh" --arch "$arch") || {
			echo "FAIL: building the guest pieces failed" >&2
			exit 1
		}
		cache_hold "$guest_dir" || return 1
	fi
}
resolve_stack || resolve_stack || {
	echo "FAIL: the cached QEMU or guest was removed twice while this run looked it up" >&2
	exit 1
}
case $arch in
amd64) qemu=${VI2C_E2E_QEMU:-qemu-system-x86_64} ;;
arm64) qemu=${VI2C_E2E_QEMU:-qemu-system-aarch64} ;;
esac
qemu_opts=()
IFS=: read -r -a data_dirs <<<"${VI2C_E2E_QEMU_DATA:-}"
for d in "${data_dirs[@]}"; do
	[ -n "$d" ] && qemu_opts+=(-L "$d")
done
if [ -n "${VI2C_E2E_QEMU_MODULE_DIR:-}" ]; then
	export QEMU_MODULE_DIR=$VI2C_E2E_QEMU_MODULE_DIR
fi
qemu_version=$(timeout 30 "$qemu" "${qemu_opts[@]}" --version </dev/null | head -n1) || {
	echo "FAIL: cannot run $qemu --version" >&2
	exit 1
}
# Older caches have no version file: read it from the cached package.
kernel_version=$(cat "$guest_dir/version" 2>/dev/null ||
	dpkg-deb -f "$(find "$guest_dir/../debs" -name "linux-image-$(cat "$guest_dir/abi")_*.deb" |
		head -n1)" Version 2>/dev/null || echo "package version unknown")
say "QEMU: $qemu ($qemu_version)"
say "guest kernel: $(cat "$guest_dir/abi") ($kernel_version), $arch, vhost-user-i2c over $transport"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vi2c-e2e.XXXXXX")
: >"$tmp/params"
DAEMON_ARGS=()
GUEST_PROGRAMS=0
"scenario_$scenario"

if [ "$GUEST_PROGRAMS" = 1 ]; then
	for prog in "$guest_daemon" "$guest_drive"; do
		if [ -z "$prog" ] || [ ! -x "$prog" ]; then
			echo "FAIL: scenario '$scenario' needs --guest-daemon and --guest-drive" \
				"(static builds; got '$guest_daemon' and '$guest_drive')" >&2
			exit 1
		fi
	done
fi

if [ "$NVMS" -gt 0 ]; then
	if [ -z "$daemon" ] || [ ! -x "$daemon" ]; then
		echo "FAIL: no daemon binary (set VI2C_DAEMON or --daemon)" >&2
		exit 1
	fi
fi

# Initramfs = the cached base archive + an archive of this scenario's files
# (the kernel unpacks concatenated archives in order).
make_initramfs() { # VM_INDEX OUTPUT
	local ov=$tmp/overlay$1
	mkdir -p "$ov/e2e"
	cp "$here/guest/init" "$ov/init"
	cp "$here/guest/lib.sh" "$here/guest/t_$GUEST_TEST.sh" "$ov/e2e/"
	{
		cat "$tmp/params"
		echo "VM_INDEX=$1"
		echo "NVMS=$NVMS"
	} >"$ov/e2e/params"
	[ -d "$tmp/data" ] && cp -r "$tmp/data" "$ov/e2e/data"
	if [ "$arch" = arm64 ]; then
		mkdir -p "$ov/e2e/bin"
		cp "$tmp/semihost-exit" "$ov/e2e/bin/"
	fi
	if [ "$GUEST_PROGRAMS" = 1 ]; then
		mkdir -p "$ov/e2e/bin"
		cp "$guest_daemon" "$ov/e2e/bin/vhost-user-i2c"
		cp "$guest_drive" "$ov/e2e/bin/vi2c-drive"
		cp "$here/guest/passthrough.sh" "$ov/e2e/"
	fi
	chmod 755 "$ov/init"
	(cd "$ov" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip >"$tmp/overlay$1.cpio.gz"
	cat "$guest_dir/base.cpio.gz" "$tmp/overlay$1.cpio.gz" >"$2"
}

sock=$tmp/vi2c.sock
if [ "$NVMS" -gt 0 ]; then
	say "daemon: $daemon -s $sock -c $NVMS ${DAEMON_ARGS[*]} -v"
	"$daemon" -s "$sock" -c "$NVMS" "${DAEMON_ARGS[@]}" -v </dev/null >"$tmp/daemon.log" 2>&1 &
	daemon_pid=$!
	# QEMU fails at once if nobody listens: wait for every socket.
	for _ in $(seq 100); do
		ready=1
		for ((v = 0; v < NVMS; v++)); do
			[ -S "$sock$v" ] || ready=0
		done
		[ $ready = 1 ] && break
		kill -0 "$daemon_pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ "$ready" != 1 ]; then
		echo "FAIL: the daemon did not create its sockets ${sock}0..$((NVMS - 1))"
		tail -n 40 "$tmp/daemon.log"
		exit 1
	fi
fi

if [ -n "$host_helper" ]; then
	"$host_helper" >"$tmp/helper.log" 2>&1 &
	helper_pid=$!
fi

# QEMU exits 0 on a plain power-off whatever the guest did; the guest
# reports through isa-debug-exit (x86) or a semihosting exit (Arm):
# 33 = pass, 35 = fail.
case $arch in
amd64)
	machine=(-machine q35 -accel tcg -cpu max)
	console=ttyS0
	exit_dev=(-device isa-debug-exit,iobase=0xf4,iosize=0x04)
	;;
arm64)
	# cortex-a57: far faster under TCG than -cpu max (no pointer
	# authentication to emulate).
	machine=(-machine virt -accel tcg -cpu cortex-a57)
	console=ttyAMA0
	exit_dev=(-semihosting-config enable=on,target=native,userspace=on)
	timeout 60 aarch64-linux-gnu-gcc -static -O2 -o "$tmp/semihost-exit" \
		"$here/guest/semihost-exit.c" || {
		echo "FAIL: building semihost-exit for the guest failed" >&2
		exit 1
	}
	;;
esac
case $transport in
pci) vdev="vhost-user-i2c-pci" ;;
# QEMU's virtio-mmio transport is legacy (virtio 0.9) unless told otherwise;
# the daemon only serves VIRTIO_F_VERSION_1 drivers.
mmio)
	vdev="vhost-user-i2c-device"
	qemu_opts+=(-global virtio-mmio.force-legacy=false)
	;;
esac
nboot=$((NVMS > 0 ? NVMS : 1))
say "booting $nboot guest(s), scenario '$GUEST_TEST' (timeout ${boot_timeout}s each)"
for ((v = 0; v < nboot; v++)); do
	make_initramfs "$v" "$tmp/initramfs$v.gz"
	vhost=()
	if [ "$NVMS" -gt 0 ]; then
		vhost=(-object memory-backend-memfd,id=mem,size=512M,share=on -numa node,memdev=mem
			-chardev "socket,id=vi2c,path=$sock$v" -device "$vdev,chardev=vi2c")
	fi
	timeout -k 5 "$boot_timeout" "$qemu" "${qemu_opts[@]}" "${machine[@]}" -smp 1 \
		-m 512 -nographic -no-reboot -nodefaults -serial stdio \
		"${exit_dev[@]}" "${vhost[@]}" \
		-kernel "$guest_dir/vmlinuz" -initrd "$tmp/initramfs$v.gz" \
		-append "console=$console quiet panic=-1 vi2c.test=$GUEST_TEST" \
		</dev/null >"$tmp/console$v.raw" 2>&1 &
	qemu_pids+=($!)
done

for ((v = 0; v < nboot; v++)); do
	rc=0
	wait "${qemu_pids[$v]}" || rc=$?
	# Without carriage returns and the firmware's terminal escapes.
	sed -e 's/\r$//' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1bc//g' \
		"$tmp/console$v.raw" >"$tmp/console$v.log"
	marker=$(grep -ao 'VI2C-E2E: [A-Z]* [a-z0-9_]*' "$tmp/console$v.log" | tail -n1 || true)
	case $rc in
	33) ;;
	35) fail "guest $v reported failure (QEMU exit status)" ;;
	124 | 137) fail "guest $v timed out after ${boot_timeout}s" ;;
	*) fail "guest $v: QEMU exited with status $rc (expected 33 from the guest's verdict)" ;;
	esac
	[ "$marker" = "VI2C-E2E: PASS $GUEST_TEST" ] ||
		fail "guest $v: no pass marker on the console (last marker: '${marker:-none}')"
done
qemu_pids=()

if [ -n "$helper_pid" ]; then
	rc=0
	wait "$helper_pid" || rc=$?
	helper_pid=
	cat "$tmp/helper.log"
	[ $rc = 0 ] || fail "the host side of the scenario exited with status $rc"
fi

if [ -n "$daemon_pid" ]; then
	# The daemon must exit 0 on SIGTERM, promptly, and remove its sockets.
	kill -TERM "$daemon_pid"
	for _ in $(seq 100); do
		kill -0 "$daemon_pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$daemon_pid" 2>/dev/null; then
		fail "the daemon did not exit within 10 s of SIGTERM"
	else
		rc=0
		wait "$daemon_pid" || rc=$?
		daemon_pid=
		[ $rc = 0 ] || fail "the daemon exited with status $rc on SIGTERM (expected 0)"
	fi
	for ((v = 0; v < NVMS; v++)); do
		[ ! -e "$sock$v" ] || fail "the daemon left its socket $sock$v behind"
	done
fi

for ((v = 0; v < nboot; v++)); do
	if [ $show = 1 ]; then
		# The guest's session, without the kernel's log lines.
		sed -n '/--- guest session ---$/,/^--- end of guest session ---$/p' \
			"$tmp/console$v.log" | sed '1d;$d' | grep -av '^\[ *[0-9]*\.[0-9]*\]' || true
	fi
done

post_check

if [ $failed = 0 ]; then
	say "PASS: $scenario"
	exit 0
fi

for ((v = 0; v < nboot; v++)); do
	echo "----- guest $v console -----"
	cat "$tmp/console$v.log"
done
if [ -f "$tmp/daemon.log" ]; then
	echo "----- daemon log (last 60 lines) -----"
	tail -n 60 "$tmp/daemon.log"
fi
say "FAIL: $scenario"
exit 1
