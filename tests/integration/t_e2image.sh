#!/bin/bash
# t_e2image.sh: e2image's command line ("e2qcow -Q|-r|-ra ...") does what
# e2image 1.47 does, run side by side on the same fixtures.  Where the
# outputs differ, each difference must be e2image's known gap: it leaves
# the backup superblocks and descriptor copies out (zeros), which e2qcow
# copies, so that "e2fsck -b" still works on the copy.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"
need mke2fs e2image dumpe2fs qemu-img
cd "$T" || exit 1

# only_backup_gaps OURS THEIRS SOURCE BS [SRC_SHIFT]: every block where the
# two raw outputs differ is zero in e2image's and equal to the source's
# in ours (SRC_SHIFT: byte offset of the filesystem in SOURCE).
only_backup_gaps() {
	local ours=$1 theirs=$2 src=$3 bs=$4 shift=${5:-0} b n=0
	for b in $(cmp -l "$ours" "$theirs" 2>/dev/null |
		awk -v bs="$bs" '{print int(($1 - 1) / bs)}' | sort -un); do
		n=$((n + 1))
		cmp -s <(dd if="$theirs" bs="$bs" skip="$b" count=1 2>/dev/null) \
			<(head -c "$bs" /dev/zero) ||
			fail "block $b differs and e2image's is not zero"
		cmp -s <(dd if="$ours" bs="$bs" skip="$b" count=1 2>/dev/null) \
			<(tail -c +$((shift + b * bs + 1)) "$src" | head -c "$bs") ||
			fail "block $b differs and ours is not the source's"
	done
	echo "  $n blocks only e2qcow has (backup superblocks and descriptors)"
}

