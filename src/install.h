/* SPDX-License-Identifier: MIT */
/*
 * install.h --- "e2qcow install": a capture's metadata back onto its
 * device, with an e2undo file of what it replaced.
 */
#ifndef INSTALL_H
#define INSTALL_H

#include <stdbool.h>
#include <stdint.h>

struct install_opts {
	const char *image, *device;
	const char *undo; /* NULL: the default name */
	bool no_undo, force, progress;
	uint64_t offset; /* -O: where the filesystem starts in the device */
};

int install_main(int argc, char **argv);
/* Install as @o says (options already checked); an exit status. */
int install_run(const struct install_opts *o);

#endif
