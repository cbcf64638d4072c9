// SPDX-License-Identifier: MIT
/*
 * capture.c --- "e2qcow capture": open the filesystem, map its used
 * blocks, stream them in large reads into a qcow2 or raw sink, and move
 * the finished image into place.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ext2fs/ext2_err.h>

#include "capture.h"
#include "capture_base.h"
#include "capture_copy.h"
#include "capture_info.h"
#include "capture_resume.h"
#include "cluster_size.h"
#include "fsread.h"
#include "fsread_err.h"
#include "interrupt.h"
#include "output.h"
#include "progress.h"
#include "qcow_digest.h"
#include "qcow_endian.h"
#include "qcow_err.h"
#include "qcow_format.h"
#include "sink.h"

/* Problems listed one by one before the rest are only counted. */
#define WARNINGS_SHOWN 50

struct capture {
	const struct capture_opts *o;
	struct fsread *fs;
	struct fsread_info info;
	struct fsread_stats stats;
	struct extmap map;
	struct output out;
	struct progress prog;
	uint64_t size; /* of the image: the filesystem's */
	unsigned cluster_bits;
	unsigned warnings_shown;
	struct qcow_reader *base; /* --base, with its chain */
	char *base_name;	  /* as the overlay's header names it */
	struct qcow_digest_entry *base_dg; /* its chain's digests, if any */
	uint64_t n_base_dg;
	unsigned base_dg_alg; /* their algorithm, which the overlay's use */
	struct fsread_scrub_report scrubbed; /* -s: of the last pass */
	struct capture_resume resume;	     /* --resume */
	bool partial_existed;		     /* ... found a partial image */
	bool partial_kept;		     /* ... and kept this run's */
};

static void on_warn(void *ctx, uint32_t ino, errcode_t err, const char *msg)
{
	struct capture *c = ctx;

	(void)err;
	if (c->o->quiet)
		return;
	if (c->warnings_shown == WARNINGS_SHOWN) {
		fprintf(stderr, "e2qcow: warning: further problems are only "
				"counted\n");
	}
	if (c->warnings_shown++ >= WARNINGS_SHOWN)
		return;
	if (c->prog.enabled && c->prog.tty)
		fputc('\n', stderr);
	if (ino)
		fprintf(stderr, "e2qcow: warning: inode %u: %s\n", ino, msg);
	else
		fprintf(stderr, "e2qcow: warning: %s\n", msg);
}

static bool on_tick(void *ctx, uint64_t done, uint64_t total)
{
	struct capture *c = ctx;

	c->prog.total = total;
	progress_update(&c->prog, done);
	return interrupt_requested();
}

static void report_open_error(const char *src, errcode_t err)
{
	if (err == FSREAD_ERR_MOUNTED_RW)
		fprintf(stderr,
			"e2qcow: '%s' is mounted read-write, so an image of it "
			"would be inconsistent\n"
			"  Unmount it or remount it read-only; -f captures it "
			"anyway.\n",
			src);
	else if (err == EXT2_ET_UNSUPP_FEATURE ||
		 err == EXT2_ET_RO_UNSUPP_FEATURE)
		com_err("e2qcow", err,
			"while opening '%s'\n  -f captures it anyway, as far "
			"as libext2fs can read it.",
			src);
	else if (err == EXT2_ET_BAD_MAGIC || err == EXT2_ET_SB_CSUM_INVALID ||
		 err == EXT2_ET_CORRUPT_SUPERBLOCK || err == EXT2_ET_SHORT_READ)
		com_err("e2qcow", err,
			"while opening '%s': no usable ext2/3/4 superblock, "
			"neither the primary nor a backup\n"
			"  If you know where a backup is, give it with -b "
			"(and -B).",
			src);
	else
		com_err("e2qcow", err, "while opening filesystem '%s'", src);
}

