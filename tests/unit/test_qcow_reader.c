// SPDX-License-Identifier: MIT
/*
 * Unit tests of the qcow2 reader: a valid image (made by the writer) is
 * read back, then one field at a time is corrupted and the specific
 * error expected, as QEMU's iotest 080 does for QEMU.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qcow_endian.h"
#include "qcow_err.h"
#include "qcow_io.h"
#include "qcow_reader.h"
#include "qcow_writer.h"

#define CS 4096U
#define SIZE (4U << 20)

struct image {
	uint8_t *bytes;
	size_t len;
};

/* 4 KiB clusters: data at 0 and 1 MiB; header, 2 data, 1 L2... */
static int make_image(void **state)
{
	struct qcow_writer_opts o = { .cluster_bits = 12,
				      .version = 3,
				      .virtual_size = SIZE };
	struct image *img = calloc(1, sizeof(*img));
	struct qcow_writer *w;
	struct qcow_io *io;
	uint8_t buf[CS];
	const uint8_t *p;

	memset(buf, 0xc3, sizeof(buf));
	if (!img || qcow_io_mem_create(&io) || qcow_writer_create(io, &o, &w))
		return -1;
	if (qcow_writer_pwrite(w, 0, buf, CS) ||
	    qcow_writer_pwrite(w, 1 << 20, buf, CS) || qcow_writer_finish(w))
		return -1;
	qcow_writer_free(w);
	p = qcow_io_mem_data(io, &img->len);
	img->bytes = malloc(img->len);
	memcpy(img->bytes, p, img->len);
	qcow_io_free(io);
	*state = img;
	return 0;
}

static int free_image(void **state)
{
	struct image *img = *state;

	free(img->bytes);
	free(img);
	return 0;
}

/* Open a copy of the image with @patch applied; read it all. */
static errcode_t open_patched(const struct image *img, size_t off,
			      const void *patch, size_t plen, bool read_all)
{
	struct qcow_reader_opts ro = { 0 };
	struct qcow_reader *r;
	struct qcow_io *io;
	uint8_t *copy = malloc(img->len), *buf = malloc(SIZE);
	errcode_t err;

	assert_non_null(copy);
	assert_non_null(buf);
	memcpy(copy, img->bytes, img->len);
	if (plen)
		memcpy(copy + off, patch, plen);
	assert_int_equal(qcow_io_mem_create_from(copy, img->len, &io), 0);
	err = qcow_reader_open_io(io, &ro, &r);
	if (!err && read_all)
		err = qcow_reader_pread(r, buf, SIZE, 0);
	qcow_reader_close(r);
	qcow_io_free(io);
	free(copy);
	free(buf);
	return err;
}

static void test_reads_back(void **state)
{
	struct image *img = *state;
	struct qcow_reader_opts ro = { 0 };
	struct qcow_cluster_counts cc;
	struct qcow_reader *r;
	struct qcow_io *io;
	uint64_t zero, data;
	uint8_t buf[2 * CS];

	assert_int_equal(qcow_io_mem_create_from(img->bytes, img->len, &io), 0);
	assert_int_equal(qcow_reader_open_io(io, &ro, &r), 0);
	assert_int_equal(qcow_reader_size(r), SIZE);
	assert_int_equal(qcow_reader_pread(r, buf, sizeof(buf), 0), 0);
	assert_int_equal(buf[0], 0xc3);
	assert_int_equal(buf[CS - 1], 0xc3);
	assert_int_equal(buf[CS], 0);
	assert_int_equal(qcow_reader_zero_run(r, 0, SIZE, &zero, &data), 0);
	assert_int_equal(zero, 0);
	assert_int_equal(data, CS);
	assert_int_equal(qcow_reader_zero_run(r, CS, SIZE - CS, &zero, &data),
			 0);
	assert_int_equal(zero, (1 << 20) - CS);
	assert_int_equal(qcow_reader_count_clusters(r, &cc), 0);
	assert_int_equal(cc.allocated, 2);
	assert_int_equal(cc.unallocated, SIZE / CS - 2);
	/* Reads past the end are refused, not wrapped. */
	assert_int_not_equal(qcow_reader_pread(r, buf, 2, SIZE - 1), 0);
	assert_int_not_equal(qcow_reader_pread(r, buf, 1, UINT64_MAX), 0);
	qcow_reader_close(r);
	qcow_io_free(io);
}

