/* SPDX-License-Identifier: MIT */
/*
 * capture.h --- "e2qcow capture": filesystem -> qcow2 or raw image.
 */
#ifndef CAPTURE_H
#define CAPTURE_H

#include "capture_opts.h"

/* Exit statuses (also in the man page). */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,     /* nothing written */
	EXIT_USAGE = 2,
	EXIT_DAMAGED = 3,    /* image written; parts of the source unreadable */
};

int capture_main(int argc, char **argv);
/* Capture as @o says (options already checked); an exit status. */
int capture_run(const struct capture_opts *o);

#endif
