#!/bin/bash
# t_restore.sh: qcow2 images made by QEMU's own tools in every form the
# reader claims (versions, cluster sizes, refcount widths, extended L2,
# zero and compressed clusters, snapshots, dirty images, backing chains,
# external data files) restore to exactly what qemu-img convert -O raw
# makes of them, to a file and to a pipe; e2qcow check agrees with
# qemu-img check; encrypted, unknown-feature, version-1 and corrupt-flag
# images are refused without leaving anything behind.
. "$(dirname "$0")/lib.sh"
need qemu-img qemu-io sha256sum
cd "$T" || exit 1

count=0
# same IMAGE: e2qcow restore == qemu-img convert, check verdicts agree.
same() {
	local img=$1 want got rc_ours=0 rc_qemu=0
	rm -f ours.raw qemu.raw
	qemu-img convert -O raw "$img" qemu.raw
	"$E2QCOW" restore "$img" ours.raw || fail "$img: restore exited $?"
	want=$(sha256sum <qemu.raw)
	got=$(sha256sum <ours.raw)
	[ "$want" = "$got" ] || fail "$img: restored bytes differ from qemu-img's"
	[ "$(stat -c %s ours.raw)" = "$(stat -c %s qemu.raw)" ] ||
		fail "$img: size differs"
	got=$("$E2QCOW" restore "$img" - | sha256sum)
	[ "$want" = "$got" ] || fail "$img: restore to a pipe differs"
	qemu-img check "$img" >qcheck.out 2>&1 || rc_qemu=$?
	"$E2QCOW" check "$img" >check.out 2>&1 || rc_ours=$?
	[ "$rc_ours" = "$rc_qemu" ] ||
		fail "$img: e2qcow check exit $rc_ours, qemu-img check $rc_qemu: $(cat check.out)"
	# Its figures too: allocated, fragmented, compressed, image end (of
	# the image named; e2qcow goes on to its backing chain).
	[ "$rc_qemu" != 0 ] ||
		diff <(grep -E "allocated|end offset" qcheck.out) \
			<(sed '/^Backing file/q' check.out | grep -E "allocated|end offset") ||
		fail "$img: e2qcow check's figures differ from qemu-img check's"
	"$E2QCOW" info "$img" >/dev/null || fail "$img: info"
	"$E2QCOW" info --json "$img" >info.json || fail "$img: info --json"
	count=$((count + 1))
}

# Guest data: pattern, holes, zeros, and a tail that is not cluster-sized.
"$TOOLS/mkpattern" src.raw 4096 0 8k 1M 1028k 3M 5000k
truncate -s $((6 * 1024 * 1024 + 3 * 512)) src.raw

io() { qemu-io -f qcow2 "$@" >/dev/null; }

# Versions and cluster sizes.
for compat in 0.10 1.1; do
	for cs in 512 4k 64k 2M; do
		qemu-img convert -f raw -O qcow2 -o "compat=$compat,cluster_size=$cs" \
			src.raw "v$compat-$cs.qcow2"
		same "v$compat-$cs.qcow2"
	done
done

# Refcount widths.
for bits in 1 2 4 8 16 32 64; do
	qemu-img convert -f raw -O qcow2 -o "refcount_bits=$bits" src.raw "rc$bits.qcow2"
	same "rc$bits.qcow2"
done

# Zero clusters: unmapped and preallocated, in v3 and v2.
for compat in 0.10 1.1; do
	qemu-img convert -f raw -O qcow2 -o "compat=$compat,cluster_size=4k" src.raw "z$compat.qcow2"
	io -c "write -z 0 64k" -c "write -z -u 1M 8k" -c "write -P 0x5c 4000k 100k" \
		-c "discard 3M 4k" "z$compat.qcow2"
	same "z$compat.qcow2"
done
qemu-img create -q -f qcow2 -o preallocation=metadata prealloc.qcow2 4M
io -c "write -P 0x11 1M 4k" prealloc.qcow2
same prealloc.qcow2

# Extended L2 entries: subclusters allocated, zeroed, left to the backing.
for cs in 64k 2M; do
	qemu-img create -q -f qcow2 -o "extended_l2=on,cluster_size=$cs" "ext$cs.qcow2" 8M
	io -c "write -P 0xa1 0 3k" -c "write -P 0xa2 70k 5k" -c "write -z 200k 64k" \
		-c "write -P 0xa3 1M 2M" -c "write -z 1100k 6k" -c "discard 2500k 8k" \
		"ext$cs.qcow2"
	same "ext$cs.qcow2"
done

# Compressed clusters, zlib and zstd, small and large clusters.
for type in zlib zstd; do
	for cs in 4k 64k 2M; do
		qemu-img convert -c -f raw -O qcow2 \
			-o "compression_type=$type,cluster_size=$cs" src.raw "c-$type-$cs.qcow2"
		same "c-$type-$cs.qcow2"
	done
