// SPDX-License-Identifier: MIT
/*
 * qcow_writer.c --- the writer's data path: zero detection, sequential
 * host allocation, L2 tables filled as the guest offset advances.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qcow_compress.h"
#include "qcow_endian.h"
#include "qcow_err.h"
#include "qcow_format.h"
#include "qcow_writer_int.h"

/* Appends of DIRECT_BYTES or more go straight through (no copy); smaller
 * ones are gathered into OBUF_BYTES. */
#define OBUF_BYTES (1U << 20)
#define DIRECT_BYTES (256U << 10)
/* The unit of a hole in the file (store). */
#define SPARSE_PAGE 4096U

unsigned qcow_writer_min_cluster_bits(uint64_t size, unsigned min_bits)
{
	unsigned bits = min_bits;

	while (bits < QCOW2_MAX_CLUSTER_BITS &&
	       qcow_l1_entries_for(size, bits) * 8 > QCOW2_MAX_L1_BYTES)
		bits++;
	return bits;
}

/* A write into a sparse file, which may end before a tail of zero pages
 * not written (reach_end extends it; read_host reads them as zeros). */
static errcode_t store_pwrite(struct qcow_writer *w, const uint8_t *p,
			      size_t len, uint64_t off)
{
	errcode_t err = w->io->pwrite(w->io, p, len, off);

	if (!err && off + len > w->written_end)
		w->written_end = off + len;
	return err;
}

/*
 * Write @len bytes at @off; into a new file, whole pages of zeros are
 * left holes.  A sparsely used big filesystem's image is mostly L2 tables
 * holding an entry or a few, and clusters holding a block or a few (8.6
 * GB of them at 256 TiB, 2.8 GB of it not zero): they need not be
 * written, only read as zeros.
 */
static errcode_t store(struct qcow_writer *w, const uint8_t *p, size_t len,
		       uint64_t off)
{
	size_t start = 0, at = 0;
	errcode_t err = 0;

	if (!w->sparse)
		return w->io->pwrite(w->io, p, len, off);
	while (!err && at < len) {
		size_t n = SPARSE_PAGE - (size_t)((off + at) % SPARSE_PAGE);

		if (n > len - at)
			n = len - at;
		if (n == SPARSE_PAGE && qcow_buf_is_zero(p + at, n)) {
			if (at > start)
				err = store_pwrite(w, p + start, at - start,
						   off + start);
			start = at + n;
		}
		at += n;
	}
	if (!err && at > start)
		err = store_pwrite(w, p + start, at - start, off + start);
	return err;
}

errcode_t qcow_writer_flush_obuf(struct qcow_writer *w)
{
	errcode_t err;

	if (!w->obuf_len)
		return 0;
	err = store(w, w->obuf, w->obuf_len, w->obuf_off);
	w->obuf_off += w->obuf_len;
	w->obuf_len = 0;
	return err;
}

errcode_t qcow_writer_emit(struct qcow_writer *w, const void *buf, size_t len)
{
	errcode_t err;

	if (w->next_host_off + len > QCOW2_MAX_HOST_OFFSET)
		return EFBIG;
	if (len >= DIRECT_BYTES || len >= w->obuf_cap) {
		err = qcow_writer_flush_obuf(w);
		if (err)
			return err;
		err = store(w, buf, len, w->next_host_off);
		w->obuf_off += len;
	} else {
		if (w->obuf_cap - w->obuf_len < len) {
			err = qcow_writer_flush_obuf(w);
			if (err)
				return err;
		}
		memcpy(w->obuf + w->obuf_len, buf, len);
		w->obuf_len += len;
		err = 0;
	}
	w->next_host_off += len;
	return err;
}

static errcode_t pad_to_cluster(struct qcow_writer *w)
{
	size_t pad = (size_t)(-w->next_host_off & (w->cluster_size - 1));
	errcode_t err;

	while (pad) {
		size_t n = w->obuf_cap - w->obuf_len;

		if (!n) {
			err = qcow_writer_flush_obuf(w);
			if (err)
				return err;
			continue;
		}
		if (n > pad)
			n = pad;
		memset(w->obuf + w->obuf_len, 0, n);
		w->obuf_len += n;
		w->next_host_off += n;
		pad -= n;
	}
	return 0;
}

