# SPDX-License-Identifier: MIT
# Host passthrough in SMBus mode against the guest kernel's i2c-stub (an
# adapter without I2C_FUNC_I2C): a daemon in the guest passes through stub
# chips 0x50 (read-write) and 0x51 (read-only, seen at 0x60), vi2c-drive is
# its VMM, and busybox's i2cget/i2cset on the stub bus give the ground truth.
# Stub chip 0x54 (seen at 0x64) is read-only with a 2-byte pointer (/ro16).
# Once with the adapter's name on -l, once with its number. Start-up refusals:
# an address a kernel driver (at24) owns, an address another daemon passes;
# at24 bound to a passed address while the daemon runs. No vhost-user device
# here.

# shellcheck disable=SC1091 # installed by run.sh
. /e2e/passthrough.sh

check_ok "load i2c-stub" modprobe i2c-stub chip_addr=0x50,0x51,0x52,0x54
bus=$(bus_named "SMBus stub driver")
[ -n "$bus" ] || {
	fail "no adapter named 'SMBus stub driver'"
	finish
	exit
}
pass "the stub adapter is i2c-$bus"
run i2cdetect -F "$bus"
if echo "$OUT" | grep -q "^I2C  *no$"; then
	pass "the stub adapter has no plain I2C (the daemon must use SMBus)"
else
	fail "the stub adapter unexpectedly offers plain I2C"
fi
sock=/tmp/stub0

# --- First instance: the adapter by name ---
start_daemon stub -l "SMBus stub driver:0x50:0x51@0x60/ro:0x54@0x64/ro16" || {
	finish
	exit
}

# Quick (zero-length requests).
drive "quick write at 0x50" "OK" "$sock" w0@0x50
drive "quick read at 0x50" "OK" "$sock" r0@0x50

# Byte data.
drive "byte data write (W 2)" "OK" "$sock" w2@0x50 0x10 0xa5
check_out "the stub holds the byte" 0xa5 i2cget -y "$bus" 0x50 0x10
check_ok "i2cset 0x11 = 0x5a on the stub" i2cset -y "$bus" 0x50 0x11 0x5a
drive "byte data read (W 1)(R 1)" "OK,OK 0x5a" "$sock" w1@0x50 0x11 r1

# Byte (the stub's register pointer; receive byte auto-increments it).
check_ok "i2cset 0x30 = 0x77" i2cset -y "$bus" 0x50 0x30 0x77
check_ok "i2cset 0x31 = 0x78" i2cset -y "$bus" 0x50 0x31 0x78
check_ok "i2cset 0x32 = 0x79" i2cset -y "$bus" 0x50 0x32 0x79
drive "byte write (W 1) sets the pointer" "OK" "$sock" w1@0x50 0x30
check_out "the stub's pointer is at 0x30 (receive byte)" 0x77 i2cget -y "$bus" 0x50
drive "byte reads (R 1) continue at the pointer" "OK 0x78 OK 0x79" "$sock" \
	r1@0x50 -- r1@0x50
drive "byte write then byte reads in one connection" "OK OK 0x77 OK 0x78" "$sock" \
	w1@0x50 0x30 -- r1@0x50 -- r1@0x50

# Word data (the stub keeps a 16-bit word per register).
drive "word data write (W 3)" "OK" "$sock" w3@0x50 0x20 0x34 0x12
check_out "the stub holds the word, low byte first" 0x1234 i2cget -y "$bus" 0x50 0x20 w
check_ok "i2cset word 0x24 = 0xbeef" i2cset -y "$bus" 0x50 0x24 0xbeef w
drive "word data read (W 1)(R 2)" "OK,OK 0xef 0xbe" "$sock" w1@0x50 0x24 r2

