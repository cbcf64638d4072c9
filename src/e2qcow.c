// SPDX-License-Identifier: MIT
/*
 * e2qcow.c --- main(): register error tables, dispatch subcommands.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <ext2fs/ext2_err.h>
#include <ext2fs/ext2fs.h>

#include "capture.h"
#include "check.h"
#include "e2image_cli.h"
#include "fsread_err.h"
#include "info.h"
#include "install.h"
#include "qcow_compress.h"
#include "qcow_digest.h"
#include "qcow_err.h"
#include "restore.h"
#include "verify.h"

#ifndef E2QCOW_VERSION
#define E2QCOW_VERSION "unknown"
#endif

static void usage(FILE *f)
{
	fputs("usage: e2qcow capture [options] SOURCE IMAGE\n"
	      "       e2qcow restore [options] IMAGE TARGET\n"
	      "       e2qcow [-Q|-r[a]] [e2image's options] DEVICE IMAGE\n"
	      "       e2qcow -r IMAGE.qcow2 TARGET\n"
	      "       e2qcow install [options] IMAGE DEVICE\n"
	      "       e2qcow info [--json] IMAGE\n"
	      "       e2qcow check IMAGE\n"
	      "       e2qcow verify IMAGE [SOURCE]\n"
	      "       e2qcow --version | --help\n"
	      "\n"
	      "Image ext2/ext3/ext4 filesystems into qcow2.\n"
	      "  capture   metadata (or, with -a, everything used) into qcow2 or raw\n"
	      "  restore   any qcow2 image back to raw (-r is e2image's spelling)\n"
	      "  install   a capture's metadata back onto its device (-I), with undo\n"
	      "  info      what an image holds, and what e2qcow captured into it\n"
	      "  check     refcount consistency, as qemu-img check (and of the chain)\n"
	      "  verify    every cluster against the digest stored with it (and the\n"
	      "            captured blocks against SOURCE)\n"
	      "\n"
	      "'e2qcow COMMAND --help' lists the options; man e2qcow has the rest.\n",
	      f);
}

/* Installed (or linked) as e2image: e2image's command line, whole. */
static bool called_e2image(const char *argv0)
{
	char name[64];
	const char *slash = strrchr(argv0, '/');

	snprintf(name, sizeof(name), "%s", slash ? slash + 1 : argv0);
	return !strncmp(name, "e2image", 7);
}

/* "e2qcow FS OUT": e2image's normal format, if FS is something. */
static bool names_a_source(const char *arg)
{
	struct stat st;

	return arg[0] != '-' && !stat(arg, &st) &&
	       (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode));
}

/* The version, and the libraries' this binary runs with. */
static void print_version(void)
{
	const char *ext2 = NULL;
	unsigned xxh = qcow_digest_library_version();
	char comp[96];

	ext2fs_get_library_version(&ext2, NULL);
	qcow_compress_versions(comp, sizeof(comp));
	printf("e2qcow %s\nlibext2fs %s, %s, xxhash %u.%u.%u\n", E2QCOW_VERSION,
	       ext2 ? ext2 : "?", comp, xxh / 10000, xxh / 100 % 100,
	       xxh % 100);
}

int main(int argc, char **argv)
{
	initialize_ext2_error_table();
	initialize_e2qf_error_table();
	initialize_e2qo_error_table();

	if (argc >= 1 && called_e2image(argv[0]))
		return e2image_cli_main(argc, argv, "e2image");
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "capture"))
		return capture_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "restore"))
		return restore_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "install"))
		return install_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "info"))
		return info_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "verify"))
		return verify_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check"))
		return check_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		print_version();
		return EXIT_OK;
	}
	/* An option first, or a device and an image: e2image's command
	 * line (-Q, -r, -ra ..., or its own format). */
	if ((argv[1][0] == '-' && argv[1][1]) ||
	    (argc == 3 && names_a_source(argv[1])))
		return e2image_cli_main(argc, argv, "e2qcow");
	fprintf(stderr, "e2qcow: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
