// SPDX-License-Identifier: MIT
/*
 * Unit tests of the qcow2 writer: layout, zero skipping, L2 addressing
 * beyond 2^32 clusters, refcount-table growth, streams, dedup, errors,
 * and a failure injected at every single I/O call (plainly, and with
 * compression, digests and dedup).
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
#include "qcow_digest.h"
#include "qcow_err.h"
#include "qcow_io.h"
#include "qcow_reader.h"
#include "qcow_writer.h"

struct piece {
	uint64_t off;
	size_t len;
	uint8_t fill; /* 0: all zero */
};

static uint8_t *piece_data(const struct piece *p)
{
	uint8_t *b = malloc(p->len);

	assert_non_null(b);
	for (size_t i = 0; i < p->len; i++)
		b[i] = p->fill ? (uint8_t)(p->fill + i * 7) : 0;
	return b;
}

/* Writers made by write_pieces() share identical clusters. */
static bool use_dedup;
/* The L1 table of the last writer write_pieces() made (a dry run's is a
 * stream's plan_l1). */
static uint8_t last_l1[64 << 10];

static errcode_t write_pieces(struct qcow_io *io, unsigned bits, uint64_t size,
			      const struct piece *ps, size_t n,
			      const struct qcow_writer_stats *plan,
			      struct qcow_writer_stats *stats)
{
	struct qcow_writer_opts o = { .cluster_bits = bits,
				      .version = 3,
				      .virtual_size = size,
				      .plan = plan,
				      .dedup = use_dedup };
	static uint8_t plan_l1[sizeof(last_l1)];
	struct qcow_writer *w;
	errcode_t err;

	memcpy(plan_l1, last_l1, sizeof(plan_l1));
	o.plan_l1 = plan ? plan_l1 : NULL;
	err = qcow_writer_create(io, &o, &w);

	for (size_t i = 0; !err && i < n; i++) {
		uint8_t *b = piece_data(&ps[i]);

		err = qcow_writer_pwrite(w, ps[i].off, b, ps[i].len);
		free(b);
	}
	if (!err)
		err = qcow_writer_finish(w);
	if (w && stats)
		qcow_writer_stats(w, stats);
	if (w) {
		size_t len;
		const uint8_t *l1 = qcow_writer_l1(w, &len);

		memcpy(last_l1, l1,
		       len < sizeof(last_l1) ? len : sizeof(last_l1));
	}
	qcow_writer_free(w);
	return err;
}

/* Write, check the structure, read every piece back. */
static void round_trip(unsigned bits, uint64_t size, const struct piece *ps,
		       size_t n, struct audit *c, struct qcow_io **keep)
{
	struct qcow_io *io;
	const uint8_t *img;
	const char *why;
	size_t len;

	assert_int_equal(qcow_io_mem_create(&io), 0);
	assert_int_equal(write_pieces(io, bits, size, ps, n, NULL, NULL), 0);
	img = qcow_io_mem_data(io, &len);
	why = audit_image(img, len, c);
	if (why)
		fail_msg("cluster bits %u: %s", bits, why);
	for (size_t i = 0; i < n; i++) {
		uint8_t *want = piece_data(&ps[i]), *got = malloc(ps[i].len);

		assert_null(audit_read(c, ps[i].off, got, ps[i].len));
		assert_memory_equal(got, want, ps[i].len);
		free(want);
		free(got);
	}
	*keep = io;
}

static void test_all_cluster_sizes(void **state)
{
	const struct piece ps[] = {
		{ 0, 1024, 1 },	       /* the first block */
		{ 4096, 8192, 2 },     /* a run */
		{ 20000, 100, 3 },     /* unaligned, in a partial cluster */
		{ 20200, 50, 4 },      /* same cluster, later piece */
		{ 65536, 4096, 0 },    /* zeros: not stored */
		{ 3 << 20, 65536, 5 }, /* far away: another L2 table */
		{ (16 << 20) - 512, 512, 6 }, /* the very end */
	};
	(void)state;
	for (unsigned bits = 9; bits <= 21; bits++) {
		struct audit c;
		struct qcow_io *io;

		round_trip(bits, 16 << 20, ps, sizeof(ps) / sizeof(ps[0]), &c,
			   &io);
		assert_int_equal(c.size, 16 << 20);
		qcow_io_free(io);
	}
}

