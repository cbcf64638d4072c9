// SPDX-License-Identifier: MIT
/*
 * capture_info.c --- the capture description stored in the image.
 */
#include <errno.h>
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

/* A decimal value of @key that fits @max; false if absent or not one. */
static bool number_of(const char *text, const char *key, uint64_t max,
		      uint64_t *out)
{
	char v[32], *end;

	if (!capture_info_value(text, key, v, sizeof(v)) || !v[0] ||
	    v[0] == '-')
		return false;
	errno = 0;
	*out = strtoull(v, &end, 10);
	return !*end && !errno && *out <= max;
}

bool capture_info_decode(const char *text, struct capture_record *rec)
{
	uint64_t version, bs, keep = 0;
	char mode[32];

	memset(rec, 0, sizeof(*rec));
	if (!text || !number_of(text, "e2qcow-capture", UINT32_MAX, &version) ||
	    !number_of(text, "block_size", 65536, &bs) ||
	    !number_of(text, "blocks", UINT64_MAX, &rec->blocks) ||
	    !number_of(text, "superblock", UINT64_MAX, &rec->superblock) ||
	    !capture_info_value(text, "uuid", rec->uuid, sizeof(rec->uuid)) ||
	    strlen(rec->uuid) != 36 ||
	    !capture_info_value(text, "mode", mode, sizeof(mode)))
		return false;
	rec->version = (unsigned)version;
	rec->block_size = (unsigned)bs;
	if (!strcmp(mode, "all-data") || !strcmp(mode, "all-data, scrubbed"))
		rec->all_data = true;
	else if (strcmp(mode, "metadata") && strcmp(mode, "metadata, scrubbed"))
		return false;
	rec->scrubbed = strstr(mode, ", scrubbed") != NULL;
	if (capture_info_value(text, "scrub_keep", mode, sizeof(mode)) &&
	    !number_of(text, "scrub_keep", UINT32_MAX, &keep))
		return false;
	rec->scrub_keep = (unsigned)keep;
	return true;
}
