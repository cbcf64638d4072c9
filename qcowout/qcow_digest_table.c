// SPDX-License-Identifier: MIT
/*
 * qcow_digest_table.c --- digest-keyed open addressing (see the header).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "qcow_digest.h"
#include "qcow_digest_table.h"

static bool in_use(const struct qcow_digest_table *t, const uint8_t *s)
{
	uint64_t v;

	memcpy(&v, s + t->used_at, sizeof(v));
	return v != 0;
}

void *qcow_digest_table_lookup(const struct qcow_digest_table *t,
			       const uint8_t *digest)
{
	uint64_t h;

	if (!t->cap)
		return NULL;
	memcpy(&h, digest, sizeof(h));
	for (uint64_t i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		uint8_t *s = t->slots + i * t->slot_size;

		if (!in_use(t, s) || !memcmp(s, digest, QCOW_DIGEST_LEN))
			return s;
	}
}

/*
 * Zeroed, and every page already written: a lookup would map calloc's
 * untouched pages to the shared zero page, and each later insert's
 * copy-on-write then interrupts every core to flush its TLB.  (malloc
 * and memset are no cure: the compiler makes the pair a calloc.)
 */
static uint8_t *alloc_written(size_t bytes)
{
	uint8_t *p = calloc(1, bytes);

	for (size_t i = 0; p && i < bytes; i += 4096)
		*(volatile uint8_t *)(p + i) = 0;
	return p;
}

errcode_t qcow_digest_table_reserve(struct qcow_digest_table *t)
{
	struct qcow_digest_table old = *t;

	if ((t->n + 1) * 2 <= t->cap)
		return 0;
	t->cap = old.cap ? old.cap * 2 : 1024;
	t->slots = alloc_written(t->cap * t->slot_size);
	if (!t->slots) {
		*t = old;
		return ENOMEM;
	}
	for (uint64_t i = 0; i < old.cap; i++) {
		const uint8_t *s = old.slots + i * t->slot_size;

		if (in_use(t, s))
			memcpy(qcow_digest_table_lookup(t, s), s, t->slot_size);
	}
	free(old.slots);
	return 0;
}

void qcow_digest_table_free(struct qcow_digest_table *t)
{
	free(t->slots);
	t->slots = NULL;
	t->cap = t->n = 0;
}
