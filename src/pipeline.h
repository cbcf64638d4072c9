/* SPDX-License-Identifier: MIT */
/*
 * pipeline.h --- overlap reading and writing: a producer thread fills
 * buffers while consumer threads drain them.
 *
 * With one consumer the slots are used in the order produced (streams);
 * with more (seekable outputs, where each slot says where it goes) they
 * are used as they come, so that on two cores the reads of one chunk and
 * the writes of others all proceed at once.  With a commit step, each
 * consumer's work on a slot is followed by commit, called for the slots
 * one at a time in production order (parallel compression, in-order
 * output).  Everything stops at the first error, which is returned.
 */
#ifndef PIPELINE_H
#define PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <et/com_err.h>

struct pipe_slot {
	uint8_t *buf; /* slot_bytes of room, all zeros at first (scratch
		       * for the consumer when zero is set) */
	uint64_t off; /* what the producer says it holds */
	uint64_t len;
	bool zero;	 /* len bytes of zeros, nothing in buf */
	bool end;	 /* no more slots after this one (len may be 0) */
	unsigned worker; /* index of the consumer thread using it */
	unsigned index;	 /* which slot: 0 .. nslots-1, fixed */
};

/* Fill @slot; set slot->end on the last one.  Runs on its own thread. */
typedef errcode_t (*pipe_produce_fn)(void *ctx, struct pipe_slot *slot);
/* Use @slot; runs on @nconsumers threads at once. */
typedef errcode_t (*pipe_consume_fn)(void *ctx, struct pipe_slot *slot);

/* The most consumer threads a pipeline runs. */
#define PIPELINE_MAX_CONSUMERS 64

errcode_t pipeline_run(size_t slot_bytes, unsigned nslots, unsigned nconsumers,
		       pipe_produce_fn produce, pipe_consume_fn consume,
		       void *ctx);

/* The same, with @commit run after @consume, in production order. */
errcode_t pipeline_run_ordered(size_t slot_bytes, unsigned nslots,
			       unsigned nconsumers, pipe_produce_fn produce,
			       pipe_consume_fn consume, pipe_consume_fn commit,
			       void *ctx);

#endif
