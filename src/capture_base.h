/* SPDX-License-Identifier: MIT */
/*
 * capture_base.h --- the base image of an incremental capture.
 */
#ifndef CAPTURE_BASE_H
#define CAPTURE_BASE_H

#include "fsread.h"
#include "qcow_reader.h"

/*
 * capture_base_open() - open @path (with its chain) as the base of an
 * overlay @image of the filesystem @info captured as @mode (the capture
 * record's words).  Refuses, with a message, an image of another
 * filesystem or mode.  *@name is what the overlay's header should call
 * the base (free() it).
 */
errcode_t capture_base_open(const char *path, const char *image,
			    const struct fsread_info *info, const char *mode,
			    struct qcow_reader **out, char **name);

#endif
