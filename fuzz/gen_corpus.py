#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpora fuzz/corpus/<target>/seed-* in each target's input format.

The seeds are meaningful starting points: a QEMU 7.2-like vhost-user session
that configures and kicks a queue holding real requests, typical virtio-i2c
request chains (direct, indirect, EVENT_IDX), command lines the daemon
accepts, and the SMBus shapes of the translation table. The formats are
described at the top of each fuzz/fuzz_<target>.c. Run from anywhere;
existing seed-* files are replaced, other files (crash regressions) are kept.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- virtio / vhost-user constants (src/proto.h) ----
F_NEXT, F_WRITE, F_INDIRECT = 1, 2, 4
I2C_FAIL_NEXT, I2C_M_RD = 1, 2
(GET_FEATURES, SET_FEATURES, SET_OWNER, RESET_OWNER, SET_MEM_TABLE) = (1, 2, 3, 4, 5)
(SET_VRING_NUM, SET_VRING_ADDR, SET_VRING_BASE, GET_VRING_BASE) = (8, 9, 10, 11)
(SET_VRING_KICK, SET_VRING_CALL, SET_VRING_ERR) = (12, 13, 14)
(GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES, GET_QUEUE_NUM) = (15, 16, 17)
SET_VRING_ENABLE, RESET_DEVICE, GET_MAX_MEM_SLOTS = 18, 34, 36
ADD_MEM_REG, REM_MEM_REG, SET_STATUS, GET_STATUS = 37, 38, 39, 40
NEED_REPLY = 0x8
FEATURES = 0x170000001  # VERSION_1 | bit 30 | EVENT_IDX | INDIRECT | ZERO_LENGTH
FEATURES_NO_PROTO = 0x130000001
PROTO_FEATURES = 0x8009  # MQ | REPLY_ACK | CONFIGURE_MEM_SLOTS


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


# ---- guest memory images: rings at gpa 0, requests after them ----
class Ring:
    """A split ring of `num` entries laid out as fuzz_virtq.c does (desc, avail, used)."""

    def __init__(self, num, size=0x400):
        self.num = num
        self.avail = 16 * num
        self.used = (self.avail + 6 + 2 * num + 3) & ~3
        self.mem = bytearray(size)
        self.heads = []

    def desc(self, i, addr, length, flags, nxt=0):
        struct.pack_into("<QIHH", self.mem, 16 * i, addr, length, flags, nxt)

    def put(self, off, data):
        self.mem[off:off + len(data)] = data

    def publish(self, heads, used_event=0):
        for k, h in enumerate(heads):
            struct.pack_into("<H", self.mem, self.avail + 4 + 2 * k, h)
        struct.pack_into("<HH", self.mem, self.avail, 0, len(heads))
        struct.pack_into("<H", self.mem, self.avail + 4 + 2 * self.num, used_event)

    def image(self):
        return bytes(self.mem)


def out_hdr(addr, flags):
    return struct.pack("<HHI", addr << 1, 0, flags)


def eeprom_write_then_read(r):
    """24c02@0x50: write 4 bytes at 0x10, then [W 1][R 8] from 0x10 (a group of two)."""
    r.put(0x280, out_hdr(0x50, 0))
    r.put(0x290, bytes([0x10, 0xde, 0xad, 0xbe, 0xef]))
    r.desc(0, 0x280, 8, F_NEXT, 1)
    r.desc(1, 0x290, 5, F_NEXT, 2)
    r.desc(2, 0x2f0, 1, F_WRITE)
    r.put(0x2a0, out_hdr(0x50, I2C_FAIL_NEXT))
    r.put(0x2b0, bytes([0x10]))
    r.desc(3, 0x2a0, 8, F_NEXT, 4)
    r.desc(4, 0x2b0, 1, F_NEXT, 5)
    r.desc(5, 0x2f1, 1, F_WRITE)
    r.put(0x2c0, out_hdr(0x50, I2C_M_RD))
    r.desc(6, 0x2c0, 8, F_NEXT, 7)
    r.desc(7, 0x2d0, 8, F_WRITE | F_NEXT, 8)
    r.desc(8, 0x2f2, 1, F_WRITE)
    return [0, 3, 6]