/*
 * Into a new file, only the pages of the table being filled that map
 * something (the rest holes): an L2 table of a sparsely used filesystem
 * holds an entry or a few.
 */
static errcode_t emit_span(struct qcow_writer *w)
{
	size_t lo = w->l2_lo / SPARSE_PAGE * SPARSE_PAGE;
	size_t hi = (w->l2_hi + SPARSE_PAGE - 1) / SPARSE_PAGE * SPARSE_PAGE;
	errcode_t err = qcow_writer_flush_obuf(w);

	while (!err && lo < hi) {
		size_t end = lo;

		while (end < hi && !qcow_buf_is_zero(w->l2 + end, SPARSE_PAGE))
			end += SPARSE_PAGE;
		if (end > lo)
			err = store_pwrite(w, w->l2 + lo, end - lo,
					   w->next_host_off + lo);
		lo = end + SPARSE_PAGE;
	}
	if (err)
		return err;
	w->next_host_off += w->cluster_size;
	w->obuf_off = w->next_host_off;
	return 0;
}

errcode_t qcow_writer_reach_end(struct qcow_writer *w)
{
	uint64_t size;
	errcode_t err;

	if (!w->sparse || !w->io->get_size)
		return 0;
	err = w->io->get_size(w->io, &size);
	if (!err && size < w->next_host_off)
		err = w->io->set_size(w->io, w->next_host_off);
	return err;
}

static errcode_t emit_l2(struct qcow_writer *w, const uint8_t *l2,
			 uint64_t l1_index)
{
	uint64_t host = w->next_host_off;
	errcode_t err;

	if (w->next_host_off + w->cluster_size > QCOW2_MAX_HOST_OFFSET)
		return EFBIG;
	if (l2 == w->l2 && w->sparse && w->cluster_size > SPARSE_PAGE)
		err = emit_span(w);
	else
		err = qcow_writer_emit(w, l2, (size_t)w->cluster_size);
	if (err)
		return err;
	qcow_store_be64(w->l1 + l1_index * 8, host | QCOW2_OFLAG_COPIED);
	w->stats.l2_tables++;
	return 0;
}

/* Pad with zeros up to a cluster boundary; write waiting L2 tables. */
static errcode_t align_host(struct qcow_writer *w)
{
	errcode_t err = pad_to_cluster(w);

	for (unsigned i = 0; !err && i < w->l2q_n; i++)
		err = emit_l2(w, w->l2q + (i << w->cluster_bits),
			      w->l2q_index[i]);
	w->l2q_n = 0;
	return err;
}

uint16_t qcow_writer_refcount(const struct qcow_writer *w, uint64_t c)
{
	if (c < w->zrefs_cap && w->zrefs[c])
		return w->zrefs[c];
	return c && c < w->l1_start ? 0 : 1; /* the quiet head is free */
}

static errcode_t flush_run(struct qcow_writer *w)
{
	errcode_t err;

	if (!w->run_clusters)
		return 0;
	err = qcow_writer_emit(w, w->run_buf,
			       (size_t)(w->run_clusters << w->cluster_bits));
	w->run_clusters = 0;
	return err;
}

/* Store the finished table: now, or queued behind compressed bytes. */
static errcode_t store_l2(struct qcow_writer *w)
{
	uint64_t i = w->cur_l1_index;
	errcode_t err;

	if (!(w->next_host_off & (w->cluster_size - 1)) || !w->l2q) {
		err = align_host(w); /* earlier ones first */
		if (!err)
			err = emit_l2(w, w->l2, i);
		return err ? err
			   : qcow_writer_l2_note(w,
						 qcow_load_be64(w->l1 + i * 8) &
							 QCOW2_L1E_OFFSET_MASK);
	}
	memcpy(w->l2q + (w->l2q_n << w->cluster_bits), w->l2,
	       (size_t)w->cluster_size);
	w->l2q_index[w->l2q_n++] = i;
	return w->l2q_n == QCOW_WRITER_L2Q ? align_host(w) : 0;
}

