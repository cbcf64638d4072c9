// SPDX-License-Identifier: MIT
/*
 * capture_base.c --- "capture --base PREV": the previous image an
 * incremental capture is an overlay of.
 *
 * PREV (with its own chain) must be an image of the same filesystem:
 * the superblock it holds must carry the same UUID, block size and block
 * count, and its capture record (if it has one) the same mode.  Anything
 * else is refused before a byte is written.  The overlay names PREV
 * relative to its own directory when they share one, as QEMU resolves a
 * relative backing file name from the overlay's directory.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture_base.h"
#include "capture_info.h"
#include "cli.h"
#include "qcow_err.h"

#define SB_OFFSET 1024

/* The filesystem PREV holds must be the one being captured. */
static errcode_t same_filesystem(struct qcow_reader *r, const char *path,
				 const struct fsread_info *info)
{
	uint8_t sb[1024];
	char want[40], have[40];
	struct fsread_sb_id id;
	errcode_t err = qcow_reader_pread(r, sb, sizeof(sb), SB_OFFSET);

	if (err) {
		com_err("e2qcow", err, "while reading the superblock in '%s'",
			path);
		return err;
	}
	capture_info_uuid(info->uuid, want);
	if (!fsread_sb_identify(sb, &id)) {
		fprintf(stderr,
			"e2qcow: '%s' holds no ext2/3/4 superblock, so it "
			"cannot be the base of a capture of filesystem %s\n",
			path, want);
		return EINVAL;
	}
	capture_info_uuid(id.uuid, have);
	if (strcmp(want, have) || id.block_size != info->block_size ||
	    id.blocks_count != info->blocks_count ||
	    qcow_reader_size(r) != info->blocks_count * info->block_size) {
		fprintf(stderr,
			"e2qcow: '%s' is an image of filesystem %s (%llu blocks "
			"of %u bytes), not of the one being captured, %s (%llu "
			"blocks of %u bytes)\n"
			"  An incremental capture needs the previous capture of "
			"the same filesystem as its base.\n",
			path, have, (unsigned long long)id.blocks_count,
			id.block_size, want,
			(unsigned long long)info->blocks_count,
			info->block_size);
		return EINVAL;
	}
	return 0;
}

/* "mode: ..." of PREV's capture record must be the new one's. */
static errcode_t same_mode(struct qcow_reader *r, const char *path,
			   const char *mode)
{
	struct qcow_reader_info ri;
	char was[64];

	qcow_reader_get_info(r, &ri);
	/* Not ours, or no mode: nothing says how it was made. */
	if (!capture_info_value(ri.capture_text, "mode", was, sizeof(was)) ||
	    !strcmp(was, mode))
		return 0;
	fprintf(stderr,
		"e2qcow: '%s' was captured as \"%s\", this capture is "
		"\"%s\": an overlay must be captured the same way as its "
		"base\n",
		path, was, mode);
	return EINVAL;
}

/* PREV as the overlay should name it. */
static char *backing_name(const char *base, const char *image)
{
	char base_real[PATH_MAX], dir_real[PATH_MAX], base_dir[PATH_MAX];
	char *image_copy = strdup(image), *name = NULL;

	if (image_copy && realpath(base, base_real) &&
	    realpath(dirname(image_copy), dir_real)) {
		const char *bdir;

		snprintf(base_dir, sizeof(base_dir), "%s", base_real);
		bdir = dirname(base_dir);
		if (!strcmp(bdir, dir_real))
			name = strdup(base_real + strlen(bdir) +
				      (strcmp(bdir, "/") ? 1 : 0));
		else
			name = strdup(base_real);
	}
	free(image_copy);
	return name;
}

errcode_t capture_base_open(const char *path, const char *image,
			    const struct fsread_info *info, const char *mode,
			    struct qcow_reader **out, char **name)
{
	struct qcow_reader_opts ro = { 0 };
	struct qcow_open_error oe;
	errcode_t err;

	*out = NULL;
	*name = NULL;
	err = qcow_reader_open(path, &ro, out, &oe);
	if (err) {
		cli_report_open_error(path, err, &oe);
		return err;
	}
	err = same_filesystem(*out, path, info);
	if (!err)
		err = same_mode(*out, path, mode);
	if (!err && !strcmp(image, "-")) {
		/* A stream's overlay names PREV as given. */
		*name = strdup(path);
	} else if (!err) {
		*name = backing_name(path, image);
	}
	if (!err && !*name)
		err = errno ? errno : ENOMEM;
	if (err) {
		qcow_reader_close(*out);
		*out = NULL;
	}
	return err;
}
