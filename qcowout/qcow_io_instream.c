// SPDX-License-Identifier: MIT
/*
 * qcow_io_instream.c --- an image read from a pipe, as if it were a file.
 *
 * Reads at any offset are served from a window of the most recent input
 * (a ring buffer); a read ahead of the input pulls more in.  Input that
 * leaves the window before anything read it goes to a temporary file, at
 * its own offset, so a reader that jumps ahead (an image whose tables
 * come after the data they map) still finds it; input that was read goes
 * nowhere, unless keep_all.  Reading it again then fails with
 * QCOW_ERR_STREAM_GONE: the caller knows where it put those bytes.
 * Which bytes were read is kept per 512-byte unit, whole units only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qcow_err.h"
#include "qcow_format.h"
#include "qcow_io.h"

#define UNIT 512U
/* Input is pulled in pieces of at most this much. */
#define PULL_BYTES (1U << 20)

struct spill_run {
	uint64_t start, end;
};

struct instream_io {
	struct qcow_io io; /* first: the ops table is cast back to us */
	int in;
	uint8_t *ring;
	size_t cap;	  /* bytes, a multiple of UNIT */
	uint8_t *seen;	  /* a bit per unit of the ring */
	uint64_t pos;	  /* input consumed so far */
	uint64_t ring_lo; /* the ring holds [ring_lo, pos); unit-aligned */
	bool eof, keep_all;
	char *spill_dir;
	int spill_fd;
	struct spill_run *runs; /* in the spill file, increasing */
	size_t nruns, runs_cap;
	uint64_t spilled;
	errcode_t spill_err; /* the temporary file failed */
	uint64_t forgot;     /* input below is not needed (forget) */
};

static struct instream_io *as_in(struct qcow_io *io)
{
	return (struct instream_io *)io;
}

static size_t slot(const struct instream_io *s, uint64_t off)
{
	return (size_t)(off % s->cap);
}

static bool unit_seen(const struct instream_io *s, uint64_t off)
{
	size_t u = slot(s, off) / UNIT;

	return s->seen[u / 8] & (1U << (u % 8));
}

static void set_seen(struct instream_io *s, uint64_t off, bool on)
{
	size_t u = slot(s, off) / UNIT;

	if (on)
		s->seen[u / 8] |= (uint8_t)(1U << (u % 8));
	else
		s->seen[u / 8] &= (uint8_t) ~(1U << (u % 8));
}

static errcode_t open_spill(struct instream_io *s)
{
	s->spill_fd = open(s->spill_dir ? s->spill_dir : "/tmp",
			   O_TMPFILE | O_RDWR, 0600);
	return s->spill_fd < 0 ? errno : 0;
}

static errcode_t note_run(struct instream_io *s, uint64_t start, uint64_t end)
{
	if (s->nruns && s->runs[s->nruns - 1].end == start) {
		s->runs[s->nruns - 1].end = end;
		return 0;
	}
	if (s->nruns == s->runs_cap) {
		size_t cap = s->runs_cap ? 2 * s->runs_cap : 64;
		struct spill_run *p = realloc(s->runs, cap * sizeof(*p));

		if (!p)
			return ENOMEM;
		s->runs = p;
		s->runs_cap = cap;
	}
	s->runs[s->nruns++] = (struct spill_run){ start, end };
	return 0;
}

