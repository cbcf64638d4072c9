// SPDX-License-Identifier: MIT
/* Unit tests of extmap: sorted, coalesced block runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "extmap.h"

static void test_adjacent_runs_merge(void **state)
{
	struct extmap m;

	(void)state;
	extmap_init(&m);
	assert_int_equal(extmap_add(&m, 10, 5), 0);
	assert_int_equal(extmap_add(&m, 15, 5), 0);
	assert_int_equal(extmap_add(&m, 12, 2), 0); /* inside the last run */
	assert_int_equal(m.n, 1);
	assert_int_equal(m.runs[0].start, 10);
	assert_int_equal(m.runs[0].count, 10);
	extmap_free(&m);
}

static void test_unordered_overlapping_normalize(void **state)
{
	struct extmap m;

	(void)state;
	extmap_init(&m);
	assert_int_equal(extmap_add(&m, 100, 10), 0);
	assert_int_equal(extmap_add(&m, 5, 1), 0);
	assert_int_equal(extmap_add(&m, 105, 20), 0);
	assert_int_equal(extmap_add(&m, 0, 5), 0);
	assert_int_equal(extmap_add(&m, 50, 0), 0); /* empty: ignored */
	assert_false(m.sorted);
	extmap_normalize(&m);
	assert_true(m.sorted);
	assert_int_equal(m.n, 2);
	assert_int_equal(m.runs[0].start, 0);
	assert_int_equal(m.runs[0].count, 6);
	assert_int_equal(m.runs[1].start, 100);
	assert_int_equal(m.runs[1].count, 25);
	assert_int_equal(extmap_total(&m), 31);
	assert_true(extmap_contains(&m, 5));
	assert_false(extmap_contains(&m, 6));
	assert_true(extmap_contains(&m, 124));
	assert_false(extmap_contains(&m, 125));
	extmap_free(&m);
}

/* Many runs force reallocation; order is decided before it (ASan). */
static void test_many_runs_grow(void **state)
{
	struct extmap m;

	(void)state;
	extmap_init(&m);
	for (uint64_t i = 0; i < 5000; i++)
		assert_int_equal(extmap_add(&m, (5000 - i) * 3, 1), 0);
	assert_false(m.sorted);
	extmap_normalize(&m);
	assert_int_equal(m.n, 5000);
	assert_int_equal(m.runs[0].start, 3);
	assert_int_equal(extmap_total(&m), 5000);
	extmap_free(&m);
}

static void test_overflow_rejected(void **state)
{
	struct extmap m;

	(void)state;
	extmap_init(&m);
	assert_int_not_equal(extmap_add(&m, UINT64_MAX - 1, 5), 0);
	assert_int_equal(m.n, 0);
	extmap_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adjacent_runs_merge),
		cmocka_unit_test(test_unordered_overlapping_normalize),
		cmocka_unit_test(test_many_runs_grow),
		cmocka_unit_test(test_overflow_rejected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
