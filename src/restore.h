/* SPDX-License-Identifier: MIT */
/*
 * restore.h --- "e2qcow restore": qcow2 -> raw.
 */
#ifndef RESTORE_H
#define RESTORE_H

#include <et/com_err.h>

#include "qcow_reader.h"

int restore_main(int argc, char **argv);
/* One message for a failed qcow_reader_open (shared with info, check). */
void restore_report_open_error(const char *image, errcode_t err,
			       const struct qcow_open_error *e);

#endif
