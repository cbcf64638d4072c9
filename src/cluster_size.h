/* SPDX-License-Identifier: MIT */
/*
 * cluster_size.h --- the cluster size a compressed capture uses when the
 * user does not choose one.
 */
#ifndef CLUSTER_SIZE_H
#define CLUSTER_SIZE_H

#include <stdint.h>

#include "extmap.h"

/*
 * cluster_size_for_compression() - the cluster bits in [@min_bits,
 * @max_bits] expected to give the smallest compressed image of the
 * blocks in @map (blocks of 1 << @block_bits bytes) on a disk of
 * @disk_size bytes.
 */
unsigned cluster_size_for_compression(const struct extmap *map,
				      unsigned block_bits, uint64_t disk_size,
				      unsigned min_bits, unsigned max_bits);

#endif
