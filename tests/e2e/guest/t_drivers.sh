# SPDX-License-Identifier: MIT
# The guest's own drivers on emulated chips: at24 on a 24c02 (0x50, with a
# 5 ms write cycle: at24 retries through its NACKs) and a 24c32 (0x57),
# both file-backed on the host; lm75 at 0x48 (31.5 C) and
# 0x49 (-12.5 C). The host compares the EEPROM files after the guest is done.

bus=$(vi2c_bus) || {
	fail "no virtio-i2c adapter appeared"
	finish
	exit
}
check_eq "i2cdetect shows exactly the configured addresses" "$EXPECT_MAP" "$(detect_map "$bus")"

check_ok "modprobe at24" modprobe at24
# at24 EEPROM via sysfs: old content from the host file, then a full write.
at24_check() { # MODEL ADDR SIZE NAME
	local dir
	dir=$(client_dir "$bus" "$2")
	new_client "$bus" "$1" "$2"
	if [ ! -e "$dir/eeprom" ]; then
		fail "$1 at $2: at24 did not bind (no $dir/eeprom)"
		return
	fi
	check_eq "$1 at $2: bound to at24" at24 "$(basename "$(readlink "$dir/driver")")"
	check_eq "$1 at $2: eeprom size" "$3" "$(stat -c %s "$dir/eeprom")"
	if cmp "$dir/eeprom" "/e2e/data/$4.old"; then
		pass "$1 at $2: reads the host file's content"
	else
		fail "$1 at $2: content differs from the host file"
	fi
	if cat "/e2e/data/$4.new" >"$dir/eeprom"; then
		pass "$1 at $2: write of all $3 bytes"
	else
		fail "$1 at $2: write failed"
	fi
	if cmp "$dir/eeprom" "/e2e/data/$4.new"; then
		pass "$1 at $2: reads back what was written"
	else
		fail "$1 at $2: read-back differs"
	fi
}
at24_check 24c02 0x50 256 e02
at24_check 24c32 0x57 4096 e32
check_eq "i2cdetect shows UU for bound clients, same map" "$EXPECT_MAP" "$(detect_map "$bus")"
run i2cdetect -y "$bus"

# lm75 through the hwmon class.
check_ok "modprobe lm75" modprobe lm75
hwmon_of() { # ADDR -> hwmon directory of the client
	local h
	for h in "$(client_dir "$bus" "$1")"/hwmon/hwmon*; do
		[ -e "$h/temp1_input" ] && echo "$h"
	done
}
lm75_check() { # ADDR MILLIDEGREES
	local h
	new_client "$bus" lm75 "$1"
	h=$(hwmon_of "$1")
	if [ -z "$h" ]; then
		fail "lm75 at $1: no hwmon device"
		return
	fi
	check_eq "lm75 at $1: bound to lm75" lm75 "$(basename "$(readlink "$(client_dir "$bus" "$1")/driver")")"
	check_out "lm75 at $1: temp1_input" "$2" cat "$h/temp1_input"
	check_out "lm75 at $1: temp1_max (T_os at power-up)" 80000 cat "$h/temp1_max"
	check_out "lm75 at $1: temp1_max_hyst (T_hyst at power-up)" 75000 cat "$h/temp1_max_hyst"
}
lm75_check 0x48 31500
lm75_check 0x49 -12500

# A limit written through the driver is stored by the chip: re-instantiate
# the client (fresh regmap cache) and read it again.
h=$(hwmon_of 0x48)
echo 70500 >"$h/temp1_max"
echo 0x48 >"/sys/bus/i2c/devices/i2c-$bus/delete_device"
new_client "$bus" lm75 0x48
h=$(hwmon_of 0x48)
check_out "lm75 at 0x48: temp1_max written through the driver persists" 70500 cat "$h/temp1_max"
check_out "lm75 at 0x48: temperature unchanged" 31500 cat "$h/temp1_input"
finish
