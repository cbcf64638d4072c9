#!/bin/bash
# stdin-mutations.sh [COUNT] [FIRST]: hostile images through a restore
# from standard input.  COUNT (default 300) seeds from FIRST (default 1):
# an image (e2qcow's plain, compressed, deduplicated and streamed
# captures, and QEMU's) with up to 20 bytes changed, mostly in its first
# 2 MiB (header, L1 and early L2 tables), a fifth of them cut short,
# restored from the file and from a pipe.  Neither may crash or hang (run
# it with a sanitizer build: E2QCOW=.../e2qcow); where both succeed their
# bytes must be the same.  Prints the counts; exits 1 on any finding.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
count=${1:-300}
first=${2:-1}
if [ -z "${E2QCOW:-}" ]; then
	bench_setup stdin-mutations.sh mke2fs qemu-img python3
	E2QCOW=$E
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
mkdir d
for i in $(seq 20); do head -c $((i * 37000)) /dev/urandom >"d/f$i"; cp "d/f$i" "d/g$i"; done
mke2fs -q -F -t ext4 -d d fs.img 256M >/dev/null 2>&1
"$E2QCOW" capture -q fs.img plain.qcow2
"$E2QCOW" capture -q -z fs.img z.qcow2
"$E2QCOW" capture -q -a --dedup fs.img dedup.qcow2
"$E2QCOW" capture -q -a fs.img - >stream.qcow2
qemu-img convert -O qcow2 fs.img qemu.qcow2
imgs=(plain z dedup stream qemu)
found=0 same=0 both_fail=0
for seed in $(seq "$first" $((first + count - 1))); do
	img=${imgs[$((seed % ${#imgs[@]}))]}
	python3 - "$img.qcow2" in.qcow2 "$seed" <<'PY'
import random, sys
b = bytearray(open(sys.argv[1], "rb").read())
r = random.Random(int(sys.argv[3]))
for _ in range(r.randint(1, 20)):
    lim = min(len(b), 2 << 20) if r.random() < 0.8 else len(b)
    b[r.randrange(lim)] = r.randrange(256)
if r.random() < 0.2:
    b = b[:r.randrange(len(b))]
open(sys.argv[2], "wb").write(b)
PY
	rm -f a.raw b.raw
	ra=0 rb=0
	timeout 60 "$E2QCOW" restore in.qcow2 a.raw >/dev/null 2>&1 || ra=$?
	timeout 60 "$E2QCOW" restore - b.raw <in.qcow2 >/dev/null 2>&1 || rb=$?
	for rc in $ra $rb; do
		if [ "$rc" -gt 1 ]; then echo "seed $seed ($img): exit $rc"; found=1; fi
	done
	if [ $ra = 0 ] && [ $rb = 0 ]; then
		if cmp -s a.raw b.raw; then same=$((same + 1)); else echo "seed $seed ($img): bytes differ"; found=1; fi
	elif [ $rb = 0 ]; then
		echo "seed $seed ($img): restored from the pipe only"
	elif [ $ra != 0 ]; then
		both_fail=$((both_fail + 1))
	fi
done
echo "stdin mutations: $count seeds, $same restored the same both ways, $both_fail refused both ways"
exit "$found"
