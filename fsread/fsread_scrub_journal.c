// SPDX-License-Identifier: MIT
/*
 * fsread_scrub_journal.c --- names in the journal.
 *
 * The journal holds copies of metadata blocks, directory blocks and
 * inode tables among them.  The live log (from s_start, transaction by
 * transaction, as replay would read it) is walked once when the map is
 * made: each copy is scrubbed as the block it is a copy of would be, and
 * where its tag carried a checksum that held, the new checksum is noted
 * for the descriptor block (and the descriptor's own tail checksum
 * computed again).  Copies of blocks that are neither scrubbed nor other
 * metadata (file data, in data=journal mode) are zeroed, and so is
 * everything outside the live log: old transactions are never replayed,
 * and nothing says what their blocks were.  The journal superblock, and
 * descriptor, commit and revoke blocks of the live log, stay.  An
 * external journal device has no filesystem to say what a copy is: all
 * of its copies are zeroed.  All journal fields are big-endian.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fsread_scrub_int.h"

#define JBD2_MAGIC 0xc03b3998U
enum {
	JBD2_DESCRIPTOR = 1, JBD2_COMMIT = 2, JBD2_SB_V1 = 3, JBD2_SB_V2 = 4,
	JBD2_REVOKE = 5,
};
#define JBD2_COMPAT_CHECKSUM 0x1U
#define JBD2_CRC32_CHKSUM 1
#define JBD2_CRC32_CHKSUM_SIZE 4
#define JBD2_INCOMPAT_64BIT 0x2U
#define JBD2_INCOMPAT_CSUM_V2 0x8U
#define JBD2_INCOMPAT_CSUM_V3 0x10U
#define JBD2_INCOMPAT_FAST_COMMIT 0x20U
#define JBD2_FLAG_ESCAPE 1U
#define JBD2_FLAG_SAME_UUID 2U
#define JBD2_FLAG_LAST_TAG 8U
#define JBD2_DEFAULT_FC_BLOCKS 256U

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

struct log {
	struct fsread_scrub *s;
	const struct extmap *meta;
	bool external;
	uint32_t ino;
	struct ext2_inode inode;
	uint64_t nblocks;	/* journal length in blocks */
	uint64_t *pblk;		/* logical -> physical, 0: unmapped */
	uint32_t first, last;	/* the log area [first, last) */
	uint32_t incompat;
	bool crc32_v1;		/* commit blocks sum the transaction */
	uint32_t crc_old, crc_new; /* that sum, as it was and as it will be */
	uint8_t *buf, *copy;
};

static int cmp_jblock(const void *a, const void *b)
{
	const struct journal_block *x = a, *y = b;

	return x->pblk < y->pblk ? -1 : x->pblk > y->pblk;
}

static struct journal_block *jblock(struct fsread_scrub *s, uint64_t pblk)
{
	struct journal_block key = { .pblk = pblk };

	return s->jn ? bsearch(&key, s->jblocks, s->jn, sizeof(key),
			       cmp_jblock)
		     : NULL;
}

/* Every block of the journal, zeroed unless the walk says otherwise. */
static errcode_t map_journal(struct log *g)
{
	struct fsread_scrub *s = g->s;
	ext2_filsys fs = s->r->fs;

	if (g->external) {
		g->nblocks = ext2fs_blocks_count(fs->super);
	} else {
		if (ext2fs_read_inode(fs, g->ino, &g->inode))
			return 0;
		g->nblocks = EXT2_I_SIZE(&g->inode) / fs->blocksize;
	}
	if (!g->nblocks || g->nblocks > (1ULL << 32))
		return 0;
	g->pblk = calloc(g->nblocks, sizeof(*g->pblk));
	s->jblocks = calloc(g->nblocks, sizeof(*s->jblocks));
	if (!g->pblk || !s->jblocks)
		return ENOMEM;
	for (uint64_t l = 0; l < g->nblocks; l++) {
		blk64_t p = l;

		if (!g->external &&
		    (ext2fs_bmap2(fs, g->ino, &g->inode, NULL, 0, l, NULL,
				  &p) ||
		     !fsread_range_ok(s->r, p, 1)))
			p = 0;
		g->pblk[l] = p;
		if (p)
			s->jblocks[s->jn++] = (struct journal_block){
				.pblk = p, .action = J_ZERO };
	}
	if (s->jn)
		qsort(s->jblocks, s->jn, sizeof(*s->jblocks), cmp_jblock);
	return 0;
}

