// SPDX-License-Identifier: MIT
/*
 * Unit tests of fsread on filesystems made by mke2fs at test time.  The
 * expected block numbers come from libext2fs itself (ext2fs_bmap2, the
 * extent API), not from fsread.  Damage is made by hand: a broken extent
 * node, a group descriptor pointing outside, a zeroed superblock.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <ext2fs/ext2fs.h>

#include "fsread.h"
#include "fsread_err.h"

struct fixture {
	char dir[64];
	char img[96];
	unsigned warnings_for_ino[64];
	unsigned warnings;
};

static void on_warn(void *ctx, uint32_t ino, errcode_t err, const char *msg)
{
	struct fixture *f = ctx;

	(void)err;
	(void)msg;
	f->warnings++;
	if (ino < 64)
		f->warnings_for_ino[ino]++;
}

static void write_file(const char *path, unsigned pieces, unsigned stride)
{
	uint8_t buf[1024];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	memset(buf, 0x5a, sizeof(buf));
	for (unsigned i = 0; i < pieces; i++)
		assert_int_equal(pwrite(fd, buf, sizeof(buf),
					(off_t)(i * stride * sizeof(buf))),
				 sizeof(buf));
	close(fd);
}

/* A 1k-block ext4 with a plain file (ino 12) and a fragmented one (13). */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char cmd[512], path[160];

	if (!f || system("command -v mke2fs >/dev/null 2>&1"))
		return -1;
	strcpy(f->dir, "/tmp/e2qcow-unit.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->img, sizeof(f->img), "%s/fs.img", f->dir);
	snprintf(path, sizeof(path), "%s/tree", f->dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/tree/a-plain", f->dir);
	write_file(path, 100, 1);
	snprintf(path, sizeof(path), "%s/tree/b-fragmented", f->dir);
	write_file(path, 400, 2);
	snprintf(cmd, sizeof(cmd),
		 "MKE2FS_CONFIG=%s E2FSPROGS_FAKE_TIME=1700000000 "
		 "mke2fs -q -F -t ext4 -b 1024 -d %s/tree %s 64M",
		 E2QCOW_TEST_MKE2FS_CONF, f->dir, f->img);
	if (system(cmd))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd))
		return -1;
	free(f);
	return 0;
}

static ext2_filsys open_ext2fs(const char *img, int flags)
{
	ext2_filsys fs;

	assert_int_equal(ext2fs_open(img, EXT2_FLAG_64BITS | flags, 0, 0,
				     unix_io_manager, &fs),
			 0);
	return fs;
}

static blk64_t file_block(const char *img, ext2_ino_t ino, blk64_t lblk)
{
	ext2_filsys fs = open_ext2fs(img, 0);
	blk64_t pblk = 0;

	assert_int_equal(
		ext2fs_bmap2(fs, ino, NULL, NULL, 0, lblk, NULL, &pblk), 0);
	ext2fs_close_free(&fs);
	return pblk;
}

static void map(struct fixture *f, unsigned flags, struct extmap *m,
		struct fsread_stats *st)
{
	struct fsread_opts o = { .warn = on_warn, .cb_ctx = f };
	struct fsread *r;

	memset(f->warnings_for_ino, 0, sizeof(f->warnings_for_ino));
	f->warnings = 0;
	assert_int_equal(fsread_open(f->img, &o, &r), 0);
	extmap_init(m);
	assert_int_equal(fsread_map(r, flags, m, st), 0);
	fsread_close(r);
}

