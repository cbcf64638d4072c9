/* SPDX-License-Identifier: MIT */
/*
 * fsread.h --- read an ext2/3/4 filesystem's block map with libext2fs.
 *
 * fsread opens a filesystem read-only and tells which blocks hold its
 * metadata (and, on request, its file data), as an extmap of block
 * numbers.  It knows nothing of any output format.  The filesystem is
 * treated as untrusted: every block number read from it is checked, and
 * damage is reported through the warning callback, never fatal.
 * fsread never prints and never exits.
 */
#ifndef FSREAD_H
#define FSREAD_H

#include <stdbool.h>
#include <stdint.h>

#include <et/com_err.h>

#include "extmap.h"

struct fsread;
struct struct_io_manager; /* libext2fs' I/O manager */

/*
 * Called for each problem found while walking: @ino is the inode it
 * concerns, 0 for filesystem-wide structures.  @msg is formatted.
 */
typedef void (*fsread_warn_fn)(void *ctx, uint32_t ino, errcode_t err,
			       const char *msg);
/* Progress during long walks; return true to cancel. */
typedef bool (*fsread_tick_fn)(void *ctx, uint64_t done, uint64_t total);

struct fsread_opts {
	uint64_t superblock; /* 0: primary (with automatic backup fallback) */
	unsigned block_size; /* with superblock; 0: probe */
	bool force;	     /* mounted read-write, or unknown features */
	uint64_t offset;     /* byte offset of the filesystem in the source */
	/* How to read the source; NULL: libext2fs' unix manager (a file or
	 * device).  Lets a caller read a filesystem out of an image. */
	struct struct_io_manager *io_manager;
	fsread_warn_fn warn;
	fsread_tick_fn tick;
	void *cb_ctx;
};

struct fsread_info {
	unsigned block_size;
	uint64_t blocks_count;
	uint64_t superblock; /* where it was opened from; 0 = primary */
	uint32_t group_count;
	uint32_t inodes_count;
	uint8_t uuid[16];
	char label[17];
	bool mounted;	       /* mounted (read-only, or forced) */
	errcode_t primary_err; /* why the primary was not used, if not */
	bool journal_dev;      /* an external journal, not a filesystem */
};

/* Inode numbers and block counts of one walk. */
struct fsread_stats {
	uint64_t inodes_walked;
	uint64_t meta_blocks;
	uint64_t data_blocks;
	uint64_t warnings;
	uint64_t inodes_with_errors;
	uint64_t read_errors;
};

#define FSREAD_MAP_ALL_DATA 0x1 /* also every data block of every file */
/*
 * Scrub: the walk also notes what each mapped block is (directory of
 * which inode, symlink target, xattr block, extent node, inode table,
 * superblock...), for a scrub stage made afterwards with
 * fsread_scrub_new().
 */
#define FSREAD_MAP_SCRUB 0x2
/*
 * Whole inode tables, unused parts and uninitialised groups included:
 * for a raw copy onto a device, whose old bytes would otherwise stay
 * there (as e2image -ra does onto a block device).
 */
#define FSREAD_MAP_WHOLE_ITABLES 0x4

/* What a scrub stage did, so far. */
struct fsread_scrub_report {
	uint64_t names;	       /* directory entry names replaced */
	uint64_t htree_names;  /* of which in hash-indexed directories */
	uint64_t htree_misses; /* no name of that length hashed into its
				  leaf's range: e2fsck will notice */
	uint64_t dup_names;    /* every name of that length was taken */
	uint64_t inline_dirs;
	uint64_t symlinks;	   /* targets replaced: fast, inline, slow */
	uint64_t xattrs;	   /* names replaced (values zeroed) */
	uint64_t xattr_values;	   /* blocks of xattr inodes' values zeroed */
	uint64_t inline_files;	   /* inline file contents zeroed */
	uint64_t journal_scrubbed; /* journal copies scrubbed by content */
	uint64_t journal_zeroed;   /* journal blocks zeroed */
	uint64_t csums;		   /* checksums and hashes computed again */
	uint64_t unparsable;	   /* directory blocks zeroed past damage */
	uint64_t superblocks;	   /* superblock copies scrubbed */
	uint64_t no_role;	   /* blocks with no known role: zeroed */
	uint64_t multi_role;	   /* blocks scrubbed for several roles */
	uint64_t unused_inodes;	   /* unused inodes' block maps zeroed */
	/* Blocks kept verbatim, by why: */
	uint64_t kept_bitmaps;	  /* block and inode bitmaps */
	uint64_t kept_block_maps; /* indirect blocks, reserved GDT blocks */
	uint64_t kept_quota;	  /* quota files (ids and counts) */
	uint64_t kept_orphan;	  /* orphan file blocks (inode numbers) */
	uint64_t kept_data;	  /* file data (-a) */
};

