// SPDX-License-Identifier: GPL-2.0-only
/*
 * state: the projection vasd_apply() folds events into. See state.h.
 *
 * Windows live in one dense array; an open-addressing index (linear
 * probing, at most half full, backward-shift deletion so that no
 * tombstones build up) maps a window id to its place there. A window
 * costs its struct in the array plus two to four 8-byte index slots,
 * never a malloc of its own; both arrays double when full and never
 * shrink. The dense array makes iteration and a delete (the last window
 * moves into the hole) cheap, and leaves no id reserved as an "empty"
 * marker.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/state-internal.h"

#define SLOT_EMPTY UINT32_MAX
#define MIN_SLOT_BITS 4

struct slot {
	uint32_t id;
	uint32_t index;			/* into windows[], or SLOT_EMPTY */
};

struct vasd_state {
	struct vas_window *windows;	/* dense, in no order */
	size_t n_windows;
	size_t n_windows_alloc;
	struct slot *slots;
	unsigned int slot_bits;		/* 1 << slot_bits slots */

	/* Per type: the credits; caps[].used is always the active windows. */
	struct vas_caps caps[VASD_N_TYPES];
	bool has_caps[VASD_N_TYPES];
	size_t n_suspended;

	struct vas_migration migration;
	bool has_migration;

	uint64_t generation;
	uint64_t seq;
	bool synced;
};

/* Fibonacci hashing: ids are small and dense, the top bits spread them. */
static size_t slot_hash(uint32_t id, unsigned int bits)
{
	return (uint32_t)(id * 2654435769u) >> (32 - bits);
}

static size_t slot_mask(const struct vasd_state *s)
{
	return ((size_t)1 << s->slot_bits) - 1;
}

/* The slot holding id, or the empty slot where it would go. */
static size_t slot_find(const struct vasd_state *s, uint32_t id)
{
	size_t mask = slot_mask(s);
	size_t i = slot_hash(id, s->slot_bits);

	while (s->slots[i].index != SLOT_EMPTY && s->slots[i].id != id)
		i = (i + 1) & mask;
	return i;
}

static struct slot *slots_new(unsigned int bits)
{
	size_t n = (size_t)1 << bits;
	struct slot *slots = malloc(n * sizeof(*slots));

	if (!slots)
		return NULL;
	for (size_t i = 0; i < n; i++)
		slots[i].index = SLOT_EMPTY;
	return slots;
}

static int slots_grow(struct vasd_state *s)
{
	unsigned int bits = s->slot_bits + 1;
	struct slot *old = s->slots;
	size_t n_old = (size_t)1 << s->slot_bits;

	/* at most 2^31 windows, so that an index fits below SLOT_EMPTY */
	if (bits > 32 || bits >= sizeof(size_t) * 8)
		return -ENOMEM;
	s->slots = slots_new(bits);
	if (!s->slots) {
		s->slots = old;
		return -ENOMEM;
	}
	s->slot_bits = bits;
	for (size_t i = 0; i < n_old; i++)
		if (old[i].index != SLOT_EMPTY)
			s->slots[slot_find(s, old[i].id)] = old[i];
	free(old);
	return 0;
}

/* Room for one more window in both arrays; s is unchanged on failure. */
static int reserve_one(struct vasd_state *s)
{
	int r;

	if (s->n_windows == s->n_windows_alloc) {
		size_t n = s->n_windows_alloc * 2;
		struct vas_window *w;

		w = reallocarray(s->windows, n, sizeof(*w));
		if (!w)
			return -ENOMEM;
		s->windows = w;
		s->n_windows_alloc = n;
	}
	if ((s->n_windows + 1) * 2 > (size_t)1 << s->slot_bits) {
		r = slots_grow(s);
		if (r < 0)
			return r;
	}
	return 0;
}

