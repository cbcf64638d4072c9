/* SPDX-License-Identifier: MIT */
/*
 * capture_opts.h --- the capture subcommand's command line.
 */
#ifndef CAPTURE_OPTS_H
#define CAPTURE_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct capture_opts {
	const char *source;
	const char *image;
	bool all_data;		/* -a */
	bool raw;		/* -r */
	bool force;		/* -f */
	bool progress;		/* -p */
	bool overwrite;		/* --overwrite */
	bool no_sync;		/* --no-sync */
	bool quiet;		/* -q: no per-inode warnings, summary only */
	bool e2image_voice;	/* called as e2image: print what it prints, exit
				   0 when an image is written */
	uint64_t superblock;	/* -b */
	unsigned block_size;	/* -B */
	unsigned cluster_size;	/* -C; 0: the filesystem block size */
	unsigned qcow_version;	/* --qcow-version */
	bool compress;		/* -z, --compress */
	unsigned compress_type; /* QCOW_COMPRESS_ZLIB or _ZSTD */
	int compress_level;	/* 0: the type's default */
	unsigned threads;	/* -t; 0: one per core */
	uint64_t source_offset; /* -o: the filesystem's byte offset in SOURCE */
	uint64_t
		target_offset; /* -O: raw output, where the filesystem starts */
	bool compare;	       /* --compare: raw output, write only changes */
	bool dry_run;	       /* -n: list the blocks, write nothing */
	bool e2i;	       /* --format=e2i: e2image's own format */
	bool scrub;	     /* -s, --scrub: names, targets, xattrs replaced */
	unsigned scrub_keep; /* --scrub-keep: FSREAD_SCRUB_KEEP_* */
	const char *base;    /* --base: an overlay of this earlier capture */
	bool trust_digests;  /* --trust-digests: compare with the base by
				its digests instead of reading it */
	int dedup;	     /* --dedup 1, --no-dedup 0, else -1: identical
				clusters stored once (default: without -a) */
	bool resume;	     /* --resume: keep and continue partial images */
};

/* Worker threads allowed with -t. */
#define CAPTURE_MAX_THREADS 64

/*
 * capture_parse_args() - parse argv (argv[0] is the subcommand name).
 * Returns 0 to go on, or an exit status: 0 after --help, 2 after a usage
 * error (already reported on stderr).
 */
int capture_parse_args(int argc, char **argv, struct capture_opts *o,
		       bool *done);
void capture_usage(FILE *f);

#endif
