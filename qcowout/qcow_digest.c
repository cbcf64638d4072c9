// SPDX-License-Identifier: MIT
/*
 * qcow_digest.c --- XXH3-128 digests and their on-disk encoding.
 */
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "qcow_digest.h"
#include "qcow_endian.h"
#include "qcow_io.h"

void qcow_digest(const void *buf, size_t len, uint8_t out[QCOW_DIGEST_LEN])
{
	XXH128_canonical_t c;

	XXH128_canonicalFromHash(&c, XXH3_128bits(buf, len));
	memcpy(out, c.digest, QCOW_DIGEST_LEN);
}

void qcow_digest_cluster(unsigned alg, const void *buf, size_t len,
			 size_t nonzero_end, uint8_t out[QCOW_DIGEST_LEN])
{
	if (alg == QCOW_DIGEST_XXH3_128_USED)
		len = qcow_buf_used(buf, nonzero_end < len ? nonzero_end : len);
	qcow_digest(buf, len, out);
}

bool qcow_digest_alg_known(unsigned alg)
{
	return alg == QCOW_DIGEST_XXH3_128 || alg == QCOW_DIGEST_XXH3_128_USED;
}

void qcow_digest_ext_encode(uint8_t out[QCOW_DIGEST_EXT_LEN], unsigned alg,
			    uint64_t offset, uint64_t entries)
{
	qcow_store_be32(out, alg);
	qcow_store_be32(out + 4, QCOW_DIGEST_ENTRY);
	qcow_store_be64(out + 8, offset);
	qcow_store_be64(out + 16, entries);
}

void qcow_digest_entry_encode(const struct qcow_digest_entry *e,
			      uint8_t out[QCOW_DIGEST_ENTRY])
{
	qcow_store_be64(out, e->cluster);
	memcpy(out + 8, e->digest, QCOW_DIGEST_LEN);
}

void qcow_digest_entry_decode(const uint8_t in[QCOW_DIGEST_ENTRY],
			      struct qcow_digest_entry *e)
{
	e->cluster = qcow_load_be64(in);
	memcpy(e->digest, in + 8, QCOW_DIGEST_LEN);
}

unsigned qcow_digest_library_version(void)
{
	return XXH_versionNumber();
}
