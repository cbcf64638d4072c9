#!/bin/bash
# t_incremental.sh: "capture -a --base PREV" writes a qcow2 overlay of
# PREV holding only what changed (freed blocks as zero clusters): its
# chain restores, by e2qcow and by qemu-img, to exactly what a full
# capture of the changed filesystem restores to; chains of several
# nights work, qemu-img commit/rebase/convert flatten them, and a base of
# another filesystem or mode is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"
need mke2fs debugfs qemu-img e2fsck
cd "$T" || exit 1

# same_as_full NIGHT [noverify]: NIGHT's chain restores like a full
# capture of now (and verifies, unless another program wrote to it).
same_as_full() {
	local night=$1 check=${2:-verify}
	rm -f full-now.qcow2 full-now.raw ours.raw qemu.raw
	"$E2QCOW" capture -q -a src.img full-now.qcow2
	"$E2QCOW" restore full-now.qcow2 full-now.raw
	"$E2QCOW" restore "$night" ours.raw
	qemu-img convert -O raw "$night" qemu.raw
	cmp full-now.raw ours.raw || fail "$night: e2qcow restore differs from a full capture"
	cmp full-now.raw qemu.raw || fail "$night: qemu-img convert differs from a full capture"
	qemu_check "$night"
	[ "$check" = noverify ] || "$E2QCOW" verify "$night" >/dev/null ||
		fail "$night: verify"
}

# change N: rewrite, delete and add files (deleted files' blocks keep
# their old bytes: the overlay must zero them).
change() {
	local n=$1 i
	"$TOOLS/mkpattern" -s new-$n 40000
	{
		for i in $(seq 1 3); do echo "rm /dir1/f$((n * 3 + i))"; done
		echo "rm /indirect"
		echo "write $T/new-$n /indirect"
		echo "write $T/new-$n /added-$n"
		echo "mkdir /newdir-$n"
	} >cmds-$n
	debugfs -w -f cmds-$n src.img >/dev/null 2>&1
	e2fsck -fn src.img >/dev/null 2>&1 || fail "change $n broke the fixture"
}

make_fixture ext4 src.img
"$E2QCOW" capture -q -a src.img night0.qcow2
# Bytes on disk: the quiet head after the header is a hole.
full=$(du -B1 night0.qcow2 | cut -f1)

change 1
"$E2QCOW" capture -a --trust-digests --base night0.qcow2 src.img night1.qcow2 2>err
# The base's digests say what it holds: it is not read.
! grep -q "no usable digests" err || fail "night1 did not use night0's digests"
qemu-img info night1.qcow2 | grep -q "^backing file: night0.qcow2$" ||
	fail "night1's backing file: $(qemu-img info night1.qcow2 | grep backing)"
same_as_full night1.qcow2
inc=$(du -B1 night1.qcow2 | cut -f1)
[ "$inc" -lt $((full / 4)) ] || fail "night1 is $inc bytes, the full capture $full"
zeros=$("$E2QCOW" info --json night1.qcow2 | grep -o '"zero": [0-9]*' |
	awk 'NR == 1 {print $2}')
[ "$zeros" -gt 0 ] || fail "no zero clusters for the freed blocks"
echo "night 1: $inc bytes ($zeros zero clusters) against a full $full"

# Nothing changed: nothing stored.
"$E2QCOW" capture -q -a --trust-digests --base night1.qcow2 src.img same.qcow2
"$E2QCOW" info --json same.qcow2 | grep -q '"allocated": 0, "zero": 0,' ||
	fail "an unchanged filesystem stored clusters: $("$E2QCOW" info same.qcow2 | grep clusters)"
same_as_full same.qcow2

# Three nights, one on another, compressed too; and from a pipe.
change 2
"$E2QCOW" capture -q -a -z -t 2 --base night1.qcow2 src.img night2.qcow2
same_as_full night2.qcow2
change 3
"$E2QCOW" capture -q -a --base night2.qcow2 src.img - >night3.qcow2
same_as_full night3.qcow2
"$E2QCOW" info night3.qcow2 | grep -c "^backing file:" | grep -q 3 ||
	fail "info does not follow the chain"
"$E2QCOW" check night3.qcow2 >out || fail "check of the chain: $(cat out)"
[ "$(grep -c "No errors were found" out)" = 4 ] &&
	[ "$(grep -c "^Backing file" out)" = 3 ] || fail "check does not follow the chain"