done
qemu-img create -q -f qcow2 -o extended_l2=on,compression_type=zstd cx.qcow2 4M
io -c "write -c -P 0x33 0 64k" -c "write -P 0x44 64k 3k" cx.qcow2
same cx.qcow2

# Internal snapshots: the active layer is what is restored.
qemu-img convert -f raw -O qcow2 src.raw snap.qcow2
qemu-img snapshot -c first snap.qcow2
io -c "write -P 0x77 0 128k" -c "write -z 1M 64k" snap.qcow2
qemu-img snapshot -c second snap.qcow2
io -c "write -P 0x78 64k 64k" snap.qcow2
same snap.qcow2
"$E2QCOW" info snap.qcow2 | grep -q "name 'second'" || fail "snapshot not listed"

# A dirty image: lazy refcounts and a crash (qemu-io abort).
qemu-img create -q -f qcow2 -o lazy_refcounts=on dirty.qcow2 4M
qemu-io -c "write -P 0x99 0 1M" -c "abort" dirty.qcow2 >/dev/null 2>&1 || true
"$E2QCOW" info --json dirty.qcow2 | grep -q '"dirty"' || fail "dirty flag not set"
same dirty.qcow2

# Backing chains: qcow2 and raw, relative names, larger and smaller
# overlays, three levels.
mkdir -p sub
qemu-img convert -f raw -O qcow2 src.raw sub/base.qcow2
qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 sub/mid.qcow2
io -c "write -P 0x21 64k 64k" -c "write -z 1M 4k" sub/mid.qcow2
qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 sub/top.qcow2 10M
io -c "write -P 0x22 128k 4k" -c "write -P 0x23 9M 4k" sub/top.qcow2
same sub/top.qcow2
(cd sub && qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 small.qcow2 2M)
same sub/small.qcow2
cp src.raw sub/base.raw
qemu-img create -q -f qcow2 -b base.raw -F raw sub/over-raw.qcow2
io -c "write -P 0x24 4k 4k" sub/over-raw.qcow2
same sub/over-raw.qcow2
# No backing format stored: probed, as QEMU does.
qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 sub/probe.qcow2
qemu-img rebase -u -b base.qcow2 sub/probe.qcow2 2>/dev/null || true
same sub/probe.qcow2

# External data files, raw and not.
qemu-img create -q -f qcow2 -o data_file=data1.bin ext-data.qcow2 4M
io -c "write -P 0x55 0 64k" -c "write -P 0x56 2M 4k" ext-data.qcow2
same ext-data.qcow2
qemu-img create -q -f qcow2 -o data_file=data2.bin,data_file_raw=on ext-raw.qcow2 4M
io -c "write -P 0x57 64k 64k" ext-raw.qcow2
same ext-raw.qcow2

# e2qcow's own images, and e2image's spelling.
mke2fs -q -F -t ext4 -b 1024 fs.img 16M
"$E2QCOW" capture fs.img own.qcow2
same own.qcow2
"$E2QCOW" -r own.qcow2 spelled.raw
cmp spelled.raw ours.raw || fail "e2qcow -r differs from restore"

# Refused: one line naming the file, no output left behind.
refuse() {
	local img=$1 pattern=$2 rc=0
	rm -f refused.raw
	"$E2QCOW" restore "$img" refused.raw 2>err || rc=$?
	[ "$rc" = 1 ] || fail "$img: exit $rc, expected 1"
	grep -q -- "$pattern" err || fail "$img: no '$pattern' in: $(cat err)"
	[ ! -e refused.raw ] || fail "$img: output left behind"
	[ -z "$(find . -maxdepth 1 -name '.*e2qcow-*')" ] || fail "$img: temporary file left"
}
patch_byte() { printf "\\x$(printf %02x "$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null; }
# Encrypted: a real LUKS image where this machine can make one (its key
# derivation needs CPU timing), and crypt_method 1 (AES) and 2 (LUKS) set
# by hand in any case.
if qemu-img create -q -f qcow2 --object secret,id=s0,data=pass \
	-o encrypt.format=luks,encrypt.key-secret=s0 enc.qcow2 1M 2>/dev/null; then
	refuse enc.qcow2 "encrypted"
fi
for method in 1 2; do
	cp own.qcow2 "enc$method.qcow2"
	patch_byte "enc$method.qcow2" 35 "$method"
	refuse "enc$method.qcow2" "encrypted"
