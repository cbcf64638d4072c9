/* SPDX-License-Identifier: MIT */
/*
 * capture_copy.h --- the capture's data path: read the mapped blocks in
 * large pieces on one thread, compress them on worker threads when
 * asked, and hand them to the sink in order.
 */
#ifndef CAPTURE_COPY_H
#define CAPTURE_COPY_H

#include <stdbool.h>
#include <stdint.h>

#include <et/com_err.h>

#include "extmap.h"
#include "fsread.h"
#include "progress.h"
#include "sink.h"

struct capture_copy {
	struct fsread *fs;
	struct fsread_scrub *scrub; /* -s: each block read goes through it */
	const struct extmap *map;
	unsigned block_size;
	uint64_t size; /* of the filesystem, bytes */
	struct sink *sink;
	/* Compression (a sink with put_clusters): */
	bool compress;
	unsigned compress_type;
	int compress_level;
	/* Its clusters, when compressing or hashing for it; worker
	 * threads for that. */
	unsigned cluster_bits;
	unsigned threads;
	struct progress *prog; /* already started; updated as reads finish */
	struct fsread_stats *stats;
	/* A resumed run: bytes of the filesystem below this are in the
	 * image already. */
	uint64_t start;
	/* If set, called after each piece reaches the sink. */
	errcode_t (*slot_done)(void *ctx);
	void *slot_ctx;
};

/*
 * capture_copy_run() - every mapped block, in order, into the sink.
 * Returns the first error: a read (FSREAD_*), a write, or
 * INTERRUPT_CANCELLED on a signal.  *@failed_read tells which side.
 */
errcode_t capture_copy_run(struct capture_copy *cc, bool *failed_read);

#endif
