// SPDX-License-Identifier: MIT
/*
 * fsread_scrub.c --- the scrub stage: "-s" images hold no name, symlink
 * target, xattr, file content or leftover byte of the source.
 *
 * Default deny: each block is rewritten by every role it has, and each
 * role's code keeps only the structure it understands (e2fsck reads it)
 * and replaces names or zeroes everything else.  A block with no known
 * role is zeroed, unless file data is kept (-a).  This file makes the
 * stage, plans the journal, and sends each block to its roles' code.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fsread_scrub_int.h"

/* Roles of one block looked at, at most. */
#define MAX_ROLES 8

errcode_t fsread_scrub_new(struct fsread *r, unsigned keep,
			   struct fsread_scrub **out)
{
	struct fsread_scrub *s = calloc(1, sizeof(*s));
	const struct scrub_roles *t = &r->roles;
	errcode_t err;

	*out = NULL;
	if (!s)
		return ENOMEM;
	s->r = r;
	s->roles = t;
	s->keep = keep;
	s->keep_data = keep & FSREAD_SCRUB_KEEP_DATA;
	s->mask = malloc(r->fs->blocksize);
	s->inode_copy = malloc(r->fs->blocksize);
	if (!s->mask || !s->inode_copy)
		s->fatal = ENOMEM;
	/* How many blocks each directory has: its names go when done. */
	for (size_t i = 0; i < t->n && !s->fatal; i++) {
		struct dir_state *d;

		if (t->runs[i].role != SCRUB_DIR)
			continue;
		d = fsread_scrub_dir_state(s, t->runs[i].ino);
		if (!d || !fsread_scrub_dir_add_run(d, i))
			s->fatal = ENOMEM;
		else
			d->blocks_left += t->runs[i].count;
	}
	err = s->fatal ? s->fatal : fsread_scrub_journal_plan(s);
	if (err) {
		fsread_scrub_free(s);
		return err;
	}
	*out = s;
	return 0;
}

void fsread_scrub_free(struct fsread_scrub *s)
{
	if (!s)
		return;
	fsread_scrub_dirs_free(s);
	free(s->jblocks);
	free(s->patches);
	free(s->mask);
	free(s->inode_copy);
	free(s);
}

int fsread_scrub_role_of(const struct fsread_scrub *s, uint64_t blk,
			 const struct scrub_run **run)
{
	const struct scrub_run *runs[1];

	if (!fsread_roles_at(s->roles, blk, runs, 1))
		return 0;
	if (run)
		*run = runs[0];
	return runs[0]->role;
}

/*
 * Past a group's bits libext2fs asks of a bitmap block only whether
 * every byte is 0xff (else e2fsck reports the padding): all-ones stays,
 * anything else becomes zeros, which answers the same.
 */
static void scrub_bitmap_tail(uint8_t *tail, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (tail[i] != 0xff) {
			memset(tail, 0, len);
			return;
		}
}

/* One role's rewrite of @buf, the block at @blk. */
static void apply_role(struct fsread_scrub *s, const struct scrub_run *run,
		       uint64_t blk, uint8_t *buf, bool live)
{
	size_t bs = s->r->fs->blocksize;
	struct dir_state *d;

	switch (run->role) {
	case SCRUB_DIR:
		fsread_scrub_dir_block(s, run->ino, blk, buf, false);
		d = fsread_scrub_dir_state(s, run->ino);
		if (live && d)
			fsread_scrub_dir_done(d);
		break;
	case SCRUB_PROBE:
		fsread_scrub_dir_block(s, run->ino, blk, buf, true);
		break;
	case SCRUB_SYMLINK:
		fsread_scrub_symlink_block(s, run->ino, run->size, buf);
		break;
	case SCRUB_EA_BLOCK:
		fsread_scrub_ea_block(s, blk, buf);
		break;
	case SCRUB_EA_VALUE:
		/* e2fsck checks the entry's hash against the one the xattr
		 * inode stores, not against the value: both stay. */
		memset(buf, 0, s->r->fs->blocksize);
		s->rep.xattr_values++;
		break;
	case SCRUB_EXTENT:
		fsread_scrub_extent_block(s, run->ino, blk, buf);
		break;
	case SCRUB_BLOCK_MAP:
	case SCRUB_RGDT:
		fsread_scrub_block_numbers(
			s, buf, bs, ext2fs_blocks_count(s->r->fs->super));
		s->rep.kept_block_maps++;
		break;
	case SCRUB_QUOTA:
		fsread_scrub_text_runs(buf, bs);
		s->rep.kept_quota++;
		break;
	case SCRUB_ORPHAN:
		/* Inode numbers, then a tail of magic and checksum. */
		fsread_scrub_block_numbers(
			s, buf, bs - 8,
			(uint64_t)s->r->fs->super->s_inodes_count + 1);
		s->rep.kept_orphan++;
		break;
	case SCRUB_ITABLE:
		fsread_scrub_itable_block(s, run->ino, run->size, blk, buf);
		break;
	case SCRUB_BITMAP:
		/* A directory block's old names read as bits: the names go,
		 * whatever bits they were. */
		if (fsread_scrub_looks_like_dir(buf, (unsigned)bs))
			fsread_scrub_dir_block(s, 0, blk, buf, false);
		fsread_scrub_text_runs(buf,
				       run->size < bs ? (size_t)run->size : bs);
		if (run->size < s->r->fs->blocksize)
			scrub_bitmap_tail(buf + run->size,
					  s->r->fs->blocksize -
						  (size_t)run->size);
		s->rep.kept_bitmaps++;
		break;
	case SCRUB_MMP:
		fsread_scrub_mmp_block(s, buf);
		break;
	case SCRUB_DESC:
		fsread_scrub_desc_block(s, run->size + (blk - run->start), buf);
		break;
	case SCRUB_SUPER:
		fsread_scrub_super_block(s, buf, (size_t)run->size);
		break;
	default:
		break;
	}
}

