#!/usr/bin/env python3
"""read_oracle.py READS MAP IMG BS: the blocks of IMG that a program read
(READS: "OFFSET LENGTH" lines, from logread.c) but a capture does not
store (MAP: "e2qcow capture -n" output), leaving out blocks that read as
zeros anyway (and leaving out blkid's probe of the device's head).
Prints up to 8 of them, space-separated; nothing if none.
"""
import re
import sys


def main():
    reads, mapf, img, bs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    stored = []
    for line in open(mapf):
        m = re.match(r"Would write blocks? (\d+)(?:-(\d+))?", line)
        if m:
            stored.append((int(m.group(1)), int(m.group(2) or m.group(1))))

    def has(b):
        return any(a <= b <= z for a, z in stored)

    try:
        lines = open(reads).read().split("\n")
    except FileNotFoundError:
        lines = []
    miss = set()
    with open(img, "rb") as data:
        size = data.seek(0, 2)
        for line in lines:
            if not line:
                continue
            off, n = map(int, line.split())
            # blkid's probe of the device's head (one read of 256 KiB or
            # more at offset 0: dumpe2fs makes it to say what a device
            # holds when it finds no superblock) reads no filesystem.
            if off == 0 and n >= 256 << 10:
                continue
            for b in range(off // bs, (off + n - 1) // bs + 1):
                if b * bs >= size or b in miss or has(b):
                    continue
                data.seek(b * bs)
                if any(data.read(bs)):
                    miss.add(b)
    print(" ".join(str(b) for b in sorted(miss)[:8]))


if __name__ == "__main__":
    main()