static errcode_t open_source(struct capture *c)
{
	struct fsread_opts fo = {
		.superblock = c->o->superblock,
		.block_size = c->o->block_size,
		.force = c->o->force,
		.offset = c->o->source_offset,
		.warn = on_warn,
		.tick = on_tick,
		.cb_ctx = c,
	};
	errcode_t err = fsread_open(c->o->source, &fo, &c->fs);

	if (err) {
		report_open_error(c->o->source, err);
		return err;
	}
	fsread_get_info(c->fs, &c->info);
	if (c->info.primary_err)
		fprintf(stderr,
			"e2qcow: warning: primary superblock of '%s' unusable "
			"(%s); read the filesystem from the backup at block "
			"%llu\n",
			c->o->source, error_message(c->info.primary_err),
			(unsigned long long)c->info.superblock);
	if (c->info.mounted)
		fprintf(stderr, "e2qcow: warning: '%s' is mounted\n",
			c->o->source);
	if (c->info.journal_dev && !c->o->quiet)
		fprintf(stderr,
			"e2qcow: note: '%s' is an external journal device; "
			"all of it is captured\n",
			c->o->source);
	if (c->info.blocks_count > (1ULL << 62) / c->info.block_size) {
		fprintf(stderr,
			"e2qcow: '%s' claims %llu blocks of %u bytes, more "
			"than any image can hold\n",
			c->o->source, (unsigned long long)c->info.blocks_count,
			c->info.block_size);
		return EFBIG;
	}
	c->size = c->info.blocks_count * c->info.block_size;
	return 0;
}

static unsigned log2u(uint64_t v)
{
	unsigned n = 0;

	while (v > 1) {
		v >>= 1;
		n++;
	}
	return n;
}

/* Largest cluster size a compressed capture picks by itself: 64 KiB. */
#define COMPRESSED_MAX_CLUSTER_BITS 16U

/* After mapping: a compressed image's size depends on where blocks are. */
static void choose_cluster_bits(struct capture *c)
{
	unsigned want = log2u(c->o->cluster_size ? c->o->cluster_size
						 : c->info.block_size);
	unsigned bits = qcow_writer_min_cluster_bits(c->size, want);

	if (c->o->compress && !c->o->cluster_size &&
	    bits < COMPRESSED_MAX_CLUSTER_BITS)
		bits = cluster_size_for_compression(
			&c->map, log2u(c->info.block_size), c->size, bits,
			COMPRESSED_MAX_CLUSTER_BITS);
	else if (bits > want)
		fprintf(stderr,
			"e2qcow: note: using %u-byte clusters: with %u-byte "
			"clusters the L1 table for %llu bytes would exceed "
			"QEMU's 32 MiB limit\n",
			1U << bits, 1U << want, (unsigned long long)c->size);
	c->cluster_bits = bits;
}

/* A raw copy onto a block device: what lies there is old, so inode
 * tables go whole (the unused inodes too, as e2image writes them). */
static bool raw_onto_device(const struct capture_opts *o)
{
	struct stat st;

	return o->raw && !stat(o->image, &st) && S_ISBLK(st.st_mode);
}

static errcode_t map_source(struct capture *c)
{
	errcode_t err;

	/* e2image says only this while it maps. */
	if (c->o->e2image_voice && c->o->progress)
		fputs("Scanning inodes...\n", stderr);
	progress_start(&c->prog, c->o->progress && !c->o->e2image_voice,
		       "mapping", c->info.inodes_count, false);
	err = fsread_map(
		c->fs,
		(c->o->all_data ? FSREAD_MAP_ALL_DATA : 0) |
			(c->o->scrub ? FSREAD_MAP_SCRUB : 0) |
			(raw_onto_device(c->o) ? FSREAD_MAP_WHOLE_ITABLES : 0),
		&c->map, &c->stats);
	if (!err)
		c->prog.done = c->prog.total;
	progress_end(&c->prog);
	if (err == FSREAD_ERR_CANCELLED) /* our tick said so: a signal */
		err = INTERRUPT_CANCELLED;
	if (err && err != INTERRUPT_CANCELLED)
		com_err("e2qcow", err, "while mapping the blocks of '%s'",
			c->o->source);
	return err;
}

