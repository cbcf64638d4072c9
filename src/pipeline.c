// SPDX-License-Identifier: MIT
/*
 * pipeline.c --- slots passed from one producer thread to consumer
 * threads: FREE -> (producer) FULL -> (a consumer) BUSY -> FREE.
 * FULL slots carry a sequence number; consumers take the oldest, so a
 * single consumer sees them in production order.  Commits wait for their
 * turn: the slot before is always already held by a consumer (it was
 * older when taken), so the wait cannot deadlock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pipeline.h"

enum slot_state { SLOT_FREE, SLOT_FULL, SLOT_BUSY };

struct pipeline {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct pipe_slot *slots;
	enum slot_state *state;
	uint64_t *seq;
	unsigned nslots;
	uint64_t next_seq;
	bool produced_all; /* the end slot (or an error) was produced */
	bool stop;	   /* a consumer failed */
	errcode_t err;	   /* first error, producer's or a consumer's */
	pipe_produce_fn produce;
	pipe_consume_fn consume;
	pipe_consume_fn commit; /* may be NULL */
	uint64_t next_commit;	/* sequence number whose turn it is */
	void *ctx;
};

struct worker {
	struct pipeline *p;
	unsigned index;
};

/*
 * Slot buffers start all zeros (fresh anonymous memory), and pages
 * never written stay untouched.  2 MiB slots are filled whole: there
 * transparent huge pages (where the kernel offers them on request) save
 * hundreds of page faults a run.  Bigger slots are sparse captures'
 * (a block per cluster), mostly never touched: no huge pages there.
 */
