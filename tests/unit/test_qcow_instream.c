// SPDX-License-Identifier: MIT
/*
 * Unit tests of the pipe-reading backend (qcow_io_instream): input that
 * arrives in odd pieces is read at any offset within the window; input
 * that leaves the window unread is kept in a temporary file and read
 * back, while input that was read (or given up) is dropped and reading
 * it again says so; keep_all keeps everything; a read past the end fails
 * unless less than a sector is missing; the window can only be resized
 * before input leaves it.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "qcow_err.h"
#include "qcow_io.h"

#define INPUT (12U << 20)
#define WINDOW (2U << 20)

static uint8_t input[INPUT];

struct feeder {
	int fd;
	size_t len;
	pthread_t thread;
};

/* Write the input into the pipe in pieces of odd sizes. */
static void *feed(void *arg)
{
	struct feeder *f = arg;
	size_t at = 0, step = 1;

	while (at < f->len) {
		size_t n = (step * 7919) % 100000 + 1;
		ssize_t w;

		if (n > f->len - at)
			n = f->len - at;
		w = write(f->fd, input + at, n);
		if (w <= 0)
			break;
		at += (size_t)w;
		step++;
	}
	close(f->fd);
	return NULL;
}

static struct qcow_io *open_pipe(struct feeder *f, size_t len, bool keep_all)
{
	struct qcow_io *io;
	int p[2];

	assert_int_equal(pipe(p), 0);
	f->fd = p[1];
	f->len = len;
	assert_int_equal(pthread_create(&f->thread, NULL, feed, f), 0);
	assert_int_equal(
		qcow_io_instream_create(p[0], WINDOW, NULL, keep_all, &io), 0);
	return io;
}

static void close_pipe(struct feeder *f, struct qcow_io *io)
{
	int fd = io->fd;

	assert_int_equal(qcow_io_instream_drain(io), 0);
	qcow_io_free(io);
	close(fd);
	pthread_join(f->thread, NULL);
}

static void expect(struct qcow_io *io, uint64_t off, size_t len)
{
	uint8_t *buf = malloc(len);

	assert_non_null(buf);
	assert_int_equal(io->pread(io, buf, len, off), 0);
	assert_memory_equal(buf, input + off, len);
	free(buf);
}

static errcode_t try_read(struct qcow_io *io, uint64_t off, size_t len)
{
	uint8_t buf[4096];

	return io->pread(io, buf, len, off);
}

static void stats(struct qcow_io *io, uint64_t *spilled)
{
	uint64_t consumed;
	errcode_t err;

	qcow_io_instream_stats(io, &consumed, spilled, &err);
	assert_int_equal(err, 0);
}

/* Read forward, jump ahead and back inside the window, then far ahead:
 * what was skipped comes back from the temporary file. */
static void test_window_and_spill(void **state)
{
	struct feeder f;
	struct qcow_io *io = open_pipe(&f, INPUT, false);
	uint64_t spilled;

	(void)state;
	expect(io, 0, 4096);
	expect(io, 1 << 20, 65536);
	expect(io, 512, 100); /* behind, still in the window */
	stats(io, &spilled);
	assert_int_equal(spilled, 0);
	/* 8 MiB ahead: everything between left the window. */
	expect(io, 9 << 20, 3 << 20);
	stats(io, &spilled);
	assert_true(spilled > 0);
	/* Unread, so kept: read back from the file. */
	expect(io, 4096, (1 << 20) - 4096);
	expect(io, 5 << 20, 12345);
	/* Read once and dropped: gone. */
	assert_int_equal(try_read(io, 0, 4096), QCOW_ERR_STREAM_GONE);
	assert_int_equal(try_read(io, 1 << 20, 4096), QCOW_ERR_STREAM_GONE);
	/* Past the end: truncated, but a last sector's tail reads as zeros. */
	assert_int_equal(try_read(io, INPUT, 16), QCOW_ERR_TRUNCATED);
	assert_int_equal(try_read(io, INPUT - 4096, 8192), QCOW_ERR_TRUNCATED);
	{
		uint8_t buf[600];

		memset(buf, 0xff, sizeof(buf));
		assert_int_equal(io->pread(io, buf, sizeof(buf), INPUT - 200),
				 0);
		assert_memory_equal(buf, input + INPUT - 200, 200);
		for (size_t i = 200; i < sizeof(buf); i++)
			assert_int_equal(buf[i], 0);
	}
	close_pipe(&f, io);
}

/* keep_all: read input comes back too; forget drops unread input. */
static void test_keep_all_and_forget(void **state)
{
	struct feeder f;
	struct qcow_io *io = open_pipe(&f, INPUT, true);
	uint64_t spilled, before;

	(void)state;
	expect(io, 0, 1 << 20);
	expect(io, 8 << 20, 4096);
	expect(io, 0, 1 << 20);
	close_pipe(&f, io);

	io = open_pipe(&f, INPUT, false);
	expect(io, 0, 4096);
	stats(io, &before);
	qcow_io_instream_forget(io, 6 << 20);
	expect(io, 10 << 20, 4096);
	stats(io, &spilled);
	/* Only what lay past the forgotten part was kept. */
	assert_true(spilled - before <= (4U << 20) + 4096);
	assert_int_equal(try_read(io, 1 << 20, 4096), QCOW_ERR_STREAM_GONE);
	expect(io, 7 << 20, 4096);
	close_pipe(&f, io);
}

/* A request larger than the window is served as it streams in. */
static void test_large_read_and_resize(void **state)
{
	struct feeder f;
	struct qcow_io *io = open_pipe(&f, INPUT, false);

	(void)state;
	assert_int_equal(qcow_io_instream_set_window(io, 4 << 20), 0);
	expect(io, 100, 7 << 20);
	assert_int_equal(qcow_io_instream_set_window(io, 8 << 20), EBUSY);
	expect(io, (7 << 20) + 100, 1000);
	close_pipe(&f, io);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_and_spill),
		cmocka_unit_test(test_keep_all_and_forget),
		cmocka_unit_test(test_large_read_and_resize),
	};

	for (size_t i = 0; i < INPUT; i++)
		input[i] = (uint8_t)((i * 2654435761U) >> 13);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
