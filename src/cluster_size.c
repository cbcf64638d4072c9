// SPDX-License-Identifier: MIT
/*
 * cluster_size.c --- pick a compressed image's cluster size from the map.
 *
 * Two costs pull against each other.  Every L2 range (cluster_size^2 / 8
 * bytes of the disk) that holds data costs a whole uncompressed L2 table,
 * so large clusters are ruinous on a big, sparsely used filesystem (a 16
 * TiB ext4: 122 MB with 8 KiB clusters, 634 MB with 64 KiB).  Small
 * clusters compress worse (frame headers, short windows): on a 4 GiB ext4
 * of 300,000 files, 7.6 MB with 4 KiB clusters and 4.3 MB with 64 KiB.
 * Those measurements fit a cost of ~128 bytes per stored cluster.  And
 * a small image is mostly its fixed clusters (header, L1, refcount table
 * and block), which large clusters make large.
 */
#include <stdint.h>

#include "cluster_size.h"

#define BYTES_PER_CLUSTER 128U

static uint64_t estimate(const struct extmap *map, unsigned block_bits,
			 unsigned bits, uint64_t disk_size)
{
	uint64_t cs = 1ULL << bits;
	uint64_t l1_bytes = ((disk_size >> (bits + bits - 3)) + 1) * 8;
	uint64_t fixed = 3 * cs + ((l1_bytes + cs - 1) & ~(cs - 1));
	unsigned range_bits = bits + bits - 3; /* bytes one L2 table maps */
	uint64_t clusters = 0, l2s = 0;
	uint64_t last_clu = UINT64_MAX, last_range = UINT64_MAX;

	for (size_t i = 0; i < map->n; i++) {
		uint64_t start = map->runs[i].start << block_bits;
		uint64_t end = (map->runs[i].start + map->runs[i].count)
			       << block_bits;
		uint64_t c0 = start >> bits, c1 = (end - 1) >> bits;
		uint64_t r0 = start >> range_bits, r1 = (end - 1) >> range_bits;

		clusters += c1 - c0 + 1 - (c0 == last_clu);
		l2s += r1 - r0 + 1 - (r0 == last_range);
		last_clu = c1;
		last_range = r1;
	}
	return fixed + (l2s << bits) + clusters * BYTES_PER_CLUSTER;
}

unsigned cluster_size_for_compression(const struct extmap *map,
				      unsigned block_bits, uint64_t disk_size,
				      unsigned min_bits, unsigned max_bits)
{
	unsigned best = max_bits;
	uint64_t best_cost = UINT64_MAX;

	/* From the largest down: ties go to the larger size. */
	for (unsigned bits = max_bits; bits >= min_bits && bits > 0; bits--) {
		uint64_t cost = estimate(map, block_bits, bits, disk_size);

		if (cost < best_cost) {
			best = bits;
			best_cost = cost;
		}
	}
	return best;
}
