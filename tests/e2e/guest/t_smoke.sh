# SPDX-License-Identifier: MIT
# Harness self-test, no vhost-user device: the modules load, the i2c tools
# work on the guest kernel's own i2c-stub, and the map parser reads i2cdetect.

if [ -d /sys/module/i2c_virtio ]; then
	pass "i2c-virtio (built out of tree) is loaded"
else
	fail "i2c-virtio is not loaded"
fi
check_eq "no virtio-i2c adapter without the device" "" "$(vi2c_buses)"

check_ok "load i2c-stub" modprobe i2c-stub chip_addr=0x1c,0x50
bus=
for d in /sys/bus/i2c/devices/i2c-*; do
	[ "$(cat "$d/name")" = "SMBus stub driver" ] && bus=${d##*/i2c-}
done
check_eq "the stub adapter has a bus number" 1 "$([ -n "$bus" ] && echo 1)"

run i2cdetect -y "$bus"
check_eq "i2cdetect map of the stub" "0x1c 0x50" "$(detect_map "$bus")"
check_ok "i2cset" i2cset -y "$bus" 0x50 0x10 0xa5
check_out "i2cget reads back" 0xa5 i2cget -y "$bus" 0x50 0x10
check_fails "i2cget at an absent address" i2cget -y "$bus" 0x51 0x10
finish
