/* SPDX-License-Identifier: MIT */
/*
 * fsread_scrub_int.h --- scrubbing's private parts, shared by the
 * fsread_scrub*.c files.
 *
 * Roles are noted while the filesystem is walked (fsread_scrub_roles.c).
 * A scrub stage (struct fsread_scrub) plans the journal's log when it
 * is made, then rewrites each block it is given by every role the block
 * has: default deny, each role's code builds the block from the parts
 * it understands and zeroes the rest.  Only one thread may scrub: the
 * state is not locked.
 */
#ifndef FSREAD_SCRUB_INT_H
#define FSREAD_SCRUB_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "fsread_int.h"

/* A bytes -> bytes map and a set of bytes: one directory's names. */
struct scrub_names;

/* What one journal block becomes. */
enum journal_action {
	J_ZERO,
	J_SUPER,
	J_DATA,
	J_DESCRIPTOR,
	J_COMMIT,
	J_REVOKE,
};

/* How a copy is scrubbed: judged by its own bytes, or by its home
 * block where the layout fixes what that is. */
enum copy_kind {
	COPY_ZERO,
	COPY_HOME,
	COPY_EXTENT,
	COPY_XATTR,
	COPY_DIR,
	COPY_BLOCK_MAP
};

struct journal_block {
	uint64_t pblk;
	uint64_t target; /* J_DATA: the filesystem block it is a copy of;
			    J_DESCRIPTOR: where its tags end */
	uint32_t patch;	 /* J_DESCRIPTOR: first of its tag patches */
	uint32_t npatch;
	uint32_t ino; /* J_DATA: the copy's owner, if known */
	uint32_t crc; /* J_COMMIT: the new v1 transaction checksum */
	uint8_t action;
	uint8_t kind; /* J_DATA: enum copy_kind */
	bool escaped; /* J_DATA: first 4 bytes were the jbd2 magic */
	bool crc_v1;  /* J_COMMIT: crc holds a new v1 checksum */
};

/* A tag whose data block changed: its checksum at @offset. */
struct journal_patch {
	uint32_t offset;
	uint32_t csum;
	bool v3; /* 32-bit checksum (else 16) */
};

struct fsread_scrub {
	struct fsread *r;
	const struct scrub_roles *roles;
	unsigned keep;	     /* FSREAD_SCRUB_KEEP_* */
	bool keep_data;	     /* -a: file contents stay */
	errcode_t fatal;     /* ENOMEM */
	uint8_t *mask;	     /* a block's worth: which bytes are structure */
	uint8_t *inode_copy; /* a block's worth: an inode as it was */
	bool shared;	     /* the block being scrubbed has other roles too:
				a role that finds it is not what it expects
				leaves it to them rather than zeroing it */
	struct dir_state **dirs; /* open hash by inode */
	size_t dirs_cap, dirs_n;
	struct journal_block *jblocks; /* sorted by pblk */
	size_t jn;
	struct journal_patch *patches;
	size_t npatches;
	bool journal_csum;   /* v2/v3 block checksums */
	bool journal_v1_sum; /* v1 whole-transaction checksums */
	uint32_t journal_seed;
	struct fsread_scrub_report rep;
};

/* Per-directory state: its names so far, its htree's leaf ranges. */
struct dir_state {
	uint32_t ino;
	uint64_t blocks_left;
	bool loaded, encrypted, casefold, indexed, htree;
	int hash_alg;
	uint32_t hash_flags;
	uint64_t root;		   /* block 0, the index's root */
	unsigned csum_size;	   /* of an index block's tail: 0 or 8 */
	struct leaf_range *leaves; /* sorted by pblk */
	size_t n_leaves;
	struct scrub_names *names;
	uint64_t counter;	  /* name generator position */
	struct scrub_pool *pools; /* htree: candidates by hash, per length */
	size_t *runs;		  /* its DIR runs in the role table */
	size_t n_runs;
};

struct leaf_range {
	uint64_t pblk;
	uint32_t min, max;
};

/* scrub_names.c */
struct scrub_names *fsread_scrub_names_new(void);
void fsread_scrub_names_free(struct scrub_names *n);
/* The replacement already chosen for @name, or NULL. */
const uint8_t *fsread_scrub_names_lookup(struct scrub_names *n,
					 const uint8_t *name, size_t len);
bool fsread_scrub_names_used(struct scrub_names *n, const uint8_t *name,
			     size_t len);
/* Remember @name -> @repl (@repl also becomes used); false: no memory. */
bool fsread_scrub_names_add(struct scrub_names *n, const uint8_t *name,
			    const uint8_t *repl, size_t len);
/* Reserve @name as used without a mapping ("lost+found"). */
bool fsread_scrub_names_reserve(struct scrub_names *n, const uint8_t *name,
				size_t len);
/* Fill @out with @len generated characters from position *@counter. */
void fsread_scrub_gen_chars(uint64_t seed, uint64_t *counter, uint8_t *out,
			    size_t len, bool wide);

