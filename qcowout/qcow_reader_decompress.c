// SPDX-License-Identifier: MIT
/*
 * qcow_reader_decompress.c --- compressed clusters.
 *
 * zlib (type 0) is a raw deflate stream with a 4 KiB window; zstd (type
 * 1) is zstd frames.  Either may end anywhere after the cluster's bytes
 * are out, and the stored length (whole 512-byte sectors) may run past
 * the end of the file on the last cluster: what is missing reads as
 * zeros, as QEMU reads it.  The last cluster decompressed is kept, since
 * reads often come in pieces smaller than a cluster.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "qcow_compress.h"
#include "qcow_err.h"
#include "qcow_reader_int.h"

static errcode_t inflate_cluster(const uint8_t *in, size_t in_len, uint8_t *out,
				 size_t out_len)
{
	z_stream s;
	int ret;

	memset(&s, 0, sizeof(s));
	if (inflateInit2(&s, -12) != Z_OK)
		return ENOMEM;
	s.next_in = (Bytef *)(uintptr_t)in;
	s.avail_in = (uInt)in_len;
	s.next_out = out;
	s.avail_out = (uInt)out_len;
	ret = inflate(&s, Z_FINISH);
	inflateEnd(&s);
	/* Output full is success whether or not the stream ended. */
	if ((ret == Z_STREAM_END || ret == Z_BUF_ERROR || ret == Z_OK) &&
	    s.avail_out == 0)
		return 0;
	return QCOW_ERR_BAD_COMPRESSED;
}

static errcode_t zstd_cluster(struct qcow_reader *r, const uint8_t *in,
			      size_t in_len, uint8_t *out, size_t out_len)
{
	ZSTD_inBuffer ib = { in, in_len, 0 };
	ZSTD_outBuffer ob = { out, out_len, 0 };

	if (!r->zstd_ctx) {
		r->zstd_ctx = ZSTD_createDCtx();
		if (!r->zstd_ctx)
			return ENOMEM;
	}
	ZSTD_DCtx_reset(r->zstd_ctx, ZSTD_reset_session_only);
	while (ob.pos < ob.size) {
		size_t before = ob.pos + ib.pos;
		size_t ret = ZSTD_decompressStream(r->zstd_ctx, &ob, &ib);

		if (ZSTD_isError(ret))
			return QCOW_ERR_BAD_COMPRESSED;
		/* A finished frame followed by more input is another frame. */
		if (ob.pos + ib.pos == before)
			return QCOW_ERR_BAD_COMPRESSED;
	}
	return 0;
}

errcode_t qcow_reader_decompress(struct qcow_reader *r, uint64_t host_off,
				 uint64_t comp_len, const uint8_t **cluster)
{
	size_t cs = (size_t)r->cluster_size, n;
	errcode_t err;

	if (r->comp_cached_off == host_off) {
		*cluster = r->comp_out;
		return 0;
	}
	/* QEMU writes at most a cluster's worth (plus sector rounding). */
	if (comp_len > 2 * r->cluster_size)
		comp_len = 2 * r->cluster_size;
	if (!r->comp_in) {
		r->comp_in = malloc(2 * cs);
		r->comp_out = malloc(cs);
		if (!r->comp_in || !r->comp_out)
			return ENOMEM;
	}
	n = (size_t)comp_len;
	if (host_off + n > r->file_size)
		n = (size_t)(r->file_size - host_off);
	err = r->io->pread(r->io, r->comp_in, n, host_off);
	if (err)
		return err;
	memset(r->comp_in + n, 0, (size_t)comp_len - n);
	r->comp_cached_off = UINT64_MAX;
	if (r->hdr.compression_type == QCOW_COMPRESS_ZSTD)
		err = zstd_cluster(r, r->comp_in, (size_t)comp_len, r->comp_out,
				   cs);
	else
		err = inflate_cluster(r->comp_in, (size_t)comp_len, r->comp_out,
				      cs);
	if (err)
		return err;
	r->comp_cached_off = host_off;
	*cluster = r->comp_out;
	return 0;
}

void qcow_reader_free_decompress(struct qcow_reader *r)
{
	free(r->comp_in);
	free(r->comp_out);
	ZSTD_freeDCtx(r->zstd_ctx);
	r->comp_in = r->comp_out = NULL;
	r->zstd_ctx = NULL;
}