static void test_metadata_and_data(void **state)
{
	struct fixture *f = *state;
	blk64_t root = file_block(f->img, EXT2_ROOT_INO, 0);
	blk64_t data = file_block(f->img, 12, 0);
	struct fsread_stats st;
	struct extmap m;

	map(f, 0, &m, &st);
	assert_int_equal(st.warnings, 0);
	assert_true(extmap_contains(&m, 1));	/* primary superblock */
	assert_true(extmap_contains(&m, 2));	/* descriptors */
	assert_true(extmap_contains(&m, 8193)); /* backup superblock */
	assert_true(extmap_contains(&m, root));
	assert_false(extmap_contains(&m, data)); /* no file data */
	assert_int_equal(st.data_blocks, 0);
	extmap_free(&m);

	map(f, FSREAD_MAP_ALL_DATA, &m, &st);
	assert_true(extmap_contains(&m, data));
	assert_true(extmap_contains(&m, file_block(f->img, 12, 99)));
	assert_true(extmap_contains(&m, file_block(f->img, 13, 798)));
	assert_true(st.data_blocks >= 500);
	extmap_free(&m);
}

/* The first leaf node of inode 13's extent tree, as libext2fs finds it. */
static blk64_t first_leaf_node(const char *img)
{
	ext2_filsys fs = open_ext2fs(img, 0);
	struct ext2fs_extent e;
	ext2_extent_handle_t h;
	blk64_t blk;

	assert_int_equal(ext2fs_extent_open(fs, 13, &h), 0);
	assert_int_equal(ext2fs_extent_get(h, EXT2_EXTENT_ROOT, &e), 0);
	assert_false(e.e_flags & EXT2_EXTENT_FLAGS_LEAF); /* depth >= 1 */
	do {
		blk = e.e_pblk;
		assert_int_equal(ext2fs_extent_get(h, EXT2_EXTENT_DOWN, &e), 0);
	} while (!(e.e_flags & EXT2_EXTENT_FLAGS_LEAF));
	ext2fs_extent_free(h);
	ext2fs_close_free(&fs);
	return blk;
}

