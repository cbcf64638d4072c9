// SPDX-License-Identifier: MIT
/*
 * logread.c --- test helper, an LD_PRELOAD read logger: every read of
 * the file LOGREAD_PATH (pread64, pread, read) is appended to the file
 * LOGREAD_OUT as "OFFSET LENGTH" lines.  The oracle of t_damage.sh: what
 * e2fsck, dumpe2fs and debugfs read of a damaged filesystem must be
 * among the blocks a capture stores.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "preload_target.h"

typedef ssize_t (*pread_fn)(int, void *, size_t, off_t);
typedef ssize_t (*read_fn)(int, void *, size_t);

static int is_target(int fd)
{
	return preload_is_target(fd, "LOGREAD_PATH");
}

static void note(int fd, off_t off, ssize_t len)
{
	const char *out = getenv("LOGREAD_OUT");
	FILE *f;

	if (len <= 0 || !out || !is_target(fd))
		return;
	f = fopen(out, "a");
	if (!f)
		return;
	fprintf(f, "%lld %lld\n", (long long)off, (long long)len);
	fclose(f);
}

static ssize_t logged(const char *name, int fd, void *buf, size_t len,
		      off_t off)
{
	pread_fn real;
	ssize_t n;

	preload_next(name, &real, sizeof(real));
	n = real(fd, buf, len, off);

	note(fd, off, n);
	return n;
}

ssize_t read(int fd, void *buf, size_t len)
{
	read_fn real;
	off_t off = lseek(fd, 0, SEEK_CUR);
	ssize_t n;

	preload_next("read", &real, sizeof(real));
	n = real(fd, buf, len);

	if (off >= 0)
		note(fd, off, n);
	return n;
}

ssize_t pread(int fd, void *buf, size_t len, off_t off)
{
	return logged("pread", fd, buf, len, off);
}

ssize_t pread64(int fd, void *buf, size_t len, off_t off)
{
	return logged("pread64", fd, buf, len, off);
}
