// SPDX-License-Identifier: MIT
/*
 * qcow_writer_resume.c --- checkpoints of a writer's state, and a writer
 * started again from them on the partial file of an interrupted run.
 *
 * A record holds what the file cannot tell: the L1 entries and digests
 * added since the previous record, and the whole of the small state (the
 * L2 table being filled, the tables waiting behind compressed data, a
 * cluster assembled from pieces, positions and figures).  The reference
 * counts and the dedup table are not recorded: they follow from the L2
 * tables, which are in the file by then, and are rebuilt from them.
 *
 * Record layout, big-endian like the rest of qcow2:
 *   magic "e2qcCKP1" | cluster_bits u32 | flags u32 | virtual_size u64
 *   | next_host_off | guest_pos | cur_l1_index | pbuf_cluster u64
 *   | l2q_n u32 | sequence number u32 | stats (9 x u64)
 *   | n_l1 u64 | n_l1 x (index u64, entry u64)
 *   | n_dg u64 | n_dg x digest entry (24 bytes)
 *   | l2q_n x index u64 | the current L2 table (if any) | l2q_n tables
 *   | pbuf (if valid)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qcow_endian.h"
#include "qcow_err.h"
#include "qcow_format.h"
#include "qcow_writer_int.h"

/* CKP2: L1 entries without OFLAG_COPIED (shared L2 tables), and the
 * tables offered for sharing since the last record. */
static const uint8_t ckp_magic[8] = { 'e', '2', 'q', 'c', 'C', 'K', 'P', '2' };

#define F_COMPRESS 1U
#define F_DEDUP 2U
#define F_DIGESTS 4U
#define F_PBUF 8U
#define F_L2 16U
#define F_L2_USED 32U

#define N_STATS 10

static uint64_t *stat_field(struct qcow_writer_stats *s, unsigned i)
{
	uint64_t *f[N_STATS] = {
		&s->data_clusters,   &s->zero_clusters, &s->same_clusters,
		&s->zeroed_clusters, &s->l2_tables,	&s->compressed_clusters,
		&s->dedup_clusters,  &s->host_clusters, &s->file_size,
		&s->l2_shared,
	};
	return f[i];
}

/* A growing byte buffer for the record. */
struct rec_buf {
	uint8_t *p;
	size_t len, cap;
	bool failed;
};

static uint8_t *rec_room(struct rec_buf *b, size_t n)
{
	if (b->failed)
		return NULL;
	if (b->cap - b->len < n) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *p;

		while (cap - b->len < n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->failed = true;
			return NULL;
		}
		b->p = p;
		b->cap = cap;
	}
	b->len += n;
	return b->p + b->len - n;
}

static void rec_u64(struct rec_buf *b, uint64_t v)
{
	uint8_t *p = rec_room(b, 8);

	if (p)
		qcow_store_be64(p, v);
}

static void rec_u32(struct rec_buf *b, uint32_t v)
{
	uint8_t *p = rec_room(b, 4);

	if (p)
		qcow_store_be32(p, v);
}

static void rec_bytes(struct rec_buf *b, const void *src, size_t n)
{
	uint8_t *p = rec_room(b, n);

	if (p)
		memcpy(p, src, n);
}

static unsigned state_flags(const struct qcow_writer *w)
{
	return (w->comp ? F_COMPRESS : 0) | (w->dedup_on ? F_DEDUP : 0) |
	       (w->digests ? F_DIGESTS : 0) | (w->pbuf_valid ? F_PBUF : 0) |
	       (w->cur_l1_index != QCOW_WRITER_NO_L2 ? F_L2 : 0) |
	       (w->l2_used ? F_L2_USED : 0);
}

/* The L1 entries set since the last record: tables are emitted in
 * increasing order, so they are the non-zero ones from ck_l1 on. */
