// SPDX-License-Identifier: MIT
/*
 * fsread.c --- opening the filesystem (with backup-superblock fallback),
 * reading blocks, warnings and the top of the block-map walk.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "fsread_err.h"
#include "fsread_int.h"

/* External journal devices open too: see fsread_map(). */
#define OPEN_FLAGS                                         \
	(EXT2_FLAG_64BITS | EXT2_FLAG_IGNORE_CSUM_ERRORS | \
	 EXT2_FLAG_JOURNAL_DEV_OK)

void fsread_warn(struct fsread *r, uint32_t ino, errcode_t err, const char *fmt,
		 ...)
{
	char msg[256];
	va_list ap;

	if (r->stats)
		r->stats->warnings++;
	if (ino && ino == r->cur_ino) {
		if (r->cur_ino_warnings++ == 0 && r->stats)
			r->stats->inodes_with_errors++;
		if (r->cur_ino_warnings > FSREAD_WARN_PER_INODE)
			return;
	}
	if (!r->opts.warn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->opts.warn(r->opts.cb_ctx, ino, err, msg);
}

/*
 * Inside the device the filesystem claims, from block 0: libext2fs and
 * e2fsck read what descriptors and inodes name below s_first_data_block
 * too (a damaged superblock may misstate it), so the capture takes it.
 */
bool fsread_range_ok(const struct fsread *r, uint64_t blk, uint64_t count)
{
	uint64_t end = ext2fs_blocks_count(r->fs->super);

	return blk < end && count <= end - blk;
}

void fsread_add(struct fsread *r, uint32_t ino, uint64_t blk, uint64_t count,
		bool data, const char *what)
{
	errcode_t err;

	if (!count || r->fatal)
		return;
	if (!fsread_range_ok(r, blk, count)) {
		fsread_warn(r, ino, FSREAD_ERR_BLOCK_OUT_OF_RANGE,
			    "%s: blocks %llu-%llu are outside the filesystem",
			    what, (unsigned long long)blk,
			    (unsigned long long)(blk + count - 1));
		return;
	}
	err = extmap_add(data ? r->data : r->meta, blk, count);
	if (err)
		r->fatal = err;
}

static bool is_errno(errcode_t err)
{
	return err > 0 && err < 4096;
}

static io_manager manager_of(const struct fsread_opts *o)
{
	return o->io_manager ? o->io_manager : unix_io_manager;
}

/* libext2fs' unix I/O manager takes the byte offset as "offset=N". */
static errcode_t try_open(const struct fsread_opts *o, const char *path,
			  int flags, uint64_t sb, unsigned bs, ext2_filsys *fs)
{
	char io_options[40];

	snprintf(io_options, sizeof(io_options), "offset=%llu",
		 (unsigned long long)o->offset);
	/* libext2fs takes the superblock's block as an int. */
	if (sb > INT_MAX)
		return EXT2_ET_BAD_MAGIC;
	return ext2fs_open2(path, o->offset ? io_options : NULL, flags, (int)sb,
			    bs, manager_of(o), fs);
}

/* -b without -B: the block size is not known, so try them all. */
static errcode_t open_at(const struct fsread_opts *o, const char *path,
			 int flags, uint64_t sb, unsigned bs, ext2_filsys *fs)
{
	errcode_t err = EXT2_ET_BAD_MAGIC;

	if (bs || !sb)
		return try_open(o, path, flags, sb, bs, fs);
	for (bs = EXT2_MIN_BLOCK_SIZE; bs <= EXT2_MAX_BLOCK_SIZE; bs *= 2) {
		err = try_open(o, path, flags, sb, bs, fs);
		if (!err)
			break;
	}
	return err;
}

/*
 * The first backup superblock, in group 1.  Where e2fsck could load the
 * primary despite its errors (@forced: that open), it looks where the
 * primary's own geometry says first (get_backup_sb); then, as without
 * it, where mke2fs puts group 1's backup for each block size.
 */
static errcode_t open_backup(const struct fsread_opts *o, const char *path,
			     int flags, ext2_filsys forced, ext2_filsys *fs,
			     uint64_t *sb_used)
{
	errcode_t err = EXT2_ET_BAD_MAGIC;

	if (forced) {
		uint64_t sb = (uint64_t)forced->super->s_blocks_per_group +
			      forced->super->s_first_data_block;

		if (!try_open(o, path, flags, sb, forced->blocksize, fs)) {
			*sb_used = sb;
			return 0;
		}
	}
	for (unsigned bs = EXT2_MIN_BLOCK_SIZE; bs <= EXT2_MAX_BLOCK_SIZE;
	     bs *= 2) {
		uint64_t sb = (uint64_t)bs * 8 + (bs == 1024);

		err = try_open(o, path, flags, sb, bs, fs);
		if (!err) {
			*sb_used = sb;
			return 0;
		}
	}
	return err;
}

bool fsread_sb_identify(const uint8_t *sb, struct fsread_sb_id *id)
{
	uint32_t log_bs = fsread_le32(sb + FSREAD_SB_LOG_BLOCK_SIZE);

	memset(id, 0, sizeof(*id));
	if (fsread_le16(sb + FSREAD_SB_MAGIC) != FSREAD_SB_MAGIC_VALUE)
		return false;
	memcpy(id->uuid, sb + FSREAD_SB_UUID, sizeof(id->uuid));
	id->block_size = log_bs <= 6 ? 1024U << log_bs : 0;
	id->blocks_count = fsread_le32(sb + FSREAD_SB_BLOCKS_COUNT);
	if (fsread_le32(sb + FSREAD_SB_FEATURE_INCOMPAT) &
	    FSREAD_INCOMPAT_64BIT)
		id->blocks_count |=
			(uint64_t)fsread_le32(sb + FSREAD_SB_BLOCKS_COUNT_HI)
			<< 32;
	return true;
}

static bool pow2_between(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v >= lo && v <= hi && !(v & (v - 1));
}

/* Descriptor table (bytes) a last-resort open may allocate at most. */
#define FORCED_OPEN_MAX_DESC (256ULL << 20)

/* The size of the descriptor table a superblock claims. */
static uint64_t desc_table_bytes(const uint8_t *sb)
{
	struct fsread_sb_id id;
	uint64_t first = fsread_le32(sb + FSREAD_SB_FIRST_DATA_BLOCK);
	uint64_t per = fsread_le32(sb + FSREAD_SB_BLOCKS_PER_GROUP);
	uint64_t dsz = 32, groups;

	fsread_sb_identify(sb, &id);
	if (fsread_le32(sb + FSREAD_SB_FEATURE_INCOMPAT) &
	    FSREAD_INCOMPAT_64BIT)
		dsz = fsread_le16(sb + FSREAD_SB_DESC_SIZE);
	if (!per || id.blocks_count <= first)
		return 0;
	groups = (id.blocks_count - first + per - 1) / per;
	return groups * dsz;
}

/* The primary superblock's bytes, read through the source's manager. */
static bool read_primary_sb(const struct fsread_opts *o, const char *path,
			    uint8_t *sb)
{
	char opt[40];
	io_channel ch;
	bool ok;

	if (manager_of(o)->open(path, 0, &ch))
		return false;
	snprintf(opt, sizeof(opt), "offset=%llu",
		 (unsigned long long)o->offset);
	ok = (!o->offset || !io_channel_set_options(ch, opt)) &&
	     !io_channel_set_blksize(ch, FSREAD_SB_OFFSET) &&
	     !io_channel_read_blk64(ch, 1, -FSREAD_SB_LEN, sb);
	io_channel_close(ch);
	return ok;
}

/*
 * Opening with EXT2_FLAG_IGNORE_SB_ERRORS skips libext2fs's own checks,
 * and some broken superblocks then make it divide by zero (e2fsck 1.47.0
 * dies that way on e2fsprogs' f_desc_size_zero).  Only go there when the
 * fields it divides by are sane.
 */
static bool forced_open_is_safe(const struct fsread_opts *o, const char *path)
{
	uint8_t sb[FSREAD_SB_LEN];
	uint32_t log_bs, bs, cluster_log, isize, bpg, cpg, ipg;
	bool ok = read_primary_sb(o, path, sb);

	if (!ok || fsread_le16(sb + FSREAD_SB_MAGIC) != FSREAD_SB_MAGIC_VALUE)
		return false;
	log_bs = fsread_le32(sb + FSREAD_SB_LOG_BLOCK_SIZE);
	cluster_log = fsread_le32(sb + FSREAD_SB_LOG_CLUSTER_SIZE);
	if (log_bs > 6 || cluster_log < log_bs || cluster_log > log_bs + 16)
		return false;
	bs = 1024U << log_bs;
	isize = fsread_le32(sb + FSREAD_SB_REV_LEVEL) > 0
			? fsread_le16(sb + FSREAD_SB_INODE_SIZE)
			: 128;
	if (!pow2_between(isize, 128, bs))
		return false;
	/* The bounds e2fsck puts on group geometry (one bitmap block a
	 * group, an inode table that fits the group): libext2fs computes
	 * its inode scan from them, in 32 bits, without looking. */
	bpg = fsread_le32(sb + FSREAD_SB_BLOCKS_PER_GROUP);
	cpg = fsread_le32(sb + FSREAD_SB_CLUSTERS_PER_GROUP);
	ipg = fsread_le32(sb + FSREAD_SB_INODES_PER_GROUP);
	if (bpg < 8 || cpg < 8 || cpg > 8 * bs || !ipg || ipg > 8 * bs ||
	    (uint64_t)ipg * isize / bs > bpg)
		return false;
	/* A descriptor size libext2fs divides the block size by: any in
	 * (0, block size] keeps that arithmetic sound (e2fsck loads a
	 * primary of desc_size 7 despite its errors). */
	if ((fsread_le32(sb + FSREAD_SB_FEATURE_INCOMPAT) &
	     FSREAD_INCOMPAT_64BIT) &&
	    (!fsread_le16(sb + FSREAD_SB_DESC_SIZE) ||
	     fsread_le16(sb + FSREAD_SB_DESC_SIZE) > bs))
		return false;
	/* Nor where the descriptor table it claims is too big to hold in
	 * memory (libext2fs allocates it whole): the checked open of a
	 * real filesystem that large does not come here. */
	return desc_table_bytes(sb) <= FORCED_OPEN_MAX_DESC;
}

/* Does the primary superblock claim metadata_csum and fail it? */
static bool primary_csum_fails(const struct fsread_opts *o, const char *path)
{
	uint8_t sb[FSREAD_SB_LEN];

	if (!read_primary_sb(o, path, sb) ||
	    fsread_le16(sb + FSREAD_SB_MAGIC) != FSREAD_SB_MAGIC_VALUE ||
	    !(fsread_le32(sb + FSREAD_SB_FEATURE_RO_COMPAT) &
	      FSREAD_RO_COMPAT_METADATA_CSUM))
		return false;
	return ext2fs_crc32c_le(~0U, sb, FSREAD_SB_CHECKSUM) !=
	       fsread_le32(sb + FSREAD_SB_CHECKSUM);
}

static errcode_t open_fs(struct fsread *r, const char *path)
{
	int flags = OPEN_FLAGS | (r->opts.force ? EXT2_FLAG_FORCE : 0);
	ext2_filsys forced = NULL;
	errcode_t err, backup_err;

	err = open_at(&r->opts, path, flags, r->opts.superblock,
		      r->opts.block_size, &r->fs);
	r->info.superblock = r->opts.superblock;
	/* We read past a primary checksum; e2fsck refuses it and probes. */
	if (!err && !r->opts.superblock)
		r->blind_probes =
			!ext2fs_superblock_csum_verify(r->fs, r->fs->super);
	if (!err || r->opts.superblock || is_errno(err))
		return err;
	/* Unknown features are the filesystem's, unless the superblock
	 * saying so fails its checksum: e2fsck, which checks that first,
	 * then falls back on a backup.  So do we. */
	if ((err == EXT2_ET_UNSUPP_FEATURE ||
	     err == EXT2_ET_RO_UNSUPP_FEATURE) &&
	    !primary_csum_fails(&r->opts, path))
		return err;
	r->blind_probes = true; /* e2fsck cannot open this primary either */
	/* The primary despite its errors (e2fsck's second try): it names
	 * its backup, and is the last resort if no backup opens. */
	if (!forced_open_is_safe(&r->opts, path) ||
	    try_open(&r->opts, path, flags | EXT2_FLAG_IGNORE_SB_ERRORS, 0, 0,
		     &forced))
		forced = NULL;
	backup_err = open_backup(&r->opts, path, flags, forced, &r->fs,
				 &r->info.superblock);
	if (!backup_err) {
		if (forced)
			ext2fs_free(forced);
		r->info.primary_err = err;
		return 0;
	}
	if (!forced)
		return err;
	r->fs = forced;
	r->info.primary_err = err;
	return 0;
}

static errcode_t check_mount(const char *path, const struct fsread_opts *o,
			     bool *mounted)
{
	int mount_flags = 0;
	errcode_t err = ext2fs_check_if_mounted(path, &mount_flags);

	/* Not knowing is no reason to refuse an image file. */
	if (err)
		return 0;
	*mounted = mount_flags & EXT2_MF_MOUNTED;
	if (*mounted && !(mount_flags & EXT2_MF_READONLY) && !o->force)
		return FSREAD_ERR_MOUNTED_RW;
	return 0;
}

static void fill_info(struct fsread *r)
{
	struct ext2_super_block *sb = r->fs->super;

	r->info.block_size = r->fs->blocksize;
	r->info.blocks_count = ext2fs_blocks_count(sb);
	r->info.group_count = r->fs->group_desc_count;
	r->info.inodes_count = sb->s_inodes_count;
	r->info.journal_dev = ext2fs_has_feature_journal_dev(sb);
	memcpy(r->info.uuid, sb->s_uuid, sizeof(r->info.uuid));
	memcpy(r->info.label, sb->s_volume_name, 16);
	r->info.label[16] = 0;
}

errcode_t fsread_open(const char *path, const struct fsread_opts *opts,
		      struct fsread **out)
{
	struct fsread *r;
	errcode_t err;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return ENOMEM;
	r->opts = *opts;
	extmap_init(&r->unreadable);
	r->path = strdup(path);
	if (!r->path) {
		free(r);
		return ENOMEM;
	}
	err = check_mount(path, opts, &r->info.mounted);
	if (!err)
		err = open_fs(r, path);
	if (err) {
		free(r->path);
		free(r);
		return err;
	}
	fill_info(r);
	r->node_buf =
		malloc((size_t)r->fs->blocksize * (FSREAD_EXT_MAX_DEPTH + 1));
	if (!r->node_buf) {
		fsread_close(r);
		return ENOMEM;
	}
	*out = r;
	return 0;
}

void fsread_close(struct fsread *r)
{
	if (!r)
		return;
	fsread_roles_free(&r->roles);
	fsread_holes_close(r);
	if (r->fs)
		ext2fs_close_free(&r->fs);
	free(r->node_buf);
	extmap_free(&r->unreadable);
	free(r->path);
	free(r);
}

const struct extmap *fsread_unreadable(struct fsread *r)
{
	extmap_normalize(&r->unreadable);
	return &r->unreadable;
}

void fsread_get_info(const struct fsread *r, struct fsread_info *info)
{
	*info = r->info;
}

errcode_t fsread_read(struct fsread *r, uint64_t blk, uint64_t count, void *buf,
		      struct fsread_stats *stats)
{
	unsigned bs = r->fs->blocksize;
	uint8_t *p = buf;
	errcode_t err;

	if (count > INT32_MAX / bs)
		return EINVAL;
	r->stats = stats;
	r->cur_ino = 0;
	err = io_channel_read_blk64(r->fs->io, blk, (int)count, buf);
	if (!err)
		return r->fatal;
	/* Find the bad blocks one by one; keep everything else. */
	for (uint64_t i = 0; i < count; i++, p += bs) {
		err = io_channel_read_blk64(r->fs->io, blk + i, 1, p);
		if (!err)
			continue;
		memset(p, 0, bs);
		if (stats)
			stats->read_errors++;
		if (extmap_add(&r->unreadable, blk + i, 1))
			return ENOMEM;
		fsread_warn(r, 0, err, "block %llu could not be read (%s)",
			    (unsigned long long)(blk + i), error_message(err));
	}
	return r->fatal;
}

/*
 * ext2fs_check_desc() marks every group's metadata in a block bitmap of
 * the default type, a bit array over the whole filesystem: 512 MB at
 * 16 TiB, 8 GB at 256 TiB, cleared page by page.  Past 64 MB of bits a
 * tree of runs holds the same in a few MB (flex_bg packs the metadata
 * in runs); below, the bit array is faster (it is marked and tested
 * block by block, every inode table block).
 */
#define CHECK_DESC_BITARRAY_MAX (64ULL << 20)

static errcode_t check_desc_bounded(ext2_filsys fs)
{
	__u16 saved = fs->default_bitmap_type;
	/* Tests ask both, and stop where the quick answer was wrong. */
	bool both = getenv("E2QCOW_CROSS_CHECK") != NULL;
	bool sure = fsread_desc_surely_ok(fs);
	errcode_t err;

	if (sure && !both)
		return 0;
	if (ext2fs_blocks_count(fs->super) / 8 > CHECK_DESC_BITARRAY_MAX)
		fs->default_bitmap_type = (__u16)EXT2FS_BMAP64_RBTREE;
	err = ext2fs_check_desc(fs);
	fs->default_bitmap_type = saved;
	if (sure && err) {
		fprintf(stderr,
			"e2qcow: internal error: the descriptors' quick check "
			"passed what ext2fs_check_desc refuses (%s)\n",
			error_message(err));
		abort();
	}
	return err;
}

/*
 * e2fsck, finding the primary group descriptors bad, starts over from
 * the backup superblock of group 1 and the descriptors after it, and
 * reads the bitmaps, inode tables and directories those point at.  Map
 * that view too (its problems are not reported twice), so that e2fsck
 * finds on the image what it found on the original.
 */
static errcode_t map_backup_view(struct fsread *r, unsigned flags,
				 struct extmap *map)
{
	struct ext2_super_block *sb = r->fs->super;
	struct fsread_opts o = r->opts;
	struct fsread_stats st;
	struct fsread *b;
	struct extmap m;
	errcode_t err;

	if (r->opts.superblock || r->info.primary_err ||
	    !check_desc_bounded(r->fs) ||
	    ext2fs_blocks_count(sb) <=
		    (uint64_t)sb->s_blocks_per_group + sb->s_first_data_block)
		return 0;
	o.superblock =
		(uint64_t)sb->s_blocks_per_group + sb->s_first_data_block;
	o.block_size = r->fs->blocksize;
	o.force = true; /* the mount state was checked on the first open */
	o.warn = NULL;
	o.tick = NULL;
	if (fsread_open(r->path, &o, &b))
		return 0; /* no usable backup: e2fsck would not get further */
	extmap_init(&m);
	err = fsread_map(b, flags, &m, &st);
	for (size_t i = 0; !err && i < m.n; i++)
		err = extmap_add(map, m.runs[i].start, m.runs[i].count);
	/* Its blocks keep their roles in its view. */
	if (!err && r->roles.on) {
		fsread_roles_merge(r, &b->roles);
		err = r->fatal;
	}
	extmap_free(&m);
	fsread_close(b);
	return err == FSREAD_ERR_CANCELLED ? 0 : err;
}

/*
 * Where e2fsck cannot open the primary superblock and cannot load it
 * despite its errors either, it looks for a backup blindly: 1 KiB at
 * block size * 8 (+1 with 1 KiB blocks) for each block size
 * (get_backup_sb).  Those reads are part of what it does with this
 * filesystem, so the blocks they fall in are captured (a scrubbed
 * capture zeroes them, having no role for them).
 */
static void map_blind_probes(struct fsread *r)
{
	uint64_t bs = r->fs->blocksize;

	if (!r->blind_probes)
		return;
	for (uint64_t p = EXT2_MIN_BLOCK_SIZE; p <= EXT2_MAX_BLOCK_SIZE;
	     p *= 2) {
		uint64_t off = (p * 8 + (p == 1024)) * p;

		if (off / bs < ext2fs_blocks_count(r->fs->super))
			fsread_add(r, 0, off / bs, 1, false,
				   "e2fsck's probe for a backup superblock");
	}
}

/*
 * Cold caches: the walk reads tables, then directories, then the copy
 * reads every mapped block, each in block order but one block or slot at
 * a time.  Telling the kernel about each phase's blocks first (one
 * WILLNEED per run, on a descriptor of our own) lets it read them with a
 * deep queue.  Only for a file or device libext2fs opens itself.
 */
static void prefetch_open(struct fsread *r)
{
	struct statfs sf;

	r->prefetch_fd =
		r->opts.io_manager ? -1 : open(r->path, O_RDONLY | O_CLOEXEC);
	/* A file in memory is never cold: a million WILLNEEDs there (1 PiB)
	 * cost a second and read nothing. */
	if (r->prefetch_fd >= 0 && !fstatfs(r->prefetch_fd, &sf) &&
	    ((unsigned long)sf.f_type == TMPFS_MAGIC ||
	     (unsigned long)sf.f_type == RAMFS_MAGIC)) {
		close(r->prefetch_fd);
		r->prefetch_fd = -1;
	}
}

static void prefetch_runs(struct fsread *r, const struct extmap *m)
{
	uint64_t bs = r->fs->blocksize;

	for (size_t i = 0; r->prefetch_fd >= 0 && i < m->n; i++)
		(void)posix_fadvise(
			r->prefetch_fd,
			(off_t)(r->opts.offset + m->runs[i].start * bs),
			(off_t)(m->runs[i].count * bs), POSIX_FADV_WILLNEED);
}

static void prefetch_close(struct fsread *r)
{
	if (r->prefetch_fd >= 0)
		close(r->prefetch_fd);
	r->prefetch_fd = -1;
}

errcode_t fsread_map(struct fsread *r, unsigned flags, struct extmap *map,
		     struct fsread_stats *stats)
{
	struct extmap data, dirs;

	fsread_roles_free(&r->roles);
	r->roles.on = flags & FSREAD_MAP_SCRUB;
	r->map_flags = flags;
	if (r->info.journal_dev) {
		/*
		 * An external journal has no groups or inodes: all of it is
		 * the log, metadata through and through.  (Zeros cost nothing
		 * in the image.)
		 */
		memset(stats, 0, sizeof(*stats));
		if (extmap_add(map, 0, ext2fs_blocks_count(r->fs->super)))
			return ENOMEM;
		stats->meta_blocks = extmap_total(map);
		/* Its own superblock, scrubbed as a filesystem's. */
		fsread_roles_note(r, SCRUB_SUPER,
				  SUPERBLOCK_OFFSET / r->fs->blocksize, 1, 0,
				  SUPERBLOCK_OFFSET % r->fs->blocksize);
		return r->fatal;
	}
	extmap_init(&data);
	extmap_init(&dirs);
	r->dirs = &dirs;
	memset(stats, 0, sizeof(*stats));
	r->meta = map;
	r->data = &data;
	r->stats = stats;
	r->fatal = 0;
	prefetch_open(r);
	fsread_map_groups(r);
	map_blind_probes(r);
	/* The inode scan reads the tables next: queue them all now. */
	prefetch_runs(r, map);
	if (!r->fatal)
		fsread_map_inodes(r, flags & FSREAD_MAP_ALL_DATA);
	if (!r->fatal) {
		extmap_normalize(&dirs);
		prefetch_runs(r, &dirs);
		fsread_map_named_inodes(r);
	}
	extmap_free(&dirs);
	r->dirs = NULL;
	extmap_normalize(map);
	/* And the copy reads every mapped block, in order. */
	prefetch_runs(r, map);
	prefetch_close(r);
	stats->meta_blocks = extmap_total(map);
	for (size_t i = 0; i < data.n && !r->fatal; i++) {
		errcode_t err =
			extmap_add(map, data.runs[i].start, data.runs[i].count);
		if (err)
			r->fatal = err;
	}
	extmap_free(&data);
	if (!r->fatal)
		r->fatal = map_backup_view(r, flags, map);
	if (!r->fatal)
		fsread_roles_finish(r);
	extmap_normalize(map);
	stats->data_blocks = extmap_total(map) - stats->meta_blocks;
	r->meta = r->data = NULL;
	r->stats = NULL;
	return r->fatal;
}
