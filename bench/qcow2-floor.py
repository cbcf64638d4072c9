#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The qcow2 floor of a metadata capture: the smallest image any qcow2
writer could make of the blocks a capture takes, per cluster size.

For each cluster size c that QEMU accepts for the filesystem's size (its
L1 table at most 32 MiB), an image needs the header, the L1 table, one
data cluster for each c-aligned piece of the device holding a non-zero
captured block, one L2 table (one cluster) for each (c*c/8)-byte range
holding such a piece, and the refcount table and blocks covering them
all.  Shared: identical data clusters stored once (qcow2 refcounts
allow it; e2qcow's --dedup does it), and so identical L2 tables (the
same entries mapping the same shared clusters; L1 entries may share a
table as snapshots do).  Compressed (and shared), a data
cluster costs what its bytes compress to, in 512-byte sectors, instead
of c (estimated: each non-zero block deflated alone at zlib level 6 with
QEMU's 4 KiB window, zeros free); the L2 tables stay whole.  Refcounts'
16-bit limit on sharing is left out.

usage: qcow2-floor.py SOURCE [IMAGE...]
  SOURCE  the filesystem (read: the blocks e2qcow capture -n lists)
  IMAGE   images to set against the floor (their size and cluster size)
E2QCOW names the e2qcow binary (default: e2qcow on PATH).
"""
import os
import re
import struct
import subprocess
import sys
import zlib

MAX_L1 = 32 << 20


def captured_runs(source):
    e2qcow = os.environ.get("E2QCOW", "e2qcow")
    out = subprocess.run([e2qcow, "capture", "-n", source, "-"],
                         capture_output=True, text=True)
    runs = []
    bs = None
    for line in out.stdout.splitlines():
        m = re.match(r"Would write blocks? (\d+)(?:-(\d+))?$", line)
        if m:
            a = int(m.group(1))
            runs.append((a, int(m.group(2) or a) - a + 1))
        m = re.match(r"\d+ blocks of (\d+) bytes", line)
        if m:
            bs = int(m.group(1))
    if bs is None:
        sys.exit("qcow2-floor: e2qcow capture -n %s said: %s" %
                 (source, out.stderr.strip()))
    return runs, bs


def nonzero_blocks(source, runs, bs):
    """The captured blocks that hold anything: number -> (deflated size,
    a hash of the bytes)."""
    blocks = {}
    with open(source, "rb") as f:
        for start, count in runs:
            f.seek(start * bs)
            data = f.read(count * bs)
            for i in range(count):
                piece = data[i * bs:(i + 1) * bs]
                if piece.count(0) != len(piece):
                    z = zlib.compressobj(6, zlib.DEFLATED, -12)
                    blocks[start + i] = (len(z.compress(piece) + z.flush()),
                                         hash(piece))
    return blocks


def floor_for(blocks, bs, size, bits):
    c = 1 << bits
    l1 = -(-size // (c * c // 8))
    if l1 * 8 > MAX_L1:
        return None
    per = {}  # cluster -> [deflated bytes, what it holds]
    span = max(bs // c, 1)  # clusters a block covers
    for b, (z, h) in blocks.items():
        for j in range(span):
            k = b * bs // c + j
            e = per.setdefault(k, [0, []])
            e[0] += z // span
            e[1].append((b * bs - k * c, j, h))
    clusters = sorted(per)
    distinct = {}
    tables = {}  # L2 table -> its entries: (index, what it maps)
    for k in clusters:
        what = tuple(per[k][1])
        distinct.setdefault(what, per[k][0])
        tables.setdefault(k // (c // 8), []).append((k % (c // 8), what))
    l2 = len(tables)
    l2_distinct = len({tuple(t) for t in tables.values()})
    head = 1 + (-(-(l1 * 8) // c))

    def with_tables(n_l2, data):
        total = head + n_l2 + data
        # refcounts: 16-bit entries, c/2 per block, and the table.
        refblocks = -(-total // (c // 2))
        reftable = -(-(refblocks * 8) // c)
        return (head + n_l2 + refblocks + reftable) * c

    plain = with_tables(l2, len(clusters)) + len(clusters) * c
    meta = with_tables(l2_distinct, len(distinct))
    shared = meta + len(distinct) * c
    zbytes = sum(min(-(-(n + 16) // 512) * 512, c) for n in distinct.values())
    return (plain, shared, meta + zbytes, len(clusters), len(distinct), l2,
            l2_distinct)


def size_name(c):
    return "%d KiB" % (c >> 10) if c >= 1024 else "%d B" % c


def image_info(path):
    with open(path, "rb") as f:
        hdr = f.read(24)
    bits = struct.unpack(">I", hdr[20:24])[0]
    return bits, os.path.getsize(path)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    source = sys.argv[1]
    runs, bs = captured_runs(source)
    with open(source, "rb") as f:
        size = f.seek(0, 2)
    blocks = nonzero_blocks(source, runs, bs)
    print("%s: %d bytes, %d captured blocks of %d bytes, %d not zero" %
          (source, size, sum(n for _, n in runs), bs, len(blocks)))
    print("| cluster | data clusters (distinct) | L2 tables (distinct) "
          "| floor | shared | shared, compressed |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    best = {}
    for bits in range(9, 22):
        r = floor_for(blocks, bs, size, bits)
        if r is None:
            continue
        plain, shared, comp, nd, ndist, nl2, nl2dist = r
        print("| %s | %d (%d) | %d (%d) | %.1f MB | %.1f MB | %.1f MB |" %
              (size_name(1 << bits), nd, ndist, nl2, nl2dist, plain / 1e6,
               shared / 1e6, comp / 1e6))
        for name, v in (("plain", plain), ("shared", shared),
                        ("shared, compressed", comp)):
            if name not in best or v < best[name][1]:
                best[name] = (bits, v)
    for name, (bits, v) in best.items():
        print("lowest %s: %.1f MB with %s clusters" %
              (name, v / 1e6, size_name(1 << bits)))
    for img in sys.argv[2:]:
        bits, n = image_info(img)
        print("%s: %.1f MB with %s clusters" % (img, n / 1e6,
                                               size_name(1 << bits)))


if __name__ == "__main__":
    main()
