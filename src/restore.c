// SPDX-License-Identifier: MIT
/*
 * restore.c --- "e2qcow restore": any qcow2 image back to raw, onto a
 * sparse file, a block device or a pipe.
 *
 * The guest space is walked in runs: ranges the image knows to be zero
 * are skipped in a new file (holes); on a used target they are zeroed
 * by the device itself (write-zeroes offload) or punched out of a file,
 * and only where neither works read first and zero-filled where needed.
 * Data ranges are read in large pieces (the reader coalesces adjacent
 * clusters into one pread) and handed to the raw sink.  An image on
 * standard input is read in one pass (restore_stdin.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ext2fs/ext2fs.h>

#include "capture.h"
#include "capture_opts.h"
#include "interrupt.h"
#include "output.h"
#include "pipeline.h"
#include "progress.h"
#include "qcow_err.h"
#include "qcow_reader.h"
#include "restore.h"
#include "restore_stdin.h"
#include "sink.h"
#include "zero_range.h"

#define CHUNK_BYTES (2U << 20)
#define ZERO_RUN_MAX (1ULL << 36)
/* -c: the unit written when it differs (a page, a flash program unit). */
#define COMPARE_BLOCK 4096U

enum {
	OPT_OVERWRITE = 256,
	OPT_WRITE_ZEROS,
	OPT_NO_SYNC,
	OPT_TARGET_IS_ZERO,
	OPT_PROGRESS,
	OPT_RESUME
};

static void usage(FILE *f)
{
	fputs("usage: e2qcow restore [-cfp] [-O OFFSET] [--overwrite] "
	      "[--resume] [--write-zeros]\n"
	      "                      [--no-sync]"
	      " IMAGE TARGET\n"
	      "\n"
	      "Convert the qcow2 IMAGE (with its backing chain) to raw on TARGET: a\n"
	      "new sparse file, a block device, or - for standard output.  IMAGE\n"
	      "may be - for standard input (read in one pass; no backing file\n"
	      "then).\n"
	      "\n"
	      "  -c, --compare      write onto TARGET in place, only the blocks that\n"
	      "                     differ from the image (spares flash; reads all)\n"
	      "      --resume       finish a restore that was interrupted: -c\n"
	      "  -O OFFSET          write at this byte offset into TARGET\n"
	      "  -p, --progress[=json]\n"
	      "                     show progress on standard error (json: one JSON\n"
	      "                     object a line, for programs)\n"
	      "  -f                 read an image QEMU marked corrupt\n"
	      "      --overwrite    replace an existing TARGET file, or write onto a\n"
	      "                     block device (or into a file at -O OFFSET)\n"
	      "      --target-is-zero\n"
	      "                     TARGET reads as zeros already (a new device):\n"
	      "                     zero nothing\n"
	      "      --write-zeros  on a device that cannot zero ranges itself, write\n"
	      "                     zeros without first reading what is there\n"
	      "      --no-sync      do not wait for the data to reach the disk\n"
	      "                     before finishing (as qemu-img convert by default)\n"
	      "  -h, --help         show this help\n",
	      f);
}

static int usage_error(const char *msg, const char *arg)
{
	return cli_usage_error("restore", msg, arg);
}