static void test_zero_clusters_not_stored(void **state)
{
	const struct piece ps[] = { { 0, 65536, 0 }, { 65536, 4096, 9 } };
	struct qcow_writer_stats st;
	struct qcow_io *io;

	(void)state;
	assert_int_equal(qcow_io_mem_create(&io), 0);
	assert_int_equal(write_pieces(io, 12, 1 << 20, ps, 2, NULL, &st), 0);
	assert_int_equal(st.data_clusters, 1);
	assert_int_equal(st.zero_clusters, 16);
	assert_int_equal(st.l2_tables, 1);
	/* header, the quiet head (free), data, L2, L1, refcount table,
	 * refcount block */
	assert_int_equal(st.file_size, (128 << 10) + 5 * 4096);
	qcow_io_free(io);
}

/* Guest clusters numbered past 2^32 still map right. */
static void test_l2_addressing_beyond_32_bits(void **state)
{
	const uint64_t far = (1ULL << 33) * 65536; /* cluster 2^33 */
	const struct piece ps[] = { { 0, 512, 1 },
				    { far, 65536, 2 },
				    { far + (1ULL << 40), 4096, 3 } };
	struct audit c;
	struct qcow_io *io;

	(void)state;
	round_trip(16, 1ULL << 50, ps, 3, &c, &io);
	assert_int_equal(audit_mapped(&c), 3);
	qcow_io_free(io);
}

/* 512-byte clusters: 256 refcounts per block, 64 blocks per table
 * cluster, so 20000 clusters need a refcount table of two clusters. */
static void test_refcount_table_grows(void **state)
{
	const struct piece ps[] = { { 0, 20000 * 512, 1 } };
	struct audit c;
	struct qcow_io *io;
	const uint8_t *img;
	size_t len;

	(void)state;
	round_trip(9, 20000 * 512, ps, 1, &c, &io);
	img = qcow_io_mem_data(io, &len);
	assert_true(img[59] >= 2); /* refcount_table_clusters */
	qcow_io_free(io);
}

/*
 * Identical clusters stored once, wherever the first one's bytes and L2
 * entry are when the next arrives: in the pending run, the staging
 * buffer, or already in the file; the audit checks refcounts and that
 * OFLAG_COPIED is on exactly the clusters referenced once.
 */
static void test_dedup(void **state)
{
	const uint64_t K64 = 64 << 10, M512 = 512ULL << 20;
	struct piece ps[85];
	struct qcow_writer_stats st;
	struct qcow_io *io;
	const uint8_t *img;
	struct audit c;
	size_t n = 0, len;

	(void)state;
	/* A; two equal clusters in one write (the pattern repeats every
	 * 64 KiB: the second finds the first in the pending run); 80
	 * distinct ones past the first L2 table, more than the 4 MiB
	 * staging buffer; then A again (its L2 table is in the file by
	 * now) and the first of the 80 (its table still staged). */
	ps[n++] = (struct piece){ 0, K64, 5 };
	ps[n++] = (struct piece){ 2 * K64, 2 * K64, 7 };
	for (unsigned k = 0; k < 80; k++)
		ps[n++] = (struct piece){ M512 + k * K64, K64,
					  (uint8_t)(10 + k) };
	ps[n++] = (struct piece){ 2 * M512, K64, 5 };
	ps[n++] = (struct piece){ 2 * M512 + K64, K64, 10 };
	use_dedup = true;
	round_trip(16, 4 * M512, ps, n, &c, &io);
	assert_int_equal(audit_mapped(&c), 85);
	qcow_io_free(io);
	assert_int_equal(qcow_io_mem_create(&io), 0);
	assert_int_equal(write_pieces(io, 16, 4 * M512, ps, n, NULL, &st), 0);
	assert_int_equal(st.data_clusters, 85);
	assert_int_equal(st.dedup_clusters, 3);
	img = qcow_io_mem_data(io, &len);
	/* 82 data clusters, not 85, however the tables are laid out. */
	assert_true(len < (82 + 16) * K64);
	qcow_io_free(io);
	/* A stream cannot point back. */
	assert_int_equal(qcow_io_mem_create(&io), 0);
	io->sequential = true;
	assert_int_equal(write_pieces(io, 16, 4 * M512, ps, n, &st, NULL),
			 QCOW_ERR_BAD_OPTION);
	use_dedup = false;
	qcow_io_free(io);
	(void)img;
}

/*
 * Clusters handed in with their sums (digest, used bytes): a cluster
 * sharing another's digest is shared only if its bytes are the same,
 * whether its used length agrees or not.  The digests here lie on
 * purpose (a collision); the used lengths are true, as the API asks.
 */