/* Store the finished L2 table (if it maps anything) and start another. */
static errcode_t switch_l2(struct qcow_writer *w, uint64_t l1_index)
{
	bool shared = false;
	errcode_t err;

	err = flush_run(w);
	if (!err && w->cur_l1_index != QCOW_WRITER_NO_L2 && w->l2_used) {
		err = qcow_writer_l2_share(w, &shared);
		if (!err && !shared)
			err = store_l2(w);
	}
	if (err)
		return err;
	if (w->l2_lo < w->l2_hi)
		memset(w->l2 + w->l2_lo, 0, w->l2_hi - w->l2_lo);
	w->l2_lo = (size_t)w->cluster_size;
	w->l2_hi = 0;
	w->cur_l1_index = l1_index;
	w->l2_used = false;
	return 0;
}

void qcow_writer_l2_set(struct qcow_writer *w, size_t at, uint64_t entry)
{
	qcow_store_be64(w->l2 + at * 8, entry);
	if (at * 8 < w->l2_lo)
		w->l2_lo = at * 8;
	if (at * 8 + 8 > w->l2_hi)
		w->l2_hi = at * 8 + 8;
}

errcode_t qcow_writer_enter_l2(struct qcow_writer *w, uint64_t clu)
{
	uint64_t l1_index = clu >> (w->cluster_bits - 3);

	return l1_index == w->cur_l1_index ? 0 : switch_l2(w, l1_index);
}

static void set_l2_entry(struct qcow_writer *w, uint64_t clu, uint64_t entry)
{
	unsigned l2_bits = w->cluster_bits - 3;

	qcow_writer_l2_set(w, (size_t)(clu & ((1ULL << l2_bits) - 1)), entry);
	w->l2_used = true;
	w->stats.data_clusters++;
}

/* Map guest cluster @clu to the next host cluster; data follows later. */
static errcode_t store_raw(struct qcow_writer *w, uint64_t clu,
			   const uint8_t *data, uint64_t *hostp)
{
	uint64_t host;
	errcode_t err;

	err = qcow_writer_enter_l2(w, clu);
	if (err)
		return err;
	/* Data in a pending run is contiguous with what is already staged. */
	if (w->run_clusters &&
	    w->run_buf + (w->run_clusters << w->cluster_bits) != data) {
		err = flush_run(w);
		if (err)
			return err;
	}
	if (!w->run_clusters) {
		err = align_host(w); /* after compressed data */
		if (err)
			return err;
	}
	host = w->next_host_off + (w->run_clusters << w->cluster_bits);
	if (host + w->cluster_size > QCOW2_MAX_HOST_OFFSET)
		return EFBIG;
	set_l2_entry(w, clu, host | QCOW2_OFLAG_COPIED);
	if (!w->run_clusters)
		w->run_buf = data;
	w->run_clusters++;
	*hostp = host;
	return 0;
}

/* Is a cluster whose bytes past @used are zeros better left mostly a
 * hole?  Only into a new file. */
static bool mostly_zeros(const struct qcow_writer *w, uint32_t used)
{
	return w->sparse && w->cluster_size > SPARSE_PAGE &&
	       used <= w->cluster_size / 2;
}

/*
 * Map @clu to the next host cluster and write its used pages now,
 * straight from the caller's buffer; the zeros after them stay a hole.
 * At 1 PiB every cluster holds one block: copying the 60 KiB of zeros
 * into the staging buffer and finding them there again was a tenth of
 * the capture.
 */
static errcode_t store_sparse(struct qcow_writer *w, uint64_t clu,
			      const uint8_t *data, uint32_t used,
			      uint64_t *hostp)
{
	size_t n = (used + SPARSE_PAGE - 1) / SPARSE_PAGE * SPARSE_PAGE;
	uint64_t host;
	errcode_t err;

	err = qcow_writer_enter_l2(w, clu);
	if (!err)
		err = flush_run(w);
	if (!err)
		err = align_host(w);
	if (!err)
		err = qcow_writer_flush_obuf(w);
	if (err)
		return err;
	host = w->next_host_off;
	if (host + w->cluster_size > QCOW2_MAX_HOST_OFFSET)
		return EFBIG;
	err = n ? store(w, data, n, host) : 0;
	if (err)
		return err;
	set_l2_entry(w, clu, host | QCOW2_OFLAG_COPIED);
	w->next_host_off += w->cluster_size;
	w->obuf_off = w->next_host_off;
	*hostp = host;
	return 0;
}

