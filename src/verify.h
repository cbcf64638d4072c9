/* SPDX-License-Identifier: MIT */
/*
 * verify.h --- "e2qcow verify": an image against its digests, and
 * optionally against its source.
 */
#ifndef VERIFY_H
#define VERIFY_H

#include <stdbool.h>

int verify_main(int argc, char **argv);
/* Exit status: 0 all match, 2 something differs, 1 not verified. */
int verify_run(const char *image, const char *source, bool force);

#endif
