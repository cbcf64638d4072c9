/* SPDX-License-Identifier: MIT */
/*
 * sink.h --- where captured blocks go: a qcow2 writer or a raw image.
 *
 * The capture pipeline hands a sink guest data in increasing offset
 * order and calls finish once; free never writes.
 */
#ifndef SINK_H
#define SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <et/com_err.h>

#include "qcow_io.h"
#include "qcow_writer.h"

struct sink {
	errcode_t (*write)(struct sink *s, uint64_t off, const void *buf,
			   size_t len);
	/*
	 * qcow2 sinks only (else NULL): whole clusters the caller
	 * compressed (@zlen not NULL) and/or summed (@sums not NULL), see
	 * qcow_writer_put_clusters().
	 */
	errcode_t (*put_clusters)(struct sink *s, uint64_t off, size_t n,
				  const uint8_t *raw, const uint8_t *zdata,
				  const uint32_t *zlen,
				  const struct qcow_cluster_sum *sums);
	errcode_t (*finish)(struct sink *s);
	void (*destroy)(struct sink *s);
	/* All-zero data is not written, so zeros and gaps are alike:
	 * either may stand in for the other (a base image's overlay
	 * makes what nobody wrote read as zeros too). */
	bool skips_zeros;
	/* put_clusters would like the clusters' sums. */
	bool wants_digests;
	unsigned digest_alg; /* ... by this algorithm (qcow_digest.h) */
};

/* qcow2 through qcow_writer; @io stays the caller's. */
errcode_t sink_qcow_create(struct qcow_io *io,
			   const struct qcow_writer_opts *opts,
			   struct sink **out);
/*
 * Resumable qcow2 sinks (see qcow_writer_checkpoint()): a sink that goes
 * on from the @n records of an interrupted run on its partial file, the
 * record of the state so far, and where the data must go on from.
 */
errcode_t sink_qcow_resume(struct qcow_io *io,
			   const struct qcow_writer_opts *opts,
			   const struct qcow_writer_record *recs, size_t n,
			   struct sink **out);
errcode_t sink_qcow_checkpoint(struct sink *s, uint8_t **rec, size_t *len);
uint64_t sink_qcow_resume_at(const struct sink *s);
/* Figures of a qcow2 sink (the plan of a stream run). */
void sink_qcow_stats(const struct sink *s, struct qcow_writer_stats *st);
/* A copy of the writer's L1 table (a dry run's: a stream's plan). */
errcode_t sink_qcow_copy_l1(const struct sink *s, uint8_t **out);

/*
 * Raw image of @size bytes at byte @base of @io.  @fresh: the target is
 * a new file or a stream, so all-zero blocks are left as holes and the
 * output is sized to base + size at the end; otherwise (a device, or an
 * existing file written in place) every byte handed over is written.
 * @sync: finish waits until the data is on stable storage.
 */
errcode_t sink_raw_create(struct qcow_io *io, uint64_t base, uint64_t size,
			  bool fresh, bool sync, struct sink **out);

/*
 * Compare mode (e2image -c), for a target that is not fresh: each block
 * of @block_size is read first and written only if it differs (flash
 * lasts longer); sink_raw_skipped() counts the blocks left as they were.
 */
void sink_raw_compare(struct sink *s, unsigned block_size);
uint64_t sink_raw_skipped(const struct sink *s);

void sink_free(struct sink *s); /* NULL-safe */

#endif
