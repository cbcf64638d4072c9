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
# of new pages the mke2fs before it just gave back; the 100,000 files,
# tens of milliseconds a run, 3 rounds of 10 alternating between the
# tools), peak memory, image size (apparent and allocated: e2qcow leaves
# pages of zeros as holes), and the ratio of e2image's median to
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
trap 'rm -f "$work"/*.img "$work"/o.qcow2 "$work"/times-*.txt' EXIT
: >times.tsv

# fs NAME CONF SIZE [DIR]: a filesystem made with mke2fs.conf CONF.
fs() {
	rm -f "$1.img"
	truncate -s "$3" "$1.img"
	MKE2FS_CONFIG=$2 mke2fs -q -F -t ext4 -E lazy_itable_init=1,nodiscard \
		${4:+-d "$4"} "$1.img" 2>/dev/null
}

# time_it CASE TOOL N CMD...: N runs (hyperfine, after a warm-up; one
# plain run when N is 1); their times are added to CASE's for TOOL.
time_it() {
	local case=$1 tool=$2 n=$3
	shift 3
	if [ "$n" -gt 1 ]; then
		hyperfine -N -w 1 -r "$n" --prepare "rm -f o.qcow2" \
			--export-json h.json "$*" >/dev/null
		python3 -c 'import json, sys
print("\n".join(map(str, json.load(open(sys.argv[1]))["results"][0]["times"])))' \
			h.json >>"times-$case-${tool// /}.txt"
	else
		rm -f o.qcow2
		/usr/bin/time -f "%e" -o t.txt "$@" >/dev/null 2>&1
		cat t.txt >>"times-$case-${tool// /}.txt"
	fi
}

# finish_it CASE TOOL CMD...: one more run under /usr/bin/time for the
# peak memory and the image; a line: case, tool, runs, median seconds
# of all of TOOL's runs, peak KiB, image bytes, bytes allocated.
finish_it() {
	local case=$1 tool=$2 kib
	shift 2
	rm -f o.qcow2
	sync
	/usr/bin/time -f "%e %M" -o t.txt "$@" >/dev/null 2>&1
	read -r _ kib <t.txt
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$case" "$tool" \
		"$(wc -l <"times-$case-${tool// /}.txt")" \
		"$(sort -g "times-$case-${tool// /}.txt" | python3 -c 'import statistics, sys
print(statistics.median(float(x) for x in sys.stdin))')" \
		"$kib" "$(stat -c %s o.qcow2)" "$(($(stat -c %b o.qcow2) * 512))" >>times.tsv
}

# run CASE N ROUNDS [no-e2image]: both tools on CASE.img, N runs each a
# round, the rounds alternating between the tools (a machine whose
# memory or caches change speed over a minute slows both alike).
run() {
	local case=$1 n=$2 rounds=$3 r
	local ours=("$E" capture -q --no-sync "$case.img" o.qcow2)
	local theirs=(e2image -Q "$case.img" o.qcow2)
	rm -f "times-$case-"*.txt
	for ((r = 0; r < rounds; r++)); do
		time_it "$case" e2qcow "$n" "${ours[@]}"
		[ "${4:-}" = no-e2image ] ||
			time_it "$case" "e2image -Q" "$n" "${theirs[@]}"
	done
	finish_it "$case" e2qcow "${ours[@]}"
	qemu-img check o.qcow2 >/dev/null || { echo "qemu-img check failed on $case"; exit 1; }
	[ "${4:-}" = no-e2image ] || finish_it "$case" "e2image -Q" "${theirs[@]}"
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
	run "empty-4t-$conf" "$runs" 1
	rm -f "empty-4t-$conf.img"
	fs "empty-16t-$conf" "$c" 16T
	run "empty-16t-$conf" "$runs" 1
	rm -f "empty-16t-$conf.img"
	fs "files-100k-$conf" "$c" 4G small
	# Tens of milliseconds a run: 3 rounds of 10.
	run "files-100k-$conf" 10 3
	rm -f "files-100k-$conf.img"
done
rm -rf small
for size in 256T 1P; do
	fs "empty-$size-stock" /etc/mke2fs.conf "$size"
	run "empty-$size-stock" 3 1 no-e2image
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
      "(e2qcow --no-sync); medians of the runs (hyperfine, after a warm-up; "
      "the 100,000-file cases in 3 rounds of 10 alternating between the tools); "
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
