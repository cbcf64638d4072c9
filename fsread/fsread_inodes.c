// SPDX-License-Identifier: MIT
/*
 * fsread_inodes.c --- the inode scan: which inodes count, and which of
 * their blocks are metadata.
 *
 * Directories, symlinks, the journal, quota files, the orphan file, EA
 * inodes and every reserved inode (bad blocks, resize, ...) are metadata
 * whole.  Of other files only the block map (extent tree or indirect
 * blocks) is, and their data with FSREAD_MAP_ALL_DATA.  In-use means a
 * non-zero link count, a reserved inode number, a place on the orphan
 * list, whose inodes e2fsck truncates and so reads, or a directory that
 * lost its links without being deleted (e2fsck reads it to name paths);
 * the inodes e2fsck opens by number are walked even where the scan
 * skipped them.
 */
#include <stdlib.h>
#include <string.h>

#include "fsread_err.h"
#include "fsread_int.h"

#ifndef EXT4_EA_INODE_FL
#define EXT4_EA_INODE_FL 0x00200000
#endif
/* Bound on the orphan chain; a loop in it ends here. */
#define MAX_ORPHANS 65536
/* Inode table blocks per read while scanning (libext2fs default: 8). */
#define SCAN_BUFFER_BLOCKS 256

struct orphans {
	uint32_t *ino;
	size_t n;
};

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void collect_orphans(struct fsread *r, struct orphans *o)
{
	ext2_filsys fs = r->fs;
	uint32_t ino = fs->super->s_last_orphan;
	struct ext2_inode inode;

	o->ino = NULL;
	o->n = 0;
	if (!ino)
		return;
	o->ino = malloc(MAX_ORPHANS * sizeof(*o->ino));
	if (!o->ino)
		return;
	while (ino && ino <= fs->super->s_inodes_count && o->n < MAX_ORPHANS) {
		o->ino[o->n++] = ino;
		if (ext2fs_read_inode(fs, ino, &inode))
			break;
		ino = inode.i_dtime; /* dtime links the orphan list */
	}
	qsort(o->ino, o->n, sizeof(*o->ino), cmp_u32);
}

/*
 * A directory with no links but no deletion time either (damage, not a
 * deletion, which would have freed its blocks): e2fsck still reads its
 * blocks, to name the directories whose ".." points at it.
 */
static bool unlinked_dir(const struct ext2_inode *inode)
{
	return LINUX_S_ISDIR(inode->i_mode) && !inode->i_dtime;
}

static bool is_orphan(const struct orphans *o, uint32_t ino)
{
	return o->n && bsearch(&ino, o->ino, o->n, sizeof(ino), cmp_u32);
}

static bool is_metadata_inode(ext2_filsys fs, uint32_t ino,
			      const struct ext2_inode *inode)
{
	const struct ext2_super_block *sb = fs->super;

	if (ino < EXT2_FIRST_INODE(sb))
		return true;
	if (LINUX_S_ISDIR(inode->i_mode) || LINUX_S_ISLNK(inode->i_mode))
		return true;
	if (inode->i_flags & EXT4_EA_INODE_FL)
		return true;
	return ino == sb->s_journal_inum || ino == sb->s_usr_quota_inum ||
	       ino == sb->s_grp_quota_inum || ino == sb->s_prj_quota_inum ||
	       ino == sb->s_orphan_file_inum;
}

/* What a metadata inode's data blocks are, for scrubbing (0: none of
 * these; directories, symlinks and xattr values are told apart by the
 * walk, the journal by its own plan, the rest is zeroed). */
static enum scrub_role leaf_role(ext2_filsys fs, uint32_t ino,
				 const struct ext2_inode *inode)
{
	const struct ext2_super_block *sb = fs->super;

	if (LINUX_S_ISDIR(inode->i_mode) || LINUX_S_ISLNK(inode->i_mode))
		return 0;
	if (ino == sb->s_usr_quota_inum || ino == sb->s_grp_quota_inum ||
	    ino == sb->s_prj_quota_inum || ino == EXT4_USR_QUOTA_INO ||
	    ino == EXT4_GRP_QUOTA_INO)
		return SCRUB_QUOTA;
	if (ino == sb->s_orphan_file_inum && ino)
		return SCRUB_ORPHAN;
	/* The resize inode's leaves are the reserved GDT blocks. */
	if (ino == EXT2_RESIZE_INO)
		return SCRUB_RGDT;
	return 0;
}

