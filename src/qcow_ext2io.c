// SPDX-License-Identifier: MIT
/*
 * qcow_ext2io.c --- a libext2fs I/O manager that reads the guest of an
 * open qcow2 image, so fsread can walk a filesystem inside a capture
 * without converting it to raw first.
 *
 * libext2fs opens channels by name only, so the reader is bound first
 * and any name opens it.  Read-only: writes fail with EROFS.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ext2fs/ext2fs.h>

#include "qcow_ext2io.h"
#include "qcow_reader.h"

struct chan {
	struct qcow_reader *r;
	uint64_t offset; /* "offset=N": where the filesystem starts */
};

static struct qcow_reader *bound;

void qcow_ext2io_bind(struct qcow_reader *r)
{
	bound = r;
}

static errcode_t ch_open(const char *name, int flags, io_channel *out)
{
	io_channel ch;
	struct chan *c;

	if (!bound)
		return EXT2_ET_BAD_DEVICE_NAME;
	if (flags & IO_FLAG_RW)
		return EROFS;
	ch = calloc(1, sizeof(*ch));
	c = calloc(1, sizeof(*c));
	if (ch)
		ch->name = strdup(name);
	if (!ch || !c || !ch->name) {
		if (ch)
			free(ch->name);
		free(ch);
		free(c);
		return EXT2_ET_NO_MEMORY;
	}
	c->r = bound;
	ch->magic = EXT2_ET_MAGIC_IO_CHANNEL;
	ch->manager = qcow_ext2io_manager;
	ch->block_size = 1024;
	ch->refcount = 1;
	ch->private_data = c;
	*out = ch;
	return 0;
}

static errcode_t ch_close(io_channel ch)
{
	if (--ch->refcount > 0)
		return 0;
	free(ch->private_data);
	free(ch->name);
	free(ch);
	return 0;
}

static errcode_t ch_set_blksize(io_channel ch, int blksize)
{
	if (blksize <= 0)
		return EXT2_ET_INVALID_ARGUMENT;
	ch->block_size = blksize;
	return 0;
}

/* libext2fs' convention: a negative count is a byte count. */
static errcode_t ch_read64(io_channel ch, unsigned long long block, int count,
			   void *data)
{
	struct chan *c = ch->private_data;
	uint64_t bs = (uint64_t)ch->block_size;
	uint64_t len =
		count < 0 ? (uint64_t) - (int64_t)count : (uint64_t)count * bs;
	uint64_t size = qcow_reader_size(c->r), off;
	errcode_t err;

	if (block > (UINT64_MAX - c->offset) / bs)
		return EXT2_ET_LLSEEK_FAILED;
	off = c->offset + block * bs;
	if (off > size || size - off < len) {
		/* Like a short read of a file: what exists, then zeros. */
		uint64_t have = off < size ? size - off : 0;

		memset(data, 0, (size_t)len);
		err = have ? qcow_reader_pread(c->r, data, (size_t)have, off)
			   : 0;
		if (!err && ch->read_error)
			return ch->read_error(ch, (unsigned long)block, count,
					      data, (size_t)len, (int)have,
					      EXT2_ET_SHORT_READ);
		return err ? err : EXT2_ET_SHORT_READ;
	}
	return qcow_reader_pread(c->r, data, (size_t)len, off);
}

static errcode_t ch_read(io_channel ch, unsigned long block, int count,
			 void *data)
{
	return ch_read64(ch, block, count, data);
}

static errcode_t ch_write64(io_channel ch, unsigned long long block, int count,
			    const void *data)
{
	(void)ch, (void)block, (void)count, (void)data;
	return EROFS;
}

static errcode_t ch_write(io_channel ch, unsigned long block, int count,
			  const void *data)
{
	return ch_write64(ch, block, count, data);
}

static errcode_t ch_write_byte(io_channel ch, unsigned long offset, int count,
			       const void *data)
{
	(void)ch, (void)offset, (void)count, (void)data;
	return EROFS;
}

static errcode_t ch_flush(io_channel ch)
{
	(void)ch;
	return 0;
}

static errcode_t ch_set_option(io_channel ch, const char *option,
			       const char *arg)
{
	struct chan *c = ch->private_data;
	unsigned long long v;
	char *end;

	if (strcmp(option, "offset") || !arg)
		return EXT2_ET_INVALID_ARGUMENT;
	errno = 0;
	v = strtoull(arg, &end, 0);
	if (errno || *end || end == arg)
		return EXT2_ET_INVALID_ARGUMENT;
	c->offset = v;
	return 0;
}

static struct struct_io_manager manager = {
	.magic = EXT2_ET_MAGIC_IO_MANAGER,
	.name = "e2qcow qcow2 reader",
	.open = ch_open,
	.close = ch_close,
	.set_blksize = ch_set_blksize,
	.read_blk = ch_read,
	.write_blk = ch_write,
	.flush = ch_flush,
	.write_byte = ch_write_byte,
	.set_option = ch_set_option,
	.read_blk64 = ch_read64,
	.write_blk64 = ch_write64,
};

io_manager qcow_ext2io_manager = &manager;
