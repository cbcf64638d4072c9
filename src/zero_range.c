// SPDX-License-Identifier: MIT
/*
 * zero_range.c --- make a range of a used target read as zeros at the
 * cost of the range's size in requests, not in bytes written.
 *
 * Both a regular file and a block device are asked to punch the range
 * out: a file gets a hole; a device is sent write-zeroes requests with
 * unmapping allowed (SCSI WRITE SAME, NVMe Write Zeroes, a loop device
 * punching its backing file, dm...), which guarantee zeros afterwards.
 * The kernel does this only where the device itself can (never by
 * writing zero pages for us, which on a loop device over tmpfs would
 * fill memory), and says EOPNOTSUPP otherwise: then, and only then, the
 * caller reads and writes zeros itself.  BLKDISCARD is never used, since
 * few devices promise zeros after it.
 */
#include <errno.h>
#include <fcntl.h>

#include "zero_range.h"

/* Requests of this size at most: each is one call, interruptible
 * between them. */
#define ZERO_STEP (1ULL << 30)

void zero_range_init(struct zero_range *z, int fd)
{
	z->fd = fd;
	z->can = fd >= 0;
}

errcode_t zero_range(struct zero_range *z, uint64_t off, uint64_t len)
{
	/* Devices take whole sectors. */
	if (!z->can || ((off | len) & 511))
		return ZERO_RANGE_UNSUPPORTED;
	while (len) {
		uint64_t n = len < ZERO_STEP ? len : ZERO_STEP;

		if (fallocate(z->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      (off_t)off, (off_t)n) < 0) {
			/* Not here (no offload, a filesystem without holes):
			 * the caller writes zeros, from now on. */
			if (errno == EOPNOTSUPP || errno == ENOSYS ||
			    errno == EINVAL || errno == ENODEV) {
				z->can = false;
				return ZERO_RANGE_UNSUPPORTED;
			}
			return errno;
		}
		off += n;
		len -= n;
	}
	return 0;
}