int fsread_scrub_as_fs_block(struct fsread_scrub *s, uint64_t blk, uint8_t *buf,
			     bool live)
{
	const struct scrub_run *runs[MAX_ROLES];
	size_t n = fsread_roles_at(s->roles, blk, runs, MAX_ROLES);

	if (!n)
		return 0;
	/* The layout's own structures: e2fsck reads them as that.  A block
	 * that is two groups' bitmaps (damage) keeps the longer's bits. */
	if (runs[0]->role >= SCRUB_STATIC) {
		const struct scrub_run *run = runs[0];

		for (size_t i = 1; i < n && runs[i]->role == run->role; i++)
			if (run->role == SCRUB_BITMAP &&
			    runs[i]->size > run->size)
				run = runs[i];
		/* Claimed too as an extent node or block map (whose bytes are
		 * numbers): bytes of unused inodes are that, and stay. */
		s->shared = n > 1;
		for (size_t i = 1; i < n; i++)
			if (runs[i]->role != SCRUB_EXTENT &&
			    runs[i]->role != SCRUB_BLOCK_MAP &&
			    runs[i]->role < SCRUB_STATIC)
				s->shared = false;
		apply_role(s, run, blk, buf, live);
		s->shared = false;
		return run->role;
	}
	/* Claimed by several files or roles: scrubbed for each, so what
	 * survives is what every role understands. */
	s->shared = n > 1;
	for (size_t i = 0; i < n; i++) {
		bool again = false;

		for (size_t k = 0; k < i && !again; k++)
			again = runs[k]->role == runs[i]->role &&
				runs[k]->ino == runs[i]->ino;
		if (!again)
			apply_role(s, runs[i], blk, buf, live);
	}
	s->shared = false;
	if (n > 1)
		s->rep.multi_role++;
	return runs[0]->role;
}

void fsread_scrub_count_copy(struct fsread_scrub *s, uint64_t blk)
{
	const struct scrub_run *run;
	struct dir_state *d;

	if (fsread_scrub_role_of(s, blk, &run) == SCRUB_DIR &&
	    (d = fsread_scrub_dir_state(s, run->ino)) != NULL)
		d->blocks_left++;
}

errcode_t fsread_scrub_blocks(struct fsread_scrub *s, uint64_t blk,
			      uint64_t count, void *data)
{
	unsigned bs = s->r->fs->blocksize;
	uint8_t *buf = data;

	for (uint64_t i = 0; i < count && !s->fatal; i++, buf += bs) {
		if (s->jn && fsread_scrub_is_journal(s, blk + i))
			fsread_scrub_journal_block(s, blk + i, buf);
		else if (fsread_scrub_as_fs_block(s, blk + i, buf, true))
			continue;
		else if (s->keep_data)
			s->rep.kept_data++;
		else {
			memset(buf, 0, bs);
			s->rep.no_role++;
		}
	}
	return s->fatal;
}

void fsread_scrub_get_report(const struct fsread_scrub *s,
			     struct fsread_scrub_report *out)
{
	if (s)
		*out = s->rep;
	else
		memset(out, 0, sizeof(*out));
}
