/* SPDX-License-Identifier: MIT */
/*
 * qcow_ext2io.h --- read a filesystem inside a qcow2 image through
 * libext2fs (and so through fsread), as if it were a device.
 */
#ifndef QCOW_EXT2IO_H
#define QCOW_EXT2IO_H

#include <ext2fs/ext2_io.h>

#include "qcow_reader.h"

/* The manager to hand to ext2fs_open2() or fsread_opts.io_manager. */
extern io_manager qcow_ext2io_manager;

/* Channels opened from now on read @r (which stays the caller's and must
 * outlive them).  One image at a time. */
void qcow_ext2io_bind(struct qcow_reader *r);

#endif
