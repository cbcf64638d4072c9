/* SPDX-License-Identifier: MIT */
/*
 * qcow_writer.h --- streaming qcow2 writer with sequential allocation.
 *
 * The caller hands over guest data in increasing guest order.  Clusters
 * that are entirely zero are not stored (they read as zero: the image has
 * no backing file).  Host clusters are allocated strictly one after the
 * other, so the file is laid out as
 *
 *   header | (quiet head) | L1 table | data of L2 range 0 | its L2 table
 *          | data of range 1 | ... | refcount table | refcount blocks
 *
 * The L1 table comes before everything it points at, so a reader of the
 * image as a stream (a pipe) knows which clusters are tables when they
 * pass, and holds at most one range's data until its L2 table comes.
 *
 * and every host cluster has a refcount of exactly one, except with
 * compression: compressed clusters are packed byte by byte one after the
 * other, and a host cluster holding pieces of several has a refcount of
 * how many; and with dedup, where a cluster equal to one stored earlier
 * points back at it.  On a seekable
 * output the header is written last, so an interrupted run never leaves
 * a file that looks like valid qcow2.  A stream (pipe) cannot seek back:
 * there the layout must be known first, from a dry run of the same data
 * through a null backend (see qcow_writer_stats).
 */
#ifndef QCOW_WRITER_H
#define QCOW_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <et/com_err.h>

#include "qcow_digest.h"
#include "qcow_io.h"

struct qcow_writer;
struct qcow_reader;

/* A header extension to store in the header cluster. */
struct qcow_writer_ext {
	uint32_t type;
	const void *data;
	uint32_t len;
};

/* What a run produced; a dry run's figures are the plan of a stream run. */
struct qcow_writer_stats {
	uint64_t data_clusters;	  /* stored guest clusters */
	uint64_t zero_clusters;	  /* written but all-zero, not stored */
	uint64_t same_clusters;	  /* with a base: as the base has them */
	uint64_t zeroed_clusters; /* with a base: zero clusters over its data */
	uint64_t l2_tables;
	uint64_t l2_shared; /* L1 entries using a table another one stored */
	uint64_t compressed_clusters; /* of data_clusters */
	uint64_t dedup_clusters;      /* of data_clusters: sharing another's */
	uint64_t host_clusters;	      /* before the L1 table, after finish */
	uint64_t file_size;	      /* after finish */
};

struct qcow_writer_opts {
	unsigned cluster_bits; /* 9 (512 B) .. 21 (2 MiB) */
	unsigned version;      /* 2 or 3 */
	uint64_t virtual_size;
	/*
	 * Store each cluster compressed where that makes it smaller; type
	 * QCOW_COMPRESS_ZSTD needs version 3.  Level 0: the type's default.
	 */
	bool compress;
	unsigned compress_type;
	int compress_level;
	/* Do not wait for stable storage before and after the header. */
	bool no_sync;
	/*
	 * Expected file size, if known: a seekable output is sized to it
	 * first (writes inside the file are cheaper than appends) and cut
	 * to the real size at finish.
	 */
	uint64_t size_hint;
	/*
	 * Required when the io backend is sequential: the stats of a dry
	 * run over the same data.  Ignored otherwise.
	 */
	const struct qcow_writer_stats *plan;
	/* ... and that dry run's L1 table (qcow_writer_l1()). */
	const uint8_t *plan_l1;
	const struct qcow_writer_ext *exts;
	size_t n_exts;
	/* Record a digest of every stored cluster (see qcow_digest.h), by
	 * algorithm digest_alg (0: QCOW_DIGEST_XXH3_128_USED; an overlay
	 * takes its base chain's). */
	bool digests;
	unsigned digest_alg;
	/*
	 * Store identical clusters once (compared byte for byte, compressed
	 * ones by their compressed bytes), shared with a refcount of their
	 * references.  Not on a
	 * sequential io (QCOW_ERR_BAD_OPTION): a stream cannot go back to
	 * the first one's L2 entry.
	 */
	bool dedup;
	/*
	 * An overlay: @base (the caller's, open with its chain) is what the
	 * image's backing file @backing_file (format qcow2) reads as.  Then
	 * only clusters that differ from it are stored; a cluster written as
	 * zeros, or never written, where the base holds data becomes a zero
	 * cluster, so the image reads exactly as written.  Version 3 only.
	 */
	struct qcow_reader *base;
	const char *backing_file;
	/*
	 * The base chain's digests at this cluster size, if it has them
	 * (qcow_reader_chain_digests): clusters are then compared by digest
	 * and the base is never read but for its maps.
	 */
	const struct qcow_digest_entry *base_digests;
	uint64_t n_base_digests;
};

