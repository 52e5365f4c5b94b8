// SPDX-License-Identifier: GPL-2.0-only
/*
 * When to ask vasd again after a refusal (or when it is absent): 1 s, 2 s,
 * 4 s ... at most 60 s, each with up to half again at random so that the
 * clients refused together do not come back together.
 */
#include "internal.h"

#define BACKOFF_FIRST_USEC (1000 * 1000ULL)
#define BACKOFF_MAX_USEC (60 * 1000 * 1000ULL)

uint64_t vasclient_backoff_usec(unsigned int n, uint64_t random)
{
	uint64_t d = BACKOFF_FIRST_USEC;

	while (n-- > 1 && d < BACKOFF_MAX_USEC)
		d *= 2;
	if (d > BACKOFF_MAX_USEC)
		d = BACKOFF_MAX_USEC;
	return d + random % (d / 2 + 1);
}
