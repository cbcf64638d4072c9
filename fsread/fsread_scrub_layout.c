// SPDX-License-Identifier: MIT
/*
 * fsread_scrub_layout.c --- scrubbing the structures that hold no names
 * but free text or leftovers: superblock copies (label, last-mounted
 * path, mount options, error function names, the boot sector, the rest
 * of their block), group descriptor blocks past the last group, the MMP
 * block (node and device names) and extent tree nodes (slack after the
 * last entry, which old kernels left holding old bytes).  Checksums
 * that held are computed again.  Fields are read by offset,
 * little-endian.
 */
#include <stddef.h>
#include <string.h>

#include "fsread_scrub_int.h"

#define SB_FIELD(f) offsetof(struct ext2_super_block, f)
#define SB_SIZE(f) sizeof(((struct ext2_super_block *)0)->f)

/* Zero @len bytes at @p; true if any was not zero already. */
static bool zero(uint8_t *p, size_t len)
{
	bool changed = false;

	for (size_t i = 0; i < len; i++) {
		changed |= p[i] != 0;
		p[i] = 0;
	}
	return changed;
}

/* The superblock's free text, and what keeps each (0: nothing). */
static const struct {
	size_t off, len;
	unsigned keep;
} sb_text[] = {
	{ SB_FIELD(s_volume_name), SB_SIZE(s_volume_name),
	  FSREAD_SCRUB_KEEP_LABEL },
	{ SB_FIELD(s_last_mounted), SB_SIZE(s_last_mounted),
	  FSREAD_SCRUB_KEEP_MOUNT },
	{ SB_FIELD(s_mount_opts), SB_SIZE(s_mount_opts),
	  FSREAD_SCRUB_KEEP_MOUNT },
	{ SB_FIELD(s_first_error_func), SB_SIZE(s_first_error_func),
	  FSREAD_SCRUB_KEEP_ERRORS },
	{ SB_FIELD(s_last_error_func), SB_SIZE(s_last_error_func),
	  FSREAD_SCRUB_KEEP_ERRORS },
	{ SB_FIELD(s_reserved), SB_SIZE(s_reserved), 0 },
};

static uint32_t sb_csum(const uint8_t *sb)
{
	return ext2fs_crc32c_le(~0U, sb, SB_FIELD(s_checksum));
}

void fsread_scrub_super_block(struct fsread_scrub *s, uint8_t *buf,
			      size_t sb_at)
{
	unsigned bs = s->r->fs->blocksize;
	uint8_t *sb = buf + sb_at;
	unsigned keep = s->keep;
	bool csum_ok, changed = false;

	/* Before the superblock: the boot sector (primary only); after
	 * it: nothing the filesystem uses. */
	if (sb_at + SUPERBLOCK_SIZE > bs)
		return;
	if (!(keep & FSREAD_SCRUB_KEEP_BOOT) || sb_at != SUPERBLOCK_OFFSET)
		zero(buf, sb_at);
	zero(sb + SUPERBLOCK_SIZE, bs - sb_at - SUPERBLOCK_SIZE);
	/* No superblock here: nothing says what the bytes are (nor reads
	 * them: libext2fs stops at the magic). */
	if (fsread_le16(sb + FSREAD_SB_MAGIC) != FSREAD_SB_MAGIC_VALUE) {
		zero(sb, SUPERBLOCK_SIZE);
		return;
	}
	csum_ok = fsread_le32(sb + SB_FIELD(s_checksum)) == sb_csum(sb);
	for (size_t i = 0; i < sizeof(sb_text) / sizeof(sb_text[0]); i++)
		if (!(keep & sb_text[i].keep))
			changed |= zero(sb + sb_text[i].off, sb_text[i].len);
	s->rep.superblocks++;
	if (changed && csum_ok) {
		fsread_put_le32(sb + SB_FIELD(s_checksum), sb_csum(sb));
		s->rep.csums++;
	}
}

void fsread_scrub_desc_block(struct fsread_scrub *s, uint64_t index,
			     uint8_t *buf)
{
	ext2_filsys fs = s->r->fs;
	unsigned bs = fs->blocksize, dsz = EXT2_DESC_SIZE(fs->super);
	uint64_t per = bs / dsz, first = index * per;

	/* Descriptors of groups that do not exist are no structure. */
	if (first >= fs->group_desc_count)
		zero(buf, bs);
	else if (fs->group_desc_count - first < per)
		zero(buf + (fs->group_desc_count - first) * dsz,
		     (size_t)(bs - (fs->group_desc_count - first) * dsz));
}