errcode_t qcow_writer_grow_zrefs(struct qcow_writer *w, uint64_t last)
{
	uint64_t cap = w->zrefs_cap ? w->zrefs_cap : 1024;
	uint16_t *p;

	while (cap <= last)
		cap *= 2;
	if (cap == w->zrefs_cap)
		return 0;
	p = realloc(w->zrefs, cap * sizeof(*p));
	if (!p)
		return ENOMEM;
	memset(p + w->zrefs_cap, 0, (cap - w->zrefs_cap) * sizeof(*p));
	w->zrefs = p;
	w->zrefs_cap = cap;
	return 0;
}

/*
 * Append @zlen compressed bytes right after the previous ones.  The L2
 * entry holds the byte offset and how many 512-byte sectors beyond the
 * first one the data reaches into; every host cluster those sectors
 * touch counts one more reference.
 */
static errcode_t store_compressed(struct qcow_writer *w, uint64_t clu,
				  const uint8_t *z, size_t zlen,
				  uint64_t *entry)
{
	uint64_t host, first, last;
	errcode_t err;

	err = qcow_writer_enter_l2(w, clu);
	if (!err)
		err = flush_run(w);
	if (err)
		return err;
	host = w->next_host_off;
	first = host >> w->cluster_bits;
	/*
	 * Waiting L2 tables go in at the boundary this piece would cross
	 * (or starts at), and a host cluster's 16-bit refcount must not
	 * overflow.
	 */
	if ((w->l2q_n && (!(host & (w->cluster_size - 1)) ||
			  (host + zlen - 1) >> w->cluster_bits != first)) ||
	    (first < w->zrefs_cap && w->zrefs[first] == UINT16_MAX)) {
		err = align_host(w);
		if (err)
			return err;
		host = w->next_host_off;
		first = host >> w->cluster_bits;
	}
	last = (host + zlen - 1) >> w->cluster_bits;
	if (host + zlen > QCOW2_MAX_HOST_OFFSET ||
	    !qcow_compressed_fits(w->cluster_bits, host))
		return EFBIG;
	err = qcow_writer_grow_zrefs(w, last);
	if (err)
		return err;
	for (uint64_t c = first; c <= last; c++)
		w->zrefs[c]++;
	*entry = qcow_compressed_entry(w->cluster_bits, host, zlen);
	set_l2_entry(w, clu, *entry);
	w->stats.compressed_clusters++;
	return qcow_writer_emit(w, z, zlen);
}

/* Remember the digest of stored guest cluster @clu (@data: raw bytes). */
errcode_t qcow_writer_add_digest(struct qcow_writer *w, uint64_t clu,
				 const uint8_t *digest)
{
	if (w->dg_n == w->dg_cap) {
		uint64_t cap = w->dg_cap ? w->dg_cap * 2 : 1024;
		struct qcow_digest_entry *p = realloc(w->dg, cap * sizeof(*p));

		if (!p)
			return ENOMEM;
		w->dg = p;
		w->dg_cap = cap;
	}
	w->dg[w->dg_n].cluster = clu;
	memcpy(w->dg[w->dg_n].digest, digest, QCOW_DIGEST_LEN);
	w->dg_n++;
	return 0;
}

/* The digest of @data, the cluster @clu, into @d (against_digests() may
 * have taken it already), recorded if digests are kept. */
static errcode_t note_digest(struct qcow_writer *w, uint64_t clu,
			     const uint8_t *data, uint8_t *d)
{
	if (!w->digests && !w->dedup_on)
		return 0;
	if (w->hashed_valid && w->hashed_clu == clu)
		memcpy(d, w->hashed, QCOW_DIGEST_LEN);
	else
		qcow_writer_digest(w, data, d);
	return w->digests ? qcow_writer_add_digest(w, clu, d) : 0;
}

/* A cluster equal to one stored earlier: point at that one. */
static errcode_t store_shared(struct qcow_writer *w, uint64_t clu,
			      uint64_t host)
{
	errcode_t err = qcow_writer_enter_l2(w, clu);

	if (err)
		return err;
	set_l2_entry(w, clu, host);
	w->stats.dedup_clusters++;
	return 0;
}

