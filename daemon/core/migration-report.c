// SPDX-License-Identifier: GPL-2.0-only
/*
 * migration-report: blackouts from window events. See migration-report.h.
 *
 * Two open-addressing tables, neither of which ever removes a key: window
 * id to (client index, resumed), and tgid to client index. A migration
 * only adds windows to them, and the report lives as long as it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/migration-report.h"

struct map_slot {
	uint32_t key;
	uint32_t value;
	bool used;
};

struct map {
	struct map_slot *slots;
	size_t cap;			/* a power of two, or 0 */
	size_t n;
};

struct migration_report {
	struct migration_blackout total;
	struct migration_client *clients;
	size_t n_clients, n_alloc;
	struct map windows;		/* id -> client << 1 | resumed */
	struct map owners;		/* tgid -> client */
};

static size_t map_home(const struct map *m, uint32_t key)
{
	/* Fibonacci hashing: ids and tgids come in runs */
	return (size_t)((key * 2654435769u) & (uint32_t)(m->cap - 1));
}

static struct map_slot *map_get(const struct map *m, uint32_t key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = map_home(m, key);; i = (i + 1) & (m->cap - 1)) {
		if (!m->slots[i].used)
			return NULL;
		if (m->slots[i].key == key)
			return &m->slots[i];
	}
}

static void map_place(struct map *m, uint32_t key, uint32_t value)
{
	size_t i = map_home(m, key);

	while (m->slots[i].used)
		i = (i + 1) & (m->cap - 1);
	m->slots[i] = (struct map_slot) { key, value, true };
	m->n++;
}

/* Room for one more key. Half full at most, so probes stay short. */
static int map_reserve(struct map *m)
{
	struct map old = *m;
	size_t cap;

	if ((m->n + 1) * 2 <= m->cap)
		return 0;
	cap = m->cap ? m->cap * 2 : 16;
	m->slots = calloc(cap, sizeof(*m->slots));
	if (!m->slots) {
		*m = old;
		return -ENOMEM;
	}
	m->cap = cap;
	m->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].used)
			map_place(m, old.slots[i].key, old.slots[i].value);
	free(old.slots);
	return 0;
}

int migration_report_new(struct migration_report **ret)
{
	struct migration_report *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	*ret = r;
	return 0;
}

struct migration_report *migration_report_free(struct migration_report *r)
{
	if (!r)
		return NULL;
	free(r->clients);
	free(r->windows.slots);
	free(r->owners.slots);
	free(r);
	return NULL;
}

/* The client of w's owner, added when new; NULL on -ENOMEM. */
static struct migration_client *client_of(struct migration_report *r,
					  const struct vas_window *w,
					  uint32_t *ret_index)
{
	struct map_slot *slot = map_get(&r->owners, w->tgid);
	struct migration_client *c;

	if (slot) {
		*ret_index = slot->value;
		return &r->clients[slot->value];
	}
	if (r->n_clients == r->n_alloc) {
		size_t n = r->n_alloc ? r->n_alloc * 2 : 8;

		c = reallocarray(r->clients, n, sizeof(*c));
		if (!c)
			return NULL;
		r->clients = c;
		r->n_alloc = n;
	}
	if (map_reserve(&r->owners) < 0)
		return NULL;
	map_place(&r->owners, w->tgid, (uint32_t)r->n_clients);
	c = &r->clients[r->n_clients];
	*c = (struct migration_client) { .tgid = w->tgid };
	memcpy(c->comm, w->comm, sizeof(c->comm));
	c->comm[sizeof(c->comm) - 1] = 0;
	*ret_index = (uint32_t)r->n_clients++;
	return c;
}

static void blackout_suspend(struct migration_blackout *b, uint64_t ts)
{
	if (!b->first_suspended || ts < b->first_suspended)
		b->first_suspended = ts;
	b->suspended++;
}

static void blackout_resume(struct migration_blackout *b, uint64_t ts)
{
	if (ts > b->last_resumed)
		b->last_resumed = ts;
	b->resumed++;
}

static int window_suspended(struct migration_report *r,
			    const struct vas_window *w, uint64_t ts)
{
	struct map_slot *slot = map_get(&r->windows, w->id);
	struct migration_client *c;
	uint32_t index;
	int ret;

	if (slot) {
		/* suspended again: it counts once, and is not resumed now */
		if (slot->value & 1) {
			slot->value &= ~1u;
			r->clients[slot->value >> 1].blackout.resumed--;
			r->total.resumed--;
		}
		return 0;
	}

	/* both tables grow before anything counts */
	ret = map_reserve(&r->windows);
	if (ret < 0)
		return ret;
	c = client_of(r, w, &index);
	if (!c)
		return -ENOMEM;
	map_place(&r->windows, w->id, index << 1);
	blackout_suspend(&c->blackout, ts);
	blackout_suspend(&r->total, ts);
	return 0;
}

static void window_active(struct migration_report *r,
			  const struct vas_window *w, uint64_t ts)
{
	struct map_slot *slot = map_get(&r->windows, w->id);

	if (!slot || (slot->value & 1))
		return;
	slot->value |= 1;
	blackout_resume(&r->clients[slot->value >> 1].blackout, ts);
	blackout_resume(&r->total, ts);
}

int migration_report_event(struct migration_report *r,
			   const struct vasd_event *ev)
{
	const struct vas_window *w = &ev->window;

	if (ev->kind != VASD_EVENT_WINDOW_CHANGE &&
	    ev->kind != VASD_EVENT_RESYNC_WINDOW_CHANGE)
		return 0;
	if (w->state == VAS_WIN_STATE_SUSPENDED &&
	    w->reason == VAS_SUSPEND_REASON_MIGRATION)
		return window_suspended(r, w, ev->timestamp);
	if (w->state == VAS_WIN_STATE_ACTIVE)
		window_active(r, w, ev->timestamp);
	return 0;
}

const struct migration_blackout *
migration_report_total(const struct migration_report *r)
{
	return &r->total;
}

size_t migration_report_n_clients(const struct migration_report *r)
{
	return r->n_clients;
}

const struct migration_client *
migration_report_client(const struct migration_report *r, size_t i)
{
	return i < r->n_clients ? &r->clients[i] : NULL;
}
