#!/bin/bash
# t_faults.sh: read errors on the source.  An LD_PRELOAD shim
# (tools/failread.c) makes reads of chosen byte ranges of the source fail
# with EIO under libext2fs, as a failing disk would.  Each unreadable
# block must be named, zero-filled in the image and listed in the
# summary; the capture goes on, exits 3, and everything else is intact.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"
need mke2fs debugfs qemu-img
shim=$TOOLS/libfailread.so
[ -f "$shim" ] || skip "no $shim"
# The shim goes first in the library list; ASan would insist on itself.
export ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0"

src=$T/src.img
make_fixture ext4 "$src"
bs=$(dumpe2fs -h "$src" 2>/dev/null | awk '/^Block size:/ {print $3}')
data=$(debugfs -R "bmap /indirect 3" "$src" 2>/dev/null)
dir=$(debugfs -R "bmap /dir1 0" "$src" 2>/dev/null)
[ -n "$data" ] && [ -n "$dir" ] || fail "could not find the blocks to break"
bad="$data $dir"
ranges="$((data * bs))-$((data * bs + bs)),$((dir * bs))-$((dir * bs + bs))"

# faulty ARGS...: capture with the two blocks failing.
faulty() {
	FAILREAD_PATH=$src FAILREAD_RANGES=$ranges LD_PRELOAD=$shim \
		"$E2QCOW" capture "$@"
}

"$E2QCOW" capture -a "$src" "$T/good.qcow2"
qemu-img convert -O raw "$T/good.qcow2" "$T/good.raw"

for mode in file stream compressed; do
	rc=0
	case $mode in
	file) faulty -a "$src" "$T/bad.qcow2" 2>"$T/err" || rc=$? ;;
	stream) faulty -a "$src" - 2>"$T/err" >"$T/bad.qcow2" || rc=$? ;;
	compressed) faulty -a -z "$src" "$T/bad.qcow2" 2>"$T/err" || rc=$? ;;
	esac
	[ "$rc" = 3 ] || fail "$mode: exit $rc, expected 3: $(cat "$T/err")"
	for b in $bad; do
		grep -q "block $b could not be read" "$T/err" ||
			fail "$mode: block $b not reported: $(cat "$T/err")"
	done
	grep -q "2 unreadable blocks, zero-filled in the image: block" "$T/err" ||
		fail "$mode: no summary: $(cat "$T/err")"
	for b in $bad; do
		grep "unreadable blocks, zero-filled" "$T/err" | grep -q -E "[ ,]${b}[ ,(]" ||
			fail "$mode: block $b not in the summary: $(cat "$T/err")"
	done
	qemu_check "$T/bad.qcow2"
	qemu-img convert -O raw "$T/bad.qcow2" "$T/bad.raw"
	# The two blocks are zeros; every other byte is as without faults.
	for b in $bad; do
		cmp -s <(dd if="$T/bad.raw" bs="$bs" skip="$b" count=1 2>/dev/null) \
			<(head -c "$bs" /dev/zero) || fail "$mode: block $b not zero-filled"
	done
	cp "$T/good.raw" "$T/good-holed.raw"
	for b in $bad; do
		dd if=/dev/zero of="$T/good-holed.raw" bs="$bs" seek="$b" count=1 \
			conv=notrunc 2>/dev/null
	done
	cmp "$T/good-holed.raw" "$T/bad.raw" || fail "$mode: other blocks differ"
	rm -f "$T/bad.qcow2" "$T/bad.raw" "$T/good-holed.raw"
done

# A source that cannot be read at all: a clear error, nothing written.
rc=0
FAILREAD_PATH=$src FAILREAD_RANGES=0-999999999999 LD_PRELOAD=$shim \
	"$E2QCOW" capture "$src" "$T/none.qcow2" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || fail "unreadable source: exit $rc: $(cat "$T/err")"
grep -q "src.img" "$T/err" || fail "unreadable source: message: $(cat "$T/err")"
[ ! -e "$T/none.qcow2" ] || fail "unreadable source left an image"
echo ok
