/* SPDX-License-Identifier: MIT */
/*
 * qcow_writer_int.h --- state shared by the writer's data path
 * (qcow_writer.c) and its table/header code (qcow_writer_meta.c).
 */
#ifndef QCOW_WRITER_INT_H
#define QCOW_WRITER_INT_H

#include <stdbool.h>

#include "qcow_digest.h"
#include "qcow_digest_table.h"
#include "qcow_writer.h"

#define QCOW_WRITER_NO_L2 UINT64_MAX
#define QCOW_WRITER_L2Q 8
/*
 * Where data clusters may start: programs that look for a filesystem
 * signature at a fixed offset of a file (blkid, e2image -r, file: ext2
 * at 1 KiB, iso9660 and udf at 32 KiB, btrfs and reiserfs at 64 KiB)
 * find the header and zeros there, never a guest block.  The clusters
 * skipped are free (refcount 0) and, in a file, a hole.
 */
#define QCOW_WRITER_QUIET_HEAD (128U << 10)

/* Digest -> host cluster of the clusters stored so far (opts.dedup). */
struct qcow_dedup {
	struct qcow_digest_table tab; /* of struct qcow_dedup_slot */
	uint8_t *buf; /* a compressed cluster read back, to compare */
	/* Host clusters read back to compare, by host cluster modulo
	 * n_cached: a few popular ones (a block bitmap alike in every
	 * flex group) are matched hundreds of thousands of times. */
	uint8_t *cached;
	uint64_t *cached_host; /* 0: empty */
	size_t *cached_len;    /* bytes of it read */
	unsigned n_cached;
};

/* Identical L2 tables stored once (qcow_writer_l2share.c). */
struct qcow_l2share {
	struct qcow_digest_table tab; /* of struct qcow_l2share_slot */
	uint8_t *arena; /* the remembered tables' non-zero spans */
	size_t arena_len, arena_cap;
	/* L1 indices of the tables remembered since the last checkpoint,
	 * in order: a resumed writer remembers them again. */
	uint64_t *learned;
	size_t n_learned, learned_cap;
};

struct qcow_writer {
	struct qcow_io *io;
	unsigned cluster_bits;
	unsigned version;
	uint64_t cluster_size;
	uint64_t virtual_size;
	errcode_t err; /* sticky */
	bool finished;

	/* Output staging: everything before finish is an append. */
	uint8_t *obuf;
	size_t obuf_cap, obuf_len;
	uint64_t obuf_off;	/* host offset of obuf[0] */
	uint64_t next_host_off; /* next free byte: a cluster boundary
				 * except after compressed data */

	/* The L1 table, encoded, padded to whole clusters; in the file it
	 * comes first, at cluster l1_start (see qcow_writer.h). */
	uint8_t *l1;
	uint64_t l1_entries, l1_clusters, l1_start;

	/* The L2 table being filled, and the bytes of it that may not be
	 * zero (l2_lo >= l2_hi: none). */
	uint8_t *l2;
	uint64_t cur_l1_index;
	bool l2_used;
	size_t l2_lo, l2_hi;

	/*
	 * With compression, finished L2 tables wait here until the packed
	 * compressed bytes reach a cluster boundary (or nearly), instead of
	 * padding the rest of a cluster away before each one.
	 */
	uint64_t first_data; /* cluster number where data starts */
	uint8_t *l2q;	     /* QCOW_WRITER_L2Q clusters */
	uint64_t l2q_index[QCOW_WRITER_L2Q];
	unsigned l2q_n;

	/* A cluster assembled from unaligned pieces. */
	uint8_t *pbuf;
	uint64_t pbuf_cluster;
	bool pbuf_valid;

	/* Data clusters waiting to be appended in one write. */
	const uint8_t *run_buf;
	uint64_t run_clusters;

	uint64_t guest_pos; /* writes may not go below this */

	/*
	 * Compression: the writer's own compressor (for clusters handed over
	 * uncompressed), and per host cluster the number of compressed
	 * clusters with bytes in it (0 there means the usual refcount 1).
	 */
	struct qcow_compressor *comp;
	uint8_t *zbuf;
	uint16_t *zrefs;
	uint64_t zrefs_cap;
	unsigned compress_type;

	bool dedup_on;
	struct qcow_dedup dedup;
	struct qcow_l2share l2share;

	/* Digests of the stored clusters, in guest order (opts.digests). */
	bool digests;
	unsigned digest_alg;
	struct qcow_digest_entry *dg;
	uint64_t dg_n, dg_cap;
	size_t dg_ext_pos; /* its extension's body in hdr_cluster */
	size_t ly_ext_pos; /* the layout extension's body */

	/* An overlay (opts.base): the next guest cluster not yet decided,
	 * a buffer for the base's bytes, the backing file's name. */
	struct qcow_reader *base;
	uint64_t next_clu;
	uint8_t *bbuf;
	char *backing_file;
	uint64_t backing_off;
	const struct qcow_digest_entry *bdg; /* the base chain's, or NULL */
	uint64_t bdg_n, bdg_at;		     /* ... and a cursor into them */
	uint8_t zero_digest[QCOW_DIGEST_LEN];
	/* The caller's qcow_buf_used() of cluster used_clu (put_clusters). */
	bool used_valid;
	uint64_t used_clu;
	uint32_t used;
	/* The last cluster against_digests() hashed, and its digest. */
	bool hashed_valid;
	uint64_t hashed_clu;
	uint8_t hashed[QCOW_DIGEST_LEN];

