#!/bin/bash
# t_valgrind.sh: e2qcow is valgrind-clean (no invalid access, no use of
# uninitialised memory, no definite leak) on a capture in every mode, a
# damaged source, and the unit tests.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"
need valgrind mke2fs qemu-img
[ -z "${E2QCOW_SANITIZED:-}" ] || skip "sanitizer build: valgrind runs on the plain build"

vg() {
	valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite --track-origins=yes "$@"
}

make_fixture ext4-1k "$T/src.img"
vg "$E2QCOW" capture "$T/src.img" "$T/a.qcow2" || fail "metadata capture"
vg "$E2QCOW" capture -a "$T/src.img" "$T/b.qcow2" || fail "all-data capture"
vg "$E2QCOW" capture -r "$T/src.img" "$T/c.raw" || fail "raw capture"
vg "$E2QCOW" capture "$T/src.img" - >"$T/d.qcow2" || fail "stream capture"
# A stream shares no clusters (it cannot point back): the same disk.
qemu-img compare -q "$T/a.qcow2" "$T/d.qcow2" || fail "stream differs"
vg "$E2QCOW" capture -a -z -t 2 "$T/src.img" "$T/z.qcow2" || fail "zstd capture"
vg "$E2QCOW" capture -a --compress=zlib -t 2 "$T/src.img" - >"$T/zl.qcow2" ||
	fail "zlib stream capture"
vg "$E2QCOW" restore "$T/z.qcow2" "$T/z.raw" || fail "restore of a compressed image"
vg "$E2QCOW" verify "$T/z.qcow2" "$T/src.img" >/dev/null || fail "verify"
# Install reads the filesystem inside a qcow2 through our I/O manager.
# (--no-undo: libext2fs' undo manager has a leak of its own.)
cp "$T/src.img" "$T/inst.img"
vg "$E2QCOW" install --no-undo "$T/z.qcow2" "$T/inst.img" >/dev/null ||
	fail "install"
cmp "$T/src.img" "$T/inst.img" || fail "install changed a filesystem it matches"
# A damaged source: zeroed primary superblock and a broken inode table.
dd if=/dev/zero of="$T/src.img" bs=1024 seek=1 count=1 conv=notrunc 2>/dev/null
rc=0
vg "$E2QCOW" capture -a "$T/src.img" "$T/e.qcow2" 2>"$T/err" || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 3 ] || fail "damaged source: exit $rc: $(cat "$T/err")"
for t in extmap qcow_format qcow_writer qcow_reader qcow_compress qcow_hostile fsread \
	scrub_names; do
	vg "$TOOLS/test_$t" >"$T/unit.log" 2>&1 || fail "test_$t: $(tail -20 "$T/unit.log")"
done
echo ok