# Merged by QEMU's tools: commit into the base, rebase onto nothing,
# convert to one image: each restores to the same.
cp night0.qcow2 c0.qcow2
cp night1.qcow2 c1.qcow2
qemu-img rebase -u -f qcow2 -b c0.qcow2 -F qcow2 c1.qcow2
qemu-img commit -q c1.qcow2
qemu-img convert -O raw c0.qcow2 c0.raw
qemu-img convert -O raw night1.qcow2 n1.raw
cmp c0.raw n1.raw || fail "qemu-img commit of our chain changed what it reads"
qemu_check c0.qcow2
# QEMU committed into c0 in place and left its digests' autoclear bit
# (qemu-img 7.2 does): by default an overlay of c0 compares by reading,
# and is exact; verify says c0 no longer holds what e2qcow wrote.
"$E2QCOW" capture -q -a --base c0.qcow2 src.img over-c0.qcow2
same_as_full over-c0.qcow2 noverify
rc=0
"$E2QCOW" verify c0.qcow2 >out 2>err || rc=$?
[ "$rc" = 2 ] && grep -q "qemu-img commit" err || fail "verify of committed c0: $rc"
cp night2.qcow2 r2.qcow2
qemu-img rebase -q -f qcow2 -b "" r2.qcow2
"$E2QCOW" restore r2.qcow2 r2.raw
"$E2QCOW" restore night2.qcow2 n2.raw
cmp r2.raw n2.raw || fail "qemu-img rebase -b '' of our chain differs"
qemu-img convert -O qcow2 night3.qcow2 flat.qcow2
"$E2QCOW" restore flat.qcow2 flat.raw
cmp flat.raw ours.raw || fail "qemu-img convert of our chain differs"
echo "qemu-img commit, rebase and convert flatten the chain"

# A metadata block that became a hole of the source file (journal bytes,
# punched out) reads as zeros: the overlay must store them as zeros, not
# pass over the hole, or the base's old bytes would show through.
# A whole cluster of it, or the writer's zero padding would cover it.
cs=$(qemu-img info night3.qcow2 | awk '/^cluster_size:/ {print $2}')
bs=$(dumpe2fs -h src.img 2>/dev/null | awk '/^Block size:/ {print $3}')
j0=$(debugfs -R "bmap <8> 0" src.img 2>/dev/null)
off=$(((j0 * bs + 2 * cs - 1) / cs * cs))
dd if=/dev/zero bs="$cs" count=1 status=none | tr "\0" J |
	dd of=src.img bs="$cs" seek=$((off / cs)) conv=notrunc status=none
"$E2QCOW" capture -q -a --base night3.qcow2 src.img holed-base.qcow2
if fallocate -p -o "$off" -l "$cs" src.img 2>/dev/null; then
	"$E2QCOW" capture -q -a --base holed-base.qcow2 src.img holed.qcow2
	same_as_full holed.qcow2
	"$E2QCOW" restore holed.qcow2 h.raw
	cmp -s -i "$off:0" -n "$cs" h.raw /dev/zero ||
		fail "the punched journal blocks do not read as zeros"
	echo "a hole punched in the journal reads as zeros through the chain"
else
	echo "skip: cannot punch holes here"
fi

# Refusals: another filesystem, another mode, the base itself.
mke2fs -q -F -t ext4 other.img 64M
rc=0
"$E2QCOW" capture -q -a --base night0.qcow2 other.img x.qcow2 2>err || rc=$?
[ "$rc" = 1 ] && grep -q "not of the one being captured" err ||
	fail "base of another filesystem: exit $rc: $(cat err)"
[ ! -e x.qcow2 ] || fail "a refused overlay was written"
rc=0
"$E2QCOW" capture -q --base night0.qcow2 src.img x.qcow2 2>err || rc=$?
[ "$rc" = 1 ] && grep -q "captured the same way" err ||
	fail "metadata overlay of an all-data base: exit $rc: $(cat err)"
rc=0
"$E2QCOW" capture -q -a --overwrite --base night0.qcow2 src.img night0.qcow2 2>err || rc=$?
[ "$rc" = 1 ] && grep -q "is the base itself" err || fail "overlay onto its base: exit $rc"
rc=0
"$E2QCOW" capture -q -a -r --base night0.qcow2 src.img x.raw 2>err || rc=$?
[ "$rc" = 2 ] || fail "--base with -r: exit $rc"
echo ok