/* What a scrub leaves as it was; by default none of these. */
#define FSREAD_SCRUB_KEEP_DATA 0x01   /* file data captured with -a */
#define FSREAD_SCRUB_KEEP_LABEL 0x02  /* volume label */
#define FSREAD_SCRUB_KEEP_MOUNT 0x04  /* last-mounted path, mount opts */
#define FSREAD_SCRUB_KEEP_ERRORS 0x08 /* error function names */
#define FSREAD_SCRUB_KEEP_MMP 0x10    /* MMP node and device names */
#define FSREAD_SCRUB_KEEP_BOOT 0x20   /* bytes 0-1023 (boot sector) */

struct fsread_scrub;

/*
 * fsread_scrub_new() - a scrub stage for the blocks of @fs's last
 * fsread_map() with FSREAD_MAP_SCRUB, keeping what @keep says
 * (FSREAD_SCRUB_KEEP_*).  Default deny: each block comes out holding
 * only the structure scrubbing understands (names replaced, everything
 * else of it zeroed); a block with no known role comes out zeroed.
 * Blocks must be given once each, in ascending order, by one thread: a
 * new stage for each pass gives the same bytes again.
 */
errcode_t fsread_scrub_new(struct fsread *fs, unsigned keep,
			   struct fsread_scrub **out);
/* Scrub @count blocks at @blk, read with fsread_read(), in place. */
errcode_t fsread_scrub_blocks(struct fsread_scrub *s, uint64_t blk,
			      uint64_t count, void *buf);
void fsread_scrub_get_report(const struct fsread_scrub *s,
			     struct fsread_scrub_report *out);
void fsread_scrub_free(struct fsread_scrub *s); /* NULL-safe */

/* Which filesystem a raw superblock (1024 bytes) belongs to. */
struct fsread_sb_id {
	uint8_t uuid[16];
	unsigned block_size; /* 0: not a valid size */
	uint64_t blocks_count;
};

/*
 * fsread_sb_identify() - decode @sb, the 1024 bytes at byte 1024 of a
 * filesystem, without opening anything: false if it has no ext2/3/4
 * magic.  For telling whether a device or an image holds the same
 * filesystem as another.
 */
bool fsread_sb_identify(const uint8_t *sb, struct fsread_sb_id *id);

/*
 * fsread_open() - open @path read-only.  A read-write mount is refused
 * (FSREAD_ERR_MOUNTED_RW) unless opts->force.  When the primary
 * superblock is unusable and opts->superblock is 0, backups are probed as
 * e2fsck does; fsread_get_info() says which one was used.
 */
errcode_t fsread_open(const char *path, const struct fsread_opts *opts,
		      struct fsread **out);
void fsread_close(struct fsread *fs); /* NULL-safe */
void fsread_get_info(const struct fsread *fs, struct fsread_info *info);

/*
 * fsread_map() - fill @map (initialised by the caller) with the blocks a
 * metadata image needs; with FSREAD_MAP_ALL_DATA also all file data.
 * The map comes back normalized.  Damage is warned about and skipped;
 * only ENOMEM, cancellation and I/O-less failures are returned.
 */
errcode_t fsread_map(struct fsread *fs, unsigned flags, struct extmap *map,
		     struct fsread_stats *stats);

/*
 * fsread_read() - read @count blocks from @blk into @buf.  Unreadable
 * blocks are zero-filled, warned about, counted in @stats (may be NULL)
 * and remembered; the call still succeeds (ENOMEM aside).
 */
errcode_t fsread_read(struct fsread *fs, uint64_t blk, uint64_t count,
		      void *buf, struct fsread_stats *stats);

/*
 * fsread_hole() - whether the source file has a hole at block @blk, so
 * the block reads as zeros without being read; *@n is how many of the
 * @count blocks from @blk are alike (at least one).  False, with *@n =
 * @count, for devices, wherever it cannot be told, and for reads under
 * 64 KiB that fall outside what the last lookup learnt (reading them
 * costs no more than looking).  Not thread-safe.
 */
bool fsread_hole(struct fsread *fs, uint64_t blk, uint64_t count, uint64_t *n);

/*
 * fsread_write_e2i() - write e2image's own image format (superblock,
 * descriptors, inode tables, bitmaps: what dumpe2fs -i and debugfs -i
 * read) to the seekable, empty file @fd.  @device_name and @image_time
 * go into its header.
 */
errcode_t fsread_write_e2i(struct fsread *fs, int fd, const char *device_name,
			   uint64_t image_time);

/* Where an e2image-format file's inode tables start, from its first
 * FSREAD_E2I_HDR_LEN bytes @head. */
#define FSREAD_E2I_HDR_LEN 332
uint64_t fsread_e2i_inode_offset(const uint8_t *head);

/* Do the first 4 bytes of a file, @head, say e2image's own format? */
bool fsread_is_e2i_magic(const uint8_t *head);

/*
 * fsread_unreadable() - every block fsread_read() found unreadable so
 * far, normalized (a block read twice and failing twice is one block).
 */
const struct extmap *fsread_unreadable(struct fsread *fs);

#endif
