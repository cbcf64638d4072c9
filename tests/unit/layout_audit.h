/* SPDX-License-Identifier: MIT */
/*
 * layout_audit.h --- test-only checker of the images the writer produces:
 * maps guest clusters and verifies that every host cluster is
 * referenced exactly once and has refcount 1, but data clusters the
 * writer's dedup shares: their refcount is their number of references,
 * and only a cluster referenced once is marked OFLAG_COPIED.  Deliberately
 * written apart from qcowout so that the writer is not checked by itself.
 */
#ifndef LAYOUT_AUDIT_H
#define LAYOUT_AUDIT_H

#include <stddef.h>
#include <stdint.h>

struct audit {
	const uint8_t *img;
	size_t len;
	unsigned cluster_bits;
	uint64_t size;
	uint64_t l1_off, l1_size;
};

/* Parse and verify @img; returns a description of the first problem. */
const char *audit_image(const uint8_t *img, size_t len, struct audit *out);
/* Read guest bytes [off, off+len) into @buf (unmapped reads as zero). */
const char *audit_read(const struct audit *c, uint64_t off, uint8_t *buf,
		       size_t len);
/* Number of guest clusters that are mapped. */
uint64_t audit_mapped(const struct audit *c);

#endif
