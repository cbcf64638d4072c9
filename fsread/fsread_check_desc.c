// SPDX-License-Identifier: MIT
/*
 * fsread_check_desc.c --- would ext2fs_check_desc() accept the group
 * descriptors?  Asked first without a bitmap.
 *
 * ext2fs_check_desc() marks every superblock and descriptor copy, then
 * every group's bitmaps and inode table block by block in a block bitmap,
 * failing when one is out of bounds or lands on a block marked already.
 * On a large filesystem that is millions of bitmap operations (a fifth of
 * a metadata capture of an empty 4 TiB ext4).  The same blocks, as runs
 * sorted by start, show any overlap in one pass; the bounds are the same
 * tests.  Nothing wrong found: it would succeed.  Anything that may be
 * wrong: ask it.
 */
#include <stdlib.h>

#include "fsread_int.h"

struct run {
	blk64_t start, count;
};

struct runs {
	struct run *v;
	size_t n, cap;
	bool oom;
};

/* Append, merging with the previous run when it ends where this starts
 * (the union, and its overlaps with anything else, stay the same). */
static void add(struct runs *r, blk64_t start, blk64_t count)
{
	if (!count)
		return;
	if (r->n && r->v[r->n - 1].start + r->v[r->n - 1].count == start) {
		r->v[r->n - 1].count += count;
		return;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 1024;
		struct run *p = realloc(r->v, cap * sizeof(*p));

		if (!p) {
			r->oom = true;
			return;
		}
		r->v = p;
		r->cap = cap;
	}
	r->v[r->n++] = (struct run){ start, count };
}

static int by_start(const void *a, const void *b)
{
	const struct run *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* What ext2fs_reserve_super_and_bgd() marks for @g (or more). */
static void add_reserved(ext2_filsys fs, dgrp_t g, struct runs *r)
{
	blk64_t super_blk, old_desc_blk, new_desc_blk, old_blocks;
	blk_t used;

	ext2fs_super_and_bgd_loc2(fs, g, &super_blk, &old_desc_blk,
				  &new_desc_blk, &used);
	old_blocks =
		ext2fs_has_feature_meta_bg(fs->super)
			? fs->super->s_first_meta_bg
			: fs->desc_blocks + fs->super->s_reserved_gdt_blocks;
	if (super_blk || !g)
		add(r, super_blk, 1);
	if (!g)
		add(r, 0, 1); /* bigalloc with 1 KiB blocks: block 0 too */
	if (old_desc_blk) {
		if (old_desc_blk + old_blocks >= ext2fs_blocks_count(fs->super))
			old_blocks =
				ext2fs_blocks_count(fs->super) - old_desc_blk;
		add(r, old_desc_blk, old_blocks);
	}
	if (new_desc_blk)
		add(r, new_desc_blk, 1);
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

/* Sort @r and merge what overlaps: marking a block twice is no error. */
static void unite(struct runs *r)
{
	size_t n = 0;

	qsort(r->v, r->n, sizeof(*r->v), by_start);
	for (size_t i = 0; i < r->n; i++) {
		struct run *last = n ? &r->v[n - 1] : NULL;

		if (last && r->v[i].start <= last->start + last->count) {
			if (r->v[i].start + r->v[i].count >
			    last->start + last->count)
				last->count = r->v[i].start + r->v[i].count -
					      last->start;
		} else {
			r->v[n++] = r->v[i];
		}
	}
	r->n = n;
}

static bool overlaps(struct runs *all)
{
	blk64_t end = 0;

	qsort(all->v, all->n, sizeof(*all->v), by_start);
	for (size_t i = 0; i < all->n; i++) {
		if (i && all->v[i].start < end)
			return true;
		if (all->v[i].start + all->v[i].count > end)
			end = all->v[i].start + all->v[i].count;
	}
	return false;
}

bool fsread_desc_surely_ok(ext2_filsys fs)
{
	/* One list per kind: under flex_bg each is a few long runs. */
	struct runs kind[4] = { { 0 } }, all = { 0 };
	unsigned desc_size = EXT2_DESC_SIZE(fs->super);
	bool ok = !(desc_size & (desc_size - 1));

	for (dgrp_t g = 0; ok && g < fs->group_desc_count; g++) {
		ok = in_bounds(fs, g);
		add_reserved(fs, g, &kind[0]);
		add(&kind[1], ext2fs_block_bitmap_loc(fs, g), 1);
		add(&kind[2], ext2fs_inode_bitmap_loc(fs, g), 1);
		add(&kind[3], ext2fs_inode_table_loc(fs, g),
		    fs->inode_blocks_per_group);
	}
	/* Superblock and descriptor copies may share blocks (reserved
	 * areas overlap in odd layouts): only the tables may not. */
	unite(&kind[0]);
	for (int k = 0; k < 4; k++) {
		for (size_t i = 0; ok && i < kind[k].n; i++)
			add(&all, kind[k].v[i].start, kind[k].v[i].count);
		ok = ok && !kind[k].oom;
		free(kind[k].v);
	}
	ok = ok && !all.oom && !overlaps(&all);
	free(all.v);
	return ok;
}
