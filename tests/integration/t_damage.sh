#!/bin/bash
# t_damage.sh [SEEDS...]: damage nobody has seen.  Nine named cases (the
# ones e2fsck reads past: group flags without checksums, a descriptor with
# a bad checksum claiming no used inodes, unknown features in a primary
# superblock that fails its checksum; inodes whose mode has no known file
# type, whose first block e2fsck probes; a misstated first data block; a
# primary whose own geometry says where its backup is; a slow symlink
# with i_blocks 0; a primary e2fsck cannot open, so that it probes for a
# backup blindly), then each seed damages a fixture
# its own way (tests/tools/damage.py: superblock, descriptors, inodes,
# extents, directories, bitmaps; half with checksums computed again so
# the damage looks valid).  For each:
#  - the capture may not crash, hang or trip a sanitizer; it writes an
#    image (exit 0 or 3) or refuses with a message and writes nothing;
#  - the oracle: every block e2fsck -fn and dumpe2fs read of the damaged
#    original (logged by tests/tools/logread.c) is one the capture stores,
#    or one that reads as zeros anyway; a miss names the blocks;
#  - e2fsck -fn says of the restored image what it says of the original.
# With no SEEDS, a fixed short set (ctest); bench/damage-campaign.sh runs
# long campaigns with fresh seeds.
. "$(dirname "$0")/lib.sh"
need mke2fs debugfs e2fsck dumpe2fs python3
cd "$T" || exit 1
DAMAGE=$TESTS_DIR/tools/damage.py
LOGREAD=$TOOLS/liblogread.so
[ -f "$LOGREAD" ] || skip "no $LOGREAD"
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || mapfile -t seeds < <(seq 1 36)

mkdir -p tree/dir/sub
for i in $(seq 1 40); do printf 'file %s\n' "$i" >"tree/dir/f$i"; done
head -c 300000 /dev/urandom >tree/big
ln -s dir/f1 tree/fast
ln -s "$(printf 'long/%.0s' $(seq 1 30))" tree/slow
mke2fs -q -F -t ext4 -b 4096 -g 2048 -O metadata_csum -d tree fx-ext4.img 32M
mke2fs -q -F -t ext2 -b 1024 -d tree fx-ext2.img 16M
mke2fs -q -F -t ext3 -b 1024 -d tree fx-ext3.img 16M
fixtures=(ext4 ext2 ext3)

fsck_of() { { timeout 30 e2fsck -fn "$1" 2>&1 || true; } | sed 1d | sed -E "s|$1|X|g; s/^[^ :]+: ([0-9]+\/)/X: \1/"; }

same=0 differ=() oracle_misses=() refused=0 unsteady=0

# check LABEL FIXTURE: the checks above, on src.img (FIXTURE damaged, as
# damage.txt says).
check() {
	local label=$1 fx=$2 rc=0 bs missed
	rm -f cap.qcow2 cap.raw
	timeout 60 "$E2QCOW" capture -q src.img cap.qcow2 2>err || rc=$?
	case $rc in
	0 | 3) qemu_check cap.qcow2 ;;
	1)
		grep -q "^e2qcow: " err || fail "$label ($fx): exit 1, no message"
		[ ! -e cap.qcow2 ] || fail "$label: refused but wrote an image"
		refused=$((refused + 1))
		# Refused, where e2fsck goes on (from a backup): a miss.
		if fsck_of src.img | grep -q "^Pass 1"; then
			differ+=("$label($fx)")
			echo "$label ($fx): refused ($(head -1 err)), but e2fsck checks it"
		fi
		return 0
		;;
	*) fail "$label ($fx): capture exit $rc: $(cat err) after: $(cat damage.txt)" ;;
	esac
	# The oracle: what e2fsck and dumpe2fs read must have been stored.
	bs=$(dumpe2fs -h "fx-$fx.img" 2>/dev/null | awk '/^Block size:/ {print $3}')
	rm -f reads
	LD_PRELOAD=$LOGREAD LOGREAD_PATH=src.img LOGREAD_OUT=reads \
		timeout 30 e2fsck -fn src.img >/dev/null 2>&1 || true
	LD_PRELOAD=$LOGREAD LOGREAD_PATH=src.img LOGREAD_OUT=reads \
		timeout 30 dumpe2fs src.img >/dev/null 2>&1 || true
	"$E2QCOW" capture -n -q src.img never.qcow2 >map 2>/dev/null || true
	missed=$(python3 "$TESTS_DIR/tools/read_oracle.py" reads map src.img "$bs")
	[ -z "$missed" ] || oracle_misses+=("$label($fx):$missed")
	# e2fsck on the restored image.
	"$E2QCOW" restore cap.qcow2 cap.raw >/dev/null
	fsck_of src.img >f.src
	fsck_of src.img >f.again
	if ! cmp -s f.src f.again; then
		unsteady=$((unsteady + 1))
	elif fsck_of cap.raw | cmp -s - f.src; then
		same=$((same + 1))
	else
		differ+=("$label($fx)")
		echo "$label ($fx), e2fsck differs after: $(tr '\n' ';' <damage.txt)"
		diff f.src <(fsck_of cap.raw) | head -6
	fi
}

