/* SPDX-License-Identifier: MIT */
/*
 * cli.h --- plumbing the subcommands share: exit statuses, usage
 * errors, option values, error reports.
 */
#ifndef CLI_H
#define CLI_H

#include <stdbool.h>
#include <stdint.h>

#include <et/com_err.h>

#include "qcow_reader.h"

/* Exit statuses (also in the man page). */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1, /* nothing written */
	EXIT_USAGE = 2,
	EXIT_DAMAGED = 3, /* image written; parts of the source unreadable */
};

/* Report a usage error of subcommand @cmd on stderr; returns 2. */
int cli_usage_error(const char *cmd, const char *msg, const char *arg);
/* --progress[=FORMAT] of subcommand @cmd: sets *@progress; 0, or 2
 * after a usage error. */
int cli_progress_option(const char *cmd, const char *arg, bool *progress);
/* Parse "4096", "64k", "2M"; false on junk or overflow. */
bool cli_parse_size(const char *s, uint64_t *out);
/* One message for a failed qcow_reader_open() of @image. */
void cli_report_open_error(const char *image, errcode_t err,
			   const struct qcow_open_error *e);

/*
 * cli_open_image() - the command line of a subcommand taking one IMAGE
 * (and --json where @json is not NULL): open it for reading.  Returns 0
 * (with *@done after --help, having printed it) or an exit status,
 * the problem reported.
 */
int cli_open_image(const char *cmd, int argc, char **argv, bool *json,
		   bool *done, struct qcow_reader **r);

#endif
