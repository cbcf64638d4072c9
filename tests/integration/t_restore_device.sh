#!/bin/bash
# t_restore_device.sh: restore onto used targets at the cost of the data:
# a loop device and a file holding old bytes everywhere come out equal to
# qemu-img convert -O raw of the image, byte for byte (ranges the device
# or file can zero itself are punched, the rest read and zero-filled);
# --target-is-zero zeroes nothing; a big sparse device is restored
# without writing its size in zeros; and images come from standard
# input (ours plain, compressed, scrubbed, streamed and with shared
# clusters; QEMU's), in one pass with nowhere to put a temporary file,
# onto files, standard output and a used device, while an overlay or a
# truncated image on standard input is refused with the reason.  A restore interrupted
# by SIGINT at 10, 50 and 85 % of its writes (onto a device holding old
# bytes, and into a file in place) is finished by --resume and then
# equals an uninterrupted one; -c writes nothing onto an equal target.
. "$(dirname "$0")/lib.sh"
need qemu-img mke2fs e2fsck
cd "$T" || exit 1
export ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"
shim=$TOOLS/libinterruptwrite.so
[ -f "$shim" ] || fail "no $shim"

# interrupted_then_resumed IMAGE WANT TARGET BYTES [OPTIONS]: ^C once
# BYTES went to TARGET, then --resume; TARGET must end equal to WANT.
interrupted_then_resumed() {
	local img=$1 want=$2 target=$3 after=$4 rc=0
	shift 4
	INTERRUPT_PATH=$target INTERRUPT_AFTER=$after LD_PRELOAD=$shim \
		"$E2QCOW" restore --overwrite "$@" "$img" "$target" 2>err || rc=$?
	[ "$rc" != 0 ] && grep -q "run the same command with --resume" err ||
		fail "interrupt after $after bytes: exit $rc, $(cat err)"
	! cmp -s "$want" "$target" || fail "interrupt after $after bytes: nothing left to do"
	"$E2QCOW" restore --overwrite --resume "$@" "$img" "$target" ||
		fail "--resume after $after bytes: exit $?"
}

mke2fs -q -F -t ext4 -d "$TESTS_DIR/unit" fs.img 64M 2>/dev/null
"$E2QCOW" capture -q fs.img meta.qcow2
qemu-img convert -O raw meta.qcow2 want.raw
size=$(stat -c %s fs.img)

echo "stdin"
for flags in "" "-z" "-s" "--compress=zlib"; do
	rm -f img.qcow2 from-file.raw
	# shellcheck disable=SC2086 # the flags are words
	"$E2QCOW" capture -q $flags fs.img img.qcow2
	"$E2QCOW" restore img.qcow2 from-file.raw
	"$E2QCOW" restore - from-stdin.raw <img.qcow2 || fail "stdin ($flags): exit $?"
	cmp from-file.raw from-stdin.raw || fail "stdin ($flags) differs from the file"
	cat img.qcow2 | "$E2QCOW" restore - - | cmp - from-file.raw ||
		fail "stdin to stdout ($flags) differs"
	rm -f from-stdin.raw
done
for flags in "" "-c" "-o cluster_size=4096"; do
	rm -f qemu.qcow2 q.raw
	# shellcheck disable=SC2086 # the flags are words
	qemu-img convert -O qcow2 $flags want.raw qemu.qcow2
	"$E2QCOW" restore - q.raw <qemu.qcow2 || fail "stdin, QEMU's image ($flags): exit $?"
	cmp q.raw want.raw || fail "stdin, QEMU's image ($flags) differs"
done

echo "stdin in one pass: no temporary file, shared clusters read back"
# Two copies of 6 MiB of file data: with --dedup the second copy's
# clusters point 6 MiB back, past the window of a pipe's input.
mkdir -p ddata
head -c 6M /dev/urandom >ddata/a
cp ddata/a ddata/b
head -c 3M /dev/urandom >ddata/c
mke2fs -q -F -t ext4 -d ddata dfs.img 32M >/dev/null 2>&1
"$E2QCOW" capture -q -a --dedup dfs.img dd.qcow2
"$E2QCOW" capture -q -a -z dfs.img dz.qcow2
"$E2QCOW" capture -q -a dfs.img - >ds.qcow2
for img in dd dz ds; do
	qemu-img convert -O raw "$img.qcow2" "$img.raw"
	for window in "" 1; do
		rm -f "$img.out"
		# Nowhere to put a temporary file: the image must go through
		# in one pass (the default window holds one L2 range), but for
		# shared clusters to standard output, which cannot be read
		# back: they are kept in one.
		dir=$T/spill
		if [ -z "$window" ] && [ "$img" != dd ]; then dir=$T/nowhere; fi
		mkdir -p "$T/spill"
		cat "$img.qcow2" | E2QCOW_STDIN_WINDOW=$window TMPDIR=$dir \
			"$E2QCOW" restore - - >"$img.out" ||
			fail "stdin to stdout ($img, window '$window'): exit $?"
		cmp "$img.out" "$img.raw" || fail "stdin to stdout ($img, window '$window') differs"
		rm -f "$img.out"
		cat "$img.qcow2" | E2QCOW_STDIN_WINDOW=$window \
			"$E2QCOW" restore - "$img.out" ||
			fail "stdin ($img, window '$window'): exit $?"
		cmp "$img.out" "$img.raw" || fail "stdin ($img, window '$window') differs"
	done
