// SPDX-License-Identifier: MIT
/*
 * fsread_scrub_inode.c --- inodes and xattrs.  Default deny: of each
 * inode only its fields, its block map (extent root entries, or block
 * numbers), fast or inline symlink targets (replaced up to the first
 * NUL, as e2fsck measures them), inline directory entries (names
 * replaced) and its xattr table survive; unused inodes lose i_block.
 * Of xattrs, in inodes and blocks alike, names are replaced in every
 * namespace but ACLs, known security labels, system.data and the
 * encryption context, values are zeroed but those, and every byte that
 * is neither an entry nor a kept value is zeroed.  Inline file data is
 * zeroed unless all data is kept.
 *
 * Inode, xattr-entry, xattr-block hash and block checksums that verified
 * before are computed again; those that did not stay as they were, so
 * e2fsck reports the same damage.  Fields are read little-endian, by
 * offset.
 */
#include <string.h>

#include "fsread_scrub_int.h"

enum {
	I_MODE = 0x00,
	I_SIZE_LO = 0x04,
	I_DTIME = 0x14,
	I_LINKS = 0x1a,
	I_FLAGS = 0x20,
	I_BLOCK = 0x28,
	I_BLOCK_LEN = 60,
	I_SIZE_HIGH = 0x6c,
	I_EXTRA_ISIZE = 0x80,
	GOOD_OLD_INODE = 128,
	EXTRA_KNOWN = 32,   /* i_extra_isize .. i_projid */
	EXTRA_CSUM_END = 4, /* i_extra_isize and i_checksum_hi */
};
#define XATTR_MAGIC 0xea020000U
#define XATTR_HDR 32U /* of an xattr block */
#define XATTR_ENTRY 16U
#define XATTR_USER 1
#define XATTR_ACL_ACCESS 2
#define XATTR_ACL_DEFAULT 3
#define XATTR_SECURITY 6
#define XATTR_SYSTEM 7
#define XATTR_RICHACL 8
#define XATTR_ENCRYPTION 9
#define MAX_XATTRS 128 /* names kept for uniqueness, per list */

enum inline_kind { INLINE_NONE, INLINE_FILE, INLINE_DIR, INLINE_SYMLINK };

/* Every byte before the first NUL but '/' replaced, every byte after it
 * zeroed: the path's shape and length as e2fsck measures it (up to its
 * first NUL) stay, its names go. */
static void scramble_path(uint32_t ino, uint8_t *p, size_t len)
{
	uint64_t counter = 0;
	size_t end = strnlen((const char *)p, len);
	uint8_t c;

	for (size_t i = 0; i < end; i++) {
		if (p[i] == '/')
			continue;
		fsread_scrub_gen_chars(ino ^ 0x5bd1e995U, &counter, &c, 1,
				       false);
		p[i] = c;
	}
	memset(p + end, 0, len - end);
}

/* An encrypted target: its length (2 bytes) and ciphertext stay. */
static void keep_ciphertext(uint8_t *p, size_t len)
{
	size_t used = len >= 2 ? 2 + (size_t)fsread_le16(p) : 0;

	if (used < len)
		memset(p + used, 0, len - used);
}

/* Is the inode's encryption flag one e2fsck and the kernel honour? */
static bool is_encrypted(const struct fsread_scrub *s, uint32_t flags)
{
	return (flags & EXT4_ENCRYPT_FL) &&
	       ext2fs_has_feature_encrypt(s->r->fs->super);
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
		fsread_scrub_gen_chars(l->ino ^ 0x27d4eb2fU, &l->counter, name,
				       len, t >= 512);
		if (!name_taken(l, idx, name, len))
			break;
	}
	if (l->n < MAX_XATTRS) {
		memcpy(l->names[l->n], name, len);
		l->name_idx[l->n] = (uint8_t)idx;
		l->name_len[l->n++] = (uint8_t)len;
	}
}