done
cp own.qcow2 unknown.qcow2
patch_byte unknown.qcow2 79 32       # incompatible bit 5
refuse unknown.qcow2 "unknown incompatible feature"
cp own.qcow2 v1.qcow2
patch_byte v1.qcow2 7 1
refuse v1.qcow2 "version"
cp own.qcow2 corrupt.qcow2
patch_byte corrupt.qcow2 79 2        # incompatible bit 1: corrupt
refuse corrupt.qcow2 "corrupt"
"$E2QCOW" restore -f corrupt.qcow2 forced.raw || fail "-f on a corrupt-flagged image"
cmp forced.raw ours.raw || fail "-f restore differs"
echo "existing" >exists.raw
rc=0
"$E2QCOW" restore own.qcow2 exists.raw 2>err || rc=$?
[ "$rc" = 1 ] && grep -q -- --overwrite err || fail "existing target: exit $rc: $(cat err)"
[ "$(cat exists.raw)" = existing ] || fail "existing target changed"
rc=0
"$E2QCOW" restore own.qcow2 own.qcow2 2>err || rc=$?
[ "$rc" = 1 ] || fail "restore onto the image itself: exit $rc"

# -O: at an offset into a new file, and in place into an existing one.
"$E2QCOW" restore -O 1M own.qcow2 at-offset.raw
cmp <(tail -c +$((1024 * 1024 + 1)) at-offset.raw) ours.raw || fail "-O into a new file"
head -c $((20 * 1024 * 1024)) /dev/urandom >disk.img
"$E2QCOW" restore --overwrite -O 2M own.qcow2 disk.img
[ "$(stat -c %s disk.img)" = $((20 * 1024 * 1024)) ] || fail "-O in place changed the size"
cmp <(dd if=disk.img bs=1M skip=2 count=16 2>/dev/null) ours.raw || fail "-O in place"
# A block device (a loop device, where this machine lets us make one)
# full of old data: only --overwrite writes it, the result is the image,
# and a device too small is refused.
head -c $((16 * 1024 * 1024)) /dev/urandom >dev.img
if loop=$(losetup -f --show dev.img 2>/dev/null); then
	rc=0
	"$E2QCOW" restore own.qcow2 "$loop" 2>err || rc=$?
	[ "$rc" = 1 ] && grep -q -- --overwrite err || { losetup -d "$loop"; fail "device without --overwrite: exit $rc"; }
	for zeros in "" --write-zeros; do
		# shellcheck disable=SC2086 # an empty option is no option
		"$E2QCOW" restore --overwrite $zeros own.qcow2 "$loop" ||
			{ losetup -d "$loop"; fail "restore onto $loop $zeros"; }
		cmp "$loop" ours.raw || { losetup -d "$loop"; fail "device content $zeros"; }
	done
	losetup -d "$loop"
	truncate -s 8M dev.img
	loop=$(losetup -f --show dev.img)
	rc=0
	"$E2QCOW" restore --overwrite own.qcow2 "$loop" 2>err || rc=$?
	losetup -d "$loop"
	[ "$rc" = 1 ] && grep -q "holds" err || fail "too small a device: exit $rc: $(cat err)"
else
	echo "note: no loop device here; the block-device cases were not run"
fi

# A mounted filesystem is never written: not its device, not the file
# behind its loop device (in place or replaced), where this machine lets
# us mount one.
# (The kernel itself writes the superblock on mount: what must not change
# is the UUID, which a restore of another filesystem would replace.)
mke2fs -q -F -t ext4 -U 11111111-2222-3333-4444-555555555555 mounted.img 16M
mke2fs -q -F -t ext4 -U 99999999-8888-7777-6666-555555555555 other.img 16M
"$E2QCOW" capture other.img mounted.qcow2
uuid() { dumpe2fs -h "$1" 2>/dev/null | awk '/^Filesystem UUID/ {print $3}'; }
mkdir -p mnt
if mount -o loop mounted.img mnt 2>/dev/null; then
	loop=$(losetup -j mounted.img | cut -d: -f1)
	for args in "--overwrite mounted.qcow2 $loop" \
		"--overwrite mounted.qcow2 mounted.img" \
		"--overwrite -O 0 mounted.qcow2 mounted.img"; do
		rc=0
		# shellcheck disable=SC2086 # the words are the arguments
		"$E2QCOW" restore $args 2>err || rc=$?
		[ "$rc" = 1 ] && grep -q "mounted filesystem" err ||
			{ umount mnt; fail "restore $args onto a mounted fs: exit $rc: $(cat err)"; }
	done
	rc=0
	"$E2QCOW" capture -f -r --overwrite "$loop" "$loop" 2>err || rc=$?
	umount mnt
	[ "$rc" = 1 ] || fail "capture onto its mounted source: exit $rc: $(cat err)"
	[ "$(uuid mounted.img)" = 11111111-2222-3333-4444-555555555555 ] ||
		fail "a mounted filesystem was written"
else
	echo "note: cannot mount here; the mounted-target cases were not run"
fi
echo "$count images restored exactly as qemu-img converts them"
echo ok