def virtq_seeds():
    def cfg(event_idx=False, indirect=False, call=True, split=False, far=False, qshift=2):
        return (event_idx * 1 | indirect * 2 | call * 4 | split * 8 | far * 16 | qshift << 5)

    # 1. A write, then a write+read group to the EEPROM; queue of 16, no EVENT_IDX.
    r = Ring(16)
    heads = eeprom_write_then_read(r)
    r.publish(heads)
    base = struct.pack("<BH", cfg(qshift=3), 0)
    write("virtq", "eeprom-direct", base + r.image()[:0x300])
    # 2. The same with EVENT_IDX and used_event asking for a signal after the last one.
    r.publish(heads, used_event=2)
    write("virtq", "eeprom-event-idx",
          struct.pack("<BH", cfg(event_idx=True, qshift=3), 0) + r.image()[:0x300])

    # 3. Indirect: LM75 temperature read [W 1 = reg 0][R 2], each request one indirect table.
    r = Ring(8)
    tables = 0x300
    r.put(0x280, out_hdr(0x48, I2C_FAIL_NEXT))
    r.put(0x288, bytes([0x00]))
    r.put(0x290, out_hdr(0x48, I2C_M_RD))
    t1 = struct.pack("<QIHH", 0x280, 8, F_NEXT, 1) + struct.pack("<QIHH", 0x288, 1, F_NEXT, 2) \
        + struct.pack("<QIHH", 0x2f0, 1, F_WRITE, 0)
    t2 = struct.pack("<QIHH", 0x290, 8, F_NEXT, 1) + struct.pack("<QIHH", 0x2a0, 2, F_WRITE | F_NEXT, 2) \
        + struct.pack("<QIHH", 0x2f1, 1, F_WRITE, 0)
    r.put(tables, t1)
    r.put(tables + 0x40, t2)
    r.desc(0, tables, len(t1), F_INDIRECT)
    r.desc(1, tables + 0x40, len(t2), F_INDIRECT)
    r.publish([0, 1])
    write("virtq", "lm75-indirect",
          struct.pack("<BH", cfg(indirect=True, event_idx=True), 0) + r.image()[:0x380])

    # 4. Zero-length requests (probes) to the stub and to an empty address; guest-side
    #    status bytes in the second region (split memory), ring base near the wrap.
    r = Ring(4)
    r.put(0x100, out_hdr(0x10, 0))
    r.put(0x108, out_hdr(0x33, 0))
    r.desc(0, 0x100, 8, F_NEXT, 1)
    r.desc(1, 0x8000, 1, F_WRITE)
    r.desc(2, 0x108, 8, F_NEXT, 3)
    r.desc(3, 0x8001, 1, F_WRITE)
    # Taken from ring[0xffff % 4] and ring[0x10000 % 4]; avail->idx wraps to 1.
    struct.pack_into("<H", r.mem, r.avail + 4 + 2 * 3, 0)
    struct.pack_into("<H", r.mem, r.avail + 4, 2)
    struct.pack_into("<HH", r.mem, r.avail, 0, 1)
    write("virtq", "probes-split-wrap",
          struct.pack("<BH", cfg(split=True, qshift=1), 0xffff) + r.image()[:0x120])

    # 5. A stub register write whose header and data are split differently over two
    #    readable pieces, then [W 1][R 2] with read buffer and status in one writable
    #    piece; NO_INTERRUPT set.
    r = Ring(8)
    r.put(0x100, out_hdr(0x10, 0)[:4])
    r.put(0x104, out_hdr(0x10, 0)[4:] + bytes([0x05, 0x42]))
    r.desc(0, 0x100, 4, F_NEXT, 1)
    r.desc(1, 0x104, 6, F_NEXT, 2)
    r.desc(2, 0x180, 1, F_WRITE)
    r.put(0x110, out_hdr(0x10, I2C_FAIL_NEXT) + bytes([0x05]))
    r.desc(3, 0x110, 9, F_NEXT, 4)
    r.desc(4, 0x181, 1, F_WRITE)
    r.put(0x120, out_hdr(0x10, I2C_M_RD))
    r.desc(5, 0x120, 8, F_NEXT, 6)
    r.desc(6, 0x190, 3, F_WRITE)
    r.publish([0, 3, 5])
    struct.pack_into("<H", r.mem, r.avail, 1)
    write("virtq", "stub-pieces", struct.pack("<BH", cfg(qshift=2), 0) + r.image()[:0x200])


