// SPDX-License-Identifier: MIT
/*
 * qcow_check.c --- refcount check in the manner of QEMU's
 * qcow2_check_refcounts: count the references every host cluster gets,
 * compare with its stored refcount; fewer stored than referenced is
 * corruption, more is a leak.  Messages use qemu-img check's words so
 * the two can be compared line by line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qcow_check.h"
#include "qcow_endian.h"
#include "qcow_err.h"
#include "qcow_reader_int.h"

/* Beyond this the per-cluster counters would not fit in memory. */
#define MAX_CHECK_CLUSTERS (1ULL << 28)

struct check {
	struct qcow_reader *r;
	qcow_check_report_fn report;
	void *ctx;
	struct qcow_check_result *res;
	uint32_t *refs;
	uint64_t nclu;
	uint64_t next_host; /* for fragmentation: after the last one */
};

static void say(struct check *c, bool leak, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(struct check *c, bool leak, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (leak)
		c->res->leaks++;
	else
		c->res->corruptions++;
	if (c->report)
		c->report(c->ctx, leak, msg);
}

/* Is a whole cluster at @off inside the file? */
static bool cluster_inside(const struct qcow_reader *r, uint64_t off)
{
	return off <= r->file_size && r->cluster_size <= r->file_size - off;
}

/* One reference to every cluster that [off, off + len) touches. */
static void ref_range(struct check *c, uint64_t off, uint64_t len,
		      const char *what)
{
	uint64_t first, last;

	if (!len)
		return;
	first = off >> c->r->cluster_bits;
	last = (off + len - 1) >> c->r->cluster_bits;
	if (off + len < off || last >= c->nclu) {
		say(c, false,
		    "ERROR %s at offset 0x%llx is outside the image file", what,
		    (unsigned long long)off);
		return;
	}
	for (uint64_t i = first; i <= last; i++)
		if (c->refs[i] < UINT32_MAX)
			c->refs[i]++;
}

/* The stored refcount of cluster @clu (0 where no block covers it). */
static errcode_t refcount_of(struct check *c, const uint8_t *reftable,
			     uint64_t clu, uint8_t *block, uint64_t *block_off,
			     uint64_t *value)
{
	struct qcow_reader *r = c->r;
	unsigned order = r->hdr.refcount_order, bits = 1U << order;
	uint64_t per_block = (r->cluster_size * 8) >> order;
	uint64_t idx = clu / per_block, i = clu % per_block, off;
	errcode_t err;

	*value = 0;
	if (idx >=
	    (uint64_t)r->hdr.refcount_table_clusters * r->cluster_size / 8)
		return 0;
	off = qcow_load_be64(reftable + idx * 8) & QCOW2_REFT_OFFSET_MASK;
	if (!off || (off & (r->cluster_size - 1)) || !cluster_inside(r, off))
		return 0; /* reported when the table was walked */
	if (*block_off != off) {
		err = r->io->pread(r->io, block, (size_t)r->cluster_size, off);
		if (err)
			return err;
		*block_off = off;
	}
	if (bits < 8)
		*value = ((unsigned)block[i * bits / 8] >> (i * bits % 8)) &
			 ((1U << bits) - 1);
	else if (bits == 8)
		*value = block[i];
	else if (bits == 16)
		*value = qcow_load_be16(block + i * 2);
	else if (bits == 32)
		*value = qcow_load_be32(block + i * 4);
	else
		*value = qcow_load_be64(block + i * 8);
	return 0;
}

/* The active tables' data clusters, and where they break their table's
 * sequence (QEMU's fragmentation figure). */
static void count_allocated(struct check *c, uint64_t host, bool active)
{
	if (!active)
		return;
	c->res->allocated_clusters++;
	if (c->next_host && host != c->next_host)
		c->res->fragmented_clusters++;
	c->next_host = host + c->r->cluster_size;
}

static void ref_l2_entry(struct check *c, const uint8_t *p, bool active)
{
	struct qcow_reader *r = c->r;
	uint64_t e = qcow_load_be64(p), host;

	if (e & QCOW2_OFLAG_COMPRESSED) {
		uint64_t sectors;

		qcow_compressed_decode(r->cluster_bits, e, &host, &sectors);
		if (e & QCOW2_OFLAG_COPIED)
			say(c, false,
			    "ERROR: coffset=0x%llx: Cluster is compressed and "
			    "has the copied flag set",
			    (unsigned long long)host);
		ref_range(c, host & ~511ULL, sectors * 512,
			  "compressed cluster");
		if (active)
			c->res->compressed_clusters++;
		return;
	}
	host = e & QCOW2_L2E_OFFSET_MASK;
	/* Unallocated; but in an external data file 0 is an offset, told
	 * from nothing by OFLAG_COPIED (those clusters' refcount is 1). */
	if (!host && !(r->data_io && (e & QCOW2_OFLAG_COPIED)))
		return;
	if (r->data_io) { /* in the external data file: no refcount */
		count_allocated(c, host, active);
		return;
	}
	if (host & (r->cluster_size - 1)) {
		say(c, false,
		    "ERROR offset=%llx: Cluster is not properly aligned; "
		    "L2 entry corrupted.",
		    (unsigned long long)host);
		return;
	}
	ref_range(c, host, r->cluster_size, "data cluster");
	count_allocated(c, host, active);
}

static errcode_t walk_l1(struct check *c, const uint8_t *l1, uint64_t l1_size,
			 bool active)
{
	struct qcow_reader *r = c->r;
	uint8_t *l2 = malloc((size_t)r->cluster_size);
	errcode_t err = l2 ? 0 : ENOMEM;

	for (uint64_t i = 0; !err && i < l1_size; i++) {
		uint64_t off =
			qcow_load_be64(l1 + i * 8) & QCOW2_L1E_OFFSET_MASK;

		if (!off)
			continue;
		if (off & (r->cluster_size - 1)) {
			say(c, false,
			    "ERROR l2_offset=%llx: Table is not cluster aligned; "
			    "L1 entry corrupted",
			    (unsigned long long)off);
			continue;
		}
		ref_range(c, off, r->cluster_size, "L2 table");
		if (!cluster_inside(r, off))
			continue;
		err = r->io->pread(r->io, l2, (size_t)r->cluster_size, off);
		c->next_host = 0; /* QEMU counts breaks within a table */
		for (uint64_t j = 0; !err && j < r->l2_entries; j++)
			ref_l2_entry(c, l2 + j * r->l2_entry_bytes, active);
	}
	free(l2);
	return err;
}

static errcode_t walk_snapshots(struct check *c)
{
	struct qcow_reader *r = c->r;
	errcode_t err = 0;

	ref_range(c, r->hdr.snapshots_offset, r->snapshots_len,
		  "snapshot table");
	for (uint32_t i = 0; !err && i < r->nb_snapshots; i++) {
		const struct qcow_snapshot_info *s = &r->snapshots[i];
		uint64_t len = (uint64_t)s->l1_size * 8;
		uint8_t *l1;

		ref_range(c, s->l1_offset, len, "snapshot L1 table");
		if (s->l1_offset > r->file_size ||
		    len > r->file_size - s->l1_offset)
			continue;
		l1 = malloc(len ? (size_t)len : 1);
		if (!l1)
			return ENOMEM;
		err = len ? r->io->pread(r->io, l1, (size_t)len, s->l1_offset)
			  : 0;
		if (!err)
			err = walk_l1(c, l1, s->l1_size, false);
		free(l1);
	}
	return err;
}

static void walk_reftable(struct check *c, const uint8_t *reftable)
{
	struct qcow_reader *r = c->r;
	uint64_t n =
		(uint64_t)r->hdr.refcount_table_clusters * r->cluster_size / 8;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t off = qcow_load_be64(reftable + i * 8) &
			       QCOW2_REFT_OFFSET_MASK;

		if (!off)
			continue;
		if (off & (r->cluster_size - 1))
			say(c, false,
			    "ERROR refcount block %llu is not cluster aligned; "
			    "refcount table entry corrupted",
			    (unsigned long long)i);
		else if (!cluster_inside(r, off))
			say(c, false,
			    "ERROR refcount block %llu is outside image",
			    (unsigned long long)i);
		else
			ref_range(c, off, r->cluster_size, "refcount block");
	}
}

