// SPDX-License-Identifier: MIT
/*
 * Unit tests of resumable writer runs: a run interrupted after any piece
 * (with or without writes after its last checkpoint, as a crash leaves
 * them) and resumed from its records gives the very bytes of a run that
 * was never interrupted, plain, deduplicated and compressed; records
 * that do not fit the file are refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "layout_audit.h"
#include "qcow_compress.h"
#include "qcow_err.h"
#include "qcow_io.h"
#include "qcow_writer.h"

#define BITS 12U
#define CS (1U << BITS)
#define SIZE (64ULL << 20)
#define NPIECES 60

struct piece {
	uint64_t off;
	size_t len;
	unsigned seed; /* 0: zeros; odd: compressible text; even: noise */
};

static struct piece pieces[NPIECES];

/* Pieces in increasing order: whole clusters, runs of them, unaligned
 * bits inside one, repeats (for dedup), zeros, across several L2 tables
 * (one covers 2 MiB at 4 KiB clusters). */
static void make_pieces(void)
{
	uint64_t off = 0;

	for (unsigned i = 0; i < NPIECES; i++) {
		unsigned kind = i % 5;
		size_t len = kind == 0	 ? CS
			     : kind == 1 ? 3 * CS
			     : kind == 2 ? 700
			     : kind == 3 ? 2 * CS
					 : CS;

		if (kind == 2)
			off += 100; /* unaligned, inside a cluster */
		pieces[i] =
			(struct piece){ off, len, kind == 4 ? 0 : (i % 7) + 1 };
		off += len + (i % 4 == 3 ? (1ULL << 20) + CS : 0);
		off = (off + 511) & ~511ULL;
	}
}

static void fill(const struct piece *p, uint8_t *b)
{
	uint32_t x = p->seed * 2654435761U;

	for (size_t i = 0; i < p->len; i++) {
		if (!p->seed)
			b[i] = 0;
		else if (p->seed & 1)
			b[i] = (uint8_t)("the quick brown fox "[i % 20]);
		else {
			x = x * 1103515245U + 12345U;
			b[i] = (uint8_t)(x >> 16);
		}
	}
}

struct config {
	bool compress, dedup, digests;
};

static void opts_for(const struct config *cf, struct qcow_writer_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->cluster_bits = BITS;
	o->version = 3;
	o->virtual_size = SIZE;
	o->compress = cf->compress;
	o->compress_type = QCOW_COMPRESS_ZLIB;
	o->dedup = cf->dedup;
	o->digests = cf->digests;
	o->no_sync = true;
}

static void put(struct qcow_writer *w, unsigned i)
{
	uint8_t *b = malloc(pieces[i].len);

	assert_non_null(b);
	fill(&pieces[i], b);
	assert_int_equal(qcow_writer_pwrite(w, pieces[i].off, b, pieces[i].len),
			 0);
	free(b);
}

static uint8_t *whole_run(const struct config *cf, size_t *len)
{
	struct qcow_writer_opts o;
	struct qcow_writer *w;
	struct qcow_io *io;
	const uint8_t *img;
	uint8_t *copy;

	opts_for(cf, &o);
	assert_int_equal(qcow_io_mem_create(&io), 0);
	assert_int_equal(qcow_writer_create(io, &o, &w), 0);
	for (unsigned i = 0; i < NPIECES; i++)
		put(w, i);
	assert_int_equal(qcow_writer_finish(w), 0);
	qcow_writer_free(w);
	img = qcow_io_mem_data(io, len);
	copy = malloc(*len);
	assert_non_null(copy);
	memcpy(copy, img, *len);
	qcow_io_free(io);
	return copy;
}

struct records {
	uint8_t *data[NPIECES + 1];
	struct qcow_writer_record r[NPIECES + 1];
	size_t n;
};

static void checkpoint(struct qcow_writer *w, struct records *rs)
{
	uint8_t *p;
	size_t len;

	assert_int_equal(qcow_writer_checkpoint(w, &p, &len), 0);
	rs->data[rs->n] = p;
	rs->r[rs->n] = (struct qcow_writer_record){ p, len };
	rs->n++;
}

static void free_records(struct records *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		free(rs->data[i]);
	rs->n = 0;
}

/*
 * Run up to piece @stop with a checkpoint every @every pieces and one
 * after @stop; then @lost more pieces as a crash would leave them
 * (written, never recorded).  Returns the partial file.
 */
static struct qcow_io *interrupted_run(const struct config *cf, unsigned stop,
				       unsigned every, unsigned lost,
				       struct records *rs)
{
	struct qcow_writer_opts o;
	struct qcow_writer *w;
	struct qcow_io *io, *partial;
	const uint8_t *img;
	size_t len;

	opts_for(cf, &o);
	assert_int_equal(qcow_io_mem_create(&io), 0);
	assert_int_equal(qcow_writer_create(io, &o, &w), 0);
	for (unsigned i = 0; i < stop; i++) {
		put(w, i);
		if ((i + 1) % every == 0)
			checkpoint(w, rs);
	}
	checkpoint(w, rs);
	for (unsigned i = stop; i < stop + lost && i < NPIECES; i++)
		put(w, i);
	/* The lost writes reach the file; their record never does. */
	{
		uint8_t *p;
		size_t n;

		assert_int_equal(qcow_writer_checkpoint(w, &p, &n), 0);
		free(p);
	}
	qcow_writer_free(w);
	img = qcow_io_mem_data(io, &len);
	assert_int_equal(qcow_io_mem_create_from(img, len, &partial), 0);
	qcow_io_free(io);
	return partial;
}

