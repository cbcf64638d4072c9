// SPDX-License-Identifier: MIT
/*
 * fsread_e2i.c --- e2image's own ("normal") image format, the one
 * dumpe2fs -i and debugfs -i read: a header block, the superblock and
 * group descriptors, every inode table, then the block and inode
 * bitmaps.  libext2fs writes the parts (its imager functions); the
 * header, which libext2fs does not install, is encoded here, little
 * endian, field by field.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsread_int.h"

/* struct ext2_image_hdr (lib/ext2fs/e2image.h), byte offsets. */
enum {
	E2I_MAGIC = 0,	       /* EXT2_ET_MAGIC_E2IMAGE */
	E2I_DESCRIPTOR = 4,    /* "Ext2 Image 1.0", 16 bytes */
	E2I_HOSTNAME = 20,     /* 64 bytes */
	E2I_DEVICE_NAME = 124, /* 64 bytes */
	E2I_UUID = 188,	       /* 16 bytes */
	E2I_BLOCKSIZE = 204,
	E2I_IMAGE_TIME = 248,
	E2I_OFFSET_SUPER = 284,
	E2I_OFFSET_INODE = 288,
	E2I_OFFSET_INODEMAP = 292,
	E2I_OFFSET_BLOCKMAP = 296,
	E2I_HDR_LEN = FSREAD_E2I_HDR_LEN,
};

static void put_str(uint8_t *p, size_t cap, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n < cap - 1 ? n : cap - 1);
}

static errcode_t where(int fd, uint64_t *off)
{
	off_t at = lseek(fd, 0, SEEK_CUR);

	if (at < 0)
		return errno;
	if ((uint64_t)at > UINT32_MAX)
		return EFBIG; /* the format's offsets are 32-bit */
	*off = (uint64_t)at;
	return 0;
}

static errcode_t write_at(int fd, const void *buf, size_t len, off_t off)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

errcode_t fsread_write_e2i(struct fsread *r, int fd, const char *device_name,
			   uint64_t image_time)
{
	ext2_filsys fs = r->fs;
	uint64_t off_super = 0, off_inode = 0, off_bmap = 0, off_imap = 0;
	uint8_t *hdr;
	char host[65] = "";
	errcode_t err;

	if (r->info.journal_dev)
		return EXT2_ET_UNSUPP_FEATURE;
	err = ext2fs_read_bitmaps(fs);
	if (err)
		return err;
	hdr = calloc(1, fs->blocksize);
	if (!hdr)
		return ENOMEM;
	/* The header block is written last, when the offsets are known. */
	err = write_at(fd, hdr, fs->blocksize, 0);
	if (!err && lseek(fd, fs->blocksize, SEEK_SET) < 0)
		err = errno;
	if (!err)
		err = where(fd, &off_super);
	if (!err)
		err = ext2fs_image_super_write(fs, fd, 0);
	if (!err)
		err = where(fd, &off_inode);
	if (!err)
		err = ext2fs_image_inode_write(fs, fd, IMAGER_FLAG_SPARSEWRITE);
	if (!err)
		err = where(fd, &off_bmap);
	if (!err)
		err = ext2fs_image_bitmap_write(fs, fd, 0);
	if (!err)
		err = where(fd, &off_imap);
	if (!err)
		err = ext2fs_image_bitmap_write(fs, fd, IMAGER_FLAG_INODEMAP);
	/* The format's offsets are 32 bits: e2image itself cuts them. */
	if (!err && off_imap > UINT32_MAX)
		err = EFBIG;
	if (!err) {
		fsread_put_le32(hdr + E2I_MAGIC,
				(uint32_t)EXT2_ET_MAGIC_E2IMAGE);
		put_str(hdr + E2I_DESCRIPTOR, 16, "Ext2 Image 1.0");
		if (!gethostname(host, sizeof(host) - 1))
			put_str(hdr + E2I_HOSTNAME, 64, host);
		put_str(hdr + E2I_DEVICE_NAME, 64, device_name);
		memcpy(hdr + E2I_UUID, fs->super->s_uuid, 16);
		fsread_put_le32(hdr + E2I_BLOCKSIZE, fs->blocksize);
		/* The format keeps 32 bits of time, as e2image does. */
		fsread_put_le32(hdr + E2I_IMAGE_TIME, (uint32_t)image_time);
		fsread_put_le32(hdr + E2I_OFFSET_SUPER, (uint32_t)off_super);
		fsread_put_le32(hdr + E2I_OFFSET_INODE, (uint32_t)off_inode);
		fsread_put_le32(hdr + E2I_OFFSET_BLOCKMAP, (uint32_t)off_bmap);
		fsread_put_le32(hdr + E2I_OFFSET_INODEMAP, (uint32_t)off_imap);
		err = write_at(fd, hdr, E2I_HDR_LEN, 0);
	}
	free(hdr);
	return err;
}

uint64_t fsread_e2i_inode_offset(const uint8_t *head)
{
	return fsread_le32(head + E2I_OFFSET_INODE);
}

bool fsread_is_e2i_magic(const uint8_t *head)
{
	return fsread_le32(head + E2I_MAGIC) == (uint32_t)EXT2_ET_MAGIC_E2IMAGE;
}
