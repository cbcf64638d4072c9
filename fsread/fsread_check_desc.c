// SPDX-License-Identifier: MIT
/*
 * fsread_check_desc.c --- would ext2fs_check_desc() accept the group
 * descriptors?  Asked first without a bitmap.
 *
 * ext2fs_check_desc() marks every superblock and descriptor copy, then
 * every group's bitmaps and inode table block by block in a block bitmap,
 * failing when one is out of bounds or lands on a block marked already.
 * On a large filesystem that is millions of bitmap operations (60 % of a
 * metadata capture of an empty 4 TiB ext4).  The same blocks as runs
 * overlap somewhere exactly when their union is smaller than the sum of
 * their sizes; the bounds are the same tests.  Nothing wrong found: it
 * would succeed.  Anything that may be wrong: ask it.
 */
#include "extmap.h"
#include "fsread_int.h"

/* What ext2fs_reserve_super_and_bgd() marks for @g (or more). */
static errcode_t add_reserved(ext2_filsys fs, dgrp_t g, struct extmap *m)
{
	blk64_t super_blk, old_desc_blk, new_desc_blk, old_blocks;
	blk_t used;
	errcode_t err = 0;

	ext2fs_super_and_bgd_loc2(fs, g, &super_blk, &old_desc_blk,
				  &new_desc_blk, &used);
	old_blocks =
		ext2fs_has_feature_meta_bg(fs->super)
			? fs->super->s_first_meta_bg
			: fs->desc_blocks + fs->super->s_reserved_gdt_blocks;
	if (super_blk || !g)
		err = extmap_add(m, super_blk, 1);
	if (!err && !g) /* bigalloc with 1 KiB blocks: block 0 too */
		err = extmap_add(m, 0, 1);
	if (!err && old_desc_blk) {
		if (old_desc_blk + old_blocks >= ext2fs_blocks_count(fs->super))
			old_blocks =
				ext2fs_blocks_count(fs->super) - old_desc_blk;
		err = extmap_add(m, old_desc_blk, old_blocks);
	}
	if (!err && new_desc_blk)
		err = extmap_add(m, new_desc_blk, 1);
	return err;
}

/* The bounds ext2fs_check_desc() holds each group's tables to. */
static bool in_bounds(ext2_filsys fs, dgrp_t g)
{
	blk64_t first = fs->super->s_first_data_block;
	blk64_t last = ext2fs_blocks_count(fs->super) - 1;
	blk64_t bb = ext2fs_block_bitmap_loc(fs, g);
	blk64_t ib = ext2fs_inode_bitmap_loc(fs, g);
	blk64_t it = ext2fs_inode_table_loc(fs, g);

	if (!ext2fs_has_feature_flex_bg(fs->super)) {
		first = ext2fs_group_first_block2(fs, g);
		last = ext2fs_group_last_block2(fs, g);
	}
	return bb >= first && bb <= last && ib >= first && ib <= last &&
	       it >= first && it + fs->inode_blocks_per_group - 1 <= last &&
	       it + fs->inode_blocks_per_group - 1 >= it;
}

bool fsread_desc_surely_ok(ext2_filsys fs)
{
	/* The superblock and descriptor copies (which may share blocks:
	 * marking one twice is no error), then a map per kind of table:
	 * under flex_bg each is a few long runs. */
	struct extmap kind[4], all;
	blk64_t tables = 0; /* blocks, counted once per table */
	unsigned desc_size = EXT2_DESC_SIZE(fs->super);
	bool ok = !(desc_size & (desc_size - 1));
	errcode_t err = 0;

	for (int k = 0; k < 4; k++)
		extmap_init(&kind[k]);
	extmap_init(&all);
	for (dgrp_t g = 0; ok && !err && g < fs->group_desc_count; g++) {
		ok = in_bounds(fs, g);
		err = add_reserved(fs, g, &kind[0]);
		if (!err)
			err = extmap_add(&kind[1],
					 ext2fs_block_bitmap_loc(fs, g), 1);
		if (!err)
			err = extmap_add(&kind[2],
					 ext2fs_inode_bitmap_loc(fs, g), 1);
		if (!err)
			err = extmap_add(&kind[3],
					 ext2fs_inode_table_loc(fs, g),
					 fs->inode_blocks_per_group);
		tables += 2 + (blk64_t)fs->inode_blocks_per_group;
	}
	extmap_normalize(&kind[0]);
	tables += extmap_total(&kind[0]);
	for (int k = 0; k < 4; k++) {
		for (size_t i = 0; !err && i < kind[k].n; i++)
			err = extmap_add(&all, kind[k].runs[i].start,
					 kind[k].runs[i].count);
		extmap_free(&kind[k]);
	}
	extmap_normalize(&all);
	ok = ok && !err && extmap_total(&all) == tables;
	extmap_free(&all);
	return ok;
}
