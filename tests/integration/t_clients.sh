#!/bin/bash
# t_clients.sh: e2qcow installed under the name e2image, called the way
# the programs and scripts that use e2image call it, in our own
# re-creation of their logic (read from their sources):
#  - GParted (src/ext2.cc): probes "e2image" with no argument for
#    "-o src_offset" on stderr; copies with "e2image -ra -p SRC DST" and
#    moves with "e2image -ra -p -o|-O OFFSET DEV", reading progress from
#    stderr ("Copying N / M blocks", then "Copied ..."); exit status 0.
#  - e2fsprogs' tests i_bitmaps, i_bad_csum, i_zero_super, m_image_mmp,
#    i_qcow: what e2image prints (filtered of its version line), and
#    what e2fsck and dumpe2fs then say of its images.
#  - fstests (common/ext4): _ext4_metadump "e2image -Q DEV DUMP",
#    _ext4_mdrestore "e2image -r DUMP DEV".
#  - recipes: "e2image DEV FILE", "e2image -I DEV FILE.e2i",
#    "e2image -ra IMAGE.qcow2 DEV", "e2image -rc SRC -".
# And: images are 0600 whatever the umask, a symlinked output is written
# through, blkid and file call every image qcow2, and stock e2image -r
# reads our -Q images back at 1, 2 and 4 KiB blocks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"
need mke2fs debugfs e2fsck dumpe2fs python3
# libext2fs 1.47's undo manager leaks its bitmap (see t_install.sh).
supp=$(cd "$(dirname "$0")" && pwd)/lsan-undo.supp
export LSAN_OPTIONS="suppressions=$supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
cd "$T" || exit 1
mkdir -p bin
ln -s "$E2QCOW" bin/e2image
E2IMAGE=$T/bin/e2image
STOCK=$(command -v e2image || true)

# What e2fsprogs' test filter leaves of a program's output.
filtered() { sed -e '/^e2image [1-9]\.[0-9]*[^ ]* ([0-9]*-[A-Za-z]*-[0-9]*)/d' "$1"; }
fsck_words() { e2fsck "$@" 2>&1 | sed 1d | sed -E 's/^[^ :]+(: [0-9]+\/)/X\1/; s/^[^ ]+: \*/X: */'; }

echo "GParted"
out=$("$E2IMAGE" 2>&1 >/dev/null) && fail "e2image with no argument exits 0"
grep -q -- "-o src_offset" <<<"$out" || fail "probe: no '-o src_offset' in: $out"
make_fixture ext4 src.img
cp src.img dst.img
truncate -s 0 dst.img
truncate -s "$(stat -c %s src.img)" dst.img
"$E2IMAGE" -ra -p src.img dst.img 2>progress || fail "copy: exit $?"
python3 - progress <<'EOF' || fail "copy: progress not as GParted reads it"
import re, sys
err = open(sys.argv[1], "rb").read().decode()
lines = [l for l in re.split(r"[\r\n]", err) if l]
# copy_progress(): the last line parsed as "Copying %lld / %lld blocks",
# then "\nCopied " (after a line break of either kind) on any line.
seen = [re.match(r"Copying (\d+) / (\d+) blocks", l.replace("\b", "")) for l in lines]
assert any(seen), err
assert re.search(r"(^|[\r\n])Copied (\d+) / \2 blocks \(100%\) in \d\d:\d\d:\d\d ", err), err
EOF
diff <(fsck_words -fn src.img) <(fsck_words -fn dst.img) || fail "copy: e2fsck differs"
size=$(stat -c %s src.img)
# Move right by 1 MiB within one file, then left again with -o alone.
truncate -s $((size + 1048576)) moving.img
dd if=src.img of=moving.img conv=notrunc status=none
"$E2IMAGE" -ra -p -O 1048576 moving.img 2>/dev/null || fail "move right: exit $?"
tail -c +1048577 moving.img >moved.img
diff <(fsck_words -fn src.img) <(fsck_words -fn moved.img) || fail "move right: e2fsck"
"$E2IMAGE" -ra -p -o 1048576 moving.img 2>/dev/null || fail "move left (-o only): exit $?"
head -c "$size" moving.img >moved.img
diff <(fsck_words -fn src.img) <(fsck_words -fn moved.img) || fail "move left: e2fsck"

