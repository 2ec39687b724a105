# SPDX-License-Identifier: MIT
# Host passthrough in I2C mode (I2C_RDWR) against a full kernel I2C adapter:
# the guest's virtio-i2c adapter, served by the host daemon (24c02@0x50 backed
# by a random file whose bytes are $E02, stub@0x20, 24c32@0x52). A second
# daemon inside the guest passes through 0x50, 0x20 (seen at 0x21) and 0x51
# (listed, but nothing answers there); vi2c-drive is its VMM. Each group it
# sends becomes one I2C_RDWR in the guest kernel, i.e. requests on the virtio
# queue to the host daemon. busybox's i2ctransfer/i2cset on the virtio bus
# directly give the ground truth. Then a third one passes the devices
# read-only (/ro, /ro16 for the 24c32), and at24 binds to 0x50 while it runs.
# The host checks the EEPROM file afterwards.

# shellcheck disable=SC1091 # installed by run.sh
. /e2e/passthrough.sh

# E02 bytes OFFSET..OFFSET+COUNT-1 (the host file's content).
e02_at() {
	echo "$E02" | cut -d' ' -f$(($1 + 1))-$(($1 + $2))
}

bus=$(vi2c_bus) || {
	fail "no virtio-i2c adapter appeared"
	finish
	exit
}
pass "virtio-i2c adapter is i2c-$bus ($(cat "/sys/bus/i2c/devices/i2c-$bus/name"))"
run i2cdetect -F "$bus"
if echo "$OUT" | grep -q "^I2C  *yes$"; then
	pass "the virtio-i2c adapter offers plain I2C (the daemon must use I2C_RDWR)"
else
	fail "the virtio-i2c adapter lacks plain I2C"
fi
check_eq "i2cdetect on the virtio bus" "0x20 0x50 0x52" "$(detect_map "$bus")"
sock=/tmp/pt0

start_daemon pt -l "$bus:0x50:0x20@0x21:0x51" || {
	finish
	exit
}
if grep -q "i2c-$bus: I2C mode" /tmp/pt.log; then
	pass "the daemon runs i2c-$bus in I2C mode"
else
	fail "the daemon does not say it runs i2c-$bus in I2C mode"
fi

# --- EEPROM: random read, write, read back ---
drive "random read (W 1)(R 8) with repeated start" "OK,OK $(e02_at 0x20 8)" "$sock" \
	w1@0x50 0x20 r8
check_out "i2ctransfer on the virtio bus reads the same" "$(e02_at 0x20 8)" \
	i2ctransfer -y "$bus" w1@0x50 0x20 r8
drive "EEPROM write, then random read" "OK OK,OK 0xde 0xad 0xbe 0xef" "$sock" \
	w5@0x50 0x10 0xde 0xad 0xbe 0xef -- w1@0x50 0x10 r4
check_out "i2ctransfer on the virtio bus sees the write" "0xde 0xad 0xbe 0xef" \
	i2ctransfer -y "$bus" w1@0x50 0x10 r4
drive "sequential read across a page boundary" \
	"OK,OK $(e02_at 0x04 12) 0xde 0xad 0xbe 0xef $(e02_at 0x14 4)" "$sock" w1@0x50 0x04 r20
drive "sequential read rolls over the end of the memory" \
	"OK,OK $(e02_at 0xf8 8) $(e02_at 0x00 8)" "$sock" w1@0x50 0xf8 r16
expect_all="$(e02_at 0 16) 0xde 0xad 0xbe 0xef $(e02_at 0x14 236)"
drive "read of all 256 bytes" "OK,OK $expect_all" "$sock" w1@0x50 0x00 r256
check_out "i2ctransfer on the virtio bus reads the same 256 bytes" "$expect_all" \
	i2ctransfer -y "$bus" w1@0x50 0x00 r256
drive "a lone read continues at the EEPROM's address counter" \
	"OK,OK $(e02_at 0x30 1) OK $(e02_at 0x31 4)" "$sock" w1@0x50 0x30 r1 -- r4@0x50

# --- The register file at 0x20, seen at 0x21 ---
drive "write through the alias 0x21" "OK" "$sock" w3@0x21 0x10 0x11 0x22
check_out "the host device at 0x20 holds it" "0x11 0x22" \
	i2ctransfer -y "$bus" w1@0x20 0x10 r2
check_ok "i2cset 0x20:0x30 = 0x5c on the virtio bus" i2cset -y "$bus" 0x20 0x30 0x5c
drive "read through the alias 0x21" "OK,OK 0x5c" "$sock" w1@0x21 0x30 r1
drive "the alias' host address 0x20 is not on the guest's bus" "ERR,ERR" "$sock" \
	w1@0x20 0x30 r1

# --- Shapes only I2C_RDWR can do ---
drive "3 messages: write, read, read" "OK,OK,OK 0x11 0x22" "$sock" w1@0x21 0x10 r1 r1
drive "one transfer to two devices" "OK,OK,OK,OK 0xde 0x11" "$sock" \
	w1@0x50 0x10 r1 w1@0x21 0x10 r1
drive "(W 1)(R 0) works on a full I2C adapter" "OK,OK" "$sock" w1@0x21 0x10 r0
drive "(R 2) works on a full I2C adapter" "OK OK 0x11 0x22" "$sock" w1@0x21 0x10 -- r2@0x21