static uint32_t entry_hash(ext2_filsys fs, uint8_t *e, uint8_t *value, bool *ok)
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
static bool hash_holds(ext2_filsys fs, uint8_t *e, uint8_t *value, uint32_t old)
{
	__u32 h = 0, signed_h = 0;

	if (!old ||
	    ext2fs_ext_attr_hash_entry3(fs, (struct ext2_ext_attr_entry *)e,
					value, &h, &signed_h))
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
		struct dir_state *d = fsread_scrub_dir_state(s, l->ino);

		if (!d)
			return false;
		fsread_scrub_dirents(s, d, v, len);
		return len != 0;
	}
	default:
		/* File data, or a system.data the inode does not use. */
		if (s->keep_data)
			return false;
		memset(v, 0, len);
		return len != 0;
	}
}

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

enum xattr_policy { XA_SCRUB, XA_KEEP, XA_INLINE };

static bool name_is(const uint8_t *name, unsigned len, const char *want)
{
	return strlen(want) == len && !memcmp(name, want, len);
}

/* Security labels: policy words, not a user's text (README says so). */
static bool is_security_label(const uint8_t *name, unsigned len)
{
	static const char *const labels[] = {
		"selinux",	    "SMACK64",	   "SMACK64EXEC",
		"SMACK64TRANSMUTE", "SMACK64MMAP", "SMACK64IPIN",
		"SMACK64IPOUT",	    "apparmor",	   "capability",
	};

	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (name_is(name, len, labels[i]))
			return true;
	return false;
}

/* What of an xattr stays: ACLs (ids and permissions), security labels,
 * the encryption context, inline data (scrubbed as what it is); every
 * other name in every namespace is replaced and its value zeroed. */
static enum xattr_policy policy_of(unsigned idx, const uint8_t *name,
				   unsigned len)
{
	switch (idx) {
	case XATTR_ACL_ACCESS:
	case XATTR_ACL_DEFAULT:
	case XATTR_RICHACL:
		return len ? XA_SCRUB : XA_KEEP;
	case XATTR_SECURITY:
		return is_security_label(name, len) ? XA_KEEP : XA_SCRUB;
	case XATTR_SYSTEM:
		return name_is(name, len, "data") ? XA_INLINE : XA_SCRUB;
	case XATTR_ENCRYPTION:
		return name_is(name, len, "c") ? XA_KEEP : XA_SCRUB;
	default:
		return XA_SCRUB;
	}
}

/* Mark [@p, @p+@len) of the region at @first as structure to keep. */
static void mark(uint8_t *mask, const uint8_t *first, const uint8_t *end,
		 const uint8_t *p, size_t len)
{
	if (p < first) {
		if ((size_t)(first - p) >= len)
			return;
		len -= (size_t)(first - p);
		p = first;
	}
	if (p >= end)
		return;
	if (len > (size_t)(end - p))
		len = (size_t)(end - p);
	memset(mask + (p - first), 1, len);
}

/*
 * Could @e be an xattr entry?  e2fsck stops at a namespace index of 0 (a
 * bad name), and so does the table here: what follows is no structure.
 */
static bool plausible_entry(const uint8_t *e, size_t room)
{
	return room >= XATTR_ENTRY && e[1] != 0;
}

/* Mostly text (names, paths, a file's words)?  Of the bytes that are
 * not zero, three in four printable. */
static bool looks_like_text(const uint8_t *p, size_t len)
{
	size_t nonzero = 0, printable = 0;

	for (size_t i = 0; i < len; i++) {
		nonzero += p[i] != 0;
		printable += (p[i] >= 0x20 && p[i] < 0x7f) || p[i] == '\n' ||
			     p[i] == '\t';
	}
	return nonzero && printable * 4 >= nonzero * 3;
}

/*
 * The entry table from @first to @end (at most), values at @vbase +
 * offset up to @vend: names and values scrubbed by policy, then every
 * byte of [@first, @end) that is neither an entry nor a kept value
 * zeroed.
 */
