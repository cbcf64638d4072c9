// SPDX-License-Identifier: MIT
/*
 * capture_copy.c --- read, (compress,) write.
 *
 * A reader thread fills slots of up to SLOT_BYTES with used blocks, one
 * read per run.  A slot holds up to MAX_PIECES pieces, each a stretch of
 * the filesystem packed after the one before: a metadata capture is
 * thousands of scattered blocks (a directory block per megabyte), and a
 * thread hand-off per block costs more than reading it.  Where the sink
 * drops zeros anyway, short gaps are zero-filled inside a piece instead
 * of starting another.  When compressing, pieces cover whole clusters
 * (unused blocks inside them are zeros); so do they when the sink keeps
 * digests: worker threads compress and/or hash them, and commit in
 * order (hashing every cluster was a fifth of a 1 PiB capture's time,
 * on the one writer thread).
 *
 * A slot's buffer is all zeros whenever the reader starts on it (the
 * pipeline hands them out so): what it read into it last time is
 * cleared, and the gaps and cluster tails it leaves are zeros already;
 * pages it never reads into are never touched.  At 1 PiB the clusters
 * are 64 KiB and hold a block each; clearing the gaps was 47 GB of
 * memset, clearing what was read is 5.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capture_copy.h"
#include "fsread_err.h"
#include "interrupt.h"
#include "pipeline.h"
#include "qcow_compress.h"
#include "qcow_digest.h"
#include "qcow_io.h"

/* Slot sizes: see choose_slot_bytes(). */
#define SLOT_BYTES (16U << 20) /* at most */
#define SLOT_DENSE_BYTES (2U << 20)
#define SLOT_MIN_BYTES (256U << 10)
#define SLOTS_PLAIN 4
/* Gaps up to this size are zero-filled rather than ending a piece. */
#define MERGE_GAP_BYTES (256U << 10)
/* One 4 KiB block per piece fills a slot. */
#define MAX_PIECES (SLOT_BYTES / 4096)

struct copy_piece {
	uint64_t off; /* in the filesystem */
	uint64_t len; /* bytes, packed in the slot's buffer */
};

/* Bytes of a slot's buffer the reader wrote into. */
struct copy_span {
	uint32_t at, len;
};

struct copy_pieces {
	struct copy_piece p[MAX_PIECES];
	unsigned n;
	/* Written since the buffer was last all zeros (one per read; a
	 * read is at least a 1 KiB block); dirty_all: too many to list. */
	struct copy_span dirty[SLOT_BYTES / 1024];
	unsigned n_dirty;
	bool dirty_all;
	/* For workers: bytes of each cluster of the buffer up to the end
	 * of what was read into it (beyond, the reader wrote zeros). */
	uint32_t read_end[SLOT_BYTES / 512];
};

/* A worker's results for the slot it prepared, by cluster of the slot. */
struct copy_worker {
	struct qcow_compressor *comp; /* compressing only */
	uint8_t *zbuf;	/* SLOT_BYTES: cluster i's result at i << bits */
	uint32_t *zlen; /* compressed length */
	struct qcow_cluster_sum *sum; /* if the sink wants them */
};