# ---- vhost-user sessions ----
def vu_msg(request, payload=b"", flags=1, fds=0, fd_kinds=0, split=False, kick=False):
    ctl = fds | (0x10 if split else 0) | (0x20 if kick else 0)
    return struct.pack("<BB", ctl, fd_kinds) + struct.pack("<III", request, flags,
                                                             len(payload)) + payload


def u64(v):
    return struct.pack("<Q", v)


def state(num, index=0):
    return struct.pack("<II", index, num)


UVA = 0x7f0000000000
MEMFD_SIZE = 256 * 1024


def region(gpa=0, size=MEMFD_SIZE, uva=UVA, offset=0):
    return struct.pack("<QQQQ", gpa, size, uva, offset)


def vring_addr(r, uva=UVA):
    return struct.pack("<IIQQQQ", 0, 0, uva, uva + r.used, uva + r.avail, 0)


def vhost_user_seeds():
    r = Ring(16)
    heads = eeprom_write_then_read(r)
    r.publish(heads, used_event=0)
    image = r.image()[:0x300]
    pre = struct.pack("<H", len(image)) + image

    # QEMU 7.2 realize, start, run, stop.
    init = [
        vu_msg(GET_FEATURES),
        vu_msg(GET_PROTOCOL_FEATURES),
        vu_msg(SET_PROTOCOL_FEATURES, u64(PROTO_FEATURES)),
        vu_msg(GET_QUEUE_NUM),
        vu_msg(GET_MAX_MEM_SLOTS),
        vu_msg(SET_OWNER),
        vu_msg(GET_FEATURES),
        vu_msg(SET_VRING_CALL, u64(0), fds=1),
        vu_msg(SET_VRING_ERR, u64(0), fds=1),
    ]
    start = [
        vu_msg(SET_FEATURES, u64(FEATURES)),
        vu_msg(SET_MEM_TABLE, struct.pack("<II", 1, 0) + region(), flags=1 | NEED_REPLY, fds=1,
               fd_kinds=1),
        vu_msg(SET_VRING_NUM, state(r.num)),
        vu_msg(SET_VRING_BASE, state(0)),
        vu_msg(SET_VRING_ADDR, vring_addr(r)),
        vu_msg(SET_VRING_KICK, u64(0), fds=1),
        vu_msg(SET_VRING_ENABLE, state(1)),
        vu_msg(SET_VRING_CALL, u64(0), fds=1, kick=True),
    ]
    stop = [
        vu_msg(SET_VRING_ENABLE, state(0)),
        vu_msg(GET_VRING_BASE, state(0)),
    ]
    write("vhost_user", "qemu72-session", pre + b"".join(init + start + stop))
    # Reconnect: start again without the init messages, then a second start after the stop.
    write("vhost_user", "qemu72-reconnect", pre + b"".join(start + stop + start))

    # Memory slots: ADD_MEM_REG in two halves, a queue that spans them, REM_MEM_REG,
    # status messages, split framing, RESET_DEVICE.
    half = MEMFD_SIZE // 2
    slots = [
        vu_msg(GET_FEATURES),
        vu_msg(SET_FEATURES, u64(FEATURES)),
        vu_msg(GET_STATUS),
        vu_msg(SET_STATUS, u64(0x0b)),
        vu_msg(ADD_MEM_REG, u64(0) + region(size=half), flags=1 | NEED_REPLY, fds=1, fd_kinds=1),
        vu_msg(ADD_MEM_REG, u64(0) + region(gpa=half, size=half, uva=UVA + half, offset=half),
               flags=1 | NEED_REPLY, fds=1, fd_kinds=1, split=True),
        vu_msg(SET_VRING_NUM, state(r.num)),
        vu_msg(SET_VRING_ADDR, vring_addr(r)),
        vu_msg(SET_VRING_KICK, u64(0), fds=1),
        vu_msg(SET_VRING_ENABLE, state(1), kick=True),
        vu_msg(REM_MEM_REG, u64(0) + region(gpa=half, size=half, uva=UVA + half, offset=half),
               flags=1 | NEED_REPLY),
        vu_msg(RESET_DEVICE),
        vu_msg(GET_VRING_BASE, state(0)),
    ]
    write("vhost_user", "mem-slots-status", pre + b"".join(slots))

    # Without VHOST_USER_F_PROTOCOL_FEATURES: the ring is enabled by SET_VRING_KICK alone.
    legacy = [
        vu_msg(GET_FEATURES),
        vu_msg(SET_FEATURES, u64(FEATURES_NO_PROTO)),
        vu_msg(SET_MEM_TABLE, struct.pack("<II", 1, 0) + region(), fds=1, fd_kinds=1),
        vu_msg(SET_VRING_NUM, state(r.num)),
        vu_msg(SET_VRING_ADDR, vring_addr(r)),
        vu_msg(SET_VRING_CALL, u64(0x100)),
        vu_msg(SET_VRING_KICK, u64(0), fds=1, kick=True),
        vu_msg(RESET_OWNER),
    ]
    write("vhost_user", "no-protocol-features", pre + b"".join(legacy))

    # A hostile tail: a table with two fds too many, which must close the connection.
    write("vhost_user", "too-many-fds", struct.pack("<H", 0) + b"".join([
        vu_msg(GET_FEATURES),
        vu_msg(SET_MEM_TABLE, struct.pack("<II", 1, 0) + region(), fds=10, fd_kinds=0xff),
    ]))