/* An uncompressed cluster, digest @d: shared if stored before, else
 * stored (and offered to later ones). */
static errcode_t store_plain(struct qcow_writer *w, uint64_t clu,
			     const uint8_t *data, const uint8_t *d)
{
	/* Its bytes up to the last non-zero one, if the workers said. */
	bool known = w->used_valid && w->used_clu == clu;
	uint32_t used = known ? w->used : 0;
	uint64_t host;
	errcode_t err;

	if (w->dedup_on) {
		if (!known)
			used = (uint32_t)qcow_buf_used(data,
						       (size_t)w->cluster_size);
		known = true;
		err = qcow_writer_dedup_find(w, data, d, used, &host);
		if (err || host)
			return err ? err : store_shared(w, clu, host);
	}
	err = known && mostly_zeros(w, used)
		      ? store_sparse(w, clu, data, used, &host)
		      : store_raw(w, clu, data, &host);
	if (!err && w->dedup_on)
		err = qcow_writer_dedup_note(w, clu, host, d, used);
	return err;
}

/* A compressed cluster, digest @d: shared if stored before (same
 * compressed bytes), else packed after the others and offered. */
static errcode_t store_packed(struct qcow_writer *w, uint64_t clu,
			      const uint8_t *z, size_t zlen, const uint8_t *d)
{
	uint64_t entry;
	errcode_t err;

	if (w->dedup_on) {
		err = qcow_writer_dedup_find_compressed(w, z, zlen, d, &entry);
		if (!err && entry)
			err = qcow_writer_enter_l2(w, clu);
		if (err || entry) {
			if (!err) {
				set_l2_entry(w, clu, entry);
				w->stats.compressed_clusters++;
				w->stats.dedup_clusters++;
			}
			return err;
		}
	}
	err = store_compressed(w, clu, z, zlen, &entry);
	if (!err && w->dedup_on)
		err = qcow_writer_dedup_note(w, clu, entry, d,
					     QCOW_USED_UNKNOWN);
	return err;
}

/* A cluster of data to keep: its digest, then compressed as @z
 * (@zlen bytes) or, with @zlen 0, as it is. */
static errcode_t store_data(struct qcow_writer *w, uint64_t clu,
			    const uint8_t *data, const uint8_t *z, size_t zlen)
{
	uint8_t d[QCOW_DIGEST_LEN];
	errcode_t err = note_digest(w, clu, data, d);

	if (err)
		return err;
	return zlen ? store_packed(w, clu, z, zlen, d)
		    : store_plain(w, clu, data, d);
}

/* One whole cluster of guest data: skipped, compressed or stored. */
static errcode_t store_cluster(struct qcow_writer *w, uint64_t clu,
			       const uint8_t *data)
{
	errcode_t err;
	bool done;

	err = qcow_writer_overlay_decide(w, clu, data, &done);
	if (err || done)
		return err ? err : flush_run(w);
	if (qcow_buf_is_zero(data, (size_t)w->cluster_size)) {
		w->stats.zero_clusters++;
		return flush_run(w);
	}
	return store_data(
		w, clu, data, w->zbuf,
		w->comp ? qcow_compress_cluster(w->comp, data, w->zbuf) : 0);
}

static errcode_t flush_partial(struct qcow_writer *w)
{
	errcode_t err;

	if (!w->pbuf_valid)
		return 0;
	w->pbuf_valid = false;
	err = store_cluster(w, w->pbuf_cluster, w->pbuf);
	if (!err)
		err = flush_run(w); /* pbuf is reused: copy it out now */
	return err;
}

