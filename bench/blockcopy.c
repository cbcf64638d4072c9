// SPDX-License-Identifier: MIT
/*
 * blockcopy.c --- benchmark baseline: copy exactly the blocks the block
 * bitmap marks in use from an ext filesystem image to a sparse file of
 * the same size, in runs of up to 4 MiB, with plain pread/pwrite (or,
 * with -k, copy_file_range: the copy stays in the kernel).  No format, no
 * checks: the physical limit an -a capture is measured against.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ext2fs/ext2fs.h>

#define RUN_BYTES (4U << 20)

static int copy_run(int in, int out, char *buf, size_t len, off_t off,
		    int in_kernel)
{
	if (!in_kernel)
		return pread(in, buf, len, off) != (ssize_t)len ||
		       pwrite(out, buf, len, off) != (ssize_t)len;
	while (len) {
		loff_t from = off, to = off;
		ssize_t n = copy_file_range(in, &from, out, &to, len, 0);

		if (n <= 0)
			return 1;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	ext2_filsys fs;
	char *buf = malloc(RUN_BYTES);
	int in, out, in_kernel = argc == 4 && !strcmp(argv[1], "-k");

	if (in_kernel) {
		argv++;
		argc--;
	}
	if (argc != 3 || !buf) {
		fprintf(stderr, "usage: blockcopy [-k] FS OUT\n");
		return 2;
	}
	if (ext2fs_open(argv[1], EXT2_FLAG_64BITS, 0, 0, unix_io_manager,
			&fs) ||
	    ext2fs_read_block_bitmap(fs)) {
		fprintf(stderr, "blockcopy: cannot open %s\n", argv[1]);
		return 1;
	}
	in = open(argv[1], O_RDONLY);
	out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (in < 0 || out < 0)
		return 1;
	unsigned bs = fs->blocksize;
	blk64_t n = ext2fs_blocks_count(fs->super), b = 0;

	while (b < n) {
		blk64_t start, end;

		while (b < n && !ext2fs_test_block_bitmap2(fs->block_map, b))
			b++;
		start = b;
		while (b < n && b - start < RUN_BYTES / bs &&
		       ext2fs_test_block_bitmap2(fs->block_map, b))
			b++;
		end = b;
		if (end == start)
			break;
		size_t len = (size_t)(end - start) * bs;
		off_t off = (off_t)start * bs;
		if (copy_run(in, out, buf, len, off, in_kernel)) {
			perror("blockcopy");
			return 1;
		}
	}
	if (ftruncate(out, (off_t)n * bs))
		return 1;
	ext2fs_close_free(&fs);
	return close(out) ? 1 : 0;
}