	/* Checkpoints: L1 entries below ck_l1 and the first ck_dg digests
	 * are in records already returned. */
	uint64_t ck_l1, ck_dg;
	uint32_t ck_seq; /* records returned so far */

	/* Header cluster, built at create (streams write it first). */
	uint8_t *hdr_cluster;
	bool stream;
	bool no_sync;
	/* Pages of zeros are skipped, not written: a new file, where they
	 * stay holes (not a resumed one, which holds bytes). */
	bool sparse;
	uint64_t written_end; /* sparse: the end of the last bytes written;
				 beyond it, up to obuf_off, zeros */
	struct qcow_writer_stats plan;
	uint8_t *plan_l1; /* a stream's L1, as its dry run built it */
	struct qcow_writer_stats stats;
};

/* Append @len bytes at next_host_off (through the staging buffer). */
errcode_t qcow_writer_emit(struct qcow_writer *w, const void *buf, size_t len);
errcode_t qcow_writer_flush_obuf(struct qcow_writer *w);
/* Refcount of host cluster @c (compressed sharing counted). */
uint16_t qcow_writer_refcount(const struct qcow_writer *w, uint64_t c);

/* Room in zrefs for host cluster @last. */
errcode_t qcow_writer_grow_zrefs(struct qcow_writer *w, uint64_t last);

/* A stored cluster's used bytes, when only its digest is known. */
#define QCOW_USED_UNKNOWN UINT32_MAX

/*
 * qcow_writer_dedup_find() - if a stored cluster holds @data (digest
 * @digest, qcow_buf_used() bytes @used), count one more reference to it
 * and set *@host to its offset; else *@host = 0.
 */
errcode_t qcow_writer_dedup_find(struct qcow_writer *w, const uint8_t *data,
				 const uint8_t *digest, uint32_t used,
				 uint64_t *host);
/*
 * qcow_writer_dedup_find_compressed() - if a compressed cluster stored
 * earlier holds the same @zlen compressed bytes @z (digest @digest),
 * count one more reference to every host cluster they touch and set
 * *@entry to its L2 entry; else *@entry = 0.
 */
errcode_t qcow_writer_dedup_find_compressed(struct qcow_writer *w,
					    const uint8_t *z, size_t zlen,
					    const uint8_t *digest,
					    uint64_t *entry);
/* Guest cluster @clu was stored at @host (a compressed cluster: @host
 * is its L2 entry), @used bytes up to its last non-zero one (or
 * QCOW_USED_UNKNOWN): offer it to later ones. */
errcode_t qcow_writer_dedup_note(struct qcow_writer *w, uint64_t clu,
				 uint64_t host, const uint8_t *digest,
				 uint32_t used);
void qcow_writer_dedup_free(struct qcow_dedup *t);

/*
 * qcow_writer_l2_share() - the L2 table being filled is finished: if an
 * identical one was stored, point its L1 entry there, count the
 * reference, and set *@shared (the table is not stored again).
 * qcow_writer_l2_note() - it was stored at @host: offer it to later ones.
 */
errcode_t qcow_writer_l2_share(struct qcow_writer *w, bool *shared);
errcode_t qcow_writer_l2_note(struct qcow_writer *w, uint64_t host);
/* Resuming: L2 table @table, stored at @host for L1 entry @l1_index (the
 * first to use it), is offered to later ones as when it was stored. */
errcode_t qcow_writer_l2_relearn(struct qcow_writer *w, const uint8_t *table,
				 uint64_t host, uint64_t l1_index);
void qcow_writer_l2share_free(struct qcow_l2share *t);

/* Make the file as long as what was emitted (an L2 table's tail left a
 * hole may end it early). */
errcode_t qcow_writer_reach_end(struct qcow_writer *w);
/* Set entry @at (an index) of the L2 table being filled to @entry. */
void qcow_writer_l2_set(struct qcow_writer *w, size_t at, uint64_t entry);

/* The digest of cluster @data by the writer's algorithm. */
void qcow_writer_digest(const struct qcow_writer *w, const uint8_t *data,
			uint8_t out[QCOW_DIGEST_LEN]);

/* Shared by the data path and the overlay's decisions. */
errcode_t qcow_writer_enter_l2(struct qcow_writer *w, uint64_t clu);
errcode_t qcow_writer_add_digest(struct qcow_writer *w, uint64_t clu,
				 const uint8_t *digest);
/*
 * Overlay (qcow_writer_overlay.c): clusters from the last one decided up
 * to @clu that nobody wrote read as zero in the new image; where the
 * base has data there, they become zero clusters.
 */
errcode_t qcow_writer_overlay_cover(struct qcow_writer *w, uint64_t clu);
/*
 * Decide cluster @clu (bytes @data): *@done when nothing needs storing
 * (the base holds the same, or it became a zero cluster).  No base: never
 * done.
 */
errcode_t qcow_writer_overlay_decide(struct qcow_writer *w, uint64_t clu,
				     const uint8_t *data, bool *done);

/* Compute the metadata placement from the cluster count so far. */
struct qcow_writer_tail {
	uint64_t l1_off, reftable_off, refblocks_off;
	uint64_t reftable_clusters, refblocks, total_clusters;
};
void qcow_writer_plan_tail(const struct qcow_writer *w,
			   uint64_t clusters_before,
			   struct qcow_writer_tail *t);
/* Encode the header cluster for a given tail placement. */
errcode_t qcow_writer_build_header(struct qcow_writer *w,
				   const struct qcow_writer_tail *t,
				   const struct qcow_writer_opts *opts);
errcode_t qcow_writer_write_tail(struct qcow_writer *w,
				 const struct qcow_writer_tail *t);

#endif