static struct journal_block *at(struct log *g, uint64_t l)
{
	return l < g->nblocks && g->pblk[l] ? jblock(g->s, g->pblk[l]) : NULL;
}

static bool read_log(struct log *g, uint64_t l, uint8_t *buf)
{
	return l < g->nblocks && g->pblk[l] &&
	       !io_channel_read_blk64(g->s->r->fs->io, g->pblk[l], 1, buf);
}

static uint32_t tag_csum(struct fsread_scrub *s, uint32_t seq,
			 const uint8_t *data, unsigned bs)
{
	uint8_t be_seq[4];

	put_be32(be_seq, seq);
	return ext2fs_crc32c_le(ext2fs_crc32c_le(s->journal_seed, be_seq, 4),
				data, bs);
}

static bool add_patch(struct fsread_scrub *s, uint32_t offset, uint32_t csum,
		      bool v3)
{
	struct journal_patch *p = realloc(
		s->patches, (s->npatches + 1) * sizeof(*s->patches));

	if (!p)
		return false;
	s->patches = p;
	s->patches[s->npatches++] = (struct journal_patch){ offset, csum, v3 };
	return true;
}

/*
 * One copy: scrub it as its target, decide what becomes of it, and note
 * a new checksum for its tag (at @tag in descriptor @d) if it held.
 */
static void plan_copy(struct log *g, struct journal_block *d,
		      const uint8_t *tag, size_t tag_off, uint64_t l,
		      uint64_t target, bool escaped, uint32_t seq)
{
	struct fsread_scrub *s = g->s;
	unsigned bs = s->r->fs->blocksize;
	struct journal_block *jb = at(g, l);
	bool v3 = g->incompat & JBD2_INCOMPAT_CSUM_V3;
	uint32_t stored, before, after;
	int role = 0;

	if (!jb || !read_log(g, l, g->copy))
		return;
	jb->target = target;
	jb->escaped = escaped;
	before = tag_csum(s, seq, g->copy, bs);
	g->crc_old = ext2fs_crc32_be(g->crc_old, g->copy, bs);
	if (escaped)
		put_be32(g->copy, JBD2_MAGIC);
	if (!g->external)
		role = scrub_as_fs_block(s, target, g->copy, false);
	if (role) {
		jb->action = J_DATA;
		if (role == SCRUB_DIR)
			scrub_count_copy(s, target);
	} else if (!g->external && s->meta &&
		   extmap_contains(s->meta, target)) {
		jb->action = J_KEEP;
	} else {
		jb->action = J_ZERO;
		memset(g->copy, 0, bs);
	}
	if (escaped && be32(g->copy) == JBD2_MAGIC)
		memset(g->copy, 0, 4);
	g->crc_new = ext2fs_crc32_be(g->crc_new, g->copy, bs);
	if (!s->journal_csum || jb->action == J_KEEP)
		return;
	stored = v3 ? be32(tag + 12) : (uint32_t)(tag[4] << 8 | tag[5]);
	if (stored != (v3 ? before : (before & 0xffff)))
		return;
	after = tag_csum(s, seq, g->copy, bs);
	if (add_patch(s, (uint32_t)(tag_off + (v3 ? 12 : 4)), after, v3))
		d->npatch++;
	else
		s->r->fatal = ENOMEM;
}

static size_t tag_size(uint32_t incompat)
{
	if (incompat & JBD2_INCOMPAT_CSUM_V3)
		return 16;
	return incompat & JBD2_INCOMPAT_64BIT ? 12 : 8;
}

