// SPDX-License-Identifier: MIT
/*
 * mkpattern.c --- test helper: write files whose content is a function
 * of the offset, with holes, for deterministic fixtures.
 *
 *   mkpattern PATH BLOCK OFFSET...     one BLOCK-byte piece at each byte
 *                                      OFFSET (k/M/G suffixes), rest holes
 *   mkpattern -f PATH BLOCK COUNT      COUNT pieces on every other block:
 *                                      a file with COUNT extents
 *   mkpattern -s PATH SIZE             SIZE bytes of pattern, no holes
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t parse(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 10);

	switch (*end) {
	case 'k':
		return v << 10;
	case 'M':
		return v << 20;
	case 'G':
		return v << 30;
	default:
		return v;
	}
}

static void fill(uint8_t *buf, size_t len, uint64_t off)
{
	uint64_t x = off * 0x9e3779b97f4a7c15ULL + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (uint8_t)(x | 1); /* never an all-zero block */
	}
}

static int put(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	fill(buf, len, off);
	if (pwrite(fd, buf, len, (off_t)off) != (ssize_t)len) {
		perror("pwrite");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int mode = 0, fd, rc = 0;
	uint64_t block;
	uint8_t *buf;

	if (argc > 1 && argv[1][0] == '-') {
		mode = argv[1][1];
		argv++;
		argc--;
	}
	if (argc < 4 && !(mode == 's' && argc == 3)) {
		fprintf(stderr, "usage: see mkpattern.c\n");
		return 2;
	}
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	block = mode == 's' ? 65536 : parse(argv[2]);
	buf = malloc(block);
	if (!buf)
		return 1;
	if (mode == 'f') {
		uint64_t count = parse(argv[3]);

		for (uint64_t i = 0; i < count && !rc; i++)
			rc = put(fd, buf, block, 2 * i * block);
	} else if (mode == 's') {
		uint64_t size = parse(argv[2]);

		for (uint64_t off = 0; off < size && !rc; off += block)
			rc = put(fd, buf,
				 size - off < block ? size - off : block, off);
	} else {
		for (int i = 3; i < argc && !rc; i++)
			rc = put(fd, buf, block, parse(argv[i]));
	}
	free(buf);
	if (close(fd) < 0)
		rc = 1;
	return rc;
}
