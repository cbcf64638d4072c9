// SPDX-License-Identifier: MIT
/*
 * capture_copy.c --- read, (compress,) write.
 *
 * A reader thread fills slots of up to SLOT_BYTES with neighbouring used
 * blocks, one read per run.  Where the sink drops zeros anyway, short
 * gaps between runs are zero-filled in the slot instead of ending it, so
 * a metadata capture does not pay a thread hand-off per tiny run.  When
 * compressing, slots cover whole clusters (unused blocks inside them are
 * zeros); worker threads compress them and commit in order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capture_copy.h"
#include "fsread_err.h"
#include "interrupt.h"
#include "pipeline.h"
#include "qcow_compress.h"
#include "qcow_io.h"

#define SLOT_BYTES (4U << 20)
/* Gaps up to this size are zero-filled rather than ending a slot. */
#define MERGE_GAP_BYTES (256U << 10)

struct copy_worker {
	struct qcow_compressor *comp;
	uint8_t *zbuf;	/* SLOT_BYTES: cluster i's result at i << bits */
	uint32_t *zlen; /* per cluster of a slot */
};

struct copy_state {
	struct capture_copy *cc;
	uint64_t
		align; /* slot boundaries: block, or cluster when compressing */
	size_t run;    /* reader position in the map */
	uint64_t at;   /* blocks of map->runs[run] already read */
	uint64_t done; /* bytes read, for progress */
	bool read_failed;
	struct copy_worker *workers;
};

