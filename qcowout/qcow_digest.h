/* SPDX-License-Identifier: MIT */
/*
 * qcow_digest.h --- digests of the data an image holds (e2qcow's own
 * header extension, which QEMU skips).
 *
 * Every guest cluster the writer stores gets a 128-bit XXH3 digest of its
 * uncompressed bytes: algorithm 2 (what e2qcow writes) of its bytes up
 * to its last non-zero one (the rest are zeros, and need no hashing: a
 * metadata cluster is a block or two and zeros), algorithm 1 (older
 * images) of all of them.  The table of (guest cluster, digest) entries, in
 * guest order, follows the refcount blocks in clusters no refcount
 * counts, so QEMU neither checks nor keeps them; it ends with a digest of
 * the table itself.  The extension says where the table is:
 *
 *   be32 algorithm (1 or 2)        be32 entry size (24)
 *   be64 table offset              be64 entries
 *
 * An entry is be64 guest cluster index and the 16-byte digest, the
 * hash's canonical (big-endian) form.
 */
#ifndef QCOW_DIGEST_H
#define QCOW_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QCOW_DIGEST_LEN 16U
#define QCOW_DIGEST_ENTRY 24U
#define QCOW_DIGEST_EXT_LEN 24U
#define QCOW_DIGEST_XXH3_128 1U	     /* of the whole cluster */
#define QCOW_DIGEST_XXH3_128_USED 2U /* of its bytes to the last non-zero */

struct qcow_digest_entry {
	uint64_t cluster; /* guest cluster index */
	uint8_t digest[QCOW_DIGEST_LEN];
};

/* The digest of @len bytes at @buf. */
void qcow_digest(const void *buf, size_t len, uint8_t out[QCOW_DIGEST_LEN]);
/* The digest by algorithm @alg of the cluster of @len bytes at @buf,
 * whose bytes from @nonzero_end on are known zeros (@len if unknown). */
void qcow_digest_cluster(unsigned alg, const void *buf, size_t len,
			 size_t nonzero_end, uint8_t out[QCOW_DIGEST_LEN]);
/* Is @alg one this code computes? */
bool qcow_digest_alg_known(unsigned alg);

/* The extension's body, encoded big-endian into @out. */
void qcow_digest_ext_encode(uint8_t out[QCOW_DIGEST_EXT_LEN], unsigned alg,
			    uint64_t offset, uint64_t entries);
/* Entries as stored (big-endian), and the table's own trailing digest. */
void qcow_digest_entry_encode(const struct qcow_digest_entry *e,
			      uint8_t out[QCOW_DIGEST_ENTRY]);
void qcow_digest_entry_decode(const uint8_t in[QCOW_DIGEST_ENTRY],
			      struct qcow_digest_entry *e);

/* libxxhash's version, as XXH_versionNumber(): major*10000+minor*100+patch
 * (of the header compiled in: the digest code is inlined). */
unsigned qcow_digest_library_version(void);

#endif
