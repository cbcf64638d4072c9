// SPDX-License-Identifier: MIT
/*
 * sink_raw.c --- the raw sink: blocks at their own offsets, holes for
 * everything not captured, exactly the filesystem's size.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qcow_err.h"
#include "sink.h"

/* Granule of hole detection: the smallest ext block. */
#define RAW_ZERO_GRANULE 1024U

struct raw_sink {
	struct sink s; /* first */
	struct qcow_io *io;
	uint64_t base, size;
	bool fresh;
	bool sync;
	/* Compare mode: read first, write only the blocks that differ. */
	unsigned cmp_block;
	uint8_t *cmp_buf;
	size_t cmp_cap;
	uint64_t skipped;
};

/* Write the blocks of @buf that differ from what the target holds. */
static errcode_t write_changed(struct raw_sink *r, uint64_t off,
			       const uint8_t *buf, size_t len)
{
	size_t bs = r->cmp_block;
	errcode_t err;

	if (len > r->cmp_cap) {
		uint8_t *p = realloc(r->cmp_buf, len);

		if (!p)
			return ENOMEM;
		r->cmp_buf = p;
		r->cmp_cap = len;
	}
	err = r->io->pread(r->io, r->cmp_buf, len, r->base + off);
	if (err == QCOW_ERR_TRUNCATED) /* past the end: nothing to compare */
		return r->io->pwrite(r->io, buf, len, r->base + off);
	if (err)
		return err;
	for (size_t i = 0; i < len;) {
		size_t start = i;

		/* A stretch of blocks that differ goes out in one write. */
		while (i < len && memcmp(buf + i, r->cmp_buf + i,
					 len - i < bs ? len - i : bs))
			i += len - i < bs ? len - i : bs;
		if (i > start) {
			err = r->io->pwrite(r->io, buf + start, i - start,
					    r->base + off + start);
			if (err)
				return err;
		} else {
			r->skipped++;
			i += len - i < bs ? len - i : bs;
		}
	}
	return 0;
}

/* Write the non-zero stretches of @buf, each in one call. */
static errcode_t write_skipping_zeros(struct raw_sink *r, uint64_t off,
				      const uint8_t *buf, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t start, n;

		while (i < len) {
			n = len - i < RAW_ZERO_GRANULE ? len - i
						       : RAW_ZERO_GRANULE;
			if (!qcow_buf_is_zero(buf + i, n))
				break;
			i += n;
		}
		start = i;
		while (i < len) {
			n = len - i < RAW_ZERO_GRANULE ? len - i
						       : RAW_ZERO_GRANULE;
			if (qcow_buf_is_zero(buf + i, n))
				break;
			i += n;
		}
		if (i > start) {
			errcode_t err =
				r->io->pwrite(r->io, buf + start, i - start,
					      r->base + off + start);
			if (err)
				return err;
		}
	}
	return 0;
}

static errcode_t rs_write(struct sink *s, uint64_t off, const void *buf,
			  size_t len)
{
	struct raw_sink *r = (struct raw_sink *)s;

	if (off > r->size || len > r->size - off)
		return EFBIG;
	if (r->fresh)
		return write_skipping_zeros(r, off, buf, len);
	if (r->cmp_block)
		return write_changed(r, off, buf, len);
	return r->io->pwrite(r->io, buf, len, r->base + off);
}

static errcode_t rs_finish(struct sink *s)
{
	struct raw_sink *r = (struct raw_sink *)s;
	errcode_t err = 0;

	if (r->fresh)
		err = r->io->set_size(r->io, r->base + r->size);
	if (!err && r->sync)
		err = r->io->sync(r->io);
	return err;
}

static void rs_destroy(struct sink *s)
{
	free(((struct raw_sink *)s)->cmp_buf);
	free(s);
}

void sink_raw_compare(struct sink *s, unsigned block_size)
{
	((struct raw_sink *)s)->cmp_block = block_size;
}

uint64_t sink_raw_skipped(const struct sink *s)
{
	return ((const struct raw_sink *)s)->skipped;
}

errcode_t sink_raw_create(struct qcow_io *io, uint64_t base, uint64_t size,
			  bool fresh, bool sync, struct sink **out)
{
	struct raw_sink *r = calloc(1, sizeof(*r));

	if (!r)
		return ENOMEM;
	r->io = io;
	r->base = base;
	r->size = size;
	r->fresh = fresh;
	r->sync = sync;
	/* A new file gets its full size first: writes inside i_size are
	 * cheaper for the filesystem than writes that extend it. */
	if (fresh && !io->sequential) {
		errcode_t err = io->set_size(io, base + size);

		if (err) {
			free(r);
			return err;
		}
	}
	r->s.write = rs_write;
	r->s.finish = rs_finish;
	r->s.destroy = rs_destroy;
	r->s.skips_zeros = fresh;
	*out = &r->s;
	return 0;
}
