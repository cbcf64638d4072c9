// SPDX-License-Identifier: MIT
/*
 * qcow_reader.c --- opening an image: header checks as QEMU makes them
 * (block/qcow2.c qcow2_do_open), header extensions, the L1 table, the
 * backing chain and the external data file.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qcow_digest.h"
#include "qcow_endian.h"
#include "qcow_err.h"
#include "qcow_reader_int.h"

static void set_error(struct qcow_open_error *e, const char *file,
		      const char *detail)
{
	if (!e)
		return;
	snprintf(e->file, sizeof(e->file), "%s", file ? file : "");
	snprintf(e->detail, sizeof(e->detail), "%s", detail ? detail : "");
}

static char *strndup_safe(const uint8_t *p, size_t len)
{
	char *s = malloc(len + 1);

	if (s) {
		memcpy(s, p, len);
		s[len] = 0;
	}
	return s;
}

/* Table at @off of @len bytes: aligned, no overflow, inside the file. */
static bool table_ok(const struct qcow_reader *r, uint64_t off, uint64_t len)
{
	return !(off & (r->cluster_size - 1)) && off <= r->file_size &&
	       len <= r->file_size - off;
}

static void note_feature_names(struct qcow_reader *r, const uint8_t *p,
			       uint32_t len)
{
	unsigned n = 0;

	for (uint32_t at = 0; at + 48 <= len; at += 48) {
		uint8_t kind = p[at], bit = p[at + 1];

		if (kind != 0 || bit > 63 || n >= 4)
			continue;
		if (!(r->hdr.incompatible_features & (1ULL << bit)) ||
		    (QCOW_KNOWN_INCOMPAT & (1ULL << bit)))
			continue;
		snprintf(r->feature_names[n++], sizeof(r->feature_names[0]),
			 "%.46s", (const char *)p + at + 2);
	}
}

static errcode_t parse_extension(struct qcow_reader *r, uint32_t type,
				 const uint8_t *p, uint32_t len)
{
	char **slot = NULL;

	switch (type) {
	case QCOW2_EXT_BACKING_FORMAT:
		if (len >= 16)
			return QCOW_ERR_BAD_BACKING;
		slot = &r->backing_fmt;
		break;
	case QCOW2_EXT_FEATURE_TABLE:
		note_feature_names(r, p, len);
		return 0;
	case QCOW2_EXT_DATA_FILE:
		slot = &r->data_name;
		break;
	case QCOW2_EXT_E2QCOW_CAPTURE:
		slot = &r->capture_text;
		break;
	case QCOW2_EXT_E2QCOW_DIGESTS:
		/* Another algorithm or layout: as if there were none. */
		if (r->has_digests)
			return QCOW_ERR_BAD_EXTENSION;
		if (len < QCOW_DIGEST_EXT_LEN ||
		    !qcow_digest_alg_known(qcow_load_be32(p)) ||
		    qcow_load_be32(p + 4) != QCOW_DIGEST_ENTRY)
			return 0;
		r->has_digests = true;
		r->digest_alg = qcow_load_be32(p);
		r->digest_offset = qcow_load_be64(p + 8);
		r->digest_count = qcow_load_be64(p + 16);
		return 0;
	case QCOW2_EXT_E2QCOW_LAYOUT:
		if (len < QCOW2_E2QCOW_LAYOUT_LEN || r->has_layout)
			return 0; /* not one we know: no promise */
		r->has_layout = true;
		r->layout_flags = qcow_load_be64(p);
		r->layout_shared = qcow_load_be64(p + 8);
		return 0;
	default:
		return 0; /* unknown: skipped, as QEMU does */
	}
	if (*slot)
		return QCOW_ERR_BAD_EXTENSION; /* each type at most once */
	*slot = strndup_safe(p, len);
	return *slot ? 0 : ENOMEM;
}

/* {u32 type, u32 len, data, pad to 8} until type 0 or the area's end. */
static errcode_t parse_extensions(struct qcow_reader *r, const uint8_t *hc,
				  size_t hc_len)
{
	size_t at = r->hdr.version == 2 ? QCOW2_V2_HEADER_LEN
					: r->hdr.header_length;
	size_t end = hc_len;
	errcode_t err;

	if (r->hdr.backing_file_offset && r->hdr.backing_file_offset < end)
		end = (size_t)r->hdr.backing_file_offset;
	while (at + 8 <= end) {
		uint32_t type = qcow_load_be32(hc + at);
		uint32_t len = qcow_load_be32(hc + at + 4);

		if (type == QCOW2_EXT_END)
			return 0;
		at += 8;
		if (len > end - at)
			return QCOW_ERR_BAD_EXTENSION;
		err = parse_extension(r, type, hc + at, len);
		if (err)
			return err;
		at += ((size_t)len + 7) & ~(size_t)7;
	}
	return 0;
}