static void expect_field(const struct image *img, size_t off, uint64_t v,
			 unsigned width, errcode_t want, bool read_all)
{
	uint8_t b[8];

	if (width == 8)
		qcow_store_be64(b, v);
	else if (width == 4)
		qcow_store_be32(b, (uint32_t)v);
	else
		b[0] = (uint8_t)v;
	assert_int_equal(open_patched(img, off, b, width, read_all), want);
}

static void test_header_fields(void **state)
{
	struct image *img = *state;

	expect_field(img, 0, 0x514649fa, 4, QCOW_ERR_BAD_MAGIC, false);
	expect_field(img, 4, 1, 4, QCOW_ERR_UNSUPPORTED_VERSION, false);
	expect_field(img, 20, 8, 4, QCOW_ERR_BAD_CLUSTER_BITS, false);
	expect_field(img, 20, 22, 4, QCOW_ERR_BAD_CLUSTER_BITS, false);
	expect_field(img, 32, 1, 4, QCOW_ERR_ENCRYPTED, false);
	expect_field(img, 32, 2, 4, QCOW_ERR_ENCRYPTED, false);
	expect_field(img, 72, 1ULL << 5, 8, QCOW_ERR_INCOMPAT_FEATURE, false);
	expect_field(img, 72, 1ULL << 1, 8, QCOW_ERR_CORRUPT_FLAG, false);
	/* Compression bit without a compression type, and vice versa. */
	expect_field(img, 72, 1ULL << 3, 8, QCOW_ERR_UNKNOWN_COMPRESSION,
		     false);
	expect_field(img, 104, 1, 1, QCOW_ERR_UNKNOWN_COMPRESSION, false);
	/* Extended L2 needs clusters of at least 16 KiB. */
	expect_field(img, 72, 1ULL << 4, 8, QCOW_ERR_BAD_CLUSTER_BITS, false);
	expect_field(img, 96, 7, 4, QCOW_ERR_BAD_REFCOUNT_ORDER, false);
	expect_field(img, 100, 100, 4, QCOW_ERR_BAD_HEADER_LENGTH, false);
	expect_field(img, 100, CS + 8, 4, QCOW_ERR_BAD_HEADER_LENGTH, false);
}

static void test_table_fields(void **state)
{
	struct image *img = *state;

	/* L1: too small for the size, too large, misaligned, past EOF. */
	expect_field(img, 36, 0, 4, QCOW_ERR_TOO_BIG, false);
	expect_field(img, 36, 5000000, 4, QCOW_ERR_BAD_TABLE, false);
	expect_field(img, 40, 4097, 8, QCOW_ERR_BAD_TABLE, false);
	expect_field(img, 40, 1ULL << 40, 8, QCOW_ERR_BAD_TABLE, false);
	expect_field(img, 40, UINT64_MAX & ~4095ULL, 8, QCOW_ERR_BAD_TABLE,
		     false);
	/* Refcount table: none, huge, misaligned. */
	expect_field(img, 56, 0, 4, QCOW_ERR_BAD_TABLE, false);
	expect_field(img, 56, 1U << 20, 4, QCOW_ERR_BAD_TABLE, false);
	expect_field(img, 48, 12, 8, QCOW_ERR_BAD_TABLE, false);
	/* Snapshots: too many, table outside the file. */
	expect_field(img, 60, 70000, 4, QCOW_ERR_BAD_SNAPSHOT, false);
	expect_field(img, 60, 1, 4, QCOW_ERR_BAD_SNAPSHOT, false);
	/* A virtual size of 2^63 needs an L1 table QEMU would refuse. */
	expect_field(img, 24, 1ULL << 63, 8, QCOW_ERR_TOO_BIG, false);
	/* Backing name past the header cluster. */
	expect_field(img, 8, CS - 4, 8, 0, false); /* offset alone: no name */
}

