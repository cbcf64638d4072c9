/* SPDX-License-Identifier: MIT */
/*
 * qcow_io.h --- the small I/O ops table the writers and readers use.
 *
 * Every call transfers the whole buffer or fails: short transfers and
 * EINTR are handled inside.  Backends: a file descriptor at explicit
 * offsets, a sequential stream (pipes, standard output), a null sink
 * that only counts (for planning a layout) and a growable memory buffer
 * (tests, fuzzers).
 */
#ifndef QCOW_IO_H
#define QCOW_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <et/com_err.h>

struct qcow_io {
	/* Write @len bytes at byte offset @off. */
	errcode_t (*pwrite)(struct qcow_io *io, const void *buf, size_t len,
			    uint64_t off);
	/* Read @len bytes at @off; QCOW_ERR_TRUNCATED past the end. */
	errcode_t (*pread)(struct qcow_io *io, void *buf, size_t len,
			   uint64_t off);
	/* Make the output exactly @size bytes (truncate or zero-fill). */
	errcode_t (*set_size)(struct qcow_io *io, uint64_t size);
	/* Current size of the file (readers); ENOTSUP for streams. */
	errcode_t (*get_size)(struct qcow_io *io, uint64_t *size);
	/* Flush to stable storage where that means anything. */
	errcode_t (*sync)(struct qcow_io *io);
	void (*destroy)(struct qcow_io *io);
	/* Writes must come at non-decreasing offsets (no seeking back). */
	bool sequential;
	/*
	 * fd backend: start writeback every few MiB, so that the final sync
	 * has little left to wait for (set when a sync will follow).
	 */
	bool early_writeback;
	/* The file descriptor behind fd and stream backends, else -1. */
	int fd;
	/* Bytes written so far, highest offset reached. */
	uint64_t bytes_written;
	uint64_t end_offset;
};

/* File or block device at explicit offsets; @fd stays the caller's. */
errcode_t qcow_io_fd_create(int fd, struct qcow_io **out);
/*
 * Sequential stream on @fd: a write past the current position fills the
 * gap with zeros, a write before it fails with QCOW_ERR_NOT_SEEKABLE.
 */
errcode_t qcow_io_stream_create(int fd, struct qcow_io **out);
/* Discards everything, remembers only sizes. */
errcode_t qcow_io_null_create(struct qcow_io **out);
/* Growable in-memory file. */
errcode_t qcow_io_mem_create(struct qcow_io **out);
/* The memory backend's contents (valid until the next write or free). */
const uint8_t *qcow_io_mem_data(const struct qcow_io *io, size_t *len);
/* Open a memory backend on a copy of @len bytes at @data (read side). */
errcode_t qcow_io_mem_create_from(const void *data, size_t len,
				  struct qcow_io **out);

/*
 * An image read from the pipe @fd (read side only): reads at any offset,
 * served from a window of the last @window bytes of input (rounded up to
 * 512-byte units, at least 2 MiB); reading ahead pulls input in.  Input
 * that leaves the window unread (or any, with @keep_all) is kept in an
 * unnamed temporary file in @spill_dir (NULL: /tmp); input that was read
 * is dropped, and reading it again fails with QCOW_ERR_STREAM_GONE.  The
 * size is unknown: get_size says the largest an image may be, and reads
 * past the end fail with QCOW_ERR_TRUNCATED, except for less than 512
 * bytes at the end of a read that began before it (zeros, as a
 * compressed cluster's last sector reads in a file).
 */
errcode_t qcow_io_instream_create(int fd, size_t window, const char *spill_dir,
				  bool keep_all, struct qcow_io **out);
/* Change the window, while no input has left it yet (else EBUSY). */
errcode_t qcow_io_instream_set_window(struct qcow_io *io, size_t window);
/* Input below @below will not be read again: drop it when it leaves the
 * window, read or not (unless keep_all). */
void qcow_io_instream_forget(struct qcow_io *io, uint64_t below);
/* Keep (or not) input that was read, from now on. */
void qcow_io_instream_keep_all(struct qcow_io *io, bool keep_all);
/* Read and drop the rest of the input. */
errcode_t qcow_io_instream_drain(struct qcow_io *io);
/* Bytes of input so far, how many went to the temporary file, and why
 * that file failed (0: it did not). */
void qcow_io_instream_stats(const struct qcow_io *io, uint64_t *consumed,
			    uint64_t *spilled, errcode_t *spill_err);

/* NULL-safe. */
void qcow_io_free(struct qcow_io *io);

/* Is every byte of @p (@len > 0 bytes) zero?  For holes and skipping. */
bool qcow_buf_is_zero(const void *p, size_t len);
/* How many bytes of @p lead up to its last non-zero one (0: all zero). */
size_t qcow_buf_used(const void *p, size_t len);

#endif