static errcode_t check_features(struct qcow_reader *r,
				const struct qcow_reader_opts *o)
{
	const struct qcow_hdr *h = &r->hdr;

	if (h->crypt_method)
		return QCOW_ERR_ENCRYPTED;
	if (h->incompatible_features & ~QCOW_KNOWN_INCOMPAT)
		return QCOW_ERR_INCOMPAT_FEATURE;
	if ((h->incompatible_features & QCOW2_INCOMPAT_CORRUPT) &&
	    !o->allow_corrupt)
		return QCOW_ERR_CORRUPT_FLAG;
	if (h->compression_type > 1)
		return QCOW_ERR_UNKNOWN_COMPRESSION;
	/* QEMU insists that the bit and the type agree. */
	if (!!(h->incompatible_features & QCOW2_INCOMPAT_COMPRESSION) !=
	    (h->compression_type != 0))
		return QCOW_ERR_UNKNOWN_COMPRESSION;
	if (r->extl2 && r->cluster_bits < 14)
		return QCOW_ERR_BAD_CLUSTER_BITS;
	return 0;
}

static errcode_t check_tables(struct qcow_reader *r)
{
	const struct qcow_hdr *h = &r->hdr;
	uint64_t reftable_len = (uint64_t)h->refcount_table_clusters
				<< r->cluster_bits;
	uint64_t l2_span = r->l2_entries << r->cluster_bits;
	uint64_t need = r->size / l2_span + (r->size % l2_span != 0);

	if (!h->refcount_table_clusters ||
	    reftable_len > QCOW_MAX_REFTABLE_BYTES ||
	    !table_ok(r, h->refcount_table_offset, reftable_len))
		return QCOW_ERR_BAD_TABLE;
	if ((uint64_t)h->l1_size * 8 > QCOW2_MAX_L1_BYTES ||
	    h->l1_size < need ||
	    !table_ok(r, h->l1_table_offset, (uint64_t)h->l1_size * 8))
		return h->l1_size < need ? QCOW_ERR_TOO_BIG
					 : QCOW_ERR_BAD_TABLE;
	if (h->nb_snapshots > QCOW_MAX_SNAPSHOTS ||
	    (h->nb_snapshots &&
	     !table_ok(r, h->snapshots_offset, (uint64_t)h->nb_snapshots * 40)))
		return QCOW_ERR_BAD_SNAPSHOT;
	return 0;
}

static errcode_t read_header(struct qcow_reader *r,
			     const struct qcow_reader_opts *o)
{
	uint8_t first[QCOW2_V3_MIN_HEADER_LEN + 8];
	size_t hc_len;
	uint8_t *hc;
	errcode_t err;

	memset(first, 0, sizeof(first));
	if (r->file_size < QCOW2_V2_HEADER_LEN)
		return QCOW_ERR_TRUNCATED;
	err = r->io->pread(r->io, first,
			   r->file_size < sizeof(first) ? (size_t)r->file_size
							: sizeof(first),
			   0);
	if (!err)
		err = qcow_hdr_decode(first, sizeof(first), &r->hdr);
	if (err)
		return err;
	r->cluster_bits = r->hdr.cluster_bits;
	r->cluster_size = 1ULL << r->cluster_bits;
	r->size = r->hdr.size;
	r->extl2 = r->hdr.incompatible_features & QCOW2_INCOMPAT_EXTL2;
	r->l2_entry_bytes = r->extl2 ? 16 : 8;
	r->l2_entries = r->cluster_size / r->l2_entry_bytes;
	r->subcluster_size = r->extl2 ? r->cluster_size / 32 : r->cluster_size;
	if (r->hdr.header_length > r->file_size)
		return QCOW_ERR_TRUNCATED;
	/* The header cluster holds the extensions and the backing name. */
	hc_len = (size_t)(r->file_size < r->cluster_size ? r->file_size
							 : r->cluster_size);
	hc = malloc(hc_len);
	if (!hc)
		return ENOMEM;
	err = r->io->pread(r->io, hc, hc_len, 0);
	if (!err)
		err = parse_extensions(r, hc, hc_len);
	/* Written to by a program that does not keep the digests. */
	if (r->has_digests &&
	    !(r->hdr.autoclear_features & QCOW2_AUTOCLEAR_E2QCOW_DIGESTS)) {
		r->has_digests = false;
		r->digests_stale = true;
	}
	if (!err)
		err = check_features(r, o);
	if (!err && r->hdr.backing_file_offset) {
		uint64_t bo = r->hdr.backing_file_offset;
		uint32_t bl = r->hdr.backing_file_size;

		/* An empty name means no backing file, as in QEMU. */
		if (bo > r->cluster_size || bl > QCOW_MAX_BACKING_NAME ||
		    bl > r->cluster_size - bo || bo + bl > hc_len)
			err = QCOW_ERR_BAD_BACKING;
		else if (bl && !(r->backing_name = strndup_safe(hc + bo, bl)))
			err = ENOMEM;
	}
	free(hc);
	return err;
}

