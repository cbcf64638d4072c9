// SPDX-License-Identifier: MIT
/*
 * info.c --- "e2qcow info [--json] IMAGE": what an image is (version,
 * sizes, features, cluster counts, snapshots, backing chain, data file)
 * and, for images e2qcow wrote, what was captured.  The JSON form is
 * documented in the man page and only ever gains keys.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "info.h"
#include "qcow_digest.h"
#include "qcow_err.h"
#include "qcow_reader.h"

struct feature {
	int kind; /* 0 incompatible, 1 compatible, 2 autoclear */
	unsigned bit;
	const char *name;
};

static const struct feature features[] = {
	{ 0, 0, "dirty" },
	{ 0, 1, "corrupt" },
	{ 0, 2, "external data file" },
	{ 0, 3, "compression type" },
	{ 0, 4, "extended L2 entries" },
	{ 1, 0, "lazy refcounts" },
	{ 2, 0, "bitmaps" },
	{ 2, 1, "raw external data" },
};

static uint64_t feature_word(const struct qcow_hdr *h, int kind)
{
	return kind == 0   ? h->incompatible_features
	       : kind == 1 ? h->compatible_features
			   : h->autoclear_features;
}

/* The feature's name, or "bit N" in @buf for bits we have no name for. */
static const char *feature_name(int kind, unsigned bit, char *buf, size_t cap)
{
	for (size_t i = 0; i < sizeof(features) / sizeof(*features); i++)
		if (features[i].kind == kind && features[i].bit == bit)
			return features[i].name;
	snprintf(buf, cap, "bit %u", bit);
	return buf;
}

