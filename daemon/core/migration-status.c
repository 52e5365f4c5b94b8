// SPDX-License-Identifier: GPL-2.0-only
/*
 * migration-status: one migration's record, folded from the ledger's
 * events. See migration-status.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/migration-status.h"
#include "util/alloc.h"

int migration_status_init(struct migration_status *s, uint64_t id,
			  int64_t open_position)
{
	*s = (struct migration_status) { .id = id, .open_position = open_position };
	return migration_report_new(&s->so_far);
}

void migration_status_done(struct migration_status *s)
{
	free(s->hooks.v);
	free(s->vetoes.v);
	free(s->acks.v);
	free(s->anomalies.v);
	free(s->uncoordinated.v);
	free(s->errors.v);
	free(s->clients.v);
	free(s->locks);
	migration_report_free(s->so_far);
	*s = (struct migration_status) { .id = 0 };
}

static int events_add(struct migration_events *e, const struct vasd_event *ev)
{
	struct vasd_event *v = array_grow(e->v, &e->n_alloc, e->n, sizeof(*v));

	if (!v)
		return -ENOMEM;
	e->v = v;
	e->v[e->n++] = *ev;
	return 0;
}

static struct migration_asked_lock *lock_find(struct migration_status *s,
					      uint64_t lock)
{
	for (size_t i = 0; i < s->n_locks; i++)
		if (s->locks[i].holder.lock == lock)
			return &s->locks[i];
	return NULL;
}

static int fold_lock(struct migration_status *s, const struct vasd_event *ev)
{
	struct migration_asked_lock *l = lock_find(s, ev->coord.lock);

	if (!l) {
		l = array_grow(s->locks, &s->n_locks_alloc, s->n_locks, sizeof(*l));
		if (!l)
			return -ENOMEM;
		s->locks = l;
		/* asked before the records of this vasd: since says when */
		s->locks[s->n_locks] = (struct migration_asked_lock) {
			.holder = ev->coord,
			.asked = ev->kind == VASD_EVENT_MIGRATION_ASKED ?
				 ev->timestamp : ev->coord.since,
		};
		l = &s->locks[s->n_locks++];
	}
	if (ev->kind == VASD_EVENT_MIGRATION_TIMEOUT)
		l->timed_out = ev->timestamp;
	else if (ev->kind == VASD_EVENT_INHIBITOR_RELEASE)
		l->released = ev->timestamp;
	return 0;
}

int migration_status_event(struct migration_status *s,
			   const struct vasd_event *ev)
{
	bool ours = vasd_event_kind_is_coord(ev->kind) &&
		    ev->coord.migration == s->id;

	if (ev->position < s->open_position)
		return !ours ? 0 :
		       ev->kind == VASD_EVENT_MIGRATION_HOOK ? events_add(&s->hooks, ev) :
		       ev->kind == VASD_EVENT_MIGRATION_UNCOORDINATED ?
		       events_add(&s->uncoordinated, ev) : 0;
	/* the next migration: what follows is its own */
	if (ev->kind == VASD_EVENT_MIGRATION_OPEN && !ours)
		return 1;
	if (!s->closed) {
		int r = migration_report_event(s->so_far, ev);

		if (r < 0)
			return r;
	}
	if (!ours)
		return 0;

	switch (ev->kind) {
	case VASD_EVENT_MIGRATION_OPEN:
		s->opened = true;
		s->open = *ev;
		return 0;
	case VASD_EVENT_MIGRATION_HOOK:
		return events_add(&s->hooks, ev);
	case VASD_EVENT_MIGRATION_VETO:
		return events_add(&s->vetoes, ev);
	case VASD_EVENT_MIGRATION_ASKED:
	case VASD_EVENT_MIGRATION_TIMEOUT:
	case VASD_EVENT_INHIBITOR_RELEASE:
		return fold_lock(s, ev);
	case VASD_EVENT_MIGRATION_QUIESCED:
		s->quiesced = true;
		s->quiesce = *ev;
		return 0;
	case VASD_EVENT_MIGRATION_ACK:
		return events_add(&s->acks, ev);
	case VASD_EVENT_MIGRATION_ANOMALY:
		return events_add(&s->anomalies, ev);
	case VASD_EVENT_MIGRATION_UNCOORDINATED:
		return events_add(&s->uncoordinated, ev);
	case VASD_EVENT_MIGRATION_ERROR:
		return events_add(&s->errors, ev);
	case VASD_EVENT_MIGRATION_BLACKOUT:
		s->blackout = true;
		s->total = *ev;
		return 0;
	case VASD_EVENT_MIGRATION_CLIENT_BLACKOUT:
		return events_add(&s->clients, ev);
	case VASD_EVENT_MIGRATION_CLOSE:
		s->closed = true;
		s->close = *ev;
		return 0;
	default:
		return 0;
	}
}

/* A blackout record: since the first suspended, total suspended, count resumed. */
static struct migration_blackout blackout_of(const struct vasd_event *ev)
{
	return (struct migration_blackout) {
		.first_suspended = ev->coord.since,
		.last_resumed = ev->timestamp,
		.suspended = ev->coord.total,
		.resumed = ev->coord.count,
	};
}

bool migration_status_blackout(const struct migration_status *s,
			       struct migration_blackout *ret)
{
	if (!s->closed) {
		*ret = *migration_report_total(s->so_far);
		return ret->suspended > 0;
	}
	*ret = s->blackout ? blackout_of(&s->total) :
		(struct migration_blackout) { .suspended = 0 };
	return s->blackout;
}

size_t migration_status_n_clients(const struct migration_status *s)
{
	return s->closed ? s->clients.n : migration_report_n_clients(s->so_far);
}

struct migration_client migration_status_client(const struct migration_status *s,
						size_t i)
{
	struct migration_client c = { .tgid = 0 };
	const struct vasd_event *ev;

	if (!s->closed)
		return *migration_report_client(s->so_far, i);
	ev = &s->clients.v[i];
	c.tgid = ev->coord.pid;
	memcpy(c.comm, ev->coord.comm, sizeof(c.comm));
	c.blackout = blackout_of(ev);
	return c;
}