static unsigned default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > CAPTURE_MAX_THREADS ? CAPTURE_MAX_THREADS : (unsigned)n;
}

static unsigned scrub_keep(const struct capture_opts *o)
{
	return (o->all_data ? FSREAD_SCRUB_KEEP_DATA : 0) | o->scrub_keep;
}

/* Every mapped block, in order, into @s. */
static errcode_t resume_tick(void *ctx)
{
	return capture_resume_tick(ctx);
}

static errcode_t copy_blocks(struct capture *c, struct sink *s,
			     const char *label, uint64_t start)
{
	struct capture_copy cc = {
		.fs = c->fs,
		.map = &c->map,
		.block_size = c->info.block_size,
		.size = c->size,
		.sink = s,
		.compress = c->o->compress,
		.compress_type = c->o->compress_type,
		.compress_level = c->o->compress_level,
		.cluster_bits = c->cluster_bits,
		.threads = c->o->threads ? c->o->threads : default_threads(),
		.prog = &c->prog,
		.stats = &c->stats,
		.start = start,
		.slot_done = c->o->resume ? resume_tick : NULL,
		.slot_ctx = &c->resume,
	};
	bool failed_read = false;
	errcode_t err = 0;

	/* A new stage for each pass: a stream's planning pass and its
	 * copy then scrub to the same bytes. */
	if (c->o->scrub)
		err = fsread_scrub_new(c->fs, scrub_keep(c->o), &cc.scrub);
	if (err) {
		com_err("e2qcow", err, "while planning how to scrub '%s'",
			c->o->source);
		return err;
	}
	if (!c->o->e2image_voice)
		progress_start(&c->prog, c->o->progress, label,
			       extmap_total(&c->map) * c->info.block_size,
			       true);
	else /* one "Copying" line, for the pass that writes */
		progress_start_e2image(
			&c->prog, c->o->progress && strcmp(label, "planning"),
			extmap_total(&c->map) * c->info.block_size,
			c->info.block_size);
	err = capture_copy_run(&cc, &failed_read);
	progress_end(&c->prog);
	fsread_scrub_get_report(cc.scrub, &c->scrubbed);
	fsread_scrub_free(cc.scrub);
	if (err && err != INTERRUPT_CANCELLED)
		com_err("e2qcow", err, "while %s '%s'",
			failed_read ? "reading" : "writing",
			failed_read ? c->o->source : c->o->image);
	return err;
}

static void fill_writer_opts(struct capture *c, struct qcow_writer_opts *wo,
			     struct qcow_writer_ext *ext, char *text,
			     size_t text_cap)
{
	size_t hdr_len = c->o->qcow_version == 2 ? QCOW2_V2_HEADER_LEN
						 : QCOW2_V3_HEADER_LEN;
	size_t room = ((size_t)1 << c->cluster_bits) - hdr_len - 16;

	memset(wo, 0, sizeof(*wo));
	wo->cluster_bits = c->cluster_bits;
	wo->version = c->o->qcow_version;
	wo->virtual_size = c->size;
	wo->compress = c->o->compress;
	wo->compress_type = c->o->compress_type;
	wo->compress_level = c->o->compress_level;
	wo->no_sync = c->o->no_sync;
	wo->digests = true; /* for "e2qcow verify" */
	wo->base = c->base;
	wo->backing_file = c->base_name;
	wo->base_digests = c->base_dg;
	wo->n_base_digests = c->n_base_dg;
	wo->digest_alg = c->base_dg_alg;
	if (!c->o->compress)
		wo->size_hint = extmap_total(&c->map) * c->info.block_size;
	ext->type = QCOW2_EXT_E2QCOW_CAPTURE;
	ext->data = text;
	ext->len = (uint32_t)capture_info_format(
		text, room < text_cap ? room : text_cap, c->o->source, &c->info,
		c->o->all_data, c->o->scrub, c->o->scrub_keep);
	wo->exts = ext;
	wo->n_exts = ext->len ? 1 : 0;
}

