// SPDX-License-Identifier: MIT
/*
 * fsread_scrub_names.c --- the names of one directory while it is
 * scrubbed: which replacement each original name got (the same name
 * twice, as in a damaged directory, gets the same replacement, so e2fsck
 * still sees the duplicate), which replacements are taken, and the
 * generator they come from.
 *
 * Replacements come from a counter run through a mixing function seeded
 * by the directory's inode number: nothing of the original name goes in,
 * so nothing of it can be recovered, and the same filesystem scrubs to
 * the same image every time.
 */
#include <stdlib.h>
#include <string.h>

#include "fsread_scrub_int.h"

struct name_slot {
	uint8_t *orig; /* NULL: only reserved (used, no mapping) */
	uint8_t *repl;
	uint32_t len;
	uint32_t hash;
};

/* Names' bytes, in chunks that never move (one malloc per many names). */
#define ARENA_CHUNK 16384U

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	uint8_t data[];
};

/* Two open-addressing tables: originals, and replacements in use. */
struct scrub_names {
	struct name_slot *by_orig, *by_repl;
	size_t cap, n;
	struct arena_chunk *arena;
};

static uint32_t fnv1a(const uint8_t *p, size_t len)
{
	uint32_t h = 2166136261U;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619U;
	return h;
}

struct scrub_names *fsread_scrub_names_new(void)
{
	struct scrub_names *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->cap = 16;
	n->by_orig = calloc(n->cap, sizeof(*n->by_orig));
	n->by_repl = calloc(n->cap, sizeof(*n->by_repl));
	if (!n->by_orig || !n->by_repl) {
		fsread_scrub_names_free(n);
		return NULL;
	}
	return n;
}

void fsread_scrub_names_free(struct scrub_names *n)
{
	if (!n)
		return;
	while (n->arena) {
		struct arena_chunk *next = n->arena->next;

		free(n->arena);
		n->arena = next;
	}
	free(n->by_orig);
	free(n->by_repl);
	free(n);
}

/* The slot holding @key (by @orig or by repl), or the empty one for it. */
static struct name_slot *find(struct name_slot *t, size_t cap, bool orig,
			      const uint8_t *key, size_t len, uint32_t h)
{
	for (size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
		struct name_slot *s = &t[i];
		const uint8_t *k = orig ? s->orig : s->repl;

		if (!k)
			return s;
		if (s->hash == h && s->len == len && !memcmp(k, key, len))
			return s;
	}
}

static bool grow(struct scrub_names *n)
{
	size_t cap = n->cap * 4; /* big directories: fewer rehashes */
	struct name_slot *o = calloc(cap, sizeof(*o));
	struct name_slot *r = calloc(cap, sizeof(*r));

	if (!o || !r) {
		free(o);
		free(r);
		return false;
	}
	for (size_t i = 0; i < n->cap; i++) {
		struct name_slot *s = &n->by_orig[i];

		if (s->orig)
			*find(o, cap, true, s->orig, s->len, s->hash) = *s;
		s = &n->by_repl[i];
		if (s->repl)
			*find(r, cap, false, s->repl, s->len, s->hash) = *s;
	}
	free(n->by_orig);
	free(n->by_repl);
	n->by_orig = o;
	n->by_repl = r;
	n->cap = cap;
	return true;
}

const uint8_t *fsread_scrub_names_lookup(struct scrub_names *n,
					 const uint8_t *name, size_t len)
{
	struct name_slot *s =
		find(n->by_orig, n->cap, true, name, len, fnv1a(name, len));

	return s->orig ? s->repl : NULL;
}

bool fsread_scrub_names_used(struct scrub_names *n, const uint8_t *name,
			     size_t len)
{
	return find(n->by_repl, n->cap, false, name, len, fnv1a(name, len))
		       ->repl != NULL;
}

static uint8_t *dup_bytes(struct scrub_names *n, const uint8_t *p, size_t len)
{
	struct arena_chunk *c = n->arena;
	uint8_t *d;

	if (!c || c->cap - c->used < len + 1) {
		size_t cap = len + 1 > ARENA_CHUNK ? len + 1 : ARENA_CHUNK;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = n->arena;
		c->used = 0;
		c->cap = cap;
		n->arena = c;
	}
	d = c->data + c->used;
	c->used += len ? len : 1;
	memcpy(d, p, len);
	return d;
}

static bool add(struct scrub_names *n, const uint8_t *name, const uint8_t *repl,
		size_t len)
{
	struct name_slot *s;
	uint32_t h;

	if ((n->n + 1) * 2 > n->cap && !grow(n))
		return false;
	h = fnv1a(repl, len);
	s = find(n->by_repl, n->cap, false, repl, len, h);
	if (!s->repl) {
		s->repl = dup_bytes(n, repl, len);
		if (!s->repl)
			return false;
		s->len = (uint32_t)len;
		s->hash = h;
	}
	if (name) {
		h = fnv1a(name, len);
		s = find(n->by_orig, n->cap, true, name, len, h);
		if (!s->orig) {
			/* The replacement's bytes live in by_repl's slot. */
			s->orig = dup_bytes(n, name, len);
			if (!s->orig)
				return false;
			s->repl = find(n->by_repl, n->cap, false, repl, len,
				       fnv1a(repl, len))
					  ->repl;
			s->len = (uint32_t)len;
			s->hash = h;
		}
	}
	n->n++;
	return true;
}

bool fsread_scrub_names_add(struct scrub_names *n, const uint8_t *name,
			    const uint8_t *repl, size_t len)
{
	return add(n, name, repl, len);
}

bool fsread_scrub_names_reserve(struct scrub_names *n, const uint8_t *name,
				size_t len)
{
	return add(n, NULL, name, len);
}

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/*
 * Lower case and digits are the same under every casefolding, so names
 * stay distinct in casefolded directories too; @wide adds characters for
 * when a short length runs out of those.
 */
void fsread_scrub_gen_chars(uint64_t seed, uint64_t *counter, uint8_t *out,
			    size_t len, bool wide)
{
	static const char narrow_set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	static const char wide_set[] = "abcdefghijklmnopqrstuvwxyz0123456789"
				       "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-+=~,@%#";
	const char *set = wide ? wide_set : narrow_set;
	size_t base = wide ? sizeof(wide_set) - 1 : sizeof(narrow_set) - 1;
	uint64_t x = 0;

	for (size_t i = 0; i < len; i++) {
		if (i % 8 == 0)
			x = mix64(seed * 0x100000001b3ULL ^
				  mix64((*counter)++));
		out[i] = (uint8_t)set[x % base];
		x /= base;
	}
}
