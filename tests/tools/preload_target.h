/* SPDX-License-Identifier: MIT */
/*
 * preload_target.h --- for the LD_PRELOAD test helpers: is a file
 * descriptor the file the environment variable @var names?
 */
#ifndef PRELOAD_TARGET_H
#define PRELOAD_TARGET_H

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline int preload_is_target(int fd, const char *var)
{
	const char *want = getenv(var);
	char link[64], path[PATH_MAX], real[PATH_MAX];
	ssize_t n;

	if (!want || !realpath(want, real))
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return 0;
	path[n] = 0;
	return !strcmp(path, real);
}

/*
 * The next definition of @name (the one this shim stands in front of),
 * into the function pointer at @fn: ISO C has no cast from dlsym's
 * object pointer to a function pointer, POSIX guarantees the bytes.
 */
static inline void preload_next(const char *name, void *fn, size_t size)
{
	void *p = dlsym(RTLD_NEXT, name);

	memcpy(fn, &p, size);
}

#endif
