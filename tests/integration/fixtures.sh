# shellcheck shell=bash
# Deterministic ext fixtures, built at test time with mke2fs -d and
# debugfs -w.  make_fixture NAME IMAGE builds one; fixture_names lists
# them.  Needs lib.sh (TOOLS, T).

fixture_names() {
	echo ext2-1k ext2-2k ext2-4k ext3 ext4 ext4-1k ext4-64bit-metabg \
		ext4-noflex bigalloc inline-data ea-inode quota orphan-file \
		mmp sparse-super2 no-resize-inode casefold encrypt nocsum \
		htree deep-extent
}

UUID=6a0b1b3c-1d2e-4f50-8a6b-7c8d9e0f1a2b
SEED=0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0

# The tree every fixture starts from.  $2: the offset that needs a
# triple-indirect block at this block size.
populate_tree() {
	local d=$1 tind=$2
	mkdir -p "$d/dir1/sub/deeper" "$d/empty-dir" "$d/lost+found"
	echo "small file" >"$d/dir1/small"
	echo "deeper still" >"$d/dir1/sub/deeper/file"
	: >"$d/empty"
	ln "$d/dir1/small" "$d/dir1/hardlink"
	ln -s small "$d/dir1/fast-symlink"
	ln -s "$(printf 'long-target-%.0s' 1 2 3 4 5 6 7 8 9 10)" \
		"$d/dir1/slow-symlink"
	"$TOOLS/mkpattern" -s "$d/indirect" 300k
	"$TOOLS/mkpattern" "$d/sparse-tind" 4096 0 "$tind"
	"$TOOLS/mkpattern" -f "$d/fragmented" 4096 40
	for i in $(seq 1 30); do echo "file $i" >"$d/dir1/f$i"; done
}

mkfs() {
	local img=$1 size=$2
	shift 2
	mke2fs -q -F -U "$UUID" -E "hash_seed=$SEED" "$@" "$img" "$size"
}

debugfs_w() {
	local img=$1
	shift
	printf '%s\n' "$@" >"$T/debugfs.cmds"
	debugfs -w -f "$T/debugfs.cmds" "$img" >"$T/debugfs.log" 2>&1 ||
		fail "debugfs -w: $(cat "$T/debugfs.log")"
	if grep -q -i "error\|invalid\|not found\|usage" "$T/debugfs.log"; then
		fail "debugfs -w: $(cat "$T/debugfs.log")"
	fi
}

add_xattrs() {
	debugfs_w "$1" "ea_set /dir1/small user.comment hello" \
		"ea_set /dir1/sub trusted.note directory-xattr"
}

