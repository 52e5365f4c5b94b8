// SPDX-License-Identifier: GPL-2.0-only
/* retention_keep_from(): by size, by age, and what it never lets go. */
#include "core/retention.h"
#include "test.h"

#define MIB (INT64_C(1) << 20)

static int64_t keep(int64_t max_use, uint64_t max_age, int64_t used,
		    int64_t first, int64_t last, int64_t young, int64_t open)
{
	struct retention_limits lim = { .max_use = max_use, .max_age = max_age };
	struct retention_view v = {
		.used_bytes = used, .first = first, .last = last,
		.young_from = young, .open_migration = open,
	};

	return retention_keep_from(&lim, &v);
}

static void test_size(void)
{
	/* under the bound, or no bound: nothing */
	ASSERT_INT_EQ(keep(64 * MIB, 0, 64 * MIB, 1, 1000, 0, 0), 1);
	ASSERT_INT_EQ(keep(0, 0, 640 * MIB, 1, 1000, 0, 0), 1);
	/* 100 MiB in 1000 events over a 64 MiB bound: down to 48 MiB, 521 go (52 MiB at 104857 bytes each, rounded up) */
	ASSERT_INT_EQ(keep(64 * MIB, 0, 100 * MIB, 1, 1000, 0, 0), 1 + 521);
	/* from wherever the history starts */
	ASSERT_INT_EQ(keep(64 * MIB, 0, 100 * MIB, 5001, 6000, 0, 0), 5001 + 521);
	/* just over: at least one goes */
	ASSERT_INT_EQ(keep(64 * MIB, 0, 64 * MIB + 1, 1, 1000, 0, 0) > 1, 1);
	/* more than the events are worth (the archive, the projection): all but the newest */
	ASSERT_INT_EQ(keep(1 * MIB, 0, 100 * MIB, 1, 10, 0, 0), 10);
}

static void test_age(void)
{
	/* the old ones go, whatever the size */
	ASSERT_INT_EQ(keep(0, 1, 10, 1, 1000, 400, 0), 400);
	ASSERT_INT_EQ(keep(64 * MIB, 1, 1 * MIB, 1, 1000, 400, 0), 400);
	/* the larger of the two */
	ASSERT_INT_EQ(keep(64 * MIB, 1, 100 * MIB, 1, 1000, 400, 0), 522);
	ASSERT_INT_EQ(keep(64 * MIB, 1, 100 * MIB, 1, 1000, 900, 0), 900);
	/* none young enough: all but the newest */
	ASSERT_INT_EQ(keep(0, 1, 10, 1, 1000, 1001, 0), 1000);
	/* no age bound: young_from means nothing */
	ASSERT_INT_EQ(keep(0, 0, 10, 1, 1000, 900, 0), 1);
}

static void test_never(void)
{
	/* an open migration from two before its open on */
	ASSERT_INT_EQ(keep(0, 1, 10, 1, 1000, 1001, 300), 298);
	ASSERT_INT_EQ(keep(64 * MIB, 0, 100 * MIB, 1, 1000, 0, 100), 98);
	/* an open at the very start: nothing */
	ASSERT_INT_EQ(keep(0, 1, 10, 1, 1000, 1001, 2), 1);
	/* one event, or none */
	ASSERT_INT_EQ(keep(1, 1, 100 * MIB, 7, 7, 8, 0), 7);
	ASSERT_INT_EQ(keep(1, 1, 100 * MIB, 0, 0, 1, 0), 0);
}

int main(void)
{
	test_size();
	test_age();
	test_never();
	return 0;
}
