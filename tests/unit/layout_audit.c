// SPDX-License-Identifier: MIT
/* layout_audit.c --- see layout_audit.h. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "layout_audit.h"

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

#define OFF_MASK 0x00fffffffffffe00ULL
#define COPIED (1ULL << 63)

/* Count a reference to the cluster at @off; only data clusters may be
 * shared (@shared_ok: the writer's dedup). */
static const char *ref(uint16_t *refs, uint64_t nclu, uint64_t off,
		       unsigned bits, bool shared_ok)
{
	uint64_t c = off >> bits;

	if (off & ((1ULL << bits) - 1))
		return "misaligned offset";
	if (c >= nclu)
		return "offset past the end of the file";
	if (refs[c]++ && !shared_ok)
		return "cluster referenced twice";
	return NULL;
}

/* What the writer leaves free after the header (qcow_writer_int.h). */
#define QUIET_HEAD (128U << 10)

static bool is_zero(const uint8_t *p, uint64_t len)
{
	for (uint64_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static const char *check_refcounts(const struct audit *c, const uint16_t *refs,
				   uint64_t nclu)
{
	const uint8_t *h = c->img;
	uint64_t cs = 1ULL << c->cluster_bits;
	uint64_t rt_off = be64(h + 48), rt_clusters = be32(h + 56);
	uint64_t per_block = cs / 2;

	for (uint64_t clu = 0; clu < nclu; clu++) {
		uint64_t i = clu / per_block, j = clu % per_block;
		uint64_t rb;
		unsigned rc;

		if (i >= rt_clusters * cs / 8)
			return "refcount table too small";
		rb = be64(c->img + rt_off + i * 8) & OFF_MASK;
		if (!rb || rb + cs > c->len)
			return "missing refcount block";
		rc = (unsigned)c->img[rb + j * 2] << 8 | c->img[rb + j * 2 + 1];
		if (rc != refs[clu])
			return "refcount does not match references";
		/* Only the quiet head after the header may go unused, and
		 * then it holds nothing. */
		if (!rc && !(clu && clu * cs < QUIET_HEAD &&
			     is_zero(c->img + clu * cs, cs)))
			return "unreferenced cluster in the file";
	}
	return NULL;
}

/* COPIED on a data cluster's entry exactly when it is its only one. */
static const char *check_copied(const struct audit *c, const uint16_t *refs)
{
	uint64_t cs = 1ULL << c->cluster_bits;

	for (uint64_t i = 0; i < c->l1_size; i++) {
		uint64_t l2 = be64(c->img + c->l1_off + i * 8) & OFF_MASK;

		for (uint64_t j = 0; l2 && j < cs / 8; j++) {
			uint64_t d = be64(c->img + l2 + j * 8);

			if (d &&
			    !(d & COPIED) !=
				    (refs[(d & OFF_MASK) >> c->cluster_bits] >
				     1))
				return "OFLAG_COPIED does not match the refcount";
		}
	}
	return NULL;
}

const char *audit_image(const uint8_t *img, size_t len, struct audit *c)
{
	uint64_t cs, nclu, rt_off, rt_clusters;
	const char *err = NULL;
	uint16_t *refs;

	if (len < 112 || memcmp(img, "QFI\xfb", 4))
		return "no qcow2 header";
	memset(c, 0, sizeof(*c));
	c->img = img;
	c->len = len;
	c->cluster_bits = be32(img + 20);
	c->size = be64(img + 24);
	c->l1_size = be32(img + 36);
	c->l1_off = be64(img + 40);
	cs = 1ULL << c->cluster_bits;
	if (len % cs)
		return "file is not a whole number of clusters";
	nclu = len / cs;
	refs = calloc(nclu, sizeof(*refs));
	if (!refs)
		return "out of memory";
	rt_off = be64(img + 48);
	rt_clusters = be32(img + 56);
	err = ref(refs, nclu, 0, c->cluster_bits, false);
	for (uint64_t i = 0; !err && i < (c->l1_size * 8 + cs - 1) / cs; i++)
		err = ref(refs, nclu, c->l1_off + i * cs, c->cluster_bits,
			  false);
	for (uint64_t i = 0; !err && i < rt_clusters; i++)
		err = ref(refs, nclu, rt_off + i * cs, c->cluster_bits, false);
	for (uint64_t i = 0; !err && i < rt_clusters * cs / 8; i++) {
		uint64_t rb = be64(img + rt_off + i * 8) & OFF_MASK;

		if (rb)
			err = ref(refs, nclu, rb, c->cluster_bits, false);
	}
	for (uint64_t i = 0; !err && i < c->l1_size; i++) {
		uint64_t e = be64(img + c->l1_off + i * 8);
		uint64_t l2 = e & OFF_MASK;

		if (!l2)
			continue;
		if (!(e & COPIED))
			err = "L1 entry without COPIED";
		else
			err = ref(refs, nclu, l2, c->cluster_bits, false);
		for (uint64_t j = 0; !err && j < cs / 8; j++) {
			uint64_t d = be64(img + l2 + j * 8);

			if (!d)
				continue;
			if (d & ~(COPIED | OFF_MASK))
				err = "bad L2 entry flags";
			else
				err = ref(refs, nclu, d & OFF_MASK,
					  c->cluster_bits, true);
		}
	}
	if (!err)
		err = check_copied(c, refs);
	if (!err)
		err = check_refcounts(c, refs, nclu);
	free(refs);
	return err;
}

static uint64_t lookup(const struct audit *c, uint64_t clu)
{
	uint64_t l2_entries = (1ULL << c->cluster_bits) / 8;
	uint64_t l1i = clu / l2_entries, l2;

	if (l1i >= c->l1_size)
		return 0;
	l2 = be64(c->img + c->l1_off + l1i * 8) & OFF_MASK;
	if (!l2)
		return 0;
	return be64(c->img + l2 + (clu % l2_entries) * 8) & OFF_MASK;
}

const char *audit_read(const struct audit *c, uint64_t off, uint8_t *buf,
		       size_t len)
{
	uint64_t cs = 1ULL << c->cluster_bits;

	if (off + len > c->size)
		return "read past the virtual size";
	while (len) {
		uint64_t within = off % cs, host = lookup(c, off / cs);
		size_t n = (size_t)(cs - within) < len ? (size_t)(cs - within)
						       : len;

		if (host)
			memcpy(buf, c->img + host + within, n);
		else
			memset(buf, 0, n);
		buf += n;
		off += n;
		len -= n;
	}
	return NULL;
}

uint64_t audit_mapped(const struct audit *c)
{
	uint64_t cs = 1ULL << c->cluster_bits, n = 0;

	for (uint64_t i = 0; i < c->l1_size; i++) {
		uint64_t l2 = be64(c->img + c->l1_off + i * 8) & OFF_MASK;

		for (uint64_t j = 0; l2 && j < cs / 8; j++)
			n += be64(c->img + l2 + j * 8) != 0;
	}
	return n;
}
