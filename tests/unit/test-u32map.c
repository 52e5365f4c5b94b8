// SPDX-License-Identifier: GPL-2.0-only
/*
 * u32map against a plain array of what it should hold, through inserts,
 * replacements and removals in runs and scattered, so that probe runs wrap
 * around the table's end and backward shifts cross it; and array_grow().
 */
#include <errno.h>
#include <stdint.h>

#include "util/alloc.h"
#include "util/u32map.h"
#include "test.h"

#define N 20000

static uint32_t truth[N];		/* key k's value, or U32MAP_NONE */

static uint32_t key_of(size_t i)
{
	/* dense runs and keys far apart share one table */
	return i % 3 ? (uint32_t)i : (uint32_t)(i * 2654435761u);
}

static void check_all(const struct u32map *m)
{
	size_t n = 0;

	for (size_t i = 0; i < N; i++) {
		ASSERT_UINT_EQ(u32map_get(m, key_of(i)), truth[i]);
		n += truth[i] != U32MAP_NONE;
	}
	ASSERT_UINT_EQ(m->n, n);
	/* at most half full */
	ASSERT(m->n * 2 <= (size_t)1 << m->bits);
}

static void test_against_truth(void)
{
	struct u32map m = { 0 };
	uint32_t rnd = 1;

	ASSERT_UINT_EQ(u32map_get(&m, 7), U32MAP_NONE);
	ASSERT_NULL(u32map_ref(&m, 7));
	ASSERT_UINT_EQ(u32map_remove(&m, 7), U32MAP_NONE);
	ASSERT_INT_EQ(u32map_put(&m, 7, U32MAP_NONE), -EINVAL);

	for (size_t i = 0; i < N; i++)
		truth[i] = U32MAP_NONE;
	for (size_t i = 0; i < N; i++) {
		ASSERT_INT_EQ(u32map_put(&m, key_of(i), (uint32_t)i), 0);
		truth[i] = (uint32_t)i;
	}
	check_all(&m);

	/* replace in place: the count stays */
	for (size_t i = 0; i < N; i += 7) {
		ASSERT_INT_EQ(u32map_put(&m, key_of(i), (uint32_t)i + 1), 0);
		truth[i] = (uint32_t)i + 1;
	}
	*u32map_ref(&m, key_of(5)) = 99;
	truth[5] = 99;
	check_all(&m);

	/* remove two thirds, scattered, then put some back */
	for (size_t k = 0; k < 3 * N; k++) {
		size_t i;

		rnd = rnd * 1103515245u + 12345u;
		i = (rnd >> 8) % N;
		if (k % 3 == 2) {
			ASSERT_INT_EQ(u32map_put(&m, key_of(i), 42), 0);
			truth[i] = 42;
		} else {
			ASSERT_UINT_EQ(u32map_remove(&m, key_of(i)), truth[i]);
			truth[i] = U32MAP_NONE;
		}
	}
	check_all(&m);
	u32map_done(&m);
	ASSERT_NULL(m.slots);
	ASSERT_UINT_EQ(m.n, 0);
}

static void test_reserve(void)
{
	struct u32map m = { 0 };
	unsigned int bits;

	ASSERT_INT_EQ(u32map_reserve(&m, 1000), 0);
	bits = m.bits;
	ASSERT(1000 * 2 <= (size_t)1 << bits);
	for (uint32_t k = 0; k < 1000; k++)
		ASSERT_INT_EQ(u32map_put(&m, k, k), 0);
	/* nothing moved: the reservation held */
	ASSERT_UINT_EQ(m.bits, bits);
	ASSERT_INT_EQ(u32map_reserve(&m, (size_t)1 << 40), -ENOMEM);
	ASSERT_UINT_EQ(m.bits, bits);
	ASSERT_UINT_EQ(u32map_get(&m, 999), 999);
	u32map_done(&m);
}

static void test_array_grow(void)
{
	size_t alloc = 0, n;
	int *a = NULL;

	for (n = 0; n < 1000; n++) {
		int *b = array_grow(a, &alloc, n, sizeof(*a));

		ASSERT(b);
		ASSERT(alloc > n);
		a = b;
		a[n] = (int)n;
	}
	ASSERT_UINT_EQ(alloc, 1024);
	for (n = 0; n < 1000; n++)
		ASSERT_INT_EQ(a[n], (int)n);
	/* room left: the same array */
	ASSERT(array_grow(a, &alloc, 1000, sizeof(*a)) == a);
	free(a);
}

int main(void)
{
	test_against_truth();
	test_reserve();
	test_array_grow();
	return 0;
}
