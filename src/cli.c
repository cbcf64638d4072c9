// SPDX-License-Identifier: MIT
/*
 * cli.c --- what every subcommand's command line shares: usage errors,
 * sizes, --progress, and the message for an image that does not open.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "progress.h"
#include "qcow_err.h"

int cli_usage_error(const char *cmd, const char *msg, const char *arg)
{
	fprintf(stderr, "e2qcow %s: %s%s%s\n", cmd, msg, arg ? ": " : "",
		arg ? arg : "");
	fprintf(stderr, "Try 'e2qcow %s --help'.\n", cmd);
	return 2;
}

bool cli_parse_size(const char *s, uint64_t *out)
{
	unsigned shift = 0;
	unsigned long long v;
	char *end;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	if (*end == 'k' || *end == 'K')
		shift = 10;
	else if (*end == 'm' || *end == 'M')
		shift = 20;
	else if (*end == 'g' || *end == 'G')
		shift = 30;
	if (shift)
		end++;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}

int cli_progress_option(const char *cmd, const char *arg, bool *progress)
{
	if (!progress_parse_format(arg))
		return cli_usage_error(cmd, "--progress takes human or json",
				       arg);
	*progress = true;
	return 0;
}

void cli_report_open_error(const char *image, errcode_t err,
			   const struct qcow_open_error *e)
{
	const char *file = e->file[0] ? e->file : image;

	if (err == QCOW_ERR_INCOMPAT_FEATURE)
		com_err("e2qcow", err, "in '%s'%s%s%s", file,
			e->detail[0] ? " (" : "", e->detail,
			e->detail[0] ? ")" : "");
	else if (err == QCOW_ERR_CORRUPT_FLAG)
		com_err("e2qcow", err,
			"in '%s'; -f reads it anyway, 'qemu-img check -r all' "
			"may repair it",
			file);
	else if (strcmp(file, image))
		com_err("e2qcow", err, "while opening '%s' (%s of '%s')", file,
			e->detail[0] ? e->detail : "in the backing chain",
			image);
	else
		com_err("e2qcow", err, "while opening '%s'%s%s", file,
			e->detail[0] ? ": " : "", e->detail);
}

int cli_open_image(const char *cmd, int argc, char **argv, bool *json,
		   bool *done, struct qcow_reader **r)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct qcow_reader_opts ro = { .allow_corrupt = true };
	struct qcow_open_error e;
	errcode_t err;
	int c;

	optind = 1;
	opterr = 0;
	*done = false;
	if (json)
		*json = false;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'j' && json) {
			*json = true;
		} else if (c == 'h') {
			printf("usage: e2qcow %s%s IMAGE\n", cmd,
			       json ? " [--json]" : "");
			*done = true;
			return EXIT_OK;
		} else {
			return cli_usage_error(cmd, "invalid option", NULL);
		}
	}
	if (argc - optind != 1) {
		return cli_usage_error(cmd, "need one IMAGE", NULL);
	}
	err = qcow_reader_open(argv[optind], &ro, r, &e);
	if (err) {
		cli_report_open_error(argv[optind], err, &e);
		return EXIT_FAILED;
	}
	return 0;
}
