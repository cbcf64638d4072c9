#!/bin/bash
# t_install.sh: "e2qcow install" / "e2qcow -I" put a capture's metadata
# back onto a damaged filesystem, leave file data alone, and save what
# they replace in an undo file that e2fsprogs' own e2undo puts back.
# e2image -I runs on the same damage beside it: it cannot repair a
# directory block (its image format holds none), ours must.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"
need mke2fs e2image e2fsck e2undo debugfs dumpe2fs
# libext2fs' undo manager leaks its bitmap (see the file); nothing else.
supp=$(cd "$(dirname "$0")" && pwd)/lsan-undo.supp
export LSAN_OPTIONS="suppressions=$supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
cd "$T" || exit 1

# block_of FS WHAT: the first block debugfs lists for WHAT.
block_of() { debugfs -R "blocks $2" "$1" 2>/dev/null | awk '{print $1}'; }
# smash FS BS BLOCK: random bytes over one block.
smash() {
	dd if=/dev/urandom of="$1" bs="$2" seek="$3" count=1 conv=notrunc \
		status=none
}
fsck_out() { { e2fsck -fn "$1" 2>&1 || true; } | sed 1d | sed "s|$T/||g; s|^[a-z0-9.]*: ||"; }

for fx in ext4 ext2-1k ext4-64bit-metabg; do
	make_fixture "$fx" orig.img
	bs=$(dumpe2fs -h orig.img 2>/dev/null | awk '/^Block size:/ {print $3}')
	itable=$(dumpe2fs orig.img 2>/dev/null |
		awk '/Inode table at/ && !n++ {sub(/-.*/, "", $4); print $4}')
	rm -f cap.qcow2 cap.raw cap.e2i
	"$E2QCOW" capture orig.img cap.qcow2
	"$E2QCOW" capture -r orig.img cap.raw
	e2image orig.img cap.e2i 2>/dev/null

	# The damage: primary superblock, the first inode table block, the
	# root directory.  After the capture a file's data changed: install
	# must leave it as it is now.
	cp orig.img broken.img
	smash broken.img 1024 1
	smash broken.img "$bs" "$itable"
	smash broken.img "$bs" "$(block_of orig.img /)"
	data=$(block_of orig.img /indirect)
	[ -n "$data" ] || fail "$fx: no data block for /indirect"
	smash broken.img "$bs" "$data"
	dd if=broken.img of=newdata bs="$bs" skip="$data" count=1 status=none
	e2fsck -fn broken.img >/dev/null 2>&1 && fail "$fx: damage not seen"

	# Ours: e2fsck says exactly what it says of the original.
	cp broken.img ours.img
	"$E2QCOW" install --undo ours.e2undo cap.qcow2 ours.img >out
	grep -q "e2undo ours.e2undo ours.img" out || fail "$fx: $(cat out)"
	diff <(fsck_out ours.img) <(fsck_out orig.img) ||
		fail "$fx: e2fsck after install differs from the original's"
	cmp -s <(dd if=ours.img bs="$bs" skip="$data" count=1 status=none) \
		newdata || fail "$fx: install overwrote file data"
	# Every block differs from the original only at that data block.
	[ "$(cmp -l ours.img orig.img | awk -v bs="$bs" \
		'{print int(($1 - 1) / bs)}' | sort -u)" = "$data" ] ||
		fail "$fx: installed image differs from the original elsewhere"
	# e2fsprogs' e2undo puts back exactly what was there.
	e2undo ours.e2undo ours.img >/dev/null
	cmp ours.img broken.img || fail "$fx: e2undo did not restore the device"
	rm -f ours.e2undo

	# A raw capture installs the same; e2image's spelling, with the
	# default undo file in E2FSPROGS_UNDO_DIR.
	cp broken.img ours.img
	mkdir -p undo
	E2FSPROGS_UNDO_DIR=$T/undo "$E2QCOW" -I ours.img cap.raw >/dev/null
	diff <(fsck_out ours.img) <(fsck_out orig.img) || fail "$fx: -I raw"
	e2undo undo/e2qcow-install-ours.img.e2undo ours.img >/dev/null
	cmp ours.img broken.img || fail "$fx: e2undo after -I"
	rm -rf undo

	# The filesystem 1 MiB into its file: -O.
	head -c 1048576 /dev/zero >off.img
	cat broken.img >>off.img
	"$E2QCOW" install --undo off.e2undo -O 1M cap.qcow2 off.img >/dev/null
	cp broken.img plain.img
	"$E2QCOW" install --no-undo cap.qcow2 plain.img >/dev/null
	tail -c +1048577 off.img | cmp - plain.img || fail "$fx: -O install"
	cmp -n 1048576 off.img /dev/zero || fail "$fx: -O wrote before the offset"
	e2undo off.e2undo off.img >/dev/null
	tail -c +1048577 off.img | cmp - broken.img || fail "$fx: e2undo at -O"
	rm -f off.e2undo

	# e2image -I on the same damage: the root directory stays broken.
	cp broken.img theirs.img
	e2image -I theirs.img cap.e2i 2>/dev/null
	# Installed from e2image's own format, ours writes what e2image's
	# -I writes, byte for byte, and its undo file puts it all back.
	# (Without an undo file: the undo manager counts the superblock's
	# lifetime writes its own way.)
	cp broken.img ours-e2i.img
	"$E2QCOW" install --no-undo cap.e2i ours-e2i.img >/dev/null ||
		fail "$fx: install from e2image's own format"
	cmp ours-e2i.img theirs.img || fail "$fx: install of an .e2i differs from e2image -I"
	cp broken.img ours-e2i.img
	"$E2QCOW" install --undo e2i.e2undo cap.e2i ours-e2i.img >/dev/null ||
		fail "$fx: install from e2image's own format, with undo"
	e2undo e2i.e2undo ours-e2i.img >/dev/null
	cmp ours-e2i.img broken.img || fail "$fx: e2undo after installing an .e2i"
	rm -f e2i.e2undo
	if diff -q <(fsck_out theirs.img) <(fsck_out orig.img) >/dev/null; then
		fail "$fx: e2image -I repaired a directory block (expected not to)"
	fi
	echo "$fx: install repairs it; after e2image -I, e2fsck still says:"
	fsck_out theirs.img | grep -v '^Pass\|^$\|files' | awk 'NR <= 3 {print "    " $0}'
