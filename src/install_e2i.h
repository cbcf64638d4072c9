/* SPDX-License-Identifier: MIT */
/*
 * install_e2i.h --- installing from e2image's own format (e2image -I).
 */
#ifndef INSTALL_E2I_H
#define INSTALL_E2I_H

#include <ext2fs/ext2fs.h>

#include "fsread.h"

/* Open @path, an e2image-format file; @info gets the filesystem's size
 * and UUID.  Reports on stderr. */
errcode_t install_e2i_open(const char *path, ext2_filsys *fs,
			   struct fsread_info *info);
/* How many blocks installing writes. */
uint64_t install_e2i_blocks(ext2_filsys fs);
/*
 * Write the superblock, descriptors, bitmaps and inode tables of *@fs
 * (opened from @path) through @ch, which it takes over, and close *@fs.
 */
errcode_t install_e2i_write(ext2_filsys *fs, const char *path, io_channel ch);

#endif