static errcode_t write_pieces(struct qcow_writer *w, uint64_t off,
			      const uint8_t *p, size_t len)
{
	uint64_t mask = w->cluster_size - 1;
	errcode_t err = 0;

	while (len && !err) {
		uint64_t clu = off >> w->cluster_bits;
		size_t within = (size_t)(off & mask);
		size_t piece;

		if (w->pbuf_valid && w->pbuf_cluster != clu) {
			err = flush_partial(w);
			if (err)
				break;
		}
		if (!within && !w->pbuf_valid && len >= w->cluster_size) {
			size_t n = len >> w->cluster_bits;

			for (size_t i = 0; i < n && !err; i++)
				err = store_cluster(w, clu + i,
						    p + (i << w->cluster_bits));
			if (!err)
				err = flush_run(w);
			piece = n << w->cluster_bits;
		} else {
			piece = (size_t)w->cluster_size - within;
			if (piece > len)
				piece = len;
			if (!w->pbuf_valid) {
				memset(w->pbuf, 0, (size_t)w->cluster_size);
				w->pbuf_cluster = clu;
				w->pbuf_valid = true;
			}
			memcpy(w->pbuf + within, p, piece);
			if (within + piece == w->cluster_size)
				err = flush_partial(w);
		}
		off += piece;
		p += piece;
		len -= piece;
	}
	return err;
}

errcode_t qcow_writer_pwrite(struct qcow_writer *w, uint64_t guest_off,
			     const void *buf, size_t len)
{
	if (w->err)
		return w->err;
	if (w->finished)
		return QCOW_ERR_WRITER_FAILED;
	if (guest_off < w->guest_pos)
		return w->err = QCOW_ERR_OUT_OF_ORDER_WRITE;
	if (guest_off > w->virtual_size || len > w->virtual_size - guest_off)
		return w->err = QCOW_ERR_WRITE_PAST_END;
	if (!len)
		return 0;
	w->guest_pos = guest_off + len;
	w->err = write_pieces(w, guest_off, buf, len);
	return w->err;
}

bool qcow_writer_wants_digests(const struct qcow_writer *w)
{
	return w->digests || w->dedup_on;
}

unsigned qcow_writer_digest_alg(const struct qcow_writer *w)
{
	return w->digest_alg;
}

void qcow_writer_digest(const struct qcow_writer *w, const uint8_t *data,
			uint8_t out[QCOW_DIGEST_LEN])
{
	qcow_digest_cluster(w->digest_alg, data, (size_t)w->cluster_size,
			    (size_t)w->cluster_size, out);
}

errcode_t qcow_writer_put_clusters(struct qcow_writer *w, uint64_t guest_off,
				   size_t n, const uint8_t *raw,
				   const uint8_t *zdata, const uint32_t *zlen,
				   const struct qcow_cluster_sum *sums)
{
	uint64_t clu = guest_off >> w->cluster_bits;
	size_t cs = (size_t)w->cluster_size;
	errcode_t err;

	if (w->err)
		return w->err;
	if (w->finished)
		return QCOW_ERR_WRITER_FAILED;
	if (guest_off < w->guest_pos || guest_off & (cs - 1))
		return w->err = QCOW_ERR_OUT_OF_ORDER_WRITE;
	if (guest_off > w->virtual_size ||
	    n > (w->virtual_size - guest_off) >> w->cluster_bits)
		return w->err = QCOW_ERR_WRITE_PAST_END;
	err = flush_partial(w);
	for (size_t i = 0; i < n && !err; i++) {
		const uint8_t *data = raw + i * cs;
		bool done;

		if (sums) { /* for note_digest(), dedup and the overlay */
			memcpy(w->hashed,
			       sums[i].used ? sums[i].digest : w->zero_digest,
			       QCOW_DIGEST_LEN);
			w->hashed_clu = w->used_clu = clu + i;
			w->hashed_valid = w->used_valid = true;
			w->used = sums[i].used;
		}
		err = qcow_writer_overlay_decide(w, clu + i, data, &done);
		if (err || done)
			continue;
		if (zlen && zlen[i] && zlen[i] < cs)
			err = store_data(w, clu + i, data, zdata + i * cs,
					 zlen[i]);
		else if (sums ? !sums[i].used : qcow_buf_is_zero(data, cs))
			w->stats.zero_clusters++;
		else
			err = store_data(w, clu + i, data, NULL, 0);
	}
	if (!err)
		err = flush_run(w); /* @raw is the caller's again */
	if (!err && n)
		w->guest_pos = guest_off + ((uint64_t)n << w->cluster_bits);
	return w->err = err;
}

