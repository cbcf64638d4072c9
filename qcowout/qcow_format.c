// SPDX-License-Identifier: MIT
/*
 * qcow_format.c --- qcow2 header encode/decode.
 *
 * The only place that knows header byte offsets.  Version 2 headers are
 * 72 bytes; version 3 adds feature bits, the refcount width and the
 * header length (docs/interop/qcow2.txt, "Header").
 */
#include <string.h>

#include "qcow_endian.h"
#include "qcow_err.h"
#include "qcow_format.h"

_Static_assert(QCOW2_HDR_OFF_INCOMPAT == QCOW2_V2_HEADER_LEN,
	       "version 3 fields start where version 2 ends");
_Static_assert(QCOW2_HDR_OFF_COMPRESSION_TYPE == QCOW2_V3_MIN_HEADER_LEN,
	       "compression type follows the mandatory v3 header");

errcode_t qcow_hdr_encode(const struct qcow_hdr *hdr, uint8_t *buf, size_t cap)
{
	size_t len =
		hdr->version == 2 ? QCOW2_V2_HEADER_LEN : hdr->header_length;

	if (hdr->version != 2 && hdr->version != 3)
		return QCOW_ERR_UNSUPPORTED_VERSION;
	if (hdr->version == 3 && (len < QCOW2_V3_MIN_HEADER_LEN || len % 8))
		return QCOW_ERR_BAD_HEADER_LENGTH;
	if (cap < len)
		return QCOW_ERR_BAD_HEADER_LENGTH;
	memset(buf, 0, len);
	qcow_store_be32(buf + QCOW2_HDR_OFF_MAGIC, QCOW2_MAGIC);
	qcow_store_be32(buf + QCOW2_HDR_OFF_VERSION, hdr->version);
	qcow_store_be64(buf + QCOW2_HDR_OFF_BACKING_OFFSET,
			hdr->backing_file_offset);
	qcow_store_be32(buf + QCOW2_HDR_OFF_BACKING_SIZE,
			hdr->backing_file_size);
	qcow_store_be32(buf + QCOW2_HDR_OFF_CLUSTER_BITS, hdr->cluster_bits);
	qcow_store_be64(buf + QCOW2_HDR_OFF_SIZE, hdr->size);
	qcow_store_be32(buf + QCOW2_HDR_OFF_CRYPT_METHOD, hdr->crypt_method);
	qcow_store_be32(buf + QCOW2_HDR_OFF_L1_SIZE, hdr->l1_size);
	qcow_store_be64(buf + QCOW2_HDR_OFF_L1_OFFSET, hdr->l1_table_offset);
	qcow_store_be64(buf + QCOW2_HDR_OFF_REFTABLE_OFFSET,
			hdr->refcount_table_offset);
	qcow_store_be32(buf + QCOW2_HDR_OFF_REFTABLE_CLUSTERS,
			hdr->refcount_table_clusters);
	qcow_store_be32(buf + QCOW2_HDR_OFF_NB_SNAPSHOTS, hdr->nb_snapshots);
	qcow_store_be64(buf + QCOW2_HDR_OFF_SNAPSHOTS_OFFSET,
			hdr->snapshots_offset);
	if (hdr->version == 2)
		return 0;
	qcow_store_be64(buf + QCOW2_HDR_OFF_INCOMPAT,
			hdr->incompatible_features);
	qcow_store_be64(buf + QCOW2_HDR_OFF_COMPAT, hdr->compatible_features);
	qcow_store_be64(buf + QCOW2_HDR_OFF_AUTOCLEAR, hdr->autoclear_features);
	qcow_store_be32(buf + QCOW2_HDR_OFF_REFCOUNT_ORDER,
			hdr->refcount_order);
	qcow_store_be32(buf + QCOW2_HDR_OFF_HEADER_LENGTH, (uint32_t)len);
	if (len > QCOW2_HDR_OFF_COMPRESSION_TYPE)
		buf[QCOW2_HDR_OFF_COMPRESSION_TYPE] = hdr->compression_type;
	return 0;
}

