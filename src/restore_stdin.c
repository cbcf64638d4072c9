// SPDX-License-Identifier: MIT
/*
 * restore_stdin.c --- an image on standard input, restored in one pass
 * (see restore_stdin.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "output.h"
#include "qcow_endian.h"
#include "qcow_err.h"
#include "restore_stdin.h"

/* The window: an L2 range of data (cluster_size^2 / 8) and the tables
 * queued after it, within these bounds. */
#define WINDOW_MIN (8ULL << 20)
#define WINDOW_MAX (256ULL << 20)

/* Where input that leaves the window unread is kept: beside a file
 * target, else in $TMPDIR (a device, standard output). */
static char *spill_dir(const char *target)
{
	const char *tmp = getenv("TMPDIR");
	struct stat st;

	if (strcmp(target, "-") && (stat(target, &st) || S_ISREG(st.st_mode)))
		return output_dir_of(target);
	return strdup(tmp && *tmp ? tmp : "/tmp");
}

/* One L2 range of data (cluster_size^2 / 8) and the tables queued after
 * it, within bounds; and the L1 table, read before any data. */
static size_t window_for(unsigned bits, uint64_t l1_bytes)
{
	uint64_t cs = 1ULL << bits, w = (cs * cs >> 3) + 64 * cs;
	const char *env = getenv("E2QCOW_STDIN_WINDOW"); /* tests */

	if (env && *env)
		return (size_t)strtoull(env, NULL, 0);
	w = w < WINDOW_MIN ? WINDOW_MIN : w > WINDOW_MAX ? WINDOW_MAX : w;
	return (size_t)(w + l1_bytes);
}

/* Size the window by what the header says. */
static errcode_t size_window(struct stdin_image *in)
{
	uint8_t head[QCOW2_HDR_OFF_L1_OFFSET];
	uint64_t l1_bytes;
	unsigned bits;
	errcode_t err = in->io->pread(in->io, head, sizeof(head), 0);

	if (err)
		return err == QCOW_ERR_TRUNCATED ? QCOW_ERR_BAD_MAGIC : err;
	bits = qcow_load_be32(head + QCOW2_HDR_OFF_CLUSTER_BITS);
	l1_bytes = (uint64_t)qcow_load_be32(head + QCOW2_HDR_OFF_L1_SIZE) * 8;
	if (bits < QCOW2_MIN_CLUSTER_BITS || bits > QCOW2_MAX_CLUSTER_BITS ||
	    l1_bytes > QCOW2_MAX_L1_BYTES)
		return 0; /* the reader says what is wrong */
	in->window = window_for(bits, l1_bytes);
	return qcow_io_instream_set_window(in->io, in->window);
}

static errcode_t refuse_named_files(struct qcow_reader *r)
{
	struct qcow_reader_info info;

	qcow_reader_get_info(r, &info);
	if (!info.backing_file && !info.data_file)
		return 0;
	fprintf(stderr,
		"e2qcow: the image on standard input has a %s file ('%s'), "
		"named relative to where the image lies: restore it from a "
		"file\n",
		info.backing_file ? "backing" : "data",
		info.backing_file ? info.backing_file : info.data_file);
	return QCOW_ERR_BAD_BACKING;
}

errcode_t restore_stdin_open(const struct restore_opts *o,
			     const struct qcow_reader_opts *ro,
			     struct stdin_image *in)
{
	struct qcow_reader_opts bare = *ro;
	struct qcow_reader_info info;
	char *dir = spill_dir(o->target);
	errcode_t err;

	memset(in, 0, sizeof(*in));
	in->spill_dir = dir;
	in->window = WINDOW_MIN;
	in->fetch_back = strcmp(o->target, "-") != 0;
	err = dir ? qcow_io_instream_create(STDIN_FILENO, in->window, dir,
					    false, &in->io)
		  : ENOMEM;
	if (!err)
		err = size_window(in);
	bare.no_backing = true;
	if (!err)
		err = qcow_reader_open_io(in->io, &bare, &in->r);
	if (err && !(in->io && restore_stdin_explain(in, err))) {
		struct qcow_open_error e = { .file = "standard input" };

		cli_report_open_error("standard input", err, &e);
	}
	if (err) {
		restore_stdin_close(in);
		return err;
	}
	err = refuse_named_files(in->r);
	if (err) {
		restore_stdin_close(in);
		return err;
	}
	qcow_reader_get_info(in->r, &info);
	in->cluster_bits = info.hdr.cluster_bits;
	/* Standard output cannot be read back: a shared cluster must still
	 * be at hand when met again, so input is kept once read, unless
	 * e2qcow says nothing is shared. */
	if (!in->fetch_back && !(info.has_layout && !info.shared_clusters))
		qcow_io_instream_keep_all(in->io, true);
	in->in_order = info.has_layout && info.l1_first;
	return 0;
}

