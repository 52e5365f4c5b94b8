// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>

#include "util/alloc.h"

void *array_grow(void *array, size_t *alloc, size_t n, size_t size)
{
	size_t want;
	void *q;

	if (n < *alloc)
		return array;
	want = *alloc ? *alloc * 2 : 8;
	q = reallocarray(array, want, size);
	if (q)
		*alloc = want;
	return q;
}
