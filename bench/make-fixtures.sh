#!/bin/bash
# make-fixtures.sh WORKDIR: the benchmark's filesystems, deterministic,
# made once and kept (each is skipped when its file exists).
#   meta.img      ext4, 4 GiB, ~300,000 small files in 1,000 directories
#   meta-htree.img  the same after e2fsck -D: every directory hash-indexed
#   data.img      ext4, 8 GiB, ~5 GiB of file data (a third random, a
#                 third base64 text, a third repetitive text) and ~1 GiB of
#                 freed blocks that still hold old data
#   data-night2.img  data.img with 1% of its files rewritten (the next
#                 night's backup)
#   sparse16t.img ext4, 16 TiB (less 1 MiB, the host's file-size limit)
#   ext2-1k.img   ext2, 1 KiB blocks, 1 GiB, 20,000 files and 300 MiB data
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$1
export E2FSPROGS_FAKE_TIME=1700000000 MKE2FS_CONFIG=$root/tests/integration/mke2fs.conf
mkdir -p "$work"
cd "$work"
[ -x mkpattern ] || cc -O2 -o mkpattern "$root/tests/tools/mkpattern.c"

# tree DIR NDIRS FILES_PER_DIR: small files with short text content.
small_tree() {
	python3 - "$@" <<'PY'
import os, sys
top, ndirs, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for d in range(ndirs):
    p = os.path.join(top, f"dir-{d:04d}")
    os.makedirs(p)
    for f in range(per):
        with open(os.path.join(p, f"file-{f:04d}.txt"), "w") as fh:
            fh.write(f"{d}/{f} " * (1 + (d * 7 + f) % 40) + "\n")
PY
}

# data_tree DIR COUNT MAXSIZE: files of three kinds, sizes 1/8..1 MAXSIZE.
data_tree() {
	local dir=$1 count=$2 max=$3 i size
	mkdir -p "$dir"
	for i in $(seq 0 $((count - 1))); do
		size=$(((max / 8) * (1 + (i * 37) % 8)))
		case $((i % 3)) in
		0) ./mkpattern -s "$dir/f$i.bin" "$size" ;;
		1) ./mkpattern -s pattern.tmp $((size * 3 / 4))
		   base64 -w 76 pattern.tmp >"$dir/f$i.b64" ;;
		2) { seq -f "line %08.0f of a repetitive log file" 1 \
			$((size / 38 + 1)) || :; } | head -c "$size" >"$dir/f$i.log" ;;
		esac
	done
	rm -f pattern.tmp
}

if [ ! -f meta.img ]; then
	rm -rf tree && mkdir tree
	small_tree tree 1000 300
	mke2fs -q -F -t ext4 -N 400000 -d tree meta.img.tmp 4G
	rm -rf tree
	mv meta.img.tmp meta.img
fi
# The same files with every directory hash-indexed (e2fsck -D), for -s.
if [ ! -f meta-htree.img ]; then
	cp --sparse=always meta.img meta-htree.img.tmp
	e2fsck -fyD meta-htree.img.tmp >/dev/null 2>&1 || true
	mv meta-htree.img.tmp meta-htree.img
fi
if [ ! -f data.img ]; then
	rm -rf tree && mkdir tree
	data_tree tree/keep 1100 8388608
	data_tree tree/gone 220 8388608
	mke2fs -q -F -t ext4 -d tree data.img.tmp 8G
	rm -rf tree
	# Free about 1 GiB: its blocks keep their old content.
	for i in $(seq 0 219); do
		echo "rm /gone/f$i.bin"; echo "rm /gone/f$i.b64"; echo "rm /gone/f$i.log"
	done | debugfs -w -f - data.img.tmp >/dev/null 2>&1
	debugfs -w -R "rmdir /gone" data.img.tmp >/dev/null 2>&1
	e2fsck -fy data.img.tmp >/dev/null 2>&1 || true
	mv data.img.tmp data.img
fi
# The next night: 1% of data.img's files (every 100th: 11 files, about
# 50 MiB) rewritten with other bytes of the same size.
if [ ! -f data-night2.img ]; then
	cp --sparse=always data.img data-night2.img.tmp
	for i in $(seq 0 100 1099); do
		case $((i % 3)) in 0) f=f$i.bin ;; 1) f=f$i.b64 ;; 2) f=f$i.log ;; esac
		size=$(((8388608 / 8) * (1 + (i * 37) % 8)))
		# The pattern shifted by 4 KiB: other bytes at every offset.
		./mkpattern -s pattern.tmp $((size + 4096))
		tail -c "$size" pattern.tmp >"new-$f"
		echo "rm /keep/$f"
		echo "write new-$f /keep/$f"
	done >night2.cmds
	debugfs -w -f night2.cmds data-night2.img.tmp >/dev/null 2>&1
	rm -f new-f* night2.cmds pattern.tmp
	e2fsck -fn data-night2.img.tmp >/dev/null 2>&1 ||
		{ echo "make-fixtures.sh: data-night2.img is damaged"; exit 1; }
	mv data-night2.img.tmp data-night2.img
fi
if [ ! -f sparse16t.img ]; then
	truncate -s $((16 * 2**40 - 2**20)) sparse16t.img.tmp
	mke2fs -q -F -t ext4 -E lazy_itable_init=1,lazy_journal_init=1 sparse16t.img.tmp
	mv sparse16t.img.tmp sparse16t.img
fi
if [ ! -f ext2-1k.img ]; then
	rm -rf tree && mkdir tree
	small_tree tree/small 100 200
	data_tree tree/data 75 8388608
	mke2fs -q -F -t ext2 -b 1024 -d tree ext2-1k.img.tmp 1G
	rm -rf tree
	mv ext2-1k.img.tmp ext2-1k.img
fi