/* i_block as little-endian bytes, as fsread_walk_blocks wants it. */
static void i_block_bytes(const struct ext2_inode *inode, bool extents,
			  uint8_t out[EXT2_N_BLOCKS * 4])
{
	/* libext2fs leaves extent roots raw and swaps block maps. */
	if (extents) {
		memcpy(out, inode->i_block, EXT2_N_BLOCKS * 4);
		return;
	}
	for (unsigned i = 0; i < EXT2_N_BLOCKS; i++) {
		uint32_t v = inode->i_block[i];

		out[4 * i] = (uint8_t)v;
		out[4 * i + 1] = (uint8_t)(v >> 8);
		out[4 * i + 2] = (uint8_t)(v >> 16);
		out[4 * i + 3] = (uint8_t)(v >> 24);
	}
}

/*
 * The block e2fsck's bmap of logical block 0 reads through an extent
 * tree rooted in @root, at any depth: each index node on the way is
 * captured too (bmap reads it).  False where the tree ends first.
 */
static bool probe_extent_block0(struct fsread *r, const uint8_t *root,
				uint64_t *blk)
{
	unsigned bs = r->fs->blocksize;
	uint8_t *buf = malloc(bs);
	const uint8_t *node = root;
	size_t len = EXT2_N_BLOCKS * 4;
	bool found = false;

	for (unsigned level = 0; buf && level < FSREAD_EXT_MAX_DEPTH; level++) {
		struct fsread_ext_hdr h;
		struct fsread_ext_entry e;

		fsread_ext_hdr_decode(node, &h);
		if (h.magic != FSREAD_EXT_MAGIC || !h.entries ||
		    len < FSREAD_EXT_NODE_HDR + FSREAD_EXT_ENTRY)
			break;
		fsread_ext_entry_decode(node + FSREAD_EXT_NODE_HDR, !h.depth,
					&e);
		if (!h.depth) {
			*blk = e.pblk;
			found = e.lblk == 0 && e.len;
			break;
		}
		if (!fsread_range_ok(r, e.pblk, 1))
			break;
		fsread_add(r, 0, e.pblk, 1, false, "directory probe");
		fsread_roles_note(r, SCRUB_EXTENT, e.pblk, 1, r->cur_ino, 0);
		if (io_channel_read_blk64(r->fs->io, e.pblk, 1, buf))
			break;
		node = buf;
		len = bs;
	}
	free(buf);
	return found;
}

/*
 * e2fsck reads the first block of any inode that is not a directory,
 * regular file or symlink (a device, FIFO, socket, or a mode of no known
 * type) and whose i_block looks like block numbers, to see whether it is
 * really a directory (pass 1, check_is_really_dir): capture that block
 * too.  A device with one link and a plausible device number is left
 * alone, as e2fsck leaves it.  Nothing is warned about: usually i_block
 * is no block map at all.
 */
static void map_really_dir_probe(struct fsread *r,
				 const struct ext2_inode *inode, bool extents)
{
	struct ext2_super_block *sb = r->fs->super;
	uint16_t mode = inode->i_mode;
	bool device = LINUX_S_ISCHR(mode) || LINUX_S_ISBLK(mode);
	bool not_device = false;
	uint64_t blk;

	if (LINUX_S_ISDIR(mode) || LINUX_S_ISREG(mode) || LINUX_S_ISLNK(mode) ||
	    !inode->i_block[0])
		return;
	if (extents && ext2fs_has_feature_extents(sb)) {
		uint8_t ib[EXT2_N_BLOCKS * 4];

		memcpy(ib, inode->i_block, sizeof(ib));
		if (!probe_extent_block0(r, ib, &blk))
			return;
		not_device = true;
	} else {
		for (unsigned i = 0; i < EXT2_N_BLOCKS; i++) {
			uint32_t b = inode->i_block[i];

			if (!b)
				continue;
			if (i >= 4)
				not_device = true;
			if (b < sb->s_first_data_block ||
			    b >= ext2fs_blocks_count(sb))
				return;
		}
		blk = inode->i_block[0];
	}
	if (device && inode->i_links_count == 1 && !not_device)
		return;
	if (fsread_range_ok(r, blk, 1)) {
		fsread_add(r, 0, blk, 1, false, "directory probe");
		fsread_roles_note(r, SCRUB_PROBE, blk, 1, r->cur_ino, 0);
	}
}

/*
 * A symlink e2fsck takes for a slow one: it goes by the size alone
 * (ext2fs_is_fast_symlink) and reads the target's block, where
 * libext2fs's block test would trust i_blocks (damage may zero it).
 */
static bool slow_symlink_by_size(const struct ext2_inode *inode)
{
	return LINUX_S_ISLNK(inode->i_mode) &&
	       !(inode->i_flags & EXT4_INLINE_DATA_FL) &&
	       EXT2_I_SIZE(inode) >= sizeof(inode->i_block);
}

