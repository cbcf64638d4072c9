// SPDX-License-Identifier: MIT
/*
 * install.c --- "e2qcow install IMAGE DEVICE" (e2image's -I): write the
 * metadata held in a capture back onto the filesystem's device, as a
 * last resort when the device's own metadata is beyond repair.
 *
 * Which blocks are metadata is worked out from the capture itself: fsread
 * walks the filesystem inside the image (a qcow2 through the qcow2 I/O
 * manager, a raw image directly), so only those blocks are written and
 * file data on the device is never touched.  e2image's own format holds
 * superblock, descriptors, bitmaps and inode tables: those are written,
 * as e2image -I writes them (install_e2i.c).  Unlike e2image, the blocks
 * about to be overwritten are first saved into an undo file through
 * libext2fs' own undo manager, so e2fsprogs' e2undo puts them back; a
 * mounted device, a device holding another filesystem (-f overrides) and
 * an existing undo file are refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ext2fs/ext2fs.h>

#include "capture.h"
#include "capture_opts.h"
#include "cli.h"
#include "extmap.h"
#include "fsread.h"
#include "install.h"
#include "install_e2i.h"
#include "interrupt.h"
#include "output.h"
#include "progress.h"
#include "qcow_ext2io.h"
#include "qcow_format.h"
#include "qcow_reader.h"

#define INSTALL_CHUNK (4U << 20)

enum { OPT_UNDO = 256, OPT_NO_UNDO, OPT_PROGRESS };

static void usage(FILE *f)
{
	fputs("usage: e2qcow install [-fp] [-O OFFSET] [--undo FILE | --no-undo]\n"
	      "                      IMAGE DEVICE\n"
	      "\n"
	      "Write the filesystem metadata held in IMAGE (a qcow2 or raw capture)\n"
	      "onto DEVICE, a last resort when DEVICE's own metadata cannot be\n"
	      "repaired.  Only the blocks that are metadata in IMAGE's filesystem\n"
	      "are written; file data on DEVICE is left alone.  The blocks replaced\n"
	      "are saved first into an undo file that e2undo(8) puts back.\n"
	      "\n"
	      "  -O OFFSET      the filesystem starts at this byte offset in DEVICE\n"
	      "  -f             install even if DEVICE holds a filesystem with another\n"
	      "                 UUID, or IMAGE's filesystem has unknown features\n"
	      "  -p, --progress[=json]\n"
	      "                 show progress on standard error (json: one JSON\n"
	      "                 object a line, for programs)\n"
	      "      --undo FILE  where to save the replaced blocks (default:\n"
	      "                 $E2FSPROGS_UNDO_DIR or ., e2qcow-install-DEVICE.e2undo);\n"
	      "                 never replaces an existing file\n"
	      "      --no-undo  save nothing (as e2image -I)\n"
	      "  -h, --help     show this help\n",
	      f);
}

static int usage_error(const char *msg, const char *arg)
{
	return cli_usage_error("install", msg, arg);
}

static int parse_args(int argc, char **argv, struct install_opts *o, bool *done)
{
	static const struct option longopts[] = {
		{ "undo", required_argument, NULL, OPT_UNDO },
		{ "no-undo", no_argument, NULL, OPT_NO_UNDO },
		{ "progress", optional_argument, NULL, OPT_PROGRESS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	*done = false;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "fpO:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->force = true;
			break;
		case 'p':
			o->progress = true;
			break;
		case 'O':
			if (!cli_parse_size(optarg, &o->offset))
				return usage_error("bad offset", optarg);
			break;
		case OPT_UNDO:
			o->undo = optarg;
			break;
		case OPT_NO_UNDO:
			o->no_undo = true;
			break;
		case OPT_PROGRESS:
			if (cli_progress_option("install", optarg,
						&o->progress))
				return 2;
			break;
		case 'h':
			usage(stdout);
			*done = true;
			return 0;
		default:
			return usage_error("invalid option or missing argument",
					   argv[optind - 1]);
		}
	}
	if (o->undo && o->no_undo)
		return usage_error("--undo and --no-undo contradict each other",
				   NULL);
	if (argc - optind != 2)
		return usage_error("need an IMAGE and a DEVICE", NULL);
	o->image = argv[optind];
	o->device = argv[optind + 1];
	return 0;
}

struct install {
	const struct install_opts *o;
	struct qcow_reader *qcow; /* NULL: a raw image */
	ext2_filsys e2i;	  /* e2image's own format */
	struct fsread *fs;
	struct fsread_info info;
	struct extmap map;
	uint64_t blocks;
	char *undo_path;
	unsigned warnings;
};

static void on_warn(void *ctx, uint32_t ino, errcode_t err, const char *msg)
{
	struct install *in = ctx;

	(void)ino, (void)err, (void)msg;
	in->warnings++;
}

