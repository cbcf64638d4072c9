#!/bin/bash
# bench.sh [WORKDIR]: e2qcow against e2image, qemu-img and a plain copy
# of the same blocks, side by side in one run, with hyperfine (warm page
# cache; medians and ratios) and /usr/bin/time (peak memory).  Writes
# bench/results.md.  Needs a release build (made here in build-rel), the
# fixtures of make-fixtures.sh (made once, ~30 GiB with the outputs) and
# hyperfine, python3, qemu-img, e2image, a C compiler and libext2fs.
# RUNS (default 10) and BIG_RUNS (default 5, the GiB-sized cases) set
# the repetitions.  ONLY=WORD runs only the tables whose title holds WORD
# (no memory table) into bench/results-WORD.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=${1:-/tmp/e2qcow-bench}
runs=${RUNS:-10}
big_runs=${BIG_RUNS:-5}
only=${ONLY:-}
out=$root/bench/results${only:+-$only}.md

# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_setup bench.sh hyperfine python3 qemu-img e2image cc
"$root/bench/make-fixtures.sh" "$work"
cd "$work"
cc -O2 -o blockcopy "$root/bench/blockcopy.c" -lext2fs -lcom_err

# bench RUNS TITLE CMD...: one table, every command run RUNS times after a
# warm-up, each run preceded by removing the outputs and a sync (so no
# dirty pages of the run before are flushed during this one).  Columns:
# median and fastest wall time, mean CPU (user + system), and the median
# as a ratio to the first command's (e2qcow's).
bench() {
	local n=$1 title=$2
	shift 2
	[ -z "$only" ] || [[ $title == *"$only"* ]] || return 0
	{ echo "## $title"; echo; } >>"$out"
	hyperfine -N -w 1 -r "$n" --prepare "sh -c 'rm -f o.*; sync'" \
		--export-json part.json "$@" >/dev/null
	python3 - part.json "$root/build-rel/src/" >>"$out" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
base = res[0]["median"]
print("| command | median [s] | min [s] | CPU [s] | median / e2qcow's |")
print("| --- | ---: | ---: | ---: | ---: |")
for r in res:
    cmd = r["command"].replace(sys.argv[2], "")
    cpu = r["user"] + r["system"]
    print(f"| `{cmd}` | {r['median']:.3f} | {min(r['times']):.3f} | {cpu:.2f} | {r['median'] / base:.2f} |")
PY
	echo >>"$out"
}

# measure CMD...: one more run under /usr/bin/time: a table row with the
# peak memory and the size of what it wrote (o.* files).
measure() {
	rm -f o.*
	sync
	/usr/bin/time -f "%M" -o mem.txt "$@" >/dev/null 2>&1 || true
	local size used
	size=$(stat -c %s o.* 2>/dev/null | head -1)
	used=$(du -B1 o.* 2>/dev/null | awk '{print $1; exit}')
	echo "| \`${*/$root\/build-rel\/src\//}\` | $(($(cat mem.txt) / 1024)) | ${size:-0} | ${used:-0} |" >>"$out"
}

