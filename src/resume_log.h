/* SPDX-License-Identifier: MIT */
/*
 * resume_log.h --- the file beside a partial image that lets an
 * interrupted capture go on (capture --resume).
 *
 * It holds what the run was (an identity: source, options, the plan of
 * blocks, the superblock as it was) and then the writer's checkpoint
 * records in order, each framed with its length and a CRC, appended and
 * synced only after the image data they describe is on disk.  A record
 * cut short by a crash ends the usable log; everything before it stands.
 */
#ifndef RESUME_LOG_H
#define RESUME_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <et/com_err.h>

#include "qcow_writer.h"

struct resume_log {
	char *path;
	int fd;
	uint8_t *buf;			 /* the file as loaded */
	struct qcow_writer_record *recs; /* loaded records, into buf */
	size_t n;
	size_t appended;
};

/* The log's name beside the partial image @partial_path. */
errcode_t resume_log_init(struct resume_log *l, const char *partial_path);

/*
 * resume_log_load() - read the log.  Returns 0 with l->recs (possibly
 * none) when it belongs to a run of @identity; otherwise a reason in
 * *@why (no log, not a log, another run) and ENOENT or ESTALE.
 */
errcode_t resume_log_load(struct resume_log *l, const void *identity,
			  size_t len, const char **why);

/* Start the log afresh for a run of @identity (synced). */
errcode_t resume_log_start(struct resume_log *l, const void *identity,
			   size_t len);

/* Append one checkpoint record and sync it (unless @no_sync). */
errcode_t resume_log_append(struct resume_log *l, const uint8_t *rec,
			    size_t len, bool no_sync);

/* How many records the log holds (loaded and appended). */
size_t resume_log_records(const struct resume_log *l);

/* Delete the log file. */
void resume_log_remove(struct resume_log *l);

void resume_log_free(struct resume_log *l);

#endif
