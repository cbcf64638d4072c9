// SPDX-License-Identifier: MIT
/*
 * fsread_scrub_journal.c --- names in the journal.
 *
 * The journal holds copies of metadata blocks, directory blocks and
 * inode tables among them.  The live log (from s_start, transaction by
 * transaction, as replay would read it) is walked once when the stage
 * is made.  A copy of a block whose place the layout fixes (superblock,
 * descriptors, bitmaps, inode tables) is scrubbed as that block; any
 * other copy is judged by its own bytes, since its home may since have
 * become something else: an extent node, an xattr block, a directory
 * block or a block of block numbers is scrubbed as such, anything else
 * (file data, slow symlinks, what cannot be told) is zeroed.  Where a
 * tag's checksum held, the new one is noted for the descriptor block.
 * Descriptor, commit and revoke blocks and the journal superblock keep
 * their fields and lose their slack; everything outside the live log
 * (old transactions, the fast-commit area) is zeroed.  An external
 * journal device has no filesystem to judge by: its copies are zeroed.
 * A journal inode e2fsck would not use is replaced by the superblock's
 * backup of its block map, as e2fsck does.  All journal fields are
 * big-endian.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fsread_scrub_int.h"

#define JBD2_MAGIC 0xc03b3998U
enum {
	JBD2_DESCRIPTOR = 1,
	JBD2_COMMIT = 2,
	JBD2_SB_V1 = 3,
	JBD2_SB_V2 = 4,
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
#define JBD2_MIN_JOURNAL_BLOCKS 1024U
#define JSB_LEN 1024U	  /* the journal superblock's fields */
#define JSB_PADDING 0x5cU /* s_padding[40]: up to the checksum */
#define JSB_CHECKSUM 0xfcU
#define JSB_NR_USERS 0x40U
#define JSB_USERS 0x100U
#define JSB_MAX_USERS 48U
#define COMMIT_LEN 60U /* header, checksum type/size, sums, time */
#define COMMIT_SUM 16U /* h_chksum[0] */
#define REVOKE_HDR 16U /* header and r_count */
#define XATTR_MAGIC 0xea020000U

struct log {
	struct fsread_scrub *s;
	const struct extmap *meta;
	bool external;
	uint32_t ino;
	struct ext2_inode inode;
	uint64_t nblocks;     /* journal length in blocks */
	uint64_t *pblk;	      /* logical -> physical, 0: unmapped */
	uint32_t first, last; /* the log area [first, last) */
	uint32_t incompat;
	bool crc32_v1;		   /* commit blocks sum the transaction */
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

	return s->jn ? bsearch(&key, s->jblocks, s->jn, sizeof(key), cmp_jblock)
		     : NULL;
}

/* The journal inode as e2fsck would take it. */
static bool usable_inode(struct log *g)
{
	ext2_filsys fs = g->s->r->fs;
	blk64_t p = 0;

	return !ext2fs_read_inode(fs, g->ino, &g->inode) &&
	       g->inode.i_links_count && LINUX_S_ISREG(g->inode.i_mode) &&
	       EXT2_I_SIZE(&g->inode) / fs->blocksize >=
		       JBD2_MIN_JOURNAL_BLOCKS &&
	       !ext2fs_bmap2(fs, g->ino, &g->inode, NULL, 0, 0, NULL, &p) && p;
}

/* Else e2fsck falls back on the superblock's copy of its block map. */
static bool backup_inode(struct log *g)
{
	struct ext2_super_block *sb = g->s->r->fs->super;

	if (sb->s_jnl_backup_type != EXT3_JNL_BACKUP_BLOCKS)
		return false;
	memset(&g->inode, 0, sizeof(g->inode));
	memcpy(g->inode.i_block, sb->s_jnl_blocks, sizeof(g->inode.i_block));
	g->inode.i_size_high = sb->s_jnl_blocks[15];
	g->inode.i_size = sb->s_jnl_blocks[16];
	g->inode.i_links_count = 1;
	g->inode.i_mode = LINUX_S_IFREG | 0600;
	if ((sb->s_jnl_blocks[0] & 0xffff) == FSREAD_EXT_MAGIC)
		g->inode.i_flags = EXT4_EXTENTS_FL;
	return true;
}

/* Above mke2fs's largest journal, with room to spare. */
#define JOURNAL_MAX_BLOCKS (1ULL << 24)

