// SPDX-License-Identifier: MIT
/*
 * qcow_writer_l2share.c --- identical L2 tables stored once.
 *
 * A huge, sparsely used filesystem repeats its layout: at 1 PiB (stock
 * mke2fs.conf) three L2 tables in five map only a flex group's block
 * bitmap, alike in every group and shared by dedup, at the same place in
 * their range, so the tables are byte for byte the same.  An L1 entry may
 * point at a table another entry uses, as internal snapshots do: the
 * table's refcount is the number of L1 entries using it, they lose
 * OFLAG_COPIED, and a program writing into such a range copies the table
 * first.  The clusters the table maps keep the refcounts they would have
 * with a copy of it (every L1 entry's path counts, and was counted as the
 * table was filled).  Only tables whose entries all lack OFLAG_COPIED
 * (everything they map shared already) are offered: dedup's patches only
 * clear that flag, so such a table never changes once written.  A table
 * is remembered by its non-zero span, compared byte for byte before it
 * is shared.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "qcow_endian.h"
#include "qcow_format.h"
#include "qcow_writer_int.h"

/* Tables remembered: spans up to this size, this much of them in all. */
#define SPAN_MAX 4096U
#define ARENA_MAX (64U << 20)
#define REFCOUNT_MAX 65535U

struct qcow_l2share_slot {
	uint8_t digest[QCOW_DIGEST_LEN];
	uint64_t host;	   /* 0: empty */
	uint64_t first_l1; /* the L1 index that stored it */
	uint64_t at;	   /* its span's bytes in the arena */
	uint32_t lo, hi;   /* its span in the table */
};

/* A table's entries from its first non-zero one to its last. */
struct span {
	const uint8_t *p; /* the table */
	size_t lo, hi;	  /* bytes */
};

/* The span of @table, whose non-zero entries lie in [@lo, @hi), if it
 * may be shared: small enough, and no entry with OFLAG_COPIED. */
static bool qualifies(const struct qcow_writer *w, const uint8_t *table,
		      size_t lo, size_t hi, struct span *sp)
{
	if (!w->dedup_on || w->base)
		return false;
	while (lo < hi && !qcow_load_be64(table + lo))
		lo += 8;
	while (hi > lo && !qcow_load_be64(table + hi - 8))
		hi -= 8;
	if (lo >= hi || hi - lo > SPAN_MAX)
		return false;
	for (size_t i = lo; i < hi; i += 8)
		if (qcow_load_be64(table + i) & QCOW2_OFLAG_COPIED)
			return false;
	*sp = (struct span){ table, lo, hi };
	return true;
}

static struct qcow_l2share_slot *lookup(const struct qcow_l2share *t,
					const uint8_t *digest)
{
	return qcow_digest_table_lookup(&t->tab, digest);
}

/* The digest of a span: its bytes, and where it lies in the table. */
static void span_digest(const struct span *sp, uint8_t out[QCOW_DIGEST_LEN])
{
	qcow_digest(sp->p + sp->lo, sp->hi - sp->lo, out);
	for (unsigned i = 0; i < 4; i++)
		out[i] ^= (uint8_t)(sp->lo >> (8 * i));
}

static bool same(const struct qcow_l2share *t,
		 const struct qcow_l2share_slot *s, const struct span *sp)
{
	return s->lo == sp->lo && s->hi == sp->hi &&
	       !memcmp(t->arena + s->at, sp->p + sp->lo, sp->hi - sp->lo);
}

