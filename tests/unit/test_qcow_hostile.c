// SPDX-License-Identifier: MIT
/*
 * Hand-made hostile images: tables pointing into the header or at each
 * other, clusters shared where they must not be, a refcount table that
 * points at itself, lengths and offsets that overflow 64-bit sums, an
 * extension longer than its cluster, a compressed cluster running off
 * the file.  Each must end in a clear error (or, where QEMU reads such
 * an image, in a check that reports it), promptly, with every byte read
 * in bounds (ASan/valgrind watch the rest).
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
#include "qcow_endian.h"
#include "qcow_err.h"
#include "qcow_io.h"
#include "qcow_reader.h"
#include "qcow_writer.h"

#define CS 4096U
#define SIZE (4U << 20)
#define COPIED (1ULL << 63)

struct image {
	uint8_t *b;
	size_t len;
};

/* Header, data at 0 and at 1 MiB, their L2, L1, refcount table/block. */
static struct image make_image(void)
{
	struct qcow_writer_opts o = { .cluster_bits = 12,
				      .version = 3,
				      .virtual_size = SIZE };
	struct qcow_writer *w;
	struct qcow_io *io;
	struct image img;
	uint8_t buf[CS];
	const uint8_t *p;

	memset(buf, 0x5c, sizeof(buf));
	assert_int_equal(qcow_io_mem_create(&io), 0);
	assert_int_equal(qcow_writer_create(io, &o, &w), 0);
	assert_int_equal(qcow_writer_pwrite(w, 0, buf, CS), 0);
	assert_int_equal(qcow_writer_pwrite(w, 1 << 20, buf, CS), 0);
	assert_int_equal(qcow_writer_finish(w), 0);
	qcow_writer_free(w);
	p = qcow_io_mem_data(io, &img.len);
	img.b = malloc(img.len);
	assert_non_null(img.b);
	memcpy(img.b, p, img.len);
	qcow_io_free(io);
	return img;
}

static uint64_t l1_off(const struct image *img)
{
	return qcow_load_be64(img->b + 40);
}

static uint64_t l2_off(const struct image *img)
{
	return qcow_load_be64(img->b + l1_off(img)) & 0x00fffffffffffe00ULL;
}

static uint64_t reftable_off(const struct image *img)
{
	return qcow_load_be64(img->b + 48);
}

struct outcome {
	errcode_t open, read;
	bool checked;
	struct qcow_check_result check;
};

/* Open, read every byte, check: what happened at each step. */
static struct outcome run(const struct image *img)
{
	struct outcome o = { 0 };
	struct qcow_reader *r = NULL;
	struct qcow_io *io;
	uint8_t *buf = malloc(SIZE);

	assert_non_null(buf);
	assert_int_equal(qcow_io_mem_create_from(img->b, img->len, &io), 0);
	o.open = qcow_reader_open_io(io, NULL, &r);
	if (!o.open) {
		o.read = qcow_reader_pread(r, buf, SIZE, 0);
		o.checked = !qcow_check_run(r, NULL, NULL, &o.check);
	}
	qcow_reader_close(r);
	qcow_io_free(io);
	free(buf);
	return o;
}

static void test_untouched_is_clean(void **state)
{
	struct image img = make_image();
	struct outcome o = run(&img);

	(void)state;
	assert_int_equal(o.open, 0);
	assert_int_equal(o.read, 0);
	assert_true(o.checked);
	assert_int_equal(o.check.corruptions + o.check.leaks, 0);
	free(img.b);
}

/*
 * Tables pointing into the header.  (Offset 0 itself means "not
 * allocated" in L1 and L2 entries, so the way in is an offset inside
 * cluster 0: misaligned for tables and data clusters, legal in form for a
 * compressed cluster.)
 */
static void test_pointers_into_header(void **state)
{
	struct image img = make_image();
	struct outcome o;

	(void)state;
	qcow_store_be64(img.b + l1_off(&img), 512 | COPIED);
	o = run(&img);
	assert_int_equal(o.open, 0);
	assert_int_equal(o.read, QCOW_ERR_BAD_ENTRY);
	assert_true(o.checked);
	assert_true(o.check.corruptions > 0);
	free(img.b);

	img = make_image();
	qcow_store_be64(img.b + l2_off(&img), 1024 | COPIED);
	o = run(&img);
	assert_int_equal(o.read, QCOW_ERR_BAD_ENTRY);
	assert_true(o.checked);
	assert_true(o.check.corruptions > 0);
	free(img.b);

	/* The header's bytes as compressed data: cluster 0 used twice. */
	img = make_image();
	qcow_store_be64(img.b + l2_off(&img), (1ULL << 62) | 8);
	o = run(&img);
	assert_int_equal(o.read, QCOW_ERR_BAD_COMPRESSED);
	assert_true(o.checked);
	assert_true(o.check.corruptions > 0);
	free(img.b);
}

/* A data cluster that is the L1 table: QEMU reads it; check objects. */
static void test_data_on_metadata(void **state)
{
	struct image img = make_image();
	struct outcome o;

	(void)state;
	qcow_store_be64(img.b + l2_off(&img), l1_off(&img) | COPIED);
	o = run(&img);
	assert_int_equal(o.open, 0);
	assert_int_equal(o.read, 0);
	assert_true(o.checked);
	assert_true(o.check.corruptions > 0);
	free(img.b);
}