void fsread_scrub_mmp_block(struct fsread_scrub *s, uint8_t *buf)
{
	ext2_filsys fs = s->r->fs;
	size_t csum_at = offsetof(struct mmp_struct, mmp_checksum);
	bool csum_ok = fsread_le32(buf + csum_at) ==
		       ext2fs_crc32c_le(fs->csum_seed, buf, csum_at);
	bool changed = false;

	if (!(s->keep & FSREAD_SCRUB_KEEP_MMP)) {
		changed |= zero(buf + offsetof(struct mmp_struct, mmp_nodename),
				sizeof(((struct mmp_struct *)0)->mmp_nodename));
		changed |= zero(buf + offsetof(struct mmp_struct, mmp_bdevname),
				sizeof(((struct mmp_struct *)0)->mmp_bdevname));
	}
	changed |= zero(buf + offsetof(struct mmp_struct, mmp_pad1),
			csum_at - offsetof(struct mmp_struct, mmp_pad1));
	zero(buf + sizeof(struct mmp_struct),
	     fs->blocksize - sizeof(struct mmp_struct));
	if (changed && csum_ok && ext2fs_has_feature_metadata_csum(fs->super))
		fsread_put_le32(buf + csum_at,
				ext2fs_crc32c_le(fs->csum_seed, buf, csum_at));
}

/* Distinct byte values in @p[0..len), up to 4. */
static unsigned distinct(const uint8_t *p, size_t len)
{
	uint8_t seen[4];
	unsigned n = 0;

	for (size_t i = 0; i < len && n < 4; i++) {
		unsigned k = 0;

		while (k < n && seen[k] != p[i])
			k++;
		if (k == n)
			seen[n++] = p[i];
	}
	return n;
}

size_t fsread_scrub_text_runs(uint8_t *buf, size_t len)
{
	size_t zeroed = 0;

	for (size_t i = 0; i < len;) {
		size_t j = i;

		while (j < len && buf[j] > 0x20 && buf[j] < 0x7f)
			j++;
		/* A pattern of bits ("UUUU" is every other block in use)
		 * repeats a few values; text does not. */
		if (j - i >= SCRUB_TEXT_RUN && distinct(buf + i, j - i) >= 4) {
			memset(buf + i, 0, j - i);
			zeroed += j - i;
		}
		i = j + 1;
	}
	return zeroed;
}

bool fsread_scrub_could_be_text(const uint8_t *p)
{
	unsigned printable = 0;

	/* Two printable bytes at least, the others printable or NUL:
	 * "DEV\0" is, 101 (one 'e' and zeros) or 0xffff0000 is not. */
	for (unsigned i = 0; i < 4; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f)
			printable++;
		else if (p[i])
			return false;
	}
	return printable >= 2;
}

void fsread_scrub_block_numbers(struct fsread_scrub *s, uint8_t *buf,
				size_t len, uint64_t limit)
{
	ext2_filsys fs = s->r->fs;

	for (size_t i = 0; i + 4 <= len; i += 4) {
		uint32_t v = fsread_le32(buf + i);

		if (v && (v < fs->super->s_first_data_block || v >= limit) &&
		    fsread_scrub_could_be_text(buf + i))
			fsread_put_le32(buf + i, 0xffffffffU);
	}
}

bool fsread_scrub_extent_node(uint8_t *p, size_t len, size_t tail)
{
	struct fsread_ext_hdr h;
	size_t keep, room = (len - FSREAD_EXT_NODE_HDR) / FSREAD_EXT_ENTRY;
	bool changed;

	fsread_ext_hdr_decode(p, &h);
	/* The tree's generation: nothing reads it. */
	changed = zero(p + 8, 4);
	if (h.magic != FSREAD_EXT_MAGIC || h.max > room || h.entries > h.max)
		return zero(p + FSREAD_EXT_NODE_HDR,
			    len - FSREAD_EXT_NODE_HDR) |
		       changed;
	keep = FSREAD_EXT_NODE_HDR + (size_t)h.entries * FSREAD_EXT_ENTRY;
	/* Index entries end in two unused bytes. */
	for (size_t i = 0; h.depth && i < h.entries; i++)
		changed |= zero(
			p + FSREAD_EXT_NODE_HDR + i * FSREAD_EXT_ENTRY + 10, 2);
	tail = tail && FSREAD_EXT_NODE_HDR + (size_t)h.max * FSREAD_EXT_ENTRY +
					       tail <=
				       len
		       ? tail
		       : 0;
	changed |=
		zero(p + keep, FSREAD_EXT_NODE_HDR +
				       (size_t)h.max * FSREAD_EXT_ENTRY - keep);
	keep = FSREAD_EXT_NODE_HDR + (size_t)h.max * FSREAD_EXT_ENTRY + tail;
	return zero(p + keep, len - keep) | changed;
}

void fsread_scrub_extent_block(struct fsread_scrub *s, uint32_t ino,
			       uint64_t blk, uint8_t *buf)
{
	ext2_filsys fs = s->r->fs;
	struct ext3_extent_header *eh = (struct ext3_extent_header *)buf;
	bool csum = ext2fs_has_feature_metadata_csum(fs->super);
	bool csum_ok =
		csum && ino && ext2fs_extent_block_csum_verify(fs, ino, eh);

	(void)blk;
	/* Not an extent node after all: the block's other roles say. */
	if (s->shared && fsread_le16(buf) != FSREAD_EXT_MAGIC)
		return;
	if (fsread_scrub_extent_node(buf, fs->blocksize, csum ? 4 : 0) &&
	    csum_ok) {
		ext2fs_extent_block_csum_set(fs, ino, eh);
		s->rep.csums++;
	}
}
