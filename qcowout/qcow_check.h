/* SPDX-License-Identifier: MIT */
/*
 * qcow_check.h --- consistency check of a qcow2 image, as qemu-img check
 * makes it: every cluster's refcount against the references that the
 * header, L1/L2 tables (active and snapshots), refcount structures and
 * snapshot table make to it, plus the COPIED flags of the active tables.
 */
#ifndef QCOW_CHECK_H
#define QCOW_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include <et/com_err.h>

#include "qcow_reader.h"

struct qcow_check_result {
	uint64_t corruptions;
	uint64_t leaks;
	uint64_t image_end; /* bytes: end of the last cluster in use */
	uint64_t guest_clusters, allocated_clusters, compressed_clusters,
		fragmented_clusters;
};

/* One finding, worded as qemu-img check words it. */
typedef void (*qcow_check_report_fn)(void *ctx, bool is_leak, const char *msg);

/*
 * qcow_check_run() - check the image @r was opened on (its backing file
 * is not checked, as qemu-img does not).  Returns an error only when the
 * check itself could not be made (I/O, memory, an image too large to
 * check in memory); findings go to @report and @res.
 */
errcode_t qcow_check_run(struct qcow_reader *r, qcow_check_report_fn report,
			 void *ctx, struct qcow_check_result *res);

#endif
