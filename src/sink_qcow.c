// SPDX-License-Identifier: MIT
/*
 * sink_qcow.c --- the qcow2 sink: a thin adapter over qcow_writer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"

struct qcow_sink {
	struct sink s; /* first */
	struct qcow_writer *w;
};

static errcode_t qs_write(struct sink *s, uint64_t off, const void *buf,
			  size_t len)
{
	return qcow_writer_pwrite(((struct qcow_sink *)s)->w, off, buf, len);
}

static errcode_t qs_put_clusters(struct sink *s, uint64_t off, size_t n,
				 const uint8_t *raw, const uint8_t *zdata,
				 const uint32_t *zlen,
				 const struct qcow_cluster_sum *sums)
{
	return qcow_writer_put_clusters(((struct qcow_sink *)s)->w, off, n, raw,
					zdata, zlen, sums);
}

static errcode_t qs_finish(struct sink *s)
{
	return qcow_writer_finish(((struct qcow_sink *)s)->w);
}

static void qs_destroy(struct sink *s)
{
	qcow_writer_free(((struct qcow_sink *)s)->w);
	free(s);
}

/* A new writer, or with @recs one resumed from an interrupted run's. */
static errcode_t make_sink(struct qcow_io *io,
			   const struct qcow_writer_opts *opts,
			   const struct qcow_writer_record *recs, size_t n,
			   struct sink **out)
{
	struct qcow_sink *q = calloc(1, sizeof(*q));
	errcode_t err;

	if (!q)
		return ENOMEM;
	err = recs ? qcow_writer_resume(io, opts, recs, n, &q->w)
		   : qcow_writer_create(io, opts, &q->w);
	if (err) {
		free(q);
		return err;
	}
	q->s.write = qs_write;
	q->s.finish = qs_finish;
	q->s.put_clusters = qs_put_clusters;
	q->s.skips_zeros = true;
	q->s.wants_digests = qcow_writer_wants_digests(q->w);
	q->s.digest_alg = qcow_writer_digest_alg(q->w);
	q->s.destroy = qs_destroy;
	*out = &q->s;
	return 0;
}

errcode_t sink_qcow_create(struct qcow_io *io,
			   const struct qcow_writer_opts *opts,
			   struct sink **out)
{
	return make_sink(io, opts, NULL, 0, out);
}

errcode_t sink_qcow_resume(struct qcow_io *io,
			   const struct qcow_writer_opts *opts,
			   const struct qcow_writer_record *recs, size_t n,
			   struct sink **out)
{
	return n ? make_sink(io, opts, recs, n, out) : EINVAL;
}

errcode_t sink_qcow_checkpoint(struct sink *s, uint8_t **rec, size_t *len)
{
	return qcow_writer_checkpoint(((struct qcow_sink *)s)->w, rec, len);
}

uint64_t sink_qcow_resume_at(const struct sink *s)
{
	return qcow_writer_guest_pos(((const struct qcow_sink *)s)->w);
}

void sink_qcow_stats(const struct sink *s, struct qcow_writer_stats *st)
{
	qcow_writer_stats(((const struct qcow_sink *)s)->w, st);
}

errcode_t sink_qcow_copy_l1(const struct sink *s, uint8_t **out)
{
	size_t len;
	const uint8_t *l1 =
		qcow_writer_l1(((const struct qcow_sink *)s)->w, &len);

	*out = malloc(len);
	if (!*out)
		return ENOMEM;
	memcpy(*out, l1, len);
	return 0;
}

void sink_free(struct sink *s)
{
	if (s)
		s->destroy(s);
}
