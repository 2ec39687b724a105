# SPDX-License-Identifier: MIT
# The guest's ee1004 driver (DDR4 SPD) on two emulated ee1004 at 0x50 and
# 0x53, file-backed on the host. The driver takes the page-select addresses
# 0x36/0x37 (dummy clients) at the first probe and reads the current page at
# 0x36; reading its 512-byte eeprom file switches pages. Each eeprom file
# must equal the host file; the page state must be shared by both chips.

bus=$(vi2c_bus) || {
	fail "no virtio-i2c adapter appeared"
	finish
	exit
}
check_eq "i2cdetect shows 0x36 (page 0 ACK) and the configured addresses" \
	"$EXPECT_MAP" "$(detect_map "$bus")"

check_ok "modprobe ee1004" modprobe ee1004
spd_check() { # ADDR NAME
	local dir
	dir=$(client_dir "$bus" "$1")
	new_client "$bus" ee1004 "$1"
	if [ ! -e "$dir/eeprom" ]; then
		fail "ee1004 at $1: the driver did not bind (no $dir/eeprom)"
		run dmesg
		return
	fi
	check_eq "ee1004 at $1: bound to ee1004" ee1004 "$(basename "$(readlink "$dir/driver")")"
	check_eq "ee1004 at $1: eeprom size" 512 "$(stat -c %s "$dir/eeprom")"
	if cmp "$dir/eeprom" "/e2e/data/$2"; then
		pass "ee1004 at $1: eeprom equals the host file (512 bytes, both pages)"
	else
		fail "ee1004 at $1: eeprom differs from the host file"
	fi
}
spd_check 0x50 spd50
spd_check 0x53 spd53
# Reading page 1 of one chip and then page 0 of the other needs the shared select.
if cmp "$(client_dir "$bus" 0x50)/eeprom" /e2e/data/spd50 &&
	cmp "$(client_dir "$bus" 0x53)/eeprom" /e2e/data/spd53; then
	pass "ee1004: both chips read back again after each other's page switches"
else
	fail "ee1004: a second read differs"
fi
check_eq "i2cdetect: the page-select addresses are now the driver's (UU)" \
	"0x36 0x37 0x48 0x50 0x53" "$(detect_map "$bus")"
run i2cdetect -y "$bus"
# The driver is read-only: a write to its file fails, the host file stays (host check).
check_fails "ee1004 at 0x50: eeprom is read-only" sh -c "echo x >$(client_dir "$bus" 0x50)/eeprom"
finish
