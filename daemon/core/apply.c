// SPDX-License-Identifier: GPL-2.0-only
/*
 * apply: the fold of one event into the state. See state.h.
 *
 * Every check runs before the first change, so an event either applies
 * whole or leaves the state as it was; the only failure after the checks
 * is -ENOMEM from the window table, which also changes nothing.
 */
#include <errno.h>
#include <string.h>

#include "core/state-internal.h"

/* Values no kernel sends: the event is refused whatever the state. */
static int event_check(const struct vasd_event *ev)
{
	switch (ev->kind) {
	case VASD_EVENT_WINDOW_ADD:
	case VASD_EVENT_WINDOW_DEL:
	case VASD_EVENT_WINDOW_CHANGE:
	case VASD_EVENT_RESYNC_WINDOW_ADD:
	case VASD_EVENT_RESYNC_WINDOW_DEL:
	case VASD_EVENT_RESYNC_WINDOW_CHANGE:
		return vasd_window_check(&ev->window);
	case VASD_EVENT_CAPS_CHANGE:
	case VASD_EVENT_RESYNC_CAPS:
		return ev->caps.type < VASD_N_TYPES ? 0 : -EINVAL;
	case VASD_EVENT_MIGRATION_CHANGE:
	case VASD_EVENT_RESYNC_MIGRATION:
		return ev->migration.phase <= VAS_MIGRATION_PHASE_ABORTED ?
		       0 : -EINVAL;
	case VASD_EVENT_RESYNC_BEGIN:
		return ev->reason < _VASD_RESYNC_REASON_MAX ? 0 : -EINVAL;
	case VASD_EVENT_RESYNC_END:
	case VASD_EVENT_DAEMON_START:
	case VASD_EVENT_DAEMON_STOP:
		return 0;
	default:
		if (!vasd_event_kind_is_coord(ev->kind))
			return -EINVAL;
		if (!vasd_coord_what_valid(ev->kind, ev->coord.what) ||
		    !memchr(ev->coord.comm, 0, sizeof(ev->coord.comm)))
			return -EINVAL;
		return 0;
	}
}

/* Where a kernel event stands against the state's cursor. */
static int cursor_check(const struct vasd_state *s,
			const struct vasd_event *ev)
{
	if (!vasd_state_synced(s) || ev->generation != vasd_state_generation(s))
		return VASD_APPLY_GENERATION;
	if (ev->seq <= vasd_state_seq(s))
		return VASD_APPLY_STALE;
	if (ev->seq - vasd_state_seq(s) != 1)
		return VASD_APPLY_GAP;
	return VASD_APPLY_APPLIED;
}

/* A window change moved a credit: the ledger's caps row follows. */
static void effect_caps(const struct vasd_state *s, uint32_t type,
			struct vasd_effect *e)
{
	const struct vas_caps *c = vasd_state_caps(s, type);

	if (!c)
		return;
	e->what |= VASD_EFFECT_CAPS;
	e->caps = *c;
}

static int window_add(struct vasd_state *s, const struct vas_window *w,
		      struct vasd_effect *e)
{
	int r;

	if (vasd_state_window(s, w->id))
		return VASD_APPLY_INCONSISTENT;
	r = vasd_state_put_window(s, w);
	if (r < 0)
		return r;

	e->what |= VASD_EFFECT_WINDOW_PUT;
	e->window = *w;
	if (w->state == VAS_WIN_STATE_ACTIVE)
		effect_caps(s, w->type, e);
	return VASD_APPLY_APPLIED;
}

/* The kernel sends the window as it was last: anything else was missed. */
static int window_del(struct vasd_state *s, const struct vas_window *w,
		      struct vasd_effect *e)
{
	const struct vas_window *old = vasd_state_window(s, w->id);

	if (!old || !vasd_window_equal(old, w))
		return VASD_APPLY_INCONSISTENT;

	e->what |= VASD_EFFECT_WINDOW_DEL;
	e->window = *old;
	vasd_state_del_window(s, w->id);
	if (w->state == VAS_WIN_STATE_ACTIVE)
		effect_caps(s, w->type, e);
	return VASD_APPLY_APPLIED;
}