/* A stream gets its header and L1 table first, so a dry run plans the
 * layout: its figures in @plan, its L1 table in *@l1 (free() it). */
static errcode_t plan_stream(struct capture *c, struct qcow_writer_opts *wo,
			     struct qcow_writer_stats *plan, uint8_t **l1)
{
	struct qcow_io *null_io = NULL;
	struct sink *s = NULL;
	errcode_t err;

	err = qcow_io_null_create(&null_io);
	if (!err)
		err = sink_qcow_create(null_io, wo, &s);
	if (!err)
		err = copy_blocks(c, s, "planning", 0);
	if (!err)
		err = s->finish(s);
	if (!err) {
		sink_qcow_stats(s, plan);
		err = sink_qcow_copy_l1(s, l1);
	}
	sink_free(s);
	qcow_io_free(null_io);
	return err;
}

/*
 * --resume: what must be the same for a partial image to be continued:
 * the source and where the filesystem is in it, the options that shape
 * the image, the plan of blocks, and the superblock as it is now (a
 * mount or a change through libext2fs rewrites it).
 */
static errcode_t resume_identity(struct capture *c,
				 const struct qcow_writer_opts *wo, char **out,
				 size_t *len)
{
	size_t n = c->map.n * 16;
	uint8_t *runs = malloc(n ? n : 1), *sb = malloc(c->info.block_size);
	uint8_t map_dg[QCOW_DIGEST_LEN], sb_dg[QCOW_DIGEST_LEN] = { 0 };
	struct fsread_stats scratch = { 0 };
	uint64_t sb_block = c->info.superblock ? c->info.superblock
					       : 1024 / c->info.block_size;
	char hex[2][2 * QCOW_DIGEST_LEN + 1];
	int r;

	if (!runs || !sb) {
		free(runs);
		free(sb);
		return ENOMEM;
	}
	for (size_t i = 0; i < c->map.n; i++) {
		qcow_store_be64(runs + i * 16, c->map.runs[i].start);
		qcow_store_be64(runs + i * 16 + 8, c->map.runs[i].count);
	}
	qcow_digest(runs, n, map_dg);
	if (!fsread_read(c->fs, sb_block, 1, sb, &scratch))
		qcow_digest(sb, c->info.block_size, sb_dg);
	free(runs);
	free(sb);
	for (unsigned i = 0; i < QCOW_DIGEST_LEN; i++) {
		snprintf(hex[0] + 2 * i, 3, "%02x", map_dg[i]);
		snprintf(hex[1] + 2 * i, 3, "%02x", sb_dg[i]);
	}
	r = asprintf(out,
		     "e2qcow capture 1\nsource %s\noffset %llu\n"
		     "superblock %llu\nblocks %llu of %u\n"
		     "all %d scrub %d keep %u\ncluster_bits %u version %u "
		     "compress %d type %u level %d dedup %d digests %d\n"
		     "map %s\nsuper %s\n",
		     c->o->source, (unsigned long long)c->o->source_offset,
		     (unsigned long long)c->info.superblock,
		     (unsigned long long)c->info.blocks_count,
		     c->info.block_size, c->o->all_data, c->o->scrub,
		     c->o->scrub_keep, wo->cluster_bits, wo->version,
		     wo->compress, wo->compress_type, wo->compress_level,
		     wo->dedup, wo->digests, hex[0], hex[1]);
	if (r < 0)
		return ENOMEM;
	*len = (size_t)r;
	return 0;
}

/* The qcow2 sink, and from where data must be handed to it. */
static errcode_t open_qcow_sink(struct capture *c, struct qcow_io *io,
				const struct qcow_writer_opts *wo,
				struct sink **s, uint64_t *start)
{
	char *id = NULL;
	size_t len = 0;
	errcode_t err;

	*start = 0;
	if (!c->o->resume)
		return sink_qcow_create(io, wo, s);
	err = resume_identity(c, wo, &id, &len);
	if (!err)
		err = capture_resume_open(&c->resume, &c->out, io, wo, id, len,
					  c->partial_existed, s, start);
	free(id);
	return err;
}

