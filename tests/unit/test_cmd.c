// SPDX-License-Identifier: MIT
/*
 * Unit tests of the command's plumbing: size parsing, the capture
 * record's encoder and decoder, the atomic output (temporary name,
 * rename, no replacing without leave, links written through), and the
 * ordered pipeline (commits in production order whatever the consumers'
 * speed, the first error stops it).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture_info.h"
#include "cli.h"
#include "output.h"
#include "pipeline.h"

static void test_parse_size(void **state)
{
	static const struct {
		const char *s;
		bool ok;
		uint64_t v;
	} cases[] = {
		{ "4096", true, 4096 },
		{ "64k", true, 65536 },
		{ "64K", true, 65536 },
		{ "2M", true, 2U << 20 },
		{ "3g", true, 3ULL << 30 },
		{ "0", true, 0 },
		{ "18446744073709551615", true, UINT64_MAX },
		{ "17179869183G", true, 17179869183ULL << 30 },
		{ "17179869184G", false, 0 }, /* 2^64: overflows */
		{ "18446744073709551616", false, 0 },
		{ "", false, 0 },
		{ "k", false, 0 },
		{ "-1", false, 0 },
		{ " 5", true, 5 }, /* strtoull skips leading blanks */
		{ "5 ", false, 0 },
		{ "5kk", false, 0 },
		{ "5T", false, 0 },
		{ "0x10", false, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 12345;
		bool ok = cli_parse_size(cases[i].s, &v);

		if (ok != cases[i].ok || (ok && v != cases[i].v))
			fail_msg("'%s': got %d %llu", cases[i].s, ok,
				 (unsigned long long)v);
	}
}

static void test_capture_record(void **state)
{
	struct fsread_info fi = { .block_size = 4096,
				  .blocks_count = 1ULL << 40,
				  .superblock = 32768 };
	struct capture_record rec;
	char buf[512], src[400];

	(void)state;
	for (unsigned i = 0; i < 16; i++)
		fi.uuid[i] = (uint8_t)(i * 17);
	for (int mode = 0; mode < 4; mode++) {
		bool all = mode & 1, scrubbed = mode & 2;
		size_t n = capture_info_format(buf, sizeof(buf) - 1,
					       "/dev/sdb1", &fi, all, scrubbed,
					       scrubbed ? 5U : 0U);

		assert_true(n > 0 && n < sizeof(buf));
		buf[n] = 0;
		assert_true(capture_info_decode(buf, &rec));
		assert_int_equal(rec.version, 1);
		assert_int_equal(rec.block_size, 4096);
		assert_int_equal(rec.blocks, 1ULL << 40);
		assert_int_equal(rec.superblock, 32768);
		assert_int_equal(rec.all_data, all);
		assert_int_equal(rec.scrubbed, scrubbed);
		assert_int_equal(rec.scrub_keep, scrubbed ? 5 : 0);
		assert_string_equal(rec.uuid,
				    "00112233-4455-6677-8899-aabbccddeeff");
		/* A scrubbed record does not say where it came from. */
		assert_int_equal(strstr(buf, "/dev/sdb1") != NULL, !scrubbed);
	}
	/* A long path keeps its end, and the record still decodes. */
	memset(src, 'a', sizeof(src) - 1);
	src[sizeof(src) - 1] = 0;
	memcpy(src + sizeof(src) - 6, "/tail", 5);
	{
		size_t n = capture_info_format(buf, 300, src, &fi, false, false,
					       0);

		assert_true(n > 0 && n <= 300);
		buf[n] = 0;
		assert_non_null(strstr(buf, "a/tail\n"));
		assert_true(capture_info_decode(buf, &rec));
	}
	/* What is not a usable record. */
	assert_false(capture_info_decode(NULL, &rec));
	assert_false(capture_info_decode("", &rec));
	assert_false(capture_info_decode(
		"e2qcow-capture: 1\nuuid: 00112233-4455-6677-8899-aabbccddeeff\n"
		"block_size: 4096\nblocks: 12\nmode: everything\n"
		"superblock: 0\n",
		&rec));
	assert_false(capture_info_decode(
		"e2qcow-capture: 1\nuuid: 00112233-4455-6677-8899-aabbccddeeff\n"
		"block_size: 4096x\nblocks: 12\nmode: metadata\n"
		"superblock: 0\n",
		&rec));
	assert_false(capture_info_decode(
		"e2qcow-capture: 1\nuuid: short\nblock_size: 4096\n"
		"blocks: 12\nmode: metadata\nsuperblock: 0\n",
		&rec));
	assert_true(capture_info_decode(
		"e2qcow-capture: 2\nuuid: 00112233-4455-6677-8899-aabbccddeeff\n"
		"block_size: 1024\nblocks: 12\nmode: all-data\n"
		"superblock: 0\nnew_key: later versions add keys\n",
		&rec));
	assert_true(rec.all_data && !rec.scrubbed && rec.version == 2);
}

static char dir[PATH_MAX];

