// SPDX-License-Identifier: MIT
/*
 * fsread_scrub_dir.c --- names in directory blocks.
 *
 * Every name becomes a generated one of the same length, unique in its
 * directory; ".", ".." and the root's "lost+found" stay.  Bytes a
 * directory block holds outside its entries' headers and names (space
 * left by deleted entries, which still holds their names; everything
 * past damage) are zeroed.  A hash-indexed directory's index is read as
 * e2fsck -n reads it (entries where the root's info length puts them,
 * counts clamped to the limit, a block an index node when it looks like
 * one), and each new name is drawn until its hash falls on the same
 * side of the range the index gives its leaf as the original's did, so
 * e2fsck finds the same index problems and no others.  Index blocks
 * keep their header and entries; the rest of them (old kernels left the
 * directory's linear entries there) is zeroed.  Encrypted directories'
 * names are ciphertext already and stay.  A block checksum that
 * verified before is computed again after.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fsread_scrub_int.h"

#define DIRENT_HDR 8U
#define TAIL_LEN 12U
#define DX_ROOT_INFO 24U /* after the "." and ".." entries */
#define DX_ROOT_HDR 32U	 /* and the 8 bytes of root info */
/* From this many leaves on, names come from a pool sorted by hash. */
#define POOL_MIN_LEAVES 32
/* Names drawn for one entry before giving up on its htree range. */
#define HTREE_TRIES (1U << 21)

static bool is_dot(const uint8_t *name, size_t len)
{
	return (len == 1 && name[0] == '.') ||
	       (len == 2 && name[0] == '.' && name[1] == '.');
}

/* ----- the directory's state and its hash index ----- */

static void free_state(struct dir_state *d)
{
	if (!d)
		return;
	fsread_scrub_names_free(d->names);
	fsread_scrub_pools_free(d->pools);
	free(d->leaves);
	free(d->runs);
	free(d);
}

static bool map_lblk(struct fsread_scrub *s, uint32_t ino,
		     struct ext2_inode *inode, uint64_t lblk, uint64_t *pblk)
{
	blk64_t p = 0;

	if (ext2fs_bmap2(s->r->fs, ino, inode, NULL, 0, lblk, NULL, &p) || !p ||
	    !fsread_range_ok(s->r, p, 1))
		return false;
	*pblk = p;
	return true;
}

struct dx_walk {
	struct fsread_scrub *s;
	struct dir_state *d;
	uint32_t ino;
	struct ext2_inode *inode;
	unsigned budget; /* index blocks left to read: bounds a cycle */
};

static bool push(void **arr, size_t *n, size_t size)
{
	void *p = realloc(*arr, (*n + 1) * size);

	if (!p)
		return false;
	*arr = p;
	(*n)++;
	return true;
}

/*
 * How many entries of an index at offset @ent of a block are structure:
 * the count, but no more than the limit the block has room for, and no
 * further than the hashes stay in order.  Past that, a damaged count
 * points into bytes that were never an index: old kernels' linear
 * entries, names.
 */
static unsigned dx_used(const struct dir_state *d, unsigned bs, size_t ent,
			const uint8_t *buf)
{
	unsigned expect = (unsigned)((bs - d->csum_size - ent) / 8);
	unsigned count = fsread_le16(buf + ent + 2);
	uint32_t prev = 0;

	if (ent + 8 > bs)
		return 0;
	if (count > expect)
		count = expect;
	for (unsigned i = 0; i < count; i++) {
		const uint8_t *e = buf + ent + 8 * (size_t)i;
		uint32_t hash = i ? fsread_le32(e) & ~1U : 0;

		if (hash < prev)
			return i ? i : 1;
		prev = hash;
	}
	return count ? count : 1; /* the first holds count and limit */
}

/* Does an index node's header fill @buf, as e2fsck tells one? */
static bool looks_like_dx_node(const struct dir_state *d, unsigned bs,
			       const uint8_t *buf)
{
	return fsread_le32(buf) == 0 && fsread_dirent_rec_len(buf, bs) == bs &&
	       buf[6] == 0 &&
	       fsread_le16(buf + DIRENT_HDR) ==
		       (bs - DIRENT_HDR - d->csum_size) / 8;
}

static void dx_entries(struct dx_walk *w, const uint8_t *blk, size_t ent,
		       uint8_t *buf, uint32_t lo, uint32_t hi, unsigned depth);