static void walk_inode(struct fsread *r, uint32_t ino, struct ext2_inode *inode,
		       bool all_data)
{
	ext2_filsys fs = r->fs;
	bool meta = is_metadata_inode(fs, ino, inode);
	bool extents = inode->i_flags & EXT4_EXTENTS_FL;
	uint8_t ib[EXT2_N_BLOCKS * 4];
	blk64_t acl;

	r->cur_ino = ino;
	r->cur_ino_warnings = 0;
	r->stats->inodes_walked++;
	acl = ext2fs_file_acl_block(fs, inode);
	if (acl) {
		fsread_add(r, ino, acl, 1, false, "extended attribute block");
		fsread_roles_note(r, SCRUB_EA_BLOCK, acl, 1, ino, 0);
	}
	/* The bad-blocks inode has no mode, but a block map all the same;
	 * e2fsck reads the resize inode's block map whatever its mode. */
	if (ino == EXT2_BAD_INO || ino == EXT2_RESIZE_INO)
		extents = false;
	else if (!ext2fs_inode_has_valid_blocks2(fs, inode) &&
		 !slow_symlink_by_size(inode)) {
		map_really_dir_probe(r, inode, extents);
		return;
	}
	i_block_bytes(inode, extents, ib);
	r->cur_is_dir = LINUX_S_ISDIR(inode->i_mode);
	r->cur_is_symlink = LINUX_S_ISLNK(inode->i_mode);
	r->cur_size = EXT2_I_SIZE(inode);
	r->cur_is_ea_value = inode->i_flags & EXT4_EA_INODE_FL;
	r->cur_leaf_role = leaf_role(fs, ino, inode);
	fsread_walk_blocks(r, ino, ib, extents, meta, all_data);
	r->cur_is_dir = r->cur_is_symlink = r->cur_is_ea_value = false;
	r->cur_leaf_role = 0;
}

/* The superblock's copy of the journal inode's block map. */
static void walk_journal_backup(struct fsread *r)
{
	struct ext2_super_block *sb = r->fs->super;
	uint8_t ib[EXT2_N_BLOCKS * 4];
	struct ext2_inode inode;
	bool extents;

	if (!ext2fs_has_feature_journal(sb) || !sb->s_journal_inum ||
	    sb->s_jnl_backup_type != EXT3_JNL_BACKUP_BLOCKS)
		return;
	memset(&inode, 0, sizeof(inode));
	memcpy(inode.i_block, sb->s_jnl_blocks, sizeof(inode.i_block));
	r->cur_ino = sb->s_journal_inum;
	r->cur_ino_warnings = 0;
	/* Extent roots start with their magic; block maps do not. */
	extents = (sb->s_jnl_blocks[0] & 0xffff) == FSREAD_EXT_MAGIC;
	i_block_bytes(&inode, false, ib);
	fsread_walk_blocks(r, sb->s_journal_inum, ib, extents, true, false);
}

static bool tick(struct fsread *r, uint64_t done)
{
	if (!r->opts.tick || (done & 4095))
		return false;
	return r->opts.tick(r->opts.cb_ctx, done, r->fs->super->s_inodes_count);
}

/* After a scan error, resume at the next group that can be read. */
static errcode_t skip_group(struct fsread *r, ext2_inode_scan scan,
			    uint32_t last_ino, dgrp_t *next)
{
	dgrp_t g = last_ino / EXT2_INODES_PER_GROUP(r->fs->super) + 1;

	if (g <= *next)
		g = *next + 1;
	*next = g;
	if (g >= r->fs->group_desc_count)
		return FSREAD_ERR_INODE_SCAN; /* nothing left */
	return ext2fs_inode_scan_goto_blockgroup(scan, (int)g);
}

/* Inodes e2fsck reads by number, whatever its scan skipped. */
#define BY_NUMBER_MAX 32

struct by_number {
	uint32_t ino[BY_NUMBER_MAX];
	bool walked[BY_NUMBER_MAX];
	unsigned n;
};

static void by_number_add(struct by_number *b, uint32_t ino)
{
	for (unsigned i = 0; i < b->n; i++)
		if (b->ino[i] == ino)
			return;
	if (ino && b->n < BY_NUMBER_MAX)
		b->ino[b->n++] = ino;
}

/* The reserved inodes, the journal, quota and orphan-file inodes and
 * lost+found: e2fsck opens each by its number. */