# named LABEL FIXTURE DESCRIPTION CMD...: damage a copy of FIXTURE by
# hand (CMD, run on src.img), then check it.
named=0
named() {
	local label=$1 fx=$2
	cp "fx-$fx.img" src.img
	echo "$3" >damage.txt
	shift 3
	"$@" >/dev/null 2>&1
	named=$((named + 1))
	check "$label" "$fx"
}
poke() { python3 "$TESTS_DIR/tools/poke.py" src.img u32 "$@"; }

# The damage the issue named.
named uninit-nocsum ext2 "uninit flags without group checksums" \
	debugfs -w -R "set_bg 0 flags 3" src.img
ipg=$(dumpe2fs -h fx-ext4.img 2>/dev/null | awk '/^Inodes per group:/ {print $4}')
printf '%s\n' "set_bg 0 itable_unused $ipg" "set_bg 0 flags 1" \
	"set_bg 0 checksum 0x1234" >cmds
named bad-desc-unused ext4 \
	"a descriptor with a bad checksum claiming no used inodes" \
	debugfs -w -f cmds src.img
# (A layout with a backup where e2fsck looks for one: group 1 at 32768.)
mke2fs -q -F -t ext4 -b 4096 -O metadata_csum -d tree fx-ext4big.img 160M
named unknown-feature-bad-csum ext4big \
	"unknown incompat bits, and a bad checksum, in the primary superblock" \
	poke $((1024 + 96)) 0x800002c2
# Modes of no known file type: e2fsck reads the first block to see if it
# is really a directory (extent-mapped, and a block map).
named mode-no-type-extents ext4 \
	"lost+found's mode 0177777 (no such file type), extent-mapped" \
	debugfs -w -R "sif <11> mode 0177777" src.img
named mode-no-type-blockmap ext2 \
	"a directory's mode 0710 (no file type at all), block-mapped" \
	debugfs -w -R "sif /dir mode 0710" src.img
# The primary superblock is at byte 1024 whatever s_first_data_block says.
named first-data-block ext3 "superblock first_data_block = 51 (1 KiB blocks)" \
	poke $((1024 + 20)) 51
# A primary e2fsck loads despite its errors: its blocks per group (2048,
# not mke2fs's default) say where group 1's backup is.
named desc-size-backup-by-bpg ext4 \
	"superblock desc_size = 7 (checksum computed again)" \
	debugfs -w -R "ssv desc_size 7" src.img
# A slow symlink with i_blocks 0: e2fsck goes by the size, reads it.
named slow-symlink-no-blocks ext4 "the slow symlink's i_blocks = 0" \
	debugfs -w -R "sif /slow blocks 0" src.img
# A primary e2fsck cannot open (every compat bit set, checksum stale):
# it probes blindly for a backup, 1 KiB at 8 MiB + 1 KiB, 32 MiB, ...
named blind-backup-probe ext4 \
	"superblock s_feature_compat = 0xffffffff, checksum not updated" \
	poke $((1024 + 92)) 0xffffffff

for seed in "${seeds[@]}"; do
	fx=${fixtures[$((seed % ${#fixtures[@]}))]}
	cp "fx-$fx.img" src.img
	python3 "$DAMAGE" src.img "$seed" >damage.txt 2>&1 ||
		fail "seed $seed: damage.py failed: $(cat damage.txt)"
	check "seed $seed" "$fx"
done
echo "damage: ${#seeds[@]} seeds and $named named cases, $same same," \
	"${#differ[@]} differ (${differ[*]}), $refused refused, $unsteady where e2fsck varies"
echo "oracle misses: ${#oracle_misses[@]} ${oracle_misses[*]}"
[ ${#oracle_misses[@]} = 0 ] || fail "blocks e2fsck or dumpe2fs read were not captured"
[ ${#differ[@]} = 0 ] || fail "e2fsck differs on ${#differ[@]} restored images"
echo ok