/* Refcount 1 and COPIED must go together in the active tables. */
static void check_copied(struct check *c, uint64_t entry, uint64_t refcount,
			 const char *what, uint64_t index)
{
	bool copied = entry & QCOW2_OFLAG_COPIED;

	if (copied != (refcount == 1))
		say(c, false,
		    "ERROR OFLAG_COPIED %s: index=%llu entry=%llx refcount=%llu",
		    what, (unsigned long long)index, (unsigned long long)entry,
		    (unsigned long long)refcount);
}

static errcode_t compare(struct check *c, const uint8_t *reftable)
{
	struct qcow_reader *r = c->r;
	uint8_t *block = malloc((size_t)r->cluster_size);
	uint64_t block_off = 0, value;
	errcode_t err = block ? 0 : ENOMEM;

	for (uint64_t i = 0; !err && i < c->nclu; i++) {
		err = refcount_of(c, reftable, i, block, &block_off, &value);
		if (err || value == c->refs[i])
			continue;
		say(c, value > c->refs[i],
		    "%s cluster %llu refcount=%llu "
		    "reference=%llu",
		    value < c->refs[i] ? "ERROR" : "Leaked",
		    (unsigned long long)i, (unsigned long long)value,
		    (unsigned long long)c->refs[i]);
	}
	for (uint64_t i = 0; !err && i < r->hdr.l1_size; i++) {
		uint64_t e = qcow_load_be64(r->l1 + i * 8);
		uint64_t off = e & QCOW2_L1E_OFFSET_MASK;
		const uint8_t *t;

		if (!off || (off & (r->cluster_size - 1)) ||
		    !cluster_inside(r, off))
			continue;
		err = refcount_of(c, reftable, off >> r->cluster_bits, block,
				  &block_off, &value);
		if (!err)
			check_copied(c, e, value, "L2 cluster", i);
		if (!err)
			err = qcow_reader_l2(r, off, &t);
		for (uint64_t j = 0; !err && j < r->l2_entries; j++) {
			uint64_t d = qcow_load_be64(t + j * r->l2_entry_bytes);
			uint64_t host = d & QCOW2_L2E_OFFSET_MASK;

			if ((d & QCOW2_OFLAG_COMPRESSED) || !host ||
			    r->data_io || (host & (r->cluster_size - 1)) ||
			    host >= r->file_size)
				continue;
			err = refcount_of(c, reftable, host >> r->cluster_bits,
					  block, &block_off, &value);
			if (!err)
				check_copied(c, d, value, "data cluster",
					     i * r->l2_entries + j);
		}
	}
	free(block);
	return err;
}