static errcode_t load_l1(struct qcow_reader *r)
{
	size_t len = (size_t)r->hdr.l1_size * 8;

	r->l2_slots = (unsigned)((16ULL << 20) >> r->cluster_bits);
	if (r->l2_slots < 4)
		r->l2_slots = 4;
	if (r->l2_slots > 64)
		r->l2_slots = 64;
	r->l2_cache = calloc(r->l2_slots, sizeof(*r->l2_cache));
	r->l1 = malloc(len ? len : 1);
	if (!r->l1 || !r->l2_cache)
		return ENOMEM;
	return len ? r->io->pread(r->io, r->l1, len, r->hdr.l1_table_offset)
		   : 0;
}

static errcode_t open_qcow2(struct qcow_reader *r,
			    const struct qcow_reader_opts *o)
{
	errcode_t err = read_header(r, o);

	if (!err)
		err = check_tables(r);
	if (!err)
		err = qcow_reader_read_snapshots(r);
	if (!err)
		err = load_l1(r);
	r->comp_cached_off = UINT64_MAX;
	return err;
}

static errcode_t new_reader(struct qcow_io *io, bool own, const char *path,
			    struct qcow_reader **out)
{
	struct qcow_reader *r = calloc(1, sizeof(*r));
	errcode_t err;

	if (!r)
		return ENOMEM;
	r->io = io;
	r->own_io = own;
	r->path = strdup(path ? path : "");
	err = r->path ? io->get_size(io, &r->file_size) : ENOMEM;
	if (err) {
		r->own_io = false;
		qcow_reader_close(r);
		return err;
	}
	*out = r;
	return 0;
}

errcode_t qcow_reader_open_io(struct qcow_io *io,
			      const struct qcow_reader_opts *opts,
			      struct qcow_reader **out)
{
	struct qcow_reader *r;
	errcode_t err = new_reader(io, false, NULL, &r);

	*out = NULL;
	if (err)
		return err;
	err = open_qcow2(r, opts);
	if (!err && (r->hdr.incompatible_features & QCOW2_INCOMPAT_DATA_FILE))
		err = QCOW_ERR_NO_DATA_FILE;
	if (err) {
		qcow_reader_close(r);
		return err;
	}
	*out = r;
	return 0;
}

static errcode_t open_file(const char *path, struct qcow_io **io)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	errcode_t err;

	if (fd < 0)
		return errno;
	err = qcow_io_fd_create(fd, io);
	if (err)
		close(fd);
	return err;
}

static void close_file(struct qcow_io *io)
{
	if (!io)
		return;
	if (io->fd >= 0)
		close(io->fd);
	qcow_io_free(io);
}

/* Relative names: relative to the directory of the image naming them. */
static char *resolve(const char *base, const char *name)
{
	char *copy, *dir, *out;
	size_t len;

	if (name[0] == '/' || !strchr(base, '/'))
		return strdup(name);
	copy = strdup(base);
	if (!copy)
		return NULL;
	dir = dirname(copy);
	len = strlen(dir) + strlen(name) + 2;
	out = malloc(len);
	if (out)
		snprintf(out, len, "%s/%s", dir, name);
	free(copy);
	return out;
}

static bool looks_qcow2(struct qcow_io *io)
{
	uint8_t m[4];

	return !io->pread(io, m, 4, 0) && qcow_load_be32(m) == QCOW2_MAGIC;
}

static errcode_t open_chain(const char *path, const char *fmt, unsigned depth,
			    const struct qcow_reader_opts *o,
			    struct qcow_reader **out,
			    struct qcow_open_error *e);

static errcode_t open_data_file(struct qcow_reader *r,
				struct qcow_open_error *e)
{
	char *path;
	errcode_t err;

