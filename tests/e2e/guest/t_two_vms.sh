# SPDX-License-Identifier: MIT
# Runs in two guests at once, one per socket of a `-c 2` daemon (devices:
# stub@0x1c, lm75@0x48 at -12.5 C). All guests share one bus (README), so the
# guests meet at a barrier in the stub's registers (both are then surely
# running at the same time), each works with write+read transfers on its own
# half of the registers, and at the end each reads what the other wrote.

bus=$(vi2c_bus) || {
	fail "no virtio-i2c adapter appeared"
	finish
	exit
}
other=$((1 - VM_INDEX))
echo "guest $VM_INDEX of $NVMS, bus $bus"
check_eq "i2cdetect map" "$EXPECT_MAP" "$(detect_map "$bus")"

# barrier NAME BASE-REGISTER: sets our flag, waits up to 120 s for the other's.
barrier() {
	local i=0
	i2cset -y "$bus" 0x1c "$(printf 0x%02x $(($2 + VM_INDEX)))" 0x5a
	while [ "$(i2cget -y "$bus" 0x1c "$(printf 0x%02x $(($2 + other)))")" != 0x5a ]; do
		i=$((i + 1))
		if [ $i -gt 1200 ]; then
			fail "barrier '$1': guest $other never arrived"
			return 1
		fi
		sleep 0.1
	done
	pass "barrier '$1': both guests are there"
}

# The 4 bytes guest VM writes in round R, and the register they go to.
pattern() { # VM R
	local b0=$((($2 * 7 + $1 * 0x40) & 0xff))
	printf '0x%02x 0x%02x 0x%02x 0x%02x' $b0 $(((b0 + 1) & 0xff)) \
		$(((b0 + 2) & 0xff)) $(((b0 + 3) & 0xff))
}
register() { printf '0x%02x' $(($1 * 0x80 + ($2 % 16) * 4)); }

barrier started 0xf0
bad=0
r=0
while [ $r -lt "$ROUNDS" ]; do
	reg=$(register "$VM_INDEX" $r)
	want=$(pattern "$VM_INDEX" $r)
	# shellcheck disable=SC2086 # $want is the 4 data bytes
	i2ctransfer -y "$bus" w5@0x1c "$reg" $want || bad=$((bad + 1))
	got=$(i2ctransfer -y "$bus" w1@0x1c "$reg" r4) || bad=$((bad + 1))
	got=$(words "$got")
	if [ "$got" != "$want" ]; then
		echo "round $r: register $reg: expected '$want', got '$got'"
		bad=$((bad + 1))
	fi
	r=$((r + 1))
done
check_eq "$ROUNDS write+read rounds on our registers" 0 "$bad"

# What the other guest wrote last in each of its 16 slots.
barrier finished 0xf2
bad=0
r=$((ROUNDS - 16))
while [ $r -lt "$ROUNDS" ]; do
	reg=$(register $other $r)
	got=$(words "$(i2ctransfer -y "$bus" w1@0x1c "$reg" r4)")
	[ "$got" = "$(pattern $other $r)" ] || {
		echo "register $reg of guest $other: expected '$(pattern $other $r)', got '$got'"
		bad=$((bad + 1))
	}
	r=$((r + 1))
done
check_eq "we see the other guest's writes (one shared bus)" 0 "$bad"

check_ok "modprobe lm75" modprobe lm75
new_client "$bus" lm75 0x48
t=
for h in "$(client_dir "$bus" 0x48)"/hwmon/hwmon*; do
	[ -e "$h/temp1_input" ] && t=$(cat "$h/temp1_input")
done
check_eq "lm75 temp1_input" -12500 "$t"
finish