/* Only state and reason change: another identity is another window. */
static int window_change(struct vasd_state *s, const struct vas_window *w,
			 struct vasd_effect *e)
{
	const struct vas_window *old = vasd_state_window(s, w->id);
	bool was_active;

	if (!old || !vasd_window_same_identity(old, w))
		return VASD_APPLY_INCONSISTENT;

	was_active = old->state == VAS_WIN_STATE_ACTIVE;
	vasd_state_set_window_state(s, w->id, w->state, w->reason);
	e->what |= VASD_EFFECT_WINDOW_PUT;
	e->window = *vasd_state_window(s, w->id);
	if (was_active != (w->state == VAS_WIN_STATE_ACTIVE))
		effect_caps(s, w->type, e);
	return VASD_APPLY_APPLIED;
}

/*
 * The kernel's used is the number of its listed active windows of the
 * type (kernel/vas-sim.c, vas_sim_caps_get()), counted under the lock
 * that orders the notifications: after the events before it, ours must
 * be the same.
 */
static int caps_put(struct vasd_state *s, const struct vas_caps *c,
		    struct vasd_effect *e)
{
	if (c->used != vasd_state_n_used(s, c->type))
		return VASD_APPLY_INCONSISTENT;

	vasd_state_put_caps(s, c);
	e->what |= VASD_EFFECT_CAPS;
	e->caps = *vasd_state_caps(s, c->type);
	return VASD_APPLY_APPLIED;
}

static int migration_put(struct vasd_state *s, const struct vas_migration *m,
			 struct vasd_effect *e)
{
	vasd_state_put_migration(s, m);
	e->what |= VASD_EFFECT_MIGRATION;
	e->migration = *m;
	return VASD_APPLY_APPLIED;
}

static int cursor_put(struct vasd_state *s, uint64_t generation, uint64_t seq,
		      bool synced, struct vasd_effect *e)
{
	vasd_state_put_cursor(s, generation, seq, synced);
	e->what |= VASD_EFFECT_CURSOR;
	return VASD_APPLY_APPLIED;
}

int vasd_apply(struct vasd_state *s, const struct vasd_event *ev,
	       struct vasd_effect *ret_effect)
{
	struct vasd_effect e = { 0 };
	int r;

	r = event_check(ev);
	if (r < 0)
		return r;
	if (vasd_event_kind_is_kernel(ev->kind)) {
		r = cursor_check(s, ev);
		if (r != VASD_APPLY_APPLIED)
			return r;
	}

	switch (ev->kind) {
	case VASD_EVENT_WINDOW_ADD:
	case VASD_EVENT_RESYNC_WINDOW_ADD:
		r = window_add(s, &ev->window, &e);
		break;
	case VASD_EVENT_WINDOW_DEL:
	case VASD_EVENT_RESYNC_WINDOW_DEL:
		r = window_del(s, &ev->window, &e);
		break;
	case VASD_EVENT_WINDOW_CHANGE:
	case VASD_EVENT_RESYNC_WINDOW_CHANGE:
		r = window_change(s, &ev->window, &e);
		break;
	case VASD_EVENT_CAPS_CHANGE:
	case VASD_EVENT_RESYNC_CAPS:
		r = caps_put(s, &ev->caps, &e);
		break;
	case VASD_EVENT_MIGRATION_CHANGE:
	case VASD_EVENT_RESYNC_MIGRATION:
		r = migration_put(s, &ev->migration, &e);
		break;
	case VASD_EVENT_RESYNC_BEGIN:
		r = cursor_put(s, vasd_state_generation(s), vasd_state_seq(s),
			       false, &e);
		break;
	case VASD_EVENT_RESYNC_END:
		r = cursor_put(s, ev->generation, ev->seq, true, &e);
		break;
	default:
		/* DAEMON_*, the coordinator's: facts of the ledger only */
		r = VASD_APPLY_APPLIED;
		break;
	}
	if (r != VASD_APPLY_APPLIED)
		return r;

	if (vasd_event_kind_is_kernel(ev->kind))
		cursor_put(s, ev->generation, ev->seq, true, &e);
	e.generation = vasd_state_generation(s);
	e.seq = vasd_state_seq(s);
	e.synced = vasd_state_synced(s);
	if (ret_effect)
		*ret_effect = e;
	return VASD_APPLY_APPLIED;
}
