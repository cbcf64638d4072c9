// SPDX-License-Identifier: MIT
/*
 * interruptwrite.c --- test helper, an LD_PRELOAD shim that plays the
 * user pressing ^C part way through a job: once more than
 * INTERRUPT_AFTER bytes have been written to the file (or device)
 * INTERRUPT_PATH ("*": to any file but standard output and error, for
 * a target written under a temporary name), the process gets a real
 * SIGINT, delivered to its own handler, as from a terminal.  The write
 * itself completes.  INTERRUPT_SIGNAL=9 makes it a SIGKILL instead: a
 * crash, with no handler run and nothing flushed.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "preload_target.h"

static int is_target(int fd)
{
	const char *want = getenv("INTERRUPT_PATH");

	if (want && !strcmp(want, "*"))
		return fd > 2;
	return preload_is_target(fd, "INTERRUPT_PATH");
}

typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*write_fn)(int, const void *, size_t);

static unsigned long long written;
static int raised;

static void count(int fd, ssize_t n)
{
	const char *after = getenv("INTERRUPT_AFTER");

	if (n <= 0 || raised || !after || !is_target(fd))
		return;
	written += (unsigned long long)n;
	if (written > strtoull(after, NULL, 0)) {
		raised = 1;
		raise(getenv("INTERRUPT_SIGNAL")
			      ? atoi(getenv("INTERRUPT_SIGNAL"))
			      : SIGINT);
	}
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	pwrite_fn real;
	ssize_t n;

	preload_next("pwrite", &real, sizeof(real));
	n = real(fd, buf, len, off);

	count(fd, n);
	return n;
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	pwrite_fn real;
	ssize_t n;

	preload_next("pwrite64", &real, sizeof(real));
	n = real(fd, buf, len, off);

	count(fd, n);
	return n;
}

ssize_t write(int fd, const void *buf, size_t len)
{
	write_fn real;
	ssize_t n;

	preload_next("write", &real, sizeof(real));
	n = real(fd, buf, len);

	count(fd, n);
	return n;
}
