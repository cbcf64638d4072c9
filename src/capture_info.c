// SPDX-License-Identifier: MIT
/*
 * capture_info.c --- the capture description stored in the image.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture_info.h"

#ifndef E2QCOW_VERSION
#define E2QCOW_VERSION "unknown"
#endif

void capture_info_uuid(const uint8_t u[16], char out[37])
{
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
}

time_t capture_info_now(void)
{
	const char *epoch = getenv("SOURCE_DATE_EPOCH");

	return epoch ? (time_t)strtoll(epoch, NULL, 10) : time(NULL);
}

const char *capture_info_mode(bool all_data, bool scrubbed)
{
	if (all_data)
		return scrubbed ? "all-data, scrubbed" : "all-data";
	return scrubbed ? "metadata, scrubbed" : "metadata";
}

size_t capture_info_format(char *buf, size_t cap, const char *source,
			   const struct fsread_info *info, bool all_data,
			   bool scrubbed, unsigned scrub_keep)
{
	char keep[40] = "";
	char uuid[37], when[32];
	time_t now = capture_info_now();
	struct tm tm;
	size_t src_len;
	int head;

	if (scrubbed)
		source = "(scrubbed)";
	/* What --scrub-keep kept, so that verify scrubs the same way. */
	if (scrubbed && scrub_keep)
		snprintf(keep, sizeof(keep), "scrub_keep: %u\n", scrub_keep);
	src_len = strlen(source);
	capture_info_uuid(info->uuid, uuid);
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	head = snprintf(buf, cap,
			"e2qcow-capture: 1\n"
			"tool: e2qcow " E2QCOW_VERSION "\n"
			"uuid: %s\n"
			"block_size: %u\n"
			"blocks: %llu\n"
			"mode: %s\n"
			"%s"
			"superblock: %llu\n"
			"time: %s\n"
			"source: ",
			uuid, info->block_size,
			(unsigned long long)info->blocks_count,
			capture_info_mode(all_data, scrubbed), keep,
			(unsigned long long)info->superblock, when);
	if (head < 0 || (size_t)head + 2 > cap)
		return 0;
	/* Keep the end of a long path: it names the device or file. */
	if (src_len > cap - (size_t)head - 1) {
		source += src_len - (cap - (size_t)head - 1);
		src_len = cap - (size_t)head - 1;
	}
	memcpy(buf + (size_t)head, source, src_len);
	buf[(size_t)head + src_len] = '\n';
	return (size_t)head + src_len + 1;
}

bool capture_info_value(const char *text, const char *key, char *out,
			size_t cap)
{
	size_t klen = strlen(key);

	out[0] = 0;
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p += !!p) {
		if (!strncmp(p, key, klen) && p[klen] == ':' &&
		    p[klen + 1] == ' ') {
			const char *v = p + klen + 2;

			snprintf(out, cap, "%.*s", (int)strcspn(v, "\n"), v);
			return true;
		}
	}
	return false;
}
