#!/bin/bash
# t_cli.sh: the command line's promises.  Usage errors exit 2; bad
# input exits 1 with one clear line naming the file and leaves nothing
# behind; an existing image is never replaced unasked; a file-size limit
# and an interrupt leave no image and no temporary file.
. "$(dirname "$0")/lib.sh"
need mke2fs qemu-img
cd "$T" || exit 1

no_leftovers() {
	local left
	left=$(find "$T" -maxdepth 1 -name '.*e2qcow-*')
	[ -z "$left" ] || fail "$1: temporary files left: $left"
}

# expect STATUS PATTERN CMD...: exit status and a stderr line.
expect() {
	local want=$1 pattern=$2 rc=0
	shift 2
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" = "$want" ] || fail "$*: exit $rc, expected $want: $(cat "$T/err")"
	grep -q -- "$pattern" "$T/err" "$T/out" ||
		fail "$*: no '$pattern' in: $(cat "$T/err")"
}

mke2fs -q -F -t ext4 -b 1024 fs.img 32M

# Usage.
expect 2 usage "$E2QCOW"
expect 2 "unknown command" "$E2QCOW" frobnicate
expect 2 "need a SOURCE" "$E2QCOW" capture fs.img
expect 2 "cluster size" "$E2QCOW" capture -C 1000 fs.img x.qcow2
expect 2 "cluster size" "$E2QCOW" capture -C 4M fs.img x.qcow2
expect 2 "qcow2 version" "$E2QCOW" capture --qcow-version 1 fs.img x.qcow2
expect 2 "invalid option" "$E2QCOW" capture -Z fs.img x.qcow2
expect 2 "-B goes with -b" "$E2QCOW" capture -B 1024 fs.img x.qcow2
expect 2 "zlib or zstd" "$E2QCOW" capture --compress=lzo fs.img x.qcow2
expect 2 "zlib levels go from 1 to 9" "$E2QCOW" capture --compress=zlib:10 fs.img x.qcow2
expect 2 "zstd levels go from 1 to" "$E2QCOW" capture --compress=0 fs.img x.qcow2
expect 2 "needs --qcow-version 3" "$E2QCOW" capture -z --qcow-version 2 fs.img x.qcow2
expect 2 "compression is for qcow2" "$E2QCOW" capture -r -z fs.img x.qcow2
expect 2 "threads must be" "$E2QCOW" capture -z -t 0 fs.img x.qcow2
expect 2 "threads must be" "$E2QCOW" capture -z -t 65 fs.img x.qcow2
expect 0 "usage: e2qcow capture" "$E2QCOW" capture --help
# Options after the operands work too, as in other GNU-style tools.
"$E2QCOW" capture fs.img late.qcow2 -z --no-sync || fail "options after operands"
qemu_check late.qcow2
rm -f late.qcow2
# The image never replaces its own source, even through a link.
cp fs.img self.img
ln -s self.img self-link.img
expect 1 "is the source itself" "$E2QCOW" capture --overwrite self.img self.img
expect 1 "is the source itself" "$E2QCOW" capture -r --overwrite self.img self-link.img
expect 1 "is the source itself" "$E2QCOW" capture --format=e2i --overwrite self.img self.img
cmp fs.img self.img || fail "the source was written"
expect 0 "e2qcow [0-9]" "$E2QCOW" --version
[ ! -e x.qcow2 ] || fail "a usage error wrote an image"

# Not a filesystem, missing source: one line naming the file.
head -c 4M /dev/urandom >junk.img
expect 1 "'junk.img'" "$E2QCOW" capture junk.img junk.qcow2
[ ! -e junk.qcow2 ] || fail "junk input left an image"
expect 1 "'missing.img'" "$E2QCOW" capture missing.img m.qcow2
expect 1 "'nodir/x.qcow2'" "$E2QCOW" capture fs.img nodir/x.qcow2
no_leftovers "bad input"

# An existing image is kept unless --overwrite.
echo "precious" >exists.qcow2
expect 1 "--overwrite" "$E2QCOW" capture fs.img exists.qcow2
[ "$(cat exists.qcow2)" = precious ] || fail "existing output was changed"
"$E2QCOW" capture --overwrite fs.img exists.qcow2 || fail "--overwrite"
qemu_check exists.qcow2
no_leftovers "overwrite"

# A file-size limit: a clean error, no image, no temporary file.
mkdir -p data
"$TOOLS/mkpattern" -s data/big 8M
mke2fs -q -F -t ext4 -b 4096 -d data big.img 64M
rc=0
(ulimit -f 1024 && "$E2QCOW" capture -a big.img limited.qcow2) 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || fail "file-size limit: exit $rc: $(cat "$T/err")"
grep -q "too large" "$T/err" || fail "file-size limit message: $(cat "$T/err")"
[ ! -e limited.qcow2 ] || fail "file-size limit left an image"
no_leftovers "file-size limit"