/* A descriptor block at @l: its copies follow it.  Returns how many. */
static uint64_t plan_descriptor(struct log *g, uint64_t l, uint32_t seq)
{
	struct fsread_scrub *s = g->s;
	unsigned bs = s->r->fs->blocksize;
	size_t end = bs - (s->journal_csum ? 4 : 0), ts = tag_size(g->incompat);
	struct journal_block *d = at(g, l);
	uint64_t next = l, n = 0;

	if (!d)
		return 0;
	d->action = J_DESCRIPTOR;
	d->patch = (uint32_t)s->npatches;
	g->crc_old = ext2fs_crc32_be(g->crc_old, g->buf, bs);
	g->crc_new = ext2fs_crc32_be(g->crc_new, g->buf, bs);
	for (size_t off = 12; off + ts <= end;) {
		const uint8_t *t = g->buf + off;
		uint32_t flags = g->incompat & JBD2_INCOMPAT_CSUM_V3
					 ? be32(t + 4)
					 : (uint32_t)(t[6] << 8 | t[7]);
		uint64_t target = be32(t);

		if (g->incompat & JBD2_INCOMPAT_64BIT)
			target |= (uint64_t)be32(t + 8) << 32;
		next = next + 1 >= g->last ? g->first : next + 1;
		plan_copy(g, d, t, off, next, target,
			  flags & JBD2_FLAG_ESCAPE, seq);
		n++;
		off += ts + (flags & JBD2_FLAG_SAME_UUID ? 0 : 16);
		if (flags & JBD2_FLAG_LAST_TAG)
			break;
	}
	return n;
}

/*
 * A commit block.  With the old whole-transaction checksum (journal
 * feature "journal_checksum" without v2/v3) it sums the transaction's
 * descriptor and data blocks: if that held, it is computed again over
 * what the copies became.
 */
static void plan_commit(struct log *g, struct journal_block *jb)
{
	const uint8_t *b = g->buf;

	jb->action = J_KEEP;
	if (g->crc32_v1 && b[12] == JBD2_CRC32_CHKSUM &&
	    b[13] == JBD2_CRC32_CHKSUM_SIZE && be32(b + 16) == g->crc_old &&
	    g->crc_old != g->crc_new) {
		jb->action = J_COMMIT;
		jb->target = g->crc_new;
	}
	g->crc_old = g->crc_new = ~0U;
}

/* The live log, transaction by transaction, as replay reads it. */
static void walk_log(struct log *g, uint32_t start, uint32_t seq)
{
	uint64_t l = start, budget = g->last - g->first;

	g->crc_old = g->crc_new = ~0U;
	while (budget-- && !g->s->r->fatal && read_log(g, l, g->buf)) {
		struct journal_block *jb = at(g, l);
		uint32_t type = be32(g->buf + 4);
		uint64_t copies = 0;

		if (be32(g->buf) != JBD2_MAGIC || be32(g->buf + 8) != seq ||
		    !jb)
			return;
		if (type == JBD2_DESCRIPTOR) {
			copies = plan_descriptor(g, l, seq);
		} else if (type == JBD2_COMMIT) {
			plan_commit(g, jb);
			seq++;
		} else if (type == JBD2_REVOKE) {
			jb->action = J_KEEP;
		} else {
			return;
		}
		if (copies >= budget)
			return;
		budget -= copies;
		l += 1 + copies;
		while (l >= g->last)
			l = g->first + (l - g->last);
	}
}

static void parse_superblock(struct log *g, uint64_t sb_l)
{
	struct fsread_scrub *s = g->s;
	unsigned bs = s->r->fs->blocksize;
	const uint8_t *b = g->buf;
	uint32_t type, maxlen, fc;

	if (!read_log(g, sb_l, g->buf) || be32(b) != JBD2_MAGIC)
		return;
	type = be32(b + 4);
	if ((type != JBD2_SB_V1 && type != JBD2_SB_V2) || be32(b + 12) != bs)
		return;
	at(g, sb_l)->action = J_KEEP;
	maxlen = be32(b + 16);
	g->first = be32(b + 20);
	g->incompat = type == JBD2_SB_V2 ? be32(b + 40) : 0;
	g->crc32_v1 = type == JBD2_SB_V2 && (be32(b + 36) & JBD2_COMPAT_CHECKSUM) &&
		      !(g->incompat & (JBD2_INCOMPAT_CSUM_V2 |
				       JBD2_INCOMPAT_CSUM_V3));
	fc = 0;
	if (g->incompat & JBD2_INCOMPAT_FAST_COMMIT)
		fc = be32(b + 84) ? be32(b + 84) : JBD2_DEFAULT_FC_BLOCKS;
	if (maxlen > g->nblocks + sb_l || fc >= maxlen)
		return;
	g->last = maxlen - fc;
	if (g->first <= sb_l || g->first >= g->last)
		return;
	s->journal_csum = g->incompat & (JBD2_INCOMPAT_CSUM_V2 |
					 JBD2_INCOMPAT_CSUM_V3);
	s->journal_seed = ext2fs_crc32c_le(~0U, b + 48, 16);
	if (be32(b + 28))
		walk_log(g, be32(b + 28), be32(b + 24));
}