done

# Refusals: nothing is written, the message says why.
refused() {
	local what=$1 rc=0
	shift
	cp broken.img victim.img
	"$E2QCOW" "$@" 2>err >/dev/null || rc=$?
	[ "$rc" != 0 ] || fail "$what: accepted"
	cmp -s victim.img broken.img || fail "$what: the device was written"
	grep -q "$what" err || fail "$what: message was: $(cat err)"
}
touch exists.e2undo
refused "already exists" install --undo exists.e2undo cap.qcow2 victim.img
refused "the image itself" install --no-undo victim.img victim.img
mke2fs -q -F -t ext4 other.img 300M
cp other.img other-before.img
rc=0
"$E2QCOW" install --no-undo cap.qcow2 other.img 2>err || rc=$?
[ "$rc" = 1 ] && grep -q "another filesystem" err || fail "other fs: $(cat err)"
cmp other.img other-before.img || fail "another filesystem was written"
head -c 4096 broken.img >short.img
rc=0
"$E2QCOW" install --no-undo cap.qcow2 short.img 2>err || rc=$?
[ "$rc" = 1 ] && grep -q "needs" err || fail "short device: $(cat err)"
rc=0
"$E2QCOW" install --undo a --no-undo cap.qcow2 victim.img 2>err || rc=$?
[ "$rc" = 2 ] || fail "--undo with --no-undo: exit $rc"

# A mounted device is refused (where this machine can mount).
mkdir -p mnt
cp orig.img mounted.img
if mount -o loop mounted.img mnt 2>/dev/null; then
	loop=$(losetup -j mounted.img | cut -d: -f1)
	rc=0
	"$E2QCOW" install --no-undo cap.qcow2 "$loop" 2>err || rc=$?
	umount mnt
	[ "$rc" = 1 ] && grep -q "mounted filesystem" err ||
		fail "install onto a mounted fs: exit $rc: $(cat err)"
else
	echo "note: cannot mount here; the mounted case was not run"
fi
echo ok
