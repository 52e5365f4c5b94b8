// SPDX-License-Identifier: GPL-2.0-only
/*
 * reconcile: the resync events that turn the state into what the kernel's
 * dumps show. See state.h.
 *
 * Both sides are walked in ascending id, so the events come out in one
 * order for a given state and snapshot, whatever order the dump or the
 * window table had: deletes first (an id the kernel reused is free again
 * before it is added), then adds and changes, then credits (whose used
 * count is right only once the windows are), then the migration.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/state-internal.h"
#include "util/alloc.h"

static int window_cmp(const void *a, const void *b)
{
	const struct vas_window *x = *(const struct vas_window *const *)a;
	const struct vas_window *y = *(const struct vas_window *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static const struct vas_window **windows_sorted(const struct vas_window *w,
						size_t n)
{
	const struct vas_window **v = malloc((n ? n : 1) * sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		v[i] = &w[i];
	qsort(v, n, sizeof(*v), window_cmp);
	return v;
}

static const struct vas_window **
state_windows_sorted(const struct vasd_state *s)
{
	size_t n = vasd_state_n_windows(s), cursor = 0;
	const struct vas_window **v = malloc((n ? n : 1) * sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		v[i] = vasd_state_next_window(s, &cursor);
	qsort(v, n, sizeof(*v), window_cmp);
	return v;
}

/*
 * What vasd_apply() would refuse, refused up front so that a resync never
 * stops half way: values no kernel sends, an id twice, credits whose used
 * count is not the snapshot's active windows (dumps from different seqs).
 */
static int snapshot_check(const struct vasd_snapshot *snap,
			  const struct vas_window *const *sorted)
{
	uint32_t used[VASD_N_TYPES] = { 0 };

	for (size_t i = 0; i < snap->n_windows; i++) {
		if (vasd_window_check(sorted[i]) < 0)
			return -EINVAL;
		if (i > 0 && sorted[i - 1]->id == sorted[i]->id)
			return -EINVAL;
		if (sorted[i]->state == VAS_WIN_STATE_ACTIVE)
			used[sorted[i]->type]++;
	}
	for (uint32_t t = 0; t < VASD_N_TYPES; t++)
		if (snap->has_caps[t] &&
		    (snap->caps[t].type != t || snap->caps[t].used != used[t]))
			return -EINVAL;
	if (snap->has_migration &&
	    snap->migration.phase > VAS_MIGRATION_PHASE_ABORTED)
		return -EINVAL;
	return 0;
}

static struct vasd_event *event_add(struct vasd_event *events, size_t *n,
				    int kind, uint64_t now)
{
	struct vasd_event *ev = &events[(*n)++];

	*ev = (struct vasd_event) {
		.kind = kind,
		.timestamp = now,
		.recorded = now,
	};
	return ev;
}

int vasd_reconcile(const struct vasd_state *s, const struct vasd_snapshot *snap,
		   const struct vasd_event *begin, uint64_t now,
		   struct vasd_event **ret_events, size_t *ret_n)
{
	_cleanup_(freep) const struct vas_window **have = NULL;
	_cleanup_(freep) const struct vas_window **want = NULL;
	_cleanup_(freep) struct vasd_event *events = NULL;
	size_t n_have = vasd_state_n_windows(s), n_want = snap->n_windows;
	const struct vas_migration *m;
	struct vasd_event *ev;
	size_t n = 0, i, j;
	int r;

	if (begin->reason >= _VASD_RESYNC_REASON_MAX)
		return -EINVAL;
	want = windows_sorted(snap->windows, n_want);
	if (!want)
		return -ENOMEM;
	r = snapshot_check(snap, want);
	if (r < 0)
		return r;
	have = state_windows_sorted(s);
	if (!have)
		return -ENOMEM;
	/* begin, a delete per old window, an add or change per new one,
	 * credits, migration, end */
	events = calloc(1 + n_have + n_want + VASD_N_TYPES + 1 + 1,
			sizeof(*events));
	if (!events)
		return -ENOMEM;

	ev = event_add(events, &n, VASD_EVENT_RESYNC_BEGIN, now);
	ev->reason = begin->reason;
	ev->generation = begin->generation;
	ev->seq = begin->seq;
	ev->lost_from = begin->lost_from;

	for (i = 0, j = 0; i < n_have; i++) {
		while (j < n_want && want[j]->id < have[i]->id)
			j++;
		if (j < n_want && want[j]->id == have[i]->id &&
		    vasd_window_same_identity(have[i], want[j]))
			continue;
		ev = event_add(events, &n, VASD_EVENT_RESYNC_WINDOW_DEL, now);
		ev->window = *have[i];
	}

	for (i = 0, j = 0; j < n_want; j++) {
		while (i < n_have && have[i]->id < want[j]->id)
			i++;
		if (i < n_have && have[i]->id == want[j]->id &&
		    vasd_window_same_identity(have[i], want[j])) {
			if (have[i]->state == want[j]->state &&
			    have[i]->reason == want[j]->reason)
				continue;
			ev = event_add(events, &n,
				       VASD_EVENT_RESYNC_WINDOW_CHANGE, now);
		} else {
			ev = event_add(events, &n, VASD_EVENT_RESYNC_WINDOW_ADD,
				       now);
		}
		ev->window = *want[j];
	}

	/* A type the snapshot lacks keeps its total: no event removes credits. */
	for (uint32_t t = 0; t < VASD_N_TYPES; t++) {
		const struct vas_caps *c = vasd_state_caps(s, t);

		if (!snap->has_caps[t] || (c && c->total == snap->caps[t].total))
			continue;
		ev = event_add(events, &n, VASD_EVENT_RESYNC_CAPS, now);
		ev->caps = snap->caps[t];
	}

	m = vasd_state_migration(s);
	if (snap->has_migration &&
	    (!m || m->stream_id != snap->migration.stream_id ||
	     m->phase != snap->migration.phase ||
	     m->token != snap->migration.token)) {
		ev = event_add(events, &n, VASD_EVENT_RESYNC_MIGRATION, now);
		ev->migration = snap->migration;
	}

	ev = event_add(events, &n, VASD_EVENT_RESYNC_END, now);
	ev->generation = snap->generation;
	ev->seq = snap->seq;

	*ret_events = events;
	events = NULL;
	*ret_n = n;
	return 0;
}
