// SPDX-License-Identifier: MIT
/*
 * extmap.c --- sorted, coalesced runs of block numbers.
 */
#include <errno.h>
#include <stdlib.h>

#include "extmap.h"

void extmap_init(struct extmap *m)
{
	m->runs = NULL;
	m->n = m->cap = 0;
	m->sorted = 1;
}

void extmap_free(struct extmap *m)
{
	free(m->runs);
	extmap_init(m);
}

errcode_t extmap_add(struct extmap *m, uint64_t start, uint64_t count)
{
	struct extmap_run *last = m->n ? &m->runs[m->n - 1] : NULL;

	if (!count)
		return 0;
	if (start > UINT64_MAX - count)
		return EOVERFLOW;
	/* Cheap common case: extends or touches the previous run. */
	if (last && start >= last->start &&
	    start <= last->start + last->count) {
		if (start + count > last->start + last->count)
			last->count = start + count - last->start;
		return 0;
	}
	/* Decide before a realloc can move the array under @last. */
	if (last && start < last->start)
		m->sorted = 0;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 256;
		struct extmap_run *r;

		if (cap > SIZE_MAX / sizeof(*r))
			return ENOMEM;
		r = realloc(m->runs, cap * sizeof(*r));
		if (!r)
			return ENOMEM;
		m->runs = r;
		m->cap = cap;
	}
	m->runs[m->n].start = start;
	m->runs[m->n].count = count;
	m->n++;
	return 0;
}

static int cmp_run(const void *a, const void *b)
{
	const struct extmap_run *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

void extmap_normalize(struct extmap *m)
{
	size_t out = 0;

	if (!m->n)
		return;
	qsort(m->runs, m->n, sizeof(*m->runs), cmp_run);
	for (size_t i = 1; i < m->n; i++) {
		struct extmap_run *cur = &m->runs[out];
		const struct extmap_run *next = &m->runs[i];
		uint64_t cur_end = cur->start + cur->count;

		if (next->start <= cur_end) {
			if (next->start + next->count > cur_end)
				cur->count =
					next->start + next->count - cur->start;
		} else {
			m->runs[++out] = *next;
		}
	}
	m->n = out + 1;
	m->sorted = 1;
}

uint64_t extmap_total(const struct extmap *m)
{
	uint64_t total = 0;

	for (size_t i = 0; i < m->n; i++)
		total += m->runs[i].count;
	return total;
}

int extmap_contains(const struct extmap *m, uint64_t blk)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct extmap_run *r = &m->runs[mid];

		if (blk < r->start)
			hi = mid;
		else if (blk - r->start >= r->count)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}
