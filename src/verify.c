// SPDX-License-Identifier: MIT
/*
 * verify.c --- "e2qcow verify IMAGE [SOURCE]": does every cluster still
 * hold what was written?  Each image of the chain that carries e2qcow's
 * digests is read cluster by cluster (decompressed as needed) and every
 * stored cluster compared with its digest; a data cluster without one is
 * a fault too.  With SOURCE, the blocks the capture took (by the mode its
 * record names) are read again from SOURCE and compared with the image.
 * The first differing guest offset is named; exit 0 all match, 2 some
 * differ, 1 nothing could be verified.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "capture_info.h"
#include "capture_opts.h"
#include "cli.h"
#include "fsread.h"
#include "qcow_digest.h"
#include "qcow_err.h"
#include "qcow_reader.h"
#include "verify.h"

#define VERIFY_DIFFER 2
#define SOURCE_CHUNK (1U << 20) /* bytes read at once from SOURCE */
#define DIGEST_UNIT "clusters checked against their digests"

struct tally {
	uint64_t checked, differ, first; /* first: guest offset */
	uint64_t uncovered, first_uncovered;
};

static void usage(FILE *f)
{
	fputs("usage: e2qcow verify [-f] IMAGE [SOURCE]\n"
	      "\n"
	      "Check every cluster of IMAGE (and of its backing chain) against the\n"
	      "digests e2qcow stored when it wrote them, and with SOURCE, the blocks\n"
	      "the capture took against SOURCE as it is now.  Names the first guest\n"
	      "offset that differs.  Exit 0: all match; 2: something differs;\n"
	      "1: nothing to verify against, or an error.\n"
	      "\n"
	      "  -f          read an image QEMU marked corrupt\n"
	      "  -h, --help  show this help\n",
	      f);
}

/* One guest cluster as the image reads it, zero past the guest end. */
static errcode_t read_cluster(struct qcow_reader *r, uint64_t clu, uint64_t cs,
			      uint8_t *buf)
{
	uint64_t off = clu * cs, size = qcow_reader_size(r);
	uint64_t len = size - off < cs ? size - off : cs;

	memset(buf, 0, (size_t)cs);
	return qcow_reader_pread(r, buf, (size_t)len, off);
}