static void scrub_xattrs(struct xattr_list *l, uint8_t *first, uint8_t *end,
			 uint8_t *vbase, uint8_t *vend)
{
	ext2_filsys fs = l->s->r->fs;
	uint8_t *e = first, *table_end = list_end(first, end);
	uint8_t *mask = l->s->mask;

	memset(mask, 0, (size_t)(end - first));
	while (e + 4 <= end && fsread_le32(e) &&
	       plausible_entry(e, (size_t)(end - e))) {
		unsigned name_len = e[0], idx = e[1];
		size_t voff = fsread_le16(e + 2);
		uint32_t vsize = fsread_le32(e + 8), old = fsread_le32(e + 12);
		size_t esize = (XATTR_ENTRY + name_len + 3) & ~3U;
		size_t vpad = ((size_t)vsize + 3) & ~(size_t)3;
		uint8_t *value = NULL;
		bool touched = false, old_ok, hash_ok;
		enum xattr_policy pol;

		if (e + XATTR_ENTRY > end || esize > (size_t)(end - e))
			break;
		mark(mask, first, end, e, esize);
		/* Hashing reads the value in 4-byte words: all must fit. */
		if (!fsread_le32(e + 4) && vsize &&
		    voff <= (size_t)(vend - vbase) &&
		    vpad <= (size_t)(vend - vbase) - voff)
			value = vbase + voff;
		old_ok = (value || !vsize || fsread_le32(e + 4)) &&
			 hash_holds(fs, e, value, old);
		pol = policy_of(idx, e + XATTR_ENTRY, name_len);
		if (pol == XA_SCRUB) {
			new_xattr_name(l, idx, e + XATTR_ENTRY, name_len);
			if (value)
				zero_value(value, vpad,
					   table_end ? table_end + 4 : end);
			l->s->rep.xattrs++;
			touched = true;
		} else if (pol == XA_INLINE && value) {
			/* Past the entry table only (see zero_value). */
			uint8_t *from = table_end ? table_end + 4 : end;
			size_t skip = value < from ? (size_t)(from - value) : 0;

			if (skip < vsize)
				touched = scrub_inline_value(l, value + skip,
							     vsize - skip);
			if (skip < vpad && vpad > vsize)
				zero_value(value + vsize, vpad - vsize, from);
			mark(mask, first, end, value, vpad);
		} else if (value) {
			mark(mask, first, end, value, vpad);
		}
		if (touched && old_ok) {
			fsread_put_le32(e + 12,
					entry_hash(fs, e, value, &hash_ok));
			l->s->rep.csums++;
		}
		l->changed |= touched;
		e += esize;
	}
	/* The list's 4-byte end, where it was found. */
	if (e + 4 <= end && !fsread_le32(e))
		mark(mask, first, end, e, 4);
	for (size_t i = 0; i < (size_t)(end - first); i++) {
		if (!mask[i] && first[i]) {
			first[i] = 0;
			l->changed = true;
		}
	}
}

