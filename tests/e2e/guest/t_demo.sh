# SPDX-License-Identifier: MIT
# scripts/demo.sh: shows what a guest sees of the daemon's emulated chips
# (24c02@0x50 backed by a host file, lm75@0x48 at 36.5 C, stub@0x1c).
# The host prints the part between the session markers.

heading() {
	echo
	echo "### $*"
}

echo "--- guest session ---"
bus=$(vi2c_bus) || {
	fail "no virtio-i2c adapter appeared"
	echo "--- end of guest session ---"
	finish
	exit
}
echo "Guest kernel $(uname -r); the virtio-i2c driver is loaded."
heading "I2C adapters in the guest"
run i2cdetect -l

heading "Scan of bus $bus: the daemon's devices answer"
run i2cdetect -y "$bus"
map=$(detect_map "$bus")

heading "EEPROM 24c02 at 0x50, first 64 bytes, raw transfers (i2cdump): the host file's content"
OUT=$(i2cdump -y "$bus" 0x50 b 2>&1)
echo "\$ i2cdump -y $bus 0x50 b | head -n 5"
echo "$OUT" | head -n 5

heading "Register file (stub) at 0x1c: i2cset, i2cget, then an i2ctransfer write+read"
run i2cset -y "$bus" 0x1c 0x10 0x42
run i2cget -y "$bus" 0x1c 0x10
stub=$OUT
run i2ctransfer -y "$bus" w4@0x1c 0x20 0xde 0xad 0xbf
run i2ctransfer -y "$bus" w1@0x1c 0x20 r3
stub_rd=$(words "$OUT")

heading "Temperature through the guest's lm75 hwmon driver"
modprobe lm75
new_client "$bus" lm75 0x48
temp=
for h in "$(client_dir "$bus" 0x48)"/hwmon/hwmon*; do
	[ -e "$h/temp1_input" ] && temp=$(cat "$h/temp1_input")
done
run cat "$(client_dir "$bus" 0x48)"/hwmon/hwmon*/temp1_input
echo "= $((temp / 1000)).$(((temp % 1000) / 100)) degrees C"

heading "The EEPROM through the guest's at24 driver: write, then read back"
modprobe at24
new_client "$bus" 24c02 0x50
eeprom=$(client_dir "$bus" 0x50)/eeprom
echo "\$ printf 'Written by the guest (at24)' | dd of=$eeprom bs=1 seek=64 conv=notrunc"
printf 'Written by the guest (at24)' | dd of="$eeprom" bs=1 seek=64 conv=notrunc 2>/dev/null
echo "\$ hexdump -C $eeprom | head -n 6"
hexdump -C "$eeprom" | head -n 6
written=$(dd if="$eeprom" bs=1 skip=64 count=27 2>/dev/null)
echo "--- end of guest session ---"

# The demo verifies what it shows.
check_eq "bus scan" "0x1c 0x48 0x50" "$map"
check_eq "stub byte" 0x42 "$stub"
check_eq "stub write+read" "0xde 0xad 0xbf" "$stub_rd"
check_eq "lm75 temperature" 36500 "$temp"
check_eq "at24 read-back" "Written by the guest (at24)" "$written"
finish