int vasd_state_new(struct vasd_state **ret)
{
	struct vasd_state *s;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->slot_bits = MIN_SLOT_BITS;
	s->n_windows_alloc = (size_t)1 << (MIN_SLOT_BITS - 1);
	s->slots = slots_new(s->slot_bits);
	s->windows = calloc(s->n_windows_alloc, sizeof(*s->windows));
	if (!s->slots || !s->windows) {
		vasd_state_free(s);
		return -ENOMEM;
	}
	for (uint32_t t = 0; t < VASD_N_TYPES; t++)
		s->caps[t].type = t;
	*ret = s;
	return 0;
}

struct vasd_state *vasd_state_free(struct vasd_state *s)
{
	if (!s)
		return NULL;
	free(s->slots);
	free(s->windows);
	free(s);
	return NULL;
}

uint64_t vasd_state_generation(const struct vasd_state *s)
{
	return s->generation;
}

uint64_t vasd_state_seq(const struct vasd_state *s)
{
	return s->seq;
}

bool vasd_state_synced(const struct vasd_state *s)
{
	return s->synced;
}

size_t vasd_state_n_windows(const struct vasd_state *s)
{
	return s->n_windows;
}

size_t vasd_state_n_windows_in(const struct vasd_state *s, uint32_t win_state)
{
	switch (win_state) {
	case VAS_WIN_STATE_ACTIVE:
		return s->n_windows - s->n_suspended;
	case VAS_WIN_STATE_SUSPENDED:
		return s->n_suspended;
	default:
		return 0;
	}
}

static struct vas_window *window_find(const struct vasd_state *s, uint32_t id)
{
	const struct slot *slot = &s->slots[slot_find(s, id)];

	return slot->index == SLOT_EMPTY ? NULL : &s->windows[slot->index];
}

const struct vas_window *vasd_state_window(const struct vasd_state *s,
					   uint32_t id)
{
	return window_find(s, id);
}

const struct vas_window *vasd_state_next_window(const struct vasd_state *s,
						size_t *cursor)
{
	if (*cursor >= s->n_windows)
		return NULL;
	return &s->windows[(*cursor)++];
}

const struct vas_caps *vasd_state_caps(const struct vasd_state *s,
				       uint32_t type)
{
	if (type >= VASD_N_TYPES || !s->has_caps[type])
		return NULL;
	return &s->caps[type];
}

const struct vas_migration *vasd_state_migration(const struct vasd_state *s)
{
	return s->has_migration ? &s->migration : NULL;
}

uint32_t vasd_state_n_used(const struct vasd_state *s, uint32_t type)
{
	return type < VASD_N_TYPES ? s->caps[type].used : 0;
}

/* Keep the counts that follow from the windows: used credits, suspended. */
static void count_window(struct vasd_state *s, const struct vas_window *w,
			 bool add)
{
	if (w->state != VAS_WIN_STATE_ACTIVE)
		s->n_suspended = add ? s->n_suspended + 1 : s->n_suspended - 1;
	else if (add)
		s->caps[w->type].used++;
	else
		s->caps[w->type].used--;
}

