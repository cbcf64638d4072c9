#!/bin/bash
# t_scale.sh: a filesystem past ext4's own 16 TiB file limit (20 TiB,
# Debian's stock mke2fs.conf: flex_bg, sparse backups) in a sparse file
# on tmpfs.  The capture's memory does not grow with the filesystem's
# size (the 2.6 GB of block bits ext2fs_check_desc would take as a bit
# array are kept as runs), backup descriptor copies and the L2 tables
# mapping them are stored once, QEMU accepts the image, and the
# restored filesystem reads as the source does.  Skips where /dev/shm cannot hold such a file.
. "$(dirname "$0")/lib.sh"
need qemu-img mke2fs e2fsck dumpe2fs python3
dir=/dev/shm/e2qcow-scale.$$
mkdir "$dir" 2>/dev/null || skip "no /dev/shm"
trap 'rm -rf "$T" "$dir"' EXIT
truncate -s 20T "$dir/fs.img" 2>/dev/null || skip "/dev/shm takes no 20 TiB sparse file"
[ -f /etc/mke2fs.conf ] && export MKE2FS_CONFIG=/etc/mke2fs.conf
mke2fs -q -F -t ext4 -E lazy_itable_init=1,nodiscard "$dir/fs.img" ||
	skip "mke2fs cannot make 20 TiB here"

# maxrss_kb CMD...: run CMD, print its peak resident memory in KiB.
maxrss_kb() {
	python3 -c 'import resource, subprocess, sys
rc = subprocess.call(sys.argv[1:])
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)' "$@"
}

kb=$(maxrss_kb "$E2QCOW" capture -q "$dir/fs.img" "$T/img.qcow2" 2>/dev/null) ||
	fail "capture: exit $?"
echo "20 TiB: peak memory ${kb} KiB, image $(stat -c %s "$T/img.qcow2") bytes"
# Under the sanitizers memory is theirs to count.
if [ -z "${E2QCOW_SANITIZED:-}" ]; then
	[ "$kb" -lt $((160 * 1024)) ] || fail "20 TiB: ${kb} KiB of memory"
fi
qemu_check "$T/img.qcow2"
# 3,200 backup descriptor blocks in 24 groups, each 20 MiB of copies of
# the primary's, are stored once, and so are the 10,292 L2 tables, each
# an entry or a few, that map only clusters shared that way (34 distinct):
# measured 33.2 MB (117 MB with a table per L1 entry, 75 MB of it
# allocated).
size=$(stat -c %s "$T/img.qcow2")
[ "$size" -lt $((48 * 1024 * 1024)) ] || fail "20 TiB: image of $size bytes"
"$E2QCOW" restore "$T/img.qcow2" "$dir/back.img" || fail "restore: exit $?"
rm -f "$T/img.qcow2"
diff <(dumpe2fs -h "$dir/fs.img" 2>&1) <(dumpe2fs -h "$dir/back.img" 2>&1) ||
	fail "dumpe2fs -h differs"
diff <(e2fsck -fn "$dir/fs.img" 2>&1 | sed 1d | sed 's/^[^:]*: /X: /') \
	<(e2fsck -fn "$dir/back.img" 2>&1 | sed 1d | sed 's/^[^:]*: /X: /') ||
	fail "e2fsck -fn differs"
rm -f "$dir/fs.img" "$dir/back.img"

# 256 TiB (meta_bg): 196,638 L2 tables, 98,332 distinct, one of them
# wanted by more L1 entries than a 16-bit refcount counts (so stored
# twice).  A capture interrupted at 60 % of its output and resumed ends
# with the very bytes of one never stopped (the tables offered for
# sharing before the stop are offered again), and QEMU accepts it.
echo "256 TiB: shared L2 tables, interrupted and resumed"
truncate -s 256T "$dir/fs.img" 2>/dev/null || skip "/dev/shm takes no 256 TiB sparse file"
mke2fs -q -F -t ext4 -E lazy_itable_init=1,nodiscard "$dir/fs.img" ||
	skip "mke2fs cannot make 256 TiB here"
"$E2QCOW" capture -q "$dir/fs.img" "$dir/ref.qcow2" 2>/dev/null || fail "256 TiB: exit $?"
written=$(($(stat -c %b "$dir/ref.qcow2") * 512))
rc=0
# The shim goes first; under ASan that is allowed, not an error.
ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0" INTERRUPT_PATH='*' INTERRUPT_AFTER=$((written * 6 / 10)) \
	LD_PRELOAD=$TOOLS/libinterruptwrite.so "$E2QCOW" capture -q --resume \
	"$dir/fs.img" "$dir/out.qcow2" 2>/dev/null || rc=$?
[ "$rc" = 1 ] || fail "256 TiB: interrupted capture: exit $rc"
"$E2QCOW" capture --resume "$dir/fs.img" "$dir/out.qcow2" 2>"$T/err" ||
	fail "256 TiB: resume: $(cat "$T/err")"
grep -q "resuming the interrupted capture .* at byte [1-9]" "$T/err" ||
	fail "256 TiB: did not go on from a checkpoint: $(cat "$T/err")"
cmp -s "$dir/ref.qcow2" "$dir/out.qcow2" || fail "256 TiB: resumed image differs"
rm -f "$dir/ref.qcow2"
qemu_check "$dir/out.qcow2"
echo ok
