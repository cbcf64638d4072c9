#!/bin/bash
# t_verify.sh: every image e2qcow writes carries digests of its data, and
# "e2qcow verify" finds a single changed byte that qemu-img check cannot
# see, names its guest offset, and compares a capture with its source.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"
need mke2fs qemu-img qemu-io debugfs
cd "$T" || exit 1

# flip FILE OFFSET: invert one byte.
flip() {
	local b
	b=$(od -A n -t u1 -j "$2" -N 1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $((255 - b)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# The largest data extent of IMAGE: "guest_start length host_offset".
largest_data() {
	qemu-img map --output=json "$1" | grep '"data": true' |
		grep '"offset"' |
		sed 's/.*"start": \([0-9]*\), "length": \([0-9]*\).*"offset": \([0-9]*\).*/\1 \2 \3/' |
		sort -k2,2n | tail -1
}

# sharers IMAGE HOST CLUSTER_SIZE: how many guest clusters read the host
# cluster at HOST (identical clusters are stored once), and the first.
sharers() {
	qemu-img map --output=json "$1" | grep '"data": true' | grep '"offset"' |
		sed 's/.*"start": \([0-9]*\), "length": \([0-9]*\).*"offset": \([0-9]*\).*/\1 \2 \3/' |
		awk -v h="$2" -v cs="$3" '
			$3 <= h && h < $3 + $2 { g = $1 + h - $3; n++; if (!n0 || g < first) first = g; n0 = 1 }
			END { print n, first }'
}

make_fixture ext4 src.img
mke2fs -q -F -t ext4 other.img 64M # another UUID

# Every kind of image verifies.
"$E2QCOW" capture -q src.img meta.qcow2
"$E2QCOW" capture -q -a src.img all.qcow2
"$E2QCOW" capture -q -a -z -t 2 src.img z.qcow2
"$E2QCOW" capture -q -a src.img - >stream.qcow2
"$E2QCOW" capture -q -s src.img s.qcow2
"$E2QCOW" capture -q --qcow-version 2 -C 512 src.img v2.qcow2
for img in meta all z stream s; do
	qemu_check $img.qcow2
	"$E2QCOW" verify $img.qcow2 >out || fail "$img: verify: $(cat out)"
	grep -q "all match" out || fail "$img: $(cat out)"
done
"$E2QCOW" info $img.qcow2 | grep -q "digests" || fail "info does not show digests"

# One byte flipped in a data cluster (first, middle and last byte of a
# long extent): QEMU sees nothing, verify names the cluster.
cs=$(qemu-img info all.qcow2 | awk '/^cluster_size:/ {print $2}')
read -r start len host < <(largest_data all.qcow2)
[ -n "$host" ] && [ "$len" -ge $((4 * cs)) ] || fail "no long data extent"
for at in 0 $((len / 2 + 17)) $((len - 1)); do
	cp all.qcow2 flipped.qcow2
	flip flipped.qcow2 $((host + at))
	qemu_check flipped.qcow2
	rc=0
	"$E2QCOW" verify flipped.qcow2 >out || rc=$?
	[ "$rc" = 2 ] || fail "flipped byte at +$at: exit $rc: $(cat out)"
	read -r n first < <(sharers all.qcow2 $(((host + at) / cs * cs)) "$cs")
	grep -q "$n of .* differ; the first at guest offset $first\$" out ||
		fail "flipped byte at guest $((start + at)) (host cluster read by $n, first $first): $(cat out)"
done
echo "a flipped byte: qemu-img check clean, verify names its cluster"

# In a compressed cluster too (the digest is of the uncompressed bytes).
cp z.qcow2 zf.qcow2
size=$(stat -c %s zf.qcow2)
# A byte in the middle of the packed data (past the header cluster).
flip zf.qcow2 $((size / 3))
rc=0
"$E2QCOW" verify zf.qcow2 >out 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "a flipped byte in compressed data went unnoticed"

# The digest table itself damaged: said so, not taken for data damage.
cp all.qcow2 table.qcow2
flip table.qcow2 $(($(stat -c %s table.qcow2) - 20))
rc=0
"$E2QCOW" verify table.qcow2 >out 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "Digest table of the image is damaged" out ||
	fail "damaged digest table: exit $rc: $(cat out)"

# Against the source: all match; then a changed block is named.
"$E2QCOW" verify all.qcow2 src.img >out || fail "source: $(cat out)"
grep -q "src.img: .* captured blocks compared, all match" out || fail "$(cat out)"
"$E2QCOW" verify s.qcow2 src.img >out || fail "scrubbed vs source: $(cat out)"
bs=$(dumpe2fs -h src.img 2>/dev/null | awk '/^Block size:/ {print $3}')
blk=$(debugfs -R "blocks /indirect" src.img 2>/dev/null | awk '{print $3}')
flip src.img $((blk * bs + 5))
rc=0
"$E2QCOW" verify all.qcow2 src.img >out || rc=$?
[ "$rc" = 2 ] && grep -q "the first at guest offset $((blk * bs))\$" out ||
	fail "changed source block $blk: exit $rc: $(cat out)"
# A metadata capture does not hold that block: still all match.
"$E2QCOW" verify meta.qcow2 src.img >out || fail "metadata vs changed data: $(cat out)"
rc=0
"$E2QCOW" verify all.qcow2 other.img >out 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "is a capture of" out || fail "other fs: exit $rc: $(cat out)"

# Version 2 has no autoclear bits to guard digests with: none written.
rc=0
"$E2QCOW" verify v2.qcow2 >out 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "holds no e2qcow digests" out || fail "v2: exit $rc: $(cat out)"

# Written by QEMU: it clears the autoclear bit, the digests are not
# trusted any more (rather than reported as damage).
cp all.qcow2 written.qcow2
qemu-io -f qcow2 -c "write -P 0x55 0 4096" written.qcow2 >/dev/null
rc=0
"$E2QCOW" verify written.qcow2 >out 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "does not keep e2qcow's digests" out ||
	fail "written by qemu-io: exit $rc: $(cat out)"

# Images without digests: said so.
qemu-img convert -O qcow2 all.qcow2 plain.qcow2
rc=0
"$E2QCOW" verify plain.qcow2 >out 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "holds no e2qcow digests" out || fail "no digests: exit $rc"

# A chain: QEMU's overlay has none of its own; the base still verifies.
qemu-img create -q -f qcow2 -b all.qcow2 -F qcow2 top.qcow2
rc=0
"$E2QCOW" verify top.qcow2 >out 2>&1 || rc=$?
[ "$rc" = 1 ] && grep -q "all.qcow2: .* all match" out ||
	fail "chain: exit $rc: $(cat out)"
echo ok