static int parse_args(int argc, char **argv, struct restore_opts *o, bool *done)
{
	static const struct option longopts[] = {
		{ "overwrite", no_argument, NULL, OPT_OVERWRITE },
		{ "write-zeros", no_argument, NULL, OPT_WRITE_ZEROS },
		{ "no-sync", no_argument, NULL, OPT_NO_SYNC },
		{ "target-is-zero", no_argument, NULL, OPT_TARGET_IS_ZERO },
		{ "progress", optional_argument, NULL, OPT_PROGRESS },
		{ "resume", no_argument, NULL, OPT_RESUME },
		{ "compare", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	*done = false;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "cfpO:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
		case OPT_RESUME:
			/* A restore writes nothing but the image's content,
			 * so finishing one is redoing it where it differs. */
			o->compare = true;
			break;
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
		case OPT_OVERWRITE:
			o->overwrite = true;
			break;
		case OPT_WRITE_ZEROS:
			o->write_zeros = true;
			break;
		case OPT_NO_SYNC:
			o->no_sync = true;
			break;
		case OPT_TARGET_IS_ZERO:
			o->target_is_zero = true;
			break;
		case OPT_PROGRESS:
			if (cli_progress_option("restore", optarg,
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
	if (argc - optind != 2)
		return usage_error("need an IMAGE and a TARGET", NULL);
	o->image = argv[optind];
	o->target = argv[optind + 1];
	return 0;
}

static errcode_t check_device(const struct restore_opts *o,
			      const struct output *out, uint64_t size)
{
	if (out->device_size < o->offset ||
	    out->device_size - o->offset < size) {
		fprintf(stderr,
			"e2qcow: device '%s' holds %llu bytes; the image needs "
			"%llu at offset %llu\n",
			o->target, (unsigned long long)out->device_size,
			(unsigned long long)size,
			(unsigned long long)o->offset);
		return ENOSPC;
	}
	return 0;
}

/* A file written in place is at least as long as the disk it receives:
 * the image's trailing zeros are then read back as zeros. */
static errcode_t grow_file(const struct output *out, uint64_t end)
{
	struct stat st;

	if (fstat(out->fd, &st) < 0)
		return errno;
	if ((uint64_t)st.st_size < end && ftruncate(out->fd, (off_t)end) < 0) {
		errcode_t err = errno; /* com_err may change errno */

		com_err("e2qcow", err, "while extending '%s'", out->path);
		return err;
	}
	return 0;
}

static errcode_t open_target(const struct restore_opts *o, struct output *out,
			     uint64_t size, struct qcow_io **io)
{
	const char *what = "opening the target";
	errcode_t err;

	if (output_same_file(o->image, o->target)) {
		fprintf(stderr, "e2qcow: '%s' is the image itself\n",
			o->target);
		return EINVAL;
	}
	err = output_refuse_if_mounted(o->target);
	if (err)
		return err;
	if (o->compare && !strcmp(o->target, "-")) {
		fprintf(stderr,
			"e2qcow: -c and --resume compare with what "
			"TARGET holds: standard output holds nothing\n");
		return EINVAL;
	}
	/* -c asks for the target in place: a file that exists is updated,
	 * not replaced. */
	err = o->offset || o->compare
		      ? output_open_in_place(out, o->target,
					     o->overwrite || o->compare, &what)
		      : output_open(out, o->target, o->overwrite, &what);
	if (err == EEXIST)
		fprintf(stderr,
			"e2qcow: '%s' already exists; use --overwrite to "
			"replace it\n",
			o->target);
	else if (err == ENOTTY)
		fprintf(stderr, "e2qcow: refusing to write a raw image to a "
				"terminal; redirect standard output\n");
	else if (err)
		com_err("e2qcow", err, "while %s '%s'", what, o->target);
	if (!err && out->kind == OUTPUT_DEVICE)
		err = check_device(o, out, size);
	if (!err && out->in_place)
		err = grow_file(out, o->offset + size);
	if (err)
		return err;
	if (out->kind == OUTPUT_STREAM)
		return qcow_io_stream_create(out->fd, io);
	err = qcow_io_fd_create(out->fd, io);
	if (!err)
		(*io)->early_writeback = !o->no_sync;
	return err;
}

/* A used target: make [off, off+len) zero, touching only what is not. */
static errcode_t zero_target(struct qcow_io *io, uint64_t base, uint64_t off,
			     uint64_t len, bool blind, uint8_t *buf)
{
	errcode_t err = 0;

	while (len && !err) {
		size_t n = len < CHUNK_BYTES ? (size_t)len : CHUNK_BYTES;
		bool zero = false;

		if (interrupt_requested())
			return INTERRUPT_CANCELLED;
		if (!blind) {
			err = io->pread(io, buf, n, base + off);
			/* Past the end of a file is not zero yet: write. */
			if (err == QCOW_ERR_TRUNCATED)
				err = 0;
			else if (!err)
				zero = qcow_buf_is_zero(buf, n);
		}
		if (!err && !zero) {
			memset(buf, 0, n);
			err = io->pwrite(io, buf, n, base + off);
		}
		off += n;
		len -= n;
	}
	return err;
}

struct copy {
	const struct restore_opts *o;
	struct qcow_reader *r;
	struct stdin_image *in; /* the image is on standard input */
	struct qcow_io *io;
	struct sink *sink;
	struct zero_range zr;
	bool fresh;
	struct progress *p;
	uint64_t next; /* producer: next guest offset */
	pthread_mutex_t progress_lock;
	pthread_cond_t progress_cond;
	uint64_t done; /* one consumer: everything below is written */
	bool failed;   /* the consumer stopped */
	bool reported; /* the producer said what failed */
};

/*
 * A cluster of an image on standard input met again (shared): read it
 * back from where it went, once the consumer has written it.
 */
static errcode_t fetch_back(void *ctx, uint64_t guest, uint8_t *buf, size_t len)
{
	struct copy *c = ctx;
	uint64_t at = c->o->offset + guest;
	bool failed;

	pthread_mutex_lock(&c->progress_lock);
	while (c->done < guest + len && !c->failed)
		pthread_cond_wait(&c->progress_cond, &c->progress_lock);
	failed = c->failed;
	pthread_mutex_unlock(&c->progress_lock);
	if (failed)
		return INTERRUPT_CANCELLED;
	/* A new file has holes (or nothing yet) where zeros went. */
	while (len) {
		ssize_t n = pread(c->io->fd, buf, len, (off_t)at);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0) {
			memset(buf, 0, len);
			break;
		}
		buf += n;
		len -= (size_t)n;
		at += (uint64_t)n;
	}
	return 0;
}

static errcode_t read_image(struct copy *c, uint8_t *buf, size_t len,
			    uint64_t off)
{
	if (c->in)
		return restore_stdin_read(c->in, buf, len, off, fetch_back, c);
	return qcow_reader_pread(c->r, buf, len, off);
}

/* The producer says what failed (@doing the image at @off), once. */
static errcode_t report(struct copy *c, errcode_t err, const char *doing,
			uint64_t off)
{
	if (!c->in || !restore_stdin_explain(c->in, err))
		com_err("e2qcow", err, "while %s '%s' at %llu", doing,
			c->in ? "standard input" : c->o->image,
			(unsigned long long)off);
	c->reported = true;
	return err;
}

/* Producer thread: what the next stretch of the image holds. */
static errcode_t produce(void *ctx, struct pipe_slot *slot)
{
	struct copy *c = ctx;
	uint64_t size = qcow_reader_size(c->r), off = c->next;
	/* A zero run goes in one slot, however long (one request to zero
	 * it); data in slots of CHUNK_BYTES. */
	uint64_t max = size - off < ZERO_RUN_MAX ? size - off : ZERO_RUN_MAX;
	uint64_t zero, data;
	errcode_t err;

	if (off >= size) {
		slot->end = true;
		return 0;
	}
	if (interrupt_requested())
		return INTERRUPT_CANCELLED;
	/* From a pipe, looking further than the next chunk of data would
	 * read the input past it (its L2 tables come after it). */
	err = qcow_reader_zero_run(
		c->r, off, c->in && max > CHUNK_BYTES ? CHUNK_BYTES : max,
		&zero, &data);
	if (!err && c->in && zero == CHUNK_BYTES && max > CHUNK_BYTES)
		err = qcow_reader_zero_run(c->r, off, max, &zero, &data);
	if (err)
		return report(c, err, "mapping", off);
	if (data > CHUNK_BYTES)
		data = CHUNK_BYTES;
	slot->off = off;
	slot->zero = zero != 0;
	slot->len = zero ? zero : data;
	if (!zero) {
		err = read_image(c, slot->buf, (size_t)data, off);
		if (err)
			return report(c, err, "reading", off);
	}
	c->next = off + slot->len;
	return 0;
}

/* Consumer threads: write what the producer read. */
static errcode_t consume(void *ctx, struct pipe_slot *slot)
{
	struct copy *c = ctx;
	errcode_t err = 0;

	/* The producer may be slots ahead: ^C stops the writes too. */
	if (interrupt_requested())
		return INTERRUPT_CANCELLED;
	if (slot->zero && !c->fresh && c->o->compare) {
		/* Read, and write zeros only where something else is. */
		err = zero_target(c->io, c->o->offset, slot->off, slot->len,
				  false, slot->buf);
	} else if (slot->zero && !c->fresh && !c->o->target_is_zero) {
		err = zero_range(&c->zr, c->o->offset + slot->off, slot->len);
		/* slot->buf holds nothing: zero_target's scratch. */
		if (err == ZERO_RANGE_UNSUPPORTED)
			err = zero_target(c->io, c->o->offset, slot->off,
					  slot->len, c->o->write_zeros,
					  slot->buf);
	} else if (!slot->zero) {
		err = c->sink->write(c->sink, slot->off, slot->buf,
				     (size_t)slot->len);
	}
	pthread_mutex_lock(&c->progress_lock);
	c->done += slot->len;
	c->failed |= err != 0;
	progress_update(c->p, c->done);
	pthread_cond_broadcast(&c->progress_cond);
	pthread_mutex_unlock(&c->progress_lock);
	return err;
}

static errcode_t copy_image(const struct restore_opts *o, struct qcow_reader *r,
			    struct stdin_image *in, struct qcow_io *io,
			    struct sink *s, int fd, bool fresh,
			    struct progress *p, bool *reported)
{
	struct copy c = { .o = o,
			  .r = r,
			  .in = in,
			  .io = io,
			  .sink = s,
			  .fresh = fresh,
			  .p = p };
	errcode_t err;

	zero_range_init(&c.zr, fd);
	/* One writer: buffered writes to one file serialize on its inode
	 * lock anyway (two writers measured slower on ext4); and what is
	 * below c.done is written (fetch_back). */
	pthread_mutex_init(&c.progress_lock, NULL);
	pthread_cond_init(&c.progress_cond, NULL);
	err = pipeline_run(CHUNK_BYTES, 6, 1, produce, consume, &c);
	pthread_cond_destroy(&c.progress_cond);
	pthread_mutex_destroy(&c.progress_lock);
	*reported = c.reported;
	return err;
}

static int run(const struct restore_opts *o, struct qcow_reader *r,
	       struct stdin_image *in)
{
	struct qcow_io *io = NULL;
	struct sink *s = NULL;
	struct progress p;
	struct output out;
	bool fresh, reported = false;
	errcode_t err;

	interrupt_install();
	memset(&out, 0, sizeof(out));
	out.fd = -1;
	err = open_target(o, &out, qcow_reader_size(r), &io);
	if (err) {
		output_free(&out);
		return EXIT_FAILED;
	}
	fresh = (out.kind == OUTPUT_FILE && !out.in_place) ||
		out.kind == OUTPUT_STREAM;
	err = sink_raw_create(io, o->offset, qcow_reader_size(r), fresh,
			      !o->no_sync, &s);
	if (!err && o->compare && !fresh)
		sink_raw_compare(s, COMPARE_BLOCK);
	progress_start(&p, o->progress, "restoring", qcow_reader_size(r), true);
	if (!err)
		err = copy_image(o, r, in, io, s, out.fd, fresh, &p, &reported);
	if (!err && in)
		err = restore_stdin_finish(in);
	if (!err)
		err = s->finish(s);
	if (!err) {
		p.done = p.total;
		err = output_commit(&out);
	}
	progress_end(&p);
	if (err && !reported && !interrupt_requested() &&
	    err != INTERRUPT_CANCELLED)
		com_err("e2qcow", err, "while writing '%s'", o->target);
	if (err && (interrupt_requested() || err == INTERRUPT_CANCELLED)) {
		if (fresh)
			fprintf(stderr,
				"e2qcow: interrupted; '%s' not "
				"written\n",
				o->target);
		else
			fprintf(stderr,
				"e2qcow: interrupted; '%s' is partly "
				"written: run the same command with "
				"--resume to finish it\n",
				o->target);
	}
	sink_free(s);
	qcow_io_free(io);
	output_free(&out);
	return err ? EXIT_FAILED : EXIT_OK;
}

int restore_run(const struct restore_opts *o)
{
	struct qcow_reader_opts ro = { 0 };
	struct qcow_open_error e;
	struct stdin_image in;
	struct qcow_reader *r;
	errcode_t err;
	int status;

	ro.allow_corrupt = o->force;
	if (!strcmp(o->image, "-")) {
		if (restore_stdin_open(o, &ro, &in))
			return EXIT_FAILED;
		status = run(o, in.r, &in);
		restore_stdin_close(&in);
		return status;
	}
	err = qcow_reader_open(o->image, &ro, &r, &e);
	if (err) {
		cli_report_open_error(o->image, err, &e);
		return EXIT_FAILED;
	}
	status = run(o, r, NULL);
	qcow_reader_close(r);
	return status;
}

int restore_main(int argc, char **argv)
{
	struct restore_opts o;
	bool done;
	int status;

	status = parse_args(argc, argv, &o, &done);
	if (status || done)
		return status;
	return restore_run(&o);
}
