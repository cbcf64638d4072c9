#!/bin/bash
# The README's first command: install, build, and capture the embedded
# sample filesystem, then prove the image with QEMU's and e2fsprogs' tools.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DE2QCOW_TESTS=OFF >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
out=$(mktemp -d)
gzip -dc samples/sample-ext4.img.gz >"$out/sample.img"
set -x
build/src/e2qcow capture -p "$out/sample.img" "$out/sample.qcow2"
qemu-img check "$out/sample.qcow2"
qemu-img info "$out/sample.qcow2"
qemu-img convert -O raw "$out/sample.qcow2" "$out/restored.img"
e2fsck -fn "$out/restored.img"
{ set +x; } 2>/dev/null
echo "sample image: $out/sample.qcow2 ($(stat -c %s "$out/sample.qcow2") bytes" \
	"for a $(stat -c %s "$out/sample.img")-byte filesystem)"
