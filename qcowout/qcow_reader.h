/* SPDX-License-Identifier: MIT */
/*
 * qcow_reader.h --- read any qcow2 image QEMU can produce.
 *
 * Versions 2 and 3, cluster sizes 512 B to 2 MiB, refcount widths 1 to
 * 64 bits, standard and extended L2 entries, zero clusters, compressed
 * clusters (zlib and zstd), internal snapshots (the active layer is what
 * is read), dirty images, backing chains (qcow2 or raw) and external data
 * files.  Encrypted images, unknown incompatible features and images
 * marked corrupt are refused.  Every value read from the file is checked
 * against QEMU's own limits before use, so a hostile image gets an error
 * code, never a crash, a hang or a huge allocation.  The reader is
 * independent of the writer.
 */
#ifndef QCOW_READER_H
#define QCOW_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <et/com_err.h>

#include "qcow_format.h"
#include "qcow_io.h"

struct qcow_reader;

#define QCOW_READER_MAX_CHAIN 64

struct qcow_reader_opts {
	bool allow_corrupt; /* read images QEMU marked corrupt */
	bool no_backing;    /* do not open the backing chain */
};

/* Where an open failed: which file of the chain, and any detail. */
struct qcow_open_error {
	char file[1024];
	char detail[256];
};

/*
 * qcow_reader_open() - open @path (qcow2; as a backing file also raw)
 * with its backing chain and data file.  On failure @e (may be NULL)
 * says which file of the chain failed and why in more words.
 */
errcode_t qcow_reader_open(const char *path,
			   const struct qcow_reader_opts *opts,
			   struct qcow_reader **out, struct qcow_open_error *e);
/* Open an image held by @io (no backing chain or data file); @io stays
 * the caller's.  For fuzzers and tests. */
errcode_t qcow_reader_open_io(struct qcow_io *io,
			      const struct qcow_reader_opts *opts,
			      struct qcow_reader **out);
void qcow_reader_close(struct qcow_reader *r); /* NULL-safe */

/* Guest size in bytes. */
uint64_t qcow_reader_size(const struct qcow_reader *r);

/*
 * qcow_reader_pread() - read guest bytes [@off, @off + @len).  Unmapped
 * ranges read from the backing chain or as zeros.
 */
errcode_t qcow_reader_pread(struct qcow_reader *r, void *buf, size_t len,
			    uint64_t off);

/*
 * qcow_reader_zero_run() - how many bytes from @off (at most @max) are
 * known to read as zeros without reading data: zero clusters and
 * unallocated ranges with nothing beneath.  0 when @off holds (or may
 * hold) data; then *@data_len (may be NULL) says how far that goes.
 */
errcode_t qcow_reader_zero_run(struct qcow_reader *r, uint64_t off,
			       uint64_t max, uint64_t *zero_len,
			       uint64_t *data_len);

/*
 * qcow_reader_locate() - where the guest bytes at @off are stored in this
 * image's file (its active layer, not its backing chain): @host is the
 * byte offset of a normal cluster's data (at @off), or a compressed
 * cluster's L2 entry; @len how many guest bytes from @off share that
 * mapping (never past the cluster).  Tells a cluster met again (shared)
 * from one met for the first time, for readers of a stream.
 */
enum qcow_location_kind {
	QCOW_LOC_NONE, /* zero, unallocated, or elsewhere */
	QCOW_LOC_DATA,
	QCOW_LOC_COMPRESSED,
};
struct qcow_location {
	enum qcow_location_kind kind;
	uint64_t host;
	uint64_t len;
};
errcode_t qcow_reader_locate(struct qcow_reader *r, uint64_t off,
			     struct qcow_location *loc);

/* What a qcow2 image holds, for "e2qcow info". */
struct qcow_snapshot_info {
	char id[128];
	char name[256];
	uint64_t vm_state_size;
	uint64_t disk_size;
	uint32_t date_sec;
	uint64_t l1_offset;
	uint32_t l1_size;
};

struct qcow_reader_info {
	struct qcow_hdr hdr;
	uint64_t file_size;
	bool raw; /* a raw backing file, not qcow2 */
	const char *path;
	const char *backing_file;   /* as stored; NULL if none */
	const char *backing_format; /* NULL if not stored */
	const char *data_file;	    /* NULL if none */
	const char *capture_text;   /* e2qcow's extension, NUL-terminated */
	bool has_digests;	    /* e2qcow's digest table (qcow_digest.h) */
	bool has_layout;	    /* e2qcow's layout extension: */
	bool l1_first;		    /* ... L1 before data, L2 after it */
	uint64_t shared_clusters;   /* ... references to shared clusters */
	bool digests_stale;	    /* ... but another program wrote since */
	uint64_t digest_count;
	unsigned digest_alg; /* QCOW_DIGEST_XXH3_128 or _USED */
	uint32_t nb_snapshots;
	const struct qcow_snapshot_info *snapshots;
	struct qcow_reader *backing; /* next in the chain, or NULL */
};

void qcow_reader_get_info(const struct qcow_reader *r,
			  struct qcow_reader_info *info);

/* Counts of the active L1's guest clusters, by kind. */
struct qcow_cluster_counts {
	uint64_t allocated; /* normal clusters with data */
	uint64_t zero;	    /* zero flag (with or without space) */
	uint64_t compressed;
	uint64_t unallocated;
};

errcode_t qcow_reader_count_clusters(struct qcow_reader *r,
				     struct qcow_cluster_counts *c);

/*
 * qcow_reader_digests() - this image's digest table (not its backing
 * file's): entries in increasing cluster order, in *@out (free() it).
 * QCOW_ERR_NO_DIGESTS when it has none; QCOW_ERR_BAD_DIGESTS when the
 * table runs off the file, is out of order or fails its own digest.
 */
struct qcow_digest_entry;
errcode_t qcow_reader_digests(struct qcow_reader *r,
			      struct qcow_digest_entry **out, uint64_t *n);

/*
 * qcow_reader_chain_digests() - what each guest cluster of the whole
 * chain reads as, by digest: the entry of the topmost image that has
 * one (a cluster no image has reads as zeros).  Only where every image
 * of the chain carries digests (of zero clusters too, as e2qcow's
 * overlays do) at @cluster_bits, all by one algorithm (*@alg); else
 * QCOW_ERR_NO_DIGESTS.
 */
errcode_t qcow_reader_chain_digests(struct qcow_reader *r,
				    unsigned cluster_bits,
				    struct qcow_digest_entry **out, uint64_t *n,
				    unsigned *alg);

#endif
