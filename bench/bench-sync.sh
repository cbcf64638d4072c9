#!/bin/bash
# bench-sync.sh [WORKDIR]: a synced metadata capture (the default) while
# another process writes to the same disk, against the same capture
# without it, and --no-sync, and e2image -Q (which does not sync), side
# by side in one run.  The fixture is an empty 4 TiB ext4 (Debian's
# stock mke2fs.conf) in a sparse file on WORKDIR's disk (default
# /var/tmp: not tmpfs, where there is nothing to wait for); the other
# writer streams 1 MiB blocks to a file beside it, never syncing, so the
# kernel's dirty data grows as it would under a backup or a build.
# Medians of RUNS (default 5) runs; writes bench/results-Sync.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=${1:-/var/tmp/e2qcow-bench-sync}
runs=${RUNS:-5}
out=$root/bench/results-Sync.md
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_setup bench-sync.sh e2image mke2fs python3 hyperfine dd
mkdir -p "$work"
cd "$work"
writer=
stop_writer() {
	[ -z "$writer" ] || kill "$writer" 2>/dev/null || true
	wait 2>/dev/null || true
	writer=
	rm -f other.bin
}
trap 'stop_writer; rm -f "$work"/*.img "$work"/o.qcow2 "$work"/e.qcow2' EXIT
truncate -s 4T empty.img
MKE2FS_CONFIG=/etc/mke2fs.conf mke2fs -q -F -t ext4 -E lazy_itable_init=1,nodiscard empty.img
: >times.tsv

# one LABEL CMD...: RUNS timed runs, one line per run in times.tsv.
one() {
	local label=$1
	shift
	hyperfine -N -w 1 -r "$runs" --prepare "rm -f o.qcow2 e.qcow2" \
		--export-json h.json "$*" >/dev/null
	python3 -c 'import json, sys
for t in json.load(open(sys.argv[1]))["results"][0]["times"]:
    print(f"{sys.argv[2]}\t{t}")' h.json "$label" >>times.tsv
	rm -f o.qcow2 e.qcow2
}

sync
one "e2qcow capture (synced), quiet disk" "$E" capture -q empty.img o.qcow2
one "e2qcow capture --no-sync, quiet disk" "$E" capture -q --no-sync empty.img o.qcow2
one "e2image -Q, quiet disk" e2image -Q empty.img e.qcow2
# The other writer: rewrites one 8 GiB file for ever.
( while :; do dd if=/dev/zero of=other.bin bs=1M count=8192 status=none; done ) &
writer=$!
sleep 3
one "e2qcow capture (synced), disk busy" "$E" capture -q empty.img o.qcow2
one "e2qcow capture --no-sync, disk busy" "$E" capture -q --no-sync empty.img o.qcow2
one "e2image -Q, disk busy" e2image -Q empty.img e.qcow2
stop_writer

python3 - times.tsv "$(uname -r)" >"$out" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    k, v = line.rstrip("\n").rsplit("\t", 1)
    rows.setdefault(k, []).append(float(v))
print("# Synced capture while another process writes\n")
print(f"Kernel {sys.argv[2]}, 2 cores.  Empty 4 TiB ext4 (stock mke2fs.conf) "
      "in a sparse file on disk; image on the same disk; \"disk busy\": "
      "another process streams 1 MiB writes to an 8 GiB file there, never "
      "syncing.  Wall time, median of the runs (hyperfine, after a "
      "warm-up).  Fixture: bench/bench-sync.sh.\n")
print("| command | median | runs |")
print("| --- | ---: | ---: |")
for k, v in rows.items():
    print(f"| {k} | {statistics.median(v):.3f} s | {len(v)} |")
PY
cat "$out"
