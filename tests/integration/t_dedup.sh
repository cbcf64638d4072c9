#!/bin/bash
# t_dedup.sh: identical clusters are stored once.  A -a --dedup capture
# of a filesystem holding four copies of one file stores the file once
# (plain -a stores all four), compressed or not, the backup descriptor copies of a big
# empty filesystem cost nothing in a metadata capture, and
# QEMU checks, restores and reads such images exactly as it does any
# other; a stream (which cannot point back) stores every copy and still
# restores the same bytes.
. "$(dirname "$0")/lib.sh"
need qemu-img mke2fs e2fsck
cd "$T" || exit 1

qemu_clean() {
	qemu-img check "$1" >check.out 2>&1 && grep -q "No errors were found" check.out ||
		fail "$1: qemu-img check: $(cat check.out)"
}

mkdir d
head -c 6M /dev/urandom >d/one
for i in 2 3 4; do cp d/one "d/copy$i"; done
mke2fs -q -F -t ext4 -d d fs.img 64M >/dev/null 2>&1
"$E2QCOW" capture -q -a --dedup fs.img all.qcow2 || fail "capture -a: exit $?"
qemu_clean all.qcow2
size=$(stat -c %s all.qcow2)
# One copy of 6 MiB, its metadata, the tables: not four copies (24 MiB).
[ "$size" -lt $((9 * 1024 * 1024)) ] || fail "four copies stored: $size bytes"
qemu-img convert -O raw all.qcow2 qemu.raw
"$E2QCOW" restore all.qcow2 ours.raw || fail "restore: exit $?"
cmp qemu.raw ours.raw || fail "restore differs from qemu-img's"
for f in one copy2 copy3 copy4; do
	cmp <(debugfs -R "cat /$f" ours.raw 2>/dev/null) d/one || fail "/$f differs"
done
"$E2QCOW" verify all.qcow2 fs.img >/dev/null || fail "verify: exit $?"

echo "-a alone stores every copy"
"$E2QCOW" capture -q -a fs.img plain.qcow2 || fail "capture -a: exit $?"
[ "$(stat -c %s plain.qcow2)" -gt $((24 * 1024 * 1024)) ] || fail "-a shared clusters"
qemu-img compare -q plain.qcow2 all.qcow2 || fail "-a and -a --dedup read differently"

echo "a stream stores every copy, and restores the same"
"$E2QCOW" capture -q -a --dedup fs.img - >stream.qcow2 || fail "capture to a pipe: exit $?"
qemu_clean stream.qcow2
[ "$(stat -c %s stream.qcow2)" -gt $((24 * 1024 * 1024)) ] || fail "the stream shared clusters"
"$E2QCOW" restore stream.qcow2 stream.raw && cmp stream.raw qemu.raw || fail "stream restore"

echo "compressed"
"$E2QCOW" capture -q -a --dedup --compress=zlib fs.img z.qcow2 || fail "compressed: exit $?"
qemu_clean z.qcow2
qemu-img convert -O raw z.qcow2 z.raw && cmp z.raw qemu.raw || fail "compressed differs"
[ "$(stat -c %s z.qcow2)" -lt $((9 * 1024 * 1024)) ] || fail "compressed: copies stored"

echo "compressed clusters are shared too"
mkdir dz
# 4 MiB of text, compressible (to well under a cluster), four times.
for i in $(seq 1 40000); do printf 'line %06d of a text that compresses\n' "$i"; done |
	head -c 4M >dz/one
for i in 2 3 4; do cp dz/one "dz/copy$i"; done
mke2fs -q -F -t ext4 -d dz fsz.img 64M >/dev/null 2>&1
"$E2QCOW" capture -q -a --dedup --compress=zlib fsz.img zs.qcow2 || fail "exit $?"
"$E2QCOW" capture -q -a --no-dedup --compress=zlib fsz.img zn.qcow2 || fail "exit $?"
qemu_clean zs.qcow2
qemu-img convert -O raw zs.qcow2 zs.raw && qemu-img convert -O raw zn.qcow2 zn.raw &&
	cmp zs.raw zn.raw || fail "shared compressed clusters read differently"
for f in one copy2 copy3 copy4; do
	cmp <(debugfs -R "cat /$f" zs.raw 2>/dev/null) dz/one || fail "/$f differs"