static errcode_t write_image(struct capture *c, struct qcow_io *io)
{
	struct qcow_writer_stats plan;
	struct qcow_writer_opts wo;
	struct qcow_writer_ext ext;
	struct sink *s = NULL;
	uint8_t *plan_l1 = NULL;
	uint64_t start = 0;
	char text[512];
	errcode_t err;

	if (c->o->raw) {
		err = sink_raw_create(io, c->o->target_offset, c->size,
				      c->out.kind != OUTPUT_DEVICE &&
					      !c->out.in_place,
				      !c->o->no_sync, &s);
		if (!err && c->o->compare)
			sink_raw_compare(s, c->info.block_size);
	} else {
		fill_writer_opts(c, &wo, &ext, text, sizeof(text));
		err = 0;
		/* Identical clusters (backup descriptor copies, duplicate
		 * files) stored once; a stream cannot point back.  Not by
		 * default for -a: backups get committed into, and QEMU's
		 * copy-on-write of a shared cluster can leave the last
		 * sharer without OFLAG_COPIED, which its check reports. */
		wo.dedup = !io->sequential &&
			   (c->o->dedup < 0 ? !c->o->all_data : c->o->dedup);
		if (io->sequential) {
			err = plan_stream(c, &wo, &plan, &plan_l1);
			wo.plan = &plan;
			wo.plan_l1 = plan_l1;
		}
		if (!err)
			err = open_qcow_sink(c, io, &wo, &s, &start);
		free(plan_l1); /* the writer keeps its own copy */
	}
	if (err) {
		if (err != INTERRUPT_CANCELLED)
			com_err("e2qcow", err, "while starting '%s'",
				c->o->image);
		return err;
	}
	err = copy_blocks(c, s, "copying", start);
	if (err && c->o->resume)
		c->partial_kept = capture_resume_keep(&c->resume, &c->out);
	if (!err) {
		err = s->finish(s);
		if (err)
			com_err("e2qcow", err, "while finishing '%s'",
				c->o->image);
	}
	/* e2image -c's report, in its words. */
	if (!err && c->o->compare)
		printf("%llu blocks already contained the data to be copied%s\n",
		       (unsigned long long)sink_raw_skipped(s),
		       c->o->e2image_voice ? "." : "");
	sink_free(s);
	return err;
}

/* Open the image's output (not onto the source, nor a mounted fs). */
static errcode_t open_target(struct capture *c)
{
	const char *what = "opening the output";
	errcode_t err;

	if (output_same_file(c->o->source, c->o->image)) {
		fprintf(stderr,
			"e2qcow: '%s' is the source itself; refusing to "
			"overwrite it\n",
			c->o->image);
		return EINVAL;
	}
	err = output_refuse_if_mounted(c->o->image);
	if (err)
		return err;
	/* At an offset (-O) or to compare, an existing file is written in
	 * place. */
	if (c->o->resume)
		err = output_open_resumable(&c->out, c->o->image,
					    c->o->overwrite,
					    &c->partial_existed, &what);
	else if (c->o->target_offset || c->o->compare)
		err = output_open_in_place(&c->out, c->o->image,
					   c->o->overwrite, &what);
	else
		err = output_open(&c->out, c->o->image, c->o->overwrite, &what);
	if (err == ENOTSUP)
		fprintf(stderr,
			"e2qcow: --resume needs IMAGE to be a file; '%s' is "
			"not one (a stream or a device)\n",
			c->o->image);
	else if (err == EEXIST)
		fprintf(stderr,
			"e2qcow: '%s' already exists; use --overwrite to "
			"replace it\n",
			c->o->image);
	else if (err == ENOTTY)
		fprintf(stderr, "e2qcow: refusing to write an image to a "
				"terminal; redirect standard output\n");
	else if (err)
		com_err("e2qcow", err, "while %s '%s'", what, c->o->image);
	return err;
}