static void test_dedup_trusts_bytes_not_sums(void **state)
{
	const size_t cs = 64 << 10;
	struct qcow_writer_opts o = { .cluster_bits = 16,
				      .version = 3,
				      .virtual_size = 64ULL << 20,
				      .dedup = true,
				      .digests = true };
	struct qcow_cluster_sum sum[4];
	struct qcow_writer_stats st;
	struct qcow_reader *r;
	struct qcow_writer *w;
	struct qcow_io *io;
	uint8_t *raw = calloc(4, cs), *back = malloc(cs);

	(void)state;
	assert_non_null(raw);
	assert_non_null(back);
	/* A, A again, A with one byte changed inside its used bytes, A
	 * with one more byte past them; every sum says "A". */
	for (unsigned i = 0; i < 4; i++)
		memset(raw + i * cs, 0xa5, 3000);
	raw[2 * cs + 100] = 0x11;
	raw[3 * cs + 5000] = 0x22;
	assert_int_equal(qcow_buf_used(raw, cs), 3000);
	assert_int_equal(qcow_buf_used(raw + 3 * cs, cs), 5001);
	assert_int_equal(qcow_buf_used(back, 0), 0);
	memset(back, 0, cs);
	assert_int_equal(qcow_buf_used(back, cs), 0);
	qcow_digest(raw, cs, sum[0].digest);
	for (unsigned i = 0; i < 4; i++) {
		memcpy(sum[i].digest, sum[0].digest, QCOW_DIGEST_LEN);
		sum[i].used = (uint32_t)qcow_buf_used(raw + i * cs, cs);
	}
	assert_int_equal(qcow_io_mem_create(&io), 0);
	assert_int_equal(qcow_writer_create(io, &o, &w), 0);
	assert_int_equal(
		qcow_writer_put_clusters(w, 0, 4, raw, NULL, NULL, sum), 0);
	assert_int_equal(qcow_writer_finish(w), 0);
	qcow_writer_stats(w, &st);
	qcow_writer_free(w);
	assert_int_equal(st.data_clusters, 4);
	assert_int_equal(st.dedup_clusters, 1);
	assert_int_equal(qcow_reader_open_io(io, NULL, &r), 0);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(qcow_reader_pread(r, back, cs, i * cs), 0);
		assert_memory_equal(back, raw + i * cs, cs);
	}
	qcow_reader_close(r);
	qcow_io_free(io);
	free(raw);
	free(back);
}

/*
 * Digests by either algorithm: what e2qcow writes (2: the bytes up to
 * the last non-zero one, so trailing zeros do not count and need no
 * hashing) and what older images hold (1: the whole cluster); the table
 * says which, and the reader gives it back.
 */
