// SPDX-License-Identifier: GPL-2.0-only
/*
 * state: the projection vasd_apply() folds events into. See state.h.
 *
 * Windows live in one dense array; a u32map (util/u32map.h: open
 * addressing, at most half full, no tombstones) maps a window id to its
 * place there. A window costs its struct in the array plus two to four
 * 8-byte index slots, never a malloc of its own; both arrays double when
 * full and never shrink. The dense array makes iteration and a delete (the last window
 * moves into the hole) cheap, and leaves no id reserved as an "empty"
 * marker.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/state-internal.h"
#include "util/u32map.h"

#define MIN_WINDOWS 8

struct vasd_state {
	struct vas_window *windows;	/* dense, in no order */
	size_t n_windows;
	size_t n_windows_alloc;
	struct u32map index;		/* id -> place in windows[] */

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
	/* at most 2^31 windows, so that an index is never U32MAP_NONE */
	r = u32map_reserve(&s->index, s->n_windows + 1);
	if (r < 0)
		return r;
	return 0;
}

int vasd_state_new(struct vasd_state **ret)
{
	struct vasd_state *s;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->n_windows_alloc = MIN_WINDOWS;
	s->windows = calloc(s->n_windows_alloc, sizeof(*s->windows));
	if (!s->windows || u32map_reserve(&s->index, MIN_WINDOWS) < 0) {
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
	u32map_done(&s->index);
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
	uint32_t i = u32map_get(&s->index, id);

	return i == U32MAP_NONE ? NULL : &s->windows[i];
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
	       a->type == b->type && a->opened_at == b->opened_at &&
	       a->uid == b->uid;
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
	int r;

	r = vasd_window_check(w);
	if (r < 0)
		return r;
	if (window_find(s, w->id))
		return -EEXIST;
	r = reserve_one(s);
	if (r < 0)
		return r;

	/* cannot fail: reserved */
	u32map_put(&s->index, w->id, (uint32_t)s->n_windows);
	s->windows[s->n_windows++] = *w;
	count_window(s, w, true);
	return 0;
}

void vasd_state_del_window(struct vasd_state *s, uint32_t id)
{
	uint32_t index = u32map_remove(&s->index, id);
	size_t last = s->n_windows - 1;

	count_window(s, &s->windows[index], false);
	if (index != last) {
		s->windows[index] = s->windows[last];
		*u32map_ref(&s->index, s->windows[index].id) = index;
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