/* Every block of the journal, zeroed unless the walk says otherwise. */
static errcode_t map_journal(struct log *g)
{
	struct fsread_scrub *s = g->s;
	ext2_filsys fs = s->r->fs;

	if (g->external) {
		g->nblocks = ext2fs_blocks_count(fs->super);
	} else {
		if (!usable_inode(g) && !backup_inode(g))
			return 0;
		g->nblocks = EXT2_I_SIZE(&g->inode) / fs->blocksize;
	}
	/* A journal longer than the filesystem, or than mke2fs ever makes
	 * one (10,240,000 blocks), is damaged (or, external, too large to
	 * plan for): its blocks are zeroed with the rest of what has no
	 * known role. */
	if (!g->nblocks || g->nblocks > JOURNAL_MAX_BLOCKS ||
	    (!g->external && g->nblocks > ext2fs_blocks_count(fs->super))) {
		g->nblocks = 0;
		return 0;
	}
	g->pblk = calloc(g->nblocks, sizeof(*g->pblk));
	s->jblocks = calloc(g->nblocks, sizeof(*s->jblocks));
	if (!g->pblk || !s->jblocks)
		return ENOMEM;
	for (uint64_t l = 0; l < g->nblocks; l++) {
		blk64_t p = l;

		if (!g->external &&
		    (ext2fs_bmap2(fs, 0, &g->inode, NULL, 0, l, NULL, &p) ||
		     !fsread_range_ok(s->r, p, 1)))
			p = 0;
		g->pblk[l] = p;
		if (p)
			s->jblocks[s->jn++] =
				(struct journal_block){ .pblk = p,
							.action = J_ZERO };
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

	fsread_put_be32(be_seq, seq);
	return ext2fs_crc32c_le(ext2fs_crc32c_le(s->journal_seed, be_seq, 4),
				data, bs);
}

static bool add_patch(struct fsread_scrub *s, uint32_t offset, uint32_t csum,
		      bool v3)
{
	struct journal_patch *p =
		realloc(s->patches, (s->npatches + 1) * sizeof(*s->patches));

	if (!p)
		return false;
	s->patches = p;
	s->patches[s->npatches++] = (struct journal_patch){ offset, csum, v3 };
	return true;
}

/* Block numbers only (an indirect block, a reserved GDT block)? */
static bool looks_like_block_map(const struct fsread_scrub *s, const uint8_t *p,
				 unsigned bs)
{
	for (unsigned i = 0; i < bs; i += 4) {
		uint32_t b = fsread_le32(p + i);

		if (b && !fsread_range_ok(s->r, b, 1))
			return false;
	}
	return true;
}

/* What a copy of @target holding @buf is to be scrubbed as. */
static enum copy_kind judge_copy(struct fsread_scrub *s, uint64_t target,
				 const uint8_t *buf, uint32_t *ino)
{
	unsigned bs = s->r->fs->blocksize;
	const struct scrub_run *run = NULL;
	int role = fsread_scrub_role_of(s, target, &run);

	*ino = run ? run->ino : 0;
	if (role >= SCRUB_STATIC)
		return COPY_HOME;
	if (fsread_le16(buf) == FSREAD_EXT_MAGIC)
		return role == SCRUB_EXTENT ? COPY_EXTENT
					    : (*ino = 0, COPY_EXTENT);
	if (fsread_le32(buf) == XATTR_MAGIC)
		return COPY_XATTR;
	if (fsread_scrub_looks_like_dir(buf, bs)) {
		if (role != SCRUB_DIR)
			*ino = 0;
		return COPY_DIR;
	}
	if (looks_like_block_map(s, buf, bs))
		return COPY_BLOCK_MAP;
	return COPY_ZERO;
}

/* Scrub a copy of @target as judged; @live as in fsread_scrub_as_fs_block. */
static void scrub_copy(struct fsread_scrub *s, const struct journal_block *jb,
		       uint8_t *buf, bool live)
{
	struct dir_state *d;

	switch (jb->kind) {
	case COPY_HOME:
		if (!fsread_scrub_as_fs_block(s, jb->target, buf, live))
			memset(buf, 0, s->r->fs->blocksize);
		break;
	case COPY_EXTENT:
		fsread_scrub_extent_block(s, jb->ino, jb->target, buf);
		break;
	case COPY_XATTR:
		fsread_scrub_ea_block(s, jb->target, buf);
		break;
	case COPY_DIR:
		fsread_scrub_dir_block(s, jb->ino, jb->target, buf, false);
		d = jb->ino ? fsread_scrub_dir_state(s, jb->ino) : NULL;
		if (live && d)
			fsread_scrub_dir_done(d);
		break;
	case COPY_BLOCK_MAP:
		break;
	default:
		memset(buf, 0, s->r->fs->blocksize);
		break;
	}
}

/*
 * One copy: judge it, scrub it, and note a new checksum for its tag (at
 * @tag in descriptor @d) if it held.
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

	if (!jb || !read_log(g, l, g->copy))
		return;
	jb->target = target;
	jb->escaped = escaped;
	jb->action = J_DATA;
	before = tag_csum(s, seq, g->copy, bs);
	g->crc_old = ext2fs_crc32_be(g->crc_old, g->copy, bs);
	if (escaped)
		fsread_put_be32(g->copy, JBD2_MAGIC);
	jb->kind = g->external
			   ? COPY_ZERO
			   : (uint8_t)judge_copy(s, target, g->copy, &jb->ino);
	if (jb->kind == COPY_DIR && jb->ino)
		fsread_scrub_count_copy(s, target);
	scrub_copy(s, jb, g->copy, false);
	if (escaped && fsread_be32(g->copy) == JBD2_MAGIC)
		memset(g->copy, 0, 4);
	g->crc_new = ext2fs_crc32_be(g->crc_new, g->copy, bs);
	if (!s->journal_csum)
		return;
	stored = v3 ? fsread_be32(tag + 12) : (uint32_t)(tag[4] << 8 | tag[5]);
	if (stored != (v3 ? before : (before & 0xffff)))
		return;
	after = tag_csum(s, seq, g->copy, bs);
	if (add_patch(s, (uint32_t)(tag_off + (v3 ? 12 : 4)), after, v3))
		d->npatch++;
	else
		s->fatal = ENOMEM;
}

static size_t tag_size(uint32_t incompat)
{
	if (incompat & JBD2_INCOMPAT_CSUM_V3)
		return 16;
	return incompat & JBD2_INCOMPAT_64BIT ? 12 : 8;
}

/* A descriptor block at @l: its copies follow it.  Returns how many. */
/* Walk the tags of the descriptor in g->buf: each one's offset, target
 * and flags to @fn (NULL: none); returns where the tags end. */
static size_t each_tag(struct log *g, struct journal_block *d, uint64_t l,
		       uint32_t seq, uint64_t *copies)
{
	struct fsread_scrub *s = g->s;
	size_t end = s->r->fs->blocksize - (s->journal_csum ? 4 : 0);
	size_t ts = tag_size(g->incompat), off = 12, past = 12;
	uint64_t next = l;

	while (off + ts <= end) {
		const uint8_t *t = g->buf + off;
		uint32_t flags = g->incompat & JBD2_INCOMPAT_CSUM_V3
					 ? fsread_be32(t + 4)
					 : (uint32_t)(t[6] << 8 | t[7]);
		uint64_t target = fsread_be32(t);

		if (g->incompat & JBD2_INCOMPAT_64BIT)
			target |= (uint64_t)fsread_be32(t + 8) << 32;
		next = next + 1 >= g->last ? g->first : next + 1;
		if (d)
			plan_copy(g, d, t, off, next, target,
				  flags & JBD2_FLAG_ESCAPE, seq);
		(*copies)++;
		off += ts + (flags & JBD2_FLAG_SAME_UUID ? 0 : 16);
		past = off < end ? off : end;
		if (flags & JBD2_FLAG_LAST_TAG)
			break;
	}
	return past;
}

/* A descriptor block at @l: its copies follow it.  Returns how many. */
static uint64_t plan_descriptor(struct log *g, uint64_t l, uint32_t seq)
{
	struct fsread_scrub *s = g->s;
	unsigned bs = s->r->fs->blocksize;
	size_t end = bs - (s->journal_csum ? 4 : 0);
	struct journal_block *d = at(g, l);
	uint64_t n = 0;

	if (!d)
		return 0;
	d->action = J_DESCRIPTOR;
	d->patch = (uint32_t)s->npatches;
	g->crc_old = ext2fs_crc32_be(g->crc_old, g->buf, bs);
	/* Past the last tag, slack: gone (and so from a v1 sum too). */
	d->target = each_tag(g, NULL, l, seq, &n);
	memset(g->buf + d->target, 0, end - (size_t)d->target);
	g->crc_new = ext2fs_crc32_be(g->crc_new, g->buf, bs);
	n = 0;
	each_tag(g, d, l, seq, &n);
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

	jb->action = J_COMMIT;
	if (g->crc32_v1 && b[12] == JBD2_CRC32_CHKSUM &&
	    b[13] == JBD2_CRC32_CHKSUM_SIZE &&
	    fsread_be32(b + 16) == g->crc_old && g->crc_old != g->crc_new) {
		jb->crc_v1 = true;
		jb->crc = g->crc_new;
	}
	g->crc_old = g->crc_new = ~0U;
}

/* The live log, transaction by transaction, as replay reads it. */
static void walk_log(struct log *g, uint32_t start, uint32_t seq)
{
	uint64_t l = start, budget = g->last - g->first;

	g->crc_old = g->crc_new = ~0U;
	while (budget-- && !g->s->fatal && read_log(g, l, g->buf)) {
		struct journal_block *jb = at(g, l);
		uint32_t type = fsread_be32(g->buf + 4);
		uint64_t copies = 0;

		if (fsread_be32(g->buf) != JBD2_MAGIC ||
		    fsread_be32(g->buf + 8) != seq || !jb)
			return;
		if (type == JBD2_DESCRIPTOR) {
			copies = plan_descriptor(g, l, seq);
		} else if (type == JBD2_COMMIT) {
			plan_commit(g, jb);
			seq++;
		} else if (type == JBD2_REVOKE) {
			jb->action = J_REVOKE;
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

	if (!read_log(g, sb_l, g->buf) || fsread_be32(b) != JBD2_MAGIC)
		return;
	type = fsread_be32(b + 4);
	if ((type != JBD2_SB_V1 && type != JBD2_SB_V2) ||
	    fsread_be32(b + 12) != bs)
		return;
	at(g, sb_l)->action = J_SUPER;
	maxlen = fsread_be32(b + 16);
	g->first = fsread_be32(b + 20);
	g->incompat = type == JBD2_SB_V2 ? fsread_be32(b + 40) : 0;
	g->crc32_v1 = type == JBD2_SB_V2 &&
		      (fsread_be32(b + 36) & JBD2_COMPAT_CHECKSUM) &&
		      !(g->incompat &
			(JBD2_INCOMPAT_CSUM_V2 | JBD2_INCOMPAT_CSUM_V3));
	fc = 0;
	if (g->incompat & JBD2_INCOMPAT_FAST_COMMIT)
		fc = fsread_be32(b + 84) ? fsread_be32(b + 84)
					 : JBD2_DEFAULT_FC_BLOCKS;
	if (maxlen > g->nblocks + sb_l || fc >= maxlen)
		return;
	g->last = maxlen - fc;
	if (g->first <= sb_l || g->first >= g->last)
		return;
	s->journal_csum =
		g->incompat & (JBD2_INCOMPAT_CSUM_V2 | JBD2_INCOMPAT_CSUM_V3);
	s->journal_v1_sum = g->crc32_v1;
	s->journal_seed = ext2fs_crc32c_le(~0U, b + 48, 16);
	if (fsread_be32(b + 28))
		walk_log(g, fsread_be32(b + 28), fsread_be32(b + 24));
}

errcode_t fsread_scrub_journal_plan(struct fsread_scrub *s)
{
	ext2_filsys fs = s->r->fs;
	struct log g = { .s = s };
	uint64_t sb_l = 0;
	errcode_t err;

	if (s->r->info.journal_dev) {
		g.external = true;
		sb_l = fs->blocksize == 1024 ? 2 : 1;
	} else if (fs->super->s_journal_inum && !fs->super->s_journal_dev) {
		/* Even without has_journal: e2fsck looks at such a journal
		 * ("... but a journal is present"). */
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
		/* An external device's own superblock, scrubbed as one. */
		for (uint64_t l = 0; g.external && l < sb_l; l++) {
			struct journal_block *jb = at(&g, l);

			if (!jb)
				continue;
			jb->action = J_DATA;
			jb->kind = COPY_HOME;
			jb->target = l;
		}
		parse_superblock(&g, sb_l);
	}
	free(g.buf);
	free(g.pblk);
	return err ? err : s->fatal;
}

bool fsread_scrub_is_journal(struct fsread_scrub *s, uint64_t pblk)
{
	return jblock(s, pblk) != NULL;
}

/* A v2/v3 checksum over the whole block, at @at (zero while summed). */
static bool block_sum_holds(const struct fsread_scrub *s, uint8_t *buf,
			    unsigned bs, size_t at)
{
	uint32_t stored = fsread_be32(buf + at);
	bool ok;

	memset(buf + at, 0, 4);
	ok = ext2fs_crc32c_le(s->journal_seed, buf, bs) == stored;
	fsread_put_be32(buf + at, stored);
	return ok;
}

static void block_sum_set(struct fsread_scrub *s, uint8_t *buf, unsigned bs,
			  size_t at)
{
	memset(buf + at, 0, 4);
	fsread_put_be32(buf + at, ext2fs_crc32c_le(s->journal_seed, buf, bs));
	s->rep.csums++;
}

/* New tag checksums, slack zeroed; the tail checksum again if it held. */
static void patch_descriptor(struct fsread_scrub *s,
			     const struct journal_block *jb, uint8_t *buf,
			     unsigned bs)
{
	size_t end = bs - (s->journal_csum ? 4 : 0);
	bool tail_ok = s->journal_csum && block_sum_holds(s, buf, bs, end);

	for (uint32_t i = 0; i < jb->npatch; i++) {
		const struct journal_patch *p = &s->patches[jb->patch + i];

		if (p->v3) {
			fsread_put_be32(buf + p->offset, p->csum);
		} else {
			buf[p->offset] = (uint8_t)(p->csum >> 8);
			buf[p->offset + 1] = (uint8_t)p->csum;
		}
	}
	if (jb->target < end)
		memset(buf + jb->target, 0, end - (size_t)jb->target);
	if (tail_ok)
		block_sum_set(s, buf, bs, end);
}

/* The header stays; checksum fields and times where the journal has
 * checksums (recovery reads them only then; old kernels left the rest
 * of the block as it was); the rest goes. */
static void scrub_commit(struct fsread_scrub *s, const struct journal_block *jb,
			 uint8_t *buf, unsigned bs)
{
	bool v23 = s->journal_csum && block_sum_holds(s, buf, bs, COMMIT_SUM);

	if (!s->journal_csum && !jb->crc_v1 && !s->journal_v1_sum)
		memset(buf + 12, 0, COMMIT_LEN - 12);
	memset(buf + 14, 0, 2);
	memset(buf + COMMIT_SUM + 4, 0, 28);
	memset(buf + COMMIT_LEN, 0, bs - COMMIT_LEN);
	if (jb->crc_v1) {
		fsread_put_be32(buf + COMMIT_SUM, jb->crc);
		s->rep.csums++;
	} else if (v23) {
		block_sum_set(s, buf, bs, COMMIT_SUM);
	}
}

static void scrub_revoke(struct fsread_scrub *s, uint8_t *buf, unsigned bs)
{
	size_t end = bs - (s->journal_csum ? 4 : 0);
	bool tail_ok = s->journal_csum && block_sum_holds(s, buf, bs, end);
	size_t used = fsread_be32(buf + 12);

	if (used < REVOKE_HDR)
		used = REVOKE_HDR;
	if (used < end)
		memset(buf + used, 0, end - used);
	if (tail_ok)
		block_sum_set(s, buf, bs, end);
}

/* Fields, and the users there are; padding and the block's rest go. */
static void scrub_jsb(uint8_t *buf, unsigned bs)
{
	uint32_t users = fsread_be32(buf + JSB_NR_USERS);
	uint32_t stored = fsread_be32(buf + JSB_CHECKSUM);
	bool csum_ok;

	memset(buf + JSB_CHECKSUM, 0, 4);
	csum_ok = stored && ext2fs_crc32c_le(~0U, buf, JSB_LEN) == stored;
	memset(buf + JSB_PADDING, 0, JSB_CHECKSUM - JSB_PADDING);
	if (users < JSB_MAX_USERS)
		memset(buf + JSB_USERS + 16 * users, 0,
		       16 * (JSB_MAX_USERS - users));
	memset(buf + JSB_LEN, 0, bs - JSB_LEN);
	fsread_put_be32(buf + JSB_CHECKSUM,
			csum_ok ? ext2fs_crc32c_le(~0U, buf, JSB_LEN) : stored);
}

void fsread_scrub_journal_block(struct fsread_scrub *s, uint64_t pblk,
				uint8_t *buf)
{
	struct journal_block *jb = jblock(s, pblk);
	unsigned bs = s->r->fs->blocksize;

	switch (jb->action) {
	case J_DATA:
		if (jb->escaped)
			fsread_put_be32(buf, JBD2_MAGIC);
		scrub_copy(s, jb, buf, true);
		if (jb->escaped && fsread_be32(buf) == JBD2_MAGIC)
			memset(buf, 0, 4);
		if (jb->kind == COPY_ZERO)
			s->rep.journal_zeroed++;
		else
			s->rep.journal_scrubbed++;
		break;
	case J_DESCRIPTOR:
		patch_descriptor(s, jb, buf, bs);
		break;
	case J_COMMIT:
		scrub_commit(s, jb, buf, bs);
		break;
	case J_REVOKE:
		scrub_revoke(s, buf, bs);
		break;
	case J_SUPER:
		scrub_jsb(buf, bs);
		break;
	default:
		memset(buf, 0, bs);
		s->rep.journal_zeroed++;
		break;
	}
}