errcode_t scrub_journal_plan(struct fsread_scrub *s)
{
	ext2_filsys fs = s->r->fs;
	struct log g = { .s = s };
	uint64_t sb_l = 0;
	errcode_t err;

	if (s->r->info.journal_dev) {
		g.external = true;
		sb_l = fs->blocksize == 1024 ? 2 : 1;
	} else if (ext2fs_has_feature_journal(fs->super) &&
		   fs->super->s_journal_inum &&
		   !fs->super->s_journal_dev) {
		g.ino = fs->super->s_journal_inum;
	} else {
		return 0;
	}
	err = map_journal(&g);
	g.buf = malloc((size_t)fs->blocksize * 2);
	if (!err && !g.buf)
		err = ENOMEM;
	if (!err && g.nblocks) {
		g.copy = g.buf + fs->blocksize;
		/* An external device's own superblock stays. */
		for (uint64_t l = 0; g.external && l < sb_l; l++)
			if (at(&g, l))
				at(&g, l)->action = J_KEEP;
		parse_superblock(&g, sb_l);
	}
	free(g.buf);
	free(g.pblk);
	return err ? err : s->r->fatal;
}

bool scrub_is_journal(struct fsread_scrub *s, uint64_t pblk)
{
	return jblock(s, pblk) != NULL;
}

/* New tag checksums; the tail checksum again if it held. */
static void patch_descriptor(struct fsread_scrub *s,
			     const struct journal_block *jb, uint8_t *buf,
			     unsigned bs)
{
	uint32_t stored = 0;
	bool tail_ok = false;

	if (s->journal_csum) {
		stored = be32(buf + bs - 4);
		memset(buf + bs - 4, 0, 4);
		tail_ok = ext2fs_crc32c_le(s->journal_seed, buf, bs) == stored;
		put_be32(buf + bs - 4, stored);
	}
	for (uint32_t i = 0; i < jb->npatch; i++) {
		const struct journal_patch *p = &s->patches[jb->patch + i];

		if (p->v3) {
			put_be32(buf + p->offset, p->csum);
		} else {
			buf[p->offset] = (uint8_t)(p->csum >> 8);
			buf[p->offset + 1] = (uint8_t)p->csum;
		}
	}
	if (tail_ok && jb->npatch) {
		memset(buf + bs - 4, 0, 4);
		put_be32(buf + bs - 4,
			 ext2fs_crc32c_le(s->journal_seed, buf, bs));
		s->rep.csums++;
	}
}

void scrub_journal_block(struct fsread_scrub *s, uint64_t pblk, uint8_t *buf)
{
	struct journal_block *jb = jblock(s, pblk);
	unsigned bs = s->r->fs->blocksize;

	switch (jb->action) {
	case J_ZERO:
		memset(buf, 0, bs);
		s->rep.journal_zeroed++;
		break;
	case J_DATA:
		if (jb->escaped)
			put_be32(buf, JBD2_MAGIC);
		scrub_as_fs_block(s, jb->target, buf, true);
		if (jb->escaped && be32(buf) == JBD2_MAGIC)
			memset(buf, 0, 4);
		s->rep.journal_scrubbed++;
		break;
	case J_DESCRIPTOR:
		patch_descriptor(s, jb, buf, bs);
		break;
	case J_COMMIT:
		put_be32(buf + 16, (uint32_t)jb->target);
		s->rep.csums++;
		break;
	default:
		break;
	}
}
