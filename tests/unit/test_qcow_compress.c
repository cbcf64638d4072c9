// SPDX-License-Identifier: MIT
/*
 * Unit tests of compressed output: every cluster size and both types,
 * through the writer's own compressor and through clusters compressed
 * by the caller; images read back and refcount-checked by the reader
 * and checker (qemu-img checks real captures in the integration tests);
 * the 16-bit refcount limit of a host cluster shared by many pieces.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qcow_check.h"
#include "qcow_compress.h"
#include "qcow_err.h"
#include "qcow_io.h"
#include "qcow_reader.h"
#include "qcow_writer.h"

#define GUEST_SIZE (12ULL << 20)

/* Guest content: text-like, random, zero, in bands of odd lengths. */
static uint8_t *make_guest(void)
{
	uint8_t *g = calloc(1, GUEST_SIZE);
	uint64_t x = 88172645463325252ULL;

	assert_non_null(g);
	for (uint64_t off = 0; off < GUEST_SIZE; off += 1536) {
		uint64_t band = (off / 70000) % 4;

		for (size_t i = 0; i < 1536; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			if (band == 0)
				g[off + i] = (uint8_t)("abcde fghij\n"[i % 12]);
			else if (band == 1)
				g[off + i] = (uint8_t)x;
			else if (band == 2)
				g[off + i] = (uint8_t)((x & 3) + 'a');
		}
	}
	return g;
}

static void check_image(struct qcow_io *io, const uint8_t *guest)
{
	struct qcow_check_result res;
	struct qcow_reader *r;
	uint8_t *got = malloc(GUEST_SIZE);

	assert_non_null(got);
	assert_int_equal(qcow_reader_open_io(io, NULL, &r), 0);
	assert_int_equal(qcow_reader_pread(r, got, GUEST_SIZE, 0), 0);
	assert_memory_equal(got, guest, GUEST_SIZE);
	assert_int_equal(qcow_check_run(r, NULL, NULL, &res), 0);
	assert_int_equal(res.corruptions, 0);
	assert_int_equal(res.leaks, 0);
	assert_true(res.compressed_clusters > 0);
	qcow_reader_close(r);
	free(got);
}

static struct qcow_writer *start(struct qcow_io *io, unsigned bits,
				 unsigned type)
{
	struct qcow_writer_opts o = { .cluster_bits = bits,
				      .version = 3,
				      .virtual_size = GUEST_SIZE,
				      .compress = true,
				      .compress_type = type };
	struct qcow_writer *w;

	assert_int_equal(qcow_writer_create(io, &o, &w), 0);
	return w;
}

/* The writer compresses what pwrite hands it, in uneven pieces. */
static void test_pwrite_path(void **state)
{
	uint8_t *g = make_guest();

	(void)state;
	for (unsigned type = 0; type <= 1; type++)
		for (unsigned bits = 9; bits <= 21; bits += 2) {
			struct qcow_io *io;
			struct qcow_writer *w;

			assert_int_equal(qcow_io_mem_create(&io), 0);
			w = start(io, bits, type);
			for (uint64_t off = 0; off < GUEST_SIZE;) {
				size_t n = 100000 + (size_t)(off % 7) * 4096;

				if (n > GUEST_SIZE - off)
					n = (size_t)(GUEST_SIZE - off);
				assert_int_equal(
					qcow_writer_pwrite(w, off, g + off, n),
					0);
				off += n;
			}
			assert_int_equal(qcow_writer_finish(w), 0);
			qcow_writer_free(w);
			check_image(io, g);
			qcow_io_free(io);
		}
	free(g);
}

/* Compress every cluster of @g with @c and hand them over in batches. */
static void put_all(struct qcow_writer *w, struct qcow_compressor *c,
		    const uint8_t *g, unsigned bits, uint8_t *z, uint32_t *zlen)
{
	size_t cs = (size_t)1 << bits, per = (1U << 22) >> bits;

	for (uint64_t off = 0; off < GUEST_SIZE; off += per * cs) {
		for (size_t i = 0; i < per; i++)
			zlen[i] = (uint32_t)qcow_compress_cluster(
				c, g + off + i * cs, z + i * cs);
		assert_int_equal(qcow_writer_put_clusters(w, off, per, g + off,
							  z, zlen, NULL),
				 0);
	}
}

