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
};

void progress_start(struct progress *p, bool enabled, const char *label,
		    uint64_t total, bool bytes);
void progress_update(struct progress *p, uint64_t done);
void progress_end(struct progress *p);

#endif