done
# Cut short: an error, and no file.
rm -f cut.raw
rc=0
head -c 5M dd.qcow2 | "$E2QCOW" restore - cut.raw 2>err || rc=$?
[ "$rc" = 1 ] && grep -q "truncated" err && [ ! -e cut.raw ] ||
	fail "a truncated image on stdin: exit $rc, $(cat err)"
# A table that points back at input gone by (here the last L2 table's
# first entry at the first L2 table itself): from a file that reads,
# from a pipe it cannot; said so, and no file.
python3 - ds.qcow2 back.qcow2 <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
l1_size, l1_off = struct.unpack(">IQ", b[36:48])
l2s = [e & 0x00fffffffffffe00 for e in
       struct.unpack(">%dQ" % l1_size, b[l1_off:l1_off + 8 * l1_size]) if e]
cs = 1 << struct.unpack(">I", b[20:24])[0]
last = max(l2s)
for i in range(cs // 8):
    if struct.unpack(">Q", b[last + 8 * i:last + 8 * i + 8])[0]:
        b[last + 8 * i:last + 8 * i + 8] = struct.pack(">Q", min(l2s) | 1 << 63)
        break
open(sys.argv[2], "wb").write(b)
PY
"$E2QCOW" restore back.qcow2 back-file.raw || fail "a table pointing back, from the file: exit $?"
rc=0
"$E2QCOW" restore - back.raw <back.qcow2 2>err || rc=$?
[ "$rc" = 1 ] && grep -q "points back at data that has gone by" err && [ ! -e back.raw ] ||
	fail "a table pointing back, on stdin: exit $rc, $(cat err)"
# And the checks with nowhere to spill can fail: a window too small for
# the image needs the temporary file it cannot have.
rc=0
E2QCOW_STDIN_WINDOW=1 TMPDIR=$T/nowhere "$E2QCOW" restore - - <dd.qcow2 >/dev/null 2>err || rc=$?
[ "$rc" = 1 ] && grep -q "nowhere" err ||
	fail "a small window with nowhere to spill: exit $rc, $(cat err)"
qemu-img create -q -f qcow2 -b meta.qcow2 -F qcow2 overlay.qcow2
rc=0
"$E2QCOW" restore - o.raw <overlay.qcow2 2>err || rc=$?
[ "$rc" = 1 ] && grep -q "backing file" err && [ ! -e o.raw ] ||
	fail "an overlay on stdin: exit $rc, $(cat err)"

echo "a file in place, holding old bytes"
head -c $((size + 8192)) /dev/urandom >old.img
cp old.img before.img
"$E2QCOW" restore -O 4096 --overwrite meta.qcow2 old.img || fail "in place: exit $?"
cmp <(tail -c +4097 old.img | head -c "$size") want.raw || fail "in place: content"
cmp <(head -c 4096 old.img) <(head -c 4096 before.img) || fail "in place: before the offset"
cmp <(tail -c 4096 old.img) <(tail -c 4096 before.img) || fail "in place: after the end"

echo "a file in place, interrupted, then resumed"
mkdir -p fdata
head -c 24M /dev/urandom >fdata/big
mke2fs -q -F -t ext4 -d fdata ffull.img 32M >/dev/null 2>&1
"$E2QCOW" capture -q -a ffull.img ffull.qcow2
fsize=$(stat -c %s ffull.img)
head -c $((fsize + 8192)) /dev/urandom >host.img
cp host.img host-before.img
interrupted_then_resumed ffull.qcow2 /dev/null host.img $((12 * 1024 * 1024)) -O 4096
"$E2QCOW" restore ffull.qcow2 ffull.raw
cmp <(tail -c +4097 host.img | head -c "$fsize") ffull.raw || fail "in place, resumed: content"
cmp <(tail -c 4096 host.img) <(tail -c 4096 host-before.img) || fail "in place, resumed: after the end"
# A new file interrupted leaves nothing; --resume then restores it whole.
rc=0
INTERRUPT_PATH='*' INTERRUPT_AFTER=1 LD_PRELOAD=$shim "$E2QCOW" restore ffull.qcow2 new.raw 2>err || rc=$?
[ "$rc" != 0 ] && [ ! -e new.raw ] || fail "a new file interrupted: exit $rc, $(ls)"
"$E2QCOW" restore --resume ffull.qcow2 new.raw && cmp new.raw ffull.raw || fail "a new file resumed"

if [ "$(id -u)" = 0 ] && command -v losetup >/dev/null && losetup -f >/dev/null 2>&1; then
	echo "a loop device holding old bytes"
	head -c "$size" /dev/urandom >dev.img
	dev=$(losetup -f --show dev.img) || skip "losetup failed"
	trap 'losetup -d "$dev" 2>/dev/null || true; rm -rf "$T"' EXIT
	"$E2QCOW" restore -p --overwrite meta.qcow2 "$dev" 2>progress || fail "device: exit $?"
	cmp "$dev" want.raw || fail "device: content differs from qemu-img's"
	# Told the device is zero: nothing is zeroed, only data written.
	head -c "$size" /dev/urandom >"$dev"
	"$E2QCOW" restore --target-is-zero --overwrite meta.qcow2 "$dev"
	! cmp -s "$dev" want.raw || fail "--target-is-zero zeroed the device"
	losetup -d "$dev"

	echo "a loop device holding old bytes, the image on stdin"
	dsize=$(stat -c %s dfs.img)
	head -c "$dsize" /dev/urandom >ddev.img
	dev=$(losetup -f --show ddev.img) || skip "losetup failed"
	for img in dd dz; do
		head -c "$dsize" /dev/urandom >"$dev"
		TMPDIR=$T/nowhere "$E2QCOW" restore --overwrite - "$dev" <"$img.qcow2" ||
			fail "device from stdin ($img): exit $?"
		cmp "$dev" "$img.raw" || fail "device from stdin ($img) differs from qemu-img's"
		# -c from stdin: the same, writing only what differs.
		head -c 1M /dev/urandom | dd of="$dev" bs=1M seek=2 conv=notrunc 2>/dev/null
		"$E2QCOW" restore -c - "$dev" <"$img.qcow2" || fail "-c from stdin ($img): exit $?"
		cmp "$dev" "$img.raw" || fail "-c from stdin ($img) differs"
	done
	losetup -d "$dev"

	echo "a device restore interrupted at 10, 50, 85 %, then resumed"
	mkdir data
	head -c 40M /dev/urandom >data/big
	mke2fs -q -F -t ext4 -d data full.img 64M >/dev/null 2>&1
	"$E2QCOW" capture -q -a full.img full.qcow2
	qemu-img convert -O raw full.qcow2 full.raw
	head -c "$size" /dev/urandom >dev.img
	dev=$(losetup -f --show dev.img) || skip "losetup failed"
	# Percentages of the 40 MiB of file data, the bulk of the writes
	# (a ^C during the last write is too late to stop anything).
	for pct in 10 50 85; do
		head -c "$size" /dev/urandom >"$dev"
		interrupted_then_resumed full.qcow2 full.raw "$dev" \
			$((40 * 1024 * 1024 * pct / 100))
		cmp "$dev" full.raw || fail "resumed at $pct %: differs from qemu-img's"
	done
	# -c on a target that already holds the image writes nothing.
	# (the shim interrupts at the first byte written to it).
	INTERRUPT_PATH=$dev INTERRUPT_AFTER=0 LD_PRELOAD=$shim \
		"$E2QCOW" restore -c full.qcow2 "$dev" || fail "-c wrote onto an equal device: exit $?"
	cmp "$dev" full.raw || fail "-c: differs"
	losetup -d "$dev"

	echo "a 64 GiB sparse device"
	truncate -s 64G big.img
	mke2fs -q -F -t ext4 -E lazy_itable_init=1 big.img 2>/dev/null
	"$E2QCOW" capture -q big.img big.qcow2
	truncate -s 64G bigdev.img
	dev=$(losetup -f --show bigdev.img) || skip "losetup failed"
	"$E2QCOW" restore --overwrite big.qcow2 "$dev" || fail "64 GiB: exit $?"
	# Zeroing by request writes nothing: the backing file stays sparse.
	used=$(du -k bigdev.img | cut -f1)
	[ "$used" -lt $((256 * 1024)) ] || fail "64 GiB: ${used} KiB written"
	diff <(e2fsck -fn big.img 2>&1 | sed 1d | sed 's/^[^:]*:/X:/') \
		<(e2fsck -fn "$dev" 2>&1 | sed 1d | sed 's/^[^:]*:/X:/') || fail "64 GiB: e2fsck"
	losetup -d "$dev"
else
	echo "  (no loop devices here: device restores are not tried)"
fi
echo ok
