// SPDX-License-Identifier: MIT
/*
 * fuzz_qcow_reader.c --- libFuzzer target: the input is a qcow2 image.
 * Open it, describe it, check it, read all of it that holds data
 * (within a budget) and load its digest table, as restore, info, check
 * and verify would.  Any crash,
 * sanitizer report, hang or unbounded allocation is a bug.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "qcow_check.h"
#include "qcow_digest.h"
#include "qcow_err.h"
#include "qcow_io.h"
#include "qcow_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bytes of guest data read per input, to keep each run short. */
#define READ_BUDGET (8U << 20)
#define CHUNK (1U << 20)

static void read_everything(struct qcow_reader *r, uint8_t *buf)
{
	uint64_t size = qcow_reader_size(r), off = 0, budget = READ_BUDGET;
	unsigned steps = 0;

	while (off < size && budget && steps++ < 4096) {
		uint64_t max = size - off < CHUNK ? size - off : CHUNK;
		uint64_t zero, data;

		if (qcow_reader_zero_run(r, off, max, &zero, &data))
			return;
		if (zero) {
			off += zero;
			continue;
		}
		if (data > budget)
			data = budget;
		if (qcow_reader_pread(r, buf, (size_t)data, off))
			return;
		budget -= data;
		off += data;
	}
}

static void count_only(void *ctx, bool is_leak, const char *msg)
{
	(void)ctx;
	(void)is_leak;
	(void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *buf;
	struct qcow_reader_opts ro = { .allow_corrupt = true };
	struct qcow_cluster_counts cc;
	struct qcow_check_result res;
	struct qcow_reader_info info;
	struct qcow_digest_entry *dg;
	struct qcow_reader *r;
	struct qcow_io *io;
	uint64_t n;
	unsigned alg;

	if (!buf) {
		initialize_e2qo_error_table();
		buf = malloc(CHUNK);
		if (!buf)
			return 0;
	}
	if (qcow_io_mem_create_from(data, size, &io))
		return 0;
	if (!qcow_reader_open_io(io, &ro, &r)) {
		qcow_reader_get_info(r, &info);
		qcow_reader_count_clusters(r, &cc);
		read_everything(r, buf);
		qcow_check_run(r, count_only, NULL, &res);
		if (!qcow_reader_digests(r, &dg, &n))
			free(dg);
		if (!qcow_reader_chain_digests(r, info.hdr.cluster_bits, &dg,
					       &n, &alg))
			free(dg);
		qcow_reader_close(r);
	}
	qcow_io_free(io);
	return 0;
}