# Interrupted: SIGINT as soon as the temporary file appears.
"$TOOLS/mkpattern" -s data/big 400M
mke2fs -q -F -t ext4 -b 4096 -d data slow.img 512M
# interrupt_capture ARGS...: SIGINT as soon as the temporary file
# appears; nothing may be left behind.
interrupt_capture() {
	local pid rc=0
	rm -f interrupted.qcow2
	"$E2QCOW" capture "$@" slow.img interrupted.qcow2 2>"$T/err" &
	pid=$!
	for _ in $(seq 1 500); do
		[ -n "$(find "$T" -maxdepth 1 -name '.interrupted.qcow2.e2qcow-*')" ] && break
		sleep 0.01
	done
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" || rc=$?
	if [ "$rc" = 0 ]; then
		echo "note: the capture ($*) finished before the interrupt arrived"
		qemu_check interrupted.qcow2
	else
		[ "$rc" = 1 ] || fail "interrupt ($*): exit $rc: $(cat "$T/err")"
		grep -q "interrupted" "$T/err" ||
			fail "interrupt message ($*): $(cat "$T/err")"
		[ ! -e interrupted.qcow2 ] || fail "interrupt ($*) left an image"
		no_leftovers "interrupt ($*)"
	fi
}
interrupt_capture -a
interrupt_capture -a -z -t 2

# Restore, interrupted (SIGINT and SIGTERM) or over the file-size limit,
# onto a new name and over an existing file (--overwrite): no output, no
# temporary file, and the existing file untouched.
"$E2QCOW" capture -a slow.img full.qcow2
echo "keep me" >existing.raw
for sig in INT TERM; do
	for target in restored.raw existing.raw; do
		rm -f restored.raw
		"$E2QCOW" restore --overwrite full.qcow2 "$target" 2>"$T/err" &
		pid=$!
		for _ in $(seq 1 500); do
			[ -n "$(find "$T" -maxdepth 1 -name ".$target.e2qcow-*")" ] && break
			sleep 0.01
		done
		kill -"$sig" "$pid" 2>/dev/null || true
		rc=0
		wait "$pid" || rc=$?
		if [ "$rc" = 0 ]; then
			echo "note: restore to $target finished before SIG$sig arrived"
			cmp <("$E2QCOW" restore full.qcow2 -) "$target" ||
				fail "restore to $target: wrong content"
			echo "keep me" >existing.raw
			continue
		fi
		[ "$rc" = 1 ] || fail "restore SIG$sig: exit $rc: $(cat "$T/err")"
		grep -q "interrupted" "$T/err" || fail "restore SIG$sig message: $(cat "$T/err")"
		no_leftovers "restore SIG$sig"
		[ ! -e restored.raw ] || fail "restore SIG$sig left restored.raw"
		[ "$(cat existing.raw)" = "keep me" ] ||
			fail "restore SIG$sig changed the existing file"
	done
done
for target in restored.raw existing.raw; do
	rm -f restored.raw
	rc=0
	(ulimit -f 1024 && "$E2QCOW" restore --overwrite full.qcow2 "$target") \
		2>"$T/err" || rc=$?
	[ "$rc" = 1 ] || fail "restore over the size limit: exit $rc: $(cat "$T/err")"
	no_leftovers "restore over the size limit"
	[ ! -e restored.raw ] || fail "restore over the size limit left a file"
	[ "$(cat existing.raw)" = "keep me" ] ||
		fail "restore over the size limit changed the existing file"
done
rm -f full.qcow2

# Compressed, under a file-size limit: the same clean failure.
rc=0
(ulimit -f 1024 && "$E2QCOW" capture -a -z slow.img limited.qcow2) 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || fail "compressed file-size limit: exit $rc: $(cat "$T/err")"
[ ! -e limited.qcow2 ] || fail "compressed file-size limit left an image"
no_leftovers "compressed file-size limit"