/* Two guest clusters on one host cluster (refcount 1). */
static void test_overlapping_clusters(void **state)
{
	struct image img = make_image();
	uint64_t l2 = l2_off(&img);
	struct outcome o;

	(void)state;
	memcpy(img.b + l2 + 8 * 3, img.b + l2, 8);
	o = run(&img);
	assert_int_equal(o.open, 0);
	assert_int_equal(o.read, 0);
	assert_true(o.checked);
	assert_true(o.check.corruptions > 0);
	/* An L2 table that is also a data cluster. */
	free(img.b);
	img = make_image();
	qcow_store_be64(img.b + l2_off(&img), l2_off(&img) | COPIED);
	o = run(&img);
	assert_true(o.checked);
	assert_true(o.check.corruptions > 0);
	free(img.b);
}

/* The refcount table's first entry points at the table itself. */
static void test_refcount_table_loop(void **state)
{
	struct image img = make_image();
	uint64_t rt = reftable_off(&img);
	struct outcome o;

	(void)state;
	qcow_store_be64(img.b + rt, rt);
	o = run(&img);
	assert_int_equal(o.open, 0); /* QEMU opens it too */
	assert_int_equal(o.read, 0);
	assert_true(o.checked);
	assert_true(o.check.corruptions > 0);
	/* ...and at the L1 table. */
	free(img.b);
	img = make_image();
	qcow_store_be64(img.b + reftable_off(&img), l1_off(&img));
	o = run(&img);
	assert_int_equal(o.open, 0);
	assert_true(o.checked);
	assert_true(o.check.corruptions > 0);
	free(img.b);
}

/* Offsets and lengths whose sums wrap around 2^64. */
static void test_overflowing_sums(void **state)
{
	struct image img = make_image();
	struct image copy = { malloc(img.len), img.len };
	static const struct {
		size_t off;
		unsigned width;
		uint64_t v;
		errcode_t want;
	} cases[] = {
		{ 24, 8, UINT64_MAX, QCOW_ERR_TOO_BIG }, /* size */
		{ 24, 8, UINT64_MAX - CS + 1, QCOW_ERR_TOO_BIG },
		{ 40, 8, UINT64_MAX - CS + 1, QCOW_ERR_BAD_TABLE }, /* L1 */
		{ 48, 8, UINT64_MAX - CS + 1,
		  QCOW_ERR_BAD_TABLE }, /* reftable */
		{ 56, 4, UINT32_MAX, QCOW_ERR_BAD_TABLE },
		{ 64, 8, UINT64_MAX - CS + 1, QCOW_ERR_BAD_SNAPSHOT },
	};

	(void)state;
	assert_non_null(copy.b);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct outcome o;

		memcpy(copy.b, img.b, img.len);
		if (cases[i].width == 8)
			qcow_store_be64(copy.b + cases[i].off, cases[i].v);
		else
			qcow_store_be32(copy.b + cases[i].off,
					(uint32_t)cases[i].v);
		if (cases[i].off == 64) /* a snapshot table needs a count */
			qcow_store_be32(copy.b + 60, 1);
		o = run(&copy);
		assert_int_equal(o.open, cases[i].want);
	}
	free(copy.b);
	free(img.b);
}

/* Extensions that run past the header cluster, or claim 4 GiB. */
static void test_extension_too_long(void **state)
{
	const uint32_t lens[] = { CS, CS - 112, UINT32_MAX, UINT32_MAX - 7 };
	struct image img = make_image();
	struct image copy = { malloc(img.len), img.len };

	(void)state;
	assert_non_null(copy.b);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memcpy(copy.b, img.b, img.len);
		/* The extensions start right after the 112-byte header. */
		qcow_store_be32(copy.b + 112, 0x12345678);
		qcow_store_be32(copy.b + 116, lens[i]);
		assert_int_equal(run(&copy).open, QCOW_ERR_BAD_EXTENSION);
	}
	free(copy.b);
	free(img.b);
}

/* A compressed cluster at the last bytes of the file, claiming the most
 * sectors the entry can hold: read up to the end, then garbage. */
static void test_compressed_past_end(void **state)
{
	struct image img = make_image();
	unsigned shift = 62 - (12 - 8);
	uint64_t sectors = (1ULL << (12 - 8)) - 1;
	struct outcome o;

	(void)state;
	qcow_store_be64(img.b + l2_off(&img),
			(1ULL << 62) | sectors << shift | (img.len - 100));
	o = run(&img);
	assert_int_equal(o.open, 0);
	assert_int_equal(o.read, QCOW_ERR_BAD_COMPRESSED);
	assert_true(o.checked);
	free(img.b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_untouched_is_clean),
		cmocka_unit_test(test_pointers_into_header),
		cmocka_unit_test(test_data_on_metadata),
		cmocka_unit_test(test_overlapping_clusters),
		cmocka_unit_test(test_refcount_table_loop),
		cmocka_unit_test(test_overflowing_sums),
		cmocka_unit_test(test_extension_too_long),
		cmocka_unit_test(test_compressed_past_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
