// SPDX-License-Identifier: MIT
/*
 * qcow_reader_map.c --- guest offset -> what holds its bytes: L1 and L2
 * lookups (standard and extended entries), then reads that coalesce
 * adjacent clusters into one pread and fall through to the backing file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qcow_endian.h"
#include "qcow_err.h"
#include "qcow_reader_int.h"

errcode_t qcow_reader_l2(struct qcow_reader *r, uint64_t off,
			 const uint8_t **table)
{
	struct l2_slot *s =
		&r->l2_cache[(off >> r->cluster_bits) % r->l2_slots];
	errcode_t err;

	if (off & (r->cluster_size - 1) || off > r->file_size ||
	    r->cluster_size > r->file_size - off)
		return QCOW_ERR_BAD_ENTRY;
	if (s->off == off) {
		*table = s->buf;
		return 0;
	}
	if (!s->buf) {
		s->buf = malloc((size_t)r->cluster_size);
		if (!s->buf)
			return ENOMEM;
	}
	s->off = 0;
	err = r->io->pread(r->io, s->buf, (size_t)r->cluster_size, off);
	if (err)
		return err;
	s->off = off;
	*table = s->buf;
	return 0;
}

static struct qcow_io *data_io(const struct qcow_reader *r)
{
	return r->data_io ? r->data_io : r->io;
}

static errcode_t data_size(const struct qcow_reader *r, uint64_t *size)
{
	if (!r->data_io) {
		*size = r->file_size;
		return 0;
	}
	return r->data_io->get_size(r->data_io, size);
}

static errcode_t map_compressed(struct qcow_reader *r, uint64_t e,
				uint64_t bitmap, struct qcow_map *m)
{
	uint64_t host, sectors;

	qcow_compressed_decode(r->cluster_bits, e, &host, &sectors);

	if (r->data_io || bitmap)
		return QCOW_ERR_BAD_ENTRY;
	if (host >= r->file_size || host >= QCOW2_MAX_HOST_OFFSET)
		return QCOW_ERR_BAD_ENTRY;
	m->type = QCOW_C_COMPRESSED;
	m->host_off = host;
	m->comp_len = sectors * 512 - (host & 511);
	return 0;
}

/* Check a normal cluster's host offset against where the data lives. */
static errcode_t check_host(const struct qcow_reader *r, uint64_t host)
{
	uint64_t size;
	errcode_t err;

	if (host & (r->cluster_size - 1))
		return QCOW_ERR_BAD_ENTRY;
	err = data_size(r, &size);
	if (err)
		return err;
	/* The last cluster of a file may be cut short (external data
	 * files, or a truncated tail); what is missing reads as zeros. */
	if (host >= size && !(r->data_io && r->data_raw))
		return QCOW_ERR_BAD_ENTRY;
	return 0;
}

static errcode_t map_extended(struct qcow_reader *r, uint64_t host,
			      bool allocated, uint64_t bitmap, uint64_t within,
			      struct qcow_map *m)
{
	uint32_t alloc = (uint32_t)bitmap, zero = (uint32_t)(bitmap >> 32);
	unsigned sc = (unsigned)(within / r->subcluster_size), n;
	bool is_zero, is_alloc;

	if (alloc & zero)
		return QCOW_ERR_BAD_SUBCLUSTER;
	if (!allocated && alloc)
		return QCOW_ERR_BAD_SUBCLUSTER;
	is_zero = zero >> sc & 1;
	is_alloc = alloc >> sc & 1;
	/* Extend over the following subclusters in the same state. */
	for (n = sc + 1; n < 32; n++)
		if ((zero >> n & 1) != is_zero || (alloc >> n & 1) != is_alloc)
			break;
	m->len = n * r->subcluster_size - within;
	if (is_zero) {
		m->type = QCOW_C_ZERO;
	} else if (is_alloc) {
		m->type = QCOW_C_NORMAL;
		m->host_off = host + within;
	} else {
		m->type = QCOW_C_UNALLOCATED;
	}
	return is_alloc ? check_host(r, host) : 0;
}

errcode_t qcow_reader_map(struct qcow_reader *r, uint64_t off,
			  struct qcow_map *m)
{
	uint64_t clu = off >> r->cluster_bits;
	uint64_t within = off & (r->cluster_size - 1);
	uint64_t l1i = clu / r->l2_entries, l1e, e, bitmap = 0, host;
	const uint8_t *t, *p;
	bool allocated;
	errcode_t err;

	/* Where the L2 table this offset belongs to stops mapping. */
	uint64_t table_end = (l1i + 1) * r->l2_entries << r->cluster_bits;

