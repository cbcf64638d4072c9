/* SPDX-License-Identifier: MIT */
/*
 * fsread_int.h --- fsread's private state, shared by its source files.
 */
#ifndef FSREAD_INT_H
#define FSREAD_INT_H

#include <ext2fs/ext2fs.h>

#include "fsread.h"
#include "fsread_ondisk.h"

/* Beyond this many warnings about one inode, the rest are only counted. */
#define FSREAD_WARN_PER_INODE 8

struct fsread {
	ext2_filsys fs;
	char *path;
	struct fsread_opts opts;
	struct fsread_info info;

	/* Walk state. */
	struct extmap *meta;	/* metadata blocks */
	struct extmap *data;	/* file data blocks (-a) */
	struct fsread_stats *stats;
	uint8_t *node_buf;	/* one block per tree level */
	uint32_t cur_ino;
	unsigned cur_ino_warnings;
	errcode_t fatal;	/* ENOMEM or cancellation: stop the walk */
	bool cur_is_dir;	/* the inode being walked is a directory */
	bool cur_is_symlink;	/* ... a symlink whose target can be read */
	bool cur_is_ea_value;	/* ... an inode holding an xattr's value */
	uint64_t cur_size;	/* ... and its i_size */
	struct fsread_scrub *scrub; /* -s: roles noted, then blocks scrubbed */
	struct extmap *dirs;	/* directory blocks found by the walk */
	struct extmap unreadable; /* blocks fsread_read() could not read */
};

/* Report a problem (printf-style); counts it, rate-limits per inode. */
void fsread_warn(struct fsread *r, uint32_t ino, errcode_t err,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Is [blk, blk+count) inside the filesystem's data blocks? */
bool fsread_range_ok(const struct fsread *r, uint64_t blk, uint64_t count);

/*
 * Add a run to the metadata (@data false) or data map, after checking it;
 * a bad run is warned about for @ino (0: filesystem-wide) as @what.
 */
void fsread_add(struct fsread *r, uint32_t ino, uint64_t blk,
		uint64_t count, bool data, const char *what);

/*
 * Inode-table blocks of inodes that directory entries name but that lie
 * in a table's unused part (not captured so far): e2fsck reads them.
 */
void fsread_map_named_inodes(struct fsread *r);

/* Group structures: superblocks, descriptors, bitmaps, inode tables. */
void fsread_map_groups(struct fsread *r);
/* Every inode's tree, directory, xattr and (with @all_data) data blocks. */
void fsread_map_inodes(struct fsread *r, bool all_data);

/*
 * Walk a block map held in @i_block (60 bytes, as in the inode: raw
 * little-endian for extents).  Leaf blocks go to the metadata map when
 * @leaf_is_meta, to the data map when @want_data, else nowhere.
 */
void fsread_walk_blocks(struct fsread *r, uint32_t ino,
			const uint8_t *i_block, bool extents,
			bool leaf_is_meta, bool want_data);

/* Scrubbing (fsread_scrub.c).  @role is an enum scrub_role. */
errcode_t fsread_scrub_start(struct fsread *r, bool keep_data);
void fsread_scrub_note(struct fsread *r, int role, uint64_t blk,
		       uint64_t count, uint32_t ino, uint64_t size);
/* After the walk: index the roles and plan the journal (@meta: the
 * metadata blocks, to tell journal copies of metadata from data). */
errcode_t fsread_scrub_plan(struct fsread *r, const struct extmap *meta);
void fsread_scrub_apply(struct fsread *r, uint64_t blk, uint64_t count,
			uint8_t *buf);
void fsread_scrub_free(struct fsread *r);

#endif
