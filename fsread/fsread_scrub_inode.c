// SPDX-License-Identifier: MIT
/*
 * fsread_scrub_inode.c --- what inodes and xattr blocks say of names and
 * contents: fast and inline symlink targets, inline directories, inline
 * file data (zeroed: it is file content, kept only with -a), and the
 * names and values of user. and trusted. extended attributes.  security.
 * labels, ACLs and system. attributes keep their bytes.
 *
 * Every inode of a captured inode-table block goes through, used or not
 * (unused ones can still hold an old target or inline data).  Inode,
 * xattr-entry, xattr-block hash and block checksums that verified before
 * are computed again; those that did not stay as they were, so e2fsck
 * reports the same damage.  Fields are read little-endian, by offset.
 */
#include <string.h>

#include "fsread_scrub_int.h"

enum {
	I_MODE = 0x00, I_SIZE_LO = 0x04, I_FLAGS = 0x20, I_BLOCK = 0x28,
	I_BLOCK_LEN = 60, I_SIZE_HIGH = 0x6c, I_EXTRA_ISIZE = 0x80,
	GOOD_OLD_INODE = 128,
};
#define XATTR_MAGIC 0xea020000U
#define XATTR_HDR 32U	     /* of an xattr block */
#define XATTR_ENTRY 16U
#define XATTR_USER 1
#define XATTR_TRUSTED 4
#define XATTR_SYSTEM 7
#define MAX_XATTRS 128	     /* names kept for uniqueness, per list */

enum inline_kind { INLINE_NONE, INLINE_FILE, INLINE_DIR, INLINE_SYMLINK };

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Every byte but '/' and NUL replaced: the path's shape stays (e2fsck
 * measures a target up to its first NUL), its names go. */
static void scramble_path(uint32_t ino, uint8_t *p, size_t len)
{
	uint64_t counter = 0;
	uint8_t c;

	for (size_t i = 0; i < len; i++) {
		if (p[i] == '/' || p[i] == 0)
			continue;
		scrub_gen_chars(ino ^ 0x5bd1e995U, &counter, &c, 1, false);
		p[i] = c;
	}
}

struct xattr_list {
	struct fsread_scrub *s;
	uint32_t ino;
	enum inline_kind inl;
	bool changed;
	uint8_t names[MAX_XATTRS][256];
	uint8_t name_idx[MAX_XATTRS], name_len[MAX_XATTRS];
	unsigned n;
	uint64_t counter;
};

static void xattr_list_init(struct xattr_list *l, struct fsread_scrub *s,
			    uint32_t ino)
{
	l->s = s;
	l->ino = ino;
	l->inl = INLINE_NONE;
	l->changed = false;
	l->n = 0;
	l->counter = 0;
}

static bool name_taken(const struct xattr_list *l, unsigned idx,
		       const uint8_t *name, unsigned len)
{
	for (unsigned i = 0; i < l->n; i++)
		if (l->name_idx[i] == idx && l->name_len[i] == len &&
		    !memcmp(l->names[i], name, len))
			return true;
	return false;
}

static void new_xattr_name(struct xattr_list *l, unsigned idx, uint8_t *name,
			   unsigned len)
{
	for (unsigned t = 0; t < 1024; t++) {
		scrub_gen_chars(l->ino ^ 0x27d4eb2fU, &l->counter, name, len,
				t >= 512);
		if (!name_taken(l, idx, name, len))
			break;
	}
	if (l->n < MAX_XATTRS) {
		memcpy(l->names[l->n], name, len);
		l->name_idx[l->n] = (uint8_t)idx;
		l->name_len[l->n++] = (uint8_t)len;
	}
}

static uint32_t entry_hash(ext2_filsys fs, uint8_t *e, uint8_t *value,
			   bool *ok)
{
	struct ext2_ext_attr_entry *entry = (struct ext2_ext_attr_entry *)e;
	__u32 h = 0;

	*ok = true;
	if (entry->e_value_inum) {
		*ok = !ext2fs_ext_attr_hash_entry2(fs, entry, NULL, &h);
		return h;
	}
	return ext2fs_ext_attr_hash_entry(entry, value);
}

