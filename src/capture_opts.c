// SPDX-License-Identifier: MIT
/*
 * capture_opts.c --- option parsing for "e2qcow capture".
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "capture_opts.h"
#include "cli.h"
#include "fsread.h"
#include "qcow_compress.h"

enum {
	OPT_OVERWRITE = 256,
	OPT_QCOW_VERSION,
	OPT_COMPRESS,
	OPT_NO_SYNC,
	OPT_COMPARE,
	OPT_FORMAT,
	OPT_BASE,
	OPT_TRUST_DIGESTS,
	OPT_DEDUP,
	OPT_NO_DEDUP,
	OPT_RESUME,
	OPT_SCRUB_KEEP,
	OPT_PROGRESS
};

/* zstd: smaller and several times faster than zlib at its default. */
#define DEFAULT_COMPRESS_TYPE QCOW_COMPRESS_ZSTD

void capture_usage(FILE *f)
{
	fputs("usage: e2qcow capture [-afnpqrsz] [-b SUPERBLOCK] [-B BLOCKSIZE]\n"
	      "                      [-o OFFSET] [-O OFFSET]\n"
	      "                      [-C CLUSTERSIZE] [--qcow-version 2|3]\n"
	      "                      [--compress[=zlib|zstd][:LEVEL]] [-t N]\n"
	      "                      [--compare] [--no-sync] [--overwrite]\n"
	      "                      [--base PREV] [--resume]\n"
	      "                      SOURCE IMAGE\n"
	      "\n"
	      "Capture the metadata of the ext2/3/4 filesystem on SOURCE (a device\n"
	      "or image file) into IMAGE, a qcow2 image (or raw with -r).  IMAGE\n"
	      "may be - for standard output.\n"
	      "\n"
	      "  -a                 also capture all file data (a backup)\n"
	      "  -s, --scrub        for a public bug report: replace every name,\n"
	      "                     symlink target and xattr, zero file data, the\n"
	      "                     label, last-mounted path, mount options, MMP\n"
	      "                     names, the boot sector and every byte that is\n"
	      "                     not structure (with -a, file contents stay)\n"
	      "      --scrub-keep=LIST\n"
	      "                     with -s, keep some of these: label, mount\n"
	      "                     (last-mounted path, mount options), errors\n"
	      "                     (error function names), mmp, boot\n"
	      "  -r, --raw          write a sparse raw image instead of qcow2\n"
	      "  -b SUPERBLOCK      open the filesystem from this backup superblock\n"
	      "  -B BLOCKSIZE       block size of that superblock (default: probe)\n"
	      "  -o OFFSET          the filesystem starts OFFSET bytes into SOURCE\n"
	      "                     (a partition in a whole-disk image)\n"
	      "  -O OFFSET          raw output: write the filesystem OFFSET bytes\n"
	      "                     into IMAGE (in place if it exists)\n"
	      "  -C, --cluster-size SIZE\n"
	      "                     qcow2 cluster size, 512 to 2M (default: the\n"
	      "                     filesystem block size, larger if needed)\n"
	      "  -z, --compress[=TYPE][:LEVEL]\n"
	      "                     compress clusters: zstd (default; QEMU 5.1 or\n"
	      "                     later reads it) or zlib (every QEMU), LEVEL 1-9\n"
	      "                     for zlib (default 6), 1-19 for zstd (default 3)\n"
	      "  -t, --threads N    hash and compress on N threads (default: one per\n"
	      "                     core)\n"
	      "      --qcow-version N\n"
	      "                     2 for old readers such as e2image -r (default 3)\n"
	      "  -f                 capture a filesystem mounted read-write, or one\n"
	      "                     with features libext2fs does not know\n"
	      "  -p, --progress[=json]\n"
	      "                     show progress on standard error (json: one JSON\n"
	      "                     object a line, for programs; see the man page)\n"
	      "  -q                 do not list each problem found, only the count\n"
	      "      --format=qcow2|raw|e2i\n"
	      "                     e2i: e2image's own format, which dumpe2fs -i\n"
	      "                     and debugfs -i read (superblock, descriptors,\n"
	      "                     inode tables, bitmaps)\n"
	      "  -n, --dry-run      list the blocks that would be captured; write\n"
	      "                     nothing (as e2image -n)\n"
	      "      --compare      raw output into an existing file or device:\n"
	      "                     write only the blocks that differ (as e2image -c)\n"
	      "      --no-sync      do not wait for the image to reach the disk\n"
	      "      --base PREV    incremental: IMAGE becomes an overlay of PREV (an\n"
	      "                     earlier capture of the same filesystem) holding\n"
	      "                     only the clusters that changed since\n"
	      "      --trust-digests\n"
	      "                     with --base: tell changed clusters by PREV's\n"
	      "                     digests instead of reading PREV (only if nothing\n"
	      "                     but e2qcow wrote to PREV's chain: qemu-img commit\n"
	      "                     into it leaves them stale)\n"
	      "      --dedup, --no-dedup\n"
	      "                     store identical clusters once, or not (default:\n"
	      "                     yes for metadata, no with -a: see the man page)\n"
	      "      --overwrite    replace IMAGE if it exists\n"
	      "      --resume       keep what an interrupted capture wrote, and go\n"
	      "                     on from there when run again (qcow2 to a file)\n"
	      "  -h, --help         show this help\n",
	      f);
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static int usage_error(const char *msg, const char *arg)
{
	return cli_usage_error("capture", msg, arg);
}

/* "zlib", "zstd", "zlib:9", "zstd:19", or just a level: "5", ":5". */
static int parse_compress(const char *arg, struct capture_opts *o)
{
	const char *level = arg;
	char *end;
	long v;

	o->compress = true;
	o->compress_type = DEFAULT_COMPRESS_TYPE;
	if (!arg)
		return 0;
	if (!strncmp(arg, "zlib", 4) || !strncmp(arg, "zstd", 4)) {
		o->compress_type =
			arg[1] == 'l' ? QCOW_COMPRESS_ZLIB : QCOW_COMPRESS_ZSTD;
		level = arg + 4;
		if (!*level)
			return 0;
		if (*level != ':')
			return usage_error("compression must be zlib or zstd, "
					   "with an optional :LEVEL",
					   arg);
	}
	if (*level == ':')
		level++;
	else if (level == arg && (*arg < '0' || *arg > '9'))
		return usage_error("compression must be zlib or zstd, with an "
				   "optional :LEVEL",
				   arg);
	errno = 0;
	v = strtol(level, &end, 10);
	if (errno || end == level || *end ||
	    v < qcow_compress_min_level(o->compress_type) ||
	    v > qcow_compress_max_level(o->compress_type)) {
		fprintf(stderr,
			"e2qcow capture: %s levels go from %d to %d: %s\n",
			o->compress_type == QCOW_COMPRESS_ZLIB ? "zlib"
							       : "zstd",
			qcow_compress_min_level(o->compress_type),
			qcow_compress_max_level(o->compress_type), arg);
		return 2;
	}
	o->compress_level = (int)v;
	return 0;
}

/* --scrub-keep=label,mount,...: what -s leaves as it was. */
static int parse_scrub_keep(const char *arg, struct capture_opts *o)
{
	static const struct {
		const char *name;
		unsigned bit;
	} words[] = {
		{ "label", FSREAD_SCRUB_KEEP_LABEL },
		{ "mount", FSREAD_SCRUB_KEEP_MOUNT },
		{ "errors", FSREAD_SCRUB_KEEP_ERRORS },
		{ "mmp", FSREAD_SCRUB_KEEP_MMP },
		{ "boot", FSREAD_SCRUB_KEEP_BOOT },
	};
	const char *p = arg;

	while (*p) {
		size_t len = strcspn(p, ",");
		size_t i;

		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (strlen(words[i].name) == len &&
			    !strncmp(p, words[i].name, len))
				break;
		if (i == sizeof(words) / sizeof(words[0]))
			return usage_error("--scrub-keep takes label, mount, "
					   "errors, mmp and boot, separated "
					   "by commas",
					   arg);
		o->scrub_keep |= words[i].bit;
		p += len + (p[len] == ',');
	}
	return 0;
}

static int parse_one(int c, struct capture_opts *o)
{
	uint64_t v;

	switch (c) {
	case 'a':
		o->all_data = true;
		break;
	case 'r':
		o->raw = true;
		break;
	case 'f':
		o->force = true;
		break;
	case 'p':
		o->progress = true;
		break;
	case 'q':
		o->quiet = true;
		break;
	case 's':
		o->scrub = true;
		break;
	case 'b':
		/* libext2fs takes the superblock's block as an int. */
		if (!cli_parse_size(optarg, &v) || !v || v > INT_MAX)
			return usage_error("bad superblock number", optarg);
		o->superblock = v;
		break;
	case 'B':
		if (!cli_parse_size(optarg, &v) || !is_pow2(v) || v < 1024 ||
		    v > 65536)
			return usage_error(
				"block size must be a power of two from 1024 to 65536",
				optarg);
		o->block_size = (unsigned)v;
		break;
	case 'C':
		if (!cli_parse_size(optarg, &v) || !is_pow2(v) || v < 512 ||
		    v > (2U << 20))
			return usage_error(
				"cluster size must be a power of two from 512 to 2M",
				optarg);
		o->cluster_size = (unsigned)v;
		break;
	case OPT_QCOW_VERSION:
		if (strcmp(optarg, "2") && strcmp(optarg, "3"))
			return usage_error("qcow2 version must be 2 or 3",
					   optarg);
		o->qcow_version = (unsigned)atoi(optarg);
		break;
	case OPT_OVERWRITE:
		o->overwrite = true;
		break;
	case 'z':
		return parse_compress(NULL, o);
	case OPT_NO_SYNC:
		o->no_sync = true;
		break;
	case OPT_BASE:
		o->base = optarg;
		break;
	case OPT_TRUST_DIGESTS:
		o->trust_digests = true;
		break;
	case OPT_DEDUP:
		o->dedup = 1;
		break;
	case OPT_NO_DEDUP:
		o->dedup = 0;
		break;
	case OPT_RESUME:
		o->resume = true;
		break;
	case OPT_SCRUB_KEEP:
		return parse_scrub_keep(optarg, o);
	case OPT_PROGRESS:
		return cli_progress_option("capture", optarg, &o->progress);
	case OPT_COMPARE:
		o->compare = true;
		break;
	case 'n':
		o->dry_run = true;
		break;
	case OPT_FORMAT:
		if (!strcmp(optarg, "e2i"))
			o->e2i = true;
		else if (!strcmp(optarg, "raw"))
			o->raw = true;
		else if (strcmp(optarg, "qcow2"))
			return usage_error("format must be qcow2, raw or e2i",
					   optarg);
		break;
	case OPT_COMPRESS:
		return parse_compress(optarg, o);
	case 'o':
	case 'O':
		if (!cli_parse_size(optarg, &v) || v > (1ULL << 62))
			return usage_error("bad offset", optarg);
		if (c == 'o')
			o->source_offset = v;
		else
			o->target_offset = v;
		break;
	case 't':
		if (!cli_parse_size(optarg, &v) || !v ||
		    v > CAPTURE_MAX_THREADS)
			return usage_error("threads must be from 1 to 64",
					   optarg);
		o->threads = (unsigned)v;
		break;
	default:
		return usage_error("invalid option", NULL);
	}
	return 0;
}

int capture_parse_args(int argc, char **argv, struct capture_opts *o,
		       bool *done)
{
	static const struct option longopts[] = {
		{ "raw", no_argument, NULL, 'r' },
		{ "cluster-size", required_argument, NULL, 'C' },
		{ "qcow-version", required_argument, NULL, OPT_QCOW_VERSION },
		{ "overwrite", no_argument, NULL, OPT_OVERWRITE },
		{ "compress", optional_argument, NULL, OPT_COMPRESS },
		{ "no-sync", no_argument, NULL, OPT_NO_SYNC },
		{ "compare", no_argument, NULL, OPT_COMPARE },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "base", required_argument, NULL, OPT_BASE },
		{ "trust-digests", no_argument, NULL, OPT_TRUST_DIGESTS },
		{ "dedup", no_argument, NULL, OPT_DEDUP },
		{ "no-dedup", no_argument, NULL, OPT_NO_DEDUP },
		{ "resume", no_argument, NULL, OPT_RESUME },
		{ "scrub-keep", required_argument, NULL, OPT_SCRUB_KEEP },
		{ "threads", required_argument, NULL, 't' },
		{ "progress", optional_argument, NULL, OPT_PROGRESS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, status;

	memset(o, 0, sizeof(*o));
	o->qcow_version = 3;
	o->dedup = -1;
	*done = false;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "afnpqrszb:B:C:o:O:t:h", longopts,
				NULL)) != -1) {
		if (c == 'h') {
			capture_usage(stdout);
			*done = true;
			return 0;
		}
		if (c == '?')
			return usage_error("invalid option or missing argument",
					   argv[optind - 1]);
		status = parse_one(c, o);
		if (status)
			return status;
	}
	if (argc - optind != 2)
		return usage_error("need a SOURCE and an IMAGE", NULL);
	if (o->block_size && !o->superblock)
		return usage_error("-B goes with -b", NULL);
	if (o->raw && (o->cluster_size || o->qcow_version != 3))
		return usage_error("-C and --qcow-version are for qcow2 output",
				   NULL);
	if (o->target_offset && !o->raw)
		return usage_error("-O is for raw output (-r)", NULL);
	if (o->compare && !o->raw)
		return usage_error("--compare is for raw output (-r)", NULL);
	if (o->e2i && (o->raw || o->compress || o->all_data ||
		       o->target_offset || o->compare || o->cluster_size))
		return usage_error("--format=e2i takes none of -r, -z, -a, -O, "
				   "-C, --compare",
				   NULL);
	if (o->raw && o->compress)
		return usage_error("compression is for qcow2 output", NULL);
	if (o->base && (o->raw || o->e2i || o->qcow_version != 3))
		return usage_error(
			"--base makes a qcow2 version 3 overlay: not "
			"with -r, --format or --qcow-version 2",
			NULL);
	if (o->trust_digests && !o->base)
		return usage_error("--trust-digests goes with --base", NULL);
	if (o->resume && (o->raw || o->e2i || o->base || o->dry_run))
		return usage_error(
			"--resume is for qcow2 captures: not with -r, "
			"--format, --base or -n",
			NULL);
	if (o->scrub_keep && !o->scrub)
		return usage_error("--scrub-keep goes with -s", NULL);
	if (o->scrub && o->e2i)
		return usage_error(
			"-s does not go with --format=e2i (libext2fs "
			"writes that format from the source as it is)",
			NULL);
	if (o->compress && o->compress_type == QCOW_COMPRESS_ZSTD &&
	    o->qcow_version == 2)
		return usage_error("zstd compression needs --qcow-version 3; "
				   "use --compress=zlib for version 2",
				   NULL);
	o->source = argv[optind];
	o->image = argv[optind + 1];
	return 0;
}