/* qcow2, raw, or e2image's own format (which holds no bitmaps to map). */
static errcode_t open_image(struct install *in)
{
	const char *path = in->o->image;
	uint8_t head[4] = { 0 };
	struct qcow_open_error e;
	struct qcow_reader_opts ro = { .allow_corrupt = in->o->force };
	errcode_t err;
	FILE *f = fopen(path, "rb");

	if (!f || fread(head, 1, sizeof(head), f) != sizeof(head)) {
		err = f ? EXT2_ET_SHORT_READ : (errcode_t)errno;
		com_err("e2qcow", err, "while reading '%s'", path);
		if (f)
			fclose(f);
		return err;
	}
	fclose(f);
	if (fsread_is_e2i_magic(head))
		return install_e2i_open(path, &in->e2i, &in->info);
	if (!qcow_is_magic(head))
		return 0; /* raw */
	err = qcow_reader_open(path, &ro, &in->qcow, &e);
	if (err)
		cli_report_open_error(path, err, &e);
	return err;
}

static errcode_t map_image(struct install *in)
{
	if (in->e2i) {
		in->blocks = install_e2i_blocks(in->e2i);
		return 0;
	}
	struct fsread_opts fo = { .force = in->o->force,
				  .warn = on_warn,
				  .cb_ctx = in };
	struct fsread_stats st;
	errcode_t err;

	if (in->qcow) {
		qcow_ext2io_bind(in->qcow);
		fo.io_manager = qcow_ext2io_manager;
	}
	err = fsread_open(in->o->image, &fo, &in->fs);
	if (err) {
		com_err("e2qcow", err,
			"while opening the filesystem in '%s'; it holds no "
			"ext2/3/4 metadata e2qcow can install",
			in->o->image);
		return err;
	}
	fsread_get_info(in->fs, &in->info);
	if (in->info.superblock)
		fprintf(stderr,
			"e2qcow: warning: the primary superblock in '%s' is "
			"unusable; installing what its backup describes\n",
			in->o->image);
	err = fsread_map(in->fs, 0, &in->map, &st);
	if (err) {
		com_err("e2qcow", err, "while mapping '%s'", in->o->image);
		return err;
	}
	in->blocks = extmap_total(&in->map);
	if (in->warnings)
		fprintf(stderr,
			"e2qcow: warning: the filesystem in '%s' has %u "
			"problems; its metadata is installed as captured\n",
			in->o->image, in->warnings);
	return 0;
}

/* DEVICE must be big enough and must not hold some other filesystem. */
static errcode_t check_device(struct install *in)
{
	const struct install_opts *o = in->o;
	uint64_t need = in->info.blocks_count * in->info.block_size;
	struct fsread_sb_id id;
	uint8_t sb[1024];
	off_t end;
	int fd = open(o->device, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		errcode_t err = errno;

		com_err("e2qcow", err, "while opening '%s'", o->device);
		return err;
	}
	end = lseek(fd, 0, SEEK_END);
	if (end < 0) {
		errcode_t err = errno;

		com_err("e2qcow", err, "while finding the size of '%s'",
			o->device);
		close(fd);
		return err;
	}
	if ((uint64_t)end < o->offset || (uint64_t)end - o->offset < need) {
		fprintf(stderr,
			"e2qcow: '%s' holds %lld bytes; the filesystem in '%s' "
			"needs %llu at offset %llu\n",
			o->device, (long long)end, o->image,
			(unsigned long long)need,
			(unsigned long long)o->offset);
		close(fd);
		return ENOSPC;
	}
	if (pread(fd, sb, sizeof(sb), (off_t)(o->offset + 1024)) ==
		    (ssize_t)sizeof(sb) &&
	    fsread_sb_identify(sb, &id) &&
	    memcmp(id.uuid, in->info.uuid, sizeof(id.uuid)) && !o->force) {
		fprintf(stderr,
			"e2qcow: '%s' holds another filesystem (its UUID "
			"differs from the one in '%s'; %llu blocks of %u "
			"bytes)\n  -f installs anyway.\n",
			o->device, o->image,
			(unsigned long long)id.blocks_count, id.block_size);
		close(fd);
		return EEXIST;
	}
	close(fd);
	return 0;
}

/* The undo file's name: given, or e2fsprogs' style in its undo dir. */
static errcode_t choose_undo(struct install *in)
{
	const char *dir = getenv("E2FSPROGS_UNDO_DIR");
	char *dev, *base;
	struct stat st;
	int n;

	if (in->o->no_undo)
		return 0;
	if (in->o->undo) {
		in->undo_path = strdup(in->o->undo);
	} else {
		dev = strdup(in->o->device);
		if (!dev)
			return ENOMEM;
		base = basename(dev);
		n = asprintf(&in->undo_path, "%s/e2qcow-install-%s.e2undo",
			     dir && *dir ? dir : ".", base);
		free(dev);
		if (n < 0)
			in->undo_path = NULL;
	}
	if (!in->undo_path)
		return ENOMEM;
	if (!lstat(in->undo_path, &st)) {
		fprintf(stderr,
			"e2qcow: undo file '%s' already exists (from an "
			"earlier install?); nothing was written\n"
			"  Move it away, or name another with --undo.\n",
			in->undo_path);
		return EEXIST;
	}
	return 0;
}