# ---- command lines ----
def config_seeds():
    def cmd(mode, errlen, *tokens):
        return struct.pack("<BB", mode, errlen) + b"\0".join(t.encode() for t in tokens)

    write("config", "drop-in", cmd(0, 200, "-s", "/run/vi2c.sock", "-c", "2", "-l",
                                   "6:32:41,7:0x50"))
    write("config", "long-options", cmd(0, 200, "--socket-path=/tmp/i2c-", "--socket-count=4",
                                        "--device-list=i2c-stub:0x50@0x51/ro:0x1c",
                                        "--emulate=24c02@0x50,file=/tmp/e.bin", "-vv"))
    write("config", "emulate-all", cmd(0, 255, "-s", "/tmp/v", "-e", "24c02@0x50", "-e",
                                       "24c32@0x54,file=/var/lib/x.bin", "-e", "24c256@88",
                                       "-e", "lm75@0x48,temp=-12.5", "-e", "stub@0x10", "-v"))
    write("config", "emulate-models", cmd(0, 255, "-s", "/tmp/v", "-e", "tmp102@0x48,temp=-12.125",
                                          "-e", "jc42@0x18,temp=36.75", "-e",
                                          "sht3x@0x44,temp=23.4,humidity=56.7", "-e",
                                          "ads1015@0x4a,ain0=1.234,ain3=0x1", "-e",
                                          "bmp280@0x76,temp=21.37,pressure=1002.5", "-e",
                                          "pca9555@0x20,inputs=0xa5a5,outputs=1", "-e",
                                          "ds3231@0x68,offset=-3600.5"))
    write("config", "emulate-write-cycle", cmd(0, 200, "-s", "/tmp/v", "-e",
                                               "24c02@0x50,write_cycle_us=5000", "-e",
                                               "24c32@0x54,file=/tmp/e.bin,write_cycle_us=0x10",
                                               "-e", "24c256@0x58,write_cycle_us=100001"))
    write("config", "guest-sections", cmd(0, 200, "-s", "/tmp/v", "-c", "4", "-e", "stub@0x10",
                                          "--guest", "1,3", "-e", "24c02@0x50", "-l", "1:0x48",
                                          "--guest=2", "-e", "lm75@0x48", "-l", "2:0x49"))
    write("config", "fd-and-sandbox", cmd(0, 200, "--fd=3", "--user", "vi2c", "--group=kvm",
                                          "--socket-mode=0660", "--trace=/tmp/t", "--syslog",
                                          "-e", "stub@0x10"))
    write("config", "no-sandbox-user", cmd(0, 100, "-s", "/tmp/v", "--no-sandbox", "--trace",
                                           "--user=nobody", "-e", "stub@0x10"))
    write("config", "print-capabilities", cmd(0, 64, "--print-capabilities"))
    write("config", "help", cmd(0, 64, "--help"))
    write("config", "version", cmd(0, 64, "-V"))
    write("config", "duplicate-address", cmd(0, 40, "-s", "/tmp/v", "-l", "1:0x50", "-e",
                                             "stub@0x50"))
    write("config", "incremental", cmd(1, 128, "l1:0x20:0x21@0x22/ro,2:0x30",
                                       "lSMBus I801 adapter at f040:0x50@0x60",
                                       "e24c32@0x50,file=/tmp/a.bin", "elm75@0x48,temp=125",
                                       "estub@0x10", "l3:0x10"))
    write("config", "read-only", cmd(0, 200, "-s", "/tmp/v", "-l",
                                     "1:0x50/ro:0x51@0x61/ro16:0x52/ro8,2:0x54/ro16"))
    write("config", "max-guest-memory", cmd(0, 120, "-s", "/tmp/v", "-e", "stub@0x10",
                                            "--max-guest-memory=64G", "--max-guest-memory",
                                            "1048576", "--max-guest-memory=512K"))
    write("config", "addresses", cmd(2, 0, "0", "127", "0x7f", "0x80", "0X10", "08", "-1",
                                     "0x", ""))