static errcode_t check_opts(const struct qcow_writer_opts *o,
			    struct qcow_io *io)
{
	if (o->version != 2 && o->version != 3)
		return QCOW_ERR_UNSUPPORTED_VERSION;
	if (o->cluster_bits < QCOW2_MIN_CLUSTER_BITS ||
	    o->cluster_bits > QCOW2_MAX_CLUSTER_BITS)
		return QCOW_ERR_BAD_CLUSTER_BITS;
	if (!o->virtual_size || o->virtual_size > (1ULL << 62))
		return QCOW_ERR_BAD_OPTION;
	if (io->sequential && (!o->plan || !o->plan_l1))
		return QCOW_ERR_NOT_SEEKABLE;
	if (o->compress && o->compress_type != 0 && o->version < 3)
		return QCOW_ERR_BAD_OPTION;
	if (!o->base != !o->backing_file || (o->base && o->version < 3))
		return QCOW_ERR_BAD_OPTION;
	if (o->dedup && (io->sequential || !io->pread))
		return QCOW_ERR_BAD_OPTION;
	if (o->digest_alg && !qcow_digest_alg_known(o->digest_alg))
		return QCOW_ERR_BAD_OPTION;
	if (qcow_l1_entries_for(o->virtual_size, o->cluster_bits) * 8 >
	    QCOW2_MAX_L1_BYTES)
		return QCOW_ERR_TOO_BIG;
	return 0;
}

static errcode_t alloc_buffers(struct qcow_writer *w)
{
	size_t cs = (size_t)w->cluster_size;

	w->obuf_cap = cs > OBUF_BYTES ? cs : OBUF_BYTES;
	w->obuf = malloc(w->obuf_cap);
	w->l2 = calloc(1, cs);
	w->l2_lo = cs;
	w->pbuf = malloc(cs);
	w->hdr_cluster = calloc(1, cs);
	w->l1 = calloc(w->l1_clusters, cs);
	if (!w->obuf || !w->l2 || !w->pbuf || !w->hdr_cluster || !w->l1)
		return ENOMEM;
	if (w->comp) {
		w->zbuf = malloc(cs);
		w->l2q = malloc(cs * QCOW_WRITER_L2Q);
		if (!w->zbuf || !w->l2q)
			return ENOMEM;
	}
	return 0;
}

errcode_t qcow_writer_create(struct qcow_io *io,
			     const struct qcow_writer_opts *opts,
			     struct qcow_writer **out)
{
	struct qcow_writer_tail tail;
	struct qcow_writer *w;
	errcode_t err;

