/* SPDX-License-Identifier: MIT */
/*
 * capture_info.h --- the text stored in e2qcow's qcow2 header extension:
 * what was captured, from where, when.  "key: value" lines, so that
 * later versions can add keys and old readers skip them.
 */
#ifndef CAPTURE_INFO_H
#define CAPTURE_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "fsread.h"

/*
 * capture_info_format() - write the text into @buf (at most @cap bytes,
 * no terminating NUL counted in the result).  The source path is
 * shortened from the left if the whole does not fit; a scrubbed capture
 * does not record it (a path can name private things too).
 */
size_t capture_info_format(char *buf, size_t cap, const char *source,
			   const struct fsread_info *info, bool all_data,
			   bool scrubbed, unsigned scrub_keep);

/*
 * capture_info_value() - the value of "@key: value" in a record @text
 * (as qcow_reader_info.capture_text holds it) into @out; false, and ""
 * in @out, if the record has no such line.
 */
bool capture_info_value(const char *text, const char *key, char *out,
			size_t cap);

/* A record read back: what a capture says it took. */
struct capture_record {
	unsigned version; /* "e2qcow-capture: N" */
	char uuid[37];
	unsigned block_size;
	uint64_t blocks;
	bool all_data, scrubbed; /* "mode" */
	unsigned scrub_keep;
	uint64_t superblock;
};

/*
 * capture_info_decode() - the record @text as a structure; false if a
 * key it needs is missing or malformed (not a record of ours, or one
 * damaged).  The decoder of what capture_info_format() encodes.
 */
bool capture_info_decode(const char *text, struct capture_record *rec);

/* @u as text, the way the record writes it (36 characters and a NUL). */
void capture_info_uuid(const uint8_t u[16], char out[37]);

/* The "mode" a capture records: "metadata" or "all-data", then
 * ", scrubbed" for -s. */
const char *capture_info_mode(bool all_data, bool scrubbed);

/* The time a capture records: SOURCE_DATE_EPOCH if set, else now. */
time_t capture_info_now(void);

#endif
