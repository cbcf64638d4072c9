/* SPDX-License-Identifier: MIT */
/*
 * progress.h --- a progress line on standard error: percent, MB/s and
 * time left, redrawn in place on a terminal and printed every few
 * seconds otherwise.
 */
#ifndef PROGRESS_H
#define PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
	bool enabled, tty;
	const char *label;
	uint64_t total, done;
	double start, last;
	bool bytes; /* show MB/s (else a plain count) */
	unsigned e2image_bs; /* e2image's lines, in blocks of this size */
	int drawn;	     /* ... and how many characters the last drew */
};

void progress_start(struct progress *p, bool enabled, const char *label,
		    uint64_t total, bool bytes);
void progress_update(struct progress *p, uint64_t done);
void progress_end(struct progress *p);
/*
 * progress_start_e2image() - e2image's -p lines instead, which GParted
 * parses: "Copying N / M blocks (P%)" redrawn once a second, then
 * "Copied N / M blocks (P%) in HH:MM:SS at R MB/s"; @total in bytes,
 * counted in blocks of @block_size.
 */
void progress_start_e2image(struct progress *p, bool enabled,
			    uint64_t total, unsigned block_size);

#endif
