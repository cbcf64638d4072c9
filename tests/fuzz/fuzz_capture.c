// SPDX-License-Identifier: MIT
/*
 * fuzz_capture.c --- libFuzzer target for the capture path: the input is
 * a filesystem image, held in memory (a memfd); fsread opens it, maps it
 * with roles for scrubbing (and all data, for odd-sized inputs), and a
 * scrub stage rewrites every mapped block as a capture would.  Nothing
 * may crash, hang or read out of bounds, whatever the image says.
 * Filesystems claiming more than a few thousand groups are skipped: they
 * cost time, not coverage.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ext2fs/ext2_err.h>

#include "fsread.h"
#include "fsread_err.h"

#define MAX_INPUT (16U << 20)
#define MAX_GROUPS 4096U
#define MAX_BLOCKS_READ 8192U

static void read_all(struct fsread *fs, const struct extmap *map, unsigned bs,
		     struct fsread_scrub *s)
{
	uint8_t *buf = malloc((size_t)bs * 16);
	uint64_t budget = MAX_BLOCKS_READ;

	for (size_t i = 0; buf && i < map->n && budget; i++) {
		for (uint64_t at = 0; at < map->runs[i].count && budget;) {
			uint64_t n = map->runs[i].count - at;

			if (n > 16)
				n = 16;
			if (n > budget)
				n = budget;
			if (fsread_read(fs, map->runs[i].start + at, n, buf,
					NULL) ||
			    (s && fsread_scrub_blocks(
					  s, map->runs[i].start + at, n, buf)))
				break;
			at += n;
			budget -= n;
		}
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int inited;
	struct fsread_opts o = { .force = true };
	struct fsread_info info;
	struct fsread_stats st;
	struct fsread_scrub *s = NULL;
	struct fsread *fs = NULL;
	struct extmap map;
	char path[64];
	int fd;

	if (!inited) {
		initialize_ext2_error_table();
		initialize_e2qf_error_table();
		inited = 1;
	}
	if (size < 2048 || size > MAX_INPUT)
		return 0;
	fd = memfd_create("fs", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (fsread_open(path, &o, &fs)) {
		close(fd);
		return 0;
	}
	fsread_get_info(fs, &info);
	extmap_init(&map);
	if (info.group_count <= MAX_GROUPS &&
	    !fsread_map(fs,
			FSREAD_MAP_SCRUB | (size & 1 ? FSREAD_MAP_ALL_DATA : 0),
			&map, &st) &&
	    !fsread_scrub_new(fs, size & 1 ? FSREAD_SCRUB_KEEP_DATA : 0, &s))
		read_all(fs, &map, info.block_size, s);
	if (getenv("FUZZ_CAPTURE_VERBOSE"))
		fprintf(stderr, "%zu bytes: %u groups, %llu blocks mapped\n",
			size, info.group_count,
			(unsigned long long)extmap_total(&map));
	fsread_scrub_free(s);
	extmap_free(&map);
	fsread_close(fs);
	close(fd);
	return 0;
}