# --- Zero-length probes ---
drive "zero-length write at 0x50" "OK" "$sock" w0@0x50
drive "zero-length read at 0x50" "OK" "$sock" r0@0x50
drive "zero-length read at the alias 0x21" "OK" "$sock" r0@0x21
drive "zero-length at listed 0x51, where nothing answers on the virtio bus" "ERR" \
	"$sock" w0@0x51
drive "read at listed 0x51 fails too" "ERR,ERR" "$sock" w1@0x51 0x00 r1

# --- Addresses not listed ---
drive "unlisted 0x48 gives ERR" "ERR,ERR" "$sock" w1@0x48 0x00 r1
drive "unlisted 0x48 gives ERR (zero-length)" "ERR" "$sock" r0@0x48
drive "the daemon still works" "OK,OK 0xde 0xad" "$sock" w1@0x50 0x10 r2

# --- Exclusive access ---
start_fails "a second daemon on 0x50 of the virtio bus" second \
	"0x50.*(another process|in use)" -l "$bus:0x50"
drive "the first daemon still works" "OK,OK 0x5c" "$sock" w1@0x21 0x30 r1
stop_daemon pt

# --- Read-only: /ro on the 24c02 and the stub, /ro16 on the 24c32 ---
check_ok "i2ctransfer writes 0xa1 0xa2 at 0x0100 of the 24c32" \
	i2ctransfer -y "$bus" w4@0x52 0x01 0x00 0xa1 0xa2
start_daemon ro -l "$bus:0x50/ro:0x20@0x21/ro:0x52@0x62/ro16" || {
	finish
	exit
}
sock=/tmp/ro0
drive "ro: random read (W 1)(R 4)" "OK,OK $(e02_at 0x60 4)" "$sock" w1@0x50 0x60 r4
drive "ro: a register write then a read (W 2)(R 1) is refused" "ERR,ERR" "$sock" \
	w2@0x50 0x70 0x99 r1
drive "ro: a page write is refused" "ERR" "$sock" w5@0x50 0x70 1 2 3 4
drive "ro: a lone pointer (W 1) is refused" "ERR" "$sock" w1@0x50 0x00
drive "ro: a pointer then a write is refused" "ERR,ERR" "$sock" w1@0x50 0x70 w1@0x50 0x99
drive "ro: a zero-length write (the probe of plain i2cdetect) is refused" "ERR" "$sock" \
	w0@0x50
drive "ro: the EEPROM's address counter did not move (current-address read)" \
	"OK $(e02_at 0x64 2)" "$sock" r2@0x50
drive "ro: a zero-length read is allowed" "OK" "$sock" r0@0x50
drive "ro: a 1-byte read (the probe of i2cdetect -r) is allowed" "OK $(e02_at 0x66 1)" \
	"$sock" r1@0x50
check_out "ro: i2ctransfer on the virtio bus: 0x70.. unchanged" "$(e02_at 0x70 5)" \
	i2ctransfer -y "$bus" w1@0x50 0x70 r5
drive "ro: the stub read through the alias" "OK,OK 0x11 0x22" "$sock" w1@0x21 0x10 r2
drive "ro: a register write to the stub is refused" "ERR" "$sock" w2@0x21 0x10 0x77
drive "ro: ... also when a read follows it" "ERR,ERR" "$sock" w2@0x21 0x10 0x77 r1
check_out "ro: the stub's register is unchanged" "0x11" i2ctransfer -y "$bus" w1@0x20 0x10 r1
drive "ro16: random read (W 2)(R 2)" "OK,OK 0xa1 0xa2" "$sock" w2@0x62 0x01 0x00 r2
drive "ro16: a 1-byte pointer then a read is refused" "ERR,ERR" "$sock" w1@0x62 0x01 r1
drive "ro16: a byte write then a read (W 3)(R 1) is refused" "ERR,ERR" "$sock" \
	w3@0x62 0x01 0x00 0x99 r1
drive "ro16: a lone address (W 2) is refused" "ERR" "$sock" w2@0x62 0x01 0x00
drive "ro16: a zero-length write is refused" "ERR" "$sock" w0@0x62
drive "ro16: a read continues after the random read" "OK 0xff" "$sock" r1@0x62
check_out "ro16: the 24c32 is unchanged" "0xa1 0xa2" i2ctransfer -y "$bus" w2@0x52 0x01 0x00 r2

# --- A kernel driver binding to a passed address while the daemon runs ---
check_ok "modprobe at24" modprobe at24
new_client "$bus" 24c02 0x50
drv=$(basename "$(readlink "$(client_dir "$bus" 0x50)/driver")")
check_eq "at24 is bound to 0x50 of the virtio bus" at24 "$drv"
drive "requests to 0x50 fail once at24 has it" "ERR,ERR ERR" "$sock" w1@0x50 0x60 r4 -- r0@0x50
drive "the stub, with no driver bound, still works" "OK,OK 0x11 0x22" "$sock" w1@0x21 0x10 r2
check_ok "delete the at24 client" sh -c "echo 0x50 >/sys/bus/i2c/devices/i2c-$bus/delete_device"
drive "0x50 is the guest's again once at24 is gone" "OK,OK $(e02_at 0x60 4)" "$sock" \
	w1@0x50 0x60 r4
stop_daemon ro
check_eq "i2cdetect on the virtio bus is unchanged" "0x20 0x50 0x52" "$(detect_map "$bus")"
finish
