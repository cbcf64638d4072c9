/* SPDX-License-Identifier: MIT */
/*
 * capture_resume.h --- capture --resume: a qcow2 capture to a file that
 * an interruption (a signal, a full disk, a crash) does not throw away.
 *
 * The image is written under a fixed partial name beside the target,
 * with a log of writer checkpoints (resume_log.h) taken every
 * CAPTURE_RESUME_BYTES of output or CAPTURE_RESUME_SECONDS, after the
 * data they cover is synced.  The next run with --resume checks the log
 * against the run it is about to make (same source, superblock, block
 * plan and options), lets the writer check the records against the
 * partial file, and goes on from the last record; where anything
 * differs it says why and starts again.
 */
#ifndef CAPTURE_RESUME_H
#define CAPTURE_RESUME_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "output.h"
#include "qcow_io.h"
#include "resume_log.h"
#include "sink.h"

#define CAPTURE_RESUME_BYTES (256ULL << 20)
#define CAPTURE_RESUME_SECONDS 10

struct capture_resume {
	struct resume_log log;
	struct sink *sink;
	struct qcow_io *io;
	bool no_sync;
	bool broken; /* a record could not be kept: no more are taken */
	uint64_t last_bytes;
	struct timespec last_time;
};

/*
 * capture_resume_open() - the sink for @out (opened with
 * output_open_resumable(), which said whether the partial file
 * @existed): resumed from its log if that belongs to a run of
 * @identity, else a new one with the log started.  *@start: the guest
 * byte from which data must still be handed over.
 */
errcode_t capture_resume_open(struct capture_resume *r, struct output *out,
			      struct qcow_io *io,
			      const struct qcow_writer_opts *wo,
			      const void *identity, size_t len, bool existed,
			      struct sink **s, uint64_t *start);

/* Between slots: a checkpoint when enough has been written since. */
errcode_t capture_resume_tick(struct capture_resume *r);

/*
 * capture_resume_keep() - after a failed or interrupted run: take a
 * last checkpoint if the writer is sound.  True if the partial image
 * can be resumed; otherwise it and its log are removed.
 */
bool capture_resume_keep(struct capture_resume *r, struct output *out);

/* After the image was moved into place: the log goes. */
void capture_resume_done(struct capture_resume *r);

void capture_resume_free(struct capture_resume *r);

#endif
