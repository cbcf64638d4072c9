// SPDX-License-Identifier: MIT
/*
 * test_scrub_names.c --- the name table and generator scrubbing relies
 * on: replacements are remembered per original, never reused, survive
 * the table growing, and come out the same for the same seed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fsread_scrub_int.h"

static void test_map_and_used(void **state)
{
	struct scrub_names *n = fsread_scrub_names_new();
	const uint8_t *r;

	(void)state;
	assert_non_null(n);
	assert_null(fsread_scrub_names_lookup(n, (const uint8_t *)"secret", 6));
	assert_true(fsread_scrub_names_add(n, (const uint8_t *)"secret",
					   (const uint8_t *)"abc123", 6));
	r = fsread_scrub_names_lookup(n, (const uint8_t *)"secret", 6);
	assert_non_null(r);
	assert_memory_equal(r, "abc123", 6);
	assert_true(fsread_scrub_names_used(n, (const uint8_t *)"abc123", 6));
	/* The original itself is not taken: only replacements are. */
	assert_false(fsread_scrub_names_used(n, (const uint8_t *)"secret", 6));
	/* Same bytes, other length: another name. */
	assert_null(fsread_scrub_names_lookup(n, (const uint8_t *)"secret", 5));
	assert_true(fsread_scrub_names_reserve(n, (const uint8_t *)"lost+found",
					       10));
	assert_true(
		fsread_scrub_names_used(n, (const uint8_t *)"lost+found", 10));
	assert_null(fsread_scrub_names_lookup(n, (const uint8_t *)"lost+found",
					      10));
	fsread_scrub_names_free(n);
}

/* Thousands of entries: the table grows many times, nothing is lost. */
static void test_growth(void **state)
{
	struct scrub_names *n = fsread_scrub_names_new();
	char orig[16], repl[16];

	(void)state;
	for (int i = 0; i < 5000; i++) {
		snprintf(orig, sizeof(orig), "o%07d", i);
		snprintf(repl, sizeof(repl), "r%07d", i);
		assert_true(fsread_scrub_names_add(n, (uint8_t *)orig,
						   (uint8_t *)repl, 8));
	}
	for (int i = 0; i < 5000; i++) {
		const uint8_t *r;

		snprintf(orig, sizeof(orig), "o%07d", i);
		snprintf(repl, sizeof(repl), "r%07d", i);
		r = fsread_scrub_names_lookup(n, (uint8_t *)orig, 8);
		assert_non_null(r);
		assert_memory_equal(r, repl, 8);
		assert_true(fsread_scrub_names_used(n, (uint8_t *)repl, 8));
	}
	fsread_scrub_names_free(n);
}

static bool in_set(uint8_t c, const char *set)
{
	return c && strchr(set, c);
}

/* Deterministic for a seed, different for another, narrow set only. */
static void test_generator(void **state)
{
	uint8_t a[40], b[40], c[40];
	uint64_t ca = 0, cb = 0, cc = 0;

	(void)state;
	fsread_scrub_gen_chars(12, &ca, a, sizeof(a), false);
	fsread_scrub_gen_chars(12, &cb, b, sizeof(b), false);
	fsread_scrub_gen_chars(13, &cc, c, sizeof(c), false);
	assert_memory_equal(a, b, sizeof(a));
	assert_memory_not_equal(a, c, sizeof(a));
	assert_int_equal(ca, cb);
	for (size_t i = 0; i < sizeof(a); i++)
		assert_true(
			in_set(a[i], "abcdefghijklmnopqrstuvwxyz0123456789"));
	/* The next draw differs from the first. */
	fsread_scrub_gen_chars(12, &ca, b, sizeof(b), false);
	assert_memory_not_equal(a, b, sizeof(a));
}

/* All 36 one-character names come out of the narrow set eventually. */
static void test_short_names_cover(void **state)
{
	bool seen[256] = { false };
	uint64_t counter = 0;
	unsigned distinct = 0;

	(void)state;
	for (int i = 0; i < 4096; i++) {
		uint8_t ch;

		fsread_scrub_gen_chars(99, &counter, &ch, 1, false);
		if (!seen[ch]) {
			seen[ch] = true;
			distinct++;
		}
	}
	assert_int_equal(distinct, 36);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_and_used),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_generator),
		cmocka_unit_test(test_short_names_cover),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