int vasd_window_check(const struct vas_window *w)
{
	if (w->type >= VASD_N_TYPES)
		return -EINVAL;
	switch (w->state) {
	case VAS_WIN_STATE_ACTIVE:
		if (w->reason != VAS_SUSPEND_REASON_NONE)
			return -EINVAL;
		break;
	case VAS_WIN_STATE_SUSPENDED:
		if (w->reason != VAS_SUSPEND_REASON_MIGRATION &&
		    w->reason != VAS_SUSPEND_REASON_CREDITS)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (!memchr(w->comm, '\0', sizeof(w->comm)))
		return -EINVAL;
	return 0;
}

bool vasd_window_same_identity(const struct vas_window *a,
			       const struct vas_window *b)
{
	return a->tgid == b->tgid && a->pid == b->pid &&
	       strcmp(a->comm, b->comm) == 0 && a->cop == b->cop &&
	       a->type == b->type && a->opened_at == b->opened_at;
}

bool vasd_window_equal(const struct vas_window *a, const struct vas_window *b)
{
	return a->id == b->id && a->state == b->state &&
	       a->reason == b->reason && vasd_window_same_identity(a, b);
}

/*
 * -EINVAL for values vasd_window_check() refuses, -EEXIST when the id is
 * present, -ENOMEM; s is unchanged on failure.
 */
int vasd_state_put_window(struct vasd_state *s, const struct vas_window *w)
{
	size_t i;
	int r;

	r = vasd_window_check(w);
	if (r < 0)
		return r;
	if (window_find(s, w->id))
		return -EEXIST;
	r = reserve_one(s);
	if (r < 0)
		return r;

	i = slot_find(s, w->id);
	s->slots[i].id = w->id;
	s->slots[i].index = (uint32_t)s->n_windows;
	s->windows[s->n_windows++] = *w;
	count_window(s, w, true);
	return 0;
}

void vasd_state_del_window(struct vasd_state *s, uint32_t id)
{
	size_t mask = slot_mask(s);
	size_t hole = slot_find(s, id);
	uint32_t index = s->slots[hole].index;
	size_t last = s->n_windows - 1;

	count_window(s, &s->windows[index], false);

	/*
	 * Backward shift: move each following entry of the probe run into
	 * the hole unless its home slot lies cyclically in (hole, j], where
	 * a lookup would no longer reach it.
	 */
	for (size_t j = (hole + 1) & mask; s->slots[j].index != SLOT_EMPTY;
	     j = (j + 1) & mask) {
		size_t home = slot_hash(s->slots[j].id, s->slot_bits);

		if (((j - home) & mask) >= ((j - hole) & mask)) {
			s->slots[hole] = s->slots[j];
			hole = j;
		}
	}
	s->slots[hole].index = SLOT_EMPTY;

	if (index != last) {
		s->windows[index] = s->windows[last];
		s->slots[slot_find(s, s->windows[index].id)].index = index;
	}
	s->n_windows--;
}

void vasd_state_set_window_state(struct vasd_state *s, uint32_t id,
				 uint32_t win_state, uint32_t reason)
{
	struct vas_window *w = window_find(s, id);

	count_window(s, w, false);
	w->state = win_state;
	w->reason = reason;
	count_window(s, w, true);
}

/* Only the total is taken: used follows from the windows (state.h). */
void vasd_state_put_caps(struct vasd_state *s, const struct vas_caps *c)
{
	if (c->type >= VASD_N_TYPES)
		return;
	s->caps[c->type].total = c->total;
	s->has_caps[c->type] = true;
}

void vasd_state_put_migration(struct vasd_state *s,
			      const struct vas_migration *m)
{
	s->migration = *m;
	s->has_migration = true;
}

void vasd_state_put_cursor(struct vasd_state *s, uint64_t generation,
			   uint64_t seq, bool synced)
{
	s->generation = generation;
	s->seq = seq;
	s->synced = synced;
}

bool vasd_state_equal(const struct vasd_state *a, const struct vasd_state *b)
{
	if (a->generation != b->generation || a->seq != b->seq ||
	    a->synced != b->synced)
		return false;

	if (a->has_migration != b->has_migration)
		return false;
	if (a->has_migration &&
	    (a->migration.stream_id != b->migration.stream_id ||
	     a->migration.phase != b->migration.phase ||
	     a->migration.token != b->migration.token))
		return false;

	for (uint32_t t = 0; t < VASD_N_TYPES; t++) {
		if (a->has_caps[t] != b->has_caps[t])
			return false;
		if (a->has_caps[t] && a->caps[t].total != b->caps[t].total)
			return false;
		if (a->caps[t].used != b->caps[t].used)
			return false;
	}

	if (a->n_windows != b->n_windows)
		return false;
	for (size_t i = 0; i < a->n_windows; i++) {
		const struct vas_window *w = window_find(b, a->windows[i].id);

		if (!w || !vasd_window_equal(&a->windows[i], w))
			return false;
	}
	return true;
}
