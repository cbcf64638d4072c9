/* SPDX-License-Identifier: MIT */
/*
 * qcow_format.h --- the qcow2 on-disk layout: constants, header codec.
 *
 * Everything here follows QEMU's docs/interop/qcow2.txt.  The header is
 * decoded into a host-order struct and encoded back explicitly, field by
 * field; no struct is ever overlaid on file bytes.
 */
#ifndef QCOW_FORMAT_H
#define QCOW_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <et/com_err.h>

#define QCOW2_MAGIC 0x514649fbU /* "QFI\xfb" */

/* Header byte offsets (version 2 ends at 72, version 3 adds the rest). */
enum {
	QCOW2_HDR_OFF_MAGIC = 0,
	QCOW2_HDR_OFF_VERSION = 4,
	QCOW2_HDR_OFF_BACKING_OFFSET = 8,
	QCOW2_HDR_OFF_BACKING_SIZE = 16,
	QCOW2_HDR_OFF_CLUSTER_BITS = 20,
	QCOW2_HDR_OFF_SIZE = 24,
	QCOW2_HDR_OFF_CRYPT_METHOD = 32,
	QCOW2_HDR_OFF_L1_SIZE = 36,
	QCOW2_HDR_OFF_L1_OFFSET = 40,
	QCOW2_HDR_OFF_REFTABLE_OFFSET = 48,
	QCOW2_HDR_OFF_REFTABLE_CLUSTERS = 56,
	QCOW2_HDR_OFF_NB_SNAPSHOTS = 60,
	QCOW2_HDR_OFF_SNAPSHOTS_OFFSET = 64,
	QCOW2_HDR_OFF_INCOMPAT = 72,
	QCOW2_HDR_OFF_COMPAT = 80,
	QCOW2_HDR_OFF_AUTOCLEAR = 88,
	QCOW2_HDR_OFF_REFCOUNT_ORDER = 96,
	QCOW2_HDR_OFF_HEADER_LENGTH = 100,
	QCOW2_HDR_OFF_COMPRESSION_TYPE = 104,
};

#define QCOW2_V2_HEADER_LEN 72U
#define QCOW2_V3_MIN_HEADER_LEN 104U
/* What QEMU writes: the compression type byte padded to 8 bytes. */
#define QCOW2_V3_HEADER_LEN 112U

#define QCOW2_MIN_CLUSTER_BITS 9U
#define QCOW2_MAX_CLUSTER_BITS 21U
/* QEMU refuses to open images whose L1 table exceeds 32 MiB. */
#define QCOW2_MAX_L1_BYTES (32ULL << 20)
/* Host offsets are 56-bit in L1/L2/refcount entries. */
#define QCOW2_MAX_HOST_OFFSET (1ULL << 56)

/* Entry masks (spec, "Cluster mapping" and "Host cluster management"). */
#define QCOW2_OFLAG_COPIED (1ULL << 63)
#define QCOW2_OFLAG_COMPRESSED (1ULL << 62)
#define QCOW2_OFLAG_ZERO 1ULL
#define QCOW2_L1E_OFFSET_MASK 0x00fffffffffffe00ULL
#define QCOW2_L2E_OFFSET_MASK 0x00fffffffffffe00ULL
#define QCOW2_REFT_OFFSET_MASK 0xfffffffffffffe00ULL

/*
 * A compressed cluster's L2 entry: below bit 62 - (cluster_bits - 8) the
 * host byte offset of its data, above it how many 512-byte sectors past
 * the first one the data reaches into.
 */
static inline unsigned qcow_compressed_shift(unsigned cluster_bits)
{
	return 62 - (cluster_bits - 8);
}

/* Can a compressed cluster start at host byte @host? */
static inline bool qcow_compressed_fits(unsigned cluster_bits, uint64_t host)
{
	return !(host >> qcow_compressed_shift(cluster_bits));
}

/* The entry for @len compressed bytes at host byte @host (which fits). */
static inline uint64_t qcow_compressed_entry(unsigned cluster_bits,
					     uint64_t host, uint64_t len)
{
	uint64_t more = ((host + len - 1) >> 9) - (host >> 9);

	return QCOW2_OFLAG_COMPRESSED |
	       more << qcow_compressed_shift(cluster_bits) | host;
}

/* Host byte offset and number of 512-byte sectors (at least 1) of the
 * compressed cluster @e describes. */
static inline void qcow_compressed_decode(unsigned cluster_bits, uint64_t e,
					  uint64_t *host, uint64_t *sectors)
{
	unsigned x = qcow_compressed_shift(cluster_bits);

	*host = e & ((1ULL << x) - 1);
	*sectors = ((e >> x) & ((1ULL << (62 - x)) - 1)) + 1;
}

