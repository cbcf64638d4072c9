#!/usr/bin/env python3
"""harvest_names.py PLAIN SCRUBBED BLOCKSIZE

Every name laid out like a directory entry in PLAIN (an unscrubbed
capture, restored), in any block: live entries, and deleted ones still
parseable in an entry's slack.  Prints those of six bytes or more, all
printable, that SCRUBBED (the scrubbed capture of the same filesystem,
restored) still holds anywhere; exits 1 if there is any.
"""
import re
import struct
import sys

MIN_LEN = 6
KEPT = {b"lost+found"}


def printable(name):
    return all(0x21 <= c < 0x7F for c in name)


def entries(block, start, end, found):
    """Entries chained by rec_len from @start; deleted ones inside slack."""
    off = start
    while off + 8 <= end:
        rec, nlen = struct.unpack_from("<HB", block, off + 4)
        if rec < 8 or rec % 4 or off + rec > end or nlen > rec - 8:
            return
        name = bytes(block[off + 8:off + 8 + nlen])
        if len(name) >= MIN_LEN and printable(name) and name not in KEPT:
            found.add(name)
        # Old entries in the slack after this one's name.
        slack = off + 8 + ((nlen + 3) & ~3)
        if off + rec - slack >= 12:
            entries(block, slack, off + rec, found)
        off += rec


def main():
    plain_path, scrubbed_path, bs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    found = set()
    with open(plain_path, "rb") as f:
        data = f.read()
    for at in range(0, len(data) - bs + 1, bs):
        block = memoryview(data)[at:at + bs]
        if any(block[:8]) or any(block[8:16]):
            entries(block, 0, bs, found)
    # A name can only be inside a run of printable bytes at least as
    # long: search those runs, not the whole image, for every name.
    with open(scrubbed_path, "rb") as f:
        runs = b"\0".join(re.findall(rb"[\x21-\x7e]{%d,}" % MIN_LEN, f.read()))
    left = sorted(n for n in found if runs.find(n) >= 0)
    for n in left:
        print(n.decode("ascii"))
    print("harvest: %d names, %d left" % (len(found), len(left)),
          file=sys.stderr)
    sys.exit(1 if left else 0)


if __name__ == "__main__":
    main()
