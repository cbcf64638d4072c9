#!/bin/bash
# bench-restore.sh [WORKDIR] [SIZE]: restoring a metadata capture onto a
# used device, e2qcow against qemu-img convert -n, side by side in one
# run: a loop device over a sparse file of SIZE (default 128G) that is
# filled with old bytes where the image has none... cheaply: every run
# starts from a device whose first 1 GiB holds random bytes, the rest
# never written (a real disk holds old data everywhere; zeroing costs a
# request either way).  Also told the device is zero (--target-is-zero,
# both tools), and a restore from standard input against one from the
# file.  Medians of RUNS (default 5) runs, ratios to e2qcow's default.
# Root only (loop devices).  Writes bench/results-Restore.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=${1:-/var/tmp/e2qcow-bench-restore}
size=${2:-128G}
runs=${RUNS:-5}
out=$root/bench/results-Restore.md
for t in qemu-img mke2fs losetup python3; do
	command -v $t >/dev/null || { echo "bench-restore.sh: needs $t"; exit 1; }
done
cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release -DE2QCOW_TESTS=OFF >/dev/null
cmake --build build-rel -j"$(nproc)" >/dev/null
E=$root/build-rel/src/e2qcow
mkdir -p "$work"
cd "$work"
rm -f fs.img dev.img meta.qcow2
truncate -s "$size" fs.img
mke2fs -q -F -t ext4 -E lazy_itable_init=1 fs.img
"$E" capture -q fs.img meta.qcow2
truncate -s "$size" dev.img
dev=$(losetup -f --show dev.img)
trap 'losetup -d "$dev"; rm -f "$work"/fs.img "$work"/dev.img' EXIT

# one LABEL CMD...: RUNS timed runs, each on a device dirtied first.
one() {
	local label=$1
	shift
	for _ in $(seq "$runs"); do
		head -c 1G /dev/urandom | dd of="$dev" bs=4M conv=notrunc status=none
		sync
		/usr/bin/time -f "$label	%e" "$@" >/dev/null 2>>times.tsv
	done
}
: >times.tsv
one "e2qcow restore" "$E" restore --overwrite meta.qcow2 "$dev"
one "e2qcow restore --no-sync" "$E" restore --overwrite --no-sync meta.qcow2 "$dev"
one "e2qcow restore - (stdin)" sh -c "'$E' restore --overwrite - '$dev' <meta.qcow2"
one "qemu-img convert -n" qemu-img convert -n -O raw meta.qcow2 "$dev"
one "e2qcow restore --target-is-zero" "$E" restore --overwrite --target-is-zero meta.qcow2 "$dev"
one "qemu-img convert -n --target-is-zero" qemu-img convert -n --target-is-zero -O raw meta.qcow2 "$dev"
python3 - times.tsv "$size" "$(stat -c %s meta.qcow2)" >"$out" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    if "\t" in line:
        k, v = line.rstrip("\n").rsplit("\t", 1)
        rows.setdefault(k, []).append(float(v))
base = statistics.median(rows["e2qcow restore"])
print(f"# Restore onto a used {sys.argv[2]} loop device\n")
print(f"A metadata capture of an empty ext4 ({int(sys.argv[3]):,} bytes), "
      "onto a loop device whose first GiB was just filled with random bytes; "
      "wall time, median of the runs.\n")
print("| command | median [s] | runs | median / e2qcow restore's |")
print("| --- | ---: | ---: | ---: |")
for k, v in rows.items():
    m = statistics.median(v)
    print(f"| `{k}` | {m:.3f} | {len(v)} | {m / base:.2f} |")
PY
cat "$out"
