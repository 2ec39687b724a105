# SPDX-License-Identifier: MIT
# The control socket seen from the guest's own drivers: the host changes the
# lm75's temperature with `set` and the guest's lm75 driver reports the new
# temp1_input; the host arms a one-shot `nack` on the stub and the guest's
# i2cget fails once, then succeeds. Guest and host take turns through a
# mailbox chip (a regmap at 0x40): the guest writes a step number to
# register 0, the host (tests/e2e/run.sh, over the control socket) does that
# step and acknowledges it in register 1 (host_step in lib.sh).

bus=$(vi2c_bus) || {
	fail "no virtio-i2c adapter appeared"
	finish
	exit
}
check_eq "i2cdetect shows the configured addresses" "$EXPECT_MAP" "$(detect_map "$bus")"

check_ok "modprobe lm75" modprobe lm75
new_client "$bus" lm75 0x48
h=
for d in "$(client_dir "$bus" 0x48)"/hwmon/hwmon*; do
	[ -e "$d/temp1_input" ] && h=$d
done
if [ -z "$h" ]; then
	fail "lm75 at 0x48: no hwmon device"
	finish
	exit
fi
check_out "lm75: temp1_input before set" 25000 cat "$h/temp1_input"

if host_step "$bus" 1; then
	pass "host: set temp 30.5 on 0x48"
else
	fail "host did not acknowledge step 1 (set)"
fi
check_out "lm75: temp1_input after set" 30500 cat "$h/temp1_input"

check_out "stub: i2cget before the fault" 0x00 i2cget -y "$bus" 0x1c 0x00
if host_step "$bus" 2; then
	pass "host: one-shot nack on 0x1c"
else
	fail "host did not acknowledge step 2 (fault)"
fi
check_fails "stub: i2cget fails once (injected NACK)" i2cget -y "$bus" 0x1c 0x00
check_out "stub: i2cget succeeds again" 0x00 i2cget -y "$bus" 0x1c 0x00
finish