/* Does @old hold for the entry, either way kernels have hashed names
 * (old ones with signed chars, which e2fsck accepts too)? */
static bool hash_holds(ext2_filsys fs, uint8_t *e, uint8_t *value,
		       uint32_t old)
{
	__u32 h = 0, signed_h = 0;

	if (!old || ext2fs_ext_attr_hash_entry3(
			    fs, (struct ext2_ext_attr_entry *)e, value, &h,
			    &signed_h))
		return false;
	return h == old || signed_h == old;
}

/* The inline part kept in the "system.data" attribute. */
static bool scrub_inline_value(struct xattr_list *l, uint8_t *v, size_t len)
{
	struct fsread_scrub *s = l->s;

	switch (l->inl) {
	case INLINE_SYMLINK:
		scramble_path(l->ino, v, len);
		return len != 0;
	case INLINE_DIR: {
		struct dir_state *d = scrub_dir_state(s, l->ino);

		if (!d)
			return false;
		scrub_dirents(s, d, v, len);
		return len != 0;
	}
	case INLINE_FILE:
		if (s->keep_data)
			return false;
		memset(v, 0, len);
		return len != 0;
	default:
		return false;
	}
}

/* Entries from @first to @end (at most), values at @vbase + offset up to
 * @vend; stops at the list's end or where an entry runs off. */
/* The 4 zero bytes that end an entry list, or NULL. */
static uint8_t *list_end(uint8_t *first, uint8_t *end)
{
	for (uint8_t *e = first; e + XATTR_ENTRY <= end;
	     e += (XATTR_ENTRY + e[0] + 3) & ~3U)
		if (!fsread_le32(e))
			return e;
	return NULL;
}

/* Zero a value, but never the entry table a damaged offset points into
 * (e2fsck reports that collision; it must still find the entries). */
static void zero_value(uint8_t *value, size_t len, const uint8_t *table_end)
{
	if (value < table_end) {
		size_t skip = (size_t)(table_end - value);

		if (skip >= len)
			return;
		value += skip;
		len -= skip;
	}
	memset(value, 0, len);
}

static void scrub_xattrs(struct xattr_list *l, uint8_t *first,
			     uint8_t *end, uint8_t *vbase, uint8_t *vend)
{
	ext2_filsys fs = l->s->r->fs;
	uint8_t *e = first, *table_end = list_end(first, end);

	while (e + 4 <= end && fsread_le32(e)) {
		unsigned name_len = e[0], idx = e[1];
		size_t voff = fsread_le16(e + 2);
		uint32_t vsize = fsread_le32(e + 8), old = fsread_le32(e + 12);
		size_t esize = (XATTR_ENTRY + name_len + 3) & ~3U;
		uint8_t *value = NULL;
		bool touched = false, old_ok, hash_ok;

		if (e + XATTR_ENTRY > end || esize > (size_t)(end - e))
			return;
		/* Hashing reads the value in 4-byte words: all must fit. */
		if (!fsread_le32(e + 4) && vsize &&
		    voff <= (size_t)(vend - vbase) &&
		    ((size_t)vsize + 3) / 4 * 4 <= (size_t)(vend - vbase) - voff)
			value = vbase + voff;
		old_ok = (value || !vsize || fsread_le32(e + 4)) &&
			 hash_holds(fs, e, value, old);
		if (idx == XATTR_USER || idx == XATTR_TRUSTED) {
			new_xattr_name(l, idx, e + XATTR_ENTRY, name_len);
			if (value)
				zero_value(value, vsize,
					   table_end ? table_end + 4 : end);
			l->s->rep.xattrs++;
			touched = true;
		} else if (idx == XATTR_SYSTEM && name_len == 4 &&
			   !memcmp(e + XATTR_ENTRY, "data", 4) && value) {
			/* Past the entry table only (see zero_value). */
			uint8_t *from = table_end ? table_end + 4 : end;
			size_t skip = value < from ? (size_t)(from - value) : 0;

			if (skip < vsize)
				touched = scrub_inline_value(l, value + skip,
							     vsize - skip);
		}
		if (touched && old_ok) {
			put_le32(e + 12, entry_hash(fs, e, value, &hash_ok));
			l->s->rep.csums++;
		}
		l->changed |= touched;
		e += esize;
	}
}

