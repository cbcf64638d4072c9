// SPDX-License-Identifier: MIT
/*
 * failread.c --- test helper, an LD_PRELOAD fault injector: reads of the
 * file FAILREAD_PATH that touch a byte range in FAILREAD_RANGES
 * ("START-END,START-END", bytes, END exclusive) fail with EIO, as a
 * failing disk's would.  Everything else passes through.  This puts the
 * error where a real one arrives: under libext2fs' unix I/O manager,
 * which tries pread64 and then lseek + read, so all three are covered.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "preload_target.h"

typedef ssize_t (*pread_fn)(int, void *, size_t, off_t);

/* Is @fd the file under test? */
static int is_target(int fd)
{
	return preload_is_target(fd, "FAILREAD_PATH");
}

static int hits_bad_range(off_t off, size_t len)
{
	const char *s = getenv("FAILREAD_RANGES");
	unsigned long long a, b;
	int used;

	while (s && sscanf(s, "%llu-%llu%n", &a, &b, &used) == 2) {
		if ((unsigned long long)off < b &&
		    (unsigned long long)off + len > a)
			return 1;
		s += used;
		if (*s != ',')
			break;
		s++;
	}
	return 0;
}

static ssize_t faulty(const char *name, int fd, void *buf, size_t len,
		      off_t off)
{
	pread_fn real;

	preload_next(name, &real, sizeof(real));
	if (hits_bad_range(off, len) && is_target(fd)) {
		errno = EIO;
		return -1;
	}
	return real(fd, buf, len, off);
}

ssize_t read(int fd, void *buf, size_t len)
{
	typedef ssize_t (*read_fn)(int, void *, size_t);
	read_fn real;
	off_t off;

	preload_next("read", &real, sizeof(real));
	if (getenv("FAILREAD_RANGES") && (off = lseek(fd, 0, SEEK_CUR)) >= 0 &&
	    hits_bad_range(off, len) && is_target(fd)) {
		errno = EIO;
		return -1;
	}
	return real(fd, buf, len);
}

ssize_t pread(int fd, void *buf, size_t len, off_t off)
{
	return faulty("pread", fd, buf, len, off);
}

ssize_t pread64(int fd, void *buf, size_t len, off_t off)
{
	return faulty("pread64", fd, buf, len, off);
}