static void rec_l1_delta(struct qcow_writer *w, struct rec_buf *b)
{
	size_t count_at = b->len;
	uint64_t n = 0, i;

	rec_u64(b, 0);
	for (i = w->ck_l1; i < w->l1_entries; i++) {
		uint64_t e = qcow_load_be64(w->l1 + i * 8);

		if (!e)
			continue;
		rec_u64(b, i);
		rec_u64(b, e);
		n++;
		w->ck_l1 = i + 1;
	}
	if (!b->failed)
		qcow_store_be64(b->p + count_at, n);
}

static void rec_digests(struct qcow_writer *w, struct rec_buf *b)
{
	rec_u64(b, w->dg_n - w->ck_dg);
	for (uint64_t i = w->ck_dg; i < w->dg_n; i++) {
		uint8_t *p = rec_room(b, QCOW_DIGEST_ENTRY);

		if (p)
			qcow_digest_entry_encode(&w->dg[i], p);
	}
	w->ck_dg = w->dg_n;
}

/* The L2 tables offered for sharing since the last record, in order. */
static void rec_learned(struct qcow_writer *w, struct rec_buf *b)
{
	const struct qcow_l2share *t = &w->l2share;

	rec_u64(b, t->n_learned);
	for (size_t i = 0; i < t->n_learned; i++)
		rec_u64(b, t->learned[i]);
}

errcode_t qcow_writer_checkpoint(struct qcow_writer *w, uint8_t **rec,
				 size_t *len)
{
	struct rec_buf b = { 0 };
	size_t cs = (size_t)w->cluster_size;
	uint64_t ck_l1 = w->ck_l1, ck_dg = w->ck_dg;
	errcode_t err = w->err;

	*rec = NULL;
	*len = 0;
	if (!err && (w->stream || w->base || w->finished))
		err = QCOW_ERR_BAD_OPTION;
	/* Between calls no run is pending; staged bytes go out now. */
	if (!err)
		err = qcow_writer_flush_obuf(w);
	if (!err)
		err = qcow_writer_reach_end(w);
	if (!err && !w->no_sync)
		err = w->io->sync(w->io);
	if (err)
		return err;
	rec_bytes(&b, ckp_magic, sizeof(ckp_magic));
	rec_u32(&b, w->cluster_bits);
	rec_u32(&b, state_flags(w));
	rec_u64(&b, w->virtual_size);
	rec_u64(&b, w->next_host_off);
	rec_u64(&b, w->guest_pos);
	rec_u64(&b, w->cur_l1_index);
	rec_u64(&b, w->pbuf_cluster);
	rec_u32(&b, w->l2q_n);
	rec_u32(&b, w->ck_seq);
	for (unsigned i = 0; i < N_STATS; i++)
		rec_u64(&b, *stat_field(&w->stats, i));
	rec_l1_delta(w, &b);
	rec_digests(w, &b);
	rec_learned(w, &b);
	for (unsigned i = 0; i < w->l2q_n; i++)
		rec_u64(&b, w->l2q_index[i]);
	if (w->cur_l1_index != QCOW_WRITER_NO_L2)
		rec_bytes(&b, w->l2, cs);
	if (w->l2q_n)
		rec_bytes(&b, w->l2q, (size_t)w->l2q_n * cs);
	if (w->pbuf_valid)
		rec_bytes(&b, w->pbuf, cs);
	if (b.failed) {
		free(b.p);
		w->ck_l1 = ck_l1; /* the next record carries them */
		w->ck_dg = ck_dg;
		return ENOMEM;
	}
	w->ck_seq++;
	w->l2share.n_learned = 0;
	*rec = b.p;
	*len = b.len;
	return 0;
}

uint64_t qcow_writer_guest_pos(const struct qcow_writer *w)
{
	return w->guest_pos;
}

/* Reading a record: every take fails once the record runs out. */
struct rec_in {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static const uint8_t *take(struct rec_in *r, size_t n)
{
	const uint8_t *p = r->p;