static void decode_v2_part(const uint8_t *buf, struct qcow_hdr *hdr)
{
	hdr->version = qcow_load_be32(buf + QCOW2_HDR_OFF_VERSION);
	hdr->backing_file_offset =
		qcow_load_be64(buf + QCOW2_HDR_OFF_BACKING_OFFSET);
	hdr->backing_file_size =
		qcow_load_be32(buf + QCOW2_HDR_OFF_BACKING_SIZE);
	hdr->cluster_bits = qcow_load_be32(buf + QCOW2_HDR_OFF_CLUSTER_BITS);
	hdr->size = qcow_load_be64(buf + QCOW2_HDR_OFF_SIZE);
	hdr->crypt_method = qcow_load_be32(buf + QCOW2_HDR_OFF_CRYPT_METHOD);
	hdr->l1_size = qcow_load_be32(buf + QCOW2_HDR_OFF_L1_SIZE);
	hdr->l1_table_offset = qcow_load_be64(buf + QCOW2_HDR_OFF_L1_OFFSET);
	hdr->refcount_table_offset =
		qcow_load_be64(buf + QCOW2_HDR_OFF_REFTABLE_OFFSET);
	hdr->refcount_table_clusters =
		qcow_load_be32(buf + QCOW2_HDR_OFF_REFTABLE_CLUSTERS);
	hdr->nb_snapshots = qcow_load_be32(buf + QCOW2_HDR_OFF_NB_SNAPSHOTS);
	hdr->snapshots_offset =
		qcow_load_be64(buf + QCOW2_HDR_OFF_SNAPSHOTS_OFFSET);
}

bool qcow_is_magic(const uint8_t *head)
{
	return qcow_load_be32(head) == QCOW2_MAGIC;
}

errcode_t qcow_hdr_decode(const uint8_t *buf, size_t len, struct qcow_hdr *hdr)
{
	memset(hdr, 0, sizeof(*hdr));
	if (len < QCOW2_V2_HEADER_LEN)
		return QCOW_ERR_TRUNCATED;
	if (qcow_load_be32(buf + QCOW2_HDR_OFF_MAGIC) != QCOW2_MAGIC)
		return QCOW_ERR_BAD_MAGIC;
	decode_v2_part(buf, hdr);
	if (hdr->version != 2 && hdr->version != 3)
		return QCOW_ERR_UNSUPPORTED_VERSION;
	if (hdr->cluster_bits < QCOW2_MIN_CLUSTER_BITS ||
	    hdr->cluster_bits > QCOW2_MAX_CLUSTER_BITS)
		return QCOW_ERR_BAD_CLUSTER_BITS;
	if (hdr->version == 2) {
		hdr->refcount_order = 4;
		hdr->header_length = QCOW2_V2_HEADER_LEN;
		return 0;
	}
	if (len < QCOW2_V3_MIN_HEADER_LEN)
		return QCOW_ERR_TRUNCATED;
	hdr->incompatible_features =
		qcow_load_be64(buf + QCOW2_HDR_OFF_INCOMPAT);
	hdr->compatible_features = qcow_load_be64(buf + QCOW2_HDR_OFF_COMPAT);
	hdr->autoclear_features = qcow_load_be64(buf + QCOW2_HDR_OFF_AUTOCLEAR);
	hdr->refcount_order =
		qcow_load_be32(buf + QCOW2_HDR_OFF_REFCOUNT_ORDER);
	hdr->header_length = qcow_load_be32(buf + QCOW2_HDR_OFF_HEADER_LENGTH);
	if (hdr->header_length < QCOW2_V3_MIN_HEADER_LEN ||
	    hdr->header_length % 8 ||
	    hdr->header_length > (1U << hdr->cluster_bits))
		return QCOW_ERR_BAD_HEADER_LENGTH;
	if (hdr->refcount_order > 6)
		return QCOW_ERR_BAD_REFCOUNT_ORDER;
	if (hdr->header_length > QCOW2_HDR_OFF_COMPRESSION_TYPE) {
		if (len <= QCOW2_HDR_OFF_COMPRESSION_TYPE)
			return QCOW_ERR_TRUNCATED;
		hdr->compression_type = buf[QCOW2_HDR_OFF_COMPRESSION_TYPE];
	}
	return 0;
}

uint64_t qcow_l1_entries_for(uint64_t size, unsigned cluster_bits)
{
	/* One L1 entry maps one L2 table: l2_entries clusters. */
	unsigned shift = cluster_bits + (cluster_bits - 3);
	uint64_t span = 1ULL << shift;

	return size / span + (size % span != 0);
}

errcode_t qcow_ext_append(uint8_t *buf, size_t cap, size_t *pos, uint32_t type,
			  const void *data, uint32_t len)
{
	size_t padded = ((size_t)len + 7) & ~(size_t)7;
	size_t at = *pos;

	/* 8 bytes of extension header, the padded data, 8 for the end. */
	if (at > cap || cap - at < 16 || cap - at - 16 < padded)
		return QCOW_ERR_EXT_TOO_BIG;
	qcow_store_be32(buf + at, type);
	qcow_store_be32(buf + at + 4, len);
	memset(buf + at + 8, 0, padded);
	if (len)
		memcpy(buf + at + 8, data, len);
	*pos = at + 8 + padded;
	return 0;
}
