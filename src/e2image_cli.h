/* SPDX-License-Identifier: MIT */
/*
 * e2image_cli.h --- "e2qcow -Q|-r[a] ...", or e2qcow installed as
 * e2image: e2image's command line.
 */
#ifndef E2IMAGE_CLI_H
#define E2IMAGE_CLI_H

#include <stdio.h>

/* argv[0] is the program name, @prog what to call it in messages. */
int e2image_cli_main(int argc, char **argv, const char *prog);
/* e2image's usage text, with @prog for its name. */
void e2image_cli_usage(FILE *f, const char *prog);

#endif