	if (r->bad || r->left < n) {
		r->bad = true;
		return NULL;
	}
	r->p += n;
	r->left -= n;
	return p;
}

static uint64_t take_u64(struct rec_in *r)
{
	const uint8_t *p = take(r, 8);

	return p ? qcow_load_be64(p) : 0;
}

static uint32_t take_u32(struct rec_in *r)
{
	const uint8_t *p = take(r, 4);

	return p ? qcow_load_be32(p) : 0;
}

/* Is @e an L2 or L1 entry this writer could have made for data below
 * @end?  Records are checked, not trusted. */
static bool host_ok(const struct qcow_writer *w, uint64_t off, uint64_t end)
{
	return off >= (w->first_data << w->cluster_bits) &&
	       !(off & (w->cluster_size - 1)) && off < end &&
	       end - off >= w->cluster_size;
}

static errcode_t apply_l1(struct qcow_writer *w, struct rec_in *r, uint64_t end)
{
	uint64_t n = take_u64(r);

	if (n > w->l1_entries)
		return QCOW_ERR_RESUME_MISMATCH;
	for (uint64_t k = 0; k < n; k++) {
		uint64_t i = take_u64(r), e = take_u64(r);

		/* OFLAG_COPIED is set again once all are read. */
		if (r->bad || i >= w->l1_entries || i < w->ck_l1 ||
		    (e & ~(QCOW2_L1E_OFFSET_MASK | QCOW2_OFLAG_COPIED)) ||
		    !host_ok(w, e & QCOW2_L1E_OFFSET_MASK, end))
			return QCOW_ERR_RESUME_MISMATCH;
		qcow_store_be64(w->l1 + i * 8, e);
		w->ck_l1 = i + 1;
	}
	return 0;
}

static errcode_t apply_digests(struct qcow_writer *w, struct rec_in *r)
{
	uint64_t n = take_u64(r);
	uint64_t clusters =
		(w->virtual_size + w->cluster_size - 1) >> w->cluster_bits;

	if (r->bad || n > r->left / QCOW_DIGEST_ENTRY || (n && !w->digests))
		return QCOW_ERR_RESUME_MISMATCH;
	for (uint64_t k = 0; k < n; k++) {
		struct qcow_digest_entry e;
		errcode_t err;

		qcow_digest_entry_decode(take(r, QCOW_DIGEST_ENTRY), &e);
		if (e.cluster >= clusters ||
		    (w->dg_n && w->dg[w->dg_n - 1].cluster >= e.cluster))
			return QCOW_ERR_RESUME_MISMATCH;
		err = qcow_writer_add_digest(w, e.cluster, e.digest);
		if (err)
			return err;
	}
	w->ck_dg = w->dg_n;
	return 0;
}

/* The tables offered for sharing: offered again, in the same order. */
static errcode_t apply_learned(struct qcow_writer *w, struct rec_in *r)
{
	uint64_t n = take_u64(r);
	uint8_t *buf;
	errcode_t err = 0;

	if (r->bad || n > r->left / 8)
		return QCOW_ERR_RESUME_MISMATCH;
	buf = n ? malloc((size_t)w->cluster_size) : NULL;
	if (n && !buf)
		return ENOMEM;
	for (uint64_t k = 0; !err && k < n; k++) {
		uint64_t i = take_u64(r), host;

		if (i >= w->ck_l1 || !qcow_load_be64(w->l1 + i * 8)) {
			err = QCOW_ERR_RESUME_MISMATCH;
			break;
		}
		host = qcow_load_be64(w->l1 + i * 8) & QCOW2_L1E_OFFSET_MASK;
		err = w->io->pread(w->io, buf, (size_t)w->cluster_size, host);
		if (!err)
			err = qcow_writer_l2_relearn(w, buf, host, i);
	}
	free(buf);
	return err;
}

/* The fixed part (each record's overrides the one before). */
static errcode_t apply_fixed(struct qcow_writer *w, struct rec_in *r,
			     unsigned *flags, uint64_t *end)
{
	const uint8_t *magic = take(r, sizeof(ckp_magic));
	unsigned bits = take_u32(r);
	uint64_t vsize;

	*flags = take_u32(r);
	vsize = take_u64(r);
	if (r->bad || memcmp(magic, ckp_magic, sizeof(ckp_magic)) ||
	    bits != w->cluster_bits || vsize != w->virtual_size ||
	    !(*flags & F_COMPRESS) != !w->comp ||
	    !(*flags & F_DEDUP) != !w->dedup_on ||
	    !(*flags & F_DIGESTS) != !w->digests)
		return QCOW_ERR_RESUME_MISMATCH;
	*end = take_u64(r);
	w->next_host_off = *end;
	w->guest_pos = take_u64(r);
	w->cur_l1_index = take_u64(r);
	w->pbuf_cluster = take_u64(r);
	w->l2q_n = take_u32(r);
	if (take_u32(r) != w->ck_seq++) /* records in order, none missing */
		return QCOW_ERR_RESUME_MISMATCH;
	for (unsigned i = 0; i < N_STATS; i++)
		*stat_field(&w->stats, i) = take_u64(r);
	if (r->bad || *end < (w->first_data << w->cluster_bits) ||
	    *end > QCOW2_MAX_HOST_OFFSET || w->guest_pos > w->virtual_size ||
	    w->l2q_n > (w->l2q ? QCOW_WRITER_L2Q : 0) ||
	    (w->cur_l1_index != QCOW_WRITER_NO_L2 &&
	     w->cur_l1_index >= w->l1_entries) ||
	    !(*flags & F_L2) != (w->cur_l1_index == QCOW_WRITER_NO_L2))
		return QCOW_ERR_RESUME_MISMATCH;
	w->l2_used = *flags & F_L2_USED;
	return 0;
}

/* The small state of the last record: tables in progress, pbuf. */
static errcode_t apply_tables(struct qcow_writer *w, struct rec_in *r,
			      unsigned flags)
{
	size_t cs = (size_t)w->cluster_size;
	const uint8_t *p;

	for (unsigned i = 0; i < w->l2q_n; i++) {
		w->l2q_index[i] = take_u64(r);
		if (w->l2q_index[i] >= w->l1_entries)
			return QCOW_ERR_RESUME_MISMATCH;
	}
	if (flags & F_L2) {
		p = take(r, cs);
		if (p) {
			memcpy(w->l2, p, cs);
			w->l2_lo = 0;
			w->l2_hi = cs;
		}
	}
	if (w->l2q_n) {
		p = take(r, (size_t)w->l2q_n * cs);
		if (p)
			memcpy(w->l2q, p, (size_t)w->l2q_n * cs);
	}
	w->pbuf_valid = flags & F_PBUF;
	if (w->pbuf_valid) {
		p = take(r, cs);
		if (p)
			memcpy(w->pbuf, p, cs);
		if (w->pbuf_cluster << w->cluster_bits >= w->virtual_size)
			return QCOW_ERR_RESUME_MISMATCH;
	}
	return r->bad || r->left ? QCOW_ERR_RESUME_MISMATCH : 0;
}

/* The L2 table for L1 index @i: in memory or read from the file. */
static errcode_t l2_table(struct qcow_writer *w, uint64_t i, uint8_t *buf,
			  uint8_t **table)
{
	uint64_t e;

	if (i == w->cur_l1_index) {
		*table = w->l2;
		return 0;
	}
	for (unsigned k = 0; k < w->l2q_n; k++)
		if (w->l2q_index[k] == i) {
			*table = w->l2q + ((size_t)k << w->cluster_bits);
			return 0;
		}
	e = qcow_load_be64(w->l1 + i * 8);
	*table = NULL;
	if (!e)
		return 0;
	*table = buf;
	return w->io->pread(w->io, buf, (size_t)w->cluster_size,
			    e & QCOW2_L1E_OFFSET_MASK);
}

/*
 * How many references each host cluster below next_host_off has, from
 * every L2 entry, kept as the data path keeps them (zrefs: compressed
 * pieces, or references to a shared plain cluster; 0 for the usual one).
 * Plain clusters are allocated in guest order, so a plain entry at or
 * past the highest one seen is the cluster's first reference.
 */
struct ref_walk {
	uint64_t max_plain;   /* highest plain host cluster seen, + 1 */
	uint64_t next_packed; /* past the highest compressed start seen */
	uint64_t di;	      /* cursor into the digests */
	bool fix;	      /* second pass: set OFLAG_COPIED right */
	bool changed;	      /* ... and the table was changed */
	uint8_t *buf;	      /* a cluster */
};

static uint64_t round_up512(uint64_t v)
{
	return (v + 511) & ~511ULL;
}

/* The recorded digest of guest cluster @clu, or NULL (guest order). */
static const uint8_t *digest_of(struct qcow_writer *w, struct ref_walk *rw,
				uint64_t clu)
{
	while (rw->di < w->dg_n && w->dg[rw->di].cluster < clu)
		rw->di++;
	return rw->di < w->dg_n && w->dg[rw->di].cluster == clu
		       ? w->dg[rw->di].digest
		       : NULL;
}

static errcode_t count_compressed(struct qcow_writer *w, uint64_t clu,
				  uint64_t e, struct ref_walk *rw)
{
	uint64_t host, sectors, first, last, span_end;
	const uint8_t *d;
	errcode_t err;

	if (!w->comp)
		return QCOW_ERR_RESUME_MISMATCH;
	qcow_compressed_decode(w->cluster_bits, e, &host, &sectors);
	span_end = (host & ~511ULL) + sectors * 512;
	if (host < (w->first_data << w->cluster_bits) ||
	    span_end > round_up512(w->next_host_off))
		return QCOW_ERR_RESUME_MISMATCH;
	first = host >> w->cluster_bits;
	last = (span_end - 1) >> w->cluster_bits;
	err = qcow_writer_grow_zrefs(w, last);
	for (uint64_t c = first; !err && c <= last; c++)
		if (w->zrefs[c]++ == UINT16_MAX)
			err = QCOW_ERR_RESUME_MISMATCH;
	if (err || host < rw->next_packed)
		return err; /* shares an earlier one */
	/* Packed in guest order: past the last one, a first reference. */
	rw->next_packed = host + 1;
	d = w->dedup_on ? digest_of(w, rw, clu) : NULL;
	return d ? qcow_writer_dedup_note(w, clu, e, d, QCOW_USED_UNKNOWN) : 0;
}

static errcode_t count_plain(struct qcow_writer *w, uint64_t clu, uint64_t host,
			     struct ref_walk *rw)
{
	uint64_t c = host >> w->cluster_bits;
	errcode_t err = qcow_writer_grow_zrefs(w, c);
	uint8_t d[QCOW_DIGEST_LEN];
	const uint8_t *known;