/* Clusters compressed outside the writer, as capture's workers do. */
static void test_put_clusters_path(void **state)
{
	uint8_t *g = make_guest();

	(void)state;
	for (unsigned type = 0; type <= 1; type++)
		for (unsigned bits = 9; bits <= 21; bits += 3) {
			size_t cs = (size_t)1 << bits, per = (1U << 22) >> bits;
			uint8_t *z = malloc(per * cs);
			uint32_t *zlen = calloc(per, sizeof(*zlen));
			struct qcow_compressor *c;
			struct qcow_io *io;
			struct qcow_writer *w;

			assert_non_null(z);
			assert_int_equal(
				qcow_compressor_create(
					type, qcow_compress_default_level(type),
					bits, &c),
				0);
			assert_int_equal(qcow_io_mem_create(&io), 0);
			w = start(io, bits, type);
			put_all(w, c, g, bits, z, zlen);
			assert_int_equal(qcow_writer_finish(w), 0);
			qcow_writer_free(w);
			check_image(io, g);
			qcow_io_free(io);

			/* Offsets may not go back, nor leave clusters. */
			assert_int_equal(qcow_io_mem_create(&io), 0);
			w = start(io, bits, type);
			assert_int_equal(qcow_writer_put_clusters(
						 w, cs, 1, g, z, zlen, NULL),
					 0);
			assert_int_equal(qcow_writer_put_clusters(w, 0, 1, g, z,
								  zlen, NULL),
					 QCOW_ERR_OUT_OF_ORDER_WRITE);
			qcow_writer_free(w);
			qcow_io_free(io);
			qcow_compressor_free(c);
			free(z);
			free(zlen);
		}
	free(g);
}

/*
 * 70,000 one-byte pieces, all in one L2 range of 1 MiB clusters, would
 * share one host cluster and overflow its 16-bit refcount; the writer
 * must move on in time.  (The bytes are not real zstd: only the
 * refcounts are checked.)
 */
static void test_refcount_limit(void **state)
{
	struct qcow_writer_opts o = { .cluster_bits = 20,
				      .version = 3,
				      .virtual_size = 70000ULL << 20,
				      .compress = true,
				      .compress_type = QCOW_COMPRESS_ZSTD };
	struct qcow_check_result res;
	struct qcow_reader *r;
	struct qcow_writer *w;
	struct qcow_io *io;
	uint8_t *raw = malloc(1U << 20);
	uint32_t zlen = 1;

	(void)state;
	assert_non_null(raw);
	memset(raw, 0x5a, 1U << 20);
	assert_int_equal(qcow_io_mem_create(&io), 0);
	assert_int_equal(qcow_writer_create(io, &o, &w), 0);
	for (uint64_t i = 0; i < 70000; i++)
		assert_int_equal(qcow_writer_put_clusters(w, i << 20, 1, raw,
							  raw, &zlen, NULL),
				 0);
	assert_int_equal(qcow_writer_finish(w), 0);
	qcow_writer_free(w);
	assert_int_equal(qcow_reader_open_io(io, NULL, &r), 0);
	assert_int_equal(qcow_check_run(r, NULL, NULL, &res), 0);
	assert_int_equal(res.corruptions, 0);
	assert_int_equal(res.leaks, 0);
	assert_int_equal(res.compressed_clusters, 70000);
	qcow_reader_close(r);
	qcow_io_free(io);
	free(raw);
}

static void test_bad_options(void **state)
{
	struct qcow_writer_opts o = { .cluster_bits = 12,
				      .version = 2,
				      .virtual_size = 1 << 20,
				      .compress = true,
				      .compress_type = QCOW_COMPRESS_ZSTD };
	struct qcow_compressor *c;
	struct qcow_writer *w;
	struct qcow_io *io;

	(void)state;
	assert_int_equal(qcow_io_mem_create(&io), 0);
	/* zstd needs version 3's compression_type field. */
	assert_int_equal(qcow_writer_create(io, &o, &w), QCOW_ERR_BAD_OPTION);
	assert_int_equal(qcow_compressor_create(7, 1, 12, &c),
			 QCOW_ERR_UNKNOWN_COMPRESSION);
	assert_int_equal(qcow_compressor_create(QCOW_COMPRESS_ZLIB, 10, 12, &c),
			 QCOW_ERR_BAD_OPTION);
	qcow_io_free(io);
}

/* Random data does not shrink: the compressor says so. */
static void test_incompressible(void **state)
{
	uint8_t in[4096], out[4096];
	uint64_t x = 1;
	struct qcow_compressor *c;

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		in[i] = (uint8_t)(x >> 56);
	}
	for (unsigned type = 0; type <= 1; type++) {
		assert_int_equal(qcow_compressor_create(type, 3, 12, &c), 0);
		assert_int_equal(qcow_compress_cluster(c, in, out), 0);
		memset(in, 'x', sizeof(in));
		assert_true(qcow_compress_cluster(c, in, out) < 100);
		qcow_compressor_free(c);
		for (size_t i = 0; i < sizeof(in); i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			in[i] = (uint8_t)(x >> 56);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pwrite_path),
		cmocka_unit_test(test_put_clusters_path),
		cmocka_unit_test(test_refcount_limit),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_incompressible),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