# ---- SMBus translation ----
ALL = 0xffffffffffffffff
I2C_FUNC_SMBUS_EMUL = 0x0eff0008


def smbus_seeds():
    def msg(addr, read, data=b"", length=None):
        n = len(data) if length is None else length
        return struct.pack("<BBB", addr, 1 if read else 0, n) + (b"" if read else data)

    def seed(name, funcs, msgs, reply=b"", shape=(20, 95)):
        reply = reply.ljust(34, b"\0")
        write("smbus", name, struct.pack("<QB", funcs, len(msgs)) + b"".join(msgs) + reply
              + b"\0" + bytes(shape))

    seed("byte-data-read", ALL, [msg(0x50, False, b"\x10"), msg(0x50, True, length=1)],
         b"\x42")
    seed("word-write", I2C_FUNC_SMBUS_EMUL, [msg(0x48, False, b"\x02\x00\x4b")])
    seed("block-read-33", ALL, [msg(0x0b, False, b"\x20"), msg(0x0b, True, length=33)],
         b"\x05hello")
    seed("block-write-34", ALL & ~1 & ~0x00800000,
         [msg(0x0b, False, bytes([0x21, 32]) + bytes(range(32)))])
    seed("i2c-block-read", I2C_FUNC_SMBUS_EMUL, [msg(0x50, False, b"\x00"),
                                                 msg(0x50, True, length=16)],
         bytes([16]) + bytes(range(16)))
    seed("quick", I2C_FUNC_SMBUS_EMUL, [msg(0x30, True)])
    seed("proc-call", ALL, [msg(0x40, False, b"\x01\x34\x12"), msg(0x40, True, length=2)],
         b"\x78\x56")
    seed("unsupported", ALL, [msg(0x50, False, b"\x00"), msg(0x50, True, length=0),
                              msg(0x50, True, length=1)], shape=(3, 0))