static uint64_t align_down(uint64_t v, uint64_t a)
{
	return v & ~(a - 1);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* May the next run, at byte @b, join a slot filled up to @filled? */
static bool joins_slot(const struct copy_state *st, uint64_t b, uint64_t filled)
{
	if (align_down(b, st->align) <= align_up(filled, st->align))
		return true;
	return st->cc->sink->skips_zeros && b - filled <= MERGE_GAP_BYTES;
}

static errcode_t produce(void *ctx, struct pipe_slot *slot)
{
	struct copy_state *st = ctx;
	struct capture_copy *cc = st->cc;
	const struct extmap *map = cc->map;
	uint64_t bs = cc->block_size, start, filled, end;

	if (interrupt_requested())
		return INTERRUPT_CANCELLED;
	if (st->run >= map->n) {
		slot->end = true;
		return 0;
	}
	start = align_down((map->runs[st->run].start + st->at) * bs, st->align);
	filled = start;
	while (st->run < map->n) {
		const struct extmap_run *r = &map->runs[st->run];
		uint64_t b = (r->start + st->at) * bs;
		uint64_t n = r->count - st->at;
		uint64_t room;
		errcode_t err;

		if (b != filled && !joins_slot(st, b, filled))
			break;
		if (b + bs > start + SLOT_BYTES)
			break;
		room = (start + SLOT_BYTES - b) / bs;
		if (n > room)
			n = room;
		memset(slot->buf + (filled - start), 0, (size_t)(b - filled));
		err = fsread_read(cc->fs, r->start + st->at, n,
				  slot->buf + (b - start), cc->stats);
		if (!err && cc->scrub)
			err = fsread_scrub_blocks(cc->scrub, r->start + st->at,
						  n, slot->buf + (b - start));
		if (err) {
			st->read_failed = true;
			return err;
		}
		filled = b + n * bs;
		st->at += n;
		if (st->at == r->count) {
			st->run++;
			st->at = 0;
		}
		st->done += n * bs;
		progress_update(cc->prog, st->done);
	}
	end = align_up(filled, st->align);
	if (end > cc->size)
		end = cc->size;
	memset(slot->buf + (filled - start), 0, (size_t)(end - filled));
	slot->off = start;
	slot->len = end - start;
	return 0;
}

static errcode_t slot_done(struct capture_copy *cc, errcode_t err)
{
	return err || !cc->slot_done ? err : cc->slot_done(cc->slot_ctx);
}

static errcode_t write_slot(void *ctx, struct pipe_slot *slot)
{
	struct copy_state *st = ctx;

	return slot_done(st->cc,
			 st->cc->sink->write(st->cc->sink, slot->off, slot->buf,
					     (size_t)slot->len));
}

static errcode_t compress_slot(void *ctx, struct pipe_slot *slot)
{
	struct copy_state *st = ctx;
	struct copy_worker *wk = &st->workers[slot->worker];
	unsigned bits = st->cc->cluster_bits;
	size_t cs = (size_t)1 << bits;
	size_t n = (size_t)(slot->len >> bits);

	for (size_t i = 0; i < n; i++) {
		const uint8_t *in = slot->buf + (i << bits);

		wk->zlen[i] =
			qcow_buf_is_zero(in, cs)
				? 0
				: (uint32_t)qcow_compress_cluster(
					  wk->comp, in, wk->zbuf + (i << bits));
	}
	return 0;
}

static errcode_t commit_slot(void *ctx, struct pipe_slot *slot)
{
	struct copy_state *st = ctx;
	struct copy_worker *wk = &st->workers[slot->worker];
	struct sink *s = st->cc->sink;
	unsigned bits = st->cc->cluster_bits;
	size_t n = (size_t)(slot->len >> bits);
	size_t whole = n << bits;
	errcode_t err;

	err = s->put_clusters(s, slot->off, n, slot->buf, wk->zbuf, wk->zlen);
	/* A filesystem that ends inside a cluster: the writer finishes it. */
	if (!err && slot->len > whole)
		err = s->write(s, slot->off + whole, slot->buf + whole,
			       (size_t)(slot->len - whole));
	return slot_done(st->cc, err);
}

static void free_workers(struct copy_worker *w, unsigned n)
{
	for (unsigned i = 0; w && i < n; i++) {
		qcow_compressor_free(w[i].comp);
		free(w[i].zbuf);
		free(w[i].zlen);
	}
	free(w);
}

static errcode_t make_workers(struct capture_copy *cc, struct copy_worker **out)
{
	struct copy_worker *w = calloc(cc->threads, sizeof(*w));
	int level = cc->compress_level
			    ? cc->compress_level
			    : qcow_compress_default_level(cc->compress_type);
	errcode_t err = w ? 0 : ENOMEM;

	for (unsigned i = 0; !err && i < cc->threads; i++) {
		err = qcow_compressor_create(cc->compress_type, level,
					     cc->cluster_bits, &w[i].comp);
		w[i].zbuf = malloc(SLOT_BYTES);
		w[i].zlen = calloc(SLOT_BYTES >> cc->cluster_bits,
				   sizeof(*w[i].zlen));
		if (!err && (!w[i].zbuf || !w[i].zlen))
			err = ENOMEM;
	}
	if (err) {
		free_workers(w, cc->threads);
		return err;
	}
	*out = w;
	return 0;
}

/* A resumed run reads on from the first block at or past cc->start. */
static void skip_to_start(struct copy_state *st)
{
	const struct extmap *map = st->cc->map;
	uint64_t bs = st->cc->block_size;
	uint64_t first = (st->cc->start + bs - 1) / bs;

	while (st->run < map->n &&
	       map->runs[st->run].start + map->runs[st->run].count <= first) {
		st->done += map->runs[st->run].count * bs;
		st->run++;
	}
	if (st->run < map->n && map->runs[st->run].start < first) {
		st->at = first - map->runs[st->run].start;
		st->done += st->at * bs;
	}
}

errcode_t capture_copy_run(struct capture_copy *cc, bool *failed_read)
{
	struct copy_state st;
	errcode_t err;

	memset(&st, 0, sizeof(st));
	st.cc = cc;
	skip_to_start(&st);
	st.align = cc->block_size;
	if (!cc->compress || !cc->sink->put_clusters) {
		/* One writer, in order; the reader runs ahead by a few slots.
		 */
		err = pipeline_run(SLOT_BYTES, 4, 1, produce, write_slot, &st);
	} else {
		unsigned threads = cc->threads ? cc->threads : 1;

		cc->threads = threads;
		if ((1ULL << cc->cluster_bits) > st.align)
			st.align = 1ULL << cc->cluster_bits;
		err = make_workers(cc, &st.workers);
		if (!err)
			err = pipeline_run_ordered(
				SLOT_BYTES, threads + 3, threads, produce,
				compress_slot, commit_slot, &st);
		free_workers(st.workers, threads);
	}
	*failed_read = st.read_failed;
	return err;
}
