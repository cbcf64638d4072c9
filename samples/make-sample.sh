#!/bin/bash
# Rebuilds sample-ext4.img.gz, the small filesystem the README's quick
# start captures: an ext4 with directories, files, symlinks, a hash-tree
# directory and an extended attribute.  Deterministic: fixed UUID, hash
# seed and time.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export E2FSPROGS_FAKE_TIME=1700000000 MKE2FS_CONFIG=../tests/integration/mke2fs.conf
mkdir -p "$tmp/tree/docs" "$tmp/tree/src" "$tmp/tree/many"
cp ../man/e2qcow.8.in "$tmp/tree/docs/e2qcow.8"
cp ../src/*.c "$tmp/tree/src/"
ln -s docs/e2qcow.8 "$tmp/tree/readme-link"
for i in $(seq 1 400); do echo "$i" >"$tmp/tree/many/file-with-a-longer-name-$i"; done
mke2fs -q -F -t ext4 -b 1024 -U 5a3c0e2d-8f4b-4c1a-9e7d-2b6f0a1c3d4e \
	-E hash_seed=1b2c3d4e-5f60-4718-92a3-b4c5d6e7f809 -L sample \
	-d "$tmp/tree" "$tmp/sample.img" 16M
e2fsck -fyD "$tmp/sample.img" >/dev/null 2>&1 || [ $? -le 1 ]
echo 'ea_set /docs/e2qcow.8 user.origin e2qcow-sample' >"$tmp/cmds"
debugfs -w -f "$tmp/cmds" "$tmp/sample.img" >/dev/null 2>&1
gzip -9n <"$tmp/sample.img" >sample-ext4.img.gz
