// SPDX-License-Identifier: MIT
/*
 * Unit tests of the qcow2 header codec against hand-written bytes (the
 * field layout of docs/interop/qcow2.txt), and of its validation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "qcow_err.h"
#include "qcow_format.h"

/* A version-3 header as qemu-img writes it for a 1 GiB, 64 KiB image. */
static const uint8_t v3_header[112] = {
	'Q', 'F', 'I', 0xfb, 0,	   0, 0, 3,   /* magic, version */
	0,   0,	  0,   0,    0,	   0, 0, 0,   /* backing file offset */
	0,   0,	  0,   0,    0,	   0, 0, 16,  /* backing size, cluster_bits */
	0,   0,	  0,   0,    0x40, 0, 0, 0,   /* size 1 GiB */
	0,   0,	  0,   0,    0,	   0, 0, 2,   /* crypt, l1_size 2 */
	0,   0,	  0,   0,    0,	   3, 0, 0,   /* l1 offset 0x30000 */
	0,   0,	  0,   0,    0,	   1, 0, 0,   /* reftable 0x10000 */
	0,   0,	  0,   1,    0,	   0, 0, 0,   /* reftable clusters, snaps */
	0,   0,	  0,   0,    0,	   0, 0, 0,   /* snapshots offset */
	0,   0,	  0,   0,    0,	   0, 0, 0,   /* incompatible */
	0,   0,	  0,   0,    0,	   0, 0, 0,   /* compatible */
	0,   0,	  0,   0,    0,	   0, 0, 0,   /* autoclear */
	0,   0,	  0,   4,    0,	   0, 0, 112, /* refcount order, hdr len */
	0,   0,	  0,   0,    0,	   0, 0, 0,   /* compression type, pad */
};

static struct qcow_hdr v3_struct(void)
{
	struct qcow_hdr h;

	memset(&h, 0, sizeof(h));
	h.version = 3;
	h.cluster_bits = 16;
	h.size = 1ULL << 30;
	h.l1_size = 2;
	h.l1_table_offset = 0x30000;
	h.refcount_table_offset = 0x10000;
	h.refcount_table_clusters = 1;
	h.refcount_order = 4;
	h.header_length = 112;
	return h;
}

static void test_encode_matches_bytes(void **state)
{
	struct qcow_hdr h = v3_struct();
	uint8_t buf[112];

	(void)state;
	assert_int_equal(qcow_hdr_encode(&h, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, v3_header, sizeof(buf));
}

static void test_decode_matches_struct(void **state)
{
	struct qcow_hdr want = v3_struct(), got;

	(void)state;
	assert_int_equal(qcow_hdr_decode(v3_header, sizeof(v3_header), &got),
			 0);
	assert_memory_equal(&got, &want, sizeof(got));
}

static void test_v2_round_trip(void **state)
{
	struct qcow_hdr h = v3_struct(), back;
	uint8_t buf[512];

	(void)state;
	h.version = 2;
	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(qcow_hdr_encode(&h, buf, sizeof(buf)), 0);
	assert_int_equal(buf[72], 0xaa); /* v2 ends at 72 bytes */
	assert_int_equal(qcow_hdr_decode(buf, sizeof(buf), &back), 0);
	assert_int_equal(back.version, 2);
	assert_int_equal(back.refcount_order, 4);
	assert_int_equal(back.header_length, 72);
	assert_int_equal(back.l1_table_offset, 0x30000);
}

static void expect_decode_error(size_t off, uint8_t value, errcode_t want)
{
	uint8_t buf[112];
	struct qcow_hdr h;

	memcpy(buf, v3_header, sizeof(buf));
	buf[off] = value;
	assert_int_equal(qcow_hdr_decode(buf, sizeof(buf), &h), want);
}

static void test_decode_rejects_bad_fields(void **state)
{
	struct qcow_hdr h;

	(void)state;
	expect_decode_error(0, 'X', QCOW_ERR_BAD_MAGIC);
	expect_decode_error(7, 1, QCOW_ERR_UNSUPPORTED_VERSION);
	expect_decode_error(7, 4, QCOW_ERR_UNSUPPORTED_VERSION);
	expect_decode_error(23, 8, QCOW_ERR_BAD_CLUSTER_BITS);
	expect_decode_error(23, 22, QCOW_ERR_BAD_CLUSTER_BITS);
	expect_decode_error(99, 7, QCOW_ERR_BAD_REFCOUNT_ORDER);
	expect_decode_error(103, 100, QCOW_ERR_BAD_HEADER_LENGTH);
	expect_decode_error(103, 108, QCOW_ERR_BAD_HEADER_LENGTH);
	assert_int_equal(qcow_hdr_decode(v3_header, 50, &h),
			 QCOW_ERR_TRUNCATED);
	assert_int_equal(qcow_hdr_decode(v3_header, 90, &h),
			 QCOW_ERR_TRUNCATED);
}

static void test_l1_entries(void **state)
{
	(void)state;
	/* 64 KiB clusters: one L2 table maps 8192 * 64 KiB = 512 MiB. */
	assert_int_equal(qcow_l1_entries_for(1ULL << 30, 16), 2);
	assert_int_equal(qcow_l1_entries_for((1ULL << 29) + 1, 16), 2);
	/* 512-byte clusters: 64 * 512 = 32 KiB per L2 table. */
	assert_int_equal(qcow_l1_entries_for(1, 9), 1);
	assert_int_equal(qcow_l1_entries_for(32768, 9), 1);
	assert_int_equal(qcow_l1_entries_for(32769, 9), 2);
}

static void test_ext_append(void **state)
{
	uint8_t buf[64], data[32] = { 7 };
	size_t pos = 0;

	(void)state;
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(
		qcow_ext_append(buf, sizeof(buf), &pos, 0x12345678, "abc", 3),
		0);
	assert_int_equal(pos, 16); /* 8 header + 3 data padded to 8 */
	assert_memory_equal(buf,
			    "\x12\x34\x56\x78\0\0\0\x03"
			    "abc\0\0\0\0\0",
			    16);
	/* 64 - 16 = 48 left: 8 header + 32 data + 8 end marker fits... */
	assert_int_equal(qcow_ext_append(buf, sizeof(buf), &pos, 1, data, 32),
			 0);
	/* ...and nothing more does. */
	assert_int_equal(qcow_ext_append(buf, sizeof(buf), &pos, 1, data, 1),
			 QCOW_ERR_EXT_TOO_BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_matches_bytes),
		cmocka_unit_test(test_decode_matches_struct),
		cmocka_unit_test(test_v2_round_trip),
		cmocka_unit_test(test_decode_rejects_bad_fields),
		cmocka_unit_test(test_l1_entries),
		cmocka_unit_test(test_ext_append),
	};

	initialize_e2qo_error_table();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