{
	echo "# e2qcow benchmarks"
	echo
	echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r); e2fsprogs" \
		"$(dpkg-query -W -f='${Version}' e2fsprogs 2>/dev/null)," \
		"qemu-img $(qemu-img --version | head -1 | awk '{print $3}')," \
		"zstd $(dpkg-query -W -f='${Version}' libzstd1 2>/dev/null)." \
		"Fixtures: bench/make-fixtures.sh.  Warm page cache; hyperfine," \
		"$runs runs ($big_runs for the GiB-sized cases) after a warm-up," \
		"each after a sync; medians.  e2qcow syncs its image before it" \
		"returns, the others do not (\`--no-sync\` rows show e2qcow without)."
	echo
} >"$out"

# Images the restore and compression cases start from.
[ -n "$only" ] || "$E" capture -a --overwrite data.img data-e2qcow.qcow2
rm -f data-e2image.qcow2 meta-e2image.qcow2
[ -n "$only" ] || e2image -Qa data.img data-e2image.qcow2 2>/dev/null
[ -n "$only" ] || e2image -Q meta.img meta-e2image.qcow2 2>/dev/null

bench "$runs" "Metadata capture: 4 GiB ext4, 300,000 small files" \
	"$E capture meta.img o.qcow2" \
	"$E capture --no-sync meta.img o.qcow2" \
	"e2image -Q meta.img o.qcow2"
bench "$runs" "Scrubbed metadata capture: the same, directories hash-indexed" \
	"$E capture -s meta-htree.img o.qcow2" \
	"$E capture meta-htree.img o.qcow2" \
	"e2image -Q -s meta-htree.img o.qcow2"
bench "$runs" "Metadata capture: 16 TiB ext4, few files" \
	"$E capture sparse16t.img o.qcow2" \
	"e2image -Q sparse16t.img o.qcow2"
bench "$runs" "Metadata capture: 1 GiB ext2, 1 KiB blocks, 20,000 files" \
	"$E capture ext2-1k.img o.qcow2" \
	"e2image -Q ext2-1k.img o.qcow2"
bench "$big_runs" "All-data capture: 8 GiB ext4, 5 GiB of files, 1 GiB freed" \
	"$E capture -a data.img o.qcow2" \
	"$E capture -a --no-sync data.img o.qcow2" \
	"e2image -Qa data.img o.qcow2" \
	"qemu-img convert -O qcow2 data.img o.qcow2" \
	"qemu-img convert -W -m 8 -O qcow2 data.img o.qcow2" \
	"./blockcopy data.img o.raw"
# The second night, as an overlay of the first: by reading the base, by
# its digests, and a full capture for comparison (e2image and qemu-img
# have no incremental mode).
if [ -z "$only" ] || [[ "Incremental" == *"$only"* ]]; then
	"$E" capture -q -a --overwrite data.img data-base.qcow2
fi
bench "$big_runs" "Incremental all-data capture: the next night, 1% of the files rewritten" \
	"$E capture -a --base data-base.qcow2 data-night2.img o.qcow2" \
	"$E capture -a --trust-digests --base data-base.qcow2 data-night2.img o.qcow2" \
	"$E capture -a data-night2.img o.qcow2" \
	"e2image -Qa data-night2.img o.qcow2"
if [ -z "$only" ] || [[ "Incremental" == *"$only"* ]]; then
	{
		echo "| command | peak RSS [MiB] | output size [bytes] | allocated [bytes] |"
		echo "| --- | ---: | ---: | ---: |"
	} >>"$out"
	measure "$E" capture -a --base data-base.qcow2 data-night2.img o.qcow2
	measure "$E" capture -a --trust-digests --base data-base.qcow2 data-night2.img o.qcow2
	measure "$E" capture -a data-night2.img o.qcow2
	echo >>"$out"
fi
bench "$big_runs" "Restore of that capture to a new raw file" \
	"$E restore data-e2qcow.qcow2 o.raw" \
	"$E restore --no-sync data-e2qcow.qcow2 o.raw" \
	"qemu-img convert -W -m 8 -O raw data-e2qcow.qcow2 o.raw" \
	"qemu-img convert -O raw data-e2qcow.qcow2 o.raw" \
	"e2image -r data-e2image.qcow2 o.raw"
bench "$runs" "Compressed metadata capture (2 threads) vs compressing e2image's image" \
	"$E capture -z -t 2 meta.img o.qcow2" \
	"$E capture --compress=zlib -t 2 meta.img o.qcow2" \
	"$E capture --compress=zlib -t 1 meta.img o.qcow2" \
	"qemu-img convert -c -O qcow2 meta-e2image.qcow2 o.qcow2" \
	"qemu-img convert -c -o compression_type=zstd -O qcow2 meta-e2image.qcow2 o.qcow2"
# (qemu-img's zlib takes minutes here: left out.)
bench 3 "Compressed all-data capture (2 threads)" \
	"$E capture -a -z -t 2 data.img o.qcow2" \
	"$E capture -a -z -t 1 data.img o.qcow2" \
	"qemu-img convert -c -o compression_type=zstd -O qcow2 data.img o.qcow2"

if [ -n "$only" ]; then
	rm -f o.* part.json
	echo "wrote $out"
	exit 0
fi
{
	echo "## Peak memory and output size (one more run each)"
	echo
	echo "| command | peak RSS [MiB] | output size [bytes] | allocated [bytes] |"
	echo "| --- | ---: | ---: | ---: |"
} >>"$out"
measure "$E" capture meta.img o.qcow2
measure e2image -Q meta.img o.qcow2
measure "$E" capture -z meta.img o.qcow2
measure "$E" capture --compress=zlib meta.img o.qcow2
measure qemu-img convert -c -O qcow2 meta-e2image.qcow2 o.qcow2
measure "$E" capture sparse16t.img o.qcow2
measure "$E" capture -z sparse16t.img o.qcow2
measure e2image -Q sparse16t.img o.qcow2
measure "$E" capture ext2-1k.img o.qcow2
measure "$E" capture -z ext2-1k.img o.qcow2
measure e2image -Q ext2-1k.img o.qcow2
measure "$E" capture -a data.img o.qcow2
measure "$E" capture -a -z data.img o.qcow2
measure e2image -Qa data.img o.qcow2
measure qemu-img convert -O qcow2 data.img o.qcow2
measure qemu-img convert -c -o compression_type=zstd -O qcow2 data.img o.qcow2
measure "$E" restore data-e2qcow.qcow2 o.raw
measure qemu-img convert -W -m 8 -O raw data-e2qcow.qcow2 o.raw
rm -f o.* part.json mem.txt
echo "wrote $out"
