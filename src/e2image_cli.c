// SPDX-License-Identifier: MIT
/*
 * e2image_cli.c --- e2image's command line, for people whose fingers know
 * it: "e2qcow -Q ...", "e2qcow -r ...", "e2qcow -ra ...".
 *
 * The options mean what they mean to e2image 1.47 and become a capture
 * or a restore: -Q writes qcow2, -r a raw image, and -r with a qcow2
 * SOURCE converts it back to raw (as "e2image -r image.qcow2 out" does).
 * As with e2image, an existing output file is replaced; unlike e2image,
 * never the source itself and never a mounted filesystem.
 */
#include <errno.h>
#include <getopt.h>
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

void e2image_cli_usage(FILE *f)
{
	fputs("usage: e2qcow -Q [-afps] [-b SUPERBLOCK] [-B BLOCKSIZE] [-o OFFSET]\n"
	      "                 DEVICE IMAGE\n"
	      "       e2qcow -r[a] [-cfnps] [-b SUPERBLOCK] [-B BLOCKSIZE] [-o OFFSET]\n"
	      "                 [-O OFFSET] DEVICE IMAGE|-\n"
	      "       e2qcow -r [-fp] [-O OFFSET] IMAGE.qcow2 OUT|-\n"
	      "\n"
	      "e2image's options: -Q qcow2 image, -r raw image (or, of a qcow2\n"
	      "IMAGE, its raw form), -a all file data too, -f mounted or unknown\n"
	      "features, -p progress, -b/-B backup superblock and its block size,\n"
	      "-o/-O byte offsets of the filesystem in DEVICE and in the output,\n"
	      "-c write only blocks that differ from the output's, -n list the\n"
	      "blocks instead of writing them, -s scrub names (see capture -s).\n"
	      "Neither -Q nor -r: e2image's own format (dumpe2fs -i, debugfs -i).\n"
	      "       e2qcow -ra [-f] [-o OFFSET] -O OFFSET FILE  (move within FILE)\n"
	      "       e2qcow -I [-fp] [-O OFFSET] DEVICE IMAGE   (install IMAGE's\n"
	      "                 metadata onto DEVICE; the blocks replaced go to an\n"
	      "                 e2undo file first: see 'e2qcow install --help')\n"
	      "'e2qcow capture --help' has the rest.\n",
	      f);
}

struct e2image_args {
	bool qcow, raw, all, force, progress, compare, dry_run, install, scrub;
	uint64_t superblock, src_off, dst_off;
	unsigned block_size;
	bool have_dst_off;
};

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "e2qcow: %s%s%s\n", msg, arg ? ": " : "",
		arg ? arg : "");
	fprintf(stderr, "Try 'e2qcow -Q --help' for e2image's options.\n");
	return EXIT_USAGE;
}

static int parse_one(int c, struct e2image_args *a)
{
	uint64_t v;

	switch (c) {
	case 'Q': a->qcow = true; break;
	case 'r': a->raw = true; break;
	case 'a': a->all = true; break;
	case 'f': a->force = true; break;
	case 'p': a->progress = true; break;
	case 'c': a->compare = true; break;
	case 'n': a->dry_run = true; break;
	case 'b':
		if (!parse_size(optarg, &v) || !v)
			return usage_error("bad superblock number", optarg);
		a->superblock = v;
		break;
	case 'B':
		if (!parse_size(optarg, &v) || v < 1024 || v > 65536 ||
		    (v & (v - 1)))
			return usage_error("bad block size", optarg);
		a->block_size = (unsigned)v;
		break;
	case 'o':
	case 'O':
		if (!parse_size(optarg, &v) || v > (1ULL << 62))
			return usage_error("bad offset", optarg);
		if (c == 'o') {
			a->src_off = v;
		} else {
			a->dst_off = v;
			a->have_dst_off = true;
		}
		break;
	case 'I': a->install = true; break;
	case 's': a->scrub = true; break;
	default:
		return usage_error("invalid option", NULL);
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

static int restore_qcow2(const struct e2image_args *a, const char *src,
			 const char *dst)
{
	struct restore_opts ro;

	if (a->all || a->superblock || a->block_size || a->src_off ||
	    a->compare || a->dry_run)
		return usage_error("with a qcow2 source, -r takes only -f, -p "
				   "and -O",
				   NULL);
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
static int install_e2image(const struct e2image_args *a, int n, char **args)
{
	struct install_opts io;

	if (a->qcow || a->raw || a->all || a->superblock || a->compare ||
	    a->dry_run || a->src_off || a->scrub)
		return usage_error("-I takes only -f, -p and -O", NULL);
	if (n != 2)
		return usage_error("-I needs a DEVICE and an IMAGE", NULL);
	memset(&io, 0, sizeof(io));
	io.device = args[0];
	io.image = args[1];
	io.force = a->force;
	io.progress = a->progress;
	io.offset = a->dst_off;
	return install_run(&io);
}

int e2image_cli_main(int argc, char **argv)
{
	struct e2image_args a;
	struct capture_opts o;
	int c, status;

	memset(&a, 0, sizeof(a));
	optind = 1;
	opterr = 0;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			e2image_cli_usage(stdout);
			return EXIT_OK;
		}
	while ((c = getopt(argc, argv, "b:B:nrsIQafo:O:pc")) != -1) {
		if (c == '?')
			return usage_error("invalid option or missing argument",
					   argv[optind - 1]);
		status = parse_one(c, &a);
		if (status)
			return status;
	}
	if (a.qcow && a.raw)
		return usage_error("-Q and -r exclude each other", NULL);
	if (a.install)
		return install_e2image(&a, argc - optind, argv + optind);
	/* One file: move the filesystem within it (e2image -ra -O). */
	if (argc - optind == 1 && a.raw && a.all) {
		if (!a.have_dst_off || a.superblock || a.compare || a.dry_run)
			return usage_error("moving within one file takes -O "
					   "(and -o, -f, -p) only",
					   NULL);
		return move_in_place(argv[optind], a.src_off, a.dst_off,
				     a.force);
	}
	if (argc - optind != 2)
		return usage_error("need a DEVICE and an IMAGE", NULL);
	if (a.block_size && !a.superblock)
		return usage_error("-B goes with -b", NULL);
	if (a.qcow && (a.have_dst_off || a.compare))
		return usage_error("-O and -c are for raw output (-r)", NULL);
	if (a.raw && is_qcow2(argv[optind]))
		return restore_qcow2(&a, argv[optind], argv[optind + 1]);
	memset(&o, 0, sizeof(o));
	o.source = argv[optind];
	o.image = argv[optind + 1];
	o.raw = a.raw;
	o.all_data = a.all;
	o.force = a.force;
	o.progress = a.progress;
	o.superblock = a.superblock;
	o.block_size = a.block_size;
	o.source_offset = a.src_off;
	o.target_offset = a.dst_off;
	o.compare = a.compare;
	o.dry_run = a.dry_run;
	o.scrub = a.scrub;
	o.qcow_version = 3;
	/* Neither -Q nor -r: e2image's own format. */
	o.e2i = !a.qcow && !a.raw;
	if (o.e2i && (a.all || a.have_dst_off || a.compare || a.dry_run ||
		      a.scrub))
		return usage_error("e2image's own format takes none of -a, -O, "
				   "-c, -n, -s",
				   NULL);
	o.overwrite = true; /* as e2image */
	return capture_run(&o);
}
