#!/usr/bin/env python3
"""poke.py: byte surgery on a filesystem image for the scrub leak tests.

  poke.py IMG write OFFSET TEXT        write TEXT at byte OFFSET
  poke.py IMG u32 OFFSET VALUE         a little-endian 32-bit value
  poke.py IMG sbcsum OFFSET            ext4 superblock checksum again
  poke.py IMG dxslack BS BLOCK TEXT    TEXT after a dx root's entries
  poke.py IMG eagap BS BLOCK TEXT      TEXT between an xattr block's
                                       entry table and its values
  poke.py IMG jblock BS BLOCK TYPE     is BLOCK a jbd2 block of TYPE?
"""
import struct
import sys


def crc32c(data, crc=0xFFFFFFFF):
    poly = 0x82F63B78
    table = getattr(crc32c, "table", None)
    if table is None:
        table = []
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ poly if c & 1 else c >> 1
            table.append(c)
        crc32c.table = table
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


def rw(img, off, n, data=None):
    with open(img, "r+b") as f:
        f.seek(off)
        if data is None:
            return f.read(n)
        f.write(data)
    return None


def main():
    img, op = sys.argv[1], sys.argv[2]
    a = sys.argv[3:]
    if op == "write":
        rw(img, int(a[0]), 0, a[1].encode())
    elif op == "u32":
        rw(img, int(a[0]), 0, struct.pack("<I", int(a[1], 0)))
    elif op == "sbcsum":
        off = int(a[0])
        sb = rw(img, off, 1024)
        # Not ~crc: libext2fs stores the raw crc32c (seed ~0, no final xor).
        rw(img, off + 0x3FC, 0, struct.pack("<I", crc32c(sb[:0x3FC])))
    elif op == "dxslack":
        bs, blk = int(a[0]), int(a[1])
        b = rw(img, bs * blk, bs)
        ent = 24 + b[24 + 5]
        count = struct.unpack_from("<H", b, ent + 2)[0]
        at = ent + 8 * count + 4
        rw(img, bs * blk + at, 0, a[2].encode())
    elif op == "eagap":
        bs, blk = int(a[0]), int(a[1])
        b = rw(img, bs * blk, bs)
        e = 32
        while struct.unpack_from("<I", b, e)[0]:
            e += (16 + b[e] + 3) & ~3
        rw(img, bs * blk + e + 8, 0, a[2].encode())
    elif op == "jblock":
        bs, blk = int(a[0]), int(a[1])
        b = rw(img, bs * blk, 12)
        magic, btype = struct.unpack(">II", b[:8])
        sys.exit(0 if magic == 0xC03B3998 and btype == int(a[2]) else 1)
    else:
        sys.exit("poke.py: unknown operation " + op)


if __name__ == "__main__":
    main()
