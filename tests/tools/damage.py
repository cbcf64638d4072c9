#!/usr/bin/env python3
"""damage.py IMG SEED: damage the ext2/3/4 filesystem in IMG, the same
way for the same SEED, and print what was done (one line a change).

Field-aware: one to three changes to the superblock, a group descriptor,
an inode (mode, flags, size, links, block map, xattr block, extra size),
an extent or index node, a directory entry or hash-tree root, an xattr
block, the journal superblock or a bitmap.  Half the seeds make their
changes through debugfs, which computes checksums again (damage that
looks valid); the other half write the bytes directly (checksums then
fail too).  Values are the ones that change how blocks are read: zero,
all-ones, off by one, another structure's block, flipped flag bits,
another file type.
"""
import random
import re
import subprocess
import sys

S_IFMT = {"file": 0o100000, "dir": 0o040000, "link": 0o120000,
          "chr": 0o020000, "fifo": 0o010000, "zero": 0}
FLAGS = [0x80000, 0x10000000, 0x1000, 0x800, 0x40000000, 0x4000, 0x200000]


def sh(*args, stdin=None):
    return subprocess.run(args, input=stdin, capture_output=True,
                          text=True).stdout


def debugfs(img, cmds):
    sh("debugfs", "-w", "-f", "-", img, stdin="\n".join(cmds) + "\n")


def stats(img):
    out = sh("dumpe2fs", img)
    val = {}
    for key in ("Block size", "Inode size", "Inodes per group",
                "Block count", "Inode count", "First block"):
        m = re.search(r"^%s:\s+(\d+)" % key, out, re.M)
        val[key] = int(m.group(1)) if m else 0
    groups = [int(x) for x in re.findall(r"Inode table at (\d+)", out)]
    bitmaps = [int(x) for x in re.findall(r"bitmap at (\d+)", out)]
    return val, groups, bitmaps


def used_inodes(img):
    out = sh("debugfs", "-R", "ls -l -p /", img)
    inos = [2]
    for line in out.splitlines():
        f = line.split("/")
        if len(f) > 5 and f[1].isdigit() and f[5] not in (".", ".."):
            inos.append(int(f[1]))
    return inos


def blocks_of(img, ino):
    out = sh("debugfs", "-R", "blocks <%d>" % ino, img)
    return [int(x) for x in out.split() if x.isdigit()]


def value(rng, orig, meta_blocks):
    kind = rng.randrange(7)
    if kind == 0:
        return 0
    if kind == 1:
        return 0xFFFFFFFF
    if kind == 2:
        return (orig + rng.choice((-1, 1))) & 0xFFFFFFFF
    if kind == 3 and meta_blocks:
        return rng.choice(meta_blocks)
    if kind == 4:
        return orig ^ (1 << rng.randrange(32))
    if kind == 5:
        return rng.randrange(1 << 32)
    return rng.randrange(64)


def poke(img, off, data):
    with open(img, "r+b") as f:
        f.seek(off)
        f.write(data)


def peek(img, off, n):
    with open(img, "rb") as f:
        f.seek(off)
        return f.read(n)


def main():
    img, seed = sys.argv[1], int(sys.argv[2])
    rng = random.Random(seed)
    val, itables, bitmaps = stats(img)
    bs, isz, ipg = val["Block size"], val["Inode size"], val["Inodes per group"]
    inos = used_inodes(img)
    meta = itables + bitmaps + [b for i in inos[:4] for b in blocks_of(img, i)]
    valid = seed % 2 == 0   # through debugfs: checksums computed again
    done = []
    for _ in range(rng.randrange(1, 4)):
        what = rng.choice(("super", "desc", "inode", "inode", "inode",
                           "dirent", "block", "bitmap"))
        if what == "super":
            field = rng.choice((
                "inodes_count", "blocks_count", "first_data_block",
                "blocks_per_group", "inodes_per_group", "first_ino",
                "inode_size", "rev_level", "feature_incompat",
                "feature_ro_compat", "feature_compat", "desc_size",
                "reserved_gdt_blocks", "journal_inum", "last_orphan",
                "log_groups_per_flex", "first_meta_bg", "state",
                "errors", "journal_dev", "lpf_ino"))
            v = value(rng, 1, meta)
            if valid:
                debugfs(img, ["ssv %s %d" % (field, v)])
            else:
                off = 1024 + rng.randrange(0, 0x200, 4)
                poke(img, off, v.to_bytes(4, "little"))
                field = "byte %d" % off
            done.append("superblock %s = %d" % (field, v))
        elif what == "desc":
            g = rng.randrange(max(1, len(itables)))
            field = rng.choice(("block_bitmap", "inode_bitmap",
                                "inode_table", "flags", "itable_unused",
                                "free_blocks_count", "free_inodes_count",
                                "used_dirs_count", "checksum"))
            v = value(rng, 0, meta)
            if field == "flags":
                v = rng.choice((1, 2, 3, 4, 5, 7))
            debugfs(img, ["set_bg %d %s %d" % (g, field, v)])
            if not valid:
                debugfs(img, ["set_bg %d checksum %d" % (g, rng.randrange(65536))])
            done.append("group %d %s = %d" % (g, field, v))
        elif what == "inode":
            ino = rng.choice(inos + [7, 8, 11])
            field = rng.choice(("mode", "flags", "size", "links_count",
                                "block[0]", "block[1]", "block[IND]",
                                "block[DIND]", "file_acl", "extra_isize",
                                "dtime", "block[2]"))
            v = value(rng, 0, meta)
            if field == "mode":
                v = rng.choice(list(S_IFMT.values())) | 0o755
            elif field == "flags":
                v = rng.choice(FLAGS) | rng.choice((0, 0x80000))
            if valid:
                debugfs(img, ["sif <%d> %s %d" % (ino, field, v)])
            else:
                g, i = (ino - 1) // ipg, (ino - 1) % ipg
                if g < len(itables):
                    off = itables[g] * bs + i * isz + rng.randrange(0, 128, 4)
                    poke(img, off, v.to_bytes(4, "little"))
                    field = "byte %d" % (off % isz)
            done.append("inode %d %s = %d" % (ino, field, v))
        elif what in ("dirent", "block"):
            ino = rng.choice(inos)
            blks = blocks_of(img, ino)
            if not blks:
                continue
            b = rng.choice(blks)
            off = b * bs + rng.randrange(0, min(bs, 256), 2)
            data = rng.choice((b"\0\0", b"\xff\xff",
                               rng.randrange(65536).to_bytes(2, "little")))
            poke(img, off, data)
            done.append("block %d (inode %d) byte %d = %s" %
                        (b, ino, off % bs, data.hex()))
        else:
            if bitmaps:
                b = rng.choice(bitmaps)
                off = b * bs + rng.randrange(bs)
                v = peek(img, off, 1)[0] ^ (1 << rng.randrange(8))
                poke(img, off, bytes([v]))
                done.append("bitmap block %d byte %d" % (b, off % bs))
    for line in done:
        print(line)


if __name__ == "__main__":
    main()