/*
 * A child's range is its entry's hash up to the next one's; the first
 * and last children inherit the node's own bounds (@lo, @hi), since
 * e2fsck checks an index node by the names of its first and last
 * leaves.  A child is a node when it looks like one.
 */
static void dx_child(struct dx_walk *w, uint64_t lblk, uint32_t min,
		     uint32_t max, uint8_t *buf, unsigned depth)
{
	struct dir_state *d = w->d;
	unsigned bs = w->s->r->fs->blocksize;
	uint64_t pblk;

	if (!map_lblk(w->s, w->ino, w->inode, lblk, &pblk))
		return;
	if (depth < 8 && w->budget &&
	    !io_channel_read_blk64(w->s->r->fs->io, pblk, 1, buf) &&
	    looks_like_dx_node(d, bs, buf)) {
		w->budget--;
		dx_entries(w, buf, DIRENT_HDR, buf + bs, min, max, depth + 1);
		return;
	}
	if (push((void **)&d->leaves, &d->n_leaves, sizeof(*d->leaves)))
		d->leaves[d->n_leaves - 1] =
			(struct leaf_range){ pblk, min, max };
}

static void dx_entries(struct dx_walk *w, const uint8_t *blk, size_t ent,
		       uint8_t *buf, uint32_t lo, uint32_t hi, unsigned depth)
{
	unsigned bs = w->s->r->fs->blocksize;
	unsigned count = dx_used(w->d, bs, ent, blk);
	const uint8_t *p = blk + ent;

	for (unsigned i = 0; i < count; i++) {
		const uint8_t *e = p + 8 * i;
		uint32_t min = i ? fsread_le32(e) & ~1U : lo;
		uint32_t max = i + 1 < count ? fsread_le32(e + 8) & ~1U : hi;
		/* The first entry's block sits where count/limit end. */
		uint64_t lblk = fsread_le32(e + 4) & 0x0fffffffU;

		dx_child(w, lblk, min, max, buf, depth);
	}
}

static int cmp_leaf(const void *a, const void *b)
{
	const struct leaf_range *x = a, *y = b;

	return x->pblk < y->pblk ? -1 : x->pblk > y->pblk;
}

/* Where a root's entries start: after the info, at its stated length. */
static size_t dx_root_entries(const uint8_t *buf)
{
	return DX_ROOT_INFO + buf[DX_ROOT_INFO + 5];
}

bool fsread_scrub_dir_add_run(struct dir_state *d, size_t i)
{
	if (!push((void **)&d->runs, &d->n_runs, sizeof(*d->runs)))
		return false;
	d->runs[d->n_runs - 1] = i;
	return true;
}

/*
 * Every name the directory's blocks hold, reserved before any is
 * replaced: a replacement drawn at random must never read as another of
 * its original names (in a big directory of short names it would).
 */
static void reserve_block(struct fsread_scrub *s, struct dir_state *d,
			  const uint8_t *buf, unsigned bs)
{
	size_t off = 0;

	while (off + DIRENT_HDR <= bs) {
		unsigned rec = fsread_dirent_rec_len(buf + off, bs);
		unsigned len = buf[off + 6];

		if (rec < DIRENT_HDR || rec % 4 || rec > bs - off ||
		    len > rec - DIRENT_HDR)
			break;
		if (len && !is_dot(buf + off + DIRENT_HDR, len) &&
		    !fsread_scrub_names_reserve(d->names,
						buf + off + DIRENT_HDR, len))
			s->fatal = ENOMEM;
		off += rec;
	}
}

/* Blocks read at a time (a run of a directory usually is one extent). */
#define RESERVE_READ 32U

static void reserve_originals(struct fsread_scrub *s, struct dir_state *d)
{
	unsigned bs = s->r->fs->blocksize;
	uint8_t *buf = malloc((size_t)bs * RESERVE_READ);

	for (size_t k = 0; buf && k < d->n_runs; k++) {
		const struct scrub_run *run = &s->roles->runs[d->runs[k]];

		for (uint64_t b = 0; b < run->count; b += RESERVE_READ) {
			uint64_t n = run->count - b < RESERVE_READ
					     ? run->count - b
					     : RESERVE_READ;

			if (io_channel_read_blk64(s->r->fs->io, run->start + b,
						  (int)n, buf))
				continue;
			for (uint64_t i = 0; i < n; i++)
				reserve_block(s, d, buf + i * bs, bs);
		}
	}
	free(buf);
}

