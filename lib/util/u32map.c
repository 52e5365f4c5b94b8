// SPDX-License-Identifier: GPL-2.0-only
/* u32map: see u32map.h. */
#include <errno.h>
#include <stdlib.h>

#include "util/u32map.h"

#define MIN_BITS 4

static size_t home(uint32_t key, unsigned int bits)
{
	return (uint32_t)(key * 2654435769u) >> (32 - bits);
}

static size_t mask(const struct u32map *m)
{
	return ((size_t)1 << m->bits) - 1;
}

/* The slot holding key, or the empty slot where it would go. */
static size_t find(const struct u32map *m, uint32_t key)
{
	size_t i = home(key, m->bits);

	while (m->slots[i].value != U32MAP_NONE && m->slots[i].key != key)
		i = (i + 1) & mask(m);
	return i;
}

void u32map_done(struct u32map *m)
{
	free(m->slots);
	*m = (struct u32map) { 0 };
}

uint32_t *u32map_ref(const struct u32map *m, uint32_t key)
{
	size_t i;

	if (!m->slots)
		return NULL;
	i = find(m, key);
	return m->slots[i].value == U32MAP_NONE ? NULL : &m->slots[i].value;
}

uint32_t u32map_get(const struct u32map *m, uint32_t key)
{
	const uint32_t *v = u32map_ref(m, key);

	return v ? *v : U32MAP_NONE;
}

int u32map_reserve(struct u32map *m, size_t n)
{
	unsigned int bits = m->slots ? m->bits : MIN_BITS;
	struct u32map_slot *slots;
	struct u32map old;
	size_t size;

	while (n * 2 > (size_t)1 << bits) {
		/* at most 2^31 keys, so that 2 * n cannot overflow */
		if (bits >= 32 || bits + 1 >= sizeof(size_t) * 8)
			return -ENOMEM;
		bits++;
	}
	if (m->slots && bits == m->bits)
		return 0;

	size = (size_t)1 << bits;
	slots = malloc(size * sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < size; i++)
		slots[i].value = U32MAP_NONE;

	old = *m;
	m->slots = slots;
	m->bits = bits;
	if (old.slots) {
		for (size_t i = 0; i <= mask(&old); i++)
			if (old.slots[i].value != U32MAP_NONE)
				m->slots[find(m, old.slots[i].key)] =
					old.slots[i];
		free(old.slots);
	}
	return 0;
}

int u32map_put(struct u32map *m, uint32_t key, uint32_t value)
{
	size_t i;
	int r;

	if (value == U32MAP_NONE)
		return -EINVAL;
	r = u32map_reserve(m, m->n + 1);
	if (r < 0)
		return r;
	i = find(m, key);
	if (m->slots[i].value == U32MAP_NONE)
		m->n++;
	m->slots[i] = (struct u32map_slot) { key, value };
	return 0;
}

uint32_t u32map_remove(struct u32map *m, uint32_t key)
{
	size_t hole, msk;
	uint32_t value;

	if (!m->slots)
		return U32MAP_NONE;
	msk = mask(m);
	hole = find(m, key);
	value = m->slots[hole].value;
	if (value == U32MAP_NONE)
		return U32MAP_NONE;

	/*
	 * Backward shift: move each following entry of the probe run into
	 * the hole unless its home slot lies cyclically in (hole, j], where
	 * a lookup would no longer reach it.
	 */
	for (size_t j = (hole + 1) & msk; m->slots[j].value != U32MAP_NONE;
	     j = (j + 1) & msk) {
		size_t h = home(m->slots[j].key, m->bits);

		if (((j - h) & msk) >= ((j - hole) & msk)) {
			m->slots[hole] = m->slots[j];
			hole = j;
		}
	}
	m->slots[hole].value = U32MAP_NONE;
	m->n--;
	return value;
}