# A copy onto a device that held something else: no old byte stays in
# the inode tables (debugfs would find checksum errors in unused inodes).
if [ "$(id -u)" = 0 ] && command -v losetup >/dev/null && losetup -f >/dev/null 2>&1; then
	head -c "$size" /dev/urandom >old.img
	if dev=$(losetup -f --show old.img 2>/dev/null); then
		rc=0
		"$E2IMAGE" -ra -p "src.img" "$dev" 2>/dev/null || rc=$?
		last=$(dumpe2fs -h src.img 2>/dev/null | awk '/^Inodes per group:/ {print $4}')
		a=$(debugfs -R "stat <$last>" src.img 2>&1 | grep -c "does not match" || true)
		b=$(debugfs -R "stat <$last>" "$dev" 2>&1 | grep -c "does not match" || true)
		diff <(fsck_words -fn src.img) <(fsck_words -fn "$dev") >/dev/null || rc=e2fsck
		losetup -d "$dev"
		[ "$rc" = 0 ] || fail "copy onto a device: $rc"
		[ "$a" = "$b" ] || fail "copy onto a device: unused inode $last has old bytes"
	fi
else
	echo "  (no loop devices here: the copy onto a device is not tried)"
fi

echo "e2fsprogs' e2image tests"
# i_bitmaps: the normal format, nothing printed, dumpe2fs -i agrees but
# for the journal (which e2image's format does not hold).
"$E2IMAGE" src.img src.e2i >out 2>&1 || fail "i_bitmaps: exit $?"
[ -z "$(filtered out)" ] || fail "i_bitmaps: e2image printed: $(cat out)"
diff <(dumpe2fs src.img 2>&1) <(dumpe2fs -i src.e2i 2>&1) |
	grep '^[<>]' | grep -v -E '^< (Journal|Total journal|Max transaction|Fast commit)' &&
	fail "i_bitmaps: dumpe2fs -i differs beyond the journal"
# i_bad_csum: a checksum error copied as it is, and not a word about it.
cp src.img bad.img
debugfs -w -R "sif <12> checksum 0x1234" bad.img >/dev/null 2>&1
"$E2IMAGE" -r bad.img bad.bin >out 2>&1 || fail "i_bad_csum: exit $?"
[ -z "$(filtered out)" ] || fail "i_bad_csum: e2image printed: $(cat out)"
diff <(fsck_words -fn bad.img) <(fsck_words -fn bad.bin) || fail "i_bad_csum: e2fsck"
# i_zero_super: the primary superblock zeroed, a backup named.
mke2fs -q -F -b 1024 zs.img 16M
dd if=/dev/zero of=zs.img bs=1024 seek=1 count=1 conv=notrunc status=none
"$E2IMAGE" -r -b 8193 -B 1024 zs.img zs.raw 2>/dev/null || fail "i_zero_super: exit $?"
diff <(fsck_words -n -b 8193 -f zs.img) <(fsck_words -n -b 8193 -f zs.raw) ||
	fail "i_zero_super: e2fsck"
