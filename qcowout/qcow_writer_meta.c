// SPDX-License-Identifier: MIT
/*
 * qcow_writer_meta.c --- the writer's tail: L1 table, refcount table and
 * refcount blocks, and the header that points at them.
 *
 * Allocation is strictly sequential and only compressed clusters share
 * host clusters, so every host cluster from 0 to the end of the file has
 * refcount 1 except those (counted as they were written), and the
 * refcount blocks can be generated, not tracked.  Refcounts are 16 bits
 * wide (refcount_order 4, the only width version 2 knows).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qcow_endian.h"
#include "qcow_err.h"
#include "qcow_format.h"
#include "qcow_writer_int.h"

#define REFCOUNT_ORDER 4U

static uint64_t div_round_up(uint64_t a, uint64_t b)
{
	return a / b + (a % b != 0);
}

void qcow_writer_plan_tail(const struct qcow_writer *w,
			   uint64_t clusters_before, struct qcow_writer_tail *t)
{
	/* 16-bit refcounts: cluster_size / 2 entries per refcount block. */
	uint64_t per_block = w->cluster_size * 8 >> REFCOUNT_ORDER;
	uint64_t per_table_cluster = w->cluster_size / 8;
	uint64_t rb = 0, rt = 0, total;

	/* The refcount structures count themselves: iterate to a fixpoint. */
	for (;;) {
		uint64_t nrb, nrt;

		total = clusters_before + rt + rb;
		nrb = div_round_up(total, per_block);
		nrt = div_round_up(nrb, per_table_cluster);
		if (nrb == rb && nrt == rt)
			break;
		rb = nrb;
		rt = nrt;
	}
	t->l1_off = w->l1_start << w->cluster_bits;
	t->reftable_off = clusters_before << w->cluster_bits;
	t->refblocks_off = t->reftable_off + (rt << w->cluster_bits);
	t->reftable_clusters = rt;
	t->refblocks = rb;
	t->total_clusters = total;
}

static errcode_t encode_fields(struct qcow_writer *w,
			       const struct qcow_writer_tail *t)
{
	struct qcow_hdr hdr;

	memset(&hdr, 0, sizeof(hdr));
	hdr.version = w->version;
	hdr.cluster_bits = w->cluster_bits;
	hdr.size = w->virtual_size;
	hdr.l1_size = (uint32_t)w->l1_entries;
	hdr.l1_table_offset = t->l1_off;
	hdr.refcount_table_offset = t->reftable_off;
	hdr.refcount_table_clusters = (uint32_t)t->reftable_clusters;
	hdr.refcount_order = REFCOUNT_ORDER;
	hdr.header_length = QCOW2_V3_HEADER_LEN;
	if (w->digests)
		hdr.autoclear_features |= QCOW2_AUTOCLEAR_E2QCOW_DIGESTS;
	if (w->backing_file) {
		hdr.backing_file_offset = w->backing_off;
		hdr.backing_file_size = (uint32_t)strlen(w->backing_file);
	}
	if (w->comp && w->compress_type != 0) {
		hdr.compression_type = (uint8_t)w->compress_type;
		hdr.incompatible_features |= QCOW2_INCOMPAT_COMPRESSION;
	}
	return qcow_hdr_encode(&hdr, w->hdr_cluster, (size_t)w->cluster_size);
}

errcode_t qcow_writer_build_header(struct qcow_writer *w,
				   const struct qcow_writer_tail *t,
				   const struct qcow_writer_opts *opts)
{
	size_t pos =
		w->version == 2 ? QCOW2_V2_HEADER_LEN : QCOW2_V3_HEADER_LEN;
	errcode_t err;

	if (t->reftable_clusters > UINT32_MAX)
		return QCOW_ERR_TOO_BIG;
	err = encode_fields(w, t);
	for (size_t i = 0; !err && i < opts->n_exts; i++)
		err = qcow_ext_append(w->hdr_cluster, (size_t)w->cluster_size,
				      &pos, opts->exts[i].type,
				      opts->exts[i].data, opts->exts[i].len);
	if (!err && w->backing_file)
		err = qcow_ext_append(w->hdr_cluster, (size_t)w->cluster_size,
				      &pos, QCOW2_EXT_BACKING_FORMAT, "qcow2",
				      5);
	if (!err && w->digests) {
		/* A stream knows the table's place and size from its plan;
		 * a file's are filled in at finish. */
		uint8_t body[QCOW_DIGEST_EXT_LEN];

		qcow_digest_ext_encode(
			body, w->digest_alg,
			w->stream ? t->total_clusters << w->cluster_bits : 0,
			w->stream ? w->plan.data_clusters : 0);
		w->dg_ext_pos = pos + 8;
		err = qcow_ext_append(w->hdr_cluster, (size_t)w->cluster_size,
				      &pos, QCOW2_EXT_E2QCOW_DIGESTS, body,
				      sizeof(body));
	}
	if (!err) {
		/* What is shared is known at finish (streams share none). */
		uint8_t body[QCOW2_E2QCOW_LAYOUT_LEN] = { 0 };

		qcow_store_be64(body, QCOW2_E2QCOW_L1_FIRST);
		w->ly_ext_pos = pos + 8;
		err = qcow_ext_append(w->hdr_cluster, (size_t)w->cluster_size,
				      &pos, QCOW2_EXT_E2QCOW_LAYOUT, body,
				      sizeof(body));
	}
	/* The end-of-extensions marker is the zeroed 8 bytes at pos; the
	 * backing file's name follows it. */
	if (!err && w->backing_file) {
		size_t len = strlen(w->backing_file);

		if (len > 1023 || pos + 8 + len > w->cluster_size)
			return QCOW_ERR_EXT_TOO_BIG;
		w->backing_off = pos + 8;
		memcpy(w->hdr_cluster + w->backing_off, w->backing_file, len);
		err = encode_fields(w, t);
	}
	return err;
}

