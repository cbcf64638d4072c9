// SPDX-License-Identifier: MIT
/*
 * qcow_io.c --- backends of the qcowout I/O ops table.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qcow_err.h"
#include "qcow_io.h"

struct fd_io {
	struct qcow_io io; /* first: the ops table is cast back to us */
	int fd;
	uint64_t pos; /* stream position */
	/* Written since writeback was last started: bytes, and the range. */
	uint64_t unflushed, wb_lo, wb_hi;
};

/* Start writeback after this many bytes (early_writeback). */
#define WRITEBACK_BYTES (8U << 20)

struct mem_io {
	struct qcow_io io;
	uint8_t *data;
	size_t len, cap;
};

/* Writers may run on several threads at once (restore): atomics. */
static void note_write(struct qcow_io *io, size_t len, uint64_t off)
{
	uint64_t end = off + len;
	uint64_t seen = __atomic_load_n(&io->end_offset, __ATOMIC_RELAXED);

	__atomic_fetch_add(&io->bytes_written, len, __ATOMIC_RELAXED);
	while (end > seen &&
	       !__atomic_compare_exchange_n(&io->end_offset, &seen, end, true,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* Write all of @buf at @off, or at the file position when @at_pos. */
static errcode_t write_full(int fd, const void *buf, size_t len, uint64_t off,
			    bool at_pos)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = at_pos ? write(fd, p, len)
				   : pwrite(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return ENOSPC;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/*
 * Start writeback of what was written since the last time, once that is
 * WRITEBACK_BYTES.  Only a hint (the final sync is what counts), so the
 * fields are updated one by one: a race costs at most a late start.
 */
static void start_writeback(struct fd_io *f, uint64_t off, size_t len)
{
	uint64_t lo = __atomic_load_n(&f->wb_lo, __ATOMIC_RELAXED);
	uint64_t hi = __atomic_load_n(&f->wb_hi, __ATOMIC_RELAXED);

	if (!hi || off < lo)
		__atomic_store_n(&f->wb_lo, lo = off, __ATOMIC_RELAXED);
	if (off + len > hi)
		__atomic_store_n(&f->wb_hi, hi = off + len, __ATOMIC_RELAXED);
	if (__atomic_add_fetch(&f->unflushed, len, __ATOMIC_RELAXED) <
	    WRITEBACK_BYTES)
		return;
	__atomic_store_n(&f->unflushed, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&f->wb_hi, 0, __ATOMIC_RELAXED);
	/* Asynchronous; failures show up at the final sync. */
	(void)sync_file_range(f->fd, (off_t)lo, (off_t)(hi - lo),
			      SYNC_FILE_RANGE_WRITE);
}

static errcode_t fd_pwrite(struct qcow_io *io, const void *buf, size_t len,
			   uint64_t off)
{
	struct fd_io *f = (struct fd_io *)io;
	errcode_t err = write_full(f->fd, buf, len, off, false);

	if (err)
		return err;
	note_write(io, len, off);
	if (io->early_writeback)
		start_writeback(f, off, len);
	return 0;
}

static errcode_t fd_pread(struct qcow_io *io, void *buf, size_t len,
			  uint64_t off)
{
	struct fd_io *f = (struct fd_io *)io;
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(f->fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return QCOW_ERR_TRUNCATED;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static errcode_t fd_set_size(struct qcow_io *io, uint64_t size)
{
	struct fd_io *f = (struct fd_io *)io;
	struct stat st;

	if (fstat(f->fd, &st) < 0)
		return errno;
	/* Devices have the size they have; only files are truncated. */
	if (!S_ISREG(st.st_mode))
		return 0;
	if (ftruncate(f->fd, (off_t)size) < 0)
		return errno;
	return 0;
}

static errcode_t fd_get_size(struct qcow_io *io, uint64_t *size)
{
	struct fd_io *f = (struct fd_io *)io;
	struct stat st;
	off_t end;

	if (fstat(f->fd, &st) < 0)
		return errno;
	if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
		return 0;
	}
	/* Block devices report no st_size: ask where the end is. */
	end = lseek(f->fd, 0, SEEK_END);
	if (end < 0)
		return errno;
	*size = (uint64_t)end;
	return 0;
}

static errcode_t fd_sync(struct qcow_io *io)
{
	struct fd_io *f = (struct fd_io *)io;

	/* Pipes and some character devices cannot be synced: not an error. */
	if (fsync(f->fd) < 0 && errno != EINVAL && errno != EROFS)
		return errno;
	return 0;
}

static void plain_destroy(struct qcow_io *io)
{
	free(io);
}

errcode_t qcow_io_fd_create(int fd, struct qcow_io **out)
{
	struct fd_io *f = calloc(1, sizeof(*f));

	if (!f)
		return ENOMEM;
	f->fd = fd;
	f->io.fd = fd;
	f->io.pwrite = fd_pwrite;
	f->io.pread = fd_pread;
	f->io.set_size = fd_set_size;
	f->io.get_size = fd_get_size;
	f->io.sync = fd_sync;
	f->io.destroy = plain_destroy;
	*out = &f->io;
	return 0;
}

static errcode_t stream_zero_fill(struct fd_io *f, uint64_t to)
{
	static const uint8_t zeros[65536];
	errcode_t err;

	while (f->pos < to) {
		uint64_t n = to - f->pos;

		if (n > sizeof(zeros))
			n = sizeof(zeros);
		err = write_full(f->fd, zeros, (size_t)n, 0, true);
		if (err)
			return err;
		f->pos += n;
	}
	return 0;
}

static errcode_t stream_pwrite(struct qcow_io *io, const void *buf, size_t len,
			       uint64_t off)
{
	struct fd_io *f = (struct fd_io *)io;
	errcode_t err;

	if (off < f->pos)
		return QCOW_ERR_NOT_SEEKABLE;
	err = stream_zero_fill(f, off);
	if (!err)
		err = write_full(f->fd, buf, len, 0, true);
	if (err)
		return err;
	f->pos += len;
	note_write(io, len, off);
	return 0;
}

static errcode_t stream_set_size(struct qcow_io *io, uint64_t size)
{
	struct fd_io *f = (struct fd_io *)io;

	if (size < f->pos)
		return QCOW_ERR_NOT_SEEKABLE;
	return stream_zero_fill(f, size);
}

errcode_t qcow_io_stream_create(int fd, struct qcow_io **out)
{
	errcode_t err = qcow_io_fd_create(fd, out);

	if (err)
		return err;
	(*out)->pwrite = stream_pwrite;
	(*out)->pread = NULL;
	(*out)->get_size = NULL;
	(*out)->set_size = stream_set_size;
	(*out)->sequential = true;
	return 0;
}

static errcode_t null_pwrite(struct qcow_io *io, const void *buf, size_t len,
			     uint64_t off)
{
	(void)buf;
	note_write(io, len, off);
	return 0;
}

static errcode_t null_set_size(struct qcow_io *io, uint64_t size)
{
	io->end_offset = size;
	return 0;
}

static errcode_t null_sync(struct qcow_io *io)
{
	(void)io;
	return 0;
}

errcode_t qcow_io_null_create(struct qcow_io **out)
{
	struct qcow_io *io = calloc(1, sizeof(*io));

	if (!io)
		return ENOMEM;
	io->fd = -1;
	io->pwrite = null_pwrite;
	io->set_size = null_set_size;
	io->sync = null_sync;
	io->destroy = plain_destroy;
	*out = io;
	return 0;
}

static errcode_t mem_reserve(struct mem_io *m, uint64_t size)
{
	size_t cap;
	uint8_t *p;

	if (size > SIZE_MAX / 2)
		return ENOMEM;
	if (size <= m->cap)
		return 0;
	cap = m->cap ? m->cap : 4096;
	while (cap < size)
		cap *= 2;
	p = realloc(m->data, cap);
	if (!p)
		return ENOMEM;
	memset(p + m->cap, 0, cap - m->cap);
	m->data = p;
	m->cap = cap;
	return 0;
}

static errcode_t mem_pwrite(struct qcow_io *io, const void *buf, size_t len,
			    uint64_t off)
{
	struct mem_io *m = (struct mem_io *)io;
	errcode_t err;

	if (off > UINT64_MAX - len)
		return EFBIG;
	err = mem_reserve(m, off + len);
	if (err)
		return err;
	memcpy(m->data + off, buf, len);
	if (off + len > m->len)
		m->len = (size_t)(off + len);
	note_write(io, len, off);
	return 0;
}

static errcode_t mem_pread(struct qcow_io *io, void *buf, size_t len,
			   uint64_t off)
{
	struct mem_io *m = (struct mem_io *)io;

	if (off > m->len || m->len - off < len)
		return QCOW_ERR_TRUNCATED;
	memcpy(buf, m->data + off, len);
	return 0;
}

static errcode_t mem_set_size(struct qcow_io *io, uint64_t size)
{
	struct mem_io *m = (struct mem_io *)io;
	errcode_t err = mem_reserve(m, size);

	if (err)
		return err;
	if (size < m->len)
		memset(m->data + size, 0, m->len - size);
	m->len = (size_t)size;
	return 0;
}

static errcode_t mem_get_size(struct qcow_io *io, uint64_t *size)
{
	*size = ((struct mem_io *)io)->len;
	return 0;
}

static void mem_destroy(struct qcow_io *io)
{
	struct mem_io *m = (struct mem_io *)io;

	free(m->data);
	free(m);
}

errcode_t qcow_io_mem_create(struct qcow_io **out)
{
	struct mem_io *m = calloc(1, sizeof(*m));

	if (!m)
		return ENOMEM;
	m->io.fd = -1;
	m->io.pwrite = mem_pwrite;
	m->io.pread = mem_pread;
	m->io.set_size = mem_set_size;
	m->io.get_size = mem_get_size;
	m->io.sync = null_sync;
	m->io.destroy = mem_destroy;
	*out = &m->io;
	return 0;
}

errcode_t qcow_io_mem_create_from(const void *data, size_t len,
				  struct qcow_io **out)
{
	errcode_t err = qcow_io_mem_create(out);

	if (!err && len)
		err = mem_pwrite(*out, data, len, 0);
	if (err) {
		qcow_io_free(*out);
		*out = NULL;
	}
	return err;
}

const uint8_t *qcow_io_mem_data(const struct qcow_io *io, size_t *len)
{
	const struct mem_io *m = (const struct mem_io *)io;

	*len = m->len;
	return m->data;
}

bool qcow_buf_is_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	if (!len)
		return true;
	/* Each byte equals the next and the first is zero: memcmp is fast. */
	return b[0] == 0 && memcmp(b, b + 1, len - 1) == 0;
}

size_t qcow_buf_used(const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len >= 64 && qcow_buf_is_zero(b + len - 64, 64))
		len -= 64;
	while (len && !b[len - 1])
		len--;
	return len;
}

void qcow_io_free(struct qcow_io *io)
{
	if (io)
		io->destroy(io);
}
