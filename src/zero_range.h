/* SPDX-License-Identifier: MIT */
/*
 * zero_range.h --- zeros on a used target without writing them: the
 * device's write-zeroes offload (unmap allowed), or holes in a file.
 */
#ifndef ZERO_RANGE_H
#define ZERO_RANGE_H

#include <stdbool.h>
#include <stdint.h>

#include <et/com_err.h>

struct zero_range {
	int fd;
	bool can; /* not known not to work */
};

/* Not an errno: the range was left for the caller to zero. */
#define ZERO_RANGE_UNSUPPORTED (-1L)

/* For @fd, a device or a file (-1: nothing can be done). */
void zero_range_init(struct zero_range *z, int fd);
/*
 * Make [@off, @off + @len) of the target read as zeros.  0, an errno,
 * or ZERO_RANGE_UNSUPPORTED: then nothing was done and the caller writes
 * the zeros (after reading, to spare what is zero already).
 */
errcode_t zero_range(struct zero_range *z, uint64_t off, uint64_t len);

#endif