static bool scrub_fast_symlink(struct fsread_scrub *s, uint32_t ino,
			       uint8_t *p, uint64_t size, uint32_t flags)
{
	if (flags & EXT4_INLINE_DATA_FL)
		size = size < I_BLOCK_LEN ? size : I_BLOCK_LEN;
	else if (!ext2fs_is_fast_symlink((struct ext2_inode *)p))
		return false;
	scramble_path(ino, p + I_BLOCK, (size_t)size);
	s->rep.symlinks++;
	return size != 0;
}

/*
 * e2fsck asks of an inline inode that is neither directory, file nor
 * symlink whether its data looks like a directory (pass 1,
 * check_is_really_dir: a parent inode number and an entry header that
 * could be one).  Such data is scrubbed as a directory instead of zeroed,
 * which keeps those first bytes, so e2fsck still asks and still answers
 * the same.
 */
static bool looks_like_inline_dir(ext2_filsys fs, uint16_t mode,
				  const uint8_t *ib)
{
	uint32_t parent = fsread_le32(ib), entry = fsread_le32(ib + 4);
	uint32_t count = fs->super->s_inodes_count;
	uint32_t first = EXT2_FIRST_INO(fs->super);

	if (LINUX_S_ISREG(mode) || LINUX_S_ISLNK(mode) || !parent)
		return false;
	return parent < count && (parent >= first || parent == EXT2_ROOT_INO) &&
	       entry < count && (entry >= first || !entry) &&
	       fsread_le16(ib + 8) <= I_BLOCK_LEN - 4;
}

/* e2fsck's question for an inode flagged both inline and extents. */
static bool could_be_block_map(ext2_filsys fs, const uint8_t *ib)
{
	for (unsigned i = 0; i < I_BLOCK_LEN / 4; i++) {
		uint32_t b = fsread_le32(ib + 4 * i);

		if ((b && b < fs->super->s_first_data_block) ||
		    b >= ext2fs_blocks_count(fs->super))
			return false;
	}
	return true;
}

static void scrub_inode(struct fsread_scrub *s, uint32_t ino, uint8_t *p,
			unsigned isz)
{
	ext2_filsys fs = s->r->fs;
	uint16_t mode = fsread_le16(p + I_MODE);
	uint32_t flags = fsread_le32(p + I_FLAGS);
	uint64_t size = fsread_le32(p + I_SIZE_LO) |
			(uint64_t)fsread_le32(p + I_SIZE_HIGH) << 32;
	bool encrypted = flags & EXT4_ENCRYPT_FL;
	bool inl = flags & EXT4_INLINE_DATA_FL;
	bool csum_ok = ext2fs_has_feature_metadata_csum(fs->super) &&
		       ext2fs_inode_csum_verify(fs, ino,
						(struct ext2_inode_large *)p);
	struct xattr_list l;

	/* Only the head: the name table (32 KiB) is filled as it is used. */
	xattr_list_init(&l, s, ino);
	if (LINUX_S_ISLNK(mode) && !encrypted) {
		l.inl = INLINE_SYMLINK;
		l.changed |= scrub_fast_symlink(s, ino, p, size, flags);
	} else if (inl && !encrypted &&
		   (LINUX_S_ISDIR(mode) ||
		    looks_like_inline_dir(fs, mode, p + I_BLOCK))) {
		struct dir_state *d = scrub_dir_state(s, ino);

		l.inl = INLINE_DIR;
		if (d) {
			/* The parent's inode number, then entries. */
			scrub_dirents(s, d, p + I_BLOCK + 4, I_BLOCK_LEN - 4);
			s->rep.inline_dirs++;
			l.changed = true;
		}
	} else if (inl && !encrypted) {
		l.inl = INLINE_FILE;
		/* Inline flag and an extent root (damage): no file data in
		 * i_block, and e2fsck reports which of the two it sees. */
		if (!s->keep_data && fsread_le16(p + I_BLOCK) != FSREAD_EXT_MAGIC) {
			/* With the extents flag too, e2fsck asks whether
			 * i_block could be a block map: all-ones says no
			 * as the original did, zeros yes. */
			bool no_map = (flags & EXT4_EXTENTS_FL) &&
				      !could_be_block_map(fs, p + I_BLOCK);

			memset(p + I_BLOCK, no_map ? 0xff : 0, I_BLOCK_LEN);
			s->rep.inline_files++;
			l.changed = true;
		}
	}
	if (isz > GOOD_OLD_INODE + 4) {
		size_t extra = fsread_le16(p + I_EXTRA_ISIZE);
		uint8_t *hdr = p + GOOD_OLD_INODE + extra;

		if (GOOD_OLD_INODE + extra + 4 <= isz &&
		    fsread_le32(hdr) == XATTR_MAGIC)
			scrub_xattrs(&l, hdr + 4, p + isz, hdr + 4, p + isz);
	}
	if (l.changed && csum_ok) {
		ext2fs_inode_csum_set(fs, ino, (struct ext2_inode_large *)p);
		s->rep.csums++;
	}
}

