// SPDX-License-Identifier: MIT
/*
 * fsread_scrub.c --- "-s": blocks come out of fsread_read() with every
 * name, symlink target and user/trusted xattr replaced, and inline file
 * data zeroed (unless all data is captured too).  This file keeps the
 * table of block roles and sends each block read to the code for its
 * role; the roles' own files say what is done to them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fsread_scrub_int.h"

/* How far back a lookup looks for a run that overlaps the block. */
#define OVERLAP_SCAN 64

void fsread_scrub_note(struct fsread *r, int role, uint64_t blk,
		       uint64_t count, uint32_t ino, uint64_t size)
{
	struct fsread_scrub *s = r->scrub;

	if (!s || !count)
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct scrub_run *p = realloc(s->runs, cap * sizeof(*p));

		if (!p) {
			r->fatal = ENOMEM;
			return;
		}
		s->runs = p;
		s->cap = cap;
	}
	s->runs[s->n++] = (struct scrub_run){ blk, count, size, ino,
					      (uint8_t)role };
}

errcode_t fsread_scrub_start(struct fsread *r, bool keep_data)
{
	fsread_scrub_free(r);
	r->scrub = calloc(1, sizeof(*r->scrub));
	if (!r->scrub)
		return ENOMEM;
	r->scrub->r = r;
	r->scrub->keep_data = keep_data;
	return 0;
}

void fsread_scrub_free(struct fsread *r)
{
	struct fsread_scrub *s = r->scrub;

	if (!s)
		return;
	scrub_dirs_free(s);
	free(s->runs);
	free(s->jblocks);
	free(s->patches);
	free(s);
	r->scrub = NULL;
}

static int cmp_run(const void *a, const void *b)
{
	const struct scrub_run *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (int)x->role - (int)y->role;
}

static void keep(struct fsread *r, uint64_t blk, uint64_t count)
{
	if (blk && fsread_range_ok(r, blk, count))
		fsread_scrub_note(r, SCRUB_KEEP, blk, count, 0, 0);
}

/*
 * Inode tables, by the descriptors libext2fs opened; and the group
 * structures, which a damaged filesystem's files or directories may
 * claim too: those blocks stay as they are.
 */
static void note_groups(struct fsread *r)
{
	ext2_filsys fs = r->fs;

	keep(r, fs->super->s_first_data_block, 1);
	for (dgrp_t g = 0; g < fs->group_desc_count; g++) {
		blk64_t loc = ext2fs_inode_table_loc(fs, g);
		blk64_t super = 0, old_desc = 0, new_desc = 0;
		blk_t used = 0;

		if (loc && fsread_range_ok(r, loc, fs->inode_blocks_per_group))
			fsread_scrub_note(r, SCRUB_ITABLE, loc,
					  fs->inode_blocks_per_group, g, loc);
		ext2fs_super_and_bgd_loc2(fs, g, &super, &old_desc, &new_desc,
					  &used);
		keep(r, super, 1);
		keep(r, old_desc,
		     fs->desc_blocks + fs->super->s_reserved_gdt_blocks);
		keep(r, new_desc, 1);
		keep(r, ext2fs_block_bitmap_loc(fs, g), 1);
		keep(r, ext2fs_inode_bitmap_loc(fs, g), 1);
	}
}

errcode_t fsread_scrub_plan(struct fsread *r, const struct extmap *meta)
{
	struct fsread_scrub *s = r->scrub;
	errcode_t err;

	if (!s)
		return 0;
	if (!r->info.journal_dev)
		note_groups(r);
	if (s->n)
		qsort(s->runs, s->n, sizeof(*s->runs), cmp_run);
	for (size_t i = 0; i < s->n && !r->fatal; i++) {
		struct dir_state *d;

		if (s->runs[i].role != SCRUB_DIR)
			continue;
		d = scrub_dir_state(s, s->runs[i].ino);
		if (!d)
			return ENOMEM;
		d->blocks_left += s->runs[i].count;
	}
	s->meta = meta;
	err = scrub_journal_plan(s);
	s->meta = NULL;
	return err ? err : r->fatal;
}

/* The run holding @blk with the strongest role (group structures, then
 * inode tables, probes, xattr blocks, symlinks, directories...). */
static const struct scrub_run *find_run(const struct fsread_scrub *s,
					uint64_t blk)
{
	const struct scrub_run *best = NULL;
	size_t lo = 0, hi = s->n;

	/* The first run starting after @blk. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->runs[mid].start <= blk)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = 0; k < OVERLAP_SCAN && k < lo; k++) {
		const struct scrub_run *r = &s->runs[lo - 1 - k];

		if (blk - r->start < r->count &&
		    (!best || r->role > best->role))
			best = r;
	}
	return best;
}

static const struct scrub_run *find_role(const struct fsread_scrub *s,
					 uint64_t blk)
{
	return s->n ? find_run(s, blk) : NULL;
}

int scrub_as_fs_block(struct fsread_scrub *s, uint64_t blk, uint8_t *buf,
		      bool live)
{
	const struct scrub_run *run = find_role(s, blk);
	struct dir_state *d;

	if (!run)
		return 0;
	switch (run->role) {
	case SCRUB_DIR:
		scrub_dir_block(s, run->ino, blk, buf, false);
		d = scrub_dir_state(s, run->ino);
		if (live && d)
			scrub_dir_done(d);
		break;
	case SCRUB_PROBE:
		scrub_dir_block(s, run->ino, blk, buf, true);
		break;
	case SCRUB_SYMLINK:
		scrub_symlink_block(s, run->ino, run->size, buf);
		break;
	case SCRUB_EA_BLOCK:
		scrub_ea_block(s, blk, buf);
		break;
	case SCRUB_ITABLE:
		scrub_itable_block(s, run->ino, run->size, blk, buf);
		break;
	case SCRUB_KEEP:
		break;
	case SCRUB_EA_VALUE:
		/* e2fsck checks the entry's hash against the one the xattr
		 * inode stores, not against the value: both stay. */
		memset(buf, 0, s->r->fs->blocksize);
		s->rep.xattr_values++;
		break;
	default:
		return 0;
	}
	return run->role;
}

void scrub_count_copy(struct fsread_scrub *s, uint64_t blk)
{
	const struct scrub_run *run = find_role(s, blk);
	struct dir_state *d;

	if (run && run->role == SCRUB_DIR &&
	    (d = scrub_dir_state(s, run->ino)) != NULL)
		d->blocks_left++;
}

void fsread_scrub_apply(struct fsread *r, uint64_t blk, uint64_t count,
			uint8_t *buf)
{
	struct fsread_scrub *s = r->scrub;
	unsigned bs = r->fs->blocksize;

	for (uint64_t i = 0; i < count; i++, buf += bs) {
		if (s->jn && scrub_is_journal(s, blk + i))
			scrub_journal_block(s, blk + i, buf);
		else
			scrub_as_fs_block(s, blk + i, buf, true);
	}
}

void fsread_scrub_get_report(const struct fsread *r,
			     struct fsread_scrub_report *out)
{
	if (r->scrub)
		*out = r->scrub->rep;
	else
		memset(out, 0, sizeof(*out));
}
