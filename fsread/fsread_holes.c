// SPDX-License-Identifier: MIT
/*
 * fsread_holes.c --- where a sparse source file has holes.
 *
 * Filesystem images kept in sparse files (the usual form of a bug
 * report's image, or a VM's disk) have holes where nothing was ever
 * written: a fresh journal, the tail of an inode table.  Those blocks
 * read as zeros; knowing it from SEEK_DATA/SEEK_HOLE saves reading them
 * (64 MB of a 4 GiB filesystem's journal, most of what a metadata
 * capture would read).  One segment is remembered: a hole up to the
 * next data, or DATA_WINDOW of data.  Not the data up to the next hole:
 * tmpfs finds that page by page (SEEK_HOLE at the start of a 250 MB
 * inode table walked all of it), so a hole that begins inside a window
 * is read like data, and the next window finds it.  Devices, other I/O
 * managers and filesystems that cannot tell: everything is data.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsread_int.h"

#define DATA_WINDOW (1ULL << 20)
/* Shorter reads outside the segment known are read, not looked up: a
 * block read as zeros costs what the lseek() costs, and a sparsely used
 * 1 PiB filesystem has a block every 2 GiB (786,000 lseeks were a
 * twentieth of its capture). */
#define LEARN_MIN_BYTES (64ULL << 10)

static void holes_start(struct fsread *r)
{
	struct fsread_holes *h = &r->holes;
	struct stat st;

	h->state = FSREAD_HOLES_OFF;
	if (r->opts.io_manager)
		return;
	h->fd = open(r->path, O_RDONLY | O_CLOEXEC);
	if (h->fd < 0)
		return;
	if (fstat(h->fd, &st) || !S_ISREG(st.st_mode)) {
		close(h->fd);
		h->fd = -1;
		return;
	}
	h->size = (uint64_t)st.st_size;
	h->state = FSREAD_HOLES_ON;
}

static void holes_give_up(struct fsread_holes *h)
{
	close(h->fd);
	h->fd = -1;
	h->state = FSREAD_HOLES_OFF;
}

/* Learn the segment holding byte @off. */
static bool holes_learn(struct fsread_holes *h, uint64_t off)
{
	off_t d;

	h->lo = off;
	if (off >= h->size) { /* past the end: reads say so themselves */
		h->hi = UINT64_MAX;
		h->hole = false;
		return true;
	}
	d = lseek(h->fd, (off_t)off, SEEK_DATA);
	if (d < 0 && errno == ENXIO) { /* a hole up to the end */
		h->hi = h->size;
		h->hole = true;
		return true;
	}
	if (d < 0)
		return false;
	if ((uint64_t)d > off) {
		h->hi = (uint64_t)d;
		h->hole = true;
		return true;
	}
	h->hi = off + DATA_WINDOW;
	h->hole = false;
	return true;
}

bool fsread_hole(struct fsread *r, uint64_t blk, uint64_t count, uint64_t *n)
{
	struct fsread_holes *h = &r->holes;
	uint64_t bs = r->fs->blocksize;
	uint64_t off = r->opts.offset + blk * bs, end, upto;

	*n = count;
	if (!count)
		return false;
	if (h->state == FSREAD_HOLES_UNKNOWN)
		holes_start(r);
	if (h->state != FSREAD_HOLES_ON)
		return false;
	end = off + count * bs;
	if (off < h->lo || off >= h->hi) {
		if (end - off < LEARN_MIN_BYTES)
			return false; /* read it */
		if (!holes_learn(h, off)) {
			holes_give_up(h);
			return false;
		}
	}
	upto = end < h->hi ? end : h->hi;
	if (h->hole && (upto - off) / bs) {
		*n = (upto - off) / bs;
		return true;
	}
	/* Data, or a hole smaller than the block: read it. */
	*n = h->hole ? 1 : (upto - off + bs - 1) / bs;
	return false;
}

void fsread_holes_close(struct fsread *r)
{
	if (r->holes.state == FSREAD_HOLES_ON)
		close(r->holes.fd);
	r->holes.state = FSREAD_HOLES_UNKNOWN;
}