	*out = NULL;
	err = check_opts(opts, io);
	if (err)
		return err;
	w = calloc(1, sizeof(*w));
	if (!w)
		return ENOMEM;
	w->io = io;
	w->cluster_bits = opts->cluster_bits;
	w->cluster_size = 1ULL << opts->cluster_bits;
	w->version = opts->version;
	w->virtual_size = opts->virtual_size;
	w->l1_entries = qcow_l1_entries_for(w->virtual_size, w->cluster_bits);
	w->l1_clusters =
		(w->l1_entries * 8 + w->cluster_size - 1) >> w->cluster_bits;
	w->cur_l1_index = QCOW_WRITER_NO_L2;
	w->stream = io->sequential;
	w->no_sync = opts->no_sync;
	w->sparse = !io->sequential;
	/* Version 2 has no autoclear bits to guard the table with. */
	w->digests = opts->digests && opts->version >= 3;
	w->digest_alg =
		opts->digest_alg ? opts->digest_alg : QCOW_DIGEST_XXH3_128_USED;
	w->dedup_on = opts->dedup;
	w->base = opts->base;
	/* Cluster 0 is the header; the L1 table follows the quiet head,
	 * and data the L1 table. */
	w->l1_start = w->cluster_size >= QCOW_WRITER_QUIET_HEAD
			      ? 1
			      : QCOW_WRITER_QUIET_HEAD >> w->cluster_bits;
	w->first_data = w->l1_start + w->l1_clusters;
	w->next_host_off = w->obuf_off = w->first_data << w->cluster_bits;
	err = 0;
	if (opts->compress) {
		w->compress_type = opts->compress_type;
		err = qcow_compressor_create(
			opts->compress_type,
			opts->compress_level ? opts->compress_level
					     : qcow_compress_default_level(
						       opts->compress_type),
			w->cluster_bits, &w->comp);
	}
	if (!err)
		err = alloc_buffers(w);
	/* The empty L2 table is a cluster of zeros: its digest stands for
	 * every zero cluster's (put_clusters' callers need not hash them). */
	if (!err)
		qcow_writer_digest(w, w->l2, w->zero_digest);
	if (!err && opts->backing_file) {
		w->backing_file = strdup(opts->backing_file);
		w->bbuf = calloc(1, (size_t)w->cluster_size);
		if (!w->backing_file || !w->bbuf)
			err = ENOMEM;
		w->bdg = opts->base_digests;
		w->bdg_n = opts->n_base_digests;
	}
	if (!err && w->stream) {
		/* A stream's header and L1 table come first: place the tail
		 * from the plan. */
		w->plan = *opts->plan;
		w->plan_l1 =
			malloc((size_t)(w->l1_clusters << w->cluster_bits));
		if (!w->plan_l1)
			err = ENOMEM;
		else
			memcpy(w->plan_l1, opts->plan_l1,
			       (size_t)(w->l1_clusters << w->cluster_bits));
		qcow_writer_plan_tail(w, w->plan.host_clusters, &tail);
	} else {
		qcow_writer_plan_tail(w, 1,
				      &tail); /* offsets fixed at finish */
	}
	if (!err)
		err = qcow_writer_build_header(w, &tail, opts);
	if (!err && w->stream)
		err = io->pwrite(io, w->hdr_cluster, (size_t)w->cluster_size,
				 0);
	if (!err && w->stream)
		err = io->pwrite(io, w->plan_l1,
				 (size_t)(w->l1_clusters << w->cluster_bits),
				 w->l1_start << w->cluster_bits);
	else if (!err && opts->size_hint)
		err = io->set_size(io, opts->size_hint);
	if (err) {
		qcow_writer_free(w);
		return err;
	}
	*out = w;
	return 0;
}

errcode_t qcow_writer_finish(struct qcow_writer *w)
{
	struct qcow_writer_tail tail;
	errcode_t err = w->err;

	if (!err && w->finished)
		err = QCOW_ERR_WRITER_FAILED;
	if (!err)
		err = flush_partial(w);
	if (!err)
		err = qcow_writer_overlay_cover(
			w, (w->virtual_size + w->cluster_size - 1) >>
				   w->cluster_bits);
	if (!err)
		err = switch_l2(w, QCOW_WRITER_NO_L2);
	if (!err)
		err = align_host(w);
	w->stats.host_clusters = w->next_host_off >> w->cluster_bits;
	if (!err && w->stream &&
	    (w->stats.data_clusters != w->plan.data_clusters ||
	     w->stats.l2_tables != w->plan.l2_tables ||
	     w->stats.host_clusters != w->plan.host_clusters ||
	     memcmp(w->l1, w->plan_l1,
		    (size_t)(w->l1_clusters << w->cluster_bits))))
		err = QCOW_ERR_PLAN_MISMATCH;
	if (!err) {
		qcow_writer_plan_tail(w, w->stats.host_clusters, &tail);
		err = qcow_writer_write_tail(w, &tail);
	}
	w->finished = true;
	w->err = err;
	return err;
}

const uint8_t *qcow_writer_l1(const struct qcow_writer *w, size_t *len)
{
	*len = (size_t)(w->l1_clusters << w->cluster_bits);
	return w->l1;
}

void qcow_writer_stats(const struct qcow_writer *w,
		       struct qcow_writer_stats *out)
{
	*out = w->stats;
}

void qcow_writer_free(struct qcow_writer *w)
{
	if (!w)
		return;
	free(w->dg);
	free(w->bbuf);
	free(w->backing_file);
	free(w->obuf);
	free(w->l1);
	free(w->plan_l1);
	free(w->l2);
	free(w->pbuf);
	free(w->hdr_cluster);
	free(w->zbuf);
	free(w->l2q);
	free(w->zrefs);
	qcow_writer_dedup_free(&w->dedup);
	qcow_writer_l2share_free(&w->l2share);
	qcow_compressor_free(w->comp);
	free(w);
}
