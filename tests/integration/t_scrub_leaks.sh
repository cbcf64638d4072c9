#!/bin/bash
# t_scrub_leaks.sh: an adversary's view of "capture -s".  A unique token
# goes into every place ext2/3/4 metadata can carry a name or a file's
# bytes, the way kernels and e2fsprogs leave them (deleted entries, old
# index slack, bytes past a symlink's NUL, unused inodes, odd xattr
# namespaces, damaged xattr headers, journal slack and old transactions,
# reserved inodes pointing at data, the superblock's free text, the boot
# sector...).  The scrubbed image, restored, must hold none of them, and
# e2fsck -fn must say of it what it says of the source.  The unscrubbed
# capture must hold the tokens the walk captures, so the search can fail.
. "$(dirname "$0")/lib.sh"
need mke2fs debugfs e2fsck tune2fs python3
cd "$T" || exit 1
POKE=$TESTS_DIR/tools/poke.py
tokens=()

# tok NAME: a new token (printable, 12 bytes) in $K, remembered for the
# search.  (Not through $(...): the subshell would forget it.)
tok() {
	K=$(printf 'LK%02d%s' "${#tokens[@]}" "$1" | cut -c1-12)
	while [ ${#K} -lt 12 ]; do K=${K}x; done
	tokens+=("$K")
}

dfs() { debugfs -w -f - "$1" >/dev/null 2>&1; }
# One debugfs run per command: in one batch, xattr blocks after the first
# are not written (debugfs 1.47).
dfs_each() {
	local line
	while IFS= read -r line; do
		debugfs -w -R "$line" "$1" </dev/null >/dev/null 2>&1
	done
}
blk_of() { debugfs -R "bmap $2 ${3:-0}" "$1" 2>/dev/null; }
ino_of() { debugfs -R "stat $2" "$1" 2>/dev/null | awk '/^Inode:/ {print $2}'; }
poke() { python3 "$POKE" "$@"; }

# plant IMG BS: tokens everywhere, on a filesystem made by the caller.
plant() {
	local img=$1 bs=$2 d blk i p flags del cmds
	mkdir -p src
	# Names, and what deleting one leaves behind.
	tok data
	printf '%s\n' "$K" >src/payload
	tok dir
	d=$K
	cmds=src/cmds
	{
		echo "mkdir /$d"
		tok file
		echo "write src/payload /$d/$K"
		tok deleted
		echo "write src/payload /$d/$K"
		del=$K
		tok fast
		echo "symlink /$d/fast $K"
		tok slowA
		echo "symlink /$d/slow /$K$(printf 'P%.0s' $(seq 80))"
		# A target past i_size, and one in an inode no longer used.
		tok size0
		echo "symlink /$d/size0 $K"
		echo "sif /$d/size0 size 0"
		tok unused
		echo "symlink /$d/gone $K"
		echo "sif /$d/gone links_count 0"
		echo "unlink /$d/gone"
		# Xattrs in every namespace, in the inode and in a block.
		echo "write src/payload /$d/x"
		tok user; K1=$K; tok uval
		echo "ea_set /$d/x user.$K1 $K"
		tok gnu; K1=$K; tok gval
		echo "ea_set /$d/x gnu.$K1 $K"
		tok secname; K1=$K; tok secval
		echo "ea_set /$d/x security.$K1 $K"
		tok tval
		echo "ea_set /$d/x trusted.t $K"
		tok nons
		echo "ea_set /$d/x foo.$K v"
		echo "write src/payload /$d/blockea"
		tok bigval
		echo "ea_set /$d/blockea user.big $K$(printf 'V%.0s' $(seq 600))"
		echo "write src/payload /$d/badextra"
		tok badx; K1=$K; tok badxval
		echo "ea_set /$d/badextra user.$K1 $K"
		echo "sif /$d/badextra extra_isize 33"
		# The encryption flag on a filesystem without encryption.
		echo "mkdir /$d/enc"
		tok encname
		echo "write src/payload /$d/enc/$K"
		echo "write src/payload /$d/aclvictim"
	} >"$cmds"
	dfs_each "$img" <"$cmds"
	flags=$(debugfs -R "stat /$d/enc" "$img" 2>/dev/null |
		sed -n 's/.*Flags: \(0x[0-9a-f]*\).*/\1/p')
	echo "sif /$d/enc flags $((flags | 0x800))" | dfs "$img"
	# Bytes after a slow symlink's NUL.
	blk=$(blk_of "$img" "/$d/slow")
	tok slowtail
	poke "$img" write $((blk * bs + 200)) "$K"
	# An xattr block: h_blocks damaged, and a token in its free space.
	blk=$(debugfs -R "stat /$d/blockea" "$img" 2>/dev/null |
		awk '/File ACL:/ {print $6}')
	if [ -n "$blk" ] && [ "$blk" != 0 ]; then
		tok eagap
		poke "$img" eagap "$bs" "$blk" "$K"
		poke "$img" u32 $((blk * bs + 8)) 2
	fi
	# i_file_acl pointing at a file's data; reserved inodes at data.
	tok acldata
	printf '%s\n' "$K" >src/acldata
	tok bootldr
	printf '%s\n' "$K" >src/bootldr
	tok badblk
	printf '%s\n' "$K" >src/badblk
	tok jdata
	{ printf '%s\n' "$K"; head -c $((bs - 13)) /dev/zero; } >src/jdata
	{
		echo "write src/acldata /$d/acldata"
		echo "write src/bootldr /$d/bootldr"
		echo "write src/badblk /$d/badblk"
		echo "write src/jdata /$d/jdata"
		echo "rm /$d/$del"
	} | dfs "$img"
	{
		echo "sif /$d/aclvictim file_acl $(blk_of "$img" "/$d/acldata")"
		echo "sif <5> block[0] $(blk_of "$img" "/$d/bootldr")"
		echo "sif <5> size $bs"
		echo "sif <1> block[0] $(blk_of "$img" "/$d/badblk")"
		echo "sif <1> size $bs"
	} | dfs "$img"
	# A hash-indexed directory, with old bytes after its root's entries.
	mkdir -p src/h
	for i in $(seq 1 300); do : >"src/h/entry_$i"; done
	{
		echo "mkdir /h"
		for i in $(seq 1 300); do echo "write /dev/null /h/entry_${i}_$RANDOM"; done
		echo "expand_dir /h"
		echo "htree_dump /h"
	} | dfs "$img"
	e2fsck -fyD "$img" >/dev/null 2>&1 || true
	blk=$(blk_of "$img" /h)
	tok dxslack
	poke "$img" dxslack "$bs" "$blk" "$K"
	# The superblock's free text and the boot sector.
	tok label; K1=$K; tok mounted; K2=$K; tok mntopt
	tune2fs -L "$K1" -M "/$K2" -E mount_opts="$K" "$img" >/dev/null
	tok errfunc
	debugfs -w -R "ssv first_error_func $K" "$img" >/dev/null 2>&1
	tok boot
	poke "$img" write 100 "$K"
	tok sbres
	poke "$img" write $((1024 + 0x300)) "$K"
	poke "$img" sbcsum 1024
	# The journal: a transaction with a copy of a file's data (text, as
	# data=journal leaves it), then tokens in its slack and old blocks.
	if dumpe2fs -h "$img" 2>/dev/null | grep -q has_journal; then
		blk=$(blk_of "$img" "/$d/jdata")
		dfs "$img" <<-EOF
			jo
			jw -b $blk src/jdata
			jc
		EOF
		for i in 1 2 3 4 5 6 7 8; do

			p=$(debugfs -R "bmap <8> $i" "$img" 2>/dev/null)
			if poke "$img" jblock "$bs" "$p" 1; then
				tok jdesc
				poke "$img" write $((p * bs + bs - 64)) "$K"
			elif poke "$img" jblock "$bs" "$p" 2; then
				tok jcommit
				poke "$img" write $((p * bs + 200)) "$K"
			fi
		done
		p=$(debugfs -R "bmap <8> 0" "$img" 2>/dev/null)
		tok jsbtail
		poke "$img" write $((p * bs + 0x400 + 8)) "$K"
		p=$(debugfs -R "bmap <8> 900" "$img" 2>/dev/null)
		tok jold
		poke "$img" write $((p * bs + 16)) "$K"
	fi
}

fsck_of() { e2fsck -fn "$1" 2>&1 | sed 1d | sed -E 's/^[^:]*: ([0-9]+\/)/X: \1/'; }

check() {
	local fx=$1 left=0 present=0 t
	"$E2QCOW" capture -q src.img plain.qcow2
	"$E2QCOW" restore plain.qcow2 plain.raw
	"$E2QCOW" capture -s src.img s.qcow2 2>report || fail "$fx: capture -s failed"
	cat report
	qemu_check s.qcow2
	"$E2QCOW" restore s.qcow2 s.raw
	for t in "${tokens[@]}"; do
		if grep -qaF "$t" plain.raw; then present=$((present + 1)); else echo "  not captured: $t"; fi
		if grep -qaF "$t" s.raw; then
			echo "  left: $t"
			left=$((left + 1))
		fi
	done
	echo "  $fx: ${#tokens[@]} tokens planted, $present in the plain capture, $left in the scrubbed one"
	[ "$present" -ge $((${#tokens[@]} * 2 / 3)) ] ||
		fail "$fx: the plain capture holds too few tokens: planting failed"
	[ "$left" = 0 ] || fail "$fx: $left tokens left in the scrubbed image"
	diff <(fsck_of s.raw) <(fsck_of src.img) ||
		fail "$fx: e2fsck -fn differs on the scrubbed image"
	# A stream scrubs to the same disk as a file, and verifies.
	"$E2QCOW" capture -q -s src.img - >pipe.qcow2
	qemu-img compare -q pipe.qcow2 s.qcow2 || fail "$fx: -s to a pipe differs from -s to a file"
	"$E2QCOW" verify s.qcow2 src.img >/dev/null ||
		fail "$fx: verify of the scrubbed image against its source"
	rm -f plain.qcow2 plain.raw s.qcow2 s.raw pipe.qcow2
}

echo "ext4, 4 KiB blocks, metadata_csum:"
mke2fs -q -F -t ext4 -b 4096 -O metadata_csum,^resize_inode src.img 64M
plant src.img 4096
check ext4

echo "ext3, 1 KiB blocks, no checksums:"
tokens=()
mke2fs -q -F -t ext3 -b 1024 src.img 32M
plant src.img 1024
check ext3
