# SPDX-License-Identifier: MIT
# ee1004 (DDR4 SPD) hot-plug under the guest's ee1004 driver. The host adds
# an SPD at 0x51 over the control socket (step 1): 0x36/0x37 appear with it
# and the driver binds and reads the whole eeprom, which leaves its one
# current page at 1. The host adds a second SPD at 0x52 (step 2): the driver
# selects no page for a read in page 1, so the newcomer must already be in
# page 1 (it takes the page of the SPDs on the bus). The host removes 0x51
# (step 3): 0x52 still switches pages through 0x36/0x37 and reads back.

bus=$(vi2c_bus) || {
	fail "no virtio-i2c adapter appeared"
	finish
	exit
}
check_eq "i2cdetect: no SPD yet, no page-select address" "$EXPECT_MAP" "$(detect_map "$bus")"
check_ok "modprobe ee1004" modprobe ee1004

# eeprom_equals ADDR NAME: the driver's 512-byte eeprom file equals the host file.
eeprom_equals() {
	local dir
	dir=$(client_dir "$bus" "$1")
	if [ ! -e "$dir/eeprom" ]; then
		fail "ee1004 at $1: the driver did not bind (no $dir/eeprom)"
		run dmesg
		return
	fi
	if cmp "$dir/eeprom" "/e2e/data/$2"; then
		pass "ee1004 at $1: eeprom equals the host file (512 bytes, both pages)"
	else
		fail "ee1004 at $1: eeprom differs from the host file"
	fi
}

if host_step "$bus" 1; then
	pass "host: added ee1004@0x51"
else
	fail "host did not acknowledge step 1 (add 0x51)"
fi
check_eq "i2cdetect: 0x36 (page 0 ACK) and 0x51 came with the SPD" \
	"0x36 0x40 0x48 0x51" "$(detect_map "$bus")"
new_client "$bus" ee1004 0x51
eeprom_equals 0x51 spd51 # ends in page 1

if host_step "$bus" 2; then
	pass "host: added ee1004@0x52 while the bus is in page 1"
else
	fail "host did not acknowledge step 2 (add 0x52)"
fi
new_client "$bus" ee1004 0x52
dir52=$(client_dir "$bus" 0x52)
# Page 1 first: the driver believes page 1 is selected and sends no select.
dd if="$dir52/eeprom" of=/tmp/p1 bs=256 skip=1 count=1 2>/dev/null
dd if=/e2e/data/spd52 of=/tmp/w1 bs=256 skip=1 count=1 2>/dev/null
if cmp /tmp/p1 /tmp/w1; then
	pass "ee1004 at 0x52: page 1 read without a page select is its page 1"
else
	fail "ee1004 at 0x52: page 1 read without a page select differs (not in the bus's page)"
fi
eeprom_equals 0x52 spd52
eeprom_equals 0x51 spd51

if host_step "$bus" 3; then
	pass "host: removed ee1004@0x51"
else
	fail "host did not acknowledge step 3 (remove 0x51)"
fi
check_fails "ee1004 at 0x51: gone, its eeprom cannot be read" \
	cat "$(client_dir "$bus" 0x51)/eeprom"
eeprom_equals 0x52 spd52
finish