/* Read the directory's inode and, for an htree, its index. */
static void load_state(struct fsread_scrub *s, struct dir_state *d)
{
	ext2_filsys fs = s->r->fs;
	unsigned bs = fs->blocksize;
	struct ext2_inode inode;
	uint8_t *buf;

	d->loaded = true;
	reserve_originals(s, d);
	if (!d->ino || ext2fs_read_inode(fs, d->ino, &inode))
		return;
	d->encrypted = (inode.i_flags & EXT4_ENCRYPT_FL) &&
		       ext2fs_has_feature_encrypt(fs->super);
	d->casefold = inode.i_flags & EXT4_CASEFOLD_FL;
	d->hash_flags = inode.i_flags & EXT4_CASEFOLD_FL;
	d->csum_size = ext2fs_has_feature_metadata_csum(fs->super) ? 8 : 0;
	/* e2fsck -n reads the index even without the dir_index feature. */
	if (!(inode.i_flags & EXT2_INDEX_FL) ||
	    (inode.i_flags & EXT4_INLINE_DATA_FL))
		return;
	/* Blocks for the root and one per level below it. */
	buf = malloc((size_t)bs * 10);
	if (!buf || !map_lblk(s, d->ino, &inode, 0, &d->root) ||
	    io_channel_read_blk64(fs->io, d->root, 1, buf)) {
		free(buf);
		d->root = 0;
		return;
	}
	d->indexed = true;
	d->hash_alg = buf[DX_ROOT_INFO + 4];
	if (d->hash_alg <= EXT2_HASH_TEA &&
	    (fs->super->s_flags & EXT2_FLAGS_UNSIGNED_HASH))
		d->hash_alg += 3;
	if (dx_root_entries(buf) + 8 <= bs) {
		struct dx_walk w = { s, d, d->ino, &inode, 4096 };

		d->htree = true;
		dx_entries(&w, buf, dx_root_entries(buf), buf + bs, 0,
			   0xfffffffeU, 0);
	}
	free(buf);
	if (d->n_leaves)
		qsort(d->leaves, d->n_leaves, sizeof(*d->leaves), cmp_leaf);
}

static size_t slot_of(struct fsread_scrub *s, uint32_t ino)
{
	size_t i = (ino * 2654435761U) & (s->dirs_cap - 1);

	while (s->dirs[i] && s->dirs[i]->ino != ino)
		i = (i + 1) & (s->dirs_cap - 1);
	return i;
}

static bool grow_dirs(struct fsread_scrub *s)
{
	size_t old_cap = s->dirs_cap;
	struct dir_state **old = s->dirs;

	s->dirs_cap = old_cap ? old_cap * 2 : 64;
	s->dirs = calloc(s->dirs_cap, sizeof(*s->dirs));
	if (!s->dirs) {
		s->dirs = old;
		s->dirs_cap = old_cap;
		return false;
	}
	for (size_t i = 0; i < old_cap; i++)
		if (old[i])
			s->dirs[slot_of(s, old[i]->ino)] = old[i];
	free(old);
	return true;
}

/* The state of directory @ino, made on first use (NULL: no memory). */
struct dir_state *fsread_scrub_dir_state(struct fsread_scrub *s, uint32_t ino)
{
	struct dir_state *d;
	size_t i;

	if ((s->dirs_n + 1) * 2 > s->dirs_cap && !grow_dirs(s))
		return NULL;
	i = slot_of(s, ino);
	if (s->dirs[i])
		return s->dirs[i];
	d = calloc(1, sizeof(*d));
	if (!d || !(d->names = fsread_scrub_names_new())) {
		free(d);
		return NULL;
	}
	d->ino = ino;
	if (ino == EXT2_ROOT_INO)
		fsread_scrub_names_reserve(d->names,
					   (const uint8_t *)"lost+found", 10);
	s->dirs[i] = d;
	s->dirs_n++;
	return d;
}

void fsread_scrub_dirs_free(struct fsread_scrub *s)
{
	for (size_t i = 0; i < s->dirs_cap; i++)
		free_state(s->dirs[i]);
	free(s->dirs);
	s->dirs = NULL;
	s->dirs_cap = s->dirs_n = 0;
}

/*
 * A directory whose every block has been through: its names are no
 * longer needed (the journal's copies were scrubbed first, in the plan).
 * Its slot stays, emptied of names, so the table needs no deletion.
 */
void fsread_scrub_dir_done(struct dir_state *d)
{
	if (d->blocks_left && --d->blocks_left == 0) {
		fsread_scrub_names_free(d->names);
		d->names = fsread_scrub_names_new();
		fsread_scrub_pools_free(d->pools);
		d->pools = NULL;
		free(d->leaves);
		d->leaves = NULL;
		d->n_leaves = 0;
	}
}