static errcode_t emit_reftable(struct qcow_writer *w,
			       const struct qcow_writer_tail *t)
{
	uint64_t per_cluster = w->cluster_size / 8;
	errcode_t err = 0;

	for (uint64_t c = 0; c < t->reftable_clusters && !err; c++) {
		memset(w->l2, 0, (size_t)w->cluster_size);
		for (uint64_t i = 0; i < per_cluster; i++) {
			uint64_t block = c * per_cluster + i;

			if (block >= t->refblocks)
				break;
			qcow_store_be64(w->l2 + i * 8,
					t->refblocks_off +
						(block << w->cluster_bits));
		}
		err = qcow_writer_emit(w, w->l2, (size_t)w->cluster_size);
	}
	return err;
}

static errcode_t emit_refblocks(struct qcow_writer *w,
				const struct qcow_writer_tail *t)
{
	uint64_t per_block = w->cluster_size * 8 >> REFCOUNT_ORDER;
	errcode_t err = 0;

	for (uint64_t b = 0; b < t->refblocks && !err; b++) {
		uint64_t first = b * per_block;

		memset(w->l2, 0, (size_t)w->cluster_size);
		for (uint64_t i = 0; i < per_block; i++) {
			if (first + i >= t->total_clusters)
				break;
			qcow_store_be16(w->l2 + i * 2,
					qcow_writer_refcount(w, first + i));
		}
		err = qcow_writer_emit(w, w->l2, (size_t)w->cluster_size);
	}
	return err;
}

/* The digest table after the refcount blocks, ending in its own digest. */
static errcode_t emit_digests(struct qcow_writer *w, uint64_t *size)
{
	uint8_t entry[QCOW_DIGEST_ENTRY], self[QCOW_DIGEST_LEN];
	uint64_t offset = *size;
	uint8_t *table;
	size_t len;
	errcode_t err;

	if (!w->digests)
		return 0;
	if (w->dg_n > (SIZE_MAX - QCOW_DIGEST_LEN) / QCOW_DIGEST_ENTRY)
		return EFBIG;
	len = (size_t)w->dg_n * QCOW_DIGEST_ENTRY;
	table = malloc(len ? len : 1);
	if (!table)
		return ENOMEM;
	for (uint64_t i = 0; i < w->dg_n; i++) {
		qcow_digest_entry_encode(&w->dg[i], entry);
		memcpy(table + i * QCOW_DIGEST_ENTRY, entry, sizeof(entry));
	}
	qcow_digest(table, len, self);
	err = qcow_writer_emit(w, table, len);
	free(table);
	if (!err)
		err = qcow_writer_emit(w, self, sizeof(self));
	*size += len + QCOW_DIGEST_LEN;
	if (!err && !w->stream)
		qcow_digest_ext_encode(w->hdr_cluster + w->dg_ext_pos,
				       w->digest_alg, offset, w->dg_n);
	return err;
}

errcode_t qcow_writer_write_tail(struct qcow_writer *w,
				 const struct qcow_writer_tail *t)
{
	uint64_t size = t->total_clusters << w->cluster_bits;
	errcode_t err;

	if (w->next_host_off != t->reftable_off)
		return QCOW_ERR_PLAN_MISMATCH;
	err = emit_reftable(w, t);
	if (!err)
		err = emit_refblocks(w, t);
	if (!err)
		err = emit_digests(w, &size);
	if (!err)
		err = qcow_writer_flush_obuf(w);
	if (!err)
		err = w->io->set_size(w->io, size);
	if (!err && !w->stream) {
		/* A stream wrote its L1 table (the plan's) after its header. */
		err = w->io->pwrite(w->io, w->l1,
				    (size_t)(w->l1_clusters << w->cluster_bits),
				    t->l1_off);
		/* Everything else is durable before the header says so. */
		if (!err && !w->no_sync)
			err = w->io->sync(w->io);
		qcow_store_be64(w->hdr_cluster + w->ly_ext_pos + 8,
				w->stats.dedup_clusters);
		if (!err)
			err = encode_fields(w, t);
		if (!err)
			err = w->io->pwrite(w->io, w->hdr_cluster,
					    (size_t)w->cluster_size, 0);
	}
	if (!err && !w->no_sync)
		err = w->io->sync(w->io);
	if (!err)
		w->stats.file_size = size;
	return err;
}
