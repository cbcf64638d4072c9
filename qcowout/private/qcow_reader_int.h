/* SPDX-License-Identifier: MIT */
/*
 * qcow_reader_int.h --- the reader's private state, shared by its files:
 * qcow_reader.c (open, header, extensions, chain), qcow_reader_snap.c,
 * qcow_reader_map.c (cluster mapping and reads) and
 * qcow_reader_decompress.c.
 */
#ifndef QCOW_READER_INT_H
#define QCOW_READER_INT_H

#include "qcow_reader.h"

/* QEMU's limits at open (block/qcow2.h). */
#define QCOW_MAX_REFTABLE_BYTES (8ULL << 20)
#define QCOW_MAX_SNAPSHOTS 65536U
#define QCOW_MAX_SNAPSHOTS_BYTES (64ULL << 20)
#define QCOW_MAX_SNAPSHOT_EXTRA 1024U
#define QCOW_MAX_BACKING_NAME 1023U
#define QCOW_KNOWN_INCOMPAT 0x1fULL

/* Reserved bits of L1 and standard L2 entries (spec, "Cluster mapping"). */
#define QCOW_L1E_RESERVED 0x7f000000000001feULL
#define QCOW_L2E_STD_RESERVED 0x3f000000000001feULL

enum qcow_ctype {
	QCOW_C_UNALLOCATED, /* read the backing file, or zeros */
	QCOW_C_ZERO,
	QCOW_C_NORMAL,	   /* host_off in the data file */
	QCOW_C_COMPRESSED, /* host_off, comp_len in the image file */
};

/* One guest cluster (or subcluster, with extended L2) resolved. */
struct qcow_map {
	enum qcow_ctype type;
	uint64_t host_off;
	uint64_t comp_len;
	uint64_t len; /* bytes from the guest offset with this mapping */
};

struct l2_slot {
	uint64_t off; /* 0: empty */
	uint8_t *buf;
};

struct qcow_reader {
	struct qcow_io *io;
	bool own_io;
	char *path;
	bool raw; /* a raw backing file */
	uint64_t file_size;
	uint64_t size; /* guest */
	struct qcow_hdr hdr;
	unsigned cluster_bits;
	uint64_t cluster_size;
	bool extl2;
	unsigned l2_entry_bytes; /* 8, or 16 with extended L2 */
	uint64_t l2_entries;
	uint64_t subcluster_size;
	uint8_t *l1; /* big-endian, as on disk */

	struct l2_slot *l2_cache;
	unsigned l2_slots;

	char *backing_name, *backing_fmt, *data_name, *capture_text;
	bool has_digests, digests_stale;
	bool has_layout;
	uint64_t layout_flags, layout_shared;
	uint64_t digest_offset, digest_count;
	unsigned digest_alg;
	struct qcow_reader *backing;
	struct qcow_io *data_io; /* external data file, else NULL */
	bool own_data_io;
	bool data_raw;

	/* Decompression: the last cluster decompressed, by host offset. */
	uint8_t *comp_in, *comp_out;
	uint64_t comp_cached_off; /* UINT64_MAX: none */
	void *zstd_ctx;

	uint32_t nb_snapshots;
	struct qcow_snapshot_info *snapshots;
	uint64_t snapshots_len;	   /* bytes of the snapshot table */
	char feature_names[4][64]; /* first unknown incompat names */
};

errcode_t qcow_reader_read_snapshots(struct qcow_reader *r);
/* Resolve guest offset @off; map->len never crosses a cluster. */
errcode_t qcow_reader_map(struct qcow_reader *r, uint64_t off,
			  struct qcow_map *map);
errcode_t qcow_reader_decompress(struct qcow_reader *r, uint64_t host_off,
				 uint64_t comp_len, const uint8_t **cluster);
void qcow_reader_free_decompress(struct qcow_reader *r);
/* Load an L2 table (cached), checking where it is. */
errcode_t qcow_reader_l2(struct qcow_reader *r, uint64_t off,
			 const uint8_t **table);

#endif
