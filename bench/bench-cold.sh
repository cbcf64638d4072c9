#!/bin/bash
# bench-cold.sh [WORKDIR]: metadata capture from a cold page cache,
# side by side in one run: e2qcow capture, e2image -Q, and the limit,
# bench/sortedread.c reading exactly the blocks the capture takes in
# block order with the whole list queued first.  Each run starts after
# sync and drop_caches (root only; never in the tests).  The fixture is
# 100,000 small files in 400 directories (4 GiB ext4, Debian's stock
# mke2fs.conf) in a file on WORKDIR's disk (default /var/tmp: not tmpfs,
# whose pages are never cold).  Also the warm capture, for the CPU part.
# Medians of RUNS (default 5) runs; writes bench/results-Cold.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=${1:-/var/tmp/e2qcow-bench-cold}
runs=${RUNS:-5}
out=$root/bench/results-Cold.md
[ "$(id -u)" = 0 ] || { echo "bench-cold.sh: drop_caches needs root"; exit 1; }
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_setup bench-cold.sh e2image mke2fs python3 cc hyperfine fincore
mkdir -p "$work"
cd "$work"
cc -O2 -o sortedread "$root/bench/sortedread.c"
if [ ! -f small.img ]; then
	rm -rf tree
	python3 - <<'PY'
import os
for d in range(400):
    p = "tree/d%03d" % d
    os.makedirs(p, exist_ok=True)
    for f in range(250):
        with open("%s/f%03d" % (p, f), "wb") as fh:
            fh.write(os.urandom(1500 + (f * 37) % 3000))
PY
	truncate -s 4G small.img
	MKE2FS_CONFIG=/etc/mke2fs.conf mke2fs -q -F -t ext4 -d tree small.img
	rm -rf tree
fi
"$E" capture -n small.img - >blocks.txt

# one LABEL COLD CMD...: RUNS timed runs (hyperfine: /usr/bin/time
# counts in hundredths, too coarse here), each after sync and
# drop_caches when COLD is cold; one line per run in times.tsv.
one() {
	local label=$1 c=$2 prep="rm -f o.qcow2 e.qcow2" warmup=()
	shift 2
	if [ "$c" = cold ]; then
		prep="$prep; sync; echo 3 >/proc/sys/vm/drop_caches"
	else
		warmup=(-w 3)
	fi
	# -N runs --prepare without a shell too: give it one, or the
	# "; sync; echo 3 >..." are only arguments to rm.
	hyperfine -N -r "$runs" "${warmup[@]}" --prepare "sh -c '$prep'" \
		--export-json h.json "$*" >/dev/null
	python3 -c 'import json, sys
for t in json.load(open(sys.argv[1]))["results"][0]["times"]:
    print(f"{sys.argv[2]}\t{t}")' h.json "$label" >>times.tsv
	rm -f o.qcow2 e.qcow2
}
: >times.tsv
# The drop must work, or every "cold" row is warm.
sync
echo 3 >/proc/sys/vm/drop_caches
resident=$(fincore -nb -o RES small.img | tr -d ' ')
[ "$resident" -lt 1048576 ] ||
	{ echo "bench-cold.sh: small.img still cached ($resident bytes)"; exit 1; }
# Warm first: just after drop_caches the machine is slower for a while.
one "e2qcow capture --no-sync, warm" warm "$E" capture --no-sync small.img o.qcow2
one "sorted read of the captured blocks (limit)" cold sh -c "'./sortedread small.img 4096 <blocks.txt'"
one "e2qcow capture --no-sync" cold "$E" capture --no-sync small.img o.qcow2
one "e2image -Q" cold e2image -Q small.img e.qcow2
python3 - times.tsv "$(tail -1 blocks.txt)" >"$out" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    if "\t" in line:
        k, v = line.rstrip("\n").rsplit("\t", 1)
        try:
            rows.setdefault(k, []).append(float(v))
        except ValueError:
            pass
base = statistics.median(rows["sorted read of the captured blocks (limit)"])
print("# Metadata capture from a cold cache\n")
print("100,000 small files in 400 directories, 4 GiB ext4 (stock "
      "mke2fs.conf), on disk; caches dropped before each run but the first "
      "row's. The capture: " + sys.argv[2] + ". Wall time, median.\n")
print("| command | median | runs | / limit |")
print("| --- | ---: | ---: | ---: |")
for k, v in rows.items():
    m = statistics.median(v)
    print(f"| {k} | {m * 1000:.1f} ms | {len(v)} | {m / base:.2f} |")
PY
cat "$out"
