// SPDX-License-Identifier: MIT
/*
 * progress.c --- the -p progress line.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

static bool json;

void progress_use_json(void)
{
	json = true;
}

bool progress_parse_format(const char *arg)
{
	if (!arg || !strcmp(arg, "human"))
		return true;
	if (!strcmp(arg, "json")) {
		progress_use_json();
		return true;
	}
	return false;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One JSON line (see progress.h). */
static void draw_json(const struct progress *p, double t, bool final)
{
	double elapsed = t - p->start;
	double rate = elapsed > 0 ? (double)p->done / elapsed : 0;
	double pct =
		p->total ? 100.0 * (double)p->done / (double)p->total : 100.0;

	fprintf(stderr,
		"{\"phase\":\"%s\",\"done\":%llu,\"total\":%llu,"
		"\"unit\":\"%s\",\"percent\":%.1f,\"rate\":%.0f,\"eta\":",
		p->label, (unsigned long long)p->done,
		(unsigned long long)p->total, p->bytes ? "bytes" : "items", pct,
		rate);
	if (final)
		fputs("0", stderr);
	else if (rate > 0)
		fprintf(stderr, "%.1f", (double)(p->total - p->done) / rate);
	else
		fputs("null", stderr);
	fprintf(stderr, ",\"final\":%s}\n", final ? "true" : "false");
	fflush(stderr);
}

static void draw(struct progress *p, double t, bool final)
{
	if (json) {
		draw_json(p, t, final);
		return;
	}
	double elapsed = t - p->start;
	double pct =
		p->total ? 100.0 * (double)p->done / (double)p->total : 100.0;
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
	p->e2image_bs = 0;
	p->drawn = 0;
	p->start = p->last = now();
}

static int e2image_percent(uint64_t done, uint64_t total)
{
	return total ? (int)(100.0 * (double)done / (double)total + 0.5) : 100;
}

/* "N / M blocks (P%)", e2image's words; how many characters. */
static int draw_e2image(const struct progress *p)
{
	uint64_t done = p->done / p->e2image_bs;
	uint64_t total = p->total / p->e2image_bs;

	return fprintf(stderr, "%llu / %llu blocks (%d%%)",
		       (unsigned long long)done, (unsigned long long)total,
		       e2image_percent(done, total));
}

void progress_start_e2image(struct progress *p, bool enabled, uint64_t total,
			    unsigned block_size)
{
	progress_start(p, enabled, "copying", total, true);
	p->e2image_bs = block_size ? block_size : 1;
	if (!enabled)
		return;
	fputs("Copying ", stderr);
	p->drawn = draw_e2image(p);
	fflush(stderr);
}

static void update_e2image(struct progress *p, double t)
{
	if (t - p->last < 1.0)
		return;
	p->last = t;
	while (p->drawn-- > 0)
		fputc('\b', stderr);
	p->drawn = draw_e2image(p);
	fflush(stderr);
}

static void end_e2image(struct progress *p)
{
	double secs = now() - p->start;
	uint64_t done = p->done / p->e2image_bs;
	uint64_t total = p->total / p->e2image_bs;
	unsigned s = (unsigned)secs;

	fprintf(stderr, "\rCopied %llu / %llu blocks (%d%%) in %02u:%02u:%02u ",
		(unsigned long long)done, (unsigned long long)total,
		e2image_percent(done, total), s / 3600, s / 60 % 60, s % 60);
	if (s)
		fprintf(stderr, "at %.2f MB/s",
			(double)p->done / (1024.0 * 1024.0) / secs);
	fputs("       \n", stderr);
	fflush(stderr);
}

void progress_update(struct progress *p, uint64_t done)
{
	double t;

	p->done = done > p->total ? p->total : done;
	if (!p->enabled)
		return;
	t = now();
	if (p->e2image_bs) {
		update_e2image(p, t);
		return;
	}
	if (t - p->last < (json ? 1.0 : p->tty ? 0.25 : 5.0))
		return;
	p->last = t;
	draw(p, t, false);
}

void progress_end(struct progress *p)
{
	if (p->enabled && p->e2image_bs)
		end_e2image(p);
	else if (p->enabled)
		draw(p, now(), true);
	p->enabled = false;
}
