// SPDX-License-Identifier: MIT
/*
 * fsread_scrub_roles.c --- what each mapped block is, noted while the
 * filesystem is walked with FSREAD_MAP_SCRUB, for the scrub stage.
 *
 * Files give dynamic roles (directory, symlink, xattr, extent node...),
 * the layout static ones (superblocks, descriptors, bitmaps, inode
 * tables, MMP).  Damage can give one block several roles: the table
 * keeps them all, and a lookup returns every run holding a block,
 * strongest first.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fsread_int.h"

/* Runs looked at below a block for ones that overlap it. */
#define OVERLAP_SCAN 4096

void fsread_roles_note(struct fsread *r, enum scrub_role role, uint64_t blk,
		       uint64_t count, uint32_t ino, uint64_t size)
{
	struct scrub_roles *t = &r->roles;

	if (!t->on || !count || !fsread_range_ok(r, blk, count))
		return;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct scrub_run *p = realloc(t->runs, cap * sizeof(*p));

		if (!p) {
			r->fatal = ENOMEM;
			return;
		}
		t->runs = p;
		t->cap = cap;
	}
	t->runs[t->n++] =
		(struct scrub_run){ blk, count, size, ino, (uint8_t)role };
}

void fsread_roles_merge(struct fsread *r, const struct scrub_roles *from)
{
	for (size_t i = 0; i < from->n && !r->fatal; i++) {
		const struct scrub_run *x = &from->runs[i];

		fsread_roles_note(r, x->role, x->start, x->count, x->ino,
				  x->size);
	}
}

void fsread_roles_free(struct scrub_roles *t)
{
	free(t->reach);
	free(t->runs);
	free(t->orphans);
	memset(t, 0, sizeof(*t));
}

static int cmp_run(const void *a, const void *b)
{
	const struct scrub_run *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (int)x->role - (int)y->role;
}

/* Descriptor blocks [@blk, +@count), the first being number @index. */
static void note_desc(struct fsread *r, uint64_t blk, uint64_t count,
		      uint64_t index)
{
	if (blk)
		fsread_roles_note(r, SCRUB_DESC, blk, count, 0, index);
}

/* A superblock copy: the block holding it and where in it. */
static void note_super(struct fsread *r, dgrp_t g, uint64_t blk)
{
	unsigned bs = r->fs->blocksize;

	if (g == 0)
		fsread_roles_note(r, SCRUB_SUPER, SUPERBLOCK_OFFSET / bs, 1, 0,
				  SUPERBLOCK_OFFSET % bs);
	else if (blk)
		fsread_roles_note(r, SCRUB_SUPER, blk, 1, g, 0);
}

static void note_group(struct fsread *r, dgrp_t g)
{
	ext2_filsys fs = r->fs;
	struct ext2_super_block *sb = fs->super;
	blk64_t loc = ext2fs_inode_table_loc(fs, g);
	blk64_t super = 0, old_desc = 0, new_desc = 0;
	blk_t used = 0;
	uint64_t n_desc = ext2fs_has_feature_meta_bg(sb) ? sb->s_first_meta_bg
							 : fs->desc_blocks;

	if (loc)
		fsread_roles_note(r, SCRUB_ITABLE, loc,
				  fs->inode_blocks_per_group, g, loc);
	if (ext2fs_super_and_bgd_loc2(fs, g, &super, &old_desc, &new_desc,
				      &used))
		return;
	note_super(r, g, super);
	if (old_desc) {
		if (n_desc > fs->desc_blocks)
			n_desc = fs->desc_blocks;
		note_desc(r, old_desc, n_desc, 0);
		if (!ext2fs_has_feature_meta_bg(sb) &&
		    sb->s_reserved_gdt_blocks)
			fsread_roles_note(r, SCRUB_RGDT, old_desc + n_desc,
					  sb->s_reserved_gdt_blocks, 0, 0);
	}
	note_desc(r, new_desc, 1, g / (dgrp_t)EXT2_DESC_PER_BLOCK(sb));
	/* Of a bitmap block libext2fs reads only a group's worth of bits. */
	fsread_roles_note(r, SCRUB_BITMAP, ext2fs_block_bitmap_loc(fs, g), 1, g,
			  EXT2_CLUSTERS_PER_GROUP(sb) / 8);
	fsread_roles_note(r, SCRUB_BITMAP, ext2fs_inode_bitmap_loc(fs, g), 1, g,
			  EXT2_INODES_PER_GROUP(sb) / 8);
}

void fsread_roles_finish(struct fsread *r)
{
	struct scrub_roles *t = &r->roles;
	ext2_filsys fs = r->fs;

	if (!t->on)
		return;
	if (!r->info.journal_dev) {
		note_super(r, 0, 0);
		for (dgrp_t g = 0; g < fs->group_desc_count; g++)
			note_group(r, g);
		for (dgrp_t j = 0; j < fs->desc_blocks; j++)
			note_desc(r,
				  ext2fs_descriptor_block_loc2(
					  fs, fs->super->s_first_data_block, j),
				  1, j);
		if (ext2fs_has_feature_mmp(fs->super))
			fsread_roles_note(r, SCRUB_MMP, fs->super->s_mmp_block,
					  1, 0, 0);
	}
	if (!t->n)
		return;
	qsort(t->runs, t->n, sizeof(*t->runs), cmp_run);
	t->reach = malloc(t->n * sizeof(*t->reach));
	if (!t->reach) {
		r->fatal = ENOMEM;
		return;
	}
	for (size_t i = 0; i < t->n; i++) {
		uint64_t end = t->runs[i].start + t->runs[i].count;

		t->reach[i] =
			i && t->reach[i - 1] > end ? t->reach[i - 1] : end;
	}
}

size_t fsread_roles_at(const struct scrub_roles *t, uint64_t blk,
		       const struct scrub_run **out, size_t max)
{
	size_t lo = 0, hi = t->n, n = 0;

	/* The first run starting after @blk. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->runs[mid].start <= blk)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = 0; k < OVERLAP_SCAN && k < lo; k++) {
		const struct scrub_run *x = &t->runs[lo - 1 - k];
		size_t at;

		/* Nothing this far back reaches @blk. */
		if (t->reach && t->reach[lo - 1 - k] <= blk)
			break;
		if (blk - x->start >= x->count)
			continue;
		/* Insert by strength (role number, highest first). */
		if (n == max && out[n - 1]->role >= x->role)
			continue;
		at = n < max ? n++ : n - 1;
		while (at > 0 && out[at - 1]->role < x->role) {
			out[at] = out[at - 1];
			at--;
		}
		out[at] = x;
	}
	return n;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

bool fsread_is_orphan(const struct fsread *r, uint32_t ino)
{
	const struct scrub_roles *t = &r->roles;

	return t->n_orphans &&
	       bsearch(&ino, t->orphans, t->n_orphans, sizeof(ino), cmp_u32);
}