	if (err)
		return err;
	if (c < rw->max_plain) { /* shares an earlier one */
		if (w->zrefs[c] == UINT16_MAX)
			return QCOW_ERR_RESUME_MISMATCH;
		w->zrefs[c] = w->zrefs[c] ? w->zrefs[c] + 1 : 2;
		return 0;
	}
	if (w->zrefs[c]) /* compressed bytes there */
		return QCOW_ERR_RESUME_MISMATCH;
	rw->max_plain = c + 1;
	if (!w->dedup_on)
		return 0;
	known = digest_of(w, rw, clu);
	if (!known) { /* no digests kept: hash the stored bytes */
		err = w->io->pread(w->io, rw->buf, (size_t)w->cluster_size,
				   host);
		if (err)
			return err;
		qcow_writer_digest(w, rw->buf, d);
		known = d;
	}
	return qcow_writer_dedup_note(w, clu, host, known, QCOW_USED_UNKNOWN);
}

/* Pass 1 counts; pass 2 (rw->fix) gives OFLAG_COPIED to exactly the
 * entries whose cluster has one reference (a share made after the last
 * record may have taken it from one already in the file). */
static errcode_t walk_entry(struct qcow_writer *w, uint64_t clu, uint8_t *p,
			    struct ref_walk *rw)
{
	uint64_t e = qcow_load_be64(p), host = e & QCOW2_L2E_OFFSET_MASK;
	uint64_t want;

