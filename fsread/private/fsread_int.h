/* SPDX-License-Identifier: MIT */
/*
 * fsread_int.h --- fsread's private state, shared by its source files.
 */
#ifndef FSREAD_INT_H
#define FSREAD_INT_H

#include <ext2fs/ext2fs.h>

#include "fsread.h"
#include "fsread_ondisk.h"

/*
 * What a mapped block is, for scrubbing.  Dynamic roles come from files
 * and may overlap (damage): each one is applied.  Static roles are fixed
 * by the layout; where one is present only the strongest applies.
 */
enum scrub_role {
	SCRUB_EA_VALUE = 1, /* data of an xattr inode (ea_inode) */
	SCRUB_DIR,	    /* directory block of @ino */
	SCRUB_SYMLINK,	    /* slow symlink target of @ino (@size bytes) */
	SCRUB_EA_BLOCK,	    /* extended attribute block */
	SCRUB_PROBE,	    /* block e2fsck reads to see if @ino is a dir */
	SCRUB_EXTENT,	    /* extent tree node of @ino */
	SCRUB_BLOCK_MAP,    /* indirect block: block numbers, nothing else */
	SCRUB_QUOTA,	    /* quota file block (ids and counts) */
	SCRUB_ORPHAN,	    /* orphan file block (inode numbers) */
	SCRUB_STATIC,	    /* --- static roles from here on --- */
	SCRUB_ITABLE = SCRUB_STATIC, /* inode table of group @ino, from
					@size */
	SCRUB_RGDT,		     /* reserved GDT block: block numbers */
	SCRUB_BITMAP,		     /* block or inode bitmap */
	SCRUB_MMP,		     /* multi-mount protection block */
	SCRUB_DESC,  /* group descriptor block number @size + offset */
	SCRUB_SUPER, /* holds a superblock at byte @size */
};

struct scrub_run {
	uint64_t start, count;
	uint64_t size; /* SYMLINK: target length; ITABLE: table's 1st blk;
			  DESC: index of the run's first descriptor block;
			  SUPER: byte offset of the superblock;
			  BITMAP: bytes of it libext2fs reads */
	uint32_t ino;  /* owner inode, or group for ITABLE */
	uint8_t role;
};

struct scrub_roles {
	bool on;		/* noting (FSREAD_MAP_SCRUB) */
	struct scrub_run *runs; /* sorted by start after the map */
	size_t n, cap;
	uint64_t *reach;   /* after the map: reach[i] is the furthest
			      end of runs[0..i], so a lookup knows when
			      no earlier run can hold a block */
	uint32_t *orphans; /* the orphan list, sorted */
	size_t n_orphans;
};

/* fsread_holes.c: the segment of the source file last asked about. */
enum { FSREAD_HOLES_UNKNOWN, FSREAD_HOLES_ON, FSREAD_HOLES_OFF };
struct fsread_holes {
	int state;
	int fd;		 /* our own, on a regular file only */
	uint64_t size;	 /* of the file when opened */
	uint64_t lo, hi; /* the segment: bytes [lo, hi) */
	bool hole;
};

/* Beyond this many warnings about one inode, the rest are only counted. */
#define FSREAD_WARN_PER_INODE 8

struct fsread {
	ext2_filsys fs;
	char *path;
	struct fsread_opts opts;
	struct fsread_info info;

	/* Walk state. */
	unsigned map_flags;  /* of the fsread_map() under way */
	struct extmap *meta; /* metadata blocks */
	struct extmap *data; /* file data blocks (-a) */
	struct fsread_stats *stats;
	uint8_t *node_buf; /* one block per tree level */
	uint32_t cur_ino;
	unsigned cur_ino_warnings;
	errcode_t fatal;      /* ENOMEM or cancellation: stop the walk */
	bool cur_is_dir;      /* the inode being walked is a directory */
	bool cur_is_symlink;  /* ... a symlink whose target can be read */
	bool cur_is_ea_value; /* ... an inode holding an xattr's value */
	uint64_t cur_size;    /* ... and its i_size */
	enum scrub_role cur_leaf_role; /* ... or its leaves' other role */
	struct scrub_roles roles;      /* FSREAD_MAP_SCRUB: what blocks are */
	struct extmap *dirs;	       /* directory blocks found by the walk */
	struct extmap unreadable;      /* blocks fsread_read() could not read */
	int prefetch_fd;	       /* during fsread_map(): for readahead */
	bool blind_probes; /* e2fsck would probe for backups blindly */
	struct fsread_holes holes;
};

/* Report a problem (printf-style); counts it, rate-limits per inode. */
void fsread_warn(struct fsread *r, uint32_t ino, errcode_t err, const char *fmt,
		 ...) __attribute__((format(printf, 4, 5)));

/* Is [blk, blk+count) inside the filesystem's data blocks? */
bool fsread_range_ok(const struct fsread *r, uint64_t blk, uint64_t count);

/*
 * Add a run to the metadata (@data false) or data map, after checking it;
 * a bad run is warned about for @ino (0: filesystem-wide) as @what.
 */
void fsread_add(struct fsread *r, uint32_t ino, uint64_t blk, uint64_t count,
		bool data, const char *what);

/*
 * Inode-table blocks of inodes that directory entries name but that lie
 * in a table's unused part (not captured so far): e2fsck reads them.
 */
void fsread_map_named_inodes(struct fsread *r);

/* Close what fsread_hole() opened. */
void fsread_holes_close(struct fsread *r);

/* Group structures: superblocks, descriptors, bitmaps, inode tables. */
void fsread_map_groups(struct fsread *r);
/* True when ext2fs_check_desc() would surely accept @fs's descriptors;
 * false when it might not (then ask it). */
bool fsread_desc_surely_ok(ext2_filsys fs);
/* Every inode's tree, directory, xattr and (with @all_data) data blocks. */
void fsread_map_inodes(struct fsread *r, bool all_data);

/*
 * Walk a block map held in @i_block (60 bytes, as in the inode: raw
 * little-endian for extents).  Leaf blocks go to the metadata map when
 * @leaf_is_meta, to the data map when @want_data, else nowhere.
 */
void fsread_walk_blocks(struct fsread *r, uint32_t ino, const uint8_t *i_block,
			bool extents, bool leaf_is_meta, bool want_data);

/* Roles for scrubbing (fsread_scrub_roles.c); no-ops unless noting. */
void fsread_roles_note(struct fsread *r, enum scrub_role role, uint64_t blk,
		       uint64_t count, uint32_t ino, uint64_t size);
/* After the walk: the group structures' roles, then sort. */
void fsread_roles_finish(struct fsread *r);
/* Take @from's runs too (the backup superblock's view). */
void fsread_roles_merge(struct fsread *r, const struct scrub_roles *from);
void fsread_roles_free(struct scrub_roles *roles);
/* Up to @max runs holding @blk, strongest role first; how many. */
size_t fsread_roles_at(const struct scrub_roles *roles, uint64_t blk,
		       const struct scrub_run **out, size_t max);
bool fsread_is_orphan(const struct fsread *r, uint32_t ino);

#endif