# I2C block.
drive "I2C block write (W 5)" "OK" "$sock" w5@0x50 0x40 0x01 0x02 0x03 0x04
check_out "the stub holds block byte 0" 0x01 i2cget -y "$bus" 0x50 0x40
check_out "the stub holds block byte 3" 0x04 i2cget -y "$bus" 0x50 0x43
check_out "the block write stopped after 4 bytes" 0x00 i2cget -y "$bus" 0x50 0x44
drive "I2C block read (W 1)(R 4)" "OK,OK 0x01 0x02 0x03 0x04" "$sock" w1@0x50 0x40 r4
# shellcheck disable=SC2046 # 32 byte values
drive "I2C block write of 32 bytes (W 33)" "OK" "$sock" w33@0x50 0x80 $(seq 1 32)
check_out "the stub holds the first of the 32" 0x01 i2cget -y "$bus" 0x50 0x80
check_out "the stub holds the last of the 32" 0x20 i2cget -y "$bus" 0x50 0x9f
drive "I2C block read of 32 bytes (W 1)(R 32)" "OK,OK $(byte_seq 1 32)" "$sock" \
	w1@0x50 0x80 r32

# The read-only alias 0x60 of stub chip 0x51 (/ro: only SMBus reads reach it).
check_ok "i2cset 0x51:0x06 = 0x43" i2cset -y "$bus" 0x51 0x06 0x43
check_ok "i2cset 0x51:0x07 = 0x44" i2cset -y "$bus" 0x51 0x07 0x44
check_ok "i2cset 0x51:0x05 = 0x42" i2cset -y "$bus" 0x51 0x05 0x42
drive "read through the alias 0x60" "OK,OK 0x42" "$sock" w1@0x60 0x05 r1
drive "receive byte (the probe of i2cdetect -r) continues at the stub's pointer" \
	"OK 0x43" "$sock" r1@0x60
drive "quick read at the alias" "OK" "$sock" r0@0x60
drive "quick write (the probe of plain i2cdetect) to the read-only alias is refused" \
	"ERR" "$sock" w0@0x60
drive "send byte (a lone W 1) to the read-only alias is refused" "ERR" "$sock" w1@0x60 0x05
drive "... so the stub's pointer did not move" "OK 0x44" "$sock" r1@0x60
drive "byte data write to the read-only alias is refused" "ERR" "$sock" w2@0x60 0x05 0x99
drive "a register write then a read (W 2)(R 1) is refused" "ERR,ERR" "$sock" \
	w2@0x60 0x05 0x99 r1
drive "word data write to the read-only alias is refused" "ERR" "$sock" w3@0x60 0x05 0x99 0x98
drive "block write to the read-only alias is refused" "ERR" "$sock" w5@0x60 0x05 1 2 3 4
check_out "the read-only chip's register is unchanged" 0x42 i2cget -y "$bus" 0x51 0x05
check_out "... and its word too" 0x0042 i2cget -y "$bus" 0x51 0x05 w

# The /ro16 alias 0x64 of stub chip 0x54: [W 2][R n] has no SMBus equivalent,
# so only reads from the current pointer reach it; every write is refused.
check_ok "i2cset 0x54:0x01 = 0x62" i2cset -y "$bus" 0x54 0x01 0x62
check_ok "i2cset 0x54:0x00 = 0x61 (pointer now 0x01)" i2cset -y "$bus" 0x54 0x00 0x61
drive "ro16: receive byte reads at the stub's pointer" "OK 0x62" "$sock" r1@0x64
drive "ro16: quick read" "OK" "$sock" r0@0x64
drive "ro16: (W 2)(R 1) has no SMBus equivalent" "ERR,ERR" "$sock" w2@0x64 0x00 0x00 r1
drive "ro16: (W 1)(R 1), a 1-byte pointer, is refused" "ERR,ERR" "$sock" w1@0x64 0x00 r1
drive "ro16: quick write is refused" "ERR" "$sock" w0@0x64
drive "ro16: byte data write is refused" "ERR" "$sock" w2@0x64 0x00 0x99
drive "ro16: word data write is refused" "ERR" "$sock" w3@0x64 0x00 0x99 0x98
check_out "ro16: the chip's register 0x00 is unchanged" 0x61 i2cget -y "$bus" 0x54 0x00
check_out "ro16: ... and register 0x01" 0x62 i2cget -y "$bus" 0x54 0x01
drive "the alias' host address 0x51 is not on the guest's bus" "ERR,ERR" "$sock" \
	w1@0x51 0x05 r1

# Shapes SMBus cannot express fail; the daemon keeps working.
drive "(W 1)(R 0) has no SMBus equivalent" "ERR,ERR OK,OK 0xa5" "$sock" \
	w1@0x50 0x10 r0 -- w1@0x50 0x10 r1
