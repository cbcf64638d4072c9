// SPDX-License-Identifier: MIT
/*
 * qcow_writer_overlay.c --- the overlay's decisions (opts.base): which
 * guest clusters need storing at all.  A cluster the base already holds
 * (compared by reading the base, or by the base chain's digests) is left
 * unmapped, reading through to it; one that became zero over the base's
 * data, or that nobody wrote where the base has data, becomes a zero
 * cluster.  The data path asks before it stores anything; without a
 * base every answer is "store it".
 */
#include <string.h>

#include "qcow_endian.h"
#include "qcow_format.h"
#include "qcow_io.h"
#include "qcow_reader.h"
#include "qcow_writer_int.h"

/* A zero cluster: reads as zeros whatever the backing file holds. */
static errcode_t store_zero(struct qcow_writer *w, uint64_t clu)
{
	unsigned l2_bits = w->cluster_bits - 3;
	errcode_t err = qcow_writer_enter_l2(w, clu);

	if (err)
		return err;
	qcow_writer_l2_set(w, (size_t)(clu & ((1ULL << l2_bits) - 1)),
			   QCOW2_OFLAG_ZERO);
	w->l2_used = true;
	w->stats.zeroed_clusters++;
	/* Its digest too: the chain's digests then say what every cluster
	 * an overlay defines reads as (qcow_reader_chain_digests). */
	return w->digests ? qcow_writer_add_digest(w, clu, w->zero_digest) : 0;
}

/*
 * Overlay: clusters from next_clu up to @clu that nobody wrote read as
 * zero in the new image; where the base has data there, say so.
 */
errcode_t qcow_writer_overlay_cover(struct qcow_writer *w, uint64_t clu)
{
	uint64_t cs = w->cluster_size, off, end;
	errcode_t err = 0;

	if (!w->base || clu <= w->next_clu)
		return 0;
	off = w->next_clu * cs;
	end = clu * cs < w->virtual_size ? clu * cs : w->virtual_size;
	w->next_clu = clu;
	while (off < end && !err) {
		uint64_t zero = 0, data = 0, first, last;

		err = qcow_reader_zero_run(w->base, off, end - off, &zero,
					   &data);
		if (err || zero) {
			off += zero;
			continue;
		}
		first = off / cs;
		last = (off + data - 1) / cs;
		for (uint64_t c = first; c <= last && !err; c++)
			err = store_zero(w, c);
		off = (last + 1) * cs;
	}
	return err;
}

/* against_base() by the base chain's digests: no read of the base. */
static errcode_t against_digests(struct qcow_writer *w, uint64_t clu,
				 const uint8_t *data, bool *done)
{
	const uint8_t *base = w->zero_digest;

	while (w->bdg_at < w->bdg_n && w->bdg[w->bdg_at].cluster < clu)
		w->bdg_at++;
	if (w->bdg_at < w->bdg_n && w->bdg[w->bdg_at].cluster == clu)
		base = w->bdg[w->bdg_at].digest;
	/* Kept for note_digest(), should the cluster be stored; the
	 * caller may have hashed it already (put_clusters). */
	if (!w->hashed_valid || w->hashed_clu != clu) {
		qcow_writer_digest(w, data, w->hashed);
		w->hashed_clu = clu;
		w->hashed_valid = true;
	}
	if (!memcmp(w->hashed, base, QCOW_DIGEST_LEN)) {
		w->stats.same_clusters++;
		*done = true;
		return 0;
	}
	if (qcow_buf_is_zero(data, (size_t)w->cluster_size)) {
		*done = true;
		return store_zero(w, clu);
	}
	return 0;
}

/*
 * Overlay: decide cluster @clu.  *@done when it needs nothing stored:
 * the base holds the same bytes, or it is zero and became a zero
 * cluster over the base's data.
 */
errcode_t qcow_writer_overlay_decide(struct qcow_writer *w, uint64_t clu,
				     const uint8_t *data, bool *done)
{
	uint64_t cs = w->cluster_size, off = clu * cs;
	size_t len = (size_t)(w->virtual_size - off < cs ? w->virtual_size - off
							 : cs);
	errcode_t err;

	*done = false;
	if (!w->base)
		return 0;
	err = qcow_writer_overlay_cover(w, clu);
	w->next_clu = clu + 1;
	if (err)
		return err;
	if (w->bdg)
		return against_digests(w, clu, data, done);
	err = qcow_reader_pread(w->base, w->bbuf, len, off);
	if (err)
		return err;
	/* Past the guest's end the cluster holds zeros: compare those too. */
	if (!memcmp(data, w->bbuf, len) &&
	    (len == cs || qcow_buf_is_zero(data + len, (size_t)cs - len))) {
		w->stats.same_clusters++;
		*done = true;
	} else if (qcow_buf_is_zero(data, (size_t)cs)) {
		*done = true;
		err = store_zero(w, clu);
	}
	return err;
}
