#!/bin/bash
# t_scrub.sh: "capture -s" leaves no name, symlink target or user/trusted
# xattr of the source anywhere in the image (journal copies included),
# and e2fsck says of the scrubbed filesystem what it says of the source.
# e2image -r -s runs beside it on the same fixtures for comparison.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fixtures.sh"
need mke2fs debugfs e2fsck qemu-img
cd "$T" || exit 1

FIXTURES=${*:-ext4 ext2-1k ext3 ext4-64bit-metabg inline-data htree casefold encrypt nocsum ea-inode}
long=$(printf 'PRIVslowtarget_%.0s' 1 2 3 4 5)
printf 'PRIVcontent_kappa_0011\n' >payload

# Private names of our own, in every place a name can be.
add_private() {
	local img=$1
	debugfs_w "$img" "mkdir /PRIVdir_alpha_0001" \
		"write $T/payload /PRIVdir_alpha_0001/PRIVfile_beta_0002" \
		"symlink /PRIVdir_alpha_0001/PRIVlink_gamma_0003 /PRIVtarget_delta_0004" \
		"symlink /PRIVlink_slow_0005 /$long" \
		"ea_set /PRIVdir_alpha_0001/PRIVfile_beta_0002 user.PRIVxattr_zeta_0007 PRIVvalue_eta_0008" \
		"ea_set /PRIVdir_alpha_0001 trusted.PRIVxattr_theta_0009 PRIVvalue_iota_0010"
}

# A committed, unreplayed transaction holding a copy of a directory block,
# where the filesystem has a journal.
add_journal_copy() {
	local img=$1 bs blk
	dumpe2fs -h "$img" 2>/dev/null | grep -q has_journal || return 0
	bs=$(dumpe2fs -h "$img" 2>/dev/null | awk '/^Block size:/ {print $3}')
	blk=$(debugfs -R "blocks /PRIVdir_alpha_0001" "$img" 2>/dev/null | awk '{print $1}')
	[ -n "$blk" ] || return 0
	dd if="$img" of=dirblk bs="$bs" skip="$blk" count=1 status=none
	debugfs_w "$img" "jo -c" "jw -b $blk $T/dirblk" "jc"
	echo "  journal holds a copy of directory block $blk"
}

fsck_of() { run_named "$T/$1" e2fsck -fn | sed 1d; }

for fx in $FIXTURES; do
	echo "$fx:"
	make_fixture "$fx" src.img
	add_private src.img
	add_journal_copy src.img
	# Every name of the source tree, 6 characters or more (shorter ones
	# turn up in any random text), and our markers.
	{
		find "$T/tree-$fx" -mindepth 1 -printf '%f\n'
		find "$T/tree-$fx" -type l -printf '%l\n'
		printf '%s\n' PRIVdir_alpha PRIVfile_beta PRIVlink_gamma \
			PRIVtarget_delta PRIVlink_slow PRIVslowtarget \
			PRIVxattr_zeta PRIVvalue_eta PRIVxattr_theta PRIVvalue_iota
	} | awk 'length >= 6 && $0 != "lost+found"' | sort -u >names
	rm -f plain.qcow2 s.qcow2 s2.qcow2 plain.raw s.raw

	# The unscrubbed capture holds them: the search below can fail.
	"$E2QCOW" capture src.img plain.qcow2
	"$E2QCOW" restore plain.qcow2 plain.raw
	for m in PRIVdir_alpha PRIVtarget_delta PRIVxattr_zeta PRIVslowtarget; do
		grep -q -a -F "$m" plain.raw || fail "$fx: '$m' not in the plain capture"
	done

	"$E2QCOW" capture -s src.img s.qcow2 2>report
	cat report
	qemu_check s.qcow2
	"$E2QCOW" restore s.qcow2 s.raw
	if grep -a -o -F -f names s.raw | sort | uniq -c | head -5 | grep .; then
		fail "$fx: names left in the scrubbed image (above)"
	fi
	[ "$fx" != inline-data ] || ! grep -q -a PRIVcontent s.raw ||
		fail "$fx: inline file content left"
	# An xattr value kept in its own inode (ea_inode) is zeroed.
	if [ "$fx" = ea-inode ]; then
		ea=
		for i in $(seq 12 80); do
			if debugfs -R "stat <$i>" src.img 2>/dev/null |
				grep 'Flags: 0x.*2[0-9a-f]\{5\}$' >/dev/null; then
				ea=$i
				break
			fi
		done
		[ -n "$ea" ] || fail "no xattr inode found in the ea-inode fixture"
		nonzero() { debugfs -R "cat <$ea>" "$1" 2>/dev/null | tr -d '\0' | wc -c; }
		[ "$(nonzero plain.raw)" -gt 0 ] ||
			fail "the plain capture lost the xattr inode's value"
		[ "$(nonzero s.raw)" = 0 ] ||
			fail "xattr inode $ea's value left in the scrubbed image"
	fi
	diff <(fsck_of s.raw) <(fsck_of src.img) ||
		fail "$fx: e2fsck -fn differs on the scrubbed image"
	# The tree keeps its shape: same inodes, modes, sizes per directory.
	diff <(debugfs -R "ls -l /" s.raw 2>&1 | awk 'NR > 1 {print $1, $2, $6}') \
		<(debugfs -R "ls -l /" src.img 2>&1 | awk 'NR > 1 {print $1, $2, $6}') ||
		fail "$fx: root directory changed shape"
	# Replaying the journal gives the same filesystem state.
	cp s.raw s-replay.raw
	cp src.img src-replay.img
	diff <(e2fsck -fy s-replay.raw 2>&1 | sed 1d | sed 's/^s-replay.raw/X/') \
		<(e2fsck -fy src-replay.img 2>&1 | sed 1d | sed 's/^src-replay.img/X/') ||
		fail "$fx: e2fsck -fy (journal replay) differs"
	# Deterministic: the same source scrubs to the same image.
	"$E2QCOW" capture -q -s src.img s2.qcow2
	cmp s.qcow2 s2.qcow2 || fail "$fx: two scrubbed captures differ"

	# e2image -r -s on the same source, for comparison.
	rm -f theirs.raw
	if e2image -r -s src.img theirs.raw 2>/dev/null; then
		echo "  e2image -r -s: $(grep -a -o -F -f names theirs.raw | sort -u | wc -l)" \
			"of $(wc -l <names) names left;" \
			"e2fsck -fn: $(e2fsck -fn theirs.raw 2>&1 | grep -c -i 'checksum\|corrupt\|invalid\|bad') lines about checksums/corruption"
	fi
done

# -a -s: file contents stay (a backup without names), names still go.
make_fixture ext4 src.img
add_private src.img
rm -f as.qcow2 as.raw
"$E2QCOW" capture -q -a -s src.img as.qcow2
"$E2QCOW" restore as.qcow2 as.raw
grep -q -a PRIVcontent_kappa as.raw || fail "-a -s: file content was dropped"
! grep -q -a -F PRIVdir_alpha as.raw || fail "-a -s: a name was left"
echo "-a -s: contents kept, names replaced"

# The record in the image says it was scrubbed, and not where it was from.
"$E2QCOW" info s.qcow2 >info
grep -q "scrubbed" info || fail "info does not say the image is scrubbed"
! grep -q "src.img" info || fail "info names the source of a scrubbed image"
echo ok