# Sets EXTRA_BLOCKS: blocks e2qcow rightly takes beyond e2image -Q's set
# (and the backups, which the caller counts).
make_fixture() {
	local name=$1 img=$2 tree=$T/tree-$1
	EXTRA_BLOCKS=0
	rm -rf "$tree"
	mkdir -p "$tree"
	case $name in
	ext2-1k)
		populate_tree "$tree" 70M
		mkfs "$img" 64M -t ext2 -b 1024 -d "$tree" ;;
	ext2-2k)
		populate_tree "$tree" 600M
		mkfs "$img" 64M -t ext2 -b 2048 -d "$tree" ;;
	ext2-4k)
		populate_tree "$tree" 4300M
		mkfs "$img" 64M -t ext2 -b 4096 -d "$tree" ;;
	ext3)
		populate_tree "$tree" 70M
		mkfs "$img" 64M -t ext3 -b 1024 -d "$tree" ;;
	ext4)
		populate_tree "$tree" 4300M
		mkfs "$img" 256M -t ext4 -d "$tree"
		add_xattrs "$img" ;;
	ext4-1k)
		populate_tree "$tree" 70M
		mkfs "$img" 128M -t ext4 -b 1024 -d "$tree"
		add_xattrs "$img" ;;
	ext4-64bit-metabg)
		populate_tree "$tree" 4300M
		mkfs "$img" 256M -t ext4 -b 1024 -O 64bit,meta_bg,^resize_inode -d "$tree" ;;
	ext4-noflex)
		populate_tree "$tree" 4300M
		mkfs "$img" 256M -t ext4 -b 1024 -O ^flex_bg -d "$tree" ;;
	bigalloc)
		populate_tree "$tree" 4300M
		mkfs "$img" 256M -t ext4 -O bigalloc -C 16384 -d "$tree" ;;
	inline-data)
		populate_tree "$tree" 70M
		mkdir -p "$tree/tiny-dir"
		echo x >"$tree/tiny-dir/a"
		mkfs "$img" 64M -t ext4 -b 1024 -O inline_data -d "$tree" ;;
	ea-inode)
		populate_tree "$tree" 70M
		mkfs "$img" 64M -t ext4 -b 1024 -O ea_inode -d "$tree"
		"$TOOLS/mkpattern" -s "$T/ea-value" 20000
		debugfs_w "$img" "ea_set -f $T/ea-value /dir1/small user.big" \
			"ea_set /dir1/small user.small tiny"
		# The value lives in an EA inode, which e2image leaves out.
		# shellcheck disable=SC2034 # read by the caller
		EXTRA_BLOCKS=$((20000 / 1024 + 2)) ;;
	quota)
		populate_tree "$tree" 70M
		mkfs "$img" 64M -t ext4 -b 1024 -O quota,project \
			-E "hash_seed=$SEED,quotatype=usrquota:grpquota:prjquota" -d "$tree" ;;
	orphan-file)
		populate_tree "$tree" 70M
		mkfs "$img" 64M -t ext4 -b 1024 -O orphan_file -d "$tree" ;;
	mmp)
		populate_tree "$tree" 70M
		mkfs "$img" 64M -t ext4 -b 1024 -O mmp -d "$tree" ;;
	sparse-super2)
		populate_tree "$tree" 70M
		mkfs "$img" 128M -t ext4 -b 1024 -O sparse_super2 -d "$tree" ;;
	no-resize-inode)
		populate_tree "$tree" 70M
		mkfs "$img" 64M -t ext4 -b 1024 -O ^resize_inode -d "$tree" ;;
	casefold)
		populate_tree "$tree" 70M
		mkfs "$img" 64M -t ext4 -b 1024 -O casefold -d "$tree"
		# A case-insensitive directory: casefold flag (and extents).
		echo hi >"$T/hi.txt"
		debugfs_w "$img" "mkdir /cf" \
			"set_inode_field /cf flags 0x40080000" "cd /cf" \
			"write $T/hi.txt Hello.TXT" "write $T/hi.txt other" ;;
	encrypt)
		populate_tree "$tree" 70M
		mkfs "$img" 64M -t ext4 -b 1024 -O encrypt -d "$tree" ;;
	nocsum)
		populate_tree "$tree" 70M
		mkfs "$img" 64M -t ext4 -b 1024 -O ^metadata_csum -d "$tree" ;;
	htree)
		populate_tree "$tree" 70M
		mkdir -p "$tree/big-dir"
		local long
		long=$(printf 'n%.0s' $(seq 1 230))
		for i in $(seq 1 1500); do : >"$tree/big-dir/$long.$i"; done
		mkfs "$img" 64M -t ext4 -b 1024 -d "$tree"
		# e2fsck -D indexes the large directory (two levels here).
		e2fsck -fyD "$img" >/dev/null 2>&1 || [ $? -le 1 ] ||
			fail "e2fsck -fyD on the htree fixture"
		debugfs -R "htree_dump /big-dir" "$img" 2>/dev/null |
			grep -q "Indirect levels: [1-9]" ||
			fail "htree fixture: directory index is not two levels deep" ;;
	deep-extent)
		populate_tree "$tree" 70M
		"$TOOLS/mkpattern" -f "$tree/many-extents" 1024 1200
		mkfs "$img" 64M -t ext4 -b 1024 -d "$tree"
		debugfs -R "ex /many-extents" "$img" 2>/dev/null |
			grep -q "^ 2/ 2" ||
			fail "deep-extent fixture: extent tree is not three levels" ;;
	*)
		fail "unknown fixture $name" ;;
	esac
}
