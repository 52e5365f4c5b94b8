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
#include "util/alloc.h"
#include "util/u32map.h"

struct migration_report {
	struct migration_blackout total;
	struct migration_client *clients;
	size_t n_clients, n_alloc;
	struct u32map windows;		/* id -> client << 1 | resumed */
	struct u32map owners;		/* tgid -> client */
};

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
	u32map_done(&r->windows);
	u32map_done(&r->owners);
	free(r);
	return NULL;
}

/* The client of w's owner, added when new; NULL on -ENOMEM. */
static struct migration_client *client_of(struct migration_report *r,
					  const struct vas_window *w,
					  uint32_t *ret_index)
{
	uint32_t i = u32map_get(&r->owners, w->tgid);
	struct migration_client *c;

	if (i != U32MAP_NONE) {
		*ret_index = i;
		return &r->clients[i];
	}
	c = array_grow(r->clients, &r->n_alloc, r->n_clients, sizeof(*c));
	if (!c)
		return NULL;
	r->clients = c;
	if (u32map_put(&r->owners, w->tgid, (uint32_t)r->n_clients) < 0)
		return NULL;
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
	uint32_t *v = u32map_ref(&r->windows, w->id);
	struct migration_client *c;
	uint32_t index;
	int ret;

	if (v) {
		/* suspended again: it counts once, and is not resumed now */
		if (*v & 1) {
			*v &= ~1u;
			r->clients[*v >> 1].blackout.resumed--;
			r->total.resumed--;
		}
		return 0;
	}

	/* both tables grow before anything counts */
	ret = u32map_reserve(&r->windows, r->windows.n + 1);
	if (ret < 0)
		return ret;
	c = client_of(r, w, &index);
	if (!c)
		return -ENOMEM;
	u32map_put(&r->windows, w->id, index << 1);	/* reserved */
	blackout_suspend(&c->blackout, ts);
	blackout_suspend(&r->total, ts);
	return 0;
}

static void window_active(struct migration_report *r,
			  const struct vas_window *w, uint64_t ts)
{
	uint32_t *v = u32map_ref(&r->windows, w->id);

	if (!v || (*v & 1))
		return;
	*v |= 1;
	blackout_resume(&r->clients[*v >> 1].blackout, ts);
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