struct copy_state {
	struct capture_copy *cc;
	uint64_t align; /* piece boundaries: block, or cluster for workers */
	size_t run;	/* reader position in the map */
	uint64_t at;	/* blocks of map->runs[run] already read */
	uint64_t done;	/* bytes read, for progress */
	bool read_failed;
	bool holes_are_gaps;	    /* see skip_hole() */
	bool hash;		    /* workers hash clusters for the sink */
	size_t slot_bytes;	    /* up to SLOT_BYTES */
	struct copy_pieces *pieces; /* one per pipeline slot */
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

/* May the next run, at byte @b, join a piece filled up to @filled? */
static bool joins_piece(const struct copy_state *st, uint64_t b,
			uint64_t filled)
{
	if (align_down(b, st->align) <= align_up(filled, st->align))
		return true;
	return st->cc->sink->skips_zeros && b - filled <= MERGE_GAP_BYTES;
}

/* Move the cursor @n blocks on. */
static void advance(struct copy_state *st, uint64_t n)
{
	st->at += n;
	if (st->at == st->cc->map->runs[st->run].count) {
		st->run++;
		st->at = 0;
	}
	st->done += n * st->cc->block_size;
	progress_update(st->cc->prog, st->done);
}

/*
 * Where the sink takes gaps for zeros, blocks in a hole of the source
 * file are a gap: not read, not handed on.  True if the cursor moved.
 */
static bool skip_hole(struct copy_state *st)
{
	const struct extmap_run *r = &st->cc->map->runs[st->run];
	uint64_t n;

	if (!st->holes_are_gaps ||
	    !fsread_hole(st->cc->fs, r->start + st->at, r->count - st->at, &n))
		return false;
	advance(st, n);
	return true;
}

/* Read up to *@n blocks at the cursor into @dst (left zeros, as the
 * slot's buffer is, for a hole); *@n becomes how many (fewer where a
 * hole begins or ends). */
static errcode_t read_blocks(struct copy_state *st, uint64_t *count,
			     uint8_t *dst)
{
	uint64_t n = *count;
	struct capture_copy *cc = st->cc;
	const struct extmap_run *r = &cc->map->runs[st->run];
	uint64_t blk = r->start + st->at;
	errcode_t err = 0;

	/* A hole reads as zeros (for the scrub stage, and for sinks that
	 * write zeros): @dst holds them already. */
	if (!fsread_hole(cc->fs, blk, n, &n))
		err = fsread_read(cc->fs, blk, n, dst, cc->stats);
	if (!err && cc->scrub)
		err = fsread_scrub_blocks(cc->scrub, blk, n, dst);
	if (err) {
		st->read_failed = true;
		return err;
	}
	advance(st, n);
	*count = n;
	return 0;
}

/* Bytes [@at, @at + @len) of the slot's buffer were read (workers only). */
static void note_read(const struct copy_state *st, struct copy_pieces *ps,
		      uint64_t at, uint64_t len)
{
	unsigned bits = st->cc->cluster_bits;
	uint64_t cs = 1ULL << bits, end = at + len;

	if (!st->workers)
		return;
	for (uint64_t c = at >> bits; c << bits < end; c++)
		ps->read_end[c] =
			(uint32_t)(end - (c << bits) < cs ? end - (c << bits)
							  : cs);
}

/* End the piece from @start filled up to @filled at buffer @pos. */
static uint64_t close_piece(struct copy_state *st, struct copy_pieces *ps,
			    uint64_t start, uint64_t filled, uint64_t pos)
{
	uint64_t end = align_up(filled, st->align);

	if (end > st->cc->size)
		end = st->cc->size;
	/* From filled to end the buffer holds zeros already. */
	ps->p[ps->n].off = start;
	ps->p[ps->n].len = end - start;
	ps->n++;
	return pos + (end - start);
}

/* Back to all zeros: what the last fill of the buffer wrote. */
static void clear_dirty(struct copy_pieces *ps, uint8_t *buf, size_t bytes)
{
	if (ps->dirty_all)
		memset(buf, 0, bytes);
	else
		for (unsigned i = 0; i < ps->n_dirty; i++)
			memset(buf + ps->dirty[i].at, 0, ps->dirty[i].len);
	ps->dirty_all = false;
	ps->n_dirty = 0;
}

static errcode_t produce(void *ctx, struct pipe_slot *slot)
{
	struct copy_state *st = ctx;
	struct capture_copy *cc = st->cc;
	const struct extmap *map = cc->map;
	struct copy_pieces *ps = &st->pieces[slot->index];
	uint64_t bs = cc->block_size;
	uint64_t pos = 0;		/* the current piece's place in buf */
	uint64_t start = 0, filled = 0; /* its span of the filesystem */
	bool open = false;

	clear_dirty(ps, slot->buf, st->slot_bytes);
	ps->n = 0;
	if (st->workers)
		memset(ps->read_end, 0,
		       (st->slot_bytes >> cc->cluster_bits) *
			       sizeof(*ps->read_end));
	if (interrupt_requested())
		return INTERRUPT_CANCELLED;
	while (st->run < map->n) {
		const struct extmap_run *r = &map->runs[st->run];
		uint64_t b = (r->start + st->at) * bs;
		uint64_t n = r->count - st->at;
		uint64_t room;
		errcode_t err;

		if (skip_hole(st))
			continue;
		if (open && b != filled && !joins_piece(st, b, filled)) {
			pos = close_piece(st, ps, start, filled, pos);
			open = false;
		}
		if (!open) {
			if (ps->n == MAX_PIECES)
				break;
			start = filled = align_down(b, st->align);
			open = true;
		}
		/* Room for the gap and at least one block. */
		if (pos + (b - start) + bs > st->slot_bytes)
			break;
		room = (st->slot_bytes - pos - (b - start)) / bs;
		if (n > room)
			n = room;
		/* The gap from filled to b is zeros: the buffer was. */
		if (ps->n_dirty == sizeof(ps->dirty) / sizeof(ps->dirty[0]))
			ps->dirty_all = true;
		else
			ps->dirty[ps->n_dirty++] = (struct copy_span){
				(uint32_t)(pos + (b - start)),
				(uint32_t)(n * bs)
			};
		err = read_blocks(st, &n, slot->buf + pos + (b - start));
		if (err)
			return err;
		note_read(st, ps, pos + (b - start), n * bs);
		filled = b + n * bs;
	}
	if (open && filled > start) /* not one opened without room */
		pos = close_piece(st, ps, start, filled, pos);
	if (!ps->n) {
		slot->end = true;
		return 0;
	}
	slot->off = ps->p[0].off;
	slot->len = pos;
	return 0;
}

static errcode_t slot_done(struct capture_copy *cc, errcode_t err)
{
	return err || !cc->slot_done ? err : cc->slot_done(cc->slot_ctx);
}

static errcode_t write_slot(void *ctx, struct pipe_slot *slot)
{
	struct copy_state *st = ctx;
	const struct copy_pieces *ps = &st->pieces[slot->index];
	struct sink *s = st->cc->sink;
	const uint8_t *p = slot->buf;
	errcode_t err = 0;

	for (unsigned i = 0; i < ps->n && !err; p += ps->p[i++].len)
		err = s->write(s, ps->p[i].off, p, (size_t)ps->p[i].len);
	return slot_done(st->cc, err);
}

/*
 * A worker: each cluster of the slot compressed and/or summed.  What
 * lies past the end of what was read into a cluster is the reader's
 * zeros, so its used bytes are found from there back.
 */
static errcode_t prepare_slot(void *ctx, struct pipe_slot *slot)
{
	struct copy_state *st = ctx;
	struct copy_worker *wk = &st->workers[slot->worker];
	const struct copy_pieces *ps = &st->pieces[slot->index];
	unsigned bits = st->cc->cluster_bits;
	size_t n = (size_t)(slot->len >> bits);

	for (size_t i = 0; i < n; i++) {
		const uint8_t *in = slot->buf + (i << bits);
		size_t used = qcow_buf_used(in, ps->read_end[i]);

		if (wk->comp)
			wk->zlen[i] = used ? (uint32_t)qcow_compress_cluster(
						     wk->comp, in,
						     wk->zbuf + (i << bits))
					   : 0;
		if (!st->hash)
			continue;
		wk->sum[i].used = (uint32_t)used;
		if (used)
			qcow_digest_cluster(st->cc->sink->digest_alg, in,
					    (size_t)1 << bits, used,
					    wk->sum[i].digest);
	}
	return 0;
}

static errcode_t commit_slot(void *ctx, struct pipe_slot *slot)
{
	struct copy_state *st = ctx;
	struct copy_worker *wk = &st->workers[slot->worker];
	const struct copy_pieces *ps = &st->pieces[slot->index];
	struct sink *s = st->cc->sink;
	unsigned bits = st->cc->cluster_bits;
	uint64_t pos = 0; /* cluster-aligned: pieces are whole clusters */
	errcode_t err = 0;

	for (unsigned i = 0; i < ps->n && !err; pos += ps->p[i++].len) {
		const struct copy_piece *pc = &ps->p[i];
		size_t n = (size_t)(pc->len >> bits);
		size_t whole = n << bits, c = (size_t)(pos >> bits);

		err = s->put_clusters(s, pc->off, n, slot->buf + pos,
				      wk->comp ? wk->zbuf + pos : NULL,
				      wk->comp ? wk->zlen + c : NULL,
				      st->hash ? wk->sum + c : NULL);
		/* A filesystem that ends inside a cluster: the writer
		 * finishes it. */
		if (!err && pc->len > whole)
			err = s->write(s, pc->off + whole,
				       slot->buf + pos + whole,
				       (size_t)(pc->len - whole));
	}
	return slot_done(st->cc, err);
}

static void free_workers(struct copy_worker *w, unsigned n)
{
	for (unsigned i = 0; w && i < n; i++) {
		qcow_compressor_free(w[i].comp);
		free(w[i].zbuf);
		free(w[i].zlen);
		free(w[i].sum);
	}
	free(w);
}

static errcode_t make_workers(struct copy_state *st, struct copy_worker **out)
{
	struct capture_copy *cc = st->cc;
	struct copy_worker *w = calloc(cc->threads, sizeof(*w));
	int level = cc->compress_level
			    ? cc->compress_level
			    : qcow_compress_default_level(cc->compress_type);
	size_t clusters = st->slot_bytes >> cc->cluster_bits;
	errcode_t err = w ? 0 : ENOMEM;

	for (unsigned i = 0; !err && i < cc->threads; i++) {
		if (cc->compress) {
			err = qcow_compressor_create(cc->compress_type, level,
						     cc->cluster_bits,
						     &w[i].comp);
			w[i].zbuf = malloc(st->slot_bytes);
			w[i].zlen = calloc(clusters, sizeof(*w[i].zlen));
			if (!err && (!w[i].zbuf || !w[i].zlen))
				err = ENOMEM;
		}
		if (!err && st->hash) {
			w[i].sum = malloc(clusters * sizeof(*w[i].sum));
			if (!w[i].sum)
				err = ENOMEM;
		}
	}
	if (err) {
		free_workers(w, cc->threads);
		return err;
	}
	*out = w;
	return 0;
}

/* Per slot; the pipeline's buffers start all zeros. */
static struct copy_pieces *new_pieces(unsigned n)
{
	return calloc(n, sizeof(struct copy_pieces));
}

/* Bytes of slot the map fills: pieces are whole units of @align. */
static uint64_t filled_bytes(const struct extmap *map, uint64_t bs,
			     uint64_t align)
{
	uint64_t total = 0, end = 0;

	for (size_t i = 0; i < map->n; i++) {
		uint64_t lo = align_down(map->runs[i].start * bs, align);
		uint64_t hi = align_up(
			(map->runs[i].start + map->runs[i].count) * bs, align);

		if (lo < end)
			lo = end;
		if (hi > lo)
			total += hi - lo;
		if (hi > end)
			end = hi;
	}
	return total;
}

/*
 * Slots sized to the job.  A buffer's first fill is fresh memory the
 * kernel must zero (and a VM's host often back again): 10 MB of slots
 * cost a 30 MB metadata capture more than the hand-offs that smaller
 * ones add, so about a 64th of what is read, between 256 KiB and 2 MiB.
 * Where clusters hold a block or a few (a sparsely used filesystem of
 * 1 PiB: a block per 64 KiB cluster), a slot's bytes are mostly zeros
 * that are never touched: up to 16 MiB then, for as many blocks per
 * hand-off (1 PiB: 300,000 futex calls, the copy 10 % slower, with
 * 2 MiB).
 */
static size_t choose_slot_bytes(const struct copy_state *st)
{
	const struct capture_copy *cc = st->cc;
	uint64_t data = extmap_total(cc->map) * cc->block_size;
	uint64_t filled = filled_bytes(cc->map, cc->block_size, st->align);
	/* Slot bytes per byte read: at least 1 (pieces cover the blocks). */
	uint64_t sparse = data ? filled / data : 1;
	uint64_t cap = sparse < SLOT_BYTES / SLOT_DENSE_BYTES
			       ? SLOT_DENSE_BYTES * sparse
			       : SLOT_BYTES;
	size_t bytes = SLOT_MIN_BYTES;

	while (bytes < cap &&
	       (bytes < filled / 64 || bytes < (1ULL << cc->cluster_bits)))
		bytes <<= 1;
	return bytes;
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
	bool plain;

	memset(&st, 0, sizeof(st));
	st.cc = cc;
	skip_to_start(&st);
	st.align = cc->block_size;
	st.holes_are_gaps = cc->sink->skips_zeros && !cc->scrub;
	/* Clusters compressed, or hashed (digests, dedup), on workers;
	 * else the sink does it all on one thread. */
	st.hash = cc->sink->put_clusters && cc->sink->wants_digests;
	plain = !cc->sink->put_clusters || (!cc->compress && !st.hash);
	if (!plain && (1ULL << cc->cluster_bits) > st.align)
		st.align = 1ULL << cc->cluster_bits;
	st.slot_bytes = choose_slot_bytes(&st);
	if (plain) {
		/* One writer, in order; the reader runs ahead by a few slots.
		 */
		st.pieces = new_pieces(SLOTS_PLAIN);
		err = st.pieces ? pipeline_run(st.slot_bytes, SLOTS_PLAIN, 1,
					       produce, write_slot, &st)
				: ENOMEM;
	} else {
		unsigned threads = cc->threads ? cc->threads : 1;

		cc->threads = threads;
		err = make_workers(&st, &st.workers);
		st.pieces = new_pieces(threads + 3);
		if (!err && !st.pieces)
			err = ENOMEM;
		if (!err)
			err = pipeline_run_ordered(
				st.slot_bytes, threads + 3, threads, produce,
				prepare_slot, commit_slot, &st);
		free_workers(st.workers, threads);
	}
	free(st.pieces);
	*failed_read = st.read_failed;
	return err;
}
