// SPDX-License-Identifier: MIT
/*
 * qcow_writer_dedup.c --- identical clusters stored once.
 *
 * Every stored cluster is hashed anyway (XXH3-128, for verify); with
 * opts.dedup a table from digest to host cluster lets a later cluster
 * with the same bytes point at the earlier one.  The bytes are compared
 * before sharing (read back from the staging buffer, the pending run or
 * the file), so a digest collision costs a copy, never data: the bytes
 * up to the last non-zero one, as the rest of both are known zeros (a
 * metadata cluster is a block or two and zeros).  A shared
 * host cluster's refcount is its number of references (kept where the
 * compressed clusters' counts are kept, 16 bits: at 65535 a new copy is
 * stored), and qcow2 wants OFLAG_COPIED only on clusters of refcount 1:
 * the first reference loses it when the second appears, wherever its L2
 * table is by then.  Compressed clusters are shared too: a later one
 * whose compressed bytes equal an earlier one's (the compressor is
 * deterministic, and equal streams decompress alike) gets its L2 entry,
 * and every host cluster its bytes touch counts one more reference.
 * Only a seekable output shares; a stream cannot patch what it sent.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "qcow_endian.h"
#include "qcow_err.h"
#include "qcow_format.h"
#include "qcow_writer_int.h"

struct qcow_dedup_slot {
	uint8_t digest[QCOW_DIGEST_LEN];
	/* A plain cluster's host offset, or a compressed cluster's L2
	 * entry (QCOW2_OFLAG_COMPRESSED set); 0: empty (host cluster 0 is
	 * the header). */
	uint64_t host;
	uint64_t clu;  /* the guest cluster that first stored it */
	uint32_t used; /* its bytes up to the last non-zero one, or
			  QCOW_USED_UNKNOWN */
};

static struct qcow_dedup_slot *lookup(const struct qcow_dedup *t,
				      const uint8_t *digest)
{
	return qcow_digest_table_lookup(&t->tab, digest);
}

void qcow_writer_dedup_free(struct qcow_dedup *t)
{
	qcow_digest_table_free(&t->tab);
	free(t->buf);
	free(t->cached);
	free(t->cached_host);
	free(t->cached_len);
	memset(t, 0, sizeof(*t));
}

errcode_t qcow_writer_dedup_note(struct qcow_writer *w, uint64_t clu,
				 uint64_t host, const uint8_t *digest,
				 uint32_t used)
{
	struct qcow_dedup *t = &w->dedup;
	struct qcow_dedup_slot *s;
	errcode_t err;

	t->tab.slot_size = sizeof(*s);
	t->tab.used_at = offsetof(struct qcow_dedup_slot, host);
	err = qcow_digest_table_reserve(&t->tab);
	if (err)
		return err;
	s = lookup(t, digest);
	if (!s->host)
		t->tab.n++;
	memcpy(s->digest, digest, QCOW_DIGEST_LEN);
	s->host = host;
	s->clu = clu;
	s->used = used;
	return 0;
}

/*
 * @len bytes at host byte @off, wherever they are by now: in the pending
 * run, in the file, in the staging buffer, or (compressed bytes) begun
 * in the file and ended in the staging buffer.
 */
static errcode_t read_host(struct qcow_writer *w, uint64_t off, size_t len,
			   uint8_t *buf)
{
	uint64_t run_end =
		w->next_host_off + (w->run_clusters << w->cluster_bits);
	uint64_t end = off + len;
	errcode_t err = 0;

	if (w->run_clusters && off >= w->next_host_off && off < run_end) {
		memcpy(buf, w->run_buf + (off - w->next_host_off), len);
		return 0;
	}
	if (off < w->obuf_off) {
		size_t n =
			(size_t)((end < w->obuf_off ? end : w->obuf_off) - off);
		/* Zero pages at the end of what was emitted may not be
		 * in the file yet: they were never written. */
		size_t in_file = !w->sparse		 ? n
				 : off >= w->written_end ? 0
				 : n < w->written_end - off
					 ? n
					 : (size_t)(w->written_end - off);

		err = w->io->pread(w->io, buf, in_file, off);
		memset(buf + in_file, 0, n - in_file);
		buf += n;
		off += n;
	}
	if (!err && off < end) {
		if (end > w->obuf_off + w->obuf_len)
			return QCOW_ERR_WRITER_FAILED; /* not written yet */
		memcpy(buf, w->obuf + (off - w->obuf_off), (size_t)(end - off));
	}
	return err;
}

/* Bytes of the cache for clusters read back. */
#define DEDUP_CACHE_BYTES (8U << 20)

/*
 * The first @len bytes of the stored host cluster at @host, from the
 * cache or read into it.  Host data clusters never change once written.
 */