static errcode_t open_device(struct install *in, io_channel *ch)
{
	char opt[64];
	io_manager mgr = unix_io_manager;
	errcode_t err;

	if (in->undo_path) {
		set_undo_io_backing_manager(unix_io_manager);
		err = set_undo_io_backup_file(in->undo_path);
		if (err)
			return err;
		mgr = undo_io_manager;
	}
	err = mgr->open(in->o->device, IO_FLAG_RW | IO_FLAG_EXCLUSIVE, ch);
	if (err)
		return err;
	snprintf(opt, sizeof(opt), "tdb_data_size=%u", in->info.block_size);
	if (in->undo_path)
		err = io_channel_set_options(*ch, opt);
	snprintf(opt, sizeof(opt), "offset=%llu",
		 (unsigned long long)in->o->offset);
	if (!err && in->o->offset)
		err = io_channel_set_options(*ch, opt);
	if (!err)
		err = io_channel_set_blksize(*ch, (int)in->info.block_size);
	if (err)
		io_channel_close(*ch);
	return err;
}

static errcode_t write_blocks(struct install *in, io_channel ch)
{
	unsigned bs = in->info.block_size;
	uint64_t per = INSTALL_CHUNK / bs, done = 0;
	uint8_t *buf = malloc(INSTALL_CHUNK);
	struct progress p;
	errcode_t err = buf ? 0 : ENOMEM;

	progress_start(&p, in->o->progress, "installing", in->blocks * bs,
		       true);
	for (size_t k = 0; !err && k < in->map.n; k++) {
		const struct extmap_run *run = &in->map.runs[k];

		for (uint64_t at = 0; !err && at < run->count;) {
			uint64_t n =
				run->count - at < per ? run->count - at : per;

			err = fsread_read(in->fs, run->start + at, n, buf,
					  NULL);
			if (!err)
				err = io_channel_write_blk64(
					ch, run->start + at, (int)n, buf);
			at += n;
			done += n;
			progress_update(&p, done * bs);
		}
	}
	progress_end(&p);
	free(buf);
	return err;
}

static int install(struct install *in)
{
	sigset_t old;
	io_channel ch;
	errcode_t err, close_err;

	if (output_same_file(in->o->image, in->o->device)) {
		fprintf(stderr, "e2qcow: '%s' is the image itself\n",
			in->o->device);
		return EXIT_FAILED;
	}
	if (output_refuse_if_mounted(in->o->device) || open_image(in) ||
	    map_image(in) || check_device(in) || choose_undo(in))
		return EXIT_FAILED;
	err = open_device(in, &ch);
	if (err) {
		com_err("e2qcow", err, "while opening '%s' for writing%s%s",
			in->o->device, in->undo_path ? " with undo file " : "",
			in->undo_path ? in->undo_path : "");
		return EXIT_FAILED;
	}
	/* Stopped halfway, the device would be neither old nor new. */
	interrupt_hold(&old);
	if (in->e2i) {
		/* libext2fs writes and closes the device itself. */
		err = install_e2i_write(&in->e2i, in->o->image, ch);
		close_err = 0;
	} else {
		err = write_blocks(in, ch);
		if (!err)
			err = io_channel_flush(ch);
		close_err = io_channel_close(ch);
	}
	interrupt_release(&old);
	if (err || close_err) {
		com_err("e2qcow", err ? err : close_err,
			"while installing onto '%s'%s%s", in->o->device,
			in->undo_path ? "; what was replaced so far is in "
				      : "",
			in->undo_path ? in->undo_path : "");
		return EXIT_FAILED;
	}
	printf("installed %llu metadata blocks (%llu bytes) of '%s' onto "
	       "'%s'\n",
	       (unsigned long long)in->blocks,
	       (unsigned long long)(in->blocks * in->info.block_size),
	       in->o->image, in->o->device);
	if (in->undo_path)
		printf("the blocks replaced are in '%s'; 'e2undo %s %s' puts "
		       "them back\n",
		       in->undo_path, in->undo_path, in->o->device);
	return EXIT_OK;
}

int install_run(const struct install_opts *o)
{
	struct install in = { .o = o };
	int status;

	extmap_init(&in.map);
	status = install(&in);
	fsread_close(in.fs);
	qcow_reader_close(in.qcow);
	if (in.e2i)
		ext2fs_close_free(&in.e2i);
	extmap_free(&in.map);
	free(in.undo_path);
	return status;
}

int install_main(int argc, char **argv)
{
	struct install_opts o;
	bool done;
	int status;

	status = parse_args(argc, argv, &o, &done);
	if (status || done)
		return status;
	return install_run(&o);
}