static errcode_t open_output(struct capture *c, struct qcow_io **io)
{
	errcode_t err = open_target(c);

	if (err)
		return err;
	if (c->out.kind == OUTPUT_DEVICE && c->o->raw &&
	    (c->out.device_size < c->o->target_offset ||
	     c->out.device_size - c->o->target_offset < c->size)) {
		fprintf(stderr,
			"e2qcow: device '%s' holds %llu bytes, the filesystem "
			"needs %llu at offset %llu\n",
			c->o->image, (unsigned long long)c->out.device_size,
			(unsigned long long)c->size,
			(unsigned long long)c->o->target_offset);
		return ENOSPC;
	}
	if (c->out.kind == OUTPUT_STREAM)
		return qcow_io_stream_create(c->out.fd, io);
	err = qcow_io_fd_create(c->out.fd, io);
	if (!err)
		(*io)->early_writeback = !c->o->no_sync;
	return err;
}

/* Ranges of unreadable blocks listed in the summary before "and more". */
#define UNREADABLE_LISTED 20

/* A run of blocks as "N" or "FIRST-LAST". */
static void print_run(FILE *f, const struct extmap_run *run)
{
	if (run->count == 1)
		fprintf(f, "%llu", (unsigned long long)run->start);
	else
		fprintf(f, "%llu-%llu", (unsigned long long)run->start,
			(unsigned long long)(run->start + run->count - 1));
}

static void list_unreadable(struct capture *c, const struct extmap *bad)
{
	size_t n = bad->n < UNREADABLE_LISTED ? bad->n : UNREADABLE_LISTED;

	fprintf(stderr,
		"e2qcow: %llu unreadable blocks, zero-filled in the "
		"image:",
		(unsigned long long)extmap_total(bad));
	for (size_t i = 0; i < n; i++) {
		fprintf(stderr, "%s ",
			i			  ? ","
			: bad->runs[0].count == 1 ? " block"
						  : " blocks");
		print_run(stderr, &bad->runs[i]);
	}
	if (bad->n > n)
		fprintf(stderr, " and %zu more ranges", bad->n - n);
	fprintf(stderr, " (of %u bytes, from '%s')\n", c->info.block_size,
		c->o->source);
}

static void report_summary(struct capture *c)
{
	const struct fsread_stats *st = &c->stats;
	const struct extmap *bad = fsread_unreadable(c->fs);
	uint64_t unreadable = extmap_total(bad);
	/* Unreadable blocks are warnings too; they get their own line. */
	uint64_t problems = st->warnings - st->read_errors;

	if (problems)
		fprintf(stderr,
			"e2qcow: '%s' is damaged: %llu problems (%llu inodes "
			"affected); the image holds everything that could be "
			"read\n",
			c->o->source, (unsigned long long)problems,
			(unsigned long long)st->inodes_with_errors);
	if (unreadable)
		list_unreadable(c, bad);
	if (c->o->progress)
		fprintf(stderr,
			"e2qcow: captured %llu metadata and %llu data blocks "
			"of %u bytes from '%s'\n",
			(unsigned long long)st->meta_blocks,
			(unsigned long long)st->data_blocks, c->info.block_size,
			c->o->source);
}

