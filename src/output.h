/* SPDX-License-Identifier: MIT */
/*
 * output.h --- the file an image is written to, made atomic.
 *
 * A regular file is written under a temporary name beside the target
 * and only renamed into place once complete, so an interrupted or failed
 * run leaves nothing that looks like a finished image.  An existing
 * target is replaced only when asked.  "-" is standard output (a
 * stream); a block device is written in place.  Files are created 0600
 * whatever the umask, and a symbolic link is written through, never
 * replaced.
 */
#ifndef OUTPUT_H
#define OUTPUT_H

#include <stdbool.h>
#include <stdint.h>

#include <et/com_err.h>

enum output_kind { OUTPUT_FILE, OUTPUT_DEVICE, OUTPUT_STREAM };

struct output {
	enum output_kind kind;
	const char *path; /* as the user gave it, or where a symbolic
			     link it gave points */
	char *resolved;	  /* that link's target, owned */
	char *tmp_path;	  /* OUTPUT_FILE: the temporary name */
	int fd;
	bool overwrite;
	bool in_place;	      /* OUTPUT_FILE written where it is */
	bool keep_tmp;	      /* abort leaves tmp_path (to resume) */
	uint64_t device_size; /* OUTPUT_DEVICE */
};

/*
 * output_open() - prepare @path.  Fails with EEXIST when it exists and
 * @overwrite is false, ENOTTY for a terminal on standard output.  On
 * failure *@what says what was being done, for the message.
 */
errcode_t output_open(struct output *o, const char *path, bool overwrite,
		      const char **what);
/*
 * output_open_in_place() - like output_open(), but an existing regular
 * file is written where it is (to put an image at an offset inside it),
 * which needs @overwrite.  Sets o->in_place when that happens.
 */
errcode_t output_open_in_place(struct output *o, const char *path,
			       bool overwrite, const char **what);
/*
 * output_open_resumable() - like output_open(), but a regular file is
 * written under the fixed name ".NAME.e2qcow-partial" beside it, kept if
 * the run stops (o->keep_tmp), and reused by the next run: *@existed
 * says whether it held anything.  Anything but a regular file fails with
 * ENOTSUP.
 */
errcode_t output_open_resumable(struct output *o, const char *path,
				bool overwrite, bool *existed,
				const char **what);
/* Move the finished file into place (rename, or link for no-replace). */
errcode_t output_commit(struct output *o);
/* Drop a temporary file; safe to call at any point, and twice. */
void output_abort(struct output *o);
/* output_abort(), and free what output_open() allocated. */
void output_free(struct output *o);

/* The directory @path is in (malloc'd; NULL when out of memory). */
char *output_dir_of(const char *path);

/* Do @a and @b name the same existing file or device (links included)? */
bool output_same_file(const char *a, const char *b);

/*
 * output_refuse_if_mounted() - if @path is an existing device, or a file
 * behind a loop device, that holds a mounted filesystem, say so on stderr
 * and return EBUSY.
 */
errcode_t output_refuse_if_mounted(const char *path);

#endif
