/* SPDX-License-Identifier: MIT */
/*
 * extmap.h --- a set of block numbers kept as sorted, coalesced runs.
 *
 * Runs may be added in any order and may overlap; extmap_normalize()
 * sorts and merges them.  Memory grows with the number of runs, never
 * with the size of the block range they live in.
 */
#ifndef EXTMAP_H
#define EXTMAP_H

#include <stddef.h>
#include <stdint.h>

#include <et/com_err.h>

struct extmap_run {
	uint64_t start;
	uint64_t count;
};

struct extmap {
	struct extmap_run *runs;
	size_t n, cap;
	int sorted; /* runs are sorted and disjoint */
};

void extmap_init(struct extmap *m);
void extmap_free(struct extmap *m);
/* Add [start, start+count); merges with the last run when adjacent. */
errcode_t extmap_add(struct extmap *m, uint64_t start, uint64_t count);
/* Sort and merge overlapping or adjacent runs. */
void extmap_normalize(struct extmap *m);
/* Number of blocks covered (after normalize). */
uint64_t extmap_total(const struct extmap *m);
/* Is @blk covered?  Needs a normalized map; binary search. */
int extmap_contains(const struct extmap *m, uint64_t blk);

#endif