/*
 * qcow_writer_create() - start an image on @io (which stays the
 * caller's).  Fails with QCOW_ERR_BAD_OPTION, QCOW_ERR_BAD_CLUSTER_BITS,
 * QCOW_ERR_TOO_BIG (L1 over QEMU's 32 MiB: use larger clusters),
 * QCOW_ERR_EXT_TOO_BIG or an I/O error (a stream gets its header now).
 */
errcode_t qcow_writer_create(struct qcow_io *io,
			     const struct qcow_writer_opts *opts,
			     struct qcow_writer **out);

/*
 * qcow_writer_pwrite() - add @len bytes of guest data at @guest_off.
 * Offsets must not go backwards (QCOW_ERR_OUT_OF_ORDER_WRITE) and must
 * stay inside the virtual size (QCOW_ERR_WRITE_PAST_END).  Unaligned
 * pieces are gathered into their cluster, which is stored once the
 * writes move past it; the rest of such a cluster reads as zero.
 * Errors are sticky: after one, every call fails.
 */
errcode_t qcow_writer_pwrite(struct qcow_writer *w, uint64_t guest_off,
			     const void *buf, size_t len);

/* What the caller of qcow_writer_put_clusters() knows of a cluster. */
struct qcow_cluster_sum {
	uint8_t digest[QCOW_DIGEST_LEN]; /* qcow_digest() of its bytes;
					    not read when used is 0 */
	uint32_t used;			 /* qcow_buf_used() of them */
};

/*
 * qcow_writer_put_clusters() - add @n whole clusters at the cluster-
 * aligned @guest_off, prepared by the caller (possibly on other
 * threads): cluster i is @raw + i * cluster size.  With @zlen, clusters
 * compressed by qcow_compress_cluster() (the writer's type and level):
 * if @zlen[i] is not 0 the compressed form is @zdata + i * cluster size,
 * else it is stored as it is (or not at all when zero).  With @sums,
 * each cluster's used bytes and (unless zero) digest, so the writer need
 * not scan them.  Same ordering rules as
 * qcow_writer_pwrite().
 */
errcode_t qcow_writer_put_clusters(struct qcow_writer *w, uint64_t guest_off,
				   size_t n, const uint8_t *raw,
				   const uint8_t *zdata, const uint32_t *zlen,
				   const struct qcow_cluster_sum *sums);

/* Does the writer hash what it stores (digests kept, or dedup)? */
bool qcow_writer_wants_digests(const struct qcow_writer *w);
/* ... by which algorithm (put_clusters' sums: qcow_digest_cluster()). */
unsigned qcow_writer_digest_alg(const struct qcow_writer *w);

/*
 * qcow_writer_finish() - write L2/L1/refcount structures, then (seekable
 * outputs) the header, syncing before and after it.  A stream run whose
 * data did not match its plan fails with QCOW_ERR_PLAN_MISMATCH.
 */
errcode_t qcow_writer_finish(struct qcow_writer *w);

/* The L1 table as built so far, encoded (*@len bytes, whole clusters):
 * after a dry run's finish, the plan_l1 of the stream run. */
const uint8_t *qcow_writer_l1(const struct qcow_writer *w, size_t *len);

/* Figures so far (final after finish). */
void qcow_writer_stats(const struct qcow_writer *w,
		       struct qcow_writer_stats *out);

/* NULL-safe; never writes anything. */
void qcow_writer_free(struct qcow_writer *w);

/*
 * Resumable runs (seekable, not an overlay).  qcow_writer_checkpoint()
 * stages everything written so far into the file, syncs it (unless
 * no_sync), and returns a record of the writer's state since the
 * previous checkpoint (malloc'd, the caller's to keep durably in order
 * and free).  qcow_writer_resume() starts a writer on the partial file
 * of an interrupted run from every record it returned, in order: it
 * checks them against the file (tables in bounds, the digests of the
 * last records' uncompressed clusters), rebuilds the reference counts
 * and the dedup table from the tables in the file, and carries on at
 * qcow_writer_guest_pos().  A record that does not fit the file or the
 * options fails with QCOW_ERR_RESUME_MISMATCH.
 */
errcode_t qcow_writer_checkpoint(struct qcow_writer *w, uint8_t **rec,
				 size_t *len);
struct qcow_writer_record {
	const uint8_t *data;
	size_t len;
};
errcode_t qcow_writer_resume(struct qcow_io *io,
			     const struct qcow_writer_opts *opts,
			     const struct qcow_writer_record *recs, size_t n,
			     struct qcow_writer **out);
/* Where the next write may start (guest bytes handed over so far). */
uint64_t qcow_writer_guest_pos(const struct qcow_writer *w);

/* Smallest cluster_bits >= @min_bits whose L1 table for @size fits QEMU. */
unsigned qcow_writer_min_cluster_bits(uint64_t size, unsigned min_bits);

#endif
