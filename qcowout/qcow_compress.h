/* SPDX-License-Identifier: MIT */
/*
 * qcow_compress.h --- compressing single clusters the way qcow2 stores
 * them: zlib as a raw deflate stream with a 4 KiB window (what every QEMU
 * reads), zstd as one frame (QEMU 5.1 and later).
 *
 * A compressor is not shared between threads: make one per thread.
 */
#ifndef QCOW_COMPRESS_H
#define QCOW_COMPRESS_H

#include <stddef.h>

#include <et/com_err.h>

/* The header's compression_type values. */
#define QCOW_COMPRESS_ZLIB 0U
#define QCOW_COMPRESS_ZSTD 1U

struct qcow_compressor;

/* Level range of each type, and the level used when none is given. */
int qcow_compress_min_level(unsigned type);
int qcow_compress_max_level(unsigned type);
int qcow_compress_default_level(unsigned type);
/* The compression libraries this runs with, "zlib X, zstd Y". */
void qcow_compress_versions(char *buf, size_t cap);

/* QCOW_ERR_UNKNOWN_COMPRESSION, QCOW_ERR_BAD_OPTION (level) or ENOMEM. */
errcode_t qcow_compressor_create(unsigned type, int level,
				 unsigned cluster_bits,
				 struct qcow_compressor **out);

/*
 * qcow_compress_cluster() - compress one cluster from @in into @out (room
 * for a cluster).  Returns the compressed length, or 0 when compression
 * would not save a byte: store the cluster as it is then.
 */
size_t qcow_compress_cluster(struct qcow_compressor *c, const void *in,
			     void *out);

void qcow_compressor_free(struct qcow_compressor *c); /* NULL-safe */

#endif