/* -s: what was scrubbed, on stderr (a bug report's reader wants it too). */
static void report_scrub(const struct capture *c)
{
	struct fsread_scrub_report r;

	if (!c->o->scrub || c->o->quiet)
		return;
	r = c->scrubbed;
	fprintf(stderr,
		"e2qcow: scrubbed: %llu names (%llu in hash-indexed "
		"directories), %llu inline directories, %llu symlink targets, "
		"%llu xattr names, %llu superblock copies; zeroed: %llu "
		"xattr inode blocks, %llu inline files, %llu unused inodes' "
		"block maps, %llu blocks with no known role; journal: %llu "
		"copies scrubbed, %llu blocks zeroed; %llu checksums computed "
		"again\n",
		(unsigned long long)r.names, (unsigned long long)r.htree_names,
		(unsigned long long)r.inline_dirs,
		(unsigned long long)r.symlinks, (unsigned long long)r.xattrs,
		(unsigned long long)r.superblocks,
		(unsigned long long)r.xattr_values,
		(unsigned long long)r.inline_files,
		(unsigned long long)r.unused_inodes,
		(unsigned long long)r.no_role,
		(unsigned long long)r.journal_scrubbed,
		(unsigned long long)r.journal_zeroed,
		(unsigned long long)r.csums);
	fprintf(stderr,
		"e2qcow: kept verbatim (structure with no names): %llu "
		"bitmaps, %llu blocks of block numbers, %llu quota blocks "
		"(ids and counts), %llu orphan-file blocks (inode numbers), "
		"%llu file data blocks (-a)%s\n",
		(unsigned long long)r.kept_bitmaps,
		(unsigned long long)r.kept_block_maps,
		(unsigned long long)r.kept_quota,
		(unsigned long long)r.kept_orphan,
		(unsigned long long)r.kept_data,
		r.multi_role ? "; blocks with several roles scrubbed for each"
			     : "");
	if (r.htree_misses || r.dup_names || r.unparsable)
		fprintf(stderr,
			"e2qcow: scrub note: %llu names could not keep their "
			"htree leaf's hash range, %llu share a name (every "
			"name of their length was taken), %llu damaged "
			"directory blocks zeroed past the damage; e2fsck on "
			"the image will say so\n",
			(unsigned long long)r.htree_misses,
			(unsigned long long)r.dup_names,
			(unsigned long long)r.unparsable);
}

/* -n: what a capture would write, block runs of the filesystem (one
 * line a block, as e2image says it, under its name). */
static void list_blocks(const struct capture *c)
{
	if (c->o->e2image_voice) {
		for (size_t i = 0; i < c->map.n; i++)
			for (uint64_t k = 0; k < c->map.runs[i].count; k++)
				printf("Writing block %llu\n",
				       (unsigned long long)(c->map.runs[i]
								    .start +
							    k));
		return;
	}
	for (size_t i = 0; i < c->map.n; i++) {
		printf("Would write block%s ",
		       c->map.runs[i].count == 1 ? "" : "s");
		print_run(stdout, &c->map.runs[i]);
		putchar('\n');
	}
	printf("%llu blocks of %u bytes in %zu runs; nothing written\n",
	       (unsigned long long)extmap_total(&c->map), c->info.block_size,
	       c->map.n);
}

/* --format=e2i: libext2fs writes the parts into a new regular file. */
static errcode_t write_e2i(struct capture *c)
{
	errcode_t err = open_target(c);

	if (err)
		return err;
	if (c->out.kind != OUTPUT_FILE) {
		fprintf(stderr,
			"e2qcow: e2image's format needs a regular file to "
			"seek in; '%s' is not one\n",
			c->o->image);
		return EINVAL;
	}
	err = fsread_write_e2i(c->fs, c->out.fd, c->o->source,
			       (uint64_t)capture_info_now());
	if (!err && !c->o->no_sync && fsync(c->out.fd))
		err = errno;
	if (err)
		com_err("e2qcow", err, "while writing '%s'", c->o->image);
	if (!err)
		err = output_commit(&c->out);
	return err;
}

/* --base: the earlier capture this one is an overlay of. */
static errcode_t open_base(struct capture *c)
{
	if (output_same_file(c->o->base, c->o->image)) {
		fprintf(stderr,
			"e2qcow: '%s' is the base itself; an overlay is a new "
			"file\n",
			c->o->image);
		return EINVAL;
	}
	struct qcow_reader_info bi;
	errcode_t err = capture_base_open(
		c->o->base, c->o->image, &c->info,
		capture_info_mode(c->o->all_data, c->o->scrub), &c->base,
		&c->base_name);

	if (err)
		return err;
	/* The base's cluster size, so that its digests say what each
	 * cluster holds and the base need not be read. */
	qcow_reader_get_info(c->base, &bi);
	if (!c->o->cluster_size)
		c->cluster_bits = bi.hdr.cluster_bits;
	/* One digest algorithm down the chain, so the next overlay can
	 * compare by digest too. */
	if (bi.has_digests)
		c->base_dg_alg = bi.digest_alg;
	if (!c->o->trust_digests)
		return 0; /* every candidate cluster compared by reading */
	err = qcow_reader_chain_digests(c->base, c->cluster_bits, &c->base_dg,
					&c->n_base_dg, &c->base_dg_alg);
	if (err && !c->o->quiet)
		fprintf(stderr,
			"e2qcow: note: '%s' or an image of its chain has no "
			"usable digests (%s); clusters are compared by reading "
			"the base\n",
			c->o->base, error_message(err));
	return 0;
}