errcode_t qcow_writer_l2_share(struct qcow_writer *w, bool *shared)
{
	struct qcow_l2share *t = &w->l2share;
	struct qcow_l2share_slot *s;
	uint8_t d[QCOW_DIGEST_LEN];
	struct span sp;
	uint64_t c;
	uint16_t refs;
	errcode_t err;

	*shared = false;
	if (!t->tab.cap || !qualifies(w, w->l2, w->l2_lo, w->l2_hi, &sp))
		return 0;
	span_digest(&sp, d);
	s = lookup(t, d);
	if (!s->host || !same(t, s, &sp))
		return 0;
	c = s->host >> w->cluster_bits;
	refs = qcow_writer_refcount(w, c);
	if (refs >= REFCOUNT_MAX)
		return 0;
	err = qcow_writer_grow_zrefs(w, c);
	if (err)
		return err;
	w->zrefs[c] = (uint16_t)(refs + 1);
	qcow_store_be64(w->l1 + s->first_l1 * 8, s->host);
	qcow_store_be64(w->l1 + w->cur_l1_index * 8, s->host);
	w->stats.l2_shared++;
	*shared = true;
	return 0;
}

static errcode_t learned(struct qcow_l2share *t, uint64_t l1_index)
{
	if (t->n_learned == t->learned_cap) {
		size_t cap = t->learned_cap ? t->learned_cap * 2 : 1024;
		uint64_t *p = realloc(t->learned, cap * sizeof(*p));

		if (!p)
			return ENOMEM;
		t->learned = p;
		t->learned_cap = cap;
	}
	t->learned[t->n_learned++] = l1_index;
	return 0;
}

/* Remember the table stored at @host for L1 entry @l1_index. */
static errcode_t remember(struct qcow_writer *w, const struct span *sp,
			  uint64_t host, uint64_t l1_index)
{
	struct qcow_l2share *t = &w->l2share;
	struct qcow_l2share_slot *s;
	size_t len = sp->hi - sp->lo;
	uint8_t d[QCOW_DIGEST_LEN];
	errcode_t err;

	if (t->arena_len + len > ARENA_MAX)
		return 0;
	t->tab.slot_size = sizeof(*s);
	t->tab.used_at = offsetof(struct qcow_l2share_slot, host);
	err = qcow_digest_table_reserve(&t->tab);
	if (err)
		return err;
	if (t->arena_len + len > t->arena_cap) {
		size_t cap = t->arena_cap ? t->arena_cap * 2 : 64U << 10;
		uint8_t *p;

		while (cap < t->arena_len + len)
			cap *= 2;
		p = realloc(t->arena, cap);
		if (!p)
			return ENOMEM;
		t->arena = p;
		t->arena_cap = cap;
	}
	span_digest(sp, d);
	s = lookup(t, d);
	if (s->host) {
		/* An equal table at its refcount limit: later ones share
		 * this copy.  (A different one with the same digest: no.) */
		if (!same(t, s, sp))
			return 0;
		s->host = host;
		s->first_l1 = l1_index;
		return learned(t, l1_index);
	}
	memcpy(s->digest, d, QCOW_DIGEST_LEN);
	memcpy(t->arena + t->arena_len, sp->p + sp->lo, len);
	s->host = host;
	s->first_l1 = l1_index;
	s->at = t->arena_len;
	s->lo = (uint32_t)sp->lo;
	s->hi = (uint32_t)sp->hi;
	t->arena_len += len;
	t->tab.n++;
	return learned(t, l1_index);
}

errcode_t qcow_writer_l2_note(struct qcow_writer *w, uint64_t host)
{
	struct span sp;

	return qualifies(w, w->l2, w->l2_lo, w->l2_hi, &sp)
		       ? remember(w, &sp, host, w->cur_l1_index)
		       : 0;
}

errcode_t qcow_writer_l2_relearn(struct qcow_writer *w, const uint8_t *table,
				 uint64_t host, uint64_t l1_index)
{
	struct span sp;

	return qualifies(w, table, 0, (size_t)w->cluster_size, &sp)
		       ? remember(w, &sp, host, l1_index)
		       : 0;
}

void qcow_writer_l2share_free(struct qcow_l2share *t)
{
	qcow_digest_table_free(&t->tab);
	free(t->arena);
	free(t->learned);
	memset(t, 0, sizeof(*t));
}