# ---- emulated devices ----
def emul_seeds():
    def m(target, read, data=b"", length=None):
        n = len(data) if length is None else length
        return struct.pack("<BBH", target, 1 if read else 0, n) + (b"" if read else data)

    def group(*msgs):
        return bytes([len(msgs) - 1]) + b"".join(msgs)

    S, LM, E02, E32, E256, EMPTY = 0, 1, 2, 3, 4, 5
    TMP, JC, SHT, ADS, BMP, PCA, RTC, ANY = 6, 7, 8, 9, 10, 11, 12, 15
    DS1307, DS3231 = b"\x00", b"\x01"  # the variant byte
    write("emul", "eeproms", DS1307 + b"".join([
        group(m(E02, False, b"\x08" + bytes(range(12)))),           # page write wrapping at 8
        group(m(E02, False, b"\x08"), m(E02, True, length=16)),      # random read
        group(m(E32, False, b"\x0f\xfe" + b"abcdefgh")),              # 2-byte address, page wrap
        group(m(E32, False, b"\x0f\xfe"), m(E32, True, length=300)),  # sequential read wraps
        group(m(E256, False, b"\x7f\xff"), m(E256, True, length=4)),
        group(m(E256, True, length=2)),                               # current-address read
    ]))
    write("emul", "lm75", DS1307 + b"".join([
        group(m(LM, False, b"\x00"), m(LM, True, length=2)),          # temperature
        group(m(LM, False, b"\x01\x06")),                              # configuration
        group(m(LM, False, b"\x02\x4b\x00")),                          # T_hyst
        group(m(LM, False, b"\x03"), m(LM, True, length=2)),          # T_os
        group(m(LM, True, length=5)),
    ]))
    SPA, SPD = 14, 13  # 0x36/0x37 (next byte's bit 0), ee1004@0x52
    write("emul", "ee1004", DS1307 + b"".join([
        group(struct.pack("<BBBH", SPA, 1, 0, 1) + b"\x00"),          # select bank 1 (0x37)
        group(struct.pack("<BBBH", SPA, 0, 1, 1)),                     # RPA read: NACK in bank 1
        group(m(SPD, False, b"\xfe\x11\x22\x33")),                    # write wraps in its page
        group(m(SPD, False, b"\xfe"), m(SPD, True, length=4)),        # read wraps in the bank
        group(m(SPD, False, b"\x10\x44"), struct.pack("<BBBH", SPA, 0, 0, 0)),  # aborted
        group(struct.pack("<BBBH", SPA, 0, 0, 1) + b"\x00"),          # bank 0 (0x36)
        group(struct.pack("<BBBH", SPA, 0, 1, 1)),                     # RPA read: ACK
    ]))
    write("emul", "stub-and-empty", DS1307 + b"".join([
        group(m(S, False, b"\x05\x11\x22\x33")),
        group(m(S, False, b"\x05"), m(S, True, length=3)),
        group(m(S, False, b""), m(EMPTY, True, length=1), m(S, True, length=1)),
        group(struct.pack("<BBBH", ANY, 0x11, 0, 1) + b"\x20"),      # any address: empty
    ]))
    write("emul", "tmp102-jc42", DS1307 + b"".join([
        group(m(TMP, False, b"\x01"), m(TMP, True, length=2)),        # config 0x60a0
        group(m(TMP, False, b"\x01\x62\xb0")),                          # EM, as Linux does
        group(m(TMP, False, b"\x00"), m(TMP, True, length=2)),
        group(m(TMP, False, b"\x01\x61\xb0"), m(TMP, False, b"\x01\xe1\xb0")),  # SD, one-shot
        group(m(JC, False, b"\x07"), m(JC, True, length=2)),          # device ID
        group(m(JC, False, b"\x01\x00\xc0"), m(JC, False, b"\x02\x01\xe0")),  # locks, upper
        group(m(JC, False, b"\x05"), m(JC, True, length=2)),
    ]))
    write("emul", "sht3x", DS1307 + b"".join([
        group(m(SHT, False, b"\x30\x41")),                              # clear status
        group(m(SHT, False, b"\xf3\x2d"), m(SHT, True, length=3)),     # status
        group(m(SHT, False, b"\x24\x00")),                              # single shot, no stretching
        group(m(SHT, True, length=6)),
        group(m(SHT, False, b"\x2c\x06"), m(SHT, True, length=6)),     # clock stretching
        group(m(SHT, False, b"\x61\x1d\xbe\xef\x92")),                  # limit with CRC
        group(m(SHT, False, b"\x27\x37")),                              # periodic 10 mps
        group(m(SHT, False, b"\xe0\x00"), m(SHT, True, length=6)),     # fetch
        group(m(SHT, False, b"\x30\x93")),                              # break
    ]))
    write("emul", "ads1015-bmp280", DS1307 + b"".join([
        group(m(ADS, False, b"\x01\xc3\x83")),                          # single shot AIN0, 4.096 V
        group(m(ADS, False, b"\x00"), m(ADS, True, length=2)),
        group(m(ADS, False, b"\x01\x04\x83"), m(ADS, False, b"\x00"), m(ADS, True, length=4)),
        group(m(BMP, False, b"\xd0"), m(BMP, True, length=1)),        # chip id
        group(m(BMP, False, b"\x88"), m(BMP, True, length=24)),       # calibration
        group(m(BMP, False, b"\xf4\x57\xf5\x08")),                      # normal, filter
        group(m(BMP, False, b"\xf7"), m(BMP, True, length=6)),        # data
        group(m(BMP, False, b"\xf4\x25"), m(BMP, False, b"\xe0\xb6")),  # forced, reset
    ]))
    write("emul", "pca9555-rtc", DS3231 + b"".join([
        group(m(PCA, False, b"\x06\x00\xff"), m(PCA, False, b"\x02\x0f\xf0")),
        group(m(PCA, False, b"\x00"), m(PCA, True, length=4)),
        group(m(RTC, False, b"\x00"), m(RTC, True, length=19)),       # every register, wraps
        group(m(RTC, False, b"\x00\x59\x59\x23\x03\x31\x12\x30")),    # set the time
        group(m(RTC, False, b"\x0f\x00"), m(RTC, False, b"\x0e"), m(RTC, True, length=2)),
    ]))