# A zeroed primary superblock: the first backup is found by itself (as
# e2fsck does), or given with -b (and -B); status 3 says the source is
# damaged (with -b the user chose the superblock: status 0).  e2fsck says the same about each image as about the source.
mke2fs -q -F -t ext4 -b 1024 nosb.img 32M
dd if=/dev/zero of=nosb.img bs=1024 seek=1 count=1 conv=notrunc 2>/dev/null
fsck_of() {
	local rc=0
	e2fsck -fn "$1" >"$T/fsck.out" 2>&1 || rc=$?
	sed "s|$1|IMAGE|g" "$T/fsck.out"
	echo "exit $rc"
}
want=$(fsck_of nosb.img)
for opts in "" "-b 8193" "-b 8193 -B 1024"; do
	rm -f nosb.qcow2
	rc=0
	# shellcheck disable=SC2086 # word splitting wanted
	"$E2QCOW" capture $opts nosb.img nosb.qcow2 2>"$T/err" || rc=$?
	if [ -z "$opts" ]; then
		[ "$rc" = 3 ] || fail "capture of a bad primary: exit $rc: $(cat "$T/err")"
		grep -q "backup at block 8193" "$T/err" ||
			fail "no word of the backup used: $(cat "$T/err")"
	else
		[ "$rc" = 0 ] || fail "capture $opts: exit $rc: $(cat "$T/err")"
	fi
	qemu_check nosb.qcow2
	qemu-img convert -O raw nosb.qcow2 nosb.raw
	[ "$(fsck_of nosb.raw)" = "$want" ] || fail "e2fsck differs ($opts)"
done

# Too small a cluster for QEMU's 32 MiB L1 limit: a larger one, said so.
truncate -s 200G huge.img
mke2fs -q -F -t ext4 -E lazy_itable_init=1,lazy_journal_init=1 huge.img
"$E2QCOW" capture -C 512 huge.img huge.qcow2 2>"$T/err" || fail "huge: $(cat "$T/err")"
grep -q "using 1024-byte clusters" "$T/err" || fail "no note: $(cat "$T/err")"
qemu-img info huge.qcow2 | grep -q "cluster_size: 1024" || fail "cluster size"
qemu_check huge.qcow2
rm -f huge.img huge.qcow2

# A damaged source: the image is written, problems counted, status 3.
cp fs.img damaged.img
printf '\377\377\377\377' | dd of=damaged.img bs=1 seek=$((1024 + 1024 * 2 + 8)) conv=notrunc 2>/dev/null
rc=0
"$E2QCOW" capture damaged.img damaged.qcow2 2>"$T/err" || rc=$?
[ "$rc" = 3 ] || [ "$rc" = 0 ] || fail "damaged source: exit $rc: $(cat "$T/err")"
[ -e damaged.qcow2 ] && qemu_check damaged.qcow2

# --progress=json: one JSON object a line, every phase ending in a final
# line whose done is its total; the same for restore; anything else for
# --progress is a usage error.
if command -v python3 >/dev/null; then
	"$E2QCOW" capture --progress=json fs.img json.qcow2 2>progress.json ||
		fail "capture --progress=json"
	"$E2QCOW" restore --progress=json json.qcow2 json.raw 2>>progress.json ||
		fail "restore --progress=json"
	python3 - progress.json <<'PYEOF' || fail "--progress=json: $(cat progress.json)"
import json, sys
phases = {}
for line in open(sys.argv[1]):
    if not line.startswith("{"):
        continue   # e2qcow's own messages
    o = json.loads(line)
    for key in ("phase", "done", "total", "unit", "percent", "rate", "eta", "final"):
        assert key in o, (key, o)
    assert 0 <= o["done"] <= o["total"], o
    phases[o["phase"]] = o
for p in ("mapping", "copying", "restoring"):
    assert p in phases and phases[p]["final"], (p, phases)
    assert phases[p]["done"] == phases[p]["total"], phases[p]
PYEOF
fi
expect 2 "human or json" "$E2QCOW" capture --progress=xml fs.img x.qcow2
# libext2fs takes the superblock's block as an int: a larger -b would
# silently open another block (4294975489 is 8193 modulo 2^32).
expect 2 "bad superblock number" "$E2QCOW" capture -b 4294975489 -B 1024 fs.img x.qcow2
expect 1 "bad superblock number" "$E2QCOW" -r -b 4294975489 -B 1024 fs.img x.raw
# A damaged image is reported once, as what it is (not "while writing").
"$E2QCOW" capture -q fs.img ok.qcow2
python3 - ok.qcow2 <<'PYEOF'
import struct, sys
with open(sys.argv[1], "r+b") as f:
    h = f.read(104)
    l1 = struct.unpack(">Q", h[40:48])[0]
    f.seek(l1)
    l2 = struct.unpack(">Q", f.read(8))[0] & 0x00fffffffffffe00
    f.seek(l2)
    for i in range(4096):
        if struct.unpack(">Q", f.read(8))[0]:
            f.seek(l2 + i * 8)   # the first data cluster: past the end
            f.write(struct.pack(">Q", 1 << 63 | 1 << 40))
            break
PYEOF
expect 1 "while mapping 'ok.qcow2'" "$E2QCOW" restore ok.qcow2 out.raw
[ "$(wc -l <"$T/err")" = 1 ] || fail "a damaged image reported more than once: $(cat "$T/err")"
[ ! -e out.raw ] || fail "a failed restore left out.raw"
echo "ok"
