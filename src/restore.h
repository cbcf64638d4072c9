/* SPDX-License-Identifier: MIT */
/*
 * restore.h --- "e2qcow restore": qcow2 -> raw.
 */
#ifndef RESTORE_H
#define RESTORE_H

#include <et/com_err.h>

#include "qcow_reader.h"

struct restore_opts {
	const char *image, *target; /* image "-": standard input */
	bool progress, overwrite, force, write_zeros, no_sync;
	bool target_is_zero; /* --target-is-zero: never zero anything */
	bool compare;	 /* -c, --resume: in place, write only what differs */
	uint64_t offset; /* -O: where in the target the disk starts */
};

int restore_main(int argc, char **argv);
/* Restore as @o says (options already checked); an exit status. */
int restore_run(const struct restore_opts *o);

#endif