static void by_number_init(ext2_filsys fs, struct by_number *b)
{
	const struct ext2_super_block *sb = fs->super;
	uint32_t first = EXT2_FIRST_INODE(sb);

	b->n = 0;
	for (uint32_t ino = 1; ino < first && ino < BY_NUMBER_MAX / 2; ino++)
		by_number_add(b, ino);
	by_number_add(b, sb->s_journal_inum);
	by_number_add(b, sb->s_usr_quota_inum);
	by_number_add(b, sb->s_grp_quota_inum);
	by_number_add(b, sb->s_prj_quota_inum);
	by_number_add(b, sb->s_orphan_file_inum);
	by_number_add(b, sb->s_lpf_ino ? sb->s_lpf_ino : first);
	for (unsigned i = 0; i < b->n; i++)
		b->walked[i] = b->ino[i] > sb->s_inodes_count;
}

static void by_number_seen(struct by_number *b, uint32_t ino)
{
	for (unsigned i = 0; i < b->n; i++)
		if (b->ino[i] == ino)
			b->walked[i] = true;
}

/*
 * Those the scan did not reach (a descriptor with a bad checksum that
 * claims its group unused, an itable_unused past them): read by number,
 * as e2fsck reads them, so that what they point at is captured too.
 */
static void walk_by_number(struct fsread *r, const struct by_number *b,
			   struct ext2_inode *inode, int isize, bool all_data,
			   const struct orphans *orphans)
{
	uint32_t first = EXT2_FIRST_INODE(r->fs->super);

	for (unsigned i = 0; i < b->n && !r->fatal; i++) {
		uint32_t ino = b->ino[i];

		if (b->walked[i] ||
		    ext2fs_read_inode_full(r->fs, ino, inode, isize))
			continue;
		if (ino >= first && !inode->i_links_count &&
		    !is_orphan(orphans, ino))
			continue;
		walk_inode(r, ino, inode, all_data);
	}
}

static void scan_inodes(struct fsread *r, ext2_inode_scan scan,
			struct ext2_inode *inode, int isize, bool all_data,
			const struct orphans *orphans, struct by_number *b)
{
	uint32_t first_ino = EXT2_FIRST_INODE(r->fs->super);
	uint32_t last_ino = 0;
	dgrp_t next_group = 0;
	ext2_ino_t ino;

	while (!r->fatal) {
		errcode_t err =
			ext2fs_get_next_inode_full(scan, &ino, inode, isize);

		if (err == EXT2_ET_BAD_BLOCK_IN_INODE_TABLE)
			continue;
		if (err && err != EXT2_ET_INODE_CSUM_INVALID &&
		    err != EXT2_ET_INODE_IS_GARBAGE) {
			fsread_warn(r, 0, err,
				    "inode scan stopped after inode %u; "
				    "resuming at the next group",
				    last_ino);
			while (skip_group(r, scan, last_ino, &next_group) &&
			       next_group < r->fs->group_desc_count)
				;
			if (next_group >= r->fs->group_desc_count)
				break;
			continue;
		}
		if (!ino)
			break;
		last_ino = ino;
		if (tick(r, ino)) {
			r->fatal = FSREAD_ERR_CANCELLED;
			break;
		}
		if (ino >= first_ino && !inode->i_links_count &&
		    !is_orphan(orphans, ino) && !unlinked_dir(inode))
			continue;
		by_number_seen(b, ino);
		walk_inode(r, ino, inode, all_data);
	}
}

void fsread_map_inodes(struct fsread *r, bool all_data)
{
	int isize = EXT2_INODE_SIZE(r->fs->super);
	struct ext2_inode *inode;
	struct orphans orphans;
	struct by_number b;
	ext2_inode_scan scan;
	errcode_t err;

	by_number_init(r->fs, &b);
	inode = calloc(1, (size_t)isize < sizeof(*inode) ? sizeof(*inode)
							 : (size_t)isize);
	if (!inode) {
		r->fatal = ENOMEM;
		return;
	}
	collect_orphans(r, &orphans);
	err = ext2fs_open_inode_scan(r->fs, SCAN_BUFFER_BLOCKS, &scan);
	if (err) {
		fsread_warn(r, 0, err, "inode tables could not be scanned");
	} else {
		ext2fs_inode_scan_flags(scan, EXT2_SF_SKIP_MISSING_ITABLE, 0);
		scan_inodes(r, scan, inode, isize, all_data, &orphans, &b);
		ext2fs_close_inode_scan(scan);
	}
	walk_by_number(r, &b, inode, isize, all_data, &orphans);
	r->cur_ino = 0;
	walk_journal_backup(r);
	r->cur_ino = 0;
	if (r->roles.on && !r->roles.orphans) {
		r->roles.orphans = orphans.ino; /* for the scrub stage */
		r->roles.n_orphans = orphans.n;
	} else {
		free(orphans.ino);
	}
	free(inode);
}