/* --resume: the partial image stays for the next run. */
static void report_kept(const struct capture *c)
{
	if (interrupt_requested())
		fprintf(stderr, "e2qcow: interrupted by signal %d; ",
			interrupt_signal());
	else
		fputs("e2qcow: stopped; ", stderr);
	fprintf(stderr,
		"what was written is kept in '%s': run the same command "
		"again to go on\n",
		c->out.tmp_path);
}

static int run(struct capture *c)
{
	struct qcow_io *io = NULL;
	errcode_t err;

	err = open_source(c);
	if (err)
		return EXIT_FAILED;
	if (c->o->e2i) {
		err = write_e2i(c);
		if (err) {
			output_abort(&c->out);
			return EXIT_FAILED;
		}
		return c->info.primary_err && !c->o->e2image_voice
			       ? EXIT_DAMAGED
			       : EXIT_OK;
	}
	err = map_source(c);
	if (!err && c->o->dry_run) {
		list_blocks(c);
		return (c->stats.warnings || c->info.primary_err) &&
				       !c->o->e2image_voice
			       ? EXIT_DAMAGED
			       : EXIT_OK;
	}
	if (!err && !c->o->raw)
		choose_cluster_bits(c);
	if (!err && c->o->base)
		err = open_base(c);
	if (!err)
		err = open_output(c, &io);
	if (!err)
		err = write_image(c, io);
	if (!err) {
		err = output_commit(&c->out);
		if (err == EEXIST)
			fprintf(stderr,
				"e2qcow: '%s' appeared while capturing; not "
				"replaced (use --overwrite)\n",
				c->o->image);
		else if (err)
			com_err("e2qcow", err, "while moving the image to '%s'",
				c->o->image);
	}
	qcow_io_free(io);
	if (!err && c->o->resume)
		capture_resume_done(&c->resume);
	if (err) {
		if (c->partial_kept)
			report_kept(c);
		else if (err == INTERRUPT_CANCELLED || interrupt_requested())
			fprintf(stderr,
				"e2qcow: interrupted by signal %d; no "
				"image written\n",
				interrupt_signal());
		if (c->o->resume && !c->partial_kept) {
			c->out.keep_tmp = false; /* nothing to go on from */
			capture_resume_done(&c->resume);
		}
		output_abort(&c->out);
		return EXIT_FAILED;
	}
	/* e2image lists nothing of the damage it copied, and exits 0. */
	if (c->o->e2image_voice)
		return EXIT_OK;
	report_summary(c);
	report_scrub(c);
	if (c->stats.warnings || extmap_total(fsread_unreadable(c->fs)) ||
	    c->info.primary_err)
		return EXIT_DAMAGED;
	return EXIT_OK;
}

int capture_main(int argc, char **argv)
{
	struct capture_opts o;
	bool done;
	int status;

	status = capture_parse_args(argc, argv, &o, &done);
	if (status || done)
		return status;
	return capture_run(&o);
}

int capture_run(const struct capture_opts *o)
{
	struct capture c;
	int status;

	memset(&c, 0, sizeof(c));
	c.o = o;
	c.out.fd = -1;
	extmap_init(&c.map);
	interrupt_install();
	status = run(&c);
	capture_resume_free(&c.resume);
	output_free(&c.out);
	extmap_free(&c.map);
	fsread_close(c.fs);
	qcow_reader_close(c.base);
	free(c.base_name);
	free(c.base_dg);
	return status;
}