	if (!(r->hdr.incompatible_features & QCOW2_INCOMPAT_DATA_FILE))
		return 0;
	if (!r->data_name) {
		set_error(e, r->path, "the image names no external data file");
		return QCOW_ERR_NO_DATA_FILE;
	}
	r->data_raw = r->hdr.autoclear_features & QCOW2_AUTOCLEAR_DATA_FILE_RAW;
	/* QEMU 7.2 looks for a relative name in the current directory;
	 * beside the image is the next best guess. */
	err = open_file(r->data_name, &r->data_io);
	if (err == ENOENT) {
		path = resolve(r->path, r->data_name);
		if (!path)
			return ENOMEM;
		err = open_file(path, &r->data_io);
		free(path);
	}
	if (err)
		set_error(e, r->data_name, "the external data file");
	r->own_data_io = !err;
	return err;
}

static errcode_t open_backing(struct qcow_reader *r, unsigned depth,
			      const struct qcow_reader_opts *o,
			      struct qcow_open_error *e)
{
	char *path;
	errcode_t err;

	if (!r->backing_name || o->no_backing)
		return 0;
	if (depth + 1 >= QCOW_READER_MAX_CHAIN) {
		set_error(e, r->backing_name, "");
		return QCOW_ERR_CHAIN_TOO_DEEP;
	}
	path = resolve(r->path, r->backing_name);
	if (!path)
		return ENOMEM;
	err = open_chain(path, r->backing_fmt, depth + 1, o, &r->backing, e);
	free(path);
	return err;
}

static errcode_t open_chain(const char *path, const char *fmt, unsigned depth,
			    const struct qcow_reader_opts *o,
			    struct qcow_reader **out, struct qcow_open_error *e)
{
	struct qcow_reader *r = NULL;
	struct qcow_io *io;
	errcode_t err;

	*out = NULL;
	err = open_file(path, &io);
	if (!err) {
		err = new_reader(io, true, path, &r);
		if (err)
			close_file(io);
	}
	if (err) {
		set_error(e, path, "");
		return err;
	}
	if (fmt ? !strcmp(fmt, "raw") : (depth > 0 && !looks_qcow2(io))) {
		r->raw = true;
		r->size = r->file_size;
	} else if (fmt && strcmp(fmt, "qcow2")) {
		set_error(e, path, "backing format is neither qcow2 nor raw");
		err = QCOW_ERR_BAD_BACKING;
	} else {
		err = open_qcow2(r, o);
		if (err)
			set_error(e, path, "");
		if (!err)
			err = open_data_file(r, e);
		if (!err)
			err = open_backing(r, depth, o, e);
		if (err == QCOW_ERR_INCOMPAT_FEATURE && e &&
		    r->feature_names[0][0])
			snprintf(e->detail, sizeof(e->detail), "%s",
				 r->feature_names[0]);
	}
	if (err) {
		qcow_reader_close(r);
		return err;
	}
	*out = r;
	return 0;
}

errcode_t qcow_reader_open(const char *path,
			   const struct qcow_reader_opts *opts,
			   struct qcow_reader **out, struct qcow_open_error *e)
{
	set_error(e, path, "");
	return open_chain(path, NULL, 0, opts, out, e);
}

void qcow_reader_close(struct qcow_reader *r)
{
	if (!r)
		return;
	qcow_reader_close(r->backing);
	if (r->own_io)
		close_file(r->io);
	if (r->own_data_io)
		close_file(r->data_io);
	for (unsigned i = 0; r->l2_cache && i < r->l2_slots; i++)
		free(r->l2_cache[i].buf);
	free(r->l2_cache);
	qcow_reader_free_decompress(r);
	free(r->l1);
	free(r->path);
	free(r->backing_name);
	free(r->backing_fmt);
	free(r->data_name);
	free(r->capture_text);
	free(r->snapshots);
	free(r);
}

uint64_t qcow_reader_size(const struct qcow_reader *r)
{
	return r->size;
}

void qcow_reader_get_info(const struct qcow_reader *r,
			  struct qcow_reader_info *info)
{
	memset(info, 0, sizeof(*info));
	info->hdr = r->hdr;
	info->file_size = r->file_size;
	info->has_layout = r->has_layout;
	info->l1_first = r->layout_flags & QCOW2_E2QCOW_L1_FIRST;
	info->shared_clusters = r->layout_shared;
	info->raw = r->raw;
	info->path = r->path;
	info->backing_file = r->backing_name;
	info->backing_format = r->backing_fmt;
	info->data_file = r->data_name;
	info->capture_text = r->capture_text;
	info->has_digests = r->has_digests;
	info->digests_stale = r->digests_stale;
	info->digest_count = r->digest_count;
	info->digest_alg = r->digest_alg;
	info->nb_snapshots = r->nb_snapshots;
	info->snapshots = r->snapshots;
	info->backing = r->backing;
}