static void test_digest_algorithms(void **state)
{
	const size_t cs = 64 << 10;
	uint8_t *c = calloc(1, cs), *d = calloc(1, cs), a[QCOW_DIGEST_LEN],
		b[QCOW_DIGEST_LEN], want[QCOW_DIGEST_LEN];

	(void)state;
	assert_non_null(c);
	assert_non_null(d);
	memset(c, 0x5a, 4096);
	memcpy(d, c, 4096);
	/* Trimmed: a known end past the last non-zero byte changes nothing;
	 * the prefix alone is hashed. */
	qcow_digest_cluster(QCOW_DIGEST_XXH3_128_USED, c, cs, cs, a);
	qcow_digest_cluster(QCOW_DIGEST_XXH3_128_USED, c, cs, 9000, b);
	qcow_digest(c, 4096, want);
	assert_memory_equal(a, b, QCOW_DIGEST_LEN);
	assert_memory_equal(a, want, QCOW_DIGEST_LEN);
	d[4096] = 1;
	qcow_digest_cluster(QCOW_DIGEST_XXH3_128_USED, d, cs, cs, b);
	assert_memory_not_equal(a, b, QCOW_DIGEST_LEN);
	/* Whole: the zeros count. */
	qcow_digest_cluster(QCOW_DIGEST_XXH3_128, c, cs, 4096, a);
	qcow_digest(c, cs, want);
	assert_memory_equal(a, want, QCOW_DIGEST_LEN);

	for (unsigned alg = 0; alg <= QCOW_DIGEST_XXH3_128_USED; alg++) {
		struct qcow_writer_opts o = { .cluster_bits = 16,
					      .version = 3,
					      .virtual_size = 64ULL << 20,
					      .digests = true,
					      .digest_alg = alg };
		unsigned got = alg ? alg : QCOW_DIGEST_XXH3_128_USED;
		struct qcow_digest_entry *e;
		struct qcow_reader_info info;
		struct qcow_reader *r;
		struct qcow_writer *w;
		struct qcow_io *io;
		uint64_t n;

		assert_int_equal(qcow_io_mem_create(&io), 0);
		assert_int_equal(qcow_writer_create(io, &o, &w), 0);
		assert_int_equal(qcow_writer_pwrite(w, 3 * cs, c, cs), 0);
		assert_int_equal(qcow_writer_finish(w), 0);
		qcow_writer_free(w);
		assert_int_equal(qcow_reader_open_io(io, NULL, &r), 0);
		qcow_reader_get_info(r, &info);
		assert_int_equal(info.digest_alg, got);
		assert_int_equal(qcow_reader_digests(r, &e, &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(e[0].cluster, 3);
		qcow_digest_cluster(got, c, cs, cs, want);
		assert_memory_equal(e[0].digest, want, QCOW_DIGEST_LEN);
		free(e);
		qcow_reader_close(r);
		qcow_io_free(io);
	}
	/* Not one this code knows. */
	{
		struct qcow_writer_opts o = { .cluster_bits = 16,
					      .version = 3,
					      .virtual_size = 64ULL << 20,
					      .digests = true,
					      .digest_alg = 7 };
		struct qcow_writer *w = NULL;
		struct qcow_io *io;

		assert_int_equal(qcow_io_mem_create(&io), 0);
		assert_int_not_equal(qcow_writer_create(io, &o, &w), 0);
		assert_null(w);
		qcow_io_free(io);
	}
	free(c);
	free(d);
}

/* A stream gets exactly the bytes of a seekable run, from a plan. */
static void test_stream_matches_file(void **state)
{
	const struct piece ps[] = { { 0, 4096, 1 },
				    { 8192, 4096, 0 },
				    { 5 << 20, 12000, 2 } };
	struct qcow_writer_stats plan, st;
	struct qcow_io *file, *null, *stream;
	const uint8_t *a, *b;
	size_t alen, blen;

	(void)state;
	assert_int_equal(qcow_io_mem_create(&file), 0);
	assert_int_equal(write_pieces(file, 12, 8 << 20, ps, 3, NULL, &st), 0);
	assert_int_equal(qcow_io_null_create(&null), 0);
	assert_int_equal(write_pieces(null, 12, 8 << 20, ps, 3, NULL, &plan),
			 0);
	assert_int_equal(qcow_io_mem_create(&stream), 0);
	stream->sequential = true;
	/* Without a plan a stream is refused. */
	assert_int_equal(write_pieces(stream, 12, 8 << 20, ps, 3, NULL, NULL),
			 QCOW_ERR_NOT_SEEKABLE);
	assert_int_equal(write_pieces(stream, 12, 8 << 20, ps, 3, &plan, NULL),
			 0);
	a = qcow_io_mem_data(file, &alen);
	b = qcow_io_mem_data(stream, &blen);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	/* A plan that does not match the data is caught. */
	plan.data_clusters++;
	qcow_io_free(stream);
	assert_int_equal(qcow_io_mem_create(&stream), 0);
	stream->sequential = true;
	assert_int_equal(write_pieces(stream, 12, 8 << 20, ps, 3, &plan, NULL),
			 QCOW_ERR_PLAN_MISMATCH);
	/* So is an L1 table that does not (the figures do, this time). */
	plan.data_clusters--;
	assert_int_equal(write_pieces(null, 12, 8 << 20, ps, 3, NULL, &plan),
			 0);
	last_l1[0] ^= 1;
	qcow_io_free(stream);
	assert_int_equal(qcow_io_mem_create(&stream), 0);
	stream->sequential = true;
	assert_int_equal(write_pieces(stream, 12, 8 << 20, ps, 3, &plan, NULL),
			 QCOW_ERR_PLAN_MISMATCH);
	qcow_io_free(file);
	qcow_io_free(null);
	qcow_io_free(stream);
}

static void test_bad_calls(void **state)
{
	struct qcow_writer_opts o = { .cluster_bits = 12,
				      .version = 3,
				      .virtual_size = 1 << 20 };
	struct qcow_writer *w;
	struct qcow_io *io;
	uint8_t b[16] = { 1 };

	(void)state;
	assert_int_equal(qcow_io_mem_create(&io), 0);
	o.cluster_bits = 8;
	assert_int_equal(qcow_writer_create(io, &o, &w),
			 QCOW_ERR_BAD_CLUSTER_BITS);
	o.cluster_bits = 9;
	o.virtual_size = 1ULL << 50; /* L1 would be 256 MiB */
	assert_int_equal(qcow_writer_create(io, &o, &w), QCOW_ERR_TOO_BIG);
	/* 2^50 bytes: 2^(2b-3)-byte L1 spans need b >= 16 for 4M entries. */
	assert_int_equal(qcow_writer_min_cluster_bits(1ULL << 50, 9), 16);
	o.cluster_bits = 12;
	o.virtual_size = 1 << 20;
	o.version = 1;
	assert_int_equal(qcow_writer_create(io, &o, &w),
			 QCOW_ERR_UNSUPPORTED_VERSION);
	o.version = 3;
	assert_int_equal(qcow_writer_create(io, &o, &w), 0);
	assert_int_equal(qcow_writer_pwrite(w, 8192, b, 16), 0);
	assert_int_equal(qcow_writer_pwrite(w, 4096, b, 16),
			 QCOW_ERR_OUT_OF_ORDER_WRITE);
	/* Sticky: even a good write now fails, and so does finish. */
	assert_int_equal(qcow_writer_pwrite(w, 1 << 19, b, 16),
			 QCOW_ERR_OUT_OF_ORDER_WRITE);
	assert_int_equal(qcow_writer_finish(w), QCOW_ERR_OUT_OF_ORDER_WRITE);
	qcow_writer_free(w);
	assert_int_equal(qcow_writer_create(io, &o, &w), 0);
	assert_int_equal(qcow_writer_pwrite(w, (1 << 20) - 8, b, 16),
			 QCOW_ERR_WRITE_PAST_END);
	qcow_writer_free(w);
	qcow_writer_free(NULL);
	qcow_io_free(io);
}

/* Fails the Nth I/O call (pwrite, set_size or sync) with ENOSPC. */
struct fault_io {
	struct qcow_io io;
	struct qcow_io *inner;
	int fail_at, calls;
};

static errcode_t fault_pwrite(struct qcow_io *io, const void *buf, size_t len,
			      uint64_t off)
{
	struct fault_io *f = (struct fault_io *)io;

	if (f->calls++ == f->fail_at)
		return ENOSPC;
	return f->inner->pwrite(f->inner, buf, len, off);
}

static errcode_t fault_set_size(struct qcow_io *io, uint64_t size)
{
	struct fault_io *f = (struct fault_io *)io;

	if (f->calls++ == f->fail_at)
		return ENOSPC;
	return f->inner->set_size(f->inner, size);
}

static errcode_t fault_sync(struct qcow_io *io)
{
	struct fault_io *f = (struct fault_io *)io;

	if (f->calls++ == f->fail_at)
		return EIO;
	return 0;
}

static errcode_t fault_pread(struct qcow_io *io, void *buf, size_t len,
			     uint64_t off)
{
	struct fault_io *f = (struct fault_io *)io;

	if (f->calls++ == f->fail_at)
		return EIO;
	return f->inner->pread(f->inner, buf, len, off);
}

/*
 * The same with compression, digests and dedup on (reads back for
 * sharing, the digest table, shared compressed clusters): every failure
 * comes back, nothing half-written looks like qcow2, and the run that
 * meets no failure reads back as written.
 */
static void test_failure_with_compression_and_digests(void **state)
{
	/* Buffer 0 compresses, 1..6 do not; 1 and 0 come back after more
	 * than the 4 MiB staging buffer, so sharing reads them back. */
	static const unsigned order[] = { 0, 1, 2, 3, 4, 5, 6, 1, 0 };
	const size_t M = 1 << 20;
	uint8_t *buf[7];
	int n;

	(void)state;
	for (unsigned k = 0; k < 7; k++) {
		uint32_t x = 2463534242U + k;

		buf[k] = malloc(M);
		assert_non_null(buf[k]);
		for (size_t i = 0; i < M; i++) {
			x ^= x << 13; /* xorshift32: noise */
			x ^= x >> 17;
			x ^= x << 5;
			buf[k][i] =
				k ? (uint8_t)x
				  : (uint8_t)("compress me, twice "[i % 19]);
		}
	}
	for (n = 0;; n++) {
		struct qcow_writer_opts o = { .cluster_bits = 16,
					      .version = 3,
					      .virtual_size = 256 << 20,
					      .compress = true,
					      .compress_type =
						      QCOW_COMPRESS_ZLIB,
					      .digests = true,
					      .dedup = true };
		struct qcow_writer_stats st;
		struct fault_io f = { 0 };
		struct qcow_writer *w = NULL;
		const uint8_t *img;
		size_t len;
		errcode_t err;

		assert_int_equal(qcow_io_mem_create(&f.inner), 0);
		f.io.pwrite = fault_pwrite;
		f.io.pread = fault_pread;
		f.io.set_size = fault_set_size;
		f.io.sync = fault_sync;
		f.fail_at = n;
		err = qcow_writer_create(&f.io, &o, &w);
		for (unsigned k = 0; !err && k < 9; k++)
			err = qcow_writer_pwrite(w, (uint64_t)k << 24,
						 buf[order[k]], M);
		if (!err)
			err = qcow_writer_finish(w);
		if (w)
			qcow_writer_stats(w, &st);
		qcow_writer_free(w);
		img = qcow_io_mem_data(f.inner, &len);
		if (f.calls <= n) {
			struct qcow_reader *r;
			struct qcow_io *in;
			uint8_t *got = malloc(M);

			assert_int_equal(err, 0);
			/* Both repeats shared: 16 clusters of each. */
			assert_int_equal(st.dedup_clusters, 32);
			assert_int_equal(qcow_io_mem_create_from(img, len, &in),
					 0);
			assert_int_equal(qcow_reader_open_io(in, NULL, &r), 0);
			for (unsigned k = 0; k < 9; k++) {
				assert_int_equal(
					qcow_reader_pread(r, got, M,
							  (uint64_t)k << 24),
					0);
				assert_memory_equal(got, buf[order[k]], M);
			}
			free(got);
			qcow_reader_close(r);
			qcow_io_free(in);
			qcow_io_free(f.inner);
			break;
		}
		assert_int_not_equal(err, 0);
		if (len >= 4 && !memcmp(img, "QFI\xfb", 4))
			assert_int_equal(n, f.calls - 1);
		qcow_io_free(f.inner);
	}
	assert_true(n > 5);
	for (unsigned k = 0; k < 7; k++)
		free(buf[k]);
}

static void test_failure_at_every_call(void **state)
{
	const struct piece ps[] = { { 0, 2 << 20, 1 },
				    { 9 << 20, 4096, 2 },
				    { 30 << 20, 6 << 20, 3 } };
	int n;

	(void)state;
	for (n = 0;; n++) {
		struct fault_io f = { 0 };
		const uint8_t *img;
		struct audit c;
		size_t len;
		errcode_t err;

		assert_int_equal(qcow_io_mem_create(&f.inner), 0);
		f.io.pwrite = fault_pwrite;
		f.io.set_size = fault_set_size;
		f.io.sync = fault_sync;
		f.fail_at = n;
		err = write_pieces(&f.io, 9, 64 << 20, ps, 3, NULL, NULL);
		img = qcow_io_mem_data(f.inner, &len);
		if (f.calls <= n) { /* no call failed: the run is complete */
			assert_int_equal(err, 0);
			assert_null(audit_image(img, len, &c));
			qcow_io_free(f.inner);
			break;
		}
		assert_int_not_equal(err, 0);
		/* A failed run never wrote a header: nothing looks valid
		 * (except when only the final sync failed). */
		if (len >= 4 && !memcmp(img, "QFI\xfb", 4))
			assert_int_equal(n, f.calls - 1);
		qcow_io_free(f.inner);
	}
	assert_true(n > 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_cluster_sizes),
		cmocka_unit_test(test_zero_clusters_not_stored),
		cmocka_unit_test(test_l2_addressing_beyond_32_bits),
		cmocka_unit_test(test_refcount_table_grows),
		cmocka_unit_test(test_stream_matches_file),
		cmocka_unit_test(test_dedup),
		cmocka_unit_test(test_dedup_trusts_bytes_not_sums),
		cmocka_unit_test(test_digest_algorithms),
		cmocka_unit_test(test_bad_calls),
		cmocka_unit_test(test_failure_at_every_call),
		cmocka_unit_test(test_failure_with_compression_and_digests),
	};

	initialize_e2qo_error_table();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