/* Bytes [@start, @end) of the ring (no wrap inside) to the spill file. */
static errcode_t spill(struct instream_io *s, uint64_t start, uint64_t end)
{
	const uint8_t *p = s->ring + slot(s, start);
	uint64_t off = start;
	errcode_t err;

	if (s->spill_err)
		return s->spill_err;
	if (s->spill_fd < 0) {
		err = s->spill_err = open_spill(s);
		if (err)
			return err;
	}
	while (off < end) {
		ssize_t n =
			pwrite(s->spill_fd, p, (size_t)(end - off), (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return s->spill_err = n < 0 ? errno : ENOSPC;
		p += n;
		off += (uint64_t)n;
	}
	s->spilled += end - start;
	return note_run(s, start, end);
}

/* Must the unit at @off be kept when it leaves the window? */
static bool needed(const struct instream_io *s, uint64_t off)
{
	return s->keep_all || (off >= s->forgot && !unit_seen(s, off));
}

/* Give up the ring's oldest units until [ring_lo, @to) is gone. */
static errcode_t evict(struct instream_io *s, uint64_t to)
{
	while (s->ring_lo < to) {
		uint64_t start = s->ring_lo, end = start;
		bool keep = needed(s, start);

		/* A stretch of units treated alike, not wrapping. */
		while (end < to && (end == start || slot(s, end) != 0) &&
		       needed(s, end) == keep) {
			set_seen(s, end, false);
			end += UNIT;
		}
		if (keep) {
			errcode_t err =
				spill(s, start, end < s->pos ? end : s->pos);

			if (err)
				return err;
		}
		s->ring_lo = end;
	}
	return 0;
}

/* Read more input, up to PULL_BYTES; sets eof at its end. */
static errcode_t pull(struct instream_io *s)
{
	size_t at = slot(s, s->pos), n = s->cap - at;
	ssize_t got;
	errcode_t err;

	if (n > PULL_BYTES)
		n = PULL_BYTES;
	if (s->pos + n - s->ring_lo > s->cap) {
		uint64_t to = s->pos + n - s->cap;

		err = evict(s, (to + UNIT - 1) / UNIT * UNIT);
		if (err)
			return err;
	}
	do
		got = read(s->in, s->ring + at, n);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return errno;
	if (got == 0)
		s->eof = true;
	s->pos += (uint64_t)got;
	return 0;
}

/* Mark the whole units of [@a, @b) inside the request [@lo, @hi) read. */
static void mark_read(struct instream_io *s, uint64_t a, uint64_t b,
		      uint64_t lo, uint64_t hi)
{
	uint64_t u = (a > lo ? a : lo) + UNIT - 1;

	for (u -= u % UNIT; u + UNIT <= b && u + UNIT <= hi; u += UNIT)
		set_seen(s, u, true);
}

/* Copy ring bytes [@a, @b) out, across the wrap. */
static void copy_out(const struct instream_io *s, uint8_t *dst, uint64_t a,
		     uint64_t b)
{
	while (a < b) {
		size_t at = slot(s, a), n = s->cap - at;

		if (n > b - a)
			n = (size_t)(b - a);
		memcpy(dst, s->ring + at, n);
		dst += n;
		a += n;
	}
}

static const struct spill_run *find_run(const struct instream_io *s,
					uint64_t off)
{
	size_t lo = 0, hi = s->nruns;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->runs[mid].end <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->nruns && s->runs[lo].start <= off ? &s->runs[lo] : NULL;
}

static errcode_t read_spilled(struct instream_io *s, uint8_t *dst, uint64_t a,
			      uint64_t b)
{
	while (a < b) {
		ssize_t n = pread(s->spill_fd, dst, (size_t)(b - a), (off_t)a);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : QCOW_ERR_TRUNCATED;
		dst += n;
		a += (uint64_t)n;
	}
	return 0;
}

static errcode_t instream_pread(struct qcow_io *io, void *buf, size_t len,
				uint64_t off)
{
	struct instream_io *s = as_in(io);
	uint8_t *dst = buf;
	uint64_t a = off, end = off + len;
	errcode_t err;

	while (a < end) {
		uint64_t b;

		if (a >= s->pos) {
			if (s->eof) {
				/* A compressed cluster's last sector may
				 * run past the end of the file, as on disk;
				 * anything more is missing. */
				if (a == off || end - a >= UNIT)
					return QCOW_ERR_TRUNCATED;
				memset(dst + (a - off), 0, (size_t)(end - a));
				return 0;
			}
			err = pull(s);
			if (err)
				return err;
			continue;
		}
		if (a >= s->ring_lo) {
			b = end < s->pos ? end : s->pos;
			copy_out(s, dst + (a - off), a, b);
		} else {
			const struct spill_run *r = find_run(s, a);

			if (!r)
				return QCOW_ERR_STREAM_GONE;
			b = end < r->end ? end : r->end;
			err = read_spilled(s, dst + (a - off), a, b);
			if (err)
				return err;
		}
		a = b;
	}
	/* Once the whole request is in: input may come in any pieces. */
	mark_read(s, off > s->ring_lo ? off : s->ring_lo, end, off, end);
	return 0;
}

static errcode_t instream_pwrite(struct qcow_io *io, const void *buf,
				 size_t len, uint64_t off)
{
	(void)io;
	(void)buf;
	(void)len;
	(void)off;
	return EBADF;
}

static errcode_t instream_set_size(struct qcow_io *io, uint64_t size)
{
	(void)io;
	(void)size;
	return EBADF;
}

/* Unknown until the end: as large as any image may be. */
static errcode_t instream_get_size(struct qcow_io *io, uint64_t *size)
{
	(void)io;
	*size = QCOW2_MAX_HOST_OFFSET;
	return 0;
}

static errcode_t instream_sync(struct qcow_io *io)
{
	(void)io;
	return 0;
}

static void instream_destroy(struct qcow_io *io)
{
	struct instream_io *s = as_in(io);

	if (s->spill_fd >= 0)
		close(s->spill_fd);
	free(s->spill_dir);
	free(s->runs);
	free(s->seen);
	free(s->ring);
	free(s);
}

static size_t round_window(size_t window)
{
	window = (window + UNIT - 1) / UNIT * UNIT;
	return window < 2 * PULL_BYTES ? 2 * PULL_BYTES : window;
}

errcode_t qcow_io_instream_create(int fd, size_t window, const char *spill_dir,
				  bool keep_all, struct qcow_io **out)
{
	struct instream_io *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return ENOMEM;
	s->in = fd;
	s->spill_fd = -1;
	s->keep_all = keep_all;
	s->cap = round_window(window);
	s->ring = malloc(s->cap);
	s->seen = calloc(1, s->cap / UNIT / 8 + 1);
	s->spill_dir = spill_dir ? strdup(spill_dir) : NULL;
	if (!s->ring || !s->seen || (spill_dir && !s->spill_dir)) {
		instream_destroy(&s->io);
		return ENOMEM;
	}
	s->io.pread = instream_pread;
	s->io.pwrite = instream_pwrite;
	s->io.set_size = instream_set_size;
	s->io.get_size = instream_get_size;
	s->io.sync = instream_sync;
	s->io.destroy = instream_destroy;
	s->io.fd = fd;
	/* A pipe's default 64 KiB means a wake-up per 64 KiB: ask for more
	 * (an unprivileged process gets up to pipe-max-size, 1 MiB). */
	(void)fcntl(fd, F_SETPIPE_SZ, (int)PULL_BYTES);
	*out = &s->io;
	return 0;
}

errcode_t qcow_io_instream_set_window(struct qcow_io *io, size_t window)
{
	struct instream_io *s = as_in(io);
	uint8_t *ring, *seen;

	window = round_window(window);
	/* Only while the input still sits where it landed. */
	if (s->ring_lo || s->pos > window || s->pos > s->cap)
		return EBUSY;
	ring = realloc(s->ring, window);
	if (!ring)
		return ENOMEM;
	s->ring = ring;
	seen = calloc(1, window / UNIT / 8 + 1);
	if (!seen)
		return ENOMEM;
	memcpy(seen, s->seen,
	       (window < s->cap ? window : s->cap) / UNIT / 8 + 1);
	free(s->seen);
	s->seen = seen;
	s->cap = window;
	return 0;
}

void qcow_io_instream_forget(struct qcow_io *io, uint64_t below)
{
	struct instream_io *s = as_in(io);

	below -= below % UNIT;
	if (below > s->forgot)
		s->forgot = below;
}

void qcow_io_instream_keep_all(struct qcow_io *io, bool keep_all)
{
	as_in(io)->keep_all = keep_all;
}

errcode_t qcow_io_instream_drain(struct qcow_io *io)
{
	struct instream_io *s = as_in(io);
	static uint8_t sink[1U << 16];

	while (!s->eof) {
		ssize_t got = read(s->in, sink, sizeof(sink));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return errno;
		s->eof = got == 0;
		s->pos += (uint64_t)got;
	}
	return 0;
}

void qcow_io_instream_stats(const struct qcow_io *io, uint64_t *consumed,
			    uint64_t *spilled, errcode_t *spill_err)
{
	const struct instream_io *s = (const struct instream_io *)io;

	*consumed = s->pos;
	*spilled = s->spilled;
	*spill_err = s->spill_err;
}
