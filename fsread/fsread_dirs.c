// SPDX-License-Identifier: MIT
/*
 * fsread_dirs.c --- inodes named by directory entries.
 *
 * Only the used part of an inode table is captured (what the group
 * descriptor's itable_unused says, when its checksum holds).  A broken
 * filesystem may still have directory entries naming inodes beyond it,
 * and e2fsck reads those inodes (to report them, and to check the entry's
 * file type against them).  So the directory blocks found by the walk are
 * read once more and the inode-table block of every such inode is added.
 */
#include <errno.h>
#include <stdlib.h>

#include "fsread_int.h"
#include "fsread_ondisk.h"

/* Directory blocks read at once. */
#define DIR_CHUNK_BLOCKS 64U

/*
 * The last group asked about: a directory's entries mostly name inodes
 * of one group, and checking a descriptor's checksum per entry was a
 * quarter of a metadata capture's mapping time.
 */
struct named_group {
	dgrp_t g;
	bool valid;
	bool whole;    /* no use looking: its whole table is captured */
	uint32_t used; /* inodes of the table in use, per its descriptor */
	uint64_t loc;  /* the table's first block */
};

static void learn_group(ext2_filsys fs, dgrp_t g, struct named_group *c)
{
	uint32_t ipg = fs->super->s_inodes_per_group;
	uint32_t unused = ext2fs_bg_itable_unused(fs, g);

	c->g = g;
	c->valid = true;
	c->loc = ext2fs_inode_table_loc(fs, g);
	/* A group whose checksum fails had its whole table captured. */
	c->whole = !c->loc || !ext2fs_group_desc_csum_verify(fs, g) ||
		   unused > ipg;
	c->used = ext2fs_bg_flags_test(fs, g, EXT2_BG_INODE_UNINIT)
			  ? 0
			  : ipg - (unused > ipg ? ipg : unused);
}

static void note_inode(struct fsread *r, uint32_t ino, struct named_group *c)
{
	ext2_filsys fs = r->fs;
	uint32_t ipg = fs->super->s_inodes_per_group;
	uint64_t loc;
	dgrp_t g;
	uint32_t idx;

	if (!ino || ino > fs->super->s_inodes_count || !ipg)
		return;
	g = (ino - 1) / ipg;
	idx = (ino - 1) % ipg;
	if (g >= fs->group_desc_count)
		return;
	if (!c->valid || c->g != g)
		learn_group(fs, g, c);
	if (c->whole || idx < c->used)
		return;
	loc = c->loc + idx / (uint32_t)EXT2_INODES_PER_BLOCK(fs->super);
	if (fsread_range_ok(r, loc, 1))
		fsread_add(r, 0, loc, 1, false, "inode named by a directory");
}

static void scan_block(struct fsread *r, const uint8_t *p, unsigned bs,
		       struct named_group *c)
{
	for (unsigned off = 0; off + 8 <= bs;) {
		unsigned len = fsread_dirent_rec_len(p + off, bs);

		if (len < 8 || len % 4 || len > bs - off)
			return; /* the rest of a broken block is not entries */
		note_inode(r, fsread_le32(p + off), c);
		off += len;
	}
}

void fsread_map_named_inodes(struct fsread *r)
{
	ext2_filsys fs = r->fs;
	unsigned bs = fs->blocksize;
	struct named_group group = { 0 };
	uint8_t *buf;

	/* Without group checksums every inode table is captured whole. */
	if (!ext2fs_has_group_desc_csum(fs) || !r->dirs || !r->dirs->n)
		return;
	extmap_normalize(r->dirs);
	buf = malloc((size_t)bs * DIR_CHUNK_BLOCKS);
	if (!buf) {
		r->fatal = ENOMEM;
		return;
	}
	for (size_t i = 0; i < r->dirs->n; i++) {
		const struct extmap_run *run = &r->dirs->runs[i];

		for (uint64_t at = 0; at < run->count;) {
			uint64_t n = run->count - at;

			if (n > DIR_CHUNK_BLOCKS)
				n = DIR_CHUNK_BLOCKS;
			/* Unreadable blocks are reported when copied. */
			if (!io_channel_read_blk64(fs->io, run->start + at,
						   (int)n, buf))
				for (uint64_t b = 0; b < n; b++)
					scan_block(r, buf + b * bs, bs, &group);
			at += n;
		}
	}
	free(buf);
}
