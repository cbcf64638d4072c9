// SPDX-License-Identifier: MIT
/*
 * qcow_compress.c --- one cluster in, its compressed form out.
 *
 * The output room is one byte short of a cluster, as in QEMU: a result
 * that does not fit there would not make the image smaller.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "qcow_compress.h"
#include "qcow_err.h"

struct qcow_compressor {
	unsigned type;
	size_t cluster_size;
	z_stream zs;
	bool zs_ready;
	ZSTD_CCtx *zc;
};

int qcow_compress_min_level(unsigned type)
{
	(void)type;
	return 1;
}

int qcow_compress_max_level(unsigned type)
{
	return type == QCOW_COMPRESS_ZSTD ? ZSTD_maxCLevel() : 9;
}

int qcow_compress_default_level(unsigned type)
{
	return type == QCOW_COMPRESS_ZSTD ? 3 : 6;
}

errcode_t qcow_compressor_create(unsigned type, int level,
				 unsigned cluster_bits,
				 struct qcow_compressor **out)
{
	struct qcow_compressor *c;

	*out = NULL;
	if (type != QCOW_COMPRESS_ZLIB && type != QCOW_COMPRESS_ZSTD)
		return QCOW_ERR_UNKNOWN_COMPRESSION;
	if (level < qcow_compress_min_level(type) ||
	    level > qcow_compress_max_level(type))
		return QCOW_ERR_BAD_OPTION;
	c = calloc(1, sizeof(*c));
	if (!c)
		return ENOMEM;
	c->type = type;
	c->cluster_size = (size_t)1 << cluster_bits;
	if (type == QCOW_COMPRESS_ZLIB) {
		/* Raw deflate, 4 KiB window: what QEMU reads back. */
		if (deflateInit2(&c->zs, level, Z_DEFLATED, -12, 9,
				 Z_DEFAULT_STRATEGY) != Z_OK) {
			free(c);
			return ENOMEM;
		}
		c->zs_ready = true;
	} else {
		c->zc = ZSTD_createCCtx();
		if (!c->zc || ZSTD_isError(ZSTD_CCtx_setParameter(
				      c->zc, ZSTD_c_compressionLevel, level))) {
			qcow_compressor_free(c);
			return ENOMEM;
		}
	}
	*out = c;
	return 0;
}

static size_t deflate_cluster(struct qcow_compressor *c, const void *in,
			      void *out)
{
	int ret;

	if (deflateReset(&c->zs) != Z_OK)
		return 0;
	c->zs.next_in = (Bytef *)(uintptr_t)in;
	c->zs.avail_in = (uInt)c->cluster_size;
	c->zs.next_out = out;
	c->zs.avail_out = (uInt)(c->cluster_size - 1);
	ret = deflate(&c->zs, Z_FINISH);
	if (ret != Z_STREAM_END)
		return 0; /* did not fit: not worth it */
	return c->cluster_size - 1 - c->zs.avail_out;
}

static size_t zstd_cluster(struct qcow_compressor *c, const void *in, void *out)
{
	size_t n = ZSTD_compress2(c->zc, out, c->cluster_size - 1, in,
				  c->cluster_size);

	return ZSTD_isError(n) ? 0 : n;
}

size_t qcow_compress_cluster(struct qcow_compressor *c, const void *in,
			     void *out)
{
	if (c->type == QCOW_COMPRESS_ZLIB)
		return deflate_cluster(c, in, out);
	return zstd_cluster(c, in, out);
}

void qcow_compressor_free(struct qcow_compressor *c)
{
	if (!c)
		return;
	if (c->zs_ready)
		deflateEnd(&c->zs);
	ZSTD_freeCCtx(c->zc);
	free(c);
}

void qcow_compress_versions(char *buf, size_t cap)
{
	snprintf(buf, cap, "zlib %s, zstd %s", zlibVersion(),
		 ZSTD_versionString());
}
