# SPDX-License-Identifier: MIT
# The guest driver goes away and comes back (sysfs unbind/bind, then
# rmmod/modprobe): each time the daemon must serve the device again, and the
# emulated chips keep their state (they live on the daemon's bus).
# Devices: stub@0x1c, 24c02@0x50.

bus=$(vi2c_bus) || {
	fail "no virtio-i2c adapter appeared"
	finish
	exit
}
check_eq "i2cdetect map" "$EXPECT_MAP" "$(detect_map "$bus")"
check_ok "write to the stub" i2ctransfer -y "$bus" w5@0x1c 0x30 0xca 0xfe 0xba 0xbe
check_ok "write to the EEPROM" i2ctransfer -y "$bus" w3@0x50 0x08 0x5a 0xa5

drv=/sys/bus/virtio/drivers/i2c_virtio
dev=
for d in "$drv"/virtio*; do
	[ -e "$d" ] && dev=${d##*/}
done
check_eq "the virtio device is bound to i2c_virtio" 1 "$([ -n "$dev" ] && echo 1)"

# The device is back: same map, old state readable, new transfers work.
served_again() { # HOW ROUND
	local nbus
	nbus=$(vi2c_bus) || {
		fail "$1 $2: no adapter after rebinding"
		return
	}
	check_eq "$1 $2: i2cdetect map" "$EXPECT_MAP" "$(detect_map "$nbus")"
	check_out "$1 $2: stub kept its registers" "0xca 0xfe 0xba 0xbe" \
		i2ctransfer -y "$nbus" w1@0x1c 0x30 r4
	check_out "$1 $2: EEPROM kept its content" "0x5a 0xa5" \
		i2ctransfer -y "$nbus" w1@0x50 0x08 r2
	check_ok "$1 $2: write" i2cset -y "$nbus" 0x1c 0x50 "$2"
	check_out "$1 $2: read back" "$(printf '0x%02x' "$2")" i2cget -y "$nbus" 0x1c 0x50
}

for round in 1 2 3; do
	echo "\$ echo $dev > $drv/unbind"
	echo "$dev" >"$drv/unbind"
	check_eq "unbind $round: the adapter is gone" "" "$(vi2c_buses)"
	echo "\$ echo $dev > $drv/bind"
	echo "$dev" >"$drv/bind"
	served_again "unbind/bind" "$round"
done

for round in 4 5; do
	check_ok "rmmod i2c-virtio ($round)" rmmod i2c_virtio
	check_eq "rmmod $round: the adapter is gone" "" "$(vi2c_buses)"
	check_ok "modprobe i2c-virtio ($round)" modprobe i2c-virtio
	served_again "rmmod/modprobe" "$round"
done
finish
