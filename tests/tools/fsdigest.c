// SPDX-License-Identifier: MIT
/*
 * fsdigest.c --- test oracle: one line per in-use inode with its size
 * and a CRC of its content, read through libext2fs (not through e2qcow's
 * own walker), so that two filesystems can be compared file by file.
 *
 *   fsdigest IMAGE     "ino mode size crc" per inode with links
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <ext2fs/ext2fs.h>

struct digest {
	ext2_filsys fs;
	uint8_t *buf;
	uLong crc;
	errcode_t err;
};

static int block_cb(ext2_filsys fs, blk64_t *blocknr, e2_blkcnt_t blockcnt,
		    blk64_t ref_blk, int ref_offset, void *priv)
{
	struct digest *d = priv;
	uint8_t lblk[8];

	(void)ref_blk;
	(void)ref_offset;
	if (blockcnt < 0)
		return 0;
	d->err = io_channel_read_blk64(fs->io, *blocknr, 1, d->buf);
	if (d->err)
		return BLOCK_ABORT;
	for (int i = 0; i < 8; i++)
		lblk[i] = (uint8_t)((uint64_t)blockcnt >> (8 * i));
	d->crc = crc32(d->crc, lblk, 8);
	d->crc = crc32(d->crc, d->buf, fs->blocksize);
	return 0;
}

int main(int argc, char **argv)
{
	struct ext2_inode inode;
	ext2_inode_scan scan;
	struct digest d;
	ext2_ino_t ino;
	errcode_t err;

	if (argc != 2) {
		fprintf(stderr, "usage: fsdigest IMAGE\n");
		return 2;
	}
	err = ext2fs_open(argv[1], EXT2_FLAG_64BITS, 0, 0, unix_io_manager,
			  &d.fs);
	if (err) {
		fprintf(stderr, "fsdigest: %s: error %ld\n", argv[1], err);
		return 2;
	}
	d.buf = malloc(d.fs->blocksize);
	if (!d.buf || ext2fs_open_inode_scan(d.fs, 0, &scan))
		return 2;
	while (!ext2fs_get_next_inode(scan, &ino, &inode) && ino) {
		if (!inode.i_links_count)
			continue;
		d.crc = crc32(0, NULL, 0);
		d.err = 0;
		if (ext2fs_inode_has_valid_blocks2(d.fs, &inode))
			ext2fs_block_iterate3(d.fs, ino, BLOCK_FLAG_READ_ONLY,
					      NULL, block_cb, &d);
		printf("%u %o %llu %08lx%s\n", ino, inode.i_mode,
		       (unsigned long long)EXT2_I_SIZE(&inode), d.crc,
		       d.err ? " read-error" : "");
	}
	ext2fs_close_inode_scan(scan);
	ext2fs_close_free(&d.fs);
	free(d.buf);
	return 0;
}