static bool has_entry(const struct qcow_digest_entry *e, uint64_t n,
		      uint64_t clu)
{
	uint64_t lo = 0, hi = n;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (e[mid].cluster == clu)
			return true;
		if (e[mid].cluster < clu)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Every cluster this layer holds data for must have a digest. */
static errcode_t check_coverage(struct qcow_reader *r, uint64_t cs,
				const struct qcow_digest_entry *e, uint64_t n,
				struct tally *t)
{
	uint64_t size = qcow_reader_size(r), off = 0;

	while (off < size) {
		uint64_t zero = 0, data = 0;
		errcode_t err =
			qcow_reader_zero_run(r, off, size - off, &zero, &data);

		if (err)
			return err;
		if (zero) {
			off += zero;
			continue;
		}
		for (uint64_t c = off / cs; c * cs < off + data; c++) {
			if (has_entry(e, n, c))
				continue;
			if (!t->uncovered++)
				t->first_uncovered = c * cs;
		}
		off += data;
	}
	return 0;
}

/* One image of the chain, on its own (its backing file not opened). */
static int verify_layer(const char *path, bool force, struct tally *t)
{
	struct qcow_reader_opts ro = { .allow_corrupt = force,
				       .no_backing = true };
	struct qcow_digest_entry *e = NULL;
	struct qcow_reader_info info;
	struct qcow_open_error oe;
	struct qcow_reader *r;
	uint8_t d[QCOW_DIGEST_LEN], *buf = NULL;
	uint64_t n = 0, cs;
	errcode_t err;

	err = qcow_reader_open(path, &ro, &r, &oe);
	if (err) {
		cli_report_open_error(path, err, &oe);
		return EXIT_FAILED;
	}
	qcow_reader_get_info(r, &info);
	cs = 1ULL << info.hdr.cluster_bits;
	err = qcow_reader_digests(r, &e, &n);
	if (err == QCOW_ERR_NO_DIGESTS) {
		fprintf(stderr,
			"e2qcow: '%s' holds no e2qcow digests (written by "
			"another tool, or an older e2qcow): nothing to verify "
			"its data against; qemu-img check checks its "
			"structure\n",
			path);
		qcow_reader_close(r);
		return EXIT_FAILED;
	}
	if (err == QCOW_ERR_STALE_DIGESTS) {
		fprintf(stderr,
			"e2qcow: '%s' was opened for writing by a program that "
			"does not keep e2qcow's digests (it cleared their "
			"autoclear bit): they may no longer describe its data, "
			"so nothing is verified against them\n",
			path);
		qcow_reader_close(r);
		return EXIT_FAILED;
	}
	buf = malloc((size_t)cs);
	if (!err && !buf)
		err = ENOMEM;
	for (uint64_t i = 0; !err && i < n; i++) {
		err = read_cluster(r, e[i].cluster, cs, buf);
		if (err)
			break;
		qcow_digest_cluster(info.digest_alg, buf, (size_t)cs,
				    (size_t)cs, d);
		t->checked++;
		if (memcmp(d, e[i].digest, sizeof(d)) && !t->differ++)
			t->first = e[i].cluster * cs;
	}
	if (!err)
		err = check_coverage(r, cs, e, n, t);
	if (err)
		com_err("e2qcow", err, "while verifying '%s'", path);
	free(buf);
	free(e);
	qcow_reader_close(r);
	return err ? EXIT_FAILED : EXIT_OK;
}

/* The blocks the capture took, read again from @source. */
static int verify_source(struct qcow_reader *img, const char *image,
			 const char *source, bool force, struct tally *t)
{
	struct fsread_opts fo = { .force = force };
	struct qcow_reader_info info;
	struct fsread_info fi;
	struct fsread_stats st;
	struct fsread *fs = NULL;
	struct extmap map;
	struct capture_record rec;
	char have[40];
	unsigned flags = 0;
	struct fsread_scrub *scrub = NULL;
	uint8_t *a = NULL, *b = NULL;
	errcode_t err;

	qcow_reader_get_info(img, &info);
	if (!capture_info_decode(info.capture_text, &rec)) {
		fprintf(stderr,
			"e2qcow: '%s' has no %se2qcow capture record, so which "
			"blocks it took from '%s' is not known\n",
			image, info.capture_text ? "usable " : "", source);
		return EXIT_FAILED;
	}
	if (rec.all_data)
		flags |= FSREAD_MAP_ALL_DATA;
	if (rec.scrubbed)
		flags |= FSREAD_MAP_SCRUB;
	err = fsread_open(source, &fo, &fs);
	if (err) {
		com_err("e2qcow", err, "while opening the filesystem in '%s'",
			source);
		return EXIT_FAILED;
	}
	fsread_get_info(fs, &fi);
	capture_info_uuid(fi.uuid, have);
	if (strcmp(have, rec.uuid) || rec.block_size != fi.block_size ||
	    rec.blocks != fi.blocks_count) {
		fprintf(stderr,
			"e2qcow: '%s' holds filesystem %s (%llu blocks of %u "
			"bytes), but '%s' is a capture of %s (%llu blocks of "
			"%u)\n",
			source, have, (unsigned long long)fi.blocks_count,
			fi.block_size, image, rec.uuid,
			(unsigned long long)rec.blocks, rec.block_size);
		fsread_close(fs);
		return EXIT_FAILED;
	}
	extmap_init(&map);
	err = fsread_map(fs, flags, &map, &st);
	/* Scrubbed as the capture scrubbed: by a stage seeing the same
	 * blocks in the same order. */
	if (!err && (flags & FSREAD_MAP_SCRUB))
		err = fsread_scrub_new(fs,
				       (flags & FSREAD_MAP_ALL_DATA
						? FSREAD_SCRUB_KEEP_DATA
						: 0) |
					       rec.scrub_keep,
				       &scrub);
	a = malloc(SOURCE_CHUNK);
	b = malloc(SOURCE_CHUNK);
	if (!err && (!a || !b))
		err = ENOMEM;
	/* A run at a time, in large reads; then block by block. */
	for (size_t i = 0; !err && i < map.n; i++) {
		const struct extmap_run *run = &map.runs[i];
		uint64_t per = SOURCE_CHUNK / fi.block_size;

		for (uint64_t k = 0; !err && k < run->count; k += per) {
			uint64_t n =
				run->count - k < per ? run->count - k : per;
			uint64_t off = (run->start + k) * fi.block_size;

			err = fsread_read(fs, run->start + k, n, a, NULL);
			if (!err && scrub)
				err = fsread_scrub_blocks(scrub, run->start + k,
							  n, a);
			if (!err)
				err = qcow_reader_pread(
					img, b, (size_t)(n * fi.block_size),
					off);
			for (uint64_t j = 0; !err && j < n; j++) {
				size_t at = (size_t)(j * fi.block_size);

				t->checked++;
				if (memcmp(a + at, b + at, fi.block_size) &&
				    !t->differ++)
					t->first = off + at;
			}
		}
	}
	if (err)
		com_err("e2qcow", err, "while comparing '%s' with '%s'", image,
			source);
	free(a);
	free(b);
	fsread_scrub_free(scrub);
	extmap_free(&map);
	fsread_close(fs);
	return err ? EXIT_FAILED : EXIT_OK;
}

static int report(const char *what, const struct tally *t, const char *unit)
{
	if (t->uncovered)
		printf("%s: %" PRIu64 " data clusters have no digest, the "
		       "first at guest offset %" PRIu64 "\n",
		       what, t->uncovered, t->first_uncovered);
	if (t->differ) {
		printf("%s: %" PRIu64 " of %" PRIu64 " %s differ; the first at "
		       "guest offset %" PRIu64 "\n",
		       what, t->differ, t->checked, unit, t->first);
		if (!strcmp(unit, DIGEST_UNIT))
			fprintf(stderr,
				"e2qcow: damaged, or written since by a "
				"program that kept e2qcow's autoclear bit "
				"(qemu-img commit into it does)\n");
		return VERIFY_DIFFER;
	}
	printf("%s: %" PRIu64 " %s, all match\n", what, t->checked, unit);
	return t->uncovered ? VERIFY_DIFFER : EXIT_OK;
}

int verify_run(const char *image, const char *source, bool force)
{
	struct qcow_reader_opts ro = { .allow_corrupt = force };
	struct qcow_reader_info info;
	struct qcow_open_error oe;
	struct qcow_reader *r, *layer;
	int status = EXIT_OK, s;
	errcode_t err;

	err = qcow_reader_open(image, &ro, &r, &oe);
	if (err) {
		cli_report_open_error(image, err, &oe);
		return EXIT_FAILED;
	}
	for (layer = r; layer; layer = info.backing) {
		struct tally t = { 0 };

		qcow_reader_get_info(layer, &info);
		if (info.raw)
			break;
		s = verify_layer(info.path, force, &t);
		if (s == EXIT_OK)
			s = report(info.path, &t, DIGEST_UNIT);
		if (s > status || (s == EXIT_FAILED && status == EXIT_OK))
			status = s;
	}
	if (source) {
		struct tally t = { 0 };

		s = verify_source(r, image, source, force, &t);
		if (s == EXIT_OK)
			s = report(source, &t, "captured blocks compared");
		if (s > status || (s == EXIT_FAILED && status == EXIT_OK))
			status = s;
	}
	qcow_reader_close(r);
	return status;
}

int verify_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool force = false;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "fh", longopts, NULL)) != -1) {
		if (c == 'f') {
			force = true;
		} else if (c == 'h') {
			usage(stdout);
			return EXIT_OK;
		} else {
			return cli_usage_error("verify", "invalid option",
					       argv[optind - 1]);
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		return cli_usage_error("verify", "need an IMAGE (and a SOURCE)",
				       NULL);
	return verify_run(argv[optind],
			  argc - optind == 2 ? argv[optind + 1] : NULL, force);
}