static const struct leaf_range *leaf_of(const struct dir_state *d,
					uint64_t pblk)
{
	struct leaf_range key = { pblk, 0, 0 };

	return d->n_leaves ? bsearch(&key, d->leaves, d->n_leaves, sizeof(key),
				     cmp_leaf)
			   : NULL;
}

uint32_t fsread_scrub_name_hash(struct fsread_scrub *s,
				const struct dir_state *d, const uint8_t *name,
				size_t len)
{
	ext2_filsys fs = s->r->fs;
	ext2_dirhash_t h = 0;

	if (ext2fs_dirhash2(d->hash_alg, (const char *)name, (int)len,
			    fs->encoding, (int)d->hash_flags,
			    fs->super->s_hash_seed, &h, NULL))
		return 0;
	return h;
}

/* Where @h lies against @leaf's range: below (-1), in (0), above (1). */
static int side_of(const struct leaf_range *leaf, uint32_t h)
{
	return h < leaf->min ? -1 : h > leaf->max ? 1 : 0;
}

/*
 * Draw names until one is free and, for an htree leaf, hashes to the
 * same side of the leaf's range as the original did (inside, normally;
 * outside where the directory was already damaged, so e2fsck still
 * reports the leaf).
 */
/* How many draws to spend on a range: ~32 times the expected number. */
static uint64_t htree_budget(const struct leaf_range *leaf, int side)
{
	uint64_t width = side == 0  ? (uint64_t)leaf->max - leaf->min + 1
			 : side < 0 ? leaf->min
				    : 0xffffffffULL - leaf->max;
	uint64_t tries;

	if (!width)
		return 0;
	tries = 32 * ((1ULL << 32) / width) + 64;
	return tries < HTREE_TRIES ? tries : HTREE_TRIES;
}

/* Well-formed UTF-8 (what a casefolded directory demands of names)? */
static bool valid_utf8(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned n = p[i] < 0x80	     ? 0
			     : (p[i] & 0xe0) == 0xc0 ? 1
			     : (p[i] & 0xf0) == 0xe0 ? 2
			     : (p[i] & 0xf8) == 0xf0 ? 3
						     : 9;

		if (n == 9 || (n && (p[i] == 0xc0 || p[i] == 0xc1)) ||
		    i + n >= len + (n ? 0 : 1))
			return false;
		for (unsigned k = 1; k <= n; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
		i += n + 1;
	}
	return true;
}

/*
 * What e2fsck judges a name by besides its bytes: '/' and NUL (illegal
 * anywhere) stay where they were, and a casefolded directory's name that
 * was not UTF-8 keeps a non-UTF-8 byte where it had bytes above 0x7f.
 */
static void keep_shape(const struct dir_state *d, const uint8_t *orig,
		       uint8_t *cand, size_t len, bool bad_utf8)
{
	for (size_t i = 0; i < len; i++) {
		if (orig[i] == '/' || orig[i] == 0)
			cand[i] = orig[i];
		else if (bad_utf8 && d->casefold && orig[i] >= 0x80)
			cand[i] = 0xff;
	}
}

static void draw(struct fsread_scrub *s, struct dir_state *d,
		 const struct leaf_range *leaf, int side, const uint8_t *orig,
		 uint8_t *out, size_t len)
{
	bool bad_utf8 = d->casefold && !valid_utf8(orig, len);
	uint8_t cand[256];
	bool have_free = false;
	uint64_t hashed = 0, budget = leaf ? htree_budget(leaf, side) : 0;

	/* Lower case and digits first; more characters only if those are
	 * all taken at this length. */
	for (unsigned wide = 0; wide < 2 && !have_free; wide++) {
		for (uint64_t t = 0; t < 4096 + budget; t++) {
			fsread_scrub_gen_chars(d->ino, &d->counter, cand, len,
					       wide && !d->casefold);
			keep_shape(d, orig, cand, len, bad_utf8);
			if (is_dot(cand, len) ||
			    fsread_scrub_names_used(d->names, cand, len))
				continue;
			if (!have_free) {
				memcpy(out, cand, len);
				have_free = true;
			}
			if (!leaf || hashed++ >= budget)
				break;
			if (side_of(leaf, fsread_scrub_name_hash(
						  s, d, cand, len)) == side) {
				memcpy(out, cand, len);
				return;
			}
		}
	}
	if (have_free) {
		if (leaf)
			s->rep.htree_misses++;
		return;
	}
	/* Every name of this length is taken: share one (counted). */
	fsread_scrub_gen_chars(d->ino, &d->counter, out, len, !d->casefold);
	keep_shape(d, orig, out, len, bad_utf8);
	s->rep.dup_names++;
}

