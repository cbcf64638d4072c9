/* SPDX-License-Identifier: MIT */
/*
 * capture.h --- "e2qcow capture": filesystem -> qcow2 or raw image.
 */
#ifndef CAPTURE_H
#define CAPTURE_H

#include "capture_opts.h"
#include "cli.h"

int capture_main(int argc, char **argv);
/* Capture as @o says (options already checked); an exit status. */
int capture_run(const struct capture_opts *o);

#endif