done
sz=$(stat -c %s zs.qcow2) nz=$(stat -c %s zn.qcow2)
# Three of the four copies' compressed clusters cost nothing (the
# metadata and tables, the same in both, are most of what is left).
[ $((sz * 10)) -lt $((nz * 6)) ] || fail "compressed copies stored: $sz vs $nz bytes"
"$E2QCOW" verify zs.qcow2 fsz.img >/dev/null || fail "verify: exit $?"

echo "an overlay on a deduplicated base"
cp d/one d/copy5
mke2fs -q -F -t ext4 -d d fs2.img 64M -U "$(tune2fs -l fs.img | awk '/UUID/ {print $3}')" >/dev/null 2>&1
"$E2QCOW" capture -q -a --dedup --base all.qcow2 fs2.img over.qcow2 || fail "overlay: exit $?"
qemu_clean over.qcow2
qemu-img convert -O raw over.qcow2 over.raw && cmp over.raw fs2.img || fail "overlay reads differently from its source"

echo "backup descriptors of an empty 1 TiB filesystem"
truncate -s 1T big.img
mke2fs -q -F -t ext4 -O ^resize_inode -E lazy_itable_init=1 big.img 2>/dev/null
"$E2QCOW" capture -q big.img big.qcow2 || fail "1 TiB: exit $?"
qemu_clean big.qcow2
# e2image stores every descriptor copy; we store each distinct cluster once.
e2image -Q big.img e2i.qcow2
[ "$(stat -c %s big.qcow2)" -lt "$(stat -c %s e2i.qcow2)" ] ||
	fail "1 TiB: $(stat -c %s big.qcow2) bytes, e2image $(stat -c %s e2i.qcow2)"
"$E2QCOW" capture -q --no-dedup big.img nodedup.qcow2 || fail "--no-dedup: exit $?"
[ "$(stat -c %s nodedup.qcow2)" -gt $(($(stat -c %s big.qcow2) * 2)) ] ||
	fail "1 TiB: --no-dedup $(stat -c %s nodedup.qcow2) bytes, default $(stat -c %s big.qcow2)"
qemu-img compare -q nodedup.qcow2 big.qcow2 || fail "--no-dedup reads differently"
qemu-img convert -O raw big.qcow2 big.raw
diff <(e2fsck -fn big.img 2>&1 | sed 's/^big.img:/X:/') <(e2fsck -fn big.raw 2>&1 | sed 's/^big.raw:/X:/') ||
	fail "1 TiB: e2fsck differs"

echo "identical L2 tables are stored once, and QEMU writes through them"
# L1 entries, distinct L2 tables, and the guest offset of the first
# entry whose table another entry shares (no OFLAG_COPIED).
read -r entries distinct off <<<"$(python3 - big.qcow2 <<'PY'
import struct, sys
with open(sys.argv[1], "rb") as f:
    h = f.read(48)
    bits = struct.unpack(">I", h[20:24])[0]
    n, at = struct.unpack(">IQ", h[36:48])
    f.seek(at)
    l1 = struct.unpack(">%dQ" % n, f.read(8 * n))
used = [(i, e) for i, e in enumerate(l1) if e]
shared = [i for i, e in used if not e >> 63]
print(len(used), len({e & 0x00fffffffffffe00 for i, e in used}),
      shared[0] << (2 * bits - 3) if shared else -1)
PY
)"
# Measured: 533 entries, 25 tables.
[ "$off" -ge 0 ] && [ $((distinct * 4)) -lt "$entries" ] ||
	fail "1 TiB: $distinct L2 tables for $entries L1 entries"
cp big.qcow2 w.qcow2
cp --sparse=always big.raw want.raw
qemu-io -f qcow2 -c "write -P 0x5a $off 4096" w.qcow2 >/dev/null || fail "qemu-io write"
qemu_clean w.qcow2
head -c 4096 /dev/zero | tr '\0' '\132' | dd of=want.raw bs=4096 seek=$((off / 4096)) conv=notrunc status=none
qemu-img compare -q w.qcow2 want.raw || fail "a write into a shared table's range reads wrong"
rm -f w.qcow2 want.raw
echo ok