/*
 * A leaf's name from the directory's pool, where the original's shape
 * (see keep_shape) puts no bytes in place and its side of the range can
 * be hit at all.
 */
static bool from_pool(struct fsread_scrub *s, struct dir_state *d,
		      const struct leaf_range *leaf, const uint8_t *orig,
		      uint8_t *out, size_t len)
{
	int side;

	/* Few leaves: drawing until a hash fits costs about as many hashes
	 * as there are leaves, less than building a pool. */
	if (d->n_leaves < POOL_MIN_LEAVES)
		return false;
	if (memchr(orig, '/', len) || memchr(orig, 0, len) ||
	    (d->casefold && !valid_utf8(orig, len)))
		return false;
	side = side_of(leaf, fsread_scrub_name_hash(s, d, orig, len));
	if (side < 0)
		return leaf->min &&
		       fsread_scrub_pool_draw(s, d, 0, leaf->min - 1, out, len);
	if (side > 0)
		return leaf->max != UINT32_MAX &&
		       fsread_scrub_pool_draw(s, d, leaf->max + 1, UINT32_MAX,
					      out, len);
	return fsread_scrub_pool_draw(s, d, leaf->min, leaf->max, out, len);
}

void fsread_scrub_dir_name(struct fsread_scrub *s, struct dir_state *d,
			   uint64_t pblk, uint8_t *name, size_t len)
{
	const struct leaf_range *leaf;
	const uint8_t *prev;
	uint8_t repl[256];

	if (!len || is_dot(name, len) ||
	    (d->ino == EXT2_ROOT_INO && len == 10 &&
	     !memcmp(name, "lost+found", 10)))
		return;
	prev = fsread_scrub_names_lookup(d->names, name, len);
	if (prev) {
		memcpy(name, prev, len);
		s->rep.names++;
		return;
	}
	leaf = d->htree ? leaf_of(d, pblk) : NULL;
	if (!leaf || !from_pool(s, d, leaf, name, repl, len))
		draw(s, d, leaf,
		     leaf ? side_of(leaf,
				    fsread_scrub_name_hash(s, d, name, len))
			  : 0,
		     name, repl, len);
	if (!fsread_scrub_names_add(d->names, name, repl, len))
		s->fatal = ENOMEM;
	memcpy(name, repl, len);
	s->rep.names++;
	if (leaf)
		s->rep.htree_names++;
}

/* ----- directory blocks ----- */

/* A chain of directory entries over @len bytes? */
static bool entries_cover(const uint8_t *p, unsigned len, unsigned bs)
{
	size_t off = 0;

	while (off + DIRENT_HDR <= len) {
		unsigned rec = fsread_dirent_rec_len(p + off, bs);

		if (rec < DIRENT_HDR || rec % 4 || rec > len - off ||
		    p[off + 6] > rec - DIRENT_HDR)
			return false;
		off += rec;
	}
	return off == len;
}

bool fsread_scrub_looks_like_dir(const uint8_t *p, unsigned bs)
{
	return entries_cover(p, bs, bs) ||
	       (entries_cover(p, bs - TAIL_LEN, bs) &&
		fsread_le16(p + bs - 8) == TAIL_LEN);
}

static bool has_tail(const uint8_t *buf, unsigned bs)
{
	const uint8_t *t = buf + bs - TAIL_LEN;

	return fsread_le32(t) == 0 && fsread_le16(t + 4) == TAIL_LEN &&
	       t[6] == 0 && t[7] == 0xde;
}

/*
 * Entries from @p over @len bytes, rec_len by rec_len.  Stops at the
 * first entry that does not fit, after zeroing what follows its header:
 * past damage, nothing says where names are.
 */
