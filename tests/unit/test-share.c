// SPDX-License-Identifier: GPL-2.0-only
/*
 * share: a user's bucket admits while not empty, is charged what a call
 * took, refills at the rate up to the burst, says how long to wait, owes
 * at most one burst; users are apart; the least recent is forgotten.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/share.h"
#include "test.h"

#define MS 1000000ULL
#define SEC 1000000000ULL

static struct share_table *table(unsigned int max_uids)
{
	struct share_config c = {
		.burst = 500 * MS,		/* 0.5 s of vasd's time */
		.rate_per_sec = 250 * MS,	/* a quarter of a core */
		.max_uids = max_uids,
	};
	struct share_table *t = NULL;

	ASSERT_INT_EQ(share_table_new(&c, &t), 0);
	return t;
}

static void test_bucket(void)
{
	struct share_table *t = table(8);
	uint64_t now = 10 * SEC, wait = 0;

	/* a new user may start; 0.5 s of calls empty the bucket */
	ASSERT(share_admit(t, 1000, now, NULL));
	share_charge(t, 1000, now, 300 * MS);
	ASSERT(share_admit(t, 1000, now, NULL));
	share_charge(t, 1000, now, 300 * MS);	/* -100 ms */
	ASSERT(!share_admit(t, 1000, now, &wait));
	/* 100 ms owed at 250 ms/s: 0.4 s */
	ASSERT(wait >= 400 * MS && wait <= 401 * MS);
	ASSERT(!share_admit(t, 1000, now + 399 * MS, NULL));
	ASSERT(share_admit(t, 1000, now + 401 * MS, NULL));

	/* another user is not affected */
	ASSERT(share_admit(t, 1001, now, NULL));

	/* the refill stops at the burst: after an hour, 0.5 s, not more */
	now += 3600 * SEC;
	share_charge(t, 1000, now, 499 * MS);
	ASSERT(share_admit(t, 1000, now, NULL));
	share_charge(t, 1000, now, 2 * MS);
	ASSERT(!share_admit(t, 1000, now, NULL));

	/* a single huge call owes one burst at most: 2 s to wait, not an hour */
	share_charge(t, 1001, now, 3600 * SEC);
	ASSERT(!share_admit(t, 1001, now, &wait));
	ASSERT(wait >= 2 * SEC && wait <= 2 * SEC + MS);
	ASSERT(!share_admit(t, 1001, now + 2 * SEC - MS, NULL));
	ASSERT(share_admit(t, 1001, now + 2 * SEC + MS, NULL));
	share_table_free(t);
}

static void test_forget(void)
{
	struct share_table *t = table(2);
	uint64_t now = SEC;

	share_charge(t, 1, now, 600 * MS);
	ASSERT(!share_admit(t, 1, now, NULL));
	share_charge(t, 2, now, 600 * MS);
	/* 1 was used before 2: a third user takes 1's place */
	ASSERT(!share_admit(t, 2, now, NULL));
	ASSERT(share_admit(t, 3, now, NULL));
	ASSERT(share_admit(t, 1, now, NULL));	/* forgotten: a full bucket */
	share_table_free(t);
}

/* in locks, 10 a second: calls a millisecond apart still refill */
static void test_slow_rate(void)
{
	struct share_config c = { .burst = 20, .rate_per_sec = 10, .max_uids = 4 };
	struct share_table *t = NULL;
	uint64_t now = SEC, taken = 0;

	ASSERT_INT_EQ(share_table_new(&c, &t), 0);
	for (int i = 0; i < 3000; i++, now += MS)	/* 3 s, a try a ms */
		if (share_admit(t, 7, now, NULL)) {
			share_charge(t, 7, now, 1);
			taken++;
		}
	/* the burst, then 10 a second */
	ASSERT(taken >= 20 + 29 && taken <= 20 + 31);
	share_table_free(t);
}

static void test_config(void)
{
	struct share_config c = { .burst = MS, .rate_per_sec = MS, .max_uids = 0 };
	struct share_table *t = NULL;

	ASSERT_INT_EQ(share_table_new(&c, &t), -EINVAL);
}

int main(void)
{
	test_bucket();
	test_forget();
	test_slow_rate();
	test_config();
	return 0;
}
