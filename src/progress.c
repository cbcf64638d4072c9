// SPDX-License-Identifier: MIT
/*
 * progress.c --- the -p progress line.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void draw(struct progress *p, double t, bool final)
{
	double elapsed = t - p->start;
	double pct = p->total ? 100.0 * (double)p->done / (double)p->total
			      : 100.0;
	double rate = elapsed > 0 ? (double)p->done / elapsed : 0;
	double left = rate > 0 ? (double)(p->total - p->done) / rate : 0;

	if (p->bytes)
		fprintf(stderr, "%s%s: %5.1f%%  %7.1f MB/s  %s %4.0fs",
			p->tty ? "\r" : "", p->label, pct, rate / 1e6,
			final ? "took" : "left", final ? elapsed : left);
	else
		fprintf(stderr, "%s%s: %5.1f%%  %s %4.0fs", p->tty ? "\r" : "",
			p->label, pct, final ? "took" : "left",
			final ? elapsed : left);
	fputs(p->tty && !final ? "\033[K" : "\n", stderr);
	fflush(stderr);
}

void progress_start(struct progress *p, bool enabled, const char *label,
		    uint64_t total, bool bytes)
{
	p->enabled = enabled;
	p->tty = isatty(STDERR_FILENO);
	p->label = label;
	p->total = total;
	p->done = 0;
	p->bytes = bytes;
	p->start = p->last = now();
}

void progress_update(struct progress *p, uint64_t done)
{
	double t;

	p->done = done > p->total ? p->total : done;
	if (!p->enabled)
		return;
	t = now();
	if (t - p->last < (p->tty ? 0.25 : 5.0))
		return;
	p->last = t;
	draw(p, t, false);
}

void progress_end(struct progress *p)
{
	if (p->enabled)
		draw(p, now(), true);
	p->enabled = false;
}
