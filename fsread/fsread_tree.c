// SPDX-License-Identifier: MIT
/*
 * fsread_tree.c --- walk one inode's block map: extent trees and
 * indirect blocks, decoded here rather than through libext2fs's
 * iterators so that one bad node costs only its own subtree: everything
 * else the inode maps is still captured.
 */
#include <errno.h>
#include <string.h>

#include "fsread_err.h"
#include "fsread_int.h"

struct walk {
	struct fsread *r;
	uint32_t ino;
	bool leaf_is_meta, want_data;
};

static uint8_t *level_buf(struct fsread *r, unsigned level)
{
	return r->node_buf + (size_t)level * r->fs->blocksize;
}

static bool read_node(struct walk *w, uint64_t blk, uint8_t *buf,
		      const char *what)
{
	errcode_t err = io_channel_read_blk64(w->r->fs->io, blk, 1, buf);

	if (err)
		fsread_warn(w->r, w->ino, err,
			    "%s at block %llu could not be read", what,
			    (unsigned long long)blk);
	return !err;
}

static void add_leaf(struct walk *w, uint64_t blk, uint64_t count)
{
	if (w->leaf_is_meta) {
		fsread_add(w->r, w->ino, blk, count, false, "block map");
		if (w->r->cur_is_dir && w->r->dirs &&
		    fsread_range_ok(w->r, blk, count) &&
		    extmap_add(w->r->dirs, blk, count))
			w->r->fatal = ENOMEM;
		if (w->r->cur_is_dir)
			fsread_roles_note(w->r, SCRUB_DIR, blk, count, w->ino,
					  0);
		else if (w->r->cur_is_symlink)
			fsread_roles_note(w->r, SCRUB_SYMLINK, blk, count,
					  w->ino, w->r->cur_size);
		else if (w->r->cur_is_ea_value)
			fsread_roles_note(w->r, SCRUB_EA_VALUE, blk, count,
					  w->ino, 0);
		else if (w->r->cur_leaf_role)
			fsread_roles_note(w->r, w->r->cur_leaf_role, blk, count,
					  w->ino, 0);
	} else if (w->want_data)
		fsread_add(w->r, w->ino, blk, count, true, "data");
}

static void walk_extent_node(struct walk *w, const uint8_t *node, size_t size,
			     int expect_depth);

static void walk_extent_child(struct walk *w, uint64_t blk, unsigned depth)
{
	struct fsread *r = w->r;
	uint8_t *buf = level_buf(r, depth);

	if (!fsread_range_ok(r, blk, 1)) {
		fsread_warn(r, w->ino, FSREAD_ERR_BLOCK_OUT_OF_RANGE,
			    "extent tree node at block %llu is outside the "
			    "filesystem",
			    (unsigned long long)blk);
		return;
	}
	fsread_add(r, w->ino, blk, 1, false, "extent tree node");
	fsread_roles_note(r, SCRUB_EXTENT, blk, 1, w->ino, 0);
	if (read_node(w, blk, buf, "extent tree node"))
		walk_extent_node(w, buf, r->fs->blocksize, (int)depth);
}

/* @expect_depth < 0: the root in the inode, whose depth is not known. */
static void walk_extent_node(struct walk *w, const uint8_t *node, size_t size,
			     int expect_depth)
{
	struct fsread_ext_hdr h;
	size_t room = (size - FSREAD_EXT_NODE_HDR) / FSREAD_EXT_ENTRY;

	fsread_ext_hdr_decode(node, &h);
	if (h.magic != FSREAD_EXT_MAGIC || h.entries > h.max || h.max > room) {
		fsread_warn(w->r, w->ino, FSREAD_ERR_BAD_EXTENT_HEADER,
			    "bad extent header (magic %#x, %u of %u entries)",
			    h.magic, h.entries, h.max);
		return;
	}
	if (h.depth > FSREAD_EXT_MAX_DEPTH ||
	    (expect_depth >= 0 && h.depth != expect_depth)) {
		fsread_warn(w->r, w->ino, FSREAD_ERR_TREE_TOO_DEEP,
			    "extent tree node has depth %u, expected %d",
			    h.depth, expect_depth);
		return;
	}
	for (unsigned i = 0; i < h.entries && !w->r->fatal; i++) {
		const uint8_t *p = node + FSREAD_EXT_NODE_HDR +
				   (size_t)i * FSREAD_EXT_ENTRY;
		struct fsread_ext_entry e;

		fsread_ext_entry_decode(p, h.depth == 0, &e);
		if (h.depth == 0)
			add_leaf(w, e.pblk, e.len);
		else
			walk_extent_child(w, e.pblk, h.depth - 1u);
	}
}

/* @level 1: entries are leaves; 2 and 3: entries are indirect blocks. */
static void walk_indirect(struct walk *w, uint64_t blk, unsigned level)
{
	struct fsread *r = w->r;
	unsigned per_block = r->fs->blocksize / 4;
	uint8_t *buf = level_buf(r, level);

	if (!fsread_range_ok(r, blk, 1)) {
		fsread_warn(r, w->ino, FSREAD_ERR_BLOCK_OUT_OF_RANGE,
			    "indirect block %llu is outside the filesystem",
			    (unsigned long long)blk);
		return;
	}
	fsread_add(r, w->ino, blk, 1, false, "indirect block");
	fsread_roles_note(r, SCRUB_BLOCK_MAP, blk, 1, w->ino, 0);
	if (!read_node(w, blk, buf, "indirect block"))
		return;
	for (unsigned i = 0; i < per_block && !r->fatal; i++) {
		uint32_t child = fsread_le32(buf + (size_t)i * 4);

		if (!child)
			continue;
		if (level == 1)
			add_leaf(w, child, 1);
		else
			walk_indirect(w, child, level - 1);
	}
}

void fsread_walk_blocks(struct fsread *r, uint32_t ino, const uint8_t *i_block,
			bool extents, bool leaf_is_meta, bool want_data)
{
	struct walk w = { r, ino, leaf_is_meta, want_data };

	if (!leaf_is_meta && !want_data && !extents &&
	    !fsread_le32(i_block + 4 * EXT2_IND_BLOCK) &&
	    !fsread_le32(i_block + 4 * EXT2_DIND_BLOCK) &&
	    !fsread_le32(i_block + 4 * EXT2_TIND_BLOCK))
		return; /* only direct data blocks, and no data wanted */
	if (extents) {
		walk_extent_node(&w, i_block, EXT2_N_BLOCKS * 4, -1);
		return;
	}
	for (unsigned i = 0; i < EXT2_NDIR_BLOCKS; i++) {
		uint32_t b = fsread_le32(i_block + 4 * i);

		if (b)
			add_leaf(&w, b, 1);
	}
	for (unsigned level = 1; level <= 3; level++) {
		uint32_t b =
			fsread_le32(i_block + 4 * (EXT2_IND_BLOCK + level - 1));

		if (b)
			walk_indirect(&w, b, level);
	}
}