static void *alloc_slot_buffer(size_t bytes)
{
	const size_t huge = 2U << 20;
	size_t span = bytes == huge ? 2 * huge : bytes;
	uint8_t *p = mmap(NULL, span, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t head;

	if (p == MAP_FAILED)
		return NULL;
	if (bytes != huge)
		return p;
	/* Aligned to 2 MiB, the rest given back. */
	head = (size_t)(-(uintptr_t)p & (huge - 1));
	if (head)
		munmap(p, head);
	munmap(p + head + huge, huge - head);
	(void)madvise(p + head, huge, MADV_HUGEPAGE);
	return p + head;
}

static int find_slot(const struct pipeline *p, enum slot_state want)
{
	int best = -1;

	for (unsigned i = 0; i < p->nslots; i++)
		if (p->state[i] == want &&
		    (best < 0 ||
		     (want == SLOT_FULL && p->seq[i] < p->seq[best])))
			best = (int)i;
	return best;
}

static void fail(struct pipeline *p, errcode_t err)
{
	if (!p->err)
		p->err = err;
	p->stop = true;
}

static void *producer(void *arg)
{
	struct pipeline *p = arg;
	bool end = false;

	(void)pthread_setname_np(pthread_self(), "e2qcow-read");
	pthread_mutex_lock(&p->lock);
	while (!end && !p->stop) {
		int i = find_slot(p, SLOT_FREE);
		struct pipe_slot *s;
		errcode_t err;

		if (i < 0) {
			pthread_cond_wait(&p->changed, &p->lock);
			continue;
		}
		p->state[i] = SLOT_BUSY;
		s = &p->slots[i];
		pthread_mutex_unlock(&p->lock);
		s->len = 0;
		s->zero = s->end = false;
		err = p->produce(p->ctx, s);
		end = s->end || err;
		pthread_mutex_lock(&p->lock);
		if (err)
			fail(p, err);
		p->state[i] = SLOT_FULL;
		p->seq[i] = p->next_seq++;
		pthread_cond_broadcast(&p->changed);
	}
	p->produced_all = true;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Run @s's commit once every older slot's is done; lock held on entry. */
static errcode_t commit_in_turn(struct pipeline *p, struct pipe_slot *s,
				uint64_t seq)
{
	errcode_t err;

	while (p->next_commit != seq && !p->stop)
		pthread_cond_wait(&p->changed, &p->lock);
	if (p->stop)
		return 0; /* someone else failed; that error is kept */
	pthread_mutex_unlock(&p->lock);
	err = s->len ? p->commit(p->ctx, s) : 0;
	pthread_mutex_lock(&p->lock);
	p->next_commit++;
	return err;
}

static void *consumer(void *arg)
{
	struct worker *wk = arg;
	struct pipeline *p = wk->p;

	(void)pthread_setname_np(pthread_self(), "e2qcow-work");
	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		int i = find_slot(p, SLOT_FULL);
		struct pipe_slot *s;
		errcode_t err = 0;
		uint64_t seq;

		if (i < 0) {
			if (p->produced_all)
				break;
			pthread_cond_wait(&p->changed, &p->lock);
			continue;
		}
		p->state[i] = SLOT_BUSY;
		seq = p->seq[i];
		s = &p->slots[i];
		s->worker = wk->index;
		pthread_mutex_unlock(&p->lock);
		if (s->len)
			err = p->consume(p->ctx, s);
		pthread_mutex_lock(&p->lock);
		if (err)
			fail(p, err);
		else if (p->commit) {
			err = commit_in_turn(p, s, seq);
			if (err)
				fail(p, err);
		}
		p->state[i] = SLOT_FREE;
		pthread_cond_broadcast(&p->changed);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

errcode_t pipeline_run(size_t slot_bytes, unsigned nslots, unsigned nconsumers,
		       pipe_produce_fn produce, pipe_consume_fn consume,
		       void *ctx)
{
	return pipeline_run_ordered(slot_bytes, nslots, nconsumers, produce,
				    consume, NULL, ctx);
}

errcode_t pipeline_run_ordered(size_t slot_bytes, unsigned nslots,
			       unsigned nconsumers, pipe_produce_fn produce,
			       pipe_consume_fn consume, pipe_consume_fn commit,
			       void *ctx)
{
	pthread_t prod, cons[PIPELINE_MAX_CONSUMERS];
	struct worker workers[PIPELINE_MAX_CONSUMERS];
	struct pipeline p;
	unsigned i, started = 0;
	errcode_t err = 0;

	if (nconsumers < 1 || nconsumers > PIPELINE_MAX_CONSUMERS || nslots < 1)
		return EINVAL;
	memset(&p, 0, sizeof(p));
	p.nslots = nslots;
	p.produce = produce;
	p.consume = consume;
	p.commit = commit;
	p.ctx = ctx;
	p.slots = calloc(nslots, sizeof(*p.slots));
	p.state = calloc(nslots, sizeof(*p.state));
	p.seq = calloc(nslots, sizeof(*p.seq));
	for (i = 0; p.slots && i < nslots; i++)
		if (!(p.slots[i].buf = alloc_slot_buffer(slot_bytes)))
			break;
		else
			p.slots[i].index = i;
	if (!p.slots || !p.state || !p.seq || i < nslots) {
		err = ENOMEM;
		goto out;
	}
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.changed, NULL);
	if (pthread_create(&prod, NULL, producer, &p)) {
		err = EAGAIN;
	} else {
		for (i = 0; i < nconsumers; i++) {
			workers[started].p = &p;
			workers[started].index = started;
			if (!pthread_create(&cons[started], NULL, consumer,
					    &workers[started]))
				started++;
		}
		if (!started) {
			pthread_mutex_lock(&p.lock);
			fail(&p, EAGAIN);
			pthread_cond_broadcast(&p.changed);
			pthread_mutex_unlock(&p.lock);
		}
		for (i = 0; i < started; i++)
			pthread_join(cons[i], NULL);
		pthread_join(prod, NULL);
		err = p.err;
	}
	pthread_cond_destroy(&p.changed);
	pthread_mutex_destroy(&p.lock);
out:
	for (i = 0; p.slots && i < nslots; i++)
		if (p.slots[i].buf)
			munmap(p.slots[i].buf, slot_bytes);
	free(p.slots);
	free(p.state);
	free(p.seq);
	return err;
}
