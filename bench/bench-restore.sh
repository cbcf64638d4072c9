#!/bin/bash
# bench-restore.sh [WORKDIR] [SIZE]: restoring a metadata capture onto a
# used device, e2qcow against qemu-img convert -n, side by side in one
# run: a loop device over a sparse file of SIZE (default 128G) that is
# filled with old bytes where the image has none... cheaply: every run
# starts from a device whose first 1 GiB holds random bytes, the rest
# never written (a real disk holds old data everywhere; zeroing costs a
# request either way).  Also told the device is zero (--target-is-zero,
# both tools), and a restore from standard input (a pipe) against one
# from the file.  Then a full (-a) capture of DATA (default 1G) of files,
# restored into a new file from the file and from a pipe, against
# qemu-img convert: time and peak memory (a pipe is read in one pass,
# through a window; nothing is spooled).  Medians of RUNS (default 5)
# runs, ratios to e2qcow's default.  Root only (loop devices).  Writes
# bench/results-Restore.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=${1:-/var/tmp/e2qcow-bench-restore}
size=${2:-128G}
data=${DATA:-1G}
runs=${RUNS:-5}
out=$root/bench/results-Restore.md
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_setup bench-restore.sh qemu-img mke2fs losetup python3
mkdir -p "$work"
cd "$work"
rm -f fs.img dev.img meta.qcow2
truncate -s "$size" fs.img
mke2fs -q -F -t ext4 -E lazy_itable_init=1 fs.img
"$E" capture -q fs.img meta.qcow2
truncate -s "$size" dev.img
dev=$(losetup -f --show dev.img)
trap 'losetup -d "$dev"; rm -rf "$work"/fs.img "$work"/dev.img "$work"/files "$work"/full.img "$work"/out.raw' EXIT

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
one "e2qcow restore - (stdin)" sh -c "cat meta.qcow2 | '$E' restore --overwrite - '$dev'"
one "qemu-img convert -n" qemu-img convert -n -O raw meta.qcow2 "$dev"
one "e2qcow restore --target-is-zero" "$E" restore --overwrite --target-is-zero meta.qcow2 "$dev"
one "qemu-img convert -n --target-is-zero" qemu-img convert -n --target-is-zero -O raw meta.qcow2 "$dev"

# The full capture: time and peak memory into a new file.
rm -rf files full.img full.qcow2 out.raw
mkdir files
for i in $(seq 8); do head -c "$(($(numfmt --from=iec "$data") / 8))" /dev/urandom >"files/f$i"; done
mke2fs -q -F -t ext4 -d files full.img "$(($(numfmt --from=iec "$data") * 5 / 4 / 1048576 + 64))M"
"$E" capture -q -a full.img full.qcow2
: >full.tsv
two() {
	local label=$1
	shift
	for _ in $(seq "$runs"); do
		rm -f out.raw
		sync
		/usr/bin/time -f "$label	%e	%M" "$@" >/dev/null 2>>full.tsv
	done
}
two "e2qcow restore FILE" "$E" restore --no-sync full.qcow2 out.raw
two "e2qcow restore - (pipe)" sh -c "cat full.qcow2 | '$E' restore --no-sync - out.raw"
two "qemu-img convert" qemu-img convert -O raw full.qcow2 out.raw
rm -rf files full.img out.raw

python3 - times.tsv "$size" "$(stat -c %s meta.qcow2)" full.tsv "$(stat -c %s full.qcow2)" >"$out" <<'PY'
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
full = {}
for line in open(sys.argv[4]):
    parts = line.rstrip("\n").split("\t")
    if len(parts) == 3:
        full.setdefault(parts[0], []).append((float(parts[1]), int(parts[2])))
base = statistics.median(t for t, _ in full["e2qcow restore FILE"])
print(f"\n# A full capture ({int(sys.argv[5]):,} bytes) into a new file\n")
print("From the image file, and from a pipe (`cat IMAGE |`); no sync; "
      "wall time and peak resident memory, medians of the runs.\n")
print("| command | median [s] | peak memory [MiB] | runs | median / from the file |")
print("| --- | ---: | ---: | ---: | ---: |")
for k, v in full.items():
    m = statistics.median(t for t, _ in v)
    mem = statistics.median(r for _, r in v) / 1024
    print(f"| `{k}` | {m:.3f} | {mem:.0f} | {len(v)} | {m / base:.2f} |")
PY
cat "$out"