for fx in ext4 ext2-1k ext4-64bit-metabg; do
	make_fixture "$fx" src.img
	bs=$(dumpe2fs -h src.img 2>/dev/null | awk '/^Block size:/ {print $3}')
	echo "$fx:"

	# -r: metadata, raw.  Every block e2image writes is in ours.
	e2image -r src.img theirs.raw 2>/dev/null
	"$E2QCOW" -r src.img ours.raw
	"$TOOLS/blkcmp" theirs.raw ours.raw "$bs" >/dev/null || fail "$fx -r"
	"$E2QCOW" -r src.img - | cmp - ours.raw || fail "$fx -r to a pipe"

	# -ra: everything in use, raw.
	rm -f theirs.raw
	e2image -ra src.img theirs.raw 2>/dev/null
	"$E2QCOW" -ra src.img ours.raw
	only_backup_gaps ours.raw theirs.raw src.img "$bs"

	# -Q: qcow2; both restored hold the same metadata.  (e2image writes
	# into an existing output without truncating it: start afresh.)
	rm -f theirs.qcow2 theirs.raw ours.raw
	e2image -Q src.img theirs.qcow2 2>/dev/null
	"$E2QCOW" -Q src.img ours.qcow2
	qemu_check ours.qcow2
	e2image -r theirs.qcow2 theirs.raw 2>/dev/null
	"$E2QCOW" -r ours.qcow2 ours.raw
	"$TOOLS/blkcmp" theirs.raw ours.raw "$bs" >/dev/null || fail "$fx -Q"

	# e2image's own format (neither -Q nor -r): dumpe2fs -i and
	# debugfs -i say the same of ours as of e2image's, and debugfs -i
	# shows each inode as on the source, up to its block list (the
	# format holds no indirect or directory blocks: "ls" and deep block
	# lists fail the same way on both images).
	rm -f theirs.e2i
	e2image src.img theirs.e2i 2>/dev/null
	"$E2QCOW" -f src.img ours.e2i
	diff <(dumpe2fs -i ours.e2i 2>&1) <(dumpe2fs -i theirs.e2i 2>&1) ||
		fail "$fx: dumpe2fs -i differs"
	diff <(debugfs -i -R "ls -l /" ours.e2i 2>&1) \
		<(debugfs -i -R "ls -l /" theirs.e2i 2>&1) || fail "$fx: debugfs -i ls"
	for ino in 2 7 11 12 13; do
		diff <(debugfs -i -R "stat <$ino>" ours.e2i 2>&1) \
			<(debugfs -i -R "stat <$ino>" theirs.e2i 2>&1) ||
			fail "$fx: debugfs -i stat <$ino> differs from e2image's"
		diff <(debugfs -i -R "stat <$ino>" ours.e2i 2>&1 | sed '/^\(BLOCKS\|EXTENTS\):/,$d') \
			<(debugfs -R "stat <$ino>" src.img 2>&1 | sed '/^\(BLOCKS\|EXTENTS\):/,$d') ||
			fail "$fx: debugfs -i stat <$ino> differs from the source"
	done
	"$E2QCOW" capture --format=e2i --overwrite src.img ours.e2i
	rm -f ./*.e2i

	# -r of a qcow2 image: back to raw, as "e2qcow restore".
	"$E2QCOW" restore ours.qcow2 restored.raw
	cmp ours.raw restored.raw || fail "$fx -r of a qcow2 image"
	rm -f ./*.raw ./*.qcow2
done

# -o and -O: a filesystem 1 MiB into a disk image, cloned to 3 MiB into
# another file.
make_fixture ext4 fs.img
bs=$(dumpe2fs -h fs.img 2>/dev/null | awk '/^Block size:/ {print $3}')
{ head -c 1048576 /dev/zero; cat fs.img; } >disk.img
e2image -ra -o 1048576 -O 3145728 disk.img theirs.raw 2>/dev/null
"$E2QCOW" -ra -o 1048576 -O 3145728 disk.img ours.raw
[ "$(stat -c %s ours.raw)" = $((3145728 + $(stat -c %s fs.img))) ] ||
	fail "-O: size $(stat -c %s ours.raw)"
only_backup_gaps ours.raw theirs.raw disk.img "$bs" $((1048576 - 3145728))
cmp -s <(head -c 3145728 ours.raw) <(head -c 3145728 /dev/zero) ||
	fail "-O: the first 3 MiB are not zero"
# -O into an existing file writes in place, leaving the rest alone.
head -c $((8 * 1048576)) /dev/urandom >existing.raw
head -c 1048576 existing.raw >head.before
"$E2QCOW" -ra -o 1048576 -O 1048576 disk.img existing.raw
cmp <(head -c 1048576 existing.raw) head.before || fail "-O in place touched what is before"
"$E2QCOW" capture -a -o 1048576 disk.img shifted.qcow2
qemu-img convert -O raw shifted.qcow2 shifted.raw
# Every block in use is there (the others keep what the file held, as
# with e2image).
tail -c +1048577 existing.raw | head -c "$(stat -c %s fs.img)" >region.raw
"$TOOLS/blkcmp" shifted.raw region.raw "$bs" >/dev/null ||
	fail "-O in place: the filesystem is not there"

# -c: into a copy that already holds everything, nothing is written; one
# changed block is found, counted and put right.  e2image counts the
# same, less the backup blocks it does not copy.
"$E2QCOW" -ra fs.img copy.raw
cp copy.raw reference.raw
out=$("$E2QCOW" -rac fs.img copy.raw)
rm -f theirs.raw
e2image -ra fs.img theirs.raw 2>/dev/null
theirs=$(e2image -rac fs.img theirs.raw 2>/dev/null | tail -1)
backups=$({ cmp -l copy.raw theirs.raw || :; } |
	awk -v bs="$bs" '{print int(($1 - 1) / bs)}' | sort -u | wc -l)
total=${out%% *}
[ "$total" = $((${theirs%% *} + backups)) ] ||
	fail "-c: '$out' vs e2image's '$theirs' + $backups backup blocks"
blk=$(debugfs -R "bmap /indirect 3" fs.img 2>/dev/null)
printf 'x' | dd of=copy.raw bs=1 seek=$((blk * bs + 5)) conv=notrunc 2>/dev/null
out=$("$E2QCOW" -rac fs.img copy.raw)
[ "${out%% *}" = $((total - 1)) ] || fail "-c after one change: $out"
cmp copy.raw reference.raw || fail "-c did not put the changed block right"
"$E2QCOW" capture -r --compare --overwrite fs.img copy.raw >/dev/null ||
	fail "capture --compare"
# Into an empty file there is nothing to compare with: every block is
# written, a block of 0xff bytes too.
mkdir -p ff && head -c 8192 /dev/zero | tr '\0' '\377' >ff/ones.bin
mke2fs -q -F -t ext4 -d ff ff.img 8M
"$E2QCOW" -ra ff.img ff-clone.raw
: >ff-short.raw
"$E2QCOW" -rac ff.img ff-short.raw >/dev/null
"$TOOLS/blkcmp" ff-clone.raw ff-short.raw 1024 >/dev/null ||
	fail "-c into an empty file left blocks out"

# -n: the blocks listed (one line each, in e2image's words) are the ones
# -c compared, and nothing is written.
out=$("$E2QCOW" -ran fs.img dry.raw | grep -c '^Writing block [0-9]*$')
[ "$out" = "$total" ] || fail "-n lists $out blocks, -c compared $total"
[ ! -e dry.raw ] || fail "-n wrote its output"

# -s: both scrub; e2image leaves symlink targets (and, on metadata_csum,
# bad directory checksums), ours leaves no name and a clean filesystem.
# (t_scrub.sh covers scrubbing in depth.)
rm -f theirs-s.raw ours-s.raw
e2image -r -s fs.img theirs-s.raw 2>/dev/null
"$E2QCOW" -r -s fs.img ours-s.raw 2>/dev/null
for n in hardlink fast-symlink slow-symlink long-target-long-target; do
	! grep -q -a -F "$n" ours-s.raw || fail "-s left '$n'"
done
grep -q -a -F long-target-long-target theirs-s.raw ||
	echo "  (e2image -s no longer leaves symlink targets)"
e2fsck -fn ours-s.raw >/dev/null 2>&1 || fail "-s: e2fsck finds problems"
echo "  -s: e2image's e2fsck -fn: $(e2fsck -fn theirs-s.raw 2>&1 | grep -c -i checksum)" \
	"checksum lines; ours: none"

# Moving a filesystem within its own file: up 1 MiB, then back down.
# Every block in use arrives (as in a -ra copy), e2fsck says of the moved
# filesystem what it says of the original, and e2image's own move of the
# same file agrees on every block it moves.
"$E2QCOW" -ra fs.img clone.raw
size=$(stat -c %s fs.img)
cp fs.img moving.img
"$E2QCOW" -ra -O 1048576 moving.img || fail "move up"
tail -c +1048577 moving.img | head -c "$size" >moved.img
"$TOOLS/blkcmp" clone.raw moved.img "$bs" >/dev/null || fail "move up: blocks"
diff <(e2fsck -fn fs.img 2>&1 | sed 's/^fs.img:/FS:/') \
	<(e2fsck -fn moved.img 2>&1 | sed 's/^moved.img:/FS:/') ||
	fail "move up: e2fsck differs"
cp fs.img theirs-moving.img
e2image -ra -O 1048576 theirs-moving.img 2>/dev/null
tail -c +1048577 theirs-moving.img | head -c "$size" >theirs-moved.img
"$TOOLS/blkcmp" theirs-moved.img moved.img "$bs" >/dev/null ||
	fail "move up: a block e2image moves differs"
# Down again with -o alone, as GParted moves left: -O is 0 then.
"$E2QCOW" -ra -p -o 1048576 moving.img 2>err || fail "move down"
head -c "$size" moving.img >moved.img
"$TOOLS/blkcmp" clone.raw moved.img "$bs" >/dev/null || fail "move down: blocks"
# e2image's refusals: its usage (exit 1) for one file and no offset.
rc=0
"$E2QCOW" -ra fs.img 2>err || rc=$?
[ "$rc" = 1 ] && grep -q -- "-o src_offset" err || fail "move without offsets: exit $rc"
rc=0
"$E2QCOW" -a fs.img never.img 2>err || rc=$?
[ "$rc" = 1 ] && grep -q "only be used with raw or QCOW2" err ||
	fail "normal format with -a: exit $rc"
[ ! -e never.img ] || fail "a refused command wrote its output"
echo ok