drive "(R 2) has no SMBus equivalent" "ERR" "$sock" r2@0x50
drive "3 messages have no SMBus equivalent" "ERR,ERR,ERR" "$sock" w1@0x50 0x10 r1 r1
drive "(W 1)(R 33) needs SMBus block read, which the stub lacks" "ERR,ERR" "$sock" \
	w1@0x50 0x10 r33
drive "the daemon still works after them" "OK,OK 0xa5" "$sock" w1@0x50 0x10 r1

# Addresses not listed.
drive "unlisted stub chip 0x52 gives ERR" "ERR,ERR" "$sock" w1@0x52 0x00 r1
drive "unlisted 0x33 gives ERR (quick)" "ERR" "$sock" r0@0x33
# Like on a wire: the messages before the unlisted address run, it NACKs.
drive "a group runs up to an unlisted address" "OK,ERR" "$sock" \
	w2@0x50 0x12 0x66 w2@0x52 0x12 0x67
check_out "... the message before it was written" 0x66 i2cget -y "$bus" 0x50 0x12
check_out "... the one to the unlisted chip was not" 0x00 i2cget -y "$bus" 0x52 0x12

# A kernel driver binding to a passed address while the daemon runs takes it over.
check_ok "modprobe at24" modprobe at24
new_client "$bus" 24c02 0x50
drv=$(basename "$(readlink "$(client_dir "$bus" 0x50)/driver")")
check_eq "at24 is bound to stub chip 0x50" at24 "$drv"
drive "requests to 0x50 fail once at24 has it" "ERR,ERR ERR" "$sock" w1@0x50 0x10 r1 -- \
	w2@0x50 0x10 0x11
check_out "... and the write did not reach the chip" 0xa5 i2cget -f -y "$bus" 0x50 0x10
drive "the other chips still work" "OK,OK 0x42" "$sock" w1@0x60 0x05 r1
check_ok "delete the at24 client" sh -c "echo 0x50 >/sys/bus/i2c/devices/i2c-$bus/delete_device"
drive "0x50 is the guest's again once at24 is gone" "OK,OK 0xa5" "$sock" w1@0x50 0x10 r1

# A second daemon may not take an address this one passes through.
start_fails "a second daemon on 0x50" second "0x50.*(another process|in use)" \
	-l "$bus:0x50"
start_fails "a second daemon on 0x51 (behind an alias)" second \
	"0x51.*(another process|in use)" -l "$bus:0x51@0x70"
drive "the first daemon still works" "OK,OK 0x42" "$sock" w1@0x60 0x05 r1
stop_daemon stub

# --- Second instance: the adapter by number, one listed chip is absent ---
start_daemon stub -l "$bus:0x50:0x51@0x60/ro:0x53" || {
	finish
	exit
}
drive "by number: quick write at 0x50" "OK" "$sock" w0@0x50
drive "by number: quick at absent 0x53 reaches the stub, which has no chip there" \
	"ERR" "$sock" w0@0x53
drive "by number: byte data read" "OK,OK 0xa5" "$sock" w1@0x50 0x10 r1
drive "by number: byte data write" "OK" "$sock" w2@0x50 0x13 0x3c
check_out "by number: the stub holds it" 0x3c i2cget -y "$bus" 0x50 0x13
drive "by number: read-only alias reads" "OK,OK 0x42" "$sock" w1@0x60 0x05 r1
drive "by number: read-only alias refuses writes" "ERR" "$sock" w2@0x60 0x05 0x99
check_out "by number: the read-only register is unchanged" 0x42 i2cget -y "$bus" 0x51 0x05
stop_daemon stub
start_daemon again -l "$bus:0x50" &&
	drive "the addresses are free again once the daemon stopped" "OK,OK 0xa5" \
		/tmp/again0 w1@0x50 0x10 r1
stop_daemon again

# --- An address a kernel driver owns is refused at start ---
new_client "$bus" 24c02 0x52
drv=$(basename "$(readlink "$(client_dir "$bus" 0x52)/driver")")
check_eq "at24 is bound to stub chip 0x52" at24 "$drv"
start_fails "an address bound to at24" bound "0x52.*at24" -l "$bus:0x50:0x52"
start_fails "an address bound to at24 (by name)" bound "0x52.*at24" \
	-l "SMBus stub driver:0x52@0x30"
finish