static errcode_t cached_host(struct qcow_writer *w, uint64_t host, size_t len,
			     const uint8_t **out)
{
	struct qcow_dedup *t = &w->dedup;
	size_t cs = (size_t)w->cluster_size;
	unsigned i;
	errcode_t err;

	if (!t->n_cached) {
		unsigned n = (unsigned)(DEDUP_CACHE_BYTES / cs);

		n = n ? n : 1;
		t->cached = malloc(n * cs);
		t->cached_host = calloc(n, sizeof(*t->cached_host));
		t->cached_len = calloc(n, sizeof(*t->cached_len));
		if (!t->cached || !t->cached_host || !t->cached_len) {
			free(t->cached);
			free(t->cached_host);
			free(t->cached_len);
			t->cached = NULL;
			t->cached_host = NULL;
			t->cached_len = NULL;
			return ENOMEM;
		}
		t->n_cached = n;
	}
	i = (unsigned)((host >> w->cluster_bits) % t->n_cached);
	if (t->cached_host[i] != host || t->cached_len[i] < len) {
		t->cached_host[i] = 0;
		err = read_host(w, host, len, t->cached + i * cs);
		if (err)
			return err;
		t->cached_host[i] = host;
		t->cached_len[i] = len;
	}
	*out = t->cached + i * cs;
	return 0;
}

/* Guest cluster @clu's L2 entry now says @entry, wherever its table is. */
static errcode_t rewrite_entry(struct qcow_writer *w, uint64_t clu,
			       uint64_t entry)
{
	unsigned l2_bits = w->cluster_bits - 3;
	uint64_t l1i = clu >> l2_bits;
	size_t at = (size_t)(clu & ((1ULL << l2_bits) - 1)) * 8;
	uint64_t off;
	uint8_t be[8];

	if (l1i == w->cur_l1_index) {
		qcow_writer_l2_set(w, at / 8, entry);
		return 0;
	}
	for (unsigned i = 0; i < w->l2q_n; i++)
		if (w->l2q_index[i] == l1i) {
			qcow_store_be64(
				w->l2q + ((size_t)i << w->cluster_bits) + at,
				entry);
			return 0;
		}
	off = (qcow_load_be64(w->l1 + l1i * 8) & QCOW2_L1E_OFFSET_MASK) + at;
	if (off >= w->obuf_off && off + 8 <= w->obuf_off + w->obuf_len) {
		qcow_store_be64(w->obuf + (off - w->obuf_off), entry);
		return 0;
	}
	qcow_store_be64(be, entry);
	return w->io->pwrite(w->io, be, 8, off);
}

errcode_t qcow_writer_dedup_find(struct qcow_writer *w, const uint8_t *data,
				 const uint8_t *digest, uint32_t used,
				 uint64_t *host)
{
	struct qcow_dedup *t = &w->dedup;
	struct qcow_dedup_slot *s = lookup(t, digest);
	const uint8_t *stored;
	uint64_t hc;
	errcode_t err;

	*host = 0;
	if (!s || !s->host || s->host & QCOW2_OFLAG_COMPRESSED)
		return 0;
	hc = s->host >> w->cluster_bits;
	if (hc < w->zrefs_cap && w->zrefs[hc] == UINT16_MAX)
		return 0; /* full: this one is stored, and shared next */
	/* Past their used bytes both are zeros: compare the rest. */
	if (s->used != QCOW_USED_UNKNOWN && s->used != used)
		return 0; /* a digest collision: store it */
	if (s->used == QCOW_USED_UNKNOWN)
		used = (uint32_t)w->cluster_size;
	err = cached_host(w, s->host, used, &stored);
	if (err)
		return err;
	if (memcmp(stored, data, used))
		return 0; /* a digest collision: store it */
	err = qcow_writer_grow_zrefs(w, hc);
	if (err)
		return err;
	if (!w->zrefs[hc]) {
		err = rewrite_entry(w, s->clu, s->host);
		if (err)
			return err;
		w->zrefs[hc] = 1;
	}
	w->zrefs[hc]++;
	*host = s->host;
	return 0;
}

errcode_t qcow_writer_dedup_find_compressed(struct qcow_writer *w,
					    const uint8_t *z, size_t zlen,
					    const uint8_t *digest,
					    uint64_t *entry)
{
	struct qcow_dedup *t = &w->dedup;
	struct qcow_dedup_slot *s = lookup(t, digest);
	uint64_t host, sectors, first, last;
	errcode_t err;

	*entry = 0;
	if (!s || !(s->host & QCOW2_OFLAG_COMPRESSED))
		return 0;
	qcow_compressed_decode(w->cluster_bits, s->host, &host, &sectors);
	/* Its sectors must hold as many bytes as this one has. */
	if (((host + zlen - 1) >> 9) - (host >> 9) + 1 > sectors)
		return 0;
	first = host >> w->cluster_bits;
	last = ((host & ~511ULL) + sectors * 512 - 1) >> w->cluster_bits;
	if (last >= w->zrefs_cap)
		return 0;
	for (uint64_t c = first; c <= last; c++)
		if (w->zrefs[c] == UINT16_MAX)
			return 0; /* full: this one is stored */
	if (!t->buf) {
		t->buf = malloc((size_t)w->cluster_size);
		if (!t->buf)
			return ENOMEM;
	}
	err = read_host(w, host, zlen, t->buf);
	if (err || memcmp(t->buf, z, zlen))
		return err; /* a digest collision: store it */
	for (uint64_t c = first; c <= last; c++)
		w->zrefs[c]++;
	*entry = s->host;
	return 0;
}