static void test_backing_name_bounds(void **state)
{
	struct image *img = *state;
	uint8_t b[12];

	qcow_store_be64(b, CS - 4); /* offset */
	qcow_store_be32(b + 8, 16); /* 16 bytes: runs past the cluster */
	assert_int_equal(open_patched(img, 8, b, 12, false),
			 QCOW_ERR_BAD_BACKING);
	qcow_store_be64(b, 200);
	qcow_store_be32(b + 8, 2000); /* over QEMU's 1023 */
	assert_int_equal(open_patched(img, 8, b, 12, false),
			 QCOW_ERR_BAD_BACKING);
}

static uint64_t l1_offset(const struct image *img)
{
	return qcow_load_be64(img->bytes + 40);
}

static void test_entries(void **state)
{
	struct image *img = *state;
	size_t l1 = (size_t)l1_offset(img);
	uint64_t l2 = qcow_load_be64(img->bytes + l1) & 0x00fffffffffffe00ULL;

	/* L1 entry: reserved bits, misaligned, past EOF. */
	expect_field(img, l1, l2 | 2, 8, QCOW_ERR_BAD_ENTRY, true);
	expect_field(img, l1, l2 + 512, 8, QCOW_ERR_BAD_ENTRY, true);
	expect_field(img, l1, 1ULL << 50, 8, QCOW_ERR_BAD_ENTRY, true);
	/* L2 entry: reserved bits, misaligned, past EOF, into nowhere. */
	expect_field(img, (size_t)l2, (1ULL << 63) | CS | 4, 8,
		     QCOW_ERR_BAD_ENTRY, true);
	expect_field(img, (size_t)l2, (1ULL << 63) | (CS + 512), 8,
		     QCOW_ERR_BAD_ENTRY, true);
	expect_field(img, (size_t)l2, (1ULL << 63) | (1ULL << 40), 8,
		     QCOW_ERR_BAD_ENTRY, true);
	/* A compressed cluster of garbage, and one past the file. */
	expect_field(img, (size_t)l2, (1ULL << 62) | CS, 8,
		     QCOW_ERR_BAD_COMPRESSED, true);
	expect_field(img, (size_t)l2, (1ULL << 62) | (1ULL << 40), 8,
		     QCOW_ERR_BAD_ENTRY, true);
	/* The zero flag wins over the host offset: reads fine. */
	expect_field(img, (size_t)l2, (1ULL << 63) | CS | 1, 8, 0, true);
}

static void test_truncated(void **state)
{
	struct image *img = *state;
	struct qcow_reader_opts ro = { 0 };
	struct qcow_reader *r;
	struct qcow_io *io;

	for (size_t len = 0; len < 200; len += 13) {
		assert_int_equal(qcow_io_mem_create_from(img->bytes, len, &io),
				 0);
		assert_int_not_equal(qcow_reader_open_io(io, &ro, &r), 0);
		qcow_io_free(io);
	}
	/* Cut before the L1 table: refused at open. */
	assert_int_equal(qcow_io_mem_create_from(img->bytes,
						 (size_t)l1_offset(img), &io),
			 0);
	assert_int_equal(qcow_reader_open_io(io, &ro, &r), QCOW_ERR_BAD_TABLE);
	qcow_io_free(io);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_back),
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_table_fields),
		cmocka_unit_test(test_backing_name_bounds),
		cmocka_unit_test(test_entries),
		cmocka_unit_test(test_truncated),
	};

	initialize_e2qo_error_table();
	return cmocka_run_group_tests(tests, make_image, free_image);
}
