#!/bin/bash
# bench-scale.sh [WORKDIR]: metadata captures of the layouts real
# machines make, e2qcow against e2image -Q side by side in one run:
# filesystems made with Debian's stock /etc/mke2fs.conf and with the
# test suite's pinned one (tests/integration/mke2fs.conf): an empty
# 4 TiB and 16 TiB ext4, 100,000 small files in 400 directories (4 GiB,
# mke2fs -d), and, stock only, 256 TiB and 1 PiB (sparse files on a
# tmpfs, whose file size limit is not 16 TiB; e2image is not run there:
# its 4 KiB-cluster image would need an L1 table QEMU refuses).  Warm
# cache, neither tool syncing; median wall time of RUNS (default 5, with
# hyperfine, after a warm-up run; 3 beyond 16 TiB, where a run without a
# warm-up measures mostly how fast the machine hands out the gigabytes
# of new pages the mke2fs before it just gave back), peak memory, image size (apparent and allocated: e2qcow
# leaves pages of zeros as holes), and the ratio of e2image's median to
# e2qcow's.  Writes bench/results-Scale.md.  WORKDIR (default
# /dev/shm/e2qcow-scale) must be a tmpfs for the largest cases.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=${1:-/dev/shm/e2qcow-scale}
runs=${RUNS:-5}
out=$root/bench/results-Scale.md
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_setup bench-scale.sh python3 e2image mke2fs qemu-img hyperfine
mkdir -p "$work"
cd "$work"
trap 'rm -f "$work"/*.img "$work"/o.qcow2' EXIT
: >times.tsv

# fs NAME CONF SIZE [DIR]: a filesystem made with mke2fs.conf CONF.
fs() {
	rm -f "$1.img"
	truncate -s "$3" "$1.img"
	MKE2FS_CONFIG=$2 mke2fs -q -F -t ext4 -E lazy_itable_init=1,nodiscard \
		${4:+-d "$4"} "$1.img" 2>/dev/null
}

# time_it CASE TOOL N CMD...: the median of N runs (hyperfine, after a
# warm-up; one plain run when N is 1), then one more under /usr/bin/time
# for the peak memory and the image; a line: case, tool, runs, median
# seconds, peak KiB, image bytes, bytes allocated.
time_it() {
	local case=$1 tool=$2 n=$3 sec kib
	shift 3
	if [ "$n" -gt 1 ]; then
		hyperfine -N -w 1 -r "$n" --prepare "rm -f o.qcow2" \
			--export-json h.json "$*" >/dev/null
		sec=$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["results"][0]["median"])' h.json)
	fi
	rm -f o.qcow2
	sync
	/usr/bin/time -f "%e %M" -o t.txt "$@" >/dev/null 2>&1
	read -r one kib <t.txt
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$case" "$tool" "$n" "${sec:-$one}" \
		"$kib" "$(stat -c %s o.qcow2)" "$(($(stat -c %b o.qcow2) * 512))" >>times.tsv
}

# run CASE N [e2image]: both tools on CASE.img.
run() {
	time_it "$1" e2qcow "$2" "$E" capture -q --no-sync "$1.img" o.qcow2
	qemu-img check o.qcow2 >/dev/null || { echo "qemu-img check failed on $1"; exit 1; }
	[ "${3:-}" = no-e2image ] ||
		time_it "$1" "e2image -Q" "$2" e2image -Q "$1.img" o.qcow2
}

rm -rf small
mkdir small
python3 - small <<'PY'
import os, sys
for d in range(400):
    os.mkdir(f"{sys.argv[1]}/d{d}")
    for f in range(250):
        with open(f"{sys.argv[1]}/d{d}/f{f}", "wb") as fh:
            fh.write(os.urandom(100 + (d * f) % 3000))
PY
for conf in stock pinned; do
	c=/etc/mke2fs.conf
	[ $conf = stock ] || c=$root/tests/integration/mke2fs.conf
	fs "empty-4t-$conf" "$c" 4T
	run "empty-4t-$conf" "$runs"
	rm -f "empty-4t-$conf.img"
	fs "empty-16t-$conf" "$c" 16T
	run "empty-16t-$conf" "$runs"
	rm -f "empty-16t-$conf.img"
	fs "files-100k-$conf" "$c" 4G small
	run "files-100k-$conf" "$runs"
	rm -f "files-100k-$conf.img"
done
rm -rf small
for size in 256T 1P; do
	fs "empty-$size-stock" /etc/mke2fs.conf "$size"
	run "empty-$size-stock" 3 no-e2image
	rm -f "empty-$size-stock.img"
done

python3 - times.tsv "$(uname -r)" >"$out" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    case, tool, n, sec, kib, size, used = line.rstrip("\n").split("\t")
    rows.setdefault(case, {})[tool] = (
        int(n), float(sec), int(kib), int(size), int(used))
print("# Metadata captures at scale, stock and pinned mke2fs.conf\n")
print(f"Kernel {sys.argv[2]}, 2 cores; warm cache, neither tool syncing "
      "(e2qcow --no-sync); medians of the runs (hyperfine, after a warm-up); "
      "peak resident memory of one more run; image size as `ls` shows it and "
      "as allocated (e2qcow leaves pages of zeros as holes); ratio = "
      "e2image's median time / e2qcow's.  Fixtures: bench/bench-scale.sh.\n")
print("| filesystem | tool | runs | median [s] | peak memory [MB] | image [MB] | allocated [MB] | ratio |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for case, tools in rows.items():
    base = tools["e2qcow"][1]
    for tool, (n, m, kib, size, used) in tools.items():
        ratio = f"{m / base:.1f}x" if tool != "e2qcow" else ""
        print(f"| {case} | {tool} | {n} | {m:.3f} | {kib / 1024:.0f} | "
              f"{size / 1e6:.1f} | {used / 1e6:.1f} | {ratio} |")
PY
cat "$out"