static void json_string(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void json_string_or_null(const char *s)
{
	if (s)
		json_string(s);
	else
		fputs("null", stdout);
}

static void json_features(const struct qcow_hdr *h, int kind)
{
	uint64_t w = feature_word(h, kind);
	bool first = true;

	putchar('[');
	for (unsigned bit = 0; bit < 64; bit++) {
		char buf[32];

		if (!(w >> bit & 1))
			continue;
		printf("%s", first ? "" : ", ");
		json_string(feature_name(kind, bit, buf, sizeof(buf)));
		first = false;
	}
	putchar(']');
}

/* e2qcow's "key: value" capture text as a JSON object. */
static void json_capture(const char *text)
{
	bool first = true;

	if (!text) {
		fputs("null", stdout);
		return;
	}
	putchar('{');
	while (*text) {
		const char *eol = strchr(text, '\n'), *colon;
		char key[64], value[1024];
		size_t klen, vlen;

		if (!eol)
			eol = text + strlen(text);
		colon = memchr(text, ':', (size_t)(eol - text));
		if (colon) {
			klen = (size_t)(colon - text) < sizeof(key) - 1
				       ? (size_t)(colon - text)
				       : sizeof(key) - 1;
			memcpy(key, text, klen);
			key[klen] = 0;
			colon += colon[1] == ' ' ? 2 : 1;
			vlen = (size_t)(eol - colon) < sizeof(value) - 1
				       ? (size_t)(eol - colon)
				       : sizeof(value) - 1;
			memcpy(value, colon, vlen);
			value[vlen] = 0;
			printf("%s", first ? "" : ", ");
			json_string(key);
			fputs(": ", stdout);
			json_string(value);
			first = false;
		}
		text = *eol ? eol + 1 : eol;
	}
	putchar('}');
}

static void json_image(struct qcow_reader *r)
{
	struct qcow_cluster_counts cc;
	struct qcow_reader_info in;
	const struct qcow_hdr *h;

	qcow_reader_get_info(r, &in);
	h = &in.hdr;
	fputs("{\"path\": ", stdout);
	json_string(in.path);
	printf(", \"format\": \"%s\", \"file_size\": %" PRIu64
	       ", \"virtual_size\": %" PRIu64,
	       in.raw ? "raw" : "qcow2", in.file_size, qcow_reader_size(r));
	if (!in.raw) {
		printf(", \"version\": %u, \"cluster_size\": %u"
		       ", \"refcount_bits\": %u, \"compression_type\": \"%s\"",
		       h->version, 1U << h->cluster_bits,
		       1U << h->refcount_order,
		       h->compression_type ? "zstd" : "zlib");
		fputs(", \"features\": {\"incompatible\": ", stdout);
		json_features(h, 0);
		fputs(", \"compatible\": ", stdout);
		json_features(h, 1);
		fputs(", \"autoclear\": ", stdout);
		json_features(h, 2);
		putchar('}');
		if (!qcow_reader_count_clusters(r, &cc))
			printf(", \"clusters\": {\"allocated\": %" PRIu64
			       ", \"zero\": %" PRIu64
			       ", \"compressed\": %" PRIu64
			       ", \"unallocated\": %" PRIu64 "}",
			       cc.allocated, cc.zero, cc.compressed,
			       cc.unallocated);
		fputs(", \"snapshots\": [", stdout);
		for (uint32_t i = 0; i < in.nb_snapshots; i++) {
			const struct qcow_snapshot_info *s = &in.snapshots[i];

			printf("%s{\"id\": ", i ? ", " : "");
			json_string(s->id);
			fputs(", \"name\": ", stdout);
			json_string(s->name);
			printf(", \"vm_state_size\": %" PRIu64
			       ", \"disk_size\": %" PRIu64 ", \"date\": %u}",
			       s->vm_state_size, s->disk_size, s->date_sec);
		}
		fputs("], \"backing_file\": ", stdout);
		json_string_or_null(in.backing_file);
		fputs(", \"backing_format\": ", stdout);
		json_string_or_null(in.backing_format);
		fputs(", \"data_file\": ", stdout);
		json_string_or_null(in.data_file);
		fputs(", \"capture\": ", stdout);
		json_capture(in.capture_text);
		if (in.has_digests)
			printf(", \"digests\": %" PRIu64, in.digest_count);
		else
			fputs(", \"digests\": null", stdout);
	}
	fputs(", \"backing\": ", stdout);
	if (in.backing)
		json_image(in.backing);
	else
		fputs("null", stdout);
	putchar('}');
}

static void text_features(const struct qcow_hdr *h)
{
	static const char *const kinds[] = { "incompatible", "compatible",
					     "autoclear" };

	for (int kind = 0; kind < 3; kind++) {
		uint64_t w = feature_word(h, kind);

		printf("%s features:%s", kinds[kind], w ? "" : " none");
		for (unsigned bit = 0; bit < 64; bit++) {
			char buf[32];

			if (w >> bit & 1)
				printf(" [%s]", feature_name(kind, bit, buf,
							     sizeof(buf)));
		}
		putchar('\n');
	}
}

static void text_image(struct qcow_reader *r, int depth)
{
	struct qcow_cluster_counts cc;
	struct qcow_reader_info in;
	const struct qcow_hdr *h;

	qcow_reader_get_info(r, &in);
	h = &in.hdr;
	if (depth)
		printf("\nbacking image %d:\n", depth);
	printf("image: %s\nfile format: %s\nvirtual size: %" PRIu64
	       " bytes\nfile size: %" PRIu64 " bytes\n",
	       in.path, in.raw ? "raw" : "qcow2", qcow_reader_size(r),
	       in.file_size);
	if (!in.raw) {
		printf("version: %u\ncluster size: %u\nrefcount bits: %u\n"
		       "compression type: %s\n",
		       h->version, 1U << h->cluster_bits,
		       1U << h->refcount_order,
		       h->compression_type ? "zstd" : "zlib");
		text_features(h);
		if (!qcow_reader_count_clusters(r, &cc))
			printf("clusters: %" PRIu64 " allocated, %" PRIu64
			       " zero, %" PRIu64 " compressed, %" PRIu64
			       " unallocated\n",
			       cc.allocated, cc.zero, cc.compressed,
			       cc.unallocated);
		printf("snapshots: %u\n", in.nb_snapshots);
		for (uint32_t i = 0; i < in.nb_snapshots; i++)
			printf("  id %s name '%s' vm state %" PRIu64
			       " bytes, disk %" PRIu64 " bytes, date %u\n",
			       in.snapshots[i].id, in.snapshots[i].name,
			       in.snapshots[i].vm_state_size,
			       in.snapshots[i].disk_size,
			       in.snapshots[i].date_sec);
		if (in.backing_file)
			printf("backing file: %s (format: %s)\n",
			       in.backing_file,
			       in.backing_format ? in.backing_format
						 : "probed");
		if (in.data_file)
			printf("data file: %s\n", in.data_file);
		if (in.has_digests)
			printf("digests: %" PRIu64 " clusters (XXH3-128%s; "
			       "e2qcow verify checks them)\n",
			       in.digest_count,
			       in.digest_alg == QCOW_DIGEST_XXH3_128_USED
				       ? " to the last non-zero byte"
				       : "");
		if (in.capture_text)
			printf("captured by e2qcow:\n%s", in.capture_text);
	}
	if (in.backing)
		text_image(in.backing, depth + 1);
}

int info_main(int argc, char **argv)
{
	struct qcow_reader *r;
	bool json, done;
	int status = cli_open_image("info", argc, argv, &json, &done, &r);

	if (status || done)
		return status;
	if (json) {
		json_image(r);
		putchar('\n');
	} else {
		text_image(r, 0);
	}
	qcow_reader_close(r);
	return EXIT_OK;
}
