// SPDX-License-Identifier: MIT
/*
 * install_e2i.c --- e2image -I from e2image's own format: the image holds
 * the superblock, group descriptors, bitmaps and inode tables, and
 * libext2fs knows how to put them back.  The device's channel (through
 * the undo manager, normally) takes the image's place; the inode tables
 * are copied from the image file; closing the filesystem writes the
 * superblock, descriptors and bitmaps.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <ext2fs/ext2_err.h>

#include "install_e2i.h"

errcode_t install_e2i_open(const char *path, ext2_filsys *fs,
			   struct fsread_info *info)
{
	errcode_t err =
		ext2fs_open(path, EXT2_FLAG_IMAGE_FILE | EXT2_FLAG_64BITS, 0, 0,
			    unix_io_manager, fs);

	if (!err)
		err = ext2fs_read_bitmaps(*fs);
	if (err) {
		com_err("e2qcow", err,
			"while opening '%s' as e2image's own format", path);
		if (*fs)
			ext2fs_close_free(fs);
		return err;
	}
	memset(info, 0, sizeof(*info));
	info->block_size = (*fs)->blocksize;
	info->blocks_count = ext2fs_blocks_count((*fs)->super);
	info->group_count = (*fs)->group_desc_count;
	memcpy(info->uuid, (*fs)->super->s_uuid, sizeof(info->uuid));
	return 0;
}

uint64_t install_e2i_blocks(ext2_filsys fs)
{
	/* Inode tables, bitmaps, the superblock and its descriptors. */
	return (uint64_t)fs->group_desc_count *
		       (fs->inode_blocks_per_group + 2) +
	       1 + fs->desc_blocks;
}

errcode_t install_e2i_write(ext2_filsys *fs, const char *path, io_channel ch)
{
	errcode_t err = ext2fs_rewrite_to_io(*fs, ch);
	uint8_t head[FSREAD_E2I_HDR_LEN];
	int fd;

	if (err) {
		io_channel_close(ch);
		return err;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		err = errno;
	else if (pread(fd, head, sizeof(head), 0) != (ssize_t)sizeof(head))
		err = EXT2_ET_SHORT_READ;
	else if (lseek(fd, (off_t)fsread_e2i_inode_offset(head), SEEK_SET) < 0)
		err = errno;
	else
		err = ext2fs_image_inode_read(*fs, fd, 0);
	if (fd >= 0)
		close(fd);
	/* Even after a failure: what was written so far, and the undo
	 * file, must reach the disk. */
	if (!err)
		err = ext2fs_close_free(fs);
	else
		ext2fs_close_free(fs);
	return err;
}