void scrub_itable_block(struct fsread_scrub *s, uint32_t group,
			uint64_t first_blk, uint64_t blk, uint8_t *buf)
{
	ext2_filsys fs = s->r->fs;
	unsigned isz = EXT2_INODE_SIZE(fs->super);
	unsigned per_block = fs->blocksize / isz;
	uint32_t ipg = fs->super->s_inodes_per_group;
	uint64_t index = (blk - first_blk) * per_block;

	for (unsigned i = 0; i < per_block && index + i < ipg; i++) {
		uint64_t ino = (uint64_t)group * ipg + index + i + 1;

		if (ino > fs->super->s_inodes_count)
			break;
		scrub_inode(s, (uint32_t)ino, buf + (size_t)i * isz, isz);
	}
}

/* The block's hash over its entries' hashes (the kernel's rehash). */
static uint32_t block_hash(const uint8_t *first, const uint8_t *last)
{
	uint32_t h = 0;

	for (const uint8_t *e = first; e < last;
	     e += (XATTR_ENTRY + e[0] + 3) & ~3U) {
		uint32_t eh = fsread_le32(e + 12);

		if (!eh)
			return 0;
		h = (h << 16) ^ (h >> 16) ^ eh;
	}
	return h;
}

void scrub_ea_block(struct fsread_scrub *s, uint64_t blk, uint8_t *buf)
{
	ext2_filsys fs = s->r->fs;
	unsigned bs = fs->blocksize;
	struct xattr_list l;
	uint8_t *last;
	bool csum_ok, hash_ok;

	if (fsread_le32(buf) != XATTR_MAGIC || fsread_le32(buf + 8) != 1)
		return;
	xattr_list_init(&l, s, (uint32_t)blk);
	csum_ok = ext2fs_has_feature_metadata_csum(fs->super) &&
		  ext2fs_ext_attr_block_csum_verify(
			  fs, 0, blk, (struct ext2_ext_attr_header *)buf);
	/* Names keep their lengths: the list ends where it ended. */
	last = list_end(buf + XATTR_HDR, buf + bs);
	hash_ok = last && block_hash(buf + XATTR_HDR, last) ==
				  fsread_le32(buf + 12);
	scrub_xattrs(&l, buf + XATTR_HDR, buf + bs, buf, buf + bs);
	if (!l.changed)
		return;
	if (last && hash_ok)
		put_le32(buf + 12, block_hash(buf + XATTR_HDR, last));
	if (csum_ok) {
		ext2fs_ext_attr_block_csum_set(
			fs, 0, blk, (struct ext2_ext_attr_header *)buf);
		s->rep.csums++;
	}
}

void scrub_symlink_block(struct fsread_scrub *s, uint32_t ino,
			 uint64_t size, uint8_t *buf)
{
	unsigned bs = s->r->fs->blocksize;

	scramble_path(ino, buf, size < bs ? (size_t)size : bs);
	s->rep.symlinks++;
}