static void image_end(struct check *c)
{
	uint64_t last = 0;

	for (uint64_t i = 0; i < c->nclu; i++)
		if (c->refs[i])
			last = i + 1;
	c->res->image_end = last << c->r->cluster_bits;
}

errcode_t qcow_check_run(struct qcow_reader *r, qcow_check_report_fn report,
			 void *ctx, struct qcow_check_result *res)
{
	struct check c = { r, report, ctx, res, NULL, 0, 0 };
	uint64_t rt_len = (uint64_t)r->hdr.refcount_table_clusters
			  << r->cluster_bits;
	uint8_t *reftable = NULL;
	errcode_t err;

	memset(res, 0, sizeof(*res));
	if (r->raw)
		return QCOW_ERR_BAD_MAGIC;
	c.nclu = (r->file_size + r->cluster_size - 1) >> r->cluster_bits;
	if (c.nclu > MAX_CHECK_CLUSTERS)
		return EFBIG;
	res->guest_clusters =
		(r->size + r->cluster_size - 1) >> r->cluster_bits;
	c.refs = calloc(c.nclu ? c.nclu : 1, sizeof(*c.refs));
	reftable = malloc((size_t)rt_len);
	if (!c.refs || !reftable) {
		err = ENOMEM;
		goto out;
	}
	err = r->io->pread(r->io, reftable, (size_t)rt_len,
			   r->hdr.refcount_table_offset);
	if (err)
		goto out;
	ref_range(&c, 0, r->cluster_size, "header");
	ref_range(&c, r->hdr.l1_table_offset, (uint64_t)r->hdr.l1_size * 8,
		  "L1 table");
	ref_range(&c, r->hdr.refcount_table_offset, rt_len, "refcount table");
	walk_reftable(&c, reftable);
	err = walk_l1(&c, r->l1, r->hdr.l1_size, true);
	if (!err)
		err = walk_snapshots(&c);
	if (!err)
		err = compare(&c, reftable);
	if (!err)
		image_end(&c);
out:
	free(reftable);
	free(c.refs);
	return err;
}