	memset(m, 0, sizeof(*m));
	m->type = QCOW_C_UNALLOCATED;
	m->len = r->cluster_size - within;
	/* No table: unallocated as far as the table would have mapped (as
	 * far as the image goes, past the L1 table). */
	if (l1i >= r->hdr.l1_size) {
		m->len = r->size > off ? r->size - off : m->len;
		return 0;
	}
	l1e = qcow_load_be64(r->l1 + l1i * 8);
	if (l1e & QCOW_L1E_RESERVED)
		return QCOW_ERR_BAD_ENTRY;
	if (!(l1e & QCOW2_L1E_OFFSET_MASK)) {
		m->len = table_end - off;
		return 0;
	}
	err = qcow_reader_l2(r, l1e & QCOW2_L1E_OFFSET_MASK, &t);
	if (err)
		return err;
	p = t + (clu % r->l2_entries) * r->l2_entry_bytes;
	e = qcow_load_be64(p);
	if (r->extl2)
		bitmap = qcow_load_be64(p + 8);
	if (e & QCOW2_OFLAG_COMPRESSED)
		return map_compressed(r, e, bitmap, m);
	if (e & QCOW_L2E_STD_RESERVED)
		return QCOW_ERR_BAD_ENTRY;
	host = e & QCOW2_L2E_OFFSET_MASK;
	/* Offset 0 is unallocated, except in an external data file, where
	 * COPIED tells a real cluster at offset 0 (as QEMU reads it). */
	allocated = host || (r->data_io && (e & QCOW2_OFLAG_COPIED));
	if (r->extl2)
		return map_extended(r, host, allocated, bitmap, within, m);
	if (e & QCOW2_OFLAG_ZERO) {
		m->type = QCOW_C_ZERO;
		return 0;
	}
	if (!allocated)
		return 0;
	m->type = QCOW_C_NORMAL;
	m->host_off = host + within;
	return check_host(r, host);
}

errcode_t qcow_reader_locate(struct qcow_reader *r, uint64_t off,
			     struct qcow_location *loc)
{
	struct qcow_map m;
	errcode_t err = off < r->size ? qcow_reader_map(r, off, &m) : EINVAL;

	memset(loc, 0, sizeof(*loc));
	if (err)
		return err;
	loc->len = m.len;
	if (m.type == QCOW_C_NORMAL && !r->data_io) {
		loc->kind = QCOW_LOC_DATA;
		loc->host = m.host_off;
	} else if (m.type == QCOW_C_COMPRESSED) {
		loc->kind = QCOW_LOC_COMPRESSED;
		loc->host = m.host_off;
	}
	return 0;
}

/* Read from the file holding normal clusters; a short tail is zeros. */
static errcode_t read_host(struct qcow_reader *r, uint8_t *buf, size_t len,
			   uint64_t host)
{
	struct qcow_io *io = data_io(r);
	uint64_t size;
	size_t n = len;
	errcode_t err = data_size(r, &size);

	if (err)
		return err;
	if (host >= size)
		n = 0;
	else if (size - host < n)
		n = (size_t)(size - host);
	memset(buf + n, 0, len - n);
	return n ? io->pread(io, buf, n, host) : 0;
}

static errcode_t read_raw(struct qcow_reader *r, uint8_t *buf, size_t len,
			  uint64_t off)
{
	size_t n = len;

	if (off >= r->file_size)
		n = 0;
	else if (r->file_size - off < n)
		n = (size_t)(r->file_size - off);
	memset(buf + n, 0, len - n);
	return n ? r->io->pread(r->io, buf, n, off) : 0;
}

/* Unallocated here: the backing file up to its size, zeros beyond. */
static errcode_t read_below(struct qcow_reader *r, uint8_t *buf, size_t len,
			    uint64_t off)
{
	uint64_t bsize;
	size_t n = 0;

	if (r->backing) {
		bsize = r->backing->size;
		if (off < bsize)
			n = bsize - off < len ? (size_t)(bsize - off) : len;
	}
	memset(buf + n, 0, len - n);
	return n ? qcow_reader_pread(r->backing, buf, n, off) : 0;
}

/* How far from @m (at @off) the same kind of mapping goes, up to @len;
 * normal clusters must also be contiguous on the host. */
static errcode_t extend_run(struct qcow_reader *r, uint64_t off,
			    const struct qcow_map *m, size_t len, size_t *run)
{
	size_t n = m->len < len ? (size_t)m->len : len;
	struct qcow_map next;
	errcode_t err;

	while (n < len && m->type != QCOW_C_COMPRESSED) {
		err = qcow_reader_map(r, off + n, &next);
		if (err)
			return err;
		if (next.type != m->type || (m->type == QCOW_C_NORMAL &&
					     next.host_off != m->host_off + n))
			break;
		n += next.len < len - n ? (size_t)next.len : len - n;
	}
	*run = n;
	return 0;
}

