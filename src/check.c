// SPDX-License-Identifier: MIT
/*
 * check.c --- "e2qcow check IMAGE": the refcount check of qcow_check,
 * worded and with exit statuses as qemu-img check (0 clean, 1 not
 * checked, 2 corruptions, 3 leaks only), for the image and each qcow2
 * image of its backing chain.
 */
#include <inttypes.h>
#include <stdio.h>

#include "check.h"
#include "cli.h"
#include "qcow_check.h"
#include "qcow_reader.h"

static void on_finding(void *ctx, bool is_leak, const char *msg)
{
	(void)ctx;
	(void)is_leak;
	fprintf(stderr, "%s\n", msg);
}

/* One image's findings and summary, in qemu-img check's words. */
static int print_check(const struct qcow_check_result *res)
{
	uint64_t stored = res->allocated_clusters + res->compressed_clusters;

	if (res->corruptions)
		printf("\n%" PRIu64 " errors were found on the image.\n"
		       "Data may be corrupted, or further writes to the image "
		       "may corrupt it.\n",
		       res->corruptions);
	if (res->leaks)
		printf("\n%" PRIu64
		       " leaked clusters were found on the image.\n"
		       "This means waste of disk space, but no harm to data.\n",
		       res->leaks);
	if (!res->corruptions && !res->leaks)
		printf("No errors were found on the image.\n");
	/* As qemu-img: no figures for an image with nothing allocated,
	 * and every compressed cluster counts as fragmented. */
	if (res->guest_clusters && stored)
		printf("%" PRIu64 "/%" PRIu64 " = %.2f%% allocated, %.2f%% "
		       "fragmented, %.2f%% compressed clusters\n",
		       stored, res->guest_clusters,
		       100.0 * (double)stored / (double)res->guest_clusters,
		       100.0 *
			       (double)(res->fragmented_clusters +
					res->compressed_clusters) /
			       (double)stored,
		       100.0 * (double)res->compressed_clusters /
			       (double)stored);
	printf("Image end offset: %" PRIu64 "\n", res->image_end);
	return res->corruptions ? 2 : res->leaks ? 3 : 0;
}

/*
 * The named image as qemu-img check does it, then each qcow2 image of
 * its backing chain the same way under its name.  The exit status is
 * the worst: corruption (2) over leaks (3) over none (0).
 */
int check_main(int argc, char **argv)
{
	struct qcow_check_result res;
	struct qcow_reader_info info;
	struct qcow_reader *r, *layer;
	int worst = 0, s;
	errcode_t err;
	bool done;
	int status = cli_open_image("check", argc, argv, NULL, &done, &r);

	if (status || done)
		return status;
	for (layer = r; layer; layer = info.backing) {
		qcow_reader_get_info(layer, &info);
		if (info.raw)
			break;
		if (layer != r)
			printf("\nBacking file '%s':\n", info.path);
		err = qcow_check_run(layer, on_finding, NULL, &res);
		if (err) {
			com_err("e2qcow", err, "while checking '%s'",
				info.path);
			qcow_reader_close(r);
			return 1;
		}
		s = print_check(&res);
		if (s == 2 || (s == 3 && worst == 0))
			worst = s;
	}
	qcow_reader_close(r);
	return worst;
}
