// SPDX-License-Identifier: MIT
/*
 * capture_resume.c --- partial image, checkpoint log, and the choice
 * between going on and starting again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture_resume.h"
#include "qcow_err.h"

static void note_time(struct capture_resume *r)
{
	clock_gettime(CLOCK_MONOTONIC, &r->last_time);
	r->last_bytes = r->io->bytes_written;
}

/* Start from nothing: an empty partial file, a log with the identity. */
static errcode_t start_afresh(struct capture_resume *r, struct output *out,
			      const struct qcow_writer_opts *wo,
			      const void *identity, size_t len, struct sink **s)
{
	errcode_t err = ftruncate(out->fd, 0) < 0 ? errno : 0;

	if (!err)
		err = resume_log_start(&r->log, identity, len);
	if (err) {
		com_err("e2qcow", err, "while starting the resume log '%s'",
			r->log.path);
		return err;
	}
	return sink_qcow_create(r->io, wo, s);
}

errcode_t capture_resume_open(struct capture_resume *r, struct output *out,
			      struct qcow_io *io,
			      const struct qcow_writer_opts *wo,
			      const void *identity, size_t len, bool existed,
			      struct sink **s, uint64_t *start)
{
	const char *why = NULL;
	errcode_t err;

	r->io = io;
	r->no_sync = wo->no_sync;
	*start = 0;
	err = resume_log_init(&r->log, out->tmp_path);
	if (err)
		return err;
	if (existed) {
		err = resume_log_load(&r->log, identity, len, &why);
		if (!err && !r->log.n)
			why = "it was stopped before its first checkpoint";
		else if (!err) {
			err = sink_qcow_resume(io, wo, r->log.recs, r->log.n,
					       s);
			if (err)
				why = error_message(err);
		}
		if (!err && !why) {
			*start = sink_qcow_resume_at(*s);
			fprintf(stderr,
				"e2qcow: resuming the interrupted capture in "
				"'%s' at byte %llu of the filesystem\n",
				out->tmp_path, (unsigned long long)*start);
			r->sink = *s;
			note_time(r);
			return 0;
		}
		if (err == ENOMEM)
			return err;
		fprintf(stderr,
			"e2qcow: the interrupted capture in '%s' cannot be "
			"resumed (%s); starting again\n",
			out->tmp_path, why);
	}
	err = start_afresh(r, out, wo, identity, len, s);
	if (!err) {
		r->sink = *s;
		note_time(r);
	}
	return err;
}

static errcode_t checkpoint(struct capture_resume *r)
{
	uint8_t *rec;
	size_t len;
	errcode_t err = sink_qcow_checkpoint(r->sink, &rec, &len);

	if (!err)
		err = resume_log_append(&r->log, rec, len, r->no_sync);
	free(rec);
	note_time(r);
	return err;
}

errcode_t capture_resume_tick(struct capture_resume *r)
{
	struct timespec now;
	errcode_t err;

	if (r->broken || !r->sink)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (r->io->bytes_written - r->last_bytes < CAPTURE_RESUME_BYTES &&
	    now.tv_sec - r->last_time.tv_sec < CAPTURE_RESUME_SECONDS)
		return 0;
	err = checkpoint(r);
	if (err == ENOSPC || err == EDQUOT || err == EIO) {
		/* The log could not grow: the capture goes on, without. */
		com_err("e2qcow", err,
			"while keeping a resume point in '%s'; the capture "
			"goes on, but cannot be resumed past here",
			r->log.path);
		r->broken = true;
		return 0;
	}
	return err;
}

bool capture_resume_keep(struct capture_resume *r, struct output *out)
{
	if (r->sink && !r->broken)
		(void)checkpoint(r); /* fails if the writer itself failed */
	if (r->log.path && resume_log_records(&r->log))
		return true;
	resume_log_remove(&r->log);
	out->keep_tmp = false;
	return false;
}

void capture_resume_done(struct capture_resume *r)
{
	resume_log_remove(&r->log);
}

void capture_resume_free(struct capture_resume *r)
{
	resume_log_free(&r->log);
	memset(r, 0, sizeof(*r));
}