static void resume_and_compare(const struct config *cf, unsigned stop,
			       unsigned every, unsigned lost)
{
	struct records rs = { .n = 0 };
	struct qcow_writer_opts o;
	struct qcow_writer *w;
	struct qcow_io *io;
	struct audit a;
	const uint8_t *img;
	uint8_t *want;
	size_t len, want_len;
	const char *why;
	uint64_t at;

	want = whole_run(cf, &want_len);
	io = interrupted_run(cf, stop, every, lost, &rs);
	opts_for(cf, &o);
	assert_int_equal(qcow_writer_resume(io, &o, rs.r, rs.n, &w), 0);
	at = qcow_writer_guest_pos(w);
	assert_int_equal(at, stop ? pieces[stop - 1].off + pieces[stop - 1].len
				  : 0);
	for (unsigned i = stop; i < NPIECES; i++)
		put(w, i);
	assert_int_equal(qcow_writer_finish(w), 0);
	qcow_writer_free(w);
	img = qcow_io_mem_data(io, &len);
	/* Without digests and compression the layout audit applies too. */
	why = cf->digests || cf->compress ? NULL : audit_image(img, len, &a);
	if (why)
		fail_msg("dedup %d stop %u lost %u: %s", cf->dedup, stop, lost,
			 why);
	if (len != want_len || memcmp(img, want, len))
		fail_msg("compress %d dedup %d digests %d stop %u lost %u: "
			 "resumed run differs from an uninterrupted one",
			 cf->compress, cf->dedup, cf->digests, stop, lost);
	free(want);
	free_records(&rs);
	qcow_io_free(io);
}

static const struct config configs[] = {
	{ false, false, true }, { false, true, true },	{ true, false, true },
	{ true, true, true },	{ false, true, false }, { false, false, false },
};

static void test_resume_everywhere(void **state)
{
	(void)state;
	make_pieces();
	for (size_t c = 0; c < sizeof(configs) / sizeof(configs[0]); c++)
		for (unsigned stop = 0; stop < NPIECES; stop += 7) {
			resume_and_compare(&configs[c], stop, 5, 0);
			resume_and_compare(&configs[c], stop, 4, 3);
		}
}

static void test_records_checked(void **state)
{
	const struct config cf = { false, true, true };
	struct records rs = { .n = 0 };
	struct qcow_writer_opts o;
	struct qcow_writer *w = NULL;
	struct qcow_io *io;
	const uint8_t *img;
	size_t len;

	(void)state;
	make_pieces();
	opts_for(&cf, &o);
	io = interrupted_run(&cf, 30, 10, 0, &rs);
	/* Other options than the run's. */
	o.cluster_bits = BITS + 1;
	assert_int_equal(qcow_writer_resume(io, &o, rs.r, rs.n, &w),
			 QCOW_ERR_RESUME_MISMATCH);
	opts_for(&cf, &o);
	o.compress = true;
	assert_int_equal(qcow_writer_resume(io, &o, rs.r, rs.n, &w),
			 QCOW_ERR_RESUME_MISMATCH);
	opts_for(&cf, &o);
	/* A record cut short. */
	rs.r[rs.n - 1].len--;
	assert_int_equal(qcow_writer_resume(io, &o, rs.r, rs.n, &w),
			 QCOW_ERR_RESUME_MISMATCH);
	rs.r[rs.n - 1].len++;
	/* Not the first record: its L1 entries are missing. */
	assert_int_equal(qcow_writer_resume(io, &o, rs.r + 1, rs.n - 1, &w),
			 QCOW_ERR_RESUME_MISMATCH);
	/* A file shorter than the record says. */
	img = qcow_io_mem_data(io, &len);
	{
		struct qcow_io *cut;

		assert_int_equal(qcow_io_mem_create_from(img, len / 2, &cut),
				 0);
		assert_int_equal(qcow_writer_resume(cut, &o, rs.r, rs.n, &w),
				 QCOW_ERR_RESUME_MISMATCH);
		qcow_io_free(cut);
	}
	/* Stored data that is not what the last record's digests say. */
	{
		struct qcow_io *bad;
		uint8_t *copy = malloc(len);

		memcpy(copy, img, len);
		/* The last data cluster before the first L2 table's end:
		 * flip a byte of every data cluster past the quiet head. */
		for (size_t off = (128U << 10); off + CS <= len; off += CS)
			copy[off + 17] ^= 0x55;
		assert_int_equal(qcow_io_mem_create_from(copy, len, &bad), 0);
		assert_int_not_equal(
			qcow_writer_resume(bad, &o, rs.r, rs.n, &w), 0);
		qcow_io_free(bad);
		free(copy);
	}
	assert_null(w);
	assert_int_equal(qcow_writer_resume(io, &o, rs.r, rs.n, &w), 0);
	qcow_writer_free(w);
	free_records(&rs);
	qcow_io_free(io);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resume_everywhere),
		cmocka_unit_test(test_records_checked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
