/* SPDX-License-Identifier: GPL-2.0-only */
/* Memory helpers every part uses. */
#pragma once

#include <stddef.h>
#include <stdlib.h>

/* For _cleanup_(freep) of what malloc() returned. */
static inline void freep(void *p)
{
	free(*(void **)p);
}

/*
 * array (alloc elements of size, n used) with room for one more: array
 * itself, or its larger copy (doubling, from 8); NULL on -ENOMEM, array
 * and *alloc untouched then.
 */
void *array_grow(void *array, size_t *alloc, size_t n, size_t size);