static void put(const char *name, const char *text)
{
	char p[PATH_MAX + 64];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void expect(const char *name, const char *text)
{
	char p[PATH_MAX + 64], got[64] = "";
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "r");
	assert_non_null(f);
	assert_non_null(fgets(got, sizeof(got), f));
	fclose(f);
	assert_string_equal(got, text);
}

/* Only @want (and nothing else, temporaries included) is in dir. */
static unsigned entries(void)
{
	char cmd[PATH_MAX + 32];
	FILE *p;
	unsigned n = 0;
	int c;

	snprintf(cmd, sizeof(cmd), "ls -A '%s'", dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	while ((c = fgetc(p)) != EOF)
		n += c == '\n';
	pclose(p);
	return n;
}

static void write_output(const char *name, bool overwrite, errcode_t want,
			 const char *text)
{
	char p[PATH_MAX + 64];
	const char *what = NULL;
	struct output o;
	struct stat st;
	errcode_t err;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	err = output_open(&o, p, overwrite, &what);
	assert_int_equal(err, want == EEXIST ? EEXIST : 0);
	if (err) {
		output_free(&o);
		return;
	}
	assert_int_equal(o.kind, OUTPUT_FILE);
	assert_non_null(o.tmp_path);
	assert_int_equal(fstat(o.fd, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(write(o.fd, text, strlen(text)),
			 (ssize_t)strlen(text));
	assert_int_equal(output_commit(&o), want);
	output_free(&o);
}

static void test_output(void **state)
{
	char link[PATH_MAX + 64], tmpl[] = "/tmp/e2qcow-unit.XXXXXX";
	const char *what;
	struct output o;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	snprintf(dir, sizeof(dir), "%s", tmpl);
	/* New file: committed under its name, nothing else left. */
	write_output("img", false, 0, "first\n");
	expect("img", "first\n");
	assert_int_equal(entries(), 1);
	/* Existing: refused without overwrite, replaced with it. */
	write_output("img", false, EEXIST, "");
	expect("img", "first\n");
	write_output("img", true, 0, "second\n");
	expect("img", "second\n");
	assert_int_equal(entries(), 1);
	/* A link is written through: it stays a link to the new file. */
	put("target", "old\n");
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(symlink("target", link), 0);
	write_output("link", true, 0, "through\n");
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	expect("target", "through\n");
	/* A dangling link makes its target. */
	snprintf(link, sizeof(link), "%s/dangling", dir);
	assert_int_equal(symlink("made", link), 0);
	write_output("dangling", false, 0, "made\n");
	expect("made", "made\n");
	/* Abandoned: the temporary file goes, the target stays. */
	snprintf(link, sizeof(link), "%s/img", dir);
	assert_int_equal(output_open(&o, link, true, &what), 0);
	assert_int_equal(write(o.fd, "x", 1), 1);
	output_free(&o);
	expect("img", "second\n");
	assert_int_equal(entries(), 5);
	snprintf(link, sizeof(link), "rm -rf '%s'", dir);
	assert_int_equal(system(link), 0);
}

/* Pipeline: slot i carries i; consumers take longer on early slots. */
struct pipe_test {
	uint64_t produced, committed, limit, fail_at;
	bool out_of_order;
};

static errcode_t produce(void *ctx, struct pipe_slot *slot)
{
	struct pipe_test *t = ctx;

	if (t->produced == t->limit) {
		slot->end = true;
		return 0;
	}
	slot->off = t->produced++;
	slot->len = 1;
	slot->buf[0] = (uint8_t)slot->off;
	return 0;
}

static errcode_t consume(void *ctx, struct pipe_slot *slot)
{
	struct pipe_test *t = ctx;

	if (slot->off % 3 == 0)
		usleep(200);
	if (slot->buf[0] != (uint8_t)slot->off)
		t->out_of_order = true;
	return slot->off == t->fail_at ? EIO : 0;
}

static errcode_t commit(void *ctx, struct pipe_slot *slot)
{
	struct pipe_test *t = ctx;

	if (slot->off != t->committed)
		t->out_of_order = true;
	t->committed++;
	return 0;
}

static void test_pipeline(void **state)
{
	struct pipe_test t = { .limit = 500, .fail_at = UINT64_MAX };

	(void)state;
	assert_int_equal(
		pipeline_run_ordered(64, 8, 4, produce, consume, commit, &t),
		0);
	assert_false(t.out_of_order);
	assert_int_equal(t.committed, 500);
	/* The first error comes back and nothing after it commits. */
	t = (struct pipe_test){ .limit = 500, .fail_at = 123 };
	assert_int_equal(
		pipeline_run_ordered(64, 8, 4, produce, consume, commit, &t),
		EIO);
	assert_false(t.out_of_order);
	assert_true(t.committed <= 123);
	/* One consumer, no commit step: every slot, once. */
	t = (struct pipe_test){ .limit = 77, .fail_at = UINT64_MAX };
	assert_int_equal(pipeline_run(64, 4, 1, produce, commit, &t), 0);
	assert_int_equal(t.committed, 77);
	assert_false(t.out_of_order);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_capture_record),
		cmocka_unit_test(test_output),
		cmocka_unit_test(test_pipeline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