	if (!e || e == QCOW2_OFLAG_ZERO)
		return 0;
	if (!rw->fix)
		return e & QCOW2_OFLAG_COMPRESSED
			       ? count_compressed(w, clu, e, rw)
		       : e != (host | (e & QCOW2_OFLAG_COPIED)) ||
				       !host_ok(w, host, w->next_host_off)
			       ? QCOW_ERR_RESUME_MISMATCH
			       : count_plain(w, clu, host, rw);
	if (e & QCOW2_OFLAG_COMPRESSED)
		return 0;
	want = qcow_writer_refcount(w, host >> w->cluster_bits) == 1
		       ? host | QCOW2_OFLAG_COPIED
		       : host;
	if (want != e) {
		qcow_store_be64(p, want);
		rw->changed = true;
	}
	return 0;
}

static errcode_t walk_tables(struct qcow_writer *w, struct ref_walk *rw)
{
	unsigned l2_bits = w->cluster_bits - 3;
	uint8_t *buf = malloc((size_t)w->cluster_size);
	errcode_t err = buf ? 0 : ENOMEM;

	for (uint64_t i = 0; !err && i < w->l1_entries; i++) {
		uint8_t *t;

		err = l2_table(w, i, buf, &t);
		rw->changed = false;
		for (uint64_t k = 0; !err && t && k < (1ULL << l2_bits); k++)
			err = walk_entry(w, (i << l2_bits) + k, t + k * 8, rw);
		if (!err && rw->changed && t == buf)
			err = w->io->pwrite(w->io, buf, (size_t)w->cluster_size,
					    qcow_load_be64(w->l1 + i * 8) &
						    QCOW2_L1E_OFFSET_MASK);
	}
	free(buf);
	return err;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* L2 tables used by more than one L1 entry (qcow_writer_l2share.c):
 * refcount the number of entries, which lose OFLAG_COPIED. */
static errcode_t count_l1_refs(struct qcow_writer *w)
{
	uint64_t *hosts = malloc((size_t)w->l1_entries * sizeof(*hosts) + 1);
	size_t n = 0;
	errcode_t err = hosts ? 0 : ENOMEM;

	for (uint64_t i = 0; !err && i < w->l1_entries; i++) {
		uint64_t e =
			qcow_load_be64(w->l1 + i * 8) & QCOW2_L1E_OFFSET_MASK;

		if (e)
			hosts[n++] = e;
	}
	if (!err)
		qsort(hosts, n, sizeof(*hosts), cmp_u64);
	for (size_t i = 0, j; !err && i < n; i = j) {
		for (j = i + 1; j < n && hosts[j] == hosts[i]; j++)
			;
		if (j - i == 1)
			continue;
		if (j - i > UINT16_MAX)
			err = QCOW_ERR_RESUME_MISMATCH;
		else
			err = qcow_writer_grow_zrefs(
				w, hosts[i] >> w->cluster_bits);
		if (!err)
			w->zrefs[hosts[i] >> w->cluster_bits] =
				(uint16_t)(j - i);
	}
	free(hosts);
	for (uint64_t i = 0; !err && i < w->l1_entries; i++) {
		uint64_t e =
			qcow_load_be64(w->l1 + i * 8) & QCOW2_L1E_OFFSET_MASK;

		if (e && qcow_writer_refcount(w, e >> w->cluster_bits) == 1)
			e |= QCOW2_OFLAG_COPIED;
		qcow_store_be64(w->l1 + i * 8, e);
	}
	return err;
}

static errcode_t rebuild_refs(struct qcow_writer *w)
{
	struct ref_walk rw = { .buf = malloc((size_t)w->cluster_size) };
	errcode_t err = rw.buf ? walk_tables(w, &rw) : ENOMEM;

	rw.fix = true;
	if (!err)
		err = walk_tables(w, &rw);
	free(rw.buf);
	return err ? err : count_l1_refs(w);
}

/* The digests of the last record's uncompressed clusters against the
 * bytes in the file: what was written last is what was stored. */
static errcode_t check_last(struct qcow_writer *w, uint64_t from)
{
	unsigned l2_bits = w->cluster_bits - 3;
	uint8_t *buf = malloc((size_t)w->cluster_size * 2);
	uint8_t d[QCOW_DIGEST_LEN];
	errcode_t err = buf ? 0 : ENOMEM;

	for (uint64_t k = from; !err && k < w->dg_n; k++) {
		uint64_t clu = w->dg[k].cluster, e;
		uint8_t *t;

		err = l2_table(w, clu >> l2_bits, buf, &t);
		if (err || !t)
			break;
		e = qcow_load_be64(t + (clu & ((1ULL << l2_bits) - 1)) * 8);
		if (!e || e & (QCOW2_OFLAG_COMPRESSED | QCOW2_OFLAG_ZERO))
			continue;
		err = w->io->pread(w->io, buf + w->cluster_size,
				   (size_t)w->cluster_size,
				   e & QCOW2_L2E_OFFSET_MASK);
		if (err)
			break;
		qcow_writer_digest(w, buf + w->cluster_size, d);
		if (memcmp(d, w->dg[k].digest, QCOW_DIGEST_LEN))
			err = QCOW_ERR_RESUME_MISMATCH;
	}
	free(buf);
	return err;
}

static errcode_t apply_record(struct qcow_writer *w,
			      const struct qcow_writer_record *rec)
{
	struct rec_in r = { rec->data, rec->len, false };
	unsigned flags;
	uint64_t end;
	errcode_t err = apply_fixed(w, &r, &flags, &end);

	if (!err)
		err = apply_l1(w, &r, end);
	if (!err)
		err = apply_digests(w, &r);
	if (!err)
		err = apply_learned(w, &r);
	if (!err)
		err = apply_tables(w, &r, flags);
	return err;
}

errcode_t qcow_writer_resume(struct qcow_io *io,
			     const struct qcow_writer_opts *opts,
			     const struct qcow_writer_record *recs, size_t n,
			     struct qcow_writer **out)
{
	struct qcow_writer_opts o = *opts;
	struct qcow_writer *w;
	uint64_t size = 0, last_from = 0;
	errcode_t err;

	*out = NULL;
	if (!n || io->sequential || !io->pread || !io->get_size || opts->base)
		return QCOW_ERR_BAD_OPTION;
	o.size_hint = 0; /* the file is there already */
	err = qcow_writer_create(io, &o, &w);
	if (err)
		return err;
	/* The partial file holds bytes where a new one has holes. */
	w->sparse = false;
	for (size_t i = 0; !err && i < n; i++) {
		last_from = w->dg_n;
		err = apply_record(w, &recs[i]);
	}
	if (!err)
		err = io->get_size(io, &size);
	/* Nothing stored yet, and nothing written, is a short file too. */
	if (!err && size < w->next_host_off &&
	    w->next_host_off > w->first_data << w->cluster_bits)
		err = QCOW_ERR_RESUME_MISMATCH;
	if (!err)
		err = rebuild_refs(w);
	if (!err)
		err = check_last(w, last_from);
	if (err) {
		qcow_writer_free(w);
		return err;
	}
	w->obuf_off = w->next_host_off;
	w->l2share.n_learned = 0; /* in the records already */
	*out = w;
	return 0;
}
