/* SPDX-License-Identifier: MIT */
/*
 * fsread_scrub_int.h --- scrubbing's private parts, shared by the
 * fsread_scrub*.c files.
 *
 * Roles are noted while the filesystem is walked (which blocks are
 * directory blocks of which inode, symlink targets, xattr blocks,
 * directory probes), then indexed with the inode tables and the
 * journal's log.  fsread_read() hands every block it reads to
 * fsread_scrub_apply(), which rewrites it by its role.  Only the thread
 * that reads may scrub: the state is not locked.
 */
#ifndef FSREAD_SCRUB_INT_H
#define FSREAD_SCRUB_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "fsread_int.h"

enum scrub_role {
	SCRUB_EA_VALUE = 1, /* data of an xattr inode (ea_inode) */
	SCRUB_DIR,	   /* directory block of @ino */
	SCRUB_SYMLINK,	   /* slow symlink target of @ino (@size bytes) */
	SCRUB_EA_BLOCK,	   /* extended attribute block */
	SCRUB_PROBE,	   /* block e2fsck reads to see if @ino is a dir */
	SCRUB_ITABLE,	   /* inode table of group @ino, from @size */
	SCRUB_KEEP,	   /* superblock, descriptors, bitmaps: never touched,
			      whatever else claims the block */
};

struct scrub_run {
	uint64_t start, count;
	uint64_t size;	/* SYMLINK: target length; ITABLE: table's 1st blk */
	uint32_t ino;	/* owner inode, or group for ITABLE */
	uint8_t role;
};

/* A bytes -> bytes map and a set of bytes: one directory's names. */
struct scrub_names;

/* What one journal block becomes. */
enum journal_action { J_KEEP, J_ZERO, J_DATA, J_DESCRIPTOR, J_COMMIT };

struct journal_block {
	uint64_t pblk;
	uint64_t target;    /* J_DATA: the filesystem block it is a copy of;
			       J_COMMIT: the new transaction checksum */
	uint32_t patch;	    /* J_DESCRIPTOR: first of its tag patches */
	uint32_t npatch;
	uint8_t action;
	bool escaped;	    /* J_DATA: first 4 bytes were the jbd2 magic */
};

/* A tag whose data block changed: its checksum at @offset. */
struct journal_patch {
	uint32_t offset;
	uint32_t csum;
	bool v3;	    /* 32-bit checksum (else 16) */
};

struct fsread_scrub {
	struct fsread *r;
	bool keep_data;	    /* -a: file contents stay */
	struct scrub_run *runs;
	size_t n, cap;
	struct dir_state **dirs; /* open hash by inode */
	size_t dirs_cap, dirs_n;
	struct journal_block *jblocks; /* sorted by pblk */
	size_t jn;
	struct journal_patch *patches;
	size_t npatches;
	bool journal_csum;
	uint32_t journal_seed;
	const struct extmap *meta; /* while planning: metadata blocks */
	struct fsread_scrub_report rep;
};

/* Per-directory state: its names so far, its htree's leaf ranges. */
struct dir_state {
	uint32_t ino;
	uint64_t blocks_left;
	bool loaded, encrypted, casefold, indexed, htree;
	int hash_alg;
	uint32_t hash_flags;
	uint64_t *node_pblk;	/* htree index blocks (left alone) */
	size_t n_nodes;
	struct leaf_range *leaves; /* sorted by pblk */
	size_t n_leaves;
	struct scrub_names *names;
	uint64_t counter;	/* name generator position */
	struct scrub_pool *pools; /* htree: candidates by hash, per length */
};

struct leaf_range {
	uint64_t pblk;
	uint32_t min, max;
};

/* scrub_names.c */
struct scrub_names *scrub_names_new(void);
void scrub_names_free(struct scrub_names *n);
/* The replacement already chosen for @name, or NULL. */
const uint8_t *scrub_names_lookup(struct scrub_names *n, const uint8_t *name,
				  size_t len);
bool scrub_names_used(struct scrub_names *n, const uint8_t *name, size_t len);
/* Remember @name -> @repl (@repl also becomes used); false: no memory. */
bool scrub_names_add(struct scrub_names *n, const uint8_t *name,
		     const uint8_t *repl, size_t len);
/* Reserve @name as used without a mapping ("lost+found"). */
bool scrub_names_reserve(struct scrub_names *n, const uint8_t *name,
			 size_t len);
/* Fill @out with @len generated characters from position *@counter. */
void scrub_gen_chars(uint64_t seed, uint64_t *counter, uint8_t *out,
		     size_t len, bool wide);

/* fsread_scrub_pool.c */
struct scrub_pool;
/* An unused generated name of @len bytes hashing into [@lo, @hi]. */
bool scrub_pool_draw(struct fsread_scrub *s, struct dir_state *d,
		     uint32_t lo, uint32_t hi, uint8_t *out, size_t len);
void scrub_pools_free(struct scrub_pool *p);

/* fsread_scrub_dir.c */
/* A name's hash as directory @d's index computes it. */
uint32_t scrub_name_hash(struct fsread_scrub *s, const struct dir_state *d,
			 const uint8_t *name, size_t len);
/* Replace @name in directory @d (chosen once, then reused), unless it
 * is one that stays. */
void scrub_dir_name(struct fsread_scrub *s, struct dir_state *d,
		    uint64_t pblk, uint8_t *name, size_t len);
struct dir_state *scrub_dir_state(struct fsread_scrub *s, uint32_t ino);
void scrub_dir_done(struct dir_state *d);
/* A directory block of @ino (0: unknown owner) at @pblk. */
void scrub_dir_block(struct fsread_scrub *s, uint32_t ino, uint64_t pblk,
		     uint8_t *buf, bool probe);
/* Dirents packed in @len bytes (inline directories): names only. */
void scrub_dirents(struct fsread_scrub *s, struct dir_state *d, uint8_t *p,
		   size_t len);
void scrub_dirs_free(struct fsread_scrub *s);

/* fsread_scrub_inode.c */
void scrub_itable_block(struct fsread_scrub *s, uint32_t group,
			uint64_t first_blk, uint64_t blk, uint8_t *buf);
/* An xattr block's entries (names, values, hashes, checksum). */
void scrub_ea_block(struct fsread_scrub *s, uint64_t blk, uint8_t *buf);
void scrub_symlink_block(struct fsread_scrub *s, uint32_t ino,
			 uint64_t size, uint8_t *buf);

/* fsread_scrub_journal.c */
errcode_t scrub_journal_plan(struct fsread_scrub *s);
bool scrub_is_journal(struct fsread_scrub *s, uint64_t pblk);
void scrub_journal_block(struct fsread_scrub *s, uint64_t pblk, uint8_t *buf);

/* fsread_scrub.c */
/*
 * Scrub @buf as what lives at filesystem block @blk would be; returns
 * its role, 0 if it has none.  @live: this is the block itself (not a
 * journal copy planned earlier), which a directory counts down.
 */
int scrub_as_fs_block(struct fsread_scrub *s, uint64_t blk, uint8_t *buf,
		      bool live);
/* A journal copy of directory block @blk will come by: keep its names. */
void scrub_count_copy(struct fsread_scrub *s, uint64_t blk);

#endif
