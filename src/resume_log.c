// SPDX-License-Identifier: MIT
/*
 * resume_log.c --- framed, checksummed records appended beside a partial
 * image.  Frame: magic "e2qR" | type u32 | length u64 | payload | CRC-32
 * of all that, big-endian.  Type 1 is the run's identity (first), type 2
 * a writer checkpoint.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "qcow_endian.h"
#include "resume_log.h"

#define FRAME_MAGIC 0x65327152U /* "e2qR" */
#define FRAME_HEAD 16U
#define FRAME_TAIL 4U
#define TYPE_IDENTITY 1U
#define TYPE_RECORD 2U
/* A log larger than this is not one of ours. */
#define LOG_MAX (1ULL << 36)

errcode_t resume_log_init(struct resume_log *l, const char *partial_path)
{
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (asprintf(&l->path, "%s.log", partial_path) < 0) {
		l->path = NULL;
		return ENOMEM;
	}
	return 0;
}

/* zlib's crc32 over any length (it takes an unsigned int). */
static uLong crc_more(uLong crc, const uint8_t *p, size_t len)
{
	while (len) {
		uInt n = len > (1U << 30) ? (1U << 30) : (uInt)len;

		crc = crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return crc;
}

static uint32_t frame_crc(const uint8_t *p, size_t len)
{
	return (uint32_t)crc_more(crc32(0L, Z_NULL, 0), p, len);
}

/* The frame at @p (of @left bytes), or 0 if none is whole and sound. */
static size_t frame_at(const uint8_t *p, size_t left, uint32_t *type,
		       const uint8_t **payload, size_t *len)
{
	uint64_t n;

	if (left < FRAME_HEAD + FRAME_TAIL || qcow_load_be32(p) != FRAME_MAGIC)
		return 0;
	*type = qcow_load_be32(p + 4);
	n = qcow_load_be64(p + 8);
	if (n > left - FRAME_HEAD - FRAME_TAIL)
		return 0;
	if (qcow_load_be32(p + FRAME_HEAD + n) !=
	    frame_crc(p, FRAME_HEAD + (size_t)n))
		return 0;
	*payload = p + FRAME_HEAD;
	*len = (size_t)n;
	return FRAME_HEAD + (size_t)n + FRAME_TAIL;
}

static errcode_t read_all(int fd, uint8_t **buf, size_t *len)
{
	struct stat st;
	size_t got = 0;

	if (fstat(fd, &st) < 0)
		return errno;
	if ((uint64_t)st.st_size > LOG_MAX)
		return EFBIG;
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf)
		return ENOMEM;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, *buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	*len = got;
	return 0;
}

errcode_t resume_log_load(struct resume_log *l, const void *identity,
			  size_t len, const char **why)
{
	const uint8_t *payload;
	size_t size = 0, at, flen, plen;
	uint32_t type;
	errcode_t err;

	l->fd = open(l->path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (l->fd < 0) {
		*why = "its log is missing";
		return ENOENT;
	}
	err = read_all(l->fd, &l->buf, &size);
	if (err) {
		*why = "its log cannot be read";
		return ESTALE;
	}
	flen = frame_at(l->buf, size, &type, &payload, &plen);
	if (!flen || type != TYPE_IDENTITY) {
		*why = "its log is damaged";
		return ESTALE;
	}
	if (plen != len || memcmp(payload, identity, len)) {
		*why = "the source, its blocks or the options differ";
		return ESTALE;
	}
	for (at = flen; at < size; at += flen) {
		struct qcow_writer_record *r;

		flen = frame_at(l->buf + at, size - at, &type, &payload, &plen);
		if (!flen || type != TYPE_RECORD)
			break; /* a crash cut it here */
		r = realloc(l->recs, (l->n + 1) * sizeof(*r));
		if (!r)
			return ENOMEM;
		l->recs = r;
		r[l->n++] = (struct qcow_writer_record){ payload, plen };
	}
	/* What follows the last whole record goes, so appends join it. */
	if (ftruncate(l->fd, (off_t)at) < 0 ||
	    lseek(l->fd, (off_t)at, SEEK_SET) < 0)
		return errno;
	return 0;
}

static errcode_t write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static errcode_t append_frame(struct resume_log *l, uint32_t type,
			      const void *payload, size_t len, bool no_sync)
{
	uint8_t head[FRAME_HEAD], tail[FRAME_TAIL];
	uLong crc;
	errcode_t err;

	qcow_store_be32(head, FRAME_MAGIC);
	qcow_store_be32(head + 4, type);
	qcow_store_be64(head + 8, len);
	crc = crc_more(crc32(0L, Z_NULL, 0), head, FRAME_HEAD);
	crc = crc_more(crc, payload, len);
	qcow_store_be32(tail, (uint32_t)crc);
	err = write_all(l->fd, head, sizeof(head));
	if (!err)
		err = write_all(l->fd, payload, len);
	if (!err)
		err = write_all(l->fd, tail, sizeof(tail));
	if (!err && !no_sync && fdatasync(l->fd) < 0)
		err = errno;
	return err;
}

/* The log's directory entry reaches the disk with it. */
static void sync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd;

	if (!copy)
		return;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(copy);
}

errcode_t resume_log_start(struct resume_log *l, const void *identity,
			   size_t len)
{
	errcode_t err;

	if (l->fd >= 0)
		close(l->fd);
	free(l->recs);
	free(l->buf);
	l->recs = NULL;
	l->buf = NULL;
	l->n = l->appended = 0;
	l->fd = open(l->path,
		     O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (l->fd < 0)
		return errno;
	if (fchmod(l->fd, 0600) < 0)
		return errno;
	err = append_frame(l, TYPE_IDENTITY, identity, len, false);
	if (!err)
		sync_dir_of(l->path);
	return err;
}

errcode_t resume_log_append(struct resume_log *l, const uint8_t *rec,
			    size_t len, bool no_sync)
{
	errcode_t err = append_frame(l, TYPE_RECORD, rec, len, no_sync);

	if (!err)
		l->appended++;
	return err;
}

size_t resume_log_records(const struct resume_log *l)
{
	return l->n + l->appended;
}

void resume_log_remove(struct resume_log *l)
{
	if (l->path)
		unlink(l->path);
}

void resume_log_free(struct resume_log *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	free(l->recs);
	free(l->buf);
	free(l->path);
	memset(l, 0, sizeof(*l));
	l->fd = -1;
}