errcode_t qcow_reader_digests(struct qcow_reader *r,
			      struct qcow_digest_entry **out, uint64_t *n)
{
	uint64_t guest_clusters =
		(r->size + r->cluster_size - 1) >> r->cluster_bits;
	uint8_t self[QCOW_DIGEST_LEN], *table;
	struct qcow_digest_entry *e;
	size_t len;
	errcode_t err;

	*out = NULL;
	*n = 0;
	if (r->digests_stale)
		return QCOW_ERR_STALE_DIGESTS;
	if (!r->has_digests)
		return QCOW_ERR_NO_DIGESTS;
	/* Never more entries than guest clusters, never past the file. */
	if (r->digest_count > guest_clusters ||
	    r->digest_count > (SIZE_MAX - QCOW_DIGEST_LEN) / QCOW_DIGEST_ENTRY)
		return QCOW_ERR_BAD_DIGESTS;
	len = (size_t)r->digest_count * QCOW_DIGEST_ENTRY;
	if (r->digest_offset > r->file_size ||
	    r->file_size - r->digest_offset < len + QCOW_DIGEST_LEN)
		return QCOW_ERR_BAD_DIGESTS;
	table = malloc(len + QCOW_DIGEST_LEN);
	e = calloc(r->digest_count ? r->digest_count : 1, sizeof(*e));
	err = table && e ? 0 : ENOMEM;
	if (!err)
		err = r->io->pread(r->io, table, len + QCOW_DIGEST_LEN,
				   r->digest_offset);
	if (!err) {
		qcow_digest(table, len, self);
		if (memcmp(self, table + len, QCOW_DIGEST_LEN))
			err = QCOW_ERR_BAD_DIGESTS;
	}
	for (uint64_t i = 0; !err && i < r->digest_count; i++) {
		qcow_digest_entry_decode(table + i * QCOW_DIGEST_ENTRY, &e[i]);
		if (e[i].cluster >= guest_clusters ||
		    (i && e[i].cluster <= e[i - 1].cluster))
			err = QCOW_ERR_BAD_DIGESTS;
	}
	free(table);
	if (err) {
		free(e);
		return err;
	}
	*out = e;
	*n = r->digest_count;
	return 0;
}

/* @hi's entries over @lo's where both have the cluster. */
static struct qcow_digest_entry *
merge_digests(const struct qcow_digest_entry *hi, uint64_t nh,
	      const struct qcow_digest_entry *lo, uint64_t nl, uint64_t *n)
{
	struct qcow_digest_entry *m =
		malloc((nh + nl ? nh + nl : 1) * sizeof(*m));
	uint64_t i = 0, j = 0, k = 0;

	if (!m)
		return NULL;
	while (i < nh || j < nl) {
		if (j == nl || (i < nh && hi[i].cluster <= lo[j].cluster)) {
			if (j < nl && hi[i].cluster == lo[j].cluster)
				j++;
			m[k++] = hi[i++];
		} else {
			m[k++] = lo[j++];
		}
	}
	*n = k;
	return m;
}

errcode_t qcow_reader_chain_digests(struct qcow_reader *r,
				    unsigned cluster_bits,
				    struct qcow_digest_entry **out, uint64_t *n,
				    unsigned *alg)
{
	struct qcow_digest_entry *acc = NULL, *layer, *m;
	struct qcow_reader *chain[QCOW_READER_MAX_CHAIN + 1];
	unsigned depth = 0;
	uint64_t na = 0, nl;
	errcode_t err = 0;

	*out = NULL;
	*n = 0;
	*alg = r ? r->digest_alg : 0;
	for (; r && depth <= QCOW_READER_MAX_CHAIN; r = r->backing) {
		if (r->raw || r->cluster_bits != cluster_bits ||
		    !r->has_digests || r->data_io || r->digest_alg != *alg)
			return QCOW_ERR_NO_DIGESTS;
		chain[depth++] = r;
	}
	/* From the bottom up, each image over what is beneath it. */
	while (depth-- && !err) {
		err = qcow_reader_digests(chain[depth], &layer, &nl);
		if (err)
			break;
		m = merge_digests(layer, nl, acc, na, &na);
		free(layer);
		free(acc);
		acc = m;
		if (!acc)
			err = ENOMEM;
	}
	if (err) {
		free(acc);
		return err;
	}
	*out = acc;
	*n = na;
	return 0;
}
