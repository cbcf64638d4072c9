// SPDX-License-Identifier: MIT
/*
 * e2image_cli.c --- e2image's command line, for the programs and scripts
 * that call e2image: "e2qcow -Q ...", "e2qcow -r ...", "e2qcow FS OUT",
 * or e2qcow installed under the name e2image.
 *
 * The options mean what they mean to e2image 1.47 and become a capture,
 * a restore, a move or an install.  Where clients parse what e2image
 * prints, it is printed as e2image prints it: the usage text (GParted
 * looks for "-o src_offset" in it), -p's "Copying N / M blocks (P%)" and
 * "Copied ..." lines, -n's "Writing block N" lines, -c's count; problems
 * with the filesystem are not listed and an image written exits 0, as
 * with e2image.  Usage errors exit 1, as e2image's do.  As with e2image,
 * an existing output file is replaced; unlike e2image, never the source
 * itself and never a mounted filesystem.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "capture_opts.h"
#include "e2image_cli.h"
#include "install.h"
#include "move.h"
#include "qcow_format.h"
#include "restore.h"

/* e2image's own exit status for a usage error. */
#define E2IMAGE_USAGE 1

void e2image_cli_usage(FILE *f, const char *prog)
{
	/* e2image's usage, word for word: clients search it. */
	fprintf(f,
		"Usage: %s [ -r|-Q ] [ -f ] [ -b superblock ] [ -B blocksize ] "
		"device image-file\n"
		"       %s -I device image-file\n"
		"       %s -ra [ -cfnp ] [ -o src_offset ] [ -O dest_offset ] "
		"src_fs [ dest_fs ]\n",
		prog, prog, prog);
}

static void long_help(const char *prog)
{
	e2image_cli_usage(stdout, prog);
	fputs("\n"
	      "e2image's options: -Q qcow2 image (version 2, which e2image -r\n"
	      "reads), -r raw image (or, of a qcow2 device argument, its raw\n"
	      "form), -a all file data too, -f mounted or unknown features,\n"
	      "-p progress, -b/-B backup superblock and its block size, -o/-O\n"
	      "byte offsets of the filesystem in the source and in the output\n"
	      "(one file and an offset: move the filesystem within it), -c write\n"
	      "only blocks that differ from the output's, -n list the blocks\n"
	      "instead of writing them, -s scrub names (see e2qcow capture -s),\n"
	      "-I install an image's metadata onto the device (with an undo\n"
	      "file: see 'e2qcow install --help').  Neither -Q nor -r: e2image's\n"
	      "own format (dumpe2fs -i, debugfs -i).\n"
	      "'e2qcow --help' lists e2qcow's own commands.\n",
	      stdout);
}

struct e2image_args {
	const char *prog;
	bool qcow, raw, all, force, progress, compare, dry_run, install, scrub;
	uint64_t superblock, src_off, dst_off;
	unsigned block_size;
};

static int usage_error(const struct e2image_args *a, const char *msg,
		       const char *arg)
{
	if (msg)
		fprintf(stderr, "%s: %s%s%s\n", a->prog, msg, arg ? ": " : "",
			arg ? arg : "");
	e2image_cli_usage(stderr, a->prog);
	return E2IMAGE_USAGE;
}

/* e2image's refusals: its message, exit 1. */
static int refuse(const struct e2image_args *a, const char *msg)
{
	fprintf(stderr, "%s: %s\n", a->prog, msg);
	return EXIT_FAILED;
}

static int parse_one(int c, struct e2image_args *a)
{
	uint64_t v;

	switch (c) {
	case 'Q':
	case 'r':
		if (a->qcow || a->raw)
			return usage_error(a, NULL, NULL);
		a->qcow = c == 'Q';
		a->raw = c == 'r';
		break;
	case 'a':
		a->all = true;
		break;
	case 'f':
		a->force = true;
		break;
	case 'p':
		a->progress = true;
		break;
	case 'c':
		a->compare = true;
		break;
	case 'n':
		a->dry_run = true;
		break;
	case 'I':
		a->install = true;
		break;
	case 's':
		a->scrub = true;
		break;
	case 'b':
		/* libext2fs takes the superblock's block as an int. */
		if (!cli_parse_size(optarg, &v) || !v || v > INT_MAX)
			return usage_error(a, "bad superblock number", optarg);
		a->superblock = v;
		break;
	case 'B':
		if (!cli_parse_size(optarg, &v) || v < 1024 || v > 65536 ||
		    (v & (v - 1)))
			return usage_error(a, "bad block size", optarg);
		a->block_size = (unsigned)v;
		break;
	case 'o':
	case 'O':
		if (!cli_parse_size(optarg, &v) || v > (1ULL << 62))
			return usage_error(a, "bad offset", optarg);
		if (c == 'o')
			a->src_off = v;
		else
			a->dst_off = v;
		break;
	default:
		return usage_error(a, NULL, NULL);
	}
	return 0;
}

