/* SPDX-License-Identifier: MIT */
/*
 * e2image_cli.h --- "e2qcow -Q|-r[a] ...": e2image's command line.
 */
#ifndef E2IMAGE_CLI_H
#define E2IMAGE_CLI_H

#include <stdio.h>

/* argv[0] is the program name; argv[1] the first e2image option. */
int e2image_cli_main(int argc, char **argv);
void e2image_cli_usage(FILE *f);

#endif