/* Incompatible feature bits. */
#define QCOW2_INCOMPAT_DIRTY (1ULL << 0)
#define QCOW2_INCOMPAT_CORRUPT (1ULL << 1)
#define QCOW2_INCOMPAT_DATA_FILE (1ULL << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ULL << 3)
#define QCOW2_INCOMPAT_EXTL2 (1ULL << 4)

/* Autoclear: the external data file is a valid raw image by itself. */
#define QCOW2_AUTOCLEAR_DATA_FILE_RAW (1ULL << 1)

/* Header extension types. */
#define QCOW2_EXT_END 0U
#define QCOW2_EXT_BACKING_FORMAT 0xe2792acaU
#define QCOW2_EXT_FEATURE_TABLE 0x6803f857U
#define QCOW2_EXT_DATA_FILE 0x44415441U
/*
 * e2qcow's own extension: what was captured.  QEMU skips extension types
 * it does not know and keeps the image valid.
 */
#define QCOW2_EXT_E2QCOW_CAPTURE 0x65327163U /* "e2qc" */
/* Where e2qcow's digest table is: see qcow_digest.h.  The autoclear bit
 * says the table still describes the data: a program that writes to the
 * image without knowing the bit clears it (qcow2's rule for autoclear
 * bits), and the digests are then not trusted. */
#define QCOW2_AUTOCLEAR_E2QCOW_DIGESTS (1ULL << 62)
#define QCOW2_EXT_E2QCOW_DIGESTS 0x65326467U /* "e2dg" */
/*
 * How e2qcow laid the image out, for readers of a stream: u64 flags
 * (QCOW2_E2QCOW_L1_FIRST: the L1 table comes before the data, each L2
 * table right after the data it maps) and u64 the number of references
 * to host clusters that another guest cluster stored first (dedup: 0
 * means every stored cluster is read once).
 */
#define QCOW2_EXT_E2QCOW_LAYOUT 0x65326c79U /* "e2ly" */
#define QCOW2_E2QCOW_LAYOUT_LEN 16U
#define QCOW2_E2QCOW_L1_FIRST (1ULL << 0)

/* The header, in host order. */
struct qcow_hdr {
	uint32_t version;
	uint64_t backing_file_offset;
	uint32_t backing_file_size;
	uint32_t cluster_bits;
	uint64_t size;
	uint32_t crypt_method;
	uint32_t l1_size;
	uint64_t l1_table_offset;
	uint64_t refcount_table_offset;
	uint32_t refcount_table_clusters;
	uint32_t nb_snapshots;
	uint64_t snapshots_offset;
	uint64_t incompatible_features;
	uint64_t compatible_features;
	uint64_t autoclear_features;
	uint32_t refcount_order;
	uint32_t header_length;
	uint8_t compression_type;
};

/*
 * qcow_hdr_encode() - write @hdr into @buf (at least header_length bytes,
 * 72 for version 2).  Returns QCOW_ERR_BAD_HEADER_LENGTH if @cap is too
 * small or the header length is inconsistent with the version.
 */
errcode_t qcow_hdr_encode(const struct qcow_hdr *hdr, uint8_t *buf, size_t cap);

/* Do the first 4 bytes of a file, @head, say qcow2? */
bool qcow_is_magic(const uint8_t *head);

/*
 * qcow_hdr_decode() - parse and validate the fixed header in @buf (@len
 * bytes, normally the first cluster).  Checks magic, version, cluster
 * size, header length and refcount width; fills defaults for version 2.
 */
errcode_t qcow_hdr_decode(const uint8_t *buf, size_t len, struct qcow_hdr *hdr);

/* Entries of one L2 table, or of one refcount block at 16-bit width. */
static inline uint64_t qcow_l2_entries(unsigned cluster_bits)
{
	return (1ULL << cluster_bits) / 8;
}

/* L1 entries needed so that every guest byte of @size is addressable. */
uint64_t qcow_l1_entries_for(uint64_t size, unsigned cluster_bits);

/*
 * qcow_ext_append() - append a header extension {type, len, data, pad to
 * 8} at @buf + *@pos, never past @cap.  QCOW_ERR_EXT_TOO_BIG when it does
 * not fit (room for the end marker is kept).
 */
errcode_t qcow_ext_append(uint8_t *buf, size_t cap, size_t *pos, uint32_t type,
			  const void *data, uint32_t len);

#endif