static void poke(const char *img, uint64_t off, const void *buf, size_t len)
{
	int fd = open(img, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static void test_broken_extent_node_costs_only_its_subtree(void **state)
{
	struct fixture *f = *state;
	blk64_t node = first_leaf_node(f->img);
	blk64_t root = file_block(f->img, EXT2_ROOT_INO, 0);
	blk64_t plain = file_block(f->img, 12, 50);
	blk64_t later = file_block(f->img, 13, 798);
	struct fsread_stats st;
	struct extmap m;

	poke(f->img, node * 1024, "\0\0", 2); /* the node's magic */
	map(f, FSREAD_MAP_ALL_DATA, &m, &st);
	assert_true(f->warnings_for_ino[13] >= 1);
	assert_int_equal(f->warnings_for_ino[12], 0);
	assert_int_equal(st.inodes_with_errors, 1);
	assert_true(extmap_contains(&m, node)); /* the node itself is kept */
	assert_true(extmap_contains(&m, root));
	assert_true(extmap_contains(&m, plain));
	/* Leaves after the broken one are still found. */
	assert_true(extmap_contains(&m, later));
	extmap_free(&m);
}

static void test_group_outside_filesystem(void **state)
{
	struct fixture *f = *state;
	ext2_filsys fs = open_ext2fs(f->img, EXT2_FLAG_RW);
	struct fsread_stats st;
	struct extmap m;

	ext2fs_block_bitmap_loc_set(fs, 3, 1ULL << 40);
	ext2fs_inode_table_loc_set(fs, 5, ext2fs_blocks_count(fs->super) - 2);
	ext2fs_group_desc_csum_set(fs, 3);
	ext2fs_group_desc_csum_set(fs, 5);
	ext2fs_mark_super_dirty(fs);
	fs->flags &= ~EXT2_FLAG_MASTER_SB_ONLY;
	/* Close writes descriptors without checking them. */
	assert_int_equal(ext2fs_close_free(&fs), 0);
	map(f, 0, &m, &st);
	assert_true(st.warnings >= 2);
	assert_true(extmap_contains(&m, file_block(f->img, EXT2_ROOT_INO, 0)));
	extmap_free(&m);
}

static void test_backup_superblock_fallback(void **state)
{
	struct fixture *f = *state;
	struct fsread_opts o = { .warn = on_warn, .cb_ctx = f };
	struct fsread_info info;
	uint8_t zero[1024] = { 0 };
	struct fsread *r;

	poke(f->img, 1024, zero, sizeof(zero));
	assert_int_equal(fsread_open(f->img, &o, &r), 0);
	fsread_get_info(r, &info);
	assert_int_equal(info.superblock, 8193);
	assert_int_not_equal(info.primary_err, 0);
	assert_int_equal(info.block_size, 1024);
	fsread_close(r);
}

/*
 * fsread_hole() on a copy of the image with a hole punched in file
 * data: the hole is told, the data around it is not, and past the end
 * of a truncated file nothing is (so the read fails there as before).
 */
static void test_holes_in_the_source(void **state)
{
	struct fixture *f = *state;
	struct fsread_opts o = { 0 };
	blk64_t at = (file_block(f->img, 12, 0) + 7) / 4 * 4 + 4;
	struct fsread *r;
	char path[128], cmd[320];
	uint64_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/holed.img", f->dir);
	snprintf(cmd, sizeof(cmd), "cp --sparse=never %s %s", f->img, path);
	assert_int_equal(system(cmd), 0);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)at * 1024, 8 * 1024)) {
		close(fd);
		skip(); /* a filesystem without holes */
	}
	/* A short read where nothing is known yet is not looked up. */
	assert_int_equal(fsread_open(path, &o, &r), 0);
	assert_false(fsread_hole(r, at, 8, &n));
	assert_int_equal(n, 8);
	assert_true(fsread_hole(r, at, 64, &n));
	assert_int_equal(n, 8);
	assert_true(fsread_hole(r, at + 2, 100, &n));
	assert_int_equal(n, 6);
	assert_false(fsread_hole(r, at + 8, 4, &n));
	assert_int_equal(n, 4);
	fsread_close(r);
	/* Data first: a hole inside its window may be read as data; never
	 * data taken for a hole. */
	assert_int_equal(fsread_open(path, &o, &r), 0);
	assert_false(fsread_hole(r, at - 4, 64, &n));
	assert_true(n >= 4 && n <= 64);
	fsread_close(r);
	/* Cut short: the missing end is no hole, reading it must fail. */
	assert_int_equal(ftruncate(fd, (off_t)(at + 8) * 1024), 0);
	close(fd);
	assert_int_equal(fsread_open(path, &o, &r), 0);
	assert_true(fsread_hole(r, at, 64, &n));
	assert_int_equal(n, 8);
	assert_false(fsread_hole(r, at + 8, 16, &n));
	assert_int_equal(n, 16);
	fsread_close(r);
	unlink(path);
}

static void test_not_a_filesystem(void **state)
{
	struct fixture *f = *state;
	struct fsread_opts o = { 0 };
	char path[128];
	uint8_t junk[4096];
	struct fsread *r = NULL;
	int fd;

	snprintf(path, sizeof(path), "%s/junk", f->dir);
	memset(junk, 0x6b, sizeof(junk));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	for (int i = 0; i < 256; i++)
		assert_int_equal(write(fd, junk, sizeof(junk)), sizeof(junk));
	close(fd);
	assert_int_not_equal(fsread_open(path, &o, &r), 0);
	assert_null(r);
	snprintf(path, sizeof(path), "%s/missing", f->dir);
	assert_int_equal(fsread_open(path, &o, &r), ENOENT);
}

int main(void)
{
	/* Order matters: the damaging tests run last, each on the image the
	 * one before left. */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metadata_and_data),
		cmocka_unit_test(test_holes_in_the_source),
		cmocka_unit_test(
			test_broken_extent_node_costs_only_its_subtree),
		cmocka_unit_test(test_group_outside_filesystem),
		cmocka_unit_test(test_backup_superblock_fallback),
		cmocka_unit_test(test_not_a_filesystem),
	};

	initialize_ext2_error_table();
	initialize_e2qf_error_table();
	return cmocka_run_group_tests(tests, setup, teardown);
}
