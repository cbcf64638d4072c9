// SPDX-License-Identifier: MIT
/*
 * sortedread.c --- benchmark baseline for cold-cache captures: read
 * exactly the blocks a capture takes, sorted by block number, with the
 * whole list handed to the kernel first (posix_fadvise WILLNEED on every
 * run, so the device sees a deep queue), then read in order.  No walk,
 * no format: the limit a metadata capture from a cold cache is measured
 * against.
 *
 * usage: e2qcow capture -n SOURCE - | sortedread SOURCE BLOCKSIZE
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct run {
	uint64_t start, count;
};

int main(int argc, char **argv)
{
	struct run *runs = NULL;
	size_t n = 0, cap = 0;
	unsigned long long a, b, total = 0;
	char line[256], *buf;
	unsigned bs;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: e2qcow capture -n SOURCE - | "
				"sortedread SOURCE BLOCKSIZE\n");
		return 2;
	}
	bs = (unsigned)strtoul(argv[2], NULL, 10);
	fd = open(argv[1], O_RDONLY);
	buf = malloc(4U << 20);
	if (fd < 0 || !bs || !buf) {
		perror(argv[1]);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin)) {
		int got = sscanf(line, "Would write blocks %llu-%llu", &a, &b);

		if (got != 2 && sscanf(line, "Would write block %llu", &a) == 1)
			b = a, got = 2;
		if (got != 2)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			runs = realloc(runs, cap * sizeof(*runs));
			if (!runs)
				return 1;
		}
		runs[n++] = (struct run){ a, b - a + 1 };
	}
	/* The capture lists runs sorted already; queue them all. */
	for (size_t i = 0; i < n; i++)
		posix_fadvise(fd, (off_t)(runs[i].start * bs),
			      (off_t)(runs[i].count * bs), POSIX_FADV_WILLNEED);
	for (size_t i = 0; i < n; i++) {
		uint64_t off = runs[i].start * bs, left = runs[i].count * bs;

		while (left) {
			size_t len =
				left > (4U << 20) ? 4U << 20 : (size_t)left;

			if (pread(fd, buf, len, (off_t)off) != (ssize_t)len) {
				perror("pread");
				return 1;
			}
			off += len;
			left -= len;
			total += len;
		}
	}
	printf("%llu bytes in %zu runs\n", total, n);
	return 0;
}
