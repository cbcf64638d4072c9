// SPDX-License-Identifier: MIT
/*
 * fsread_groups.c --- per-group metadata: every superblock and group
 * descriptor copy (e2fsck falls back on them), reserved GDT blocks,
 * bitmaps and inode tables, and the MMP block.
 *
 * What e2image -Q takes, plus the backups.  Uninitialised groups keep
 * their bitmaps and unused inode-table tail out of the image, unless the
 * group's checksum is wrong, or the filesystem has no group checksums
 * at all: then e2fsck does not trust the flags and reads them, so they
 * are taken whole.
 */
#include "fsread_err.h"
#include "fsread_int.h"

static void map_super_and_descriptors(struct fsread *r, dgrp_t g)
{
	ext2_filsys fs = r->fs;
	blk64_t super = 0, old_desc = 0, new_desc = 0;
	blk_t used = 0;
	uint64_t old_desc_blocks;
	errcode_t err;

	err = ext2fs_super_and_bgd_loc2(fs, g, &super, &old_desc, &new_desc,
					&used);
	if (err) {
		fsread_warn(r, 0, err, "group %u: superblock backup location",
			    g);
		return;
	}
	/* Same rule libext2fs uses: descriptors plus reserved GDT blocks. */
	if (ext2fs_has_feature_meta_bg(fs->super))
		old_desc_blocks = fs->super->s_first_meta_bg;
	else
		old_desc_blocks =
			fs->desc_blocks + fs->super->s_reserved_gdt_blocks;
	/*
	 * The primary superblock is always at byte 1024: block 1 with 1 KiB
	 * blocks even where s_first_data_block is 0 (bigalloc), else block 0.
	 */
	if (super || g == 0)
		fsread_add(r, 0,
			   g == 0 ? SUPERBLOCK_OFFSET / fs->blocksize : super,
			   1, false, "superblock");
	if (old_desc) {
		uint64_t end = ext2fs_blocks_count(fs->super);

		/* A short last group may not hold all reserved GDT blocks. */
		if (old_desc < end && old_desc_blocks > end - old_desc)
			old_desc_blocks = end - old_desc;
		fsread_add(r, 0, old_desc, old_desc_blocks, false,
			   "group descriptors");
	}
	if (new_desc)
		fsread_add(r, 0, new_desc, 1, false, "group descriptors");
}

/* A group's structure at @blk (@count blocks), checked before use. */
static bool group_block_ok(struct fsread *r, dgrp_t g, uint64_t blk,
			   uint64_t count, const char *what)
{
	if (fsread_range_ok(r, blk, count))
		return true;
	fsread_warn(r, 0, FSREAD_ERR_BAD_GROUP_DESC,
		    "group %u: %s at block %llu is outside the filesystem; "
		    "skipped",
		    g, what, (unsigned long long)blk);
	return false;
}

static void map_group_tables(struct fsread *r, dgrp_t g)
{
	ext2_filsys fs = r->fs;
	/* The flags mean something only with group checksums (libext2fs
	 * and e2fsck ignore them without), and only where the checksum
	 * holds (else e2fsck distrusts them). */
	bool csum = ext2fs_has_group_desc_csum(fs);
	bool trusted = csum && ext2fs_group_desc_csum_verify(fs, g);
	bool inode_uninit =
		trusted && ext2fs_bg_flags_test(fs, g, EXT2_BG_INODE_UNINIT);
	bool block_uninit =
		trusted && ext2fs_bg_flags_test(fs, g, EXT2_BG_BLOCK_UNINIT);
	uint64_t blk;

	blk = ext2fs_block_bitmap_loc(fs, g);
	if (blk && !block_uninit &&
	    group_block_ok(r, g, blk, 1, "block bitmap"))
		fsread_add(r, 0, blk, 1, false, "block bitmap");
	blk = ext2fs_inode_bitmap_loc(fs, g);
	if (blk && !inode_uninit &&
	    group_block_ok(r, g, blk, 1, "inode bitmap"))
		fsread_add(r, 0, blk, 1, false, "inode bitmap");
	blk = ext2fs_inode_table_loc(fs, g);
	if (!blk)
		return;
	if (!group_block_ok(r, g, blk, fs->inode_blocks_per_group,
			    "inode table")) {
		/* The inode scan must not read it either. */
		ext2fs_inode_table_loc_set(fs, g, 0);
		return;
	}
	if (r->map_flags & FSREAD_MAP_WHOLE_ITABLES) {
		fsread_add(r, 0, blk, fs->inode_blocks_per_group, false,
			   "inode table");
	} else if (!inode_uninit) {
		uint64_t n = fs->inode_blocks_per_group;
		uint64_t unused_blocks =
			ext2fs_bg_itable_unused(fs, g) /
			(uint32_t)EXT2_INODES_PER_BLOCK(fs->super);

		if (trusted && unused_blocks <= n)
			n -= unused_blocks;
		fsread_add(r, 0, blk, n, false, "inode table");
	}
}

void fsread_map_groups(struct fsread *r)
{
	ext2_filsys fs = r->fs;
	struct ext2_super_block *sb = fs->super;

	for (dgrp_t g = 0; g < fs->group_desc_count && !r->fatal; g++) {
		map_super_and_descriptors(r, g);
		map_group_tables(r, g);
		if (r->opts.tick && (g & 1023) == 1023 &&
		    r->opts.tick(r->opts.cb_ctx, g, fs->group_desc_count))
			r->fatal = FSREAD_ERR_CANCELLED;
	}
	/* The primary descriptors as libext2fs located them (meta_bg too). */
	for (dgrp_t j = 0; j < fs->desc_blocks; j++)
		fsread_add(r, 0,
			   ext2fs_descriptor_block_loc2(
				   fs, sb->s_first_data_block, j),
			   1, false, "group descriptors");
	if (ext2fs_has_feature_mmp(sb) && sb->s_mmp_block)
		fsread_add(r, 0, sb->s_mmp_block, 1, false, "MMP block");
}
