#!/bin/bash
# t_fixture.sh NAME: capture one fixture in every mode and prove the
# images right with QEMU's and e2fsprogs' own tools.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"
need mke2fs debugfs e2fsck dumpe2fs e2image qemu-img

name=$1
src=$T/src.img
make_fixture "$name" "$src"
bs=$(dumpe2fs -h "$src" 2>/dev/null | awk '/^Block size:/ {print $3}')

# The source itself must be as clean as e2fsck says it is; keep its words.
run_named "$src" e2fsck -fn >"$T/fsck.src" && src_rc=0 || src_rc=$?
run_named "$src" dumpe2fs >"$T/dumpe2fs.src"
debugfs_tree "$src" >"$T/tree.src"

compare_restored() {
	local raw=$1 what=$2 rc
	run_named "$raw" e2fsck -fn >"$T/fsck.out" && rc=0 || rc=$?
	[ "$rc" = "$src_rc" ] || fail "$what: e2fsck exit $rc, source $src_rc"
	diff -u "$T/fsck.src" "$T/fsck.out" || fail "$what: e2fsck output differs"
	run_named "$raw" dumpe2fs >"$T/dumpe2fs.out"
	diff -u "$T/dumpe2fs.src" "$T/dumpe2fs.out" || fail "$what: dumpe2fs differs"
	debugfs_tree "$raw" >"$T/tree.out"
	diff -u "$T/tree.src" "$T/tree.out" || fail "$what: debugfs listing differs"
}

# 1. Metadata capture, qcow2 v3.
"$E2QCOW" capture "$src" "$T/meta.qcow2" || fail "capture exited $?"
qemu_check "$T/meta.qcow2"
qemu-img convert -O raw "$T/meta.qcow2" "$T/meta.raw"
[ "$(stat -c %s "$T/meta.raw")" = "$(stat -c %s "$src")" ] ||
	fail "virtual size differs from the filesystem size"
compare_restored "$T/meta.raw" "metadata capture"

# 2. Everything e2image -r writes is there, byte for byte.
e2image -r "$src" "$T/e2image.raw" 2>/dev/null
"$TOOLS/blkcmp" "$T/e2image.raw" "$T/meta.raw" "$bs" ||
	fail "blocks e2image -r captures are missing or differ"

# 3. No larger than e2image -Q, give or take the backup superblock and
#    descriptor copies e2image leaves out, and our digest table (24 bytes
#    a stored cluster, 16 for the table's own digest).
#    Not counting the free stretch after our header (a hole up to
#    128 KiB that keeps guest blocks away from where probers look).
e2image -Q "$src" "$T/e2image.qcow2" 2>/dev/null
cs=$("$E2QCOW" info --json "$T/meta.qcow2" | sed 's/.*"cluster_size": \([0-9]*\).*/\1/')
ours=$(stat -c %s "$T/meta.qcow2")
[ "$cs" -ge 131072 ] || ours=$((ours - (131072 - cs)))
theirs=$(stat -c %s "$T/e2image.qcow2")
# Backup superblocks and descriptor copies, and the groups they sit in:
# each such group may need an L2 table of its own.
read -r backups groups < <(dumpe2fs "$src" 2>/dev/null | awk '
	/Backup superblock at/ {
		g++; n++
		if (match($0, /Group descriptors at [0-9]+-[0-9]+/)) {
			split(substr($0, RSTART + 21, RLENGTH - 21), r, "-")
			n += r[2] - r[1] + 1
		}
	}
	/Group descriptor at [0-9]+/ && !/Primary/ { n++ }
	END { print n + 0, g + 0 }')
digests=$("$E2QCOW" info --json "$T/meta.qcow2" |
	sed 's/.*"digests": \([0-9]*\).*/\1/')
limit=$((theirs + (backups + groups + EXTRA_BLOCKS) * bs + digests * 24 + 16))
echo "size: e2qcow $ours, e2image -Q $theirs, backup blocks $backups in $groups groups"
[ "$ours" -le "$limit" ] || fail "image $ours bytes, over the limit $limit"

# 4. Streamed to a pipe: the same disk as the file (a stream cannot
# share identical clusters, so not the same bytes), and QEMU agrees.
"$E2QCOW" capture "$src" - | cat >"$T/stream.qcow2"
qemu_check "$T/stream.qcow2"
qemu-img compare -q "$T/meta.qcow2" "$T/stream.qcow2" || fail "stream output differs"

# 5. Raw capture: the same as QEMU's conversion of the qcow2 one.
"$E2QCOW" capture -r "$src" "$T/direct.raw"
cmp "$T/meta.raw" "$T/direct.raw" || fail "raw capture differs from qcow2"
"$E2QCOW" capture -r "$src" - | cmp - "$T/meta.raw" || fail "raw stream differs"

# 6. Version 2, readable by e2image -r too.
"$E2QCOW" capture --qcow-version 2 "$src" "$T/v2.qcow2"
qemu_check "$T/v2.qcow2"
e2image -r "$T/v2.qcow2" "$T/v2.raw" 2>/dev/null
cmp "$T/v2.raw" "$T/meta.raw" || fail "e2image -r of the v2 image differs"

# 7. Other cluster sizes hold the same blocks.
for cs in 512 65536; do
	"$E2QCOW" capture -C "$cs" "$src" "$T/c$cs.qcow2"
	qemu_check "$T/c$cs.qcow2"
	qemu-img convert -O raw "$T/c$cs.qcow2" "$T/c$cs.raw"
	cmp "$T/c$cs.raw" "$T/meta.raw" || fail "cluster size $cs differs"
done

# 8. All data: every file's content, read by libext2fs, is the same.
"$E2QCOW" capture -a "$src" "$T/all.qcow2"
qemu_check "$T/all.qcow2"
qemu-img convert -O raw "$T/all.qcow2" "$T/all.raw"
compare_restored "$T/all.raw" "all-data capture"
"$TOOLS/fsdigest" "$src" >"$T/digest.src"
"$TOOLS/fsdigest" "$T/all.raw" >"$T/digest.out"
diff -u "$T/digest.src" "$T/digest.out" || fail "file contents differ"

# 9. Compressed: QEMU reads the same bytes as from the plain image, for
# both types, a chosen and the automatic cluster size, one and two
# threads, and a stream equal to the file.
"$E2QCOW" capture -a -z -t 2 "$src" "$T/z.qcow2"
qemu_check "$T/z.qcow2"
qemu-img info "$T/z.qcow2" | grep -q "compression type: zstd" ||
	fail "-z did not make a zstd image"
qemu-img convert -O raw "$T/z.qcow2" "$T/z.raw"
cmp "$T/z.raw" "$T/all.raw" || fail "zstd capture differs"
"$E2QCOW" restore "$T/z.qcow2" - | cmp - "$T/all.raw" ||
	fail "e2qcow restore of the zstd capture differs"
"$E2QCOW" capture -a --compress=zlib:9 -t 1 -C "$bs" "$src" "$T/zl.qcow2"
qemu_check "$T/zl.qcow2"
qemu-img convert -O raw "$T/zl.qcow2" "$T/zl.raw"
cmp "$T/zl.raw" "$T/all.raw" || fail "zlib capture differs"
"$E2QCOW" capture -a -z -t 2 "$src" - | cat >"$T/zs.qcow2"
qemu-img compare -q "$T/zs.qcow2" "$T/z.qcow2" || fail "compressed stream differs from file"
# At the same cluster size, compression never costs space.
[ "$(stat -c %s "$T/zl.qcow2")" -lt "$(stat -c %s "$T/all.qcow2")" ] ||
	fail "compressed image is not smaller"
echo "ok: $name"
