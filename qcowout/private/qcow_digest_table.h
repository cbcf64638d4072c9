/* SPDX-License-Identifier: MIT */
/*
 * qcow_digest_table.h --- an open-addressed table keyed by digest, for
 * the writer's shared clusters and shared L2 tables.  Each slot begins
 * with its QCOW_DIGEST_LEN-byte key (a good hash already) and is empty
 * while its 64-bit field at used_at is 0.
 */
#ifndef QCOW_DIGEST_TABLE_H
#define QCOW_DIGEST_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include <et/com_err.h>

struct qcow_digest_table {
	uint8_t *slots;
	uint64_t cap, n; /* slots, and those in use */
	size_t slot_size, used_at;
};

/* The slot holding @digest, or the empty one where it would go; NULL
 * while the table has no slots. */
void *qcow_digest_table_lookup(const struct qcow_digest_table *t,
			       const uint8_t *digest);
/* Room for one more (the table is kept at most half full). */
errcode_t qcow_digest_table_reserve(struct qcow_digest_table *t);
void qcow_digest_table_free(struct qcow_digest_table *t);

#endif