static void scrub_entries(struct fsread_scrub *s, struct dir_state *d,
			  uint64_t pblk, uint8_t *p, size_t len, unsigned bs,
			  size_t tail_at)
{
	size_t off = 0;

	/* A checksum tail counts only where the entries end on it. */
	while (off + DIRENT_HDR <= len && off != tail_at) {
		uint8_t *e = p + off;
		unsigned rec = fsread_dirent_rec_len(e, bs);
		/* The low byte, as libext2fs reads it: the high one is the
		 * file type (or, without that feature, damage). */
		unsigned name_len = e[6];
		size_t keep = name_len;

		if (rec < DIRENT_HDR || rec % 4 || rec > len - off ||
		    name_len > rec - DIRENT_HDR) {
			memset(e + DIRENT_HDR, 0, len - off - DIRENT_HDR);
			s->rep.unparsable++;
			return;
		}
		if (is_dot(e + DIRENT_HDR, name_len)) {
			/* e2fsck wants NUL after "." and "..": their padding
			 * stays, as it was. */
			keep = (name_len + 3) & ~3U;
		} else if (d->encrypted && d->casefold) {
			/* Ciphertext, then the name's hash (8 bytes). */
			keep = ((name_len + 3) & ~3U) + 8;
		} else if (!d->encrypted) {
			fsread_scrub_dir_name(s, d, pblk, e + DIRENT_HDR,
					      name_len);
		}
		if (keep < rec - DIRENT_HDR)
			memset(e + DIRENT_HDR + keep, 0,
			       rec - DIRENT_HDR - keep);
		off += rec;
	}
}

void fsread_scrub_dirents(struct fsread_scrub *s, struct dir_state *d,
			  uint8_t *p, size_t len)
{
	scrub_entries(s, d, 0, p, len, s->r->fs->blocksize, SIZE_MAX);
}

/* An index block: header, the entries e2fsck reads, the checksum tail
 * where the limit puts it; nothing else. */
static void scrub_dx_block(const struct dir_state *d, uint8_t *buf, unsigned bs,
			   size_t hdr, size_t ent)
{
	size_t used = ent + 8 * (size_t)dx_used(d, bs, ent, buf);
	size_t tail = ent + 8 * (size_t)fsread_le16(buf + ent);

	if (used > bs)
		used = bs;
	memset(buf + hdr, 0, ent > hdr ? ent - hdr : 0);
	if (d->csum_size && tail >= used && tail + d->csum_size <= bs) {
		memset(buf + used, 0, tail - used);
		memset(buf + tail + d->csum_size, 0, bs - tail - d->csum_size);
	} else {
		memset(buf + used, 0, bs - used);
	}
}

void fsread_scrub_dir_block(struct fsread_scrub *s, uint32_t ino, uint64_t pblk,
			    uint8_t *buf, bool probe)
{
	ext2_filsys fs = s->r->fs;
	unsigned bs = fs->blocksize;
	bool csum_ok;
	struct dir_state *d = fsread_scrub_dir_state(s, ino);

	if (!d) {
		s->fatal = ENOMEM;
		return;
	}
	if (!d->loaded)
		load_state(s, d);
	/* A probed block that does not start with "." is no directory. */
	if (probe && !(buf[6] == 1 && buf[8] == '.')) {
		if (!s->keep_data && !s->shared)
			memset(buf, 0, bs);
		return;
	}
	csum_ok = ino && ext2fs_has_feature_metadata_csum(fs->super) &&
		  ext2fs_dir_block_csum_verify(fs, ino,
					       (struct ext2_dir_entry *)buf);
	if (d->indexed && pblk == d->root &&
	    fsread_dirent_rec_len(buf + 12, bs) == bs - 12 &&
	    DX_ROOT_HDR <= dx_root_entries(buf) &&
	    dx_root_entries(buf) + 8 <= bs) {
		/* "." and "..", whose rec_len spans the index after it. */
		for (size_t off = 0; off < DX_ROOT_INFO; off += 12) {
			size_t n = buf[off + 6] < 4 ? buf[off + 6] : 4;

			if (!is_dot(buf + off + DIRENT_HDR, n))
				fsread_scrub_dir_name(
					s, d, pblk, buf + off + DIRENT_HDR, n);
		}
		scrub_dx_block(d, buf, bs, DX_ROOT_HDR, dx_root_entries(buf));
	} else if (d->indexed && pblk != d->root &&
		   looks_like_dx_node(d, bs, buf)) {
		scrub_dx_block(d, buf, bs, DIRENT_HDR, DIRENT_HDR);
	} else {
		scrub_entries(s, d, pblk, buf, bs, bs,
			      has_tail(buf, bs) ? bs - TAIL_LEN : SIZE_MAX);
	}
	if (csum_ok) {
		ext2fs_dir_block_csum_set(fs, ino,
					  (struct ext2_dir_entry *)buf);
		s->rep.csums++;
	}
}
