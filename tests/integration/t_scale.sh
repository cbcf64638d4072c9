#!/bin/bash
# t_scale.sh: a filesystem past ext4's own 16 TiB file limit (20 TiB,
# Debian's stock mke2fs.conf: flex_bg, sparse backups) in a sparse file
# on tmpfs.  The capture's memory does not grow with the filesystem's
# size (the 2.6 GB of block bits ext2fs_check_desc would take as a bit
# array are kept as runs), backup descriptor copies are stored once, the
# zero pages of L2 tables are holes, QEMU accepts the image, and the
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
# the primary's: stored once, the image is far below all of them.
[ "$(stat -c %s "$T/img.qcow2")" -lt $((200 * 1024 * 1024)) ] ||
	fail "20 TiB: image of $(stat -c %s "$T/img.qcow2") bytes"
# The zero pages of its L2 tables (one entry or a few each) are holes
# (measured: 64 % of the file allocated).
read -r size blocks <<<"$(stat -c '%s %b' "$T/img.qcow2")"
[ $((blocks * 512)) -lt $((size * 8 / 10)) ] ||
	fail "20 TiB: $((blocks * 512)) of $size bytes allocated"
"$E2QCOW" restore "$T/img.qcow2" "$dir/back.img" || fail "restore: exit $?"
rm -f "$T/img.qcow2"
diff <(dumpe2fs -h "$dir/fs.img" 2>&1) <(dumpe2fs -h "$dir/back.img" 2>&1) ||
	fail "dumpe2fs -h differs"
diff <(e2fsck -fn "$dir/fs.img" 2>&1 | sed 1d | sed 's/^[^:]*: /X: /') \
	<(e2fsck -fn "$dir/back.img" 2>&1 | sed 1d | sed 's/^[^:]*: /X: /') ||
	fail "e2fsck -fn differs"
echo ok
