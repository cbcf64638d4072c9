#!/bin/bash
# bench.sh [WORKDIR]: e2qcow against e2image and qemu-img, side by side
# in one run, with hyperfine (warm page cache, medians and ratios).
# Writes bench/results.md.  Needs a release build in ../build-rel (made
# here if missing) and a few GiB free in WORKDIR.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=${1:-/tmp/e2qcow-bench}
runs=${RUNS:-10}
out=$root/bench/results.md
export E2FSPROGS_FAKE_TIME=1700000000 MKE2FS_CONFIG=$root/tests/integration/mke2fs.conf

for t in hyperfine python3 qemu-img e2image; do
	command -v $t >/dev/null || { echo "bench.sh: needs $t"; exit 1; }
done
cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release -DE2QCOW_TESTS=OFF >/dev/null
cmake --build build-rel -j"$(nproc)" >/dev/null
E2QCOW=$root/build-rel/src/e2qcow
mkdir -p "$work"
cd "$work"

# Fixtures, made once and kept between runs.
if [ ! -f meta.img ]; then
	# Metadata-heavy: many small files in many directories.
	rm -rf tree && mkdir tree
	for d in $(seq 1 200); do
		mkdir "tree/d$d"
		for f in $(seq 1 250); do echo "$d/$f" >"tree/d$d/file-$f"; done
	done
	mke2fs -q -F -t ext4 -d tree meta.img 2G
	rm -rf tree
fi
if [ ! -f sparse16t.img ]; then
	# 16 TiB (less 1 MiB, the host's file-size limit) with few files.
	truncate -s $((16 * 2**40 - 2**20)) sparse16t.img
	mke2fs -q -F -t ext4 -E lazy_itable_init=1,lazy_journal_init=1 sparse16t.img
fi
if [ ! -f data.qcow2 ]; then
	cc -O2 -o mkpattern "$root/tests/tools/mkpattern.c"
	./mkpattern -s data.raw 1536M
	truncate -s 3G data.raw
	qemu-img convert -f raw -O qcow2 data.raw data.qcow2
	qemu-img convert -f raw -O qcow2 -o compat=0.10 data.raw data-v2.qcow2
	rm -f data.raw
fi

# One table per case: medians (the machines are small and noisy), the
# fastest run, and each median as a ratio to e2qcow's (the first command).
bench() {
	local title=$1
	shift
	echo "## $title" >>"$out"
	echo >>"$out"
	hyperfine -N -w 1 -r "$runs" --export-json "$work/part.json" "$@" >/dev/null
	python3 - "$work/part.json" "$root/build-rel/src/" >>"$out" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
base = res[0]["median"]
print("| command | median [s] | min [s] | median / e2qcow's |")
print("| --- | ---: | ---: | ---: |")
for r in res:
    cmd = r["command"].replace(sys.argv[2], "")
    print(f"| `{cmd}` | {r['median']:.3f} | {min(r['times']):.3f} | {r['median'] / base:.2f} |")
PY
	echo >>"$out"
}

{
	echo "# e2qcow benchmarks"
	echo
	echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r); e2fsprogs" \
		"$(dpkg-query -W -f='${Version}' e2fsprogs 2>/dev/null)," \
		"qemu-img $(qemu-img --version | head -1 | awk '{print $3}')." \
		"Warm page cache; hyperfine, $runs runs each after a warm-up; medians."
	echo
} >"$out"

bench "Metadata capture, 2 GiB ext4 with 50,000 small files" \
	--prepare 'rm -f m1.qcow2 m2.qcow2' \
	"$E2QCOW capture meta.img m1.qcow2" \
	"e2image -Q meta.img m2.qcow2"
bench "Metadata capture, 16 TiB ext4 with few files" \
	--prepare 'rm -f s1.qcow2 s2.qcow2' \
	"$E2QCOW capture sparse16t.img s1.qcow2" \
	"e2image -Q sparse16t.img s2.qcow2"
# Each run starts with no dirty pages left over from the one before.
bench "Restore, qcow2 of 1.5 GiB data in a 3 GiB disk, not synced (qemu-img's default)" \
	--prepare 'sh -c "rm -f r.raw; sync"' \
	"$E2QCOW restore --no-sync data.qcow2 r.raw" \
	"qemu-img convert -W -m 8 -O raw data.qcow2 r.raw" \
	"e2image -r data-v2.qcow2 r.raw"
bench "Restore, the same, synced to disk before finishing (e2qcow's default)" \
	--prepare 'sh -c "rm -f r.raw; sync"' \
	"$E2QCOW restore data.qcow2 r.raw" \
	"qemu-img convert -t writeback -W -m 8 -O raw data.qcow2 r.raw"

# Sizes, from one more run of each capture.
"$E2QCOW" capture meta.img m1.qcow2
e2image -Q meta.img m2.qcow2 2>/dev/null
"$E2QCOW" capture sparse16t.img s1.qcow2 2>/dev/null
e2image -Q sparse16t.img s2.qcow2 2>/dev/null
{
	echo "## Sizes"
	echo
	echo "| image | e2qcow | e2image -Q |"
	echo "| --- | ---: | ---: |"
	echo "| 2 GiB ext4, 50,000 files | $(stat -c %s m1.qcow2) | $(stat -c %s m2.qcow2) |"
	echo "| 16 TiB ext4, few files | $(stat -c %s s1.qcow2) | $(stat -c %s s2.qcow2) |"
} >>"$out"
rm -f m1.qcow2 m2.qcow2 s1.qcow2 s2.qcow2 r.raw part.json
echo "wrote $out"
