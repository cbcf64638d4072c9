// SPDX-License-Identifier: MIT
/*
 * move.c --- "e2qcow -ra [-o FROM] -O TO FILE": move a filesystem to
 * another offset within its own file or device, as e2image does.
 *
 * Only the blocks in use move (metadata and file data).  Blocks are
 * copied in the order that never overwrites a block before it was read:
 * from the end when moving up, from the start when moving down.  Halfway
 * through, neither copy is whole, so signals that would stop the process
 * are held until the move is done.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "extmap.h"
#include "fsread.h"
#include "interrupt.h"
#include "move.h"
#include "output.h"
#include "qcow_io.h"

#define MOVE_CHUNK (4U << 20)

/* Every run, in the safe order, in pieces of up to MOVE_CHUNK. */
static errcode_t move_runs(struct qcow_io *io, const struct extmap *map,
			   unsigned bs, uint64_t from, uint64_t to)
{
	uint64_t per = MOVE_CHUNK / bs;
	bool up = to > from;
	uint8_t *buf = malloc(MOVE_CHUNK);
	errcode_t err = buf ? 0 : ENOMEM;

	for (size_t k = 0; !err && k < map->n; k++) {
		const struct extmap_run *run =
			&map->runs[up ? map->n - 1 - k : k];

		for (uint64_t done = 0; !err && done < run->count;) {
			uint64_t n = run->count - done < per ? run->count - done
							     : per;
			uint64_t first = up ? run->start + run->count - done - n
					    : run->start + done;

			err = io->pread(io, buf, (size_t)(n * bs),
					from + first * bs);
			if (!err)
				err = io->pwrite(io, buf, (size_t)(n * bs),
						 to + first * bs);
			done += n;
		}
	}
	free(buf);
	return err;
}

int move_in_place(const char *path, uint64_t from, uint64_t to, bool force)
{
	struct fsread_opts fo = { .force = force, .offset = from };
	struct fsread_stats st;
	struct fsread_info info;
	struct fsread *fs = NULL;
	struct extmap map;
	struct qcow_io *io = NULL;
	sigset_t old;
	errcode_t err;
	struct stat sb;
	uint64_t size;
	int fd;

	if (from == to) {
		fprintf(stderr, "e2qcow: source and target offsets are the "
				"same; nothing to move\n");
		return EXIT_USAGE;
	}
	if (output_refuse_if_mounted(path))
		return EXIT_FAILED;
	err = fsread_open(path, &fo, &fs);
	if (err) {
		com_err("e2qcow", err, "while opening the filesystem in '%s'",
			path);
		return EXIT_FAILED;
	}
	fsread_get_info(fs, &info);
	size = info.blocks_count * info.block_size;
	extmap_init(&map);
	err = fsread_map(fs, FSREAD_MAP_ALL_DATA, &map, &st);
	fsread_close(fs);
	if (err || st.warnings) {
		if (err)
			com_err("e2qcow", err, "while mapping '%s'", path);
		else
			fprintf(stderr,
				"e2qcow: '%s' is damaged (%llu "
				"problems); not moving it\n",
				path, (unsigned long long)st.warnings);
		extmap_free(&map);
		return EXIT_FAILED;
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb)) {
		com_err("e2qcow", errno, "while opening '%s'", path);
		if (fd >= 0)
			close(fd);
		extmap_free(&map);
		return EXIT_FAILED;
	}
	/* A file grows to hold the filesystem at its new place. */
	if (S_ISREG(sb.st_mode) && (uint64_t)sb.st_size < to + size &&
	    ftruncate(fd, (off_t)(to + size)))
		err = errno;
	if (!err)
		err = qcow_io_fd_create(fd, &io);
	/* Stopping halfway would leave neither copy whole: hold signals. */
	interrupt_hold(&old);
	if (!err)
		err = move_runs(io, &map, info.block_size, from, to);
	if (!err)
		err = io->sync(io);
	interrupt_release(&old);
	qcow_io_free(io);
	close(fd);
	extmap_free(&map);
	if (err) {
		com_err("e2qcow", err,
			"while moving the filesystem in '%s'; "
			"it may be damaged at both places",
			path);
		return EXIT_FAILED;
	}
	return EXIT_OK;
}
