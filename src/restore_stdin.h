/* SPDX-License-Identifier: MIT */
/*
 * restore_stdin.h --- restore an image that arrives on standard input,
 * in one pass.
 *
 * The image is read through a window of recent input (qcow_io_instream):
 * e2qcow's images put their L1 table first and each L2 table just after
 * the data it maps, so a restore in guest order finds what it needs in
 * the window.  A cluster shared by several guest clusters (e2qcow's
 * dedup) passes once: where it went the first time is remembered, and it
 * is read back from the target.  Other layouts work too, at the cost of
 * a temporary file for what leaves the window unread.
 */
#ifndef RESTORE_STDIN_H
#define RESTORE_STDIN_H

#include <stdbool.h>
#include <stdint.h>

#include <et/com_err.h>

#include "qcow_io.h"
#include "qcow_reader.h"
#include "restore.h"

/* Read back @len guest bytes at @guest, already restored, from the target. */
typedef errcode_t (*restore_fetch_fn)(void *ctx, uint64_t guest, uint8_t *buf,
				      size_t len);

/* A stored cluster (a run of them) and where its guest bytes went. */
struct restore_seen {
	uint64_t host, guest, len;
	bool compressed;
};

struct stdin_image {
	struct qcow_io *io;
	struct qcow_reader *r;
	unsigned cluster_bits;
	/* Shared clusters are read back from the target (not a pipe). */
	bool fetch_back;
	/* e2qcow's layout, in guest order: what lies before the data read
	 * next is read already or holds nothing (the quiet head, padding). */
	bool in_order;
	struct restore_seen *seen;
	size_t n_seen, cap_seen;
	size_t window;
	char *spill_dir;
};

/*
 * Open standard input as the image for @o (IMAGE "-").  Messages are
 * printed; on failure nothing is left open.
 */
errcode_t restore_stdin_open(const struct restore_opts *o,
			     const struct qcow_reader_opts *ro,
			     struct stdin_image *in);
/* Guest bytes [@off, @off + @len), in increasing @off from one call to
 * the next; shared clusters through @fetch. */
errcode_t restore_stdin_read(struct stdin_image *in, uint8_t *buf, size_t len,
			     uint64_t off, restore_fetch_fn fetch, void *ctx);
/* Say why reading failed with @why, if the temporary file or a table
 * pointing back at input gone by is why; else false. */
bool restore_stdin_explain(const struct stdin_image *in, errcode_t why);
/* Read the rest of the input (its tables), so the writer sees no error. */
errcode_t restore_stdin_finish(struct stdin_image *in);
void restore_stdin_close(struct stdin_image *in);

#endif
