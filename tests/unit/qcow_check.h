/* SPDX-License-Identifier: MIT */
/*
 * qcow_check.h --- test-only checker of the images the writer produces:
 * maps guest clusters and verifies that every host cluster is
 * referenced exactly once and has refcount 1.  Deliberately written
 * apart from qcowout so that the writer is not checked by itself.
 */
#ifndef QCOW_CHECK_H
#define QCOW_CHECK_H

#include <stddef.h>
#include <stdint.h>

struct qcow_check {
	const uint8_t *img;
	size_t len;
	unsigned cluster_bits;
	uint64_t size;
	uint64_t l1_off, l1_size;
};

/* Parse and verify @img; returns a description of the first problem. */
const char *qcow_check_image(const uint8_t *img, size_t len,
			     struct qcow_check *out);
/* Read guest bytes [off, off+len) into @buf (unmapped reads as zero). */
const char *qcow_check_read(const struct qcow_check *c, uint64_t off,
			    uint8_t *buf, size_t len);
/* Number of guest clusters that are mapped. */
uint64_t qcow_check_mapped(const struct qcow_check *c);

#endif