# m_image_mmp
mke2fs -q -F -o Linux -b 4096 -O mmp -E mmp_update_interval=1 mmp.img 100 2>/dev/null
"$E2IMAGE" -r mmp.img mmp.raw 2>/dev/null || fail "m_image_mmp: exit $?"
e2fsck -n -f mmp.raw >/dev/null 2>&1 || fail "m_image_mmp: e2fsck exit $?"
# i_qcow: -Q, then -r of the qcow2, gives -r's raw image; the checksums
# of the images themselves differ from e2image's (README: backups).
for b in 1024 2048 4096; do
	mke2fs -q -F -t ext4 -b $b -d "$T/tree-ext4" q$b.img 64M 2>/dev/null
	"$E2IMAGE" -r q$b.img q$b.raw && "$E2IMAGE" -Q q$b.img q$b.qcow2 &&
		"$E2IMAGE" -r q$b.qcow2 q$b.qcow2.raw || fail "i_qcow $b: exit $?"
	cmp q$b.raw q$b.qcow2.raw || fail "i_qcow $b: qcow_to_raw differs from raw_image"
	qemu_check q$b.qcow2
	# Stock e2image reads it back (it knows qcow2 version 2 only).
	if [ -n "$STOCK" ]; then
		rm -f stock.raw
		"$STOCK" -r q$b.qcow2 stock.raw 2>/dev/null || fail "stock e2image -r of our -Q ($b): exit $?"
		cmp q$b.raw stock.raw || fail "stock e2image -r of our -Q ($b) differs"
	fi
	# Nobody takes an image for a filesystem.
	for img in q$b.qcow2; do
		if command -v blkid >/dev/null; then
			rc=0
			blkid -p "$img" >blk 2>&1 || rc=$?
			[ "$rc" = 2 ] || fail "blkid -p calls $img: $(cat blk)"
		fi
		if command -v file >/dev/null; then
			file "$img" | grep -q "QEMU QCOW" || fail "file: $(file "$img")"
		fi
	done
	"$E2QCOW" capture -q q$b.img ours$b.qcow2
	if [ -n "$STOCK" ]; then
		rm -f stock.raw
		rc=0
		"$STOCK" -r ours$b.qcow2 stock.raw >/dev/null 2>&1 || rc=$?
		# Version 3: stock e2image must refuse it, not image the file.
		[ "$rc" != 0 ] || cmp -s q$b.raw stock.raw ||
			fail "stock e2image -r took our v3 image ($b) for a filesystem"
	fi
done

echo "fstests"
"$E2IMAGE" -Q src.img dump.qcow2 || fail "_ext4_metadump: exit $?"
gzip -f dump.qcow2 && gzip -d dump.qcow2.gz
cp src.img scratch.img
head -c 4M /dev/urandom | dd of=scratch.img conv=notrunc status=none
"$E2IMAGE" -r dump.qcow2 scratch.img || fail "_ext4_mdrestore: exit $?"
diff <(fsck_words -fn src.img) <(fsck_words -fn scratch.img) || fail "mdrestore: e2fsck"

echo "recipes"
"$E2IMAGE" src.img plain.e2i || fail "e2image DEV FILE: exit $?"
cp src.img inst.img
debugfs -w -R "clri <2>" inst.img >/dev/null 2>&1
E2FSPROGS_UNDO_DIR=$T "$E2IMAGE" -I inst.img plain.e2i >/dev/null ||
	fail "e2image -I DEV FILE.e2i: exit $?"
debugfs -R "stat <2>" inst.img 2>/dev/null | grep -q "Type: directory" ||
	fail "-I from e2image's format did not put the root inode back"
ls "$T"/e2qcow-install-inst.img.e2undo >/dev/null || fail "-I left no undo file"
"$E2IMAGE" -Q src.img again.qcow2
"$E2IMAGE" -ra again.qcow2 fromq.raw || fail "-ra IMAGE.qcow2: exit $?"
cmp fromq.raw <("$E2QCOW" restore again.qcow2 - 2>/dev/null) || fail "-ra IMAGE.qcow2 differs"
rc=0
"$E2IMAGE" -rc src.img - >stdout 2>err || rc=$?
[ "$rc" = 1 ] && [ ! -s stdout ] && grep -q "not supported when writing to stdout" err ||
	fail "-rc to stdout: exit $rc, $(stat -c %s stdout) bytes on stdout"

echo "private outputs"
for m in 022 077 000; do
	rm -f m.qcow2 m.raw m.e2i r.raw
	(umask $m && "$E2QCOW" capture -q src.img m.qcow2 && "$E2QCOW" capture -q -r src.img m.raw &&
		"$E2IMAGE" src.img m.e2i && "$E2QCOW" restore m.qcow2 r.raw)
	for f in m.qcow2 m.raw m.e2i r.raw; do
		[ "$(stat -c %a $f)" = 600 ] || fail "umask $m: $f is $(stat -c %a $f)"
	done
done
touch target.qcow2
ln -s target.qcow2 link.qcow2
"$E2QCOW" capture -q --overwrite src.img link.qcow2
[ -L link.qcow2 ] || fail "the symlinked output was replaced"
qemu_check target.qcow2
ln -s dangling.qcow2 dlink.qcow2
"$E2QCOW" capture -q src.img dlink.qcow2
[ -L dlink.qcow2 ] && [ -f dangling.qcow2 ] || fail "a dangling symlink was replaced"
echo ok