/* fsread_scrub_pool.c */
struct scrub_pool;
/* An unused generated name of @len bytes hashing into [@lo, @hi]. */
bool fsread_scrub_pool_draw(struct fsread_scrub *s, struct dir_state *d,
			    uint32_t lo, uint32_t hi, uint8_t *out, size_t len);
void fsread_scrub_pools_free(struct scrub_pool *p);

/* fsread_scrub_dir.c */
/* A name's hash as directory @d's index computes it. */
uint32_t fsread_scrub_name_hash(struct fsread_scrub *s,
				const struct dir_state *d, const uint8_t *name,
				size_t len);
/* Replace @name in directory @d (chosen once, then reused), unless it
 * is one that stays. */
void fsread_scrub_dir_name(struct fsread_scrub *s, struct dir_state *d,
			   uint64_t pblk, uint8_t *name, size_t len);
struct dir_state *fsread_scrub_dir_state(struct fsread_scrub *s, uint32_t ino);
void fsread_scrub_dir_done(struct dir_state *d);
/* Note run @i of the role table as one of @d's directory blocks. */
bool fsread_scrub_dir_add_run(struct dir_state *d, size_t i);
/* A directory block of @ino (0: unknown owner) at @pblk. */
void fsread_scrub_dir_block(struct fsread_scrub *s, uint32_t ino, uint64_t pblk,
			    uint8_t *buf, bool probe);
/* Does block @p read as directory entries (with a checksum tail)? */
bool fsread_scrub_looks_like_dir(const uint8_t *p, unsigned bs);
/* Dirents packed in @len bytes (inline directories): names only. */
void fsread_scrub_dirents(struct fsread_scrub *s, struct dir_state *d,
			  uint8_t *p, size_t len);
void fsread_scrub_dirs_free(struct fsread_scrub *s);

/* fsread_scrub_layout.c: superblocks, descriptors, MMP, extent nodes */
void fsread_scrub_super_block(struct fsread_scrub *s, uint8_t *buf,
			      size_t sb_at);
void fsread_scrub_desc_block(struct fsread_scrub *s, uint64_t index,
			     uint8_t *buf);
void fsread_scrub_mmp_block(struct fsread_scrub *s, uint8_t *buf);
/* An extent node of @ino (0: owner unknown, checksum left). */
void fsread_scrub_extent_block(struct fsread_scrub *s, uint32_t ino,
			       uint64_t blk, uint8_t *buf);
/*
 * Zero every run of at least SCRUB_TEXT_RUN printable bytes of four
 * values or more in @buf: for structures kept as they are (bitmaps,
 * quota files), where such a run is no number nor pattern of bits but
 * what a name or a file left behind.  How many bytes went.
 */
#define SCRUB_TEXT_RUN 6
size_t fsread_scrub_text_runs(uint8_t *buf, size_t len);
/* Could these 4 bytes be (part of) a name or a path? */
bool fsread_scrub_could_be_text(const uint8_t *p);
/*
 * A block of 32-bit numbers below @limit (block numbers, inode numbers):
 * those stay, and so does other binary junk e2fsck prints as a number;
 * a word that could be text becomes all-ones, as wrong as before.
 */
void fsread_scrub_block_numbers(struct fsread_scrub *s, uint8_t *buf,
				size_t len, uint64_t limit);
/* Extent header and entries in @len bytes, the rest zeroed: true if
 * anything changed. */
bool fsread_scrub_extent_node(uint8_t *p, size_t len, size_t tail);

/* fsread_scrub_inode.c */
void fsread_scrub_itable_block(struct fsread_scrub *s, uint32_t group,
			       uint64_t first_blk, uint64_t blk, uint8_t *buf);
/* An xattr block's entries (names, values, hashes, checksum). */
void fsread_scrub_ea_block(struct fsread_scrub *s, uint64_t blk, uint8_t *buf);
void fsread_scrub_symlink_block(struct fsread_scrub *s, uint32_t ino,
				uint64_t size, uint8_t *buf);

/* fsread_scrub_journal.c */
errcode_t fsread_scrub_journal_plan(struct fsread_scrub *s);
bool fsread_scrub_is_journal(struct fsread_scrub *s, uint64_t pblk);
void fsread_scrub_journal_block(struct fsread_scrub *s, uint64_t pblk,
				uint8_t *buf);

/* fsread_scrub.c */
/*
 * Scrub @buf as what lives at filesystem block @blk is, by every role it
 * has; returns the strongest, 0 if it has none (then @buf is left for
 * the caller to zero).  @live: this is the block itself (not a journal
 * copy planned earlier), which a directory counts down.
 */
int fsread_scrub_as_fs_block(struct fsread_scrub *s, uint64_t blk, uint8_t *buf,
			     bool live);
/* The strongest role of block @blk (and its run), 0 if none. */
int fsread_scrub_role_of(const struct fsread_scrub *s, uint64_t blk,
			 const struct scrub_run **run);
/* A journal copy of directory block @blk will come by: keep its names. */
void fsread_scrub_count_copy(struct fsread_scrub *s, uint64_t blk);

#endif
