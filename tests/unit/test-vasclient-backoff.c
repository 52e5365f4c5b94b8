// SPDX-License-Identifier: GPL-2.0-only
/* libvasclient's backoff: 1 s doubling to 60 s, plus up to half at random. */
#include <stdint.h>

#include "internal.h"
#include "test.h"

#define SEC 1000000ULL

int main(void)
{
	/* no jitter: the base */
	ASSERT_UINT_EQ(vasclient_backoff_usec(1, 0), 1 * SEC);
	ASSERT_UINT_EQ(vasclient_backoff_usec(2, 0), 2 * SEC);
	ASSERT_UINT_EQ(vasclient_backoff_usec(3, 0), 4 * SEC);
	ASSERT_UINT_EQ(vasclient_backoff_usec(6, 0), 32 * SEC);
	/* 64 s is past the cap */
	ASSERT_UINT_EQ(vasclient_backoff_usec(7, 0), 60 * SEC);
	ASSERT_UINT_EQ(vasclient_backoff_usec(4000000000u, 0), 60 * SEC);
	/* the jitter: at most half again, whatever the random value */
	ASSERT_UINT_EQ(vasclient_backoff_usec(1, SEC / 2), SEC + SEC / 2);
	ASSERT_UINT_EQ(vasclient_backoff_usec(1, SEC / 2 + 1), SEC);
	for (uint64_t r = 1; r; r <<= 1) {
		ASSERT(vasclient_backoff_usec(2, r) >= 2 * SEC);
		ASSERT(vasclient_backoff_usec(2, r) <= 3 * SEC);
		ASSERT(vasclient_backoff_usec(9, r - 1) <= 90 * SEC);
	}
	return 0;
}