static bool scrub_fast_symlink(struct fsread_scrub *s, uint32_t ino, uint8_t *p,
			       bool encrypted)
{
	if (encrypted)
		keep_ciphertext(p + I_BLOCK, I_BLOCK_LEN);
	else
		scramble_path(ino, p + I_BLOCK, I_BLOCK_LEN);
	s->rep.symlinks++;
	return true;
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

/* An inode's i_block; true if it changed. */
static bool scrub_i_block(struct fsread_scrub *s, uint32_t ino, uint8_t *p,
			  struct xattr_list *l)
{
	ext2_filsys fs = s->r->fs;
	uint16_t mode = fsread_le16(p + I_MODE);
	uint32_t flags = fsread_le32(p + I_FLAGS);
	bool encrypted = is_encrypted(s, flags);
	bool inl = flags & EXT4_INLINE_DATA_FL;
	uint8_t *ib = p + I_BLOCK, before[I_BLOCK_LEN];

	memcpy(before, ib, I_BLOCK_LEN);
	if (LINUX_S_ISLNK(mode) &&
	    (inl || ext2fs_is_fast_symlink((struct ext2_inode *)p))) {
		l->inl = INLINE_SYMLINK;
		scrub_fast_symlink(s, ino, p, encrypted);
	} else if (inl && !encrypted &&
		   (LINUX_S_ISDIR(mode) ||
		    looks_like_inline_dir(fs, mode, ib))) {
		struct dir_state *d = fsread_scrub_dir_state(s, ino);

		l->inl = INLINE_DIR;
		if (d) {
			/* The parent's inode number, then entries. */
			fsread_scrub_dirents(s, d, ib + 4, I_BLOCK_LEN - 4);
			s->rep.inline_dirs++;
		}
	} else if (inl && encrypted) {
		l->inl = INLINE_DIR; /* ciphertext: only its system.data */
	} else if (inl) {
		l->inl = INLINE_FILE;
		/* Inline flag and an extent root (damage): e2fsck reports
		 * which of the two it sees; the root's structure stays. */
		if (fsread_le16(ib) == FSREAD_EXT_MAGIC) {
			fsread_scrub_extent_node(ib, I_BLOCK_LEN, 0);
		} else if (!s->keep_data) {
			/* With the extents flag too, e2fsck asks whether
			 * i_block could be a block map: all-ones says no
			 * as the original did, zeros yes. */
			bool no_map = (flags & EXT4_EXTENTS_FL) &&
				      !could_be_block_map(fs, ib);

			memset(ib, no_map ? 0xff : 0, I_BLOCK_LEN);
			s->rep.inline_files++;
		}
	} else if (flags & EXT4_EXTENTS_FL) {
		fsread_scrub_extent_node(ib, I_BLOCK_LEN, 0);
	} else {
		bool special = LINUX_S_ISCHR(mode) || LINUX_S_ISBLK(mode) ||
			       LINUX_S_ISFIFO(mode) || LINUX_S_ISSOCK(mode);

		/* A device's first four words are its numbers. */
		unsigned from = special ? 16 : 0;

		fsread_scrub_block_numbers(s, ib + from, I_BLOCK_LEN - from,
					   ext2fs_blocks_count(fs->super));
	}
	return memcmp(before, ib, I_BLOCK_LEN) != 0;
}

/* After i_block: the fields i_extra_isize covers, then the xattrs. */
static void scrub_extra(uint8_t *p, unsigned isz, struct xattr_list *l)
{
	size_t extra = fsread_le16(p + I_EXTRA_ISIZE),
	       room = isz - GOOD_OLD_INODE;
	size_t known = extra < EXTRA_KNOWN ? extra : EXTRA_KNOWN;
	uint8_t *hdr = p + GOOD_OLD_INODE + extra;

	/* A size e2fsck rejects: it reads nothing past it. */
	if (extra && (extra < EXTRA_CSUM_END || extra > room || extra & 3)) {
		for (size_t i = GOOD_OLD_INODE + EXTRA_CSUM_END; i < isz; i++)
			if (p[i]) {
				p[i] = 0;
				l->changed = true;
			}
		return;
	}
	for (size_t i = GOOD_OLD_INODE + known; i < GOOD_OLD_INODE + extra; i++)
		if (p[i]) {
			p[i] = 0;
			l->changed = true;
		}
	if (GOOD_OLD_INODE + extra + 4 > isz)
		return;
	if (fsread_le32(hdr) == XATTR_MAGIC) {
		scrub_xattrs(l, hdr + 4, p + isz, hdr + 4, p + isz);
		return;
	}
	for (uint8_t *q = hdr; q < p + isz; q++)
		if (*q) {
			*q = 0;
			l->changed = true;
		}
}

static bool all_zero(const uint8_t *p, size_t len)
{
	/* Each byte equals the next, and the first is zero. */
	return !p[0] && !memcmp(p, p + 1, len - 1);
}

static void scrub_inode(struct fsread_scrub *s, uint32_t ino, uint8_t *p,
			unsigned isz)
{
	ext2_filsys fs = s->r->fs;
	uint8_t *orig = s->inode_copy;
	struct xattr_list l;

	/* Never used: nothing in it. */
	if (!fsread_le16(p + I_MODE) && all_zero(p, isz))
		return;

	/* Only the head: the name table (32 KiB) is filled as it is used. */
	xattr_list_init(&l, s, ino);
	memcpy(orig, p, isz);
	/* Not in use: e2fsck reads nothing of its block map, only whether
	 * an extent header is sane (half a block of insane inodes make the
	 * whole block garbage): that header stays, the rest goes. */
	/* (Not in a block that is something else too, an extent node a
	 * damaged file put there: e2fsck reads those bytes as that.) */
	if (ino >= EXT2_FIRST_INO(fs->super) && !fsread_le16(p + I_LINKS) &&
	    !fsread_is_orphan(s->r, ino) && !s->shared &&
	    !(LINUX_S_ISDIR(fsread_le16(p + I_MODE)) &&
	      !fsread_le32(p + I_DTIME))) {
		uint8_t before[I_BLOCK_LEN];
		bool changed;

		memcpy(before, p + I_BLOCK, I_BLOCK_LEN);
		if (fsread_le32(p + I_FLAGS) & EXT4_EXTENTS_FL)
			fsread_scrub_extent_node(p + I_BLOCK, I_BLOCK_LEN, 0);
		else
			memset(p + I_BLOCK, 0, I_BLOCK_LEN);
		changed = memcmp(before, p + I_BLOCK, I_BLOCK_LEN) != 0;
		s->rep.unused_inodes += changed;
		l.changed |= changed;
	} else if (fsread_le16(p + I_LINKS) || !s->shared) {
		l.changed |= scrub_i_block(s, ino, p, &l);
	}
	if (isz > GOOD_OLD_INODE + EXTRA_CSUM_END)
		scrub_extra(p, isz, &l);
	/* The checksum, computed again where it held: asked only of the
	 * inodes that changed (most do not; crc32c is the cost). */
	if (memcmp(orig, p, isz) &&
	    ext2fs_has_feature_metadata_csum(fs->super) &&
	    ext2fs_inode_csum_verify(fs, ino,
				     (struct ext2_inode_large *)orig)) {
		ext2fs_inode_csum_set(fs, ino, (struct ext2_inode_large *)p);
		s->rep.csums++;
	}
}

void fsread_scrub_itable_block(struct fsread_scrub *s, uint32_t group,
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

void fsread_scrub_ea_block(struct fsread_scrub *s, uint64_t blk, uint8_t *buf)
{
	ext2_filsys fs = s->r->fs;
	unsigned bs = fs->blocksize;
	struct xattr_list l;
	uint8_t *last;
	bool csum_ok, hash_ok;

	xattr_list_init(&l, s, (uint32_t)blk);
	/* A damaged magic: the header's words stay as numbers (e2fsck
	 * reports them), entries as far as they look like entries, unless
	 * the block is text (a file's, a directory's): then nothing of it
	 * is structure. */
	if (fsread_le32(buf) != XATTR_MAGIC) {
		if (s->shared)
			return; /* the block's other roles say what it is */
		for (unsigned i = 0; i < 12; i += 4)
			if (fsread_scrub_could_be_text(buf + i))
				fsread_put_le32(buf + i, 0xffffffffU);
		memset(buf + 12, 0, XATTR_HDR - 12);
		if (looks_like_text(buf + XATTR_HDR, bs - XATTR_HDR))
			memset(buf + XATTR_HDR, 0, bs - XATTR_HDR);
		else
			scrub_xattrs(&l, buf + XATTR_HDR, buf + bs, buf,
				     buf + bs);
		return;
	}
	csum_ok = ext2fs_has_feature_metadata_csum(fs->super) &&
		  ext2fs_ext_attr_block_csum_verify(
			  fs, 0, blk, (struct ext2_ext_attr_header *)buf);
	/* Names keep their lengths: the list ends where it ended. */
	last = list_end(buf + XATTR_HDR, buf + bs);
	hash_ok = last &&
		  block_hash(buf + XATTR_HDR, last) == fsread_le32(buf + 12);
	/* h_reserved */
	for (unsigned i = 20; i < XATTR_HDR; i++)
		if (buf[i]) {
			buf[i] = 0;
			l.changed = true;
		}
	scrub_xattrs(&l, buf + XATTR_HDR, buf + bs, buf, buf + bs);
	if (!l.changed)
		return;
	if (last && hash_ok)
		fsread_put_le32(buf + 12, block_hash(buf + XATTR_HDR, last));
	if (csum_ok) {
		ext2fs_ext_attr_block_csum_set(
			fs, 0, blk, (struct ext2_ext_attr_header *)buf);
		s->rep.csums++;
	}
}

void fsread_scrub_symlink_block(struct fsread_scrub *s, uint32_t ino,
				uint64_t size, uint8_t *buf)
{
	unsigned bs = s->r->fs->blocksize;
	struct ext2_inode inode;

	(void)size;
	/* e2fsck measures the target up to its first NUL, whatever i_size
	 * says: that much is replaced, the rest zeroed. */
	if (!ext2fs_read_inode(s->r->fs, ino, &inode) &&
	    is_encrypted(s, inode.i_flags))
		keep_ciphertext(buf, bs);
	else
		scramble_path(ino, buf, bs);
	s->rep.symlinks++;
}