errcode_t qcow_reader_pread(struct qcow_reader *r, void *buf, size_t len,
			    uint64_t off)
{
	uint8_t *p = buf;
	errcode_t err = 0;

	if (off > r->size || len > r->size - off)
		return EINVAL;
	if (r->raw)
		return read_raw(r, p, len, off);
	while (len && !err) {
		struct qcow_map m;
		const uint8_t *cl;
		size_t n;

		err = qcow_reader_map(r, off, &m);
		if (!err)
			err = extend_run(r, off, &m, len, &n);
		if (err)
			break;
		switch (m.type) {
		case QCOW_C_NORMAL:
			err = read_host(r, p, n, m.host_off);
			break;
		case QCOW_C_ZERO:
			memset(p, 0, n);
			break;
		case QCOW_C_UNALLOCATED:
			err = read_below(r, p, n, off);
			break;
		case QCOW_C_COMPRESSED:
			err = qcow_reader_decompress(r, m.host_off, m.comp_len,
						     &cl);
			if (!err)
				memcpy(p, cl + (off & (r->cluster_size - 1)),
				       n);
			break;
		}
		p += n;
		off += n;
		len -= n;
	}
	return err;
}

errcode_t qcow_reader_zero_run(struct qcow_reader *r, uint64_t off,
			       uint64_t max, uint64_t *zero_len,
			       uint64_t *data_len)
{
	uint64_t zero = 0, data = 0;
	errcode_t err = 0;

	if (off > r->size || max > r->size - off)
		return EINVAL;
	if (r->raw) {
		/* A raw file says nothing, except past its end. */
		if (off >= r->file_size)
			zero = max;
		else
			data = r->file_size - off < max ? r->file_size - off
							: max;
	}
	while (!r->raw && zero + data < max) {
		uint64_t at = off + zero + data, step, below = 0;
		struct qcow_map m;
		bool is_zero;

		err = qcow_reader_map(r, at, &m);
		if (err)
			break;
		step = m.len < max - zero - data ? m.len : max - zero - data;
		is_zero = m.type == QCOW_C_ZERO;
		if (m.type == QCOW_C_UNALLOCATED) {
			if (!r->backing || at >= r->backing->size) {
				is_zero = true;
			} else {
				if (step > r->backing->size - at)
					step = r->backing->size - at;
				err = qcow_reader_zero_run(r->backing, at, step,
							   &below, NULL);
				if (err)
					break;
				is_zero = below > 0;
				if (is_zero)
					step = below;
			}
		}
		if (is_zero && data)
			break;
		if (!is_zero && zero)
			break;
		if (is_zero)
			zero += step;
		else
			data += step;
	}
	*zero_len = zero;
	if (data_len)
		*data_len = data;
	return err;
}

static void count_table(struct qcow_reader *r, const uint8_t *t, uint64_t first,
			struct qcow_cluster_counts *c)
{
	for (uint64_t i = 0; i < r->l2_entries; i++) {
		const uint8_t *p = t + i * r->l2_entry_bytes;
		uint64_t e = qcow_load_be64(p);
		uint64_t bitmap = r->extl2 ? qcow_load_be64(p + 8) : 0;

		if (((first + i) << r->cluster_bits) >= r->size)
			break;
		if (e & QCOW2_OFLAG_COMPRESSED)
			c->compressed++;
		else if (r->extl2 ? (uint32_t)(bitmap >> 32) == UINT32_MAX
				  : (e & QCOW2_OFLAG_ZERO) != 0)
			c->zero++;
		else if ((e & QCOW2_L2E_OFFSET_MASK) ||
			 (r->data_io && (e & QCOW2_OFLAG_COPIED)))
			c->allocated++;
		/* Unallocated clusters are what is left: counted by the caller.
		 */
	}
}

errcode_t qcow_reader_count_clusters(struct qcow_reader *r,
				     struct qcow_cluster_counts *c)
{
	uint64_t total = (r->size + r->cluster_size - 1) >> r->cluster_bits;
	errcode_t err = 0;

	memset(c, 0, sizeof(*c));
	if (r->raw)
		return 0;
	for (uint64_t i = 0; i < r->hdr.l1_size && !err; i++) {
		uint64_t l2 =
			qcow_load_be64(r->l1 + i * 8) & QCOW2_L1E_OFFSET_MASK;
		const uint8_t *t;

		if (!l2 || (i * r->l2_entries) >= total)
			continue;
		err = qcow_reader_l2(r, l2, &t);
		if (!err)
			count_table(r, t, i * r->l2_entries, c);
	}
	c->unallocated = total - c->allocated - c->zero - c->compressed;
	return err;
}