# ---- regressions: the bugs the fuzzers found (fuzz/RESULTS.md), as readable inputs ----
def regression(target, name, data):
    d = os.path.join(HERE, "regressions", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def regressions():
    # F1: one zero-length request (i2cdetect's probe) on a fresh queue: NULL + 0.
    r = Ring(4)
    r.put(0x100, out_hdr(0x10, 0))
    r.desc(0, 0x100, 8, F_NEXT, 1)
    r.desc(1, 0x108, 1, F_WRITE)
    r.publish([0])
    regression("virtq", "F1-probe-on-fresh-queue",
               struct.pack("<BH", 4 | 1 << 5, 0) + r.image()[:0x110])

    # F2: a region larger than the memfd behind it (1 MiB declared, 256 KiB file),
    # rings placed past the end of the file: SIGBUS in SET_VRING_ADDR.
    regression("vhost_user", "F2-region-larger-than-memfd", struct.pack("<H", 0) + b"".join([
        vu_msg(SET_FEATURES, u64(FEATURES)),
        vu_msg(SET_MEM_TABLE, struct.pack("<II", 1, 0) + region(size=1 << 20), fds=1,
               fd_kinds=1),
        vu_msg(SET_VRING_NUM, state(8)),
        vu_msg(SET_VRING_ADDR, struct.pack("<IIQQQQ", 0, 0, UVA + 0x80000, UVA + 0x80200,
                                           UVA + 0x80100, 0)),
    ]))

    # F3: rings not aligned as virtio requires: an odd used ring address, and aligned
    # addresses inside a region mapped at an odd offset of its file.
    regression("vhost_user", "F3-misaligned-used-ring", struct.pack("<H", 0) + b"".join([
        vu_msg(SET_FEATURES, u64(FEATURES)),
        vu_msg(SET_MEM_TABLE, struct.pack("<II", 1, 0) + region(), fds=1, fd_kinds=1),
        vu_msg(SET_VRING_NUM, state(8)),
        vu_msg(SET_VRING_ADDR, struct.pack("<IIQQQQ", 0, 0, UVA, UVA + 0x201, UVA + 0x100, 0)),
    ]))
    regression("vhost_user", "F3-odd-mmap-offset", struct.pack("<H", 0) + b"".join([
        vu_msg(SET_FEATURES, u64(FEATURES)),
        vu_msg(SET_MEM_TABLE, struct.pack("<II", 1, 0) + region(size=0x10000, offset=1), fds=1,
               fd_kinds=1),
        vu_msg(SET_VRING_NUM, state(8)),
        vu_msg(SET_VRING_ADDR, struct.pack("<IIQQQQ", 0, 0, UVA, UVA + 0x200, UVA + 0x100, 0)),
    ]))


def regressions_f5():
    # F5: non-BCD digits in every DS3231 time register (year "165" + century):
    # a year past 2262, beyond int64 nanoseconds.
    time_write = struct.pack("<BBH", 12, 0, 8) + b"\x00" + b"\xff" * 7
    regression("emul", "F5-ds3231-non-bcd-time", b"\x01" + b"\x00" + time_write)


def regressions_f4():
    # F4: the used ring placed on the avail ring. Each completion the device writes
    # makes "new" requests available, so virtio_i2c_process never returns.
    r = Ring(16)
    r.publish(eeprom_write_then_read(r))
    image = r.image()[:0x300]
    regression("vhost_user", "F4-used-ring-on-avail-ring", struct.pack("<H", len(image)) + image
               + b"".join([
                   vu_msg(SET_FEATURES, u64(FEATURES_NO_PROTO)),
                   vu_msg(SET_MEM_TABLE, struct.pack("<II", 1, 0) + region(), fds=1, fd_kinds=1),
                   vu_msg(SET_VRING_NUM, state(r.num)),
                   vu_msg(SET_VRING_ADDR, struct.pack("<IIQQQQ", 0, 0, UVA, UVA + r.avail,
                                                      UVA + r.avail, 0)),
                   vu_msg(SET_VRING_KICK, u64(0), fds=1),
               ]))


# ---- control: mode byte (even: request lines, odd: a regmap JSON map) ----
def control_seeds():
    write("control", "session", b"\x00" + b"\n".join([
        b'{"cmd":"list","id":1}', b'{"cmd":"get","addr":"0x48"}',
        b'{"cmd":"set","addr":72,"props":{"temp":30.5}}',
        b'{"cmd":"add","spec":"lm75@0x49,temp=20"}', b'{"cmd":"remove","addr":"0x49"}',
        b'{"cmd":"fault","addr":"0x48","kind":"nack","count":2}',
        b'{"cmd":"fault","addr":"0x50","kind":"corrupt","xor":"0xff"}', b'{"cmd":"faults"}',
        b'{"cmd":"clear","addr":"0x48"}', b'{"cmd":"counters","guest":1}',
        b'{"cmd":"set","addr":"0x48","guest":1,"props":{"temp":-10}}',
        b'{"cmd":"get","addr":"0x48","props":["temp"],"id":"x"}']))
    write("control", "errors", b"\x00" + b"\n".join([
        b'garbage', b'[1]', b'{"cmd":"x"}', b'{"cmd":"get","addr":200}',
        b'{"cmd":"fault","addr":"0x48","kind":"delay","ms":0}',
        b'{"cmd":"add","spec":"24c02@0x51,file=/tmp/x"}', b'{"cmd":"list","cmd":"get"}',
        b'{"cmd":"set","addr":"0x48","props":{"temp":1e999}}']))
    # ee1004 hot-plug: 0x36/0x37 come with the first SPD and go with the last.
    write("control", "spd", b"\x00" + b"\n".join([
        b'{"cmd":"add","spec":"ee1004@0x51"}', b'{"cmd":"add","spec":"ee1004@0x52"}',
        b'{"cmd":"remove","addr":"0x36"}', b'{"cmd":"get","addr":"0x37"}',
        b'{"cmd":"fault","addr":"0x36","kind":"nack"}', b'{"cmd":"remove","addr":"0x51"}',
        b'{"cmd":"add","spec":"stub@0x36"}', b'{"cmd":"remove","addr":"0x52"}',
        b'{"cmd":"add","spec":"stub@0x37"}', b'{"cmd":"add","spec":"ee1004@0x51"}',
        b'{"cmd":"remove","addr":"0x37"}', b'{"cmd":"add","spec":"ee1004@0x51"}',
        b'{"cmd":"list"}']))
    write("control", "map-16bit",
          b'\x01{"reg_bits": 16, "val_bits": 16, "endian": "little", "size": 300, '
          b'"auto_increment": false, "registers": {"0x00": {"reset": 4660, "ro": true}, '
          b'"0x12b": {"reset": "0xffff"}}}')
    write("control", "map-8bit",
          b'\x01{"registers": {"0x00": {"reset": 1}, "5": {"reset": "0x12", "ro": false}}}')


def main():
    regressions()
    regressions_f4()
    virtq_seeds()
    vhost_user_seeds()
    config_seeds()
    smbus_seeds()
    emul_seeds()
    control_seeds()
    regressions_f5()
    return 0


if __name__ == "__main__":
    sys.exit(main())
