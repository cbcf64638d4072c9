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
	bool bytes;	     /* show MB/s (else a plain count) */
	unsigned e2image_bs; /* e2image's lines, in blocks of this size */
	int drawn;	     /* ... and how many characters the last drew */
};

void progress_start(struct progress *p, bool enabled, const char *label,
		    uint64_t total, bool bytes);
/*
 * --progress=json: from now on every progress line of this process is a
 * JSON object on a line of its own on standard error, at most one a
 * second and one when a phase ends:
 *   {"phase":"copying","done":N,"total":M,"unit":"bytes","percent":P,
 *    "rate":R,"eta":S,"final":false}
 * rate in units per second, eta in seconds (null while unknown).  Keys
 * are only ever added.
 */
void progress_use_json(void);
/* Parse "human" or "json" (NULL: human); false for anything else. */
bool progress_parse_format(const char *arg);
void progress_update(struct progress *p, uint64_t done);
void progress_end(struct progress *p);
/*
 * progress_start_e2image() - e2image's -p lines instead, which GParted
 * parses: "Copying N / M blocks (P%)" redrawn once a second, then
 * "Copied N / M blocks (P%) in HH:MM:SS at R MB/s"; @total in bytes,
 * counted in blocks of @block_size.
 */
void progress_start_e2image(struct progress *p, bool enabled, uint64_t total,
			    unsigned block_size);

#endif