/* Does @path start with qcow2's magic? */
static bool is_qcow2(const char *path)
{
	unsigned char m[4];
	FILE *f = fopen(path, "rb");
	bool yes;

	if (!f)
		return false;
	yes = fread(m, 1, 4, f) == 4 && qcow_is_magic(m);
	fclose(f);
	return yes;
}

/* e2image -r IMAGE.qcow2 OUT: its raw form (-a and -c mean nothing). */
static int restore_qcow2(const struct e2image_args *a, const char *src,
			 const char *dst)
{
	struct restore_opts ro;

	memset(&ro, 0, sizeof(ro));
	ro.image = src;
	ro.target = dst;
	ro.progress = a->progress;
	ro.force = a->force;
	ro.overwrite = true; /* as e2image */
	ro.offset = a->dst_off;
	return restore_run(&ro);
}

/* e2image -I DEVICE IMAGE: note the order, the device comes first. */
static int install_e2image(const struct e2image_args *a, char **args)
{
	struct install_opts io;

	memset(&io, 0, sizeof(io));
	io.device = args[0];
	io.image = args[1];
	io.force = a->force;
	io.progress = a->progress;
	io.offset = a->dst_off;
	return install_run(&io);
}

static int capture_e2image(const struct e2image_args *a, const char *src,
			   const char *dst)
{
	struct capture_opts o;

	memset(&o, 0, sizeof(o));
	o.source = src;
	o.image = dst;
	o.raw = a->raw;
	o.all_data = a->all;
	o.force = a->force;
	o.progress = a->progress;
	o.superblock = a->superblock;
	o.block_size = a->block_size;
	o.source_offset = a->src_off;
	o.target_offset = a->dst_off;
	o.compare = a->compare;
	o.dry_run = a->dry_run;
	o.scrub = a->scrub;
	/* What stock e2image -r reads back. */
	o.qcow_version = 2;
	o.e2image_voice = true;
	o.quiet = true;
	/* Neither -Q nor -r: e2image's own format. */
	o.e2i = !a->qcow && !a->raw;
	o.overwrite = true; /* as e2image */
	return capture_run(&o);
}

int e2image_cli_main(int argc, char **argv, const char *prog)
{
	struct e2image_args a;
	int c, status, args;

	memset(&a, 0, sizeof(a));
	a.prog = prog;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			long_help(prog);
			return EXIT_OK;
		}
	optind = 1;
	opterr = 0;
	while ((c = getopt(argc, argv, "b:B:nrsIQafo:O:pc")) != -1) {
		status = parse_one(c, &a);
		if (status)
			return status;
	}
	args = argc - optind;
	/* One file and an offset: move the filesystem within it. */
	if (args == 1 && (a.src_off || a.dst_off)) {
		if (!a.raw)
			return refuse(&a, "Move mode is only allowed with raw "
					  "images.");
		if (!a.all)
			return refuse(&a, "Move mode requires all data mode.");
		if (a.superblock || a.compare || a.dry_run || a.scrub)
			return refuse(&a, "Move mode takes only -f, -p, -o and "
					  "-O.");
		return move_in_place(argv[optind], a.src_off, a.dst_off,
				     a.force);
	}
	if (args != 2)
		return usage_error(&a, NULL, NULL);
	if (a.install)
		return install_e2image(&a, argv + optind);
	if (a.raw && is_qcow2(argv[optind]))
		return restore_qcow2(&a, argv[optind], argv[optind + 1]);
	if (a.all && !a.qcow && !a.raw)
		return refuse(&a, "-a option can only be used with raw or "
				  "QCOW2 images.");
	if ((a.src_off || a.dst_off) && !a.raw)
		return refuse(&a, "Offsets are only allowed with raw images.");
	if (a.compare && !a.raw)
		return refuse(&a, "The -c option only supported in raw mode");
	if (a.compare && !strcmp(argv[optind + 1], "-"))
		return refuse(&a, "The -c option is not supported when "
				  "writing to stdout");
	if (a.block_size && !a.superblock)
		return usage_error(&a, "-B goes with -b", NULL);
	if (!a.qcow && !a.raw && (a.dry_run || a.scrub))
		return refuse(&a, "e2image's own format takes neither -n "
				  "nor -s.");
	return capture_e2image(&a, argv[optind], argv[optind + 1]);
}
