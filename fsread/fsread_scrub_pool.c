// SPDX-License-Identifier: MIT
/*
 * fsread_scrub_pool.c --- names for big hash-indexed directories.
 *
 * Drawing a name until its hash falls in one leaf's range costs about as
 * many hashes as the directory has leaves, for every name: quadratic in
 * the directory's size (a 47,000-entry directory took 14 s).  Instead,
 * each directory keeps, per name length, a pool of generated names
 * sorted by hash; a name for a leaf is the first unused one in the
 * leaf's range, found by binary search, and the pool doubles when a
 * range runs dry.  About two candidates are hashed per name.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fsread_scrub_int.h"

/* Candidates a pool may grow to before a range counts as a miss. */
#define POOL_MAX (1U << 21)
#define POOL_FIRST 256U

struct pool_cand {
	uint32_t hash;
	uint32_t idx; /* into names; UINT32_MAX once taken */
};

struct scrub_pool {
	size_t len;
	size_t n;
	struct pool_cand *c; /* sorted by hash */
	uint8_t *names;	     /* n * len bytes */
	uint64_t counter;
	struct scrub_pool *next;
};

static int cmp_cand(const void *a, const void *b)
{
	const struct pool_cand *x = a, *y = b;

	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

void fsread_scrub_pools_free(struct scrub_pool *p)
{
	while (p) {
		struct scrub_pool *next = p->next;

		free(p->c);
		free(p->names);
		free(p);
		p = next;
	}
}

/* Double the pool (or start it): new names, hashed, merged in order. */
static bool grow(struct fsread_scrub *s, struct dir_state *d,
		 struct scrub_pool *p)
{
	size_t add = p->n ? p->n : POOL_FIRST, n = p->n + add;
	struct pool_cand *c = realloc(p->c, n * sizeof(*c));
	uint8_t *names;

	if (!c)
		return false;
	p->c = c;
	names = realloc(p->names, n * p->len);
	if (!names)
		return false;
	p->names = names;
	for (size_t i = p->n; i < n; i++) {
		uint8_t *name = names + i * p->len;

		fsread_scrub_gen_chars(d->ino ^ 0x6a09e667U, &p->counter, name,
				       p->len, false);
		c[i].hash = fsread_scrub_name_hash(s, d, name, p->len);
		c[i].idx = (uint32_t)i;
	}
	qsort(c + p->n, add, sizeof(*c), cmp_cand);
	/* Merge the sorted new half into the sorted old one. */
	{
		struct pool_cand *m = malloc(n * sizeof(*m));
		size_t i = 0, j = p->n, k = 0;

		if (!m)
			return false;
		while (i < p->n || j < n)
			m[k++] =
				(j == n || (i < p->n && c[i].hash <= c[j].hash))
					? c[i++]
					: c[j++];
		memcpy(c, m, n * sizeof(*m));
		free(m);
	}
	p->n = n;
	return true;
}

static struct scrub_pool *pool_for(struct dir_state *d, size_t len)
{
	struct scrub_pool *p;

	for (p = d->pools; p; p = p->next)
		if (p->len == len)
			return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->len = len;
	p->next = d->pools;
	d->pools = p;
	return p;
}

/* First candidate with hash >= @h. */
static size_t lower_bound(const struct scrub_pool *p, uint32_t h)
{
	size_t lo = 0, hi = p->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->c[mid].hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* An unused name hashing into [@lo, @hi]; false if the pool has none. */
static bool take(struct dir_state *d, struct scrub_pool *p, uint32_t lo,
		 uint32_t hi, uint8_t *out)
{
	for (size_t i = lower_bound(p, lo); i < p->n && p->c[i].hash <= hi;
	     i++) {
		const uint8_t *name;

		if (p->c[i].idx == UINT32_MAX)
			continue;
		name = p->names + (size_t)p->c[i].idx * p->len;
		p->c[i].idx = UINT32_MAX;
		if ((p->len <= 2 && name[0] == '.' &&
		     (p->len == 1 || name[1] == '.')) ||
		    fsread_scrub_names_used(d->names, name, p->len))
			continue;
		memcpy(out, name, p->len);
		return true;
	}
	return false;
}

bool fsread_scrub_pool_draw(struct fsread_scrub *s, struct dir_state *d,
			    uint32_t lo, uint32_t hi, uint8_t *out, size_t len)
{
	struct scrub_pool *p = pool_for(d, len);

	if (!p) {
		s->fatal = ENOMEM;
		return false;
	}
	while (!take(d, p, lo, hi, out)) {
		if (p->n >= POOL_MAX)
			return false;
		if (!grow(s, d, p)) {
			s->fatal = ENOMEM;
			return false;
		}
	}
	return true;
}
