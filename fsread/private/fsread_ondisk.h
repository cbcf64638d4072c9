/* SPDX-License-Identifier: MIT */
/*
 * fsread_ondisk.h --- the few ext on-disk structures fsread decodes
 * itself: extent tree nodes and indirect block pointers (little-endian).
 * Everything else comes from libext2fs in host order.
 */
#ifndef FSREAD_ONDISK_H
#define FSREAD_ONDISK_H

#include <stdbool.h>
#include <stdint.h>

#define FSREAD_EXT_MAGIC 0xf30aU
#define FSREAD_EXT_NODE_HDR 12U
#define FSREAD_EXT_ENTRY 12U
/*
 * The kernel builds trees at most 5 deep, but e2fsck reads deeper ones
 * (and reports them "could be more shallow"): so do we, up to a bound
 * that keeps a hostile depth field from costing much.
 */
#define FSREAD_EXT_MAX_DEPTH 32U
/* An extent length above this marks an unwritten (preallocated) extent. */
#define FSREAD_EXT_INIT_MAX_LEN 32768U

static inline uint16_t fsread_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static inline uint32_t fsread_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline void fsread_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* The journal (jbd2) is big-endian on disk. */
static inline uint32_t fsread_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void fsread_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A directory entry's rec_len: 64 KiB blocks store 65536 as 0 or 65535
 * and use the low bits for the high ones. */
static inline unsigned fsread_dirent_rec_len(const uint8_t *p, unsigned bs)
{
	unsigned len = fsread_le16(p + 4);

	if (bs < 65536)
		return len;
	if (len == 65535 || len == 0)
		return 65536;
	return (len & 65532) | ((len & 3) << 16);
}

struct fsread_ext_hdr {
	uint16_t magic, entries, max, depth;
};

/* An index entry (depth > 0) or a leaf extent (depth 0). */
struct fsread_ext_entry {
	uint32_t lblk;
	uint64_t pblk; /* child node, or first data block */
	uint32_t len;  /* leaf only: blocks */
};

static inline void fsread_ext_hdr_decode(const uint8_t *p,
					 struct fsread_ext_hdr *h)
{
	h->magic = fsread_le16(p);
	h->entries = fsread_le16(p + 2);
	h->max = fsread_le16(p + 4);
	h->depth = fsread_le16(p + 6);
}

static inline void fsread_ext_entry_decode(const uint8_t *p, bool leaf,
					   struct fsread_ext_entry *e)
{
	e->lblk = fsread_le32(p);
	if (leaf) {
		uint16_t len = fsread_le16(p + 4);

		e->len = len > FSREAD_EXT_INIT_MAX_LEN
				 ? len - FSREAD_EXT_INIT_MAX_LEN
				 : len;
		e->pblk =
			(uint64_t)fsread_le16(p + 6) << 32 | fsread_le32(p + 8);
	} else {
		e->len = 0;
		e->pblk =
			(uint64_t)fsread_le16(p + 8) << 32 | fsread_le32(p + 4);
	}
}

/* Superblock fields libext2fs divides by (byte offsets in the block). */
enum {
	FSREAD_SB_OFFSET = 1024,
	FSREAD_SB_BLOCKS_COUNT = 4,
	FSREAD_SB_FIRST_DATA_BLOCK = 20,
	FSREAD_SB_LOG_BLOCK_SIZE = 24,
	FSREAD_SB_LOG_CLUSTER_SIZE = 28,
	FSREAD_SB_BLOCKS_PER_GROUP = 32,
	FSREAD_SB_CLUSTERS_PER_GROUP = 36,
	FSREAD_SB_INODES_PER_GROUP = 40,
	FSREAD_SB_MAGIC = 56,
	FSREAD_SB_REV_LEVEL = 76,
	FSREAD_SB_INODE_SIZE = 88,
	FSREAD_SB_FEATURE_INCOMPAT = 96,
	FSREAD_SB_FEATURE_RO_COMPAT = 100,
	FSREAD_SB_UUID = 104,
	FSREAD_SB_DESC_SIZE = 254,
	FSREAD_SB_BLOCKS_COUNT_HI = 336,
	FSREAD_SB_CHECKSUM = 1020,
	FSREAD_SB_LEN = 1024,
};
#define FSREAD_SB_MAGIC_VALUE 0xef53U
#define FSREAD_INCOMPAT_64BIT 0x80U
#define FSREAD_RO_COMPAT_METADATA_CSUM 0x400U

#endif
