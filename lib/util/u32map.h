/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * u32map: a map from uint32_t keys to uint32_t values, open addressing
 * with linear probing, at most half full, backward-shift deletion (no
 * tombstones). A slot is 8 bytes; the table doubles when needed and never
 * shrinks. Keys are often small and dense (window ids, tgids): Fibonacci
 * hashing takes the top bits of the product, which spreads runs.
 *
 * The value U32MAP_NONE is reserved: it marks an empty slot, and
 * u32map_get() returns it for a missing key.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define U32MAP_NONE UINT32_MAX

struct u32map_slot {
	uint32_t key;
	uint32_t value;			/* U32MAP_NONE: empty */
};

/* All zero is an empty map with no table yet. */
struct u32map {
	struct u32map_slot *slots;
	unsigned int bits;		/* 1 << bits slots, or none */
	size_t n;
};

void u32map_done(struct u32map *m);

/* The value of key, or U32MAP_NONE. */
uint32_t u32map_get(const struct u32map *m, uint32_t key);

/* Where key's value is, to change it in place; NULL if key is missing. */
uint32_t *u32map_ref(const struct u32map *m, uint32_t key);

/*
 * Room for n keys in all, so that as many u32map_put() of new keys cannot
 * fail; -ENOMEM (m untouched) or 0.
 */
int u32map_reserve(struct u32map *m, size_t n);

/*
 * Set key to value (value != U32MAP_NONE), adding the key if it is new;
 * -ENOMEM (m untouched), -EINVAL, or 0.
 */
int u32map_put(struct u32map *m, uint32_t key, uint32_t value);

/* Remove key; returns its value, or U32MAP_NONE if it was not there. */
uint32_t u32map_remove(struct u32map *m, uint32_t key);