/* The entry covering @host (normal data) or at it (compressed). */
static const struct restore_seen *find_seen(const struct stdin_image *in,
					    uint64_t host, bool compressed)
{
	size_t lo = 0, hi = in->n_seen;
	const struct restore_seen *s;

	/* The last entry starting at or before @host. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (in->seen[mid].host <= host)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	s = &in->seen[lo - 1];
	if (s->compressed != compressed)
		return NULL;
	if (compressed)
		return s->host == host ? s : NULL;
	return host - s->host < s->len ? s : NULL;
}

static errcode_t note_seen(struct stdin_image *in, uint64_t host,
			   uint64_t guest, uint64_t len, bool compressed)
{
	struct restore_seen *last =
		in->n_seen ? &in->seen[in->n_seen - 1] : NULL;
	size_t at = in->n_seen;

	if (!in->fetch_back)
		return 0;
	/* Runs of clusters stored one after the other merge. */
	if (last && !compressed && !last->compressed &&
	    last->host + last->len == host &&
	    last->guest + last->len == guest) {
		last->len += len;
		return 0;
	}
	if (in->n_seen == in->cap_seen) {
		size_t cap = in->cap_seen ? 2 * in->cap_seen : 256;
		struct restore_seen *p = realloc(in->seen, cap * sizeof(*p));

		if (!p)
			return ENOMEM;
		in->seen = p;
		in->cap_seen = cap;
	}
	/* e2qcow's images store data in increasing order; others may not. */
	while (at && in->seen[at - 1].host > host)
		at--;
	memmove(in->seen + at + 1, in->seen + at,
		(in->n_seen - at) * sizeof(*in->seen));
	in->seen[at] = (struct restore_seen){ host, guest, len, compressed };
	in->n_seen++;
	return 0;
}

/* The cluster at guest @at met before: where its bytes went then, or
 * UINT64_MAX. */
static uint64_t met_before(const struct stdin_image *in, uint64_t at,
			   const struct qcow_location *loc)
{
	uint64_t cs = 1ULL << in->cluster_bits;
	const struct restore_seen *s;

	if (!in->fetch_back || loc->kind == QCOW_LOC_NONE)
		return UINT64_MAX;
	s = find_seen(in, loc->host, loc->kind == QCOW_LOC_COMPRESSED);
	if (!s)
		return UINT64_MAX;
	if (s->compressed) /* the cluster's start, then where @loc is */
		return s->guest == at - (cs - loc->len)
			       ? UINT64_MAX /* the rest of the same one */
			       : s->guest + (cs - loc->len);
	return s->guest + (loc->host - s->host);
}

/* Clusters from @off stored one after the other, none met before. */
static errcode_t extend_run(struct stdin_image *in, uint64_t off, uint64_t end,
			    const struct qcow_location *first, uint64_t *len)
{
	uint64_t n = first->len < end - off ? first->len : end - off;

	while (first->kind == QCOW_LOC_DATA && off + n < end) {
		struct qcow_location next;
		errcode_t err = qcow_reader_locate(in->r, off + n, &next);

		if (err)
			return err;
		if (next.kind != QCOW_LOC_DATA ||
		    next.host != first->host + n ||
		    met_before(in, off + n, &next) != UINT64_MAX)
			break;
		n += next.len < end - off - n ? next.len : end - off - n;
	}
	*len = n;
	return 0;
}

errcode_t restore_stdin_read(struct stdin_image *in, uint8_t *buf, size_t len,
			     uint64_t off, restore_fetch_fn fetch, void *ctx)
{
	uint64_t end = off + len, at = off;
	errcode_t err = 0;

	while (!err && at < end) {
		struct qcow_location loc;
		uint64_t n, from;

		err = qcow_reader_locate(in->r, at, &loc);
		if (err)
			break;
		from = met_before(in, at, &loc);
		if (from != UINT64_MAX) {
			n = loc.len < end - at ? loc.len : end - at;
			if (from >= off) /* earlier in this very piece */
				memmove(buf + (at - off), buf + (from - off),
					(size_t)n);
			else
				err = fetch(ctx, from, buf + (at - off),
					    (size_t)n);
		} else {
			err = extend_run(in, at, end, &loc, &n);
			if (in->in_order && loc.kind != QCOW_LOC_NONE)
				qcow_io_instream_forget(in->io, loc.host);
			if (!err)
				err = qcow_reader_pread(in->r, buf + (at - off),
							(size_t)n, at);
			if (!err && loc.kind != QCOW_LOC_NONE)
				err = note_seen(
					in, loc.host,
					loc.kind == QCOW_LOC_COMPRESSED
						? at - ((1ULL
							 << in->cluster_bits) -
							loc.len)
						: at,
					n, loc.kind == QCOW_LOC_COMPRESSED);
		}
		at += n;
	}
	return err;
}

bool restore_stdin_explain(const struct stdin_image *in, errcode_t why)
{
	uint64_t consumed, spilled;
	errcode_t err;

	if (why == QCOW_ERR_STREAM_GONE) {
		/* Not an image e2qcow laid out, or a damaged one. */
		fprintf(stderr,
			"e2qcow: the image on standard input points back at "
			"data that has gone by; restore it from a file\n");
		return true;
	}
	qcow_io_instream_stats(in->io, &consumed, &spilled, &err);
	if (!err)
		return false;
	com_err("e2qcow", err,
		"while keeping input the image on standard input needs later "
		"in a temporary file in '%s' (set TMPDIR, or restore from a "
		"file)",
		in->spill_dir);
	return true;
}

errcode_t restore_stdin_finish(struct stdin_image *in)
{
	return qcow_io_instream_drain(in->io);
}

void restore_stdin_close(struct stdin_image *in)
{
	qcow_reader_close(in->r);
	qcow_io_free(in->io);
	free(in->seen);
	free(in->spill_dir);
	memset(in, 0, sizeof(*in));
}
