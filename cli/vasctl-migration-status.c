// SPDX-License-Identifier: GPL-2.0-only
/*
 * vasctl migration status [ID]: what happened in one migration, from the
 * coordinator's records in vasd's ledger (docs/migration.md: who was
 * asked, who released and when, who timed out, vetoes, acks, anomalies,
 * the blackout in all and per client), and vasd's view of it over the bus
 * when vasd runs.
 *
 * The ledger is the record: it is read (read-only, like vasctl ledger)
 * whether vasd runs or not, so the report of a migration survives vasd.
 * When vasd is not running the report says so and is still a success.
 * A migration that is not closed yet has no blackout record: its blackout
 * so far is folded from the kernel's window events since it opened, by
 * the same code vasd uses (daemon/core/migration-report.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json.h>

#include "core/migration-report.h"
#include "ledger/ledger.h"
#include "util/human.h"
#include "util/macro.h"
#include "util/table.h"
#include "vasctl-bus.h"
#include "vasctl-json.h"
#include "vasctl.h"

/*
 * The hook that opens a migration is recorded just before its open, after
 * the close of a migration it abandoned: the scan starts that far back.
 */
#define OPEN_LOOKBACK 2

/* vasd's view, from org.vasd1.Manager's properties. */
static const struct vasctl_prop coordinator_props[] = {
	{ "MigrationName", "migration", "s", VASCTL_PROP_PLAIN },
	{ "MigrationState", "state", "s", VASCTL_PROP_PLAIN },
	{ "MigrationAnomalies", "anomalies", "u", VASCTL_PROP_PLAIN },
};

struct events {
	struct vasd_event *v;
	size_t n, alloc;
};

/* A delay lock the migration asked to be released. */
struct asked_lock {
	struct vasd_coord holder;	/* lock, pid, uid, comm */
	uint64_t asked, released, timed_out;	/* ns; 0: not (yet) */
};

struct report {
	uint64_t id;
	int64_t open_position;
	bool opened, quiesced, blackout, closed;
	struct vasd_event open, quiesce, total, close;
	struct events hooks, vetoes, acks, anomalies, errors, clients;
	struct asked_lock *locks;
	size_t n_locks, alloc_locks;
	struct migration_report *so_far;	/* while not closed */
};

static void report_done(struct report *r)
{
	free(r->hooks.v);
	free(r->vetoes.v);
	free(r->acks.v);
	free(r->anomalies.v);
	free(r->errors.v);
	free(r->clients.v);
	free(r->locks);
	migration_report_free(r->so_far);
}

static int events_add(struct events *e, const struct vasd_event *ev)
{
	if (e->n == e->alloc) {
		size_t n = e->alloc ? e->alloc * 2 : 8;
		struct vasd_event *v = reallocarray(e->v, n, sizeof(*v));

		if (!v)
			return -ENOMEM;
		e->v = v;
		e->alloc = n;
	}
	e->v[e->n++] = *ev;
	return 0;
}

static struct asked_lock *lock_find(struct report *r, uint64_t lock)
{
	for (size_t i = 0; i < r->n_locks; i++)
		if (r->locks[i].holder.lock == lock)
			return &r->locks[i];
	return NULL;
}

static struct asked_lock *lock_add(struct report *r, const struct vasd_coord *c,
				   uint64_t asked)
{
	struct asked_lock *l;

	if (r->n_locks == r->alloc_locks) {
		size_t n = r->alloc_locks ? r->alloc_locks * 2 : 8;

		l = reallocarray(r->locks, n, sizeof(*l));
		if (!l)
			return NULL;
		r->locks = l;
		r->alloc_locks = n;
	}
	l = &r->locks[r->n_locks++];
	*l = (struct asked_lock) { .holder = *c, .asked = asked };
	return l;
}

static int fold_lock(struct report *r, const struct vasd_event *ev)
{
	struct asked_lock *l = lock_find(r, ev->coord.lock);

	if (!l) {
		/* asked before the records of this vasd: since says when */
		l = lock_add(r, &ev->coord, ev->kind == VASD_EVENT_MIGRATION_ASKED ?
			     ev->timestamp : ev->coord.since);
		if (!l)
			return -ENOMEM;
	}
	if (ev->kind == VASD_EVENT_MIGRATION_TIMEOUT)
		l->timed_out = ev->timestamp;
	else if (ev->kind == VASD_EVENT_INHIBITOR_RELEASE)
		l->released = ev->timestamp;
	return 0;
}

static int fold(const struct vasd_event *ev, void *userdata)
{
	struct report *r = userdata;
	bool ours = vasd_event_kind_is_coord(ev->kind) &&
		    ev->coord.migration == r->id;

	if (ev->position < r->open_position)
		return ours && ev->kind == VASD_EVENT_MIGRATION_HOOK ?
			events_add(&r->hooks, ev) : 0;
	/* the next migration: what follows is its own */
	if (ev->kind == VASD_EVENT_MIGRATION_OPEN && !ours)
		return -ECANCELED;
	if (!r->closed) {
		int ret = migration_report_event(r->so_far, ev);

		if (ret < 0)
			return ret;
	}
	if (!ours)
		return 0;

	switch (ev->kind) {
	case VASD_EVENT_MIGRATION_OPEN:
		r->opened = true;
		r->open = *ev;
		return 0;
	case VASD_EVENT_MIGRATION_HOOK:
		return events_add(&r->hooks, ev);
	case VASD_EVENT_MIGRATION_VETO:
		return events_add(&r->vetoes, ev);
	case VASD_EVENT_MIGRATION_ASKED:
	case VASD_EVENT_MIGRATION_TIMEOUT:
	case VASD_EVENT_INHIBITOR_RELEASE:
		return fold_lock(r, ev);
	case VASD_EVENT_MIGRATION_QUIESCED:
		r->quiesced = true;
		r->quiesce = *ev;
		return 0;
	case VASD_EVENT_MIGRATION_ACK:
		return events_add(&r->acks, ev);
	case VASD_EVENT_MIGRATION_ANOMALY:
		return events_add(&r->anomalies, ev);
	case VASD_EVENT_MIGRATION_ERROR:
		return events_add(&r->errors, ev);
	case VASD_EVENT_MIGRATION_BLACKOUT:
		r->blackout = true;
		r->total = *ev;
		return 0;
	case VASD_EVENT_MIGRATION_CLIENT_BLACKOUT:
		return events_add(&r->clients, ev);
	case VASD_EVENT_MIGRATION_CLOSE:
		r->closed = true;
		r->close = *ev;
		return 0;
	default:
		return 0;
	}
}

static int first_number(const struct vasd_event *ev, void *userdata)
{
	*(uint64_t *)userdata = ev->coord.migration;
	return -ECANCELED;
}

/* Which migration, where it opened; -ENODATA when the ledger has none. */
static int find_migration(struct ledger *l, uint64_t *id, int64_t *ret)
{
	int r;

	if (*id)
		return ledger_find_migration_open(l, *id, ret);
	r = ledger_last_migration_open(l, ret);
	if (r < 0)
		return r;
	r = ledger_foreach_event(l, *ret, first_number, id);
	return r == -ECANCELED ? 0 : r < 0 ? r : -ENODATA;
}

static int read_report(struct ledger *l, struct report *r)
{
	int64_t from;
	int ret;

	ret = migration_report_new(&r->so_far);
	if (ret < 0)
		return ret;
	from = r->open_position > OPEN_LOOKBACK ?
		r->open_position - OPEN_LOOKBACK : 0;
	ret = ledger_foreach_event(l, from, fold, r);
	if (ret == -ECANCELED)
		ret = 0;
	if (ret >= 0 && !r->opened)
		ret = -ENODATA;
	return ret;
}

/* vasd's view into o, or o stays NULL when vasd is not running. */
static int read_vasd(struct json_object **ret)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	struct json_object *o;
	int r;

	*ret = NULL;
	/* no system bus, or nobody owns org.vasd1: vasd is not running */
	if (sd_bus_open_system(&bus) < 0)
		return 0;
	r = vasctl_bus_call(bus, VASD_BUS_PATH, "org.freedesktop.DBus.Properties",
			    "GetAll", &error, &reply, "s",
			    VASD_BUS_MANAGER_INTERFACE);
	if (r < 0 && vasctl_bus_error_is_gone(&error) &&
	    vasctl_bus_vasd_present(bus) <= 0)
		return 0;
	if (r < 0)
		return vasctl_bus_fail(bus, "migration status",
				       "cannot read vasd's migration", r, &error);
	o = json_object_new_object();
	if (!o) {
		vasctl_error("migration status: out of memory");
		return VASCTL_EXIT_FAILURE;
	}
	r = vasctl_bus_read_props(reply, coordinator_props,
				  ELEMENTSOF(coordinator_props), o);
	if (r < 0) {
		json_object_put(o);
		vasctl_error("migration status: cannot parse vasd's reply: %s",
			     strerror(-r));
		return VASCTL_EXIT_FAILURE;
	}
	*ret = o;
	return 0;
}

static const char *vasd_string(struct json_object *vasd, const char *key)
{
	struct json_object *v;

	if (!vasd || !json_object_object_get_ex(vasd, key, &v))
		return "";
	return json_object_get_string(v);
}

/*
 * The migration's state: "closed"; vasd's coordinator state while it is
 * the one vasd has open; "open" otherwise (vasd not running: it takes the
 * migration up again when it starts).
 */
static const char *report_state(const struct report *r, struct json_object *vasd)
{
	char name[24];

	if (r->closed)
		return "closed";
	snprintf(name, sizeof(name), "%" PRIu64, r->id);
	if (strcmp(vasd_string(vasd, "migration"), name) == 0)
		return vasd_string(vasd, "state");
	return "open";
}

static const char *what(const struct vasd_event *ev)
{
	const char *s = vasd_coord_what_to_string(ev->kind, ev->coord.what);

	return s ? s : "unknown";
}

/* JSON */

static struct json_object *json_ns(uint64_t ns)
{
	return ns ? json_object_new_uint64(ns) : NULL;
}

static struct json_object *json_holder(const struct vasd_coord *c)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "lock", json_object_new_uint64(c->lock));
	json_object_object_add(o, "pid", json_object_new_int64(c->pid));
	json_object_object_add(o, "uid", json_object_new_int64(c->uid));
	json_object_object_add(o, "comm", vasctl_json_comm(c->comm));
	return o;
}

static struct json_object *json_kernel(const struct vas_migration *m)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "stream_id", json_object_new_uint64(m->stream_id));
	json_object_object_add(o, "token", vasctl_json_hex(m->token));
	return o;
}

static struct json_object *json_blackout(uint64_t first, uint64_t last,
					 uint32_t suspended, uint32_t resumed)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "first_suspended", json_ns(first));
	json_object_object_add(o, "last_resumed", json_ns(last));
	json_object_object_add(o, "suspended", json_object_new_int64(suspended));
	json_object_object_add(o, "resumed", json_object_new_int64(resumed));
	return o;
}

static struct json_object *json_array(const struct events *e,
				      struct json_object *(*one)(const struct vasd_event *))
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < e->n; i++)
		json_object_array_add(a, one(&e->v[i]));
	return a;
}

static struct json_object *json_hook(const struct vasd_event *ev)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "phase", json_object_new_string(what(ev)));
	json_object_object_add(o, "at", json_ns(ev->timestamp));
	json_object_object_add(o, "pid", json_object_new_int64(ev->coord.pid));
	json_object_object_add(o, "uid", json_object_new_int64(ev->coord.uid));
	json_object_object_add(o, "comm", vasctl_json_comm(ev->coord.comm));
	return o;
}

static struct json_object *json_veto(const struct vasd_event *ev)
{
	struct json_object *o = json_holder(&ev->coord);

	json_object_object_add(o, "reason", json_object_new_string(what(ev)));
	json_object_object_add(o, "at", json_ns(ev->timestamp));
	json_object_object_add(o, "count", json_object_new_int64(ev->coord.count));
	return o;
}

static struct json_object *json_ack(const struct vasd_event *ev)
{
	struct json_object *o = json_kernel(&ev->migration);

	json_object_object_add(o, "at", json_ns(ev->timestamp));
	return o;
}

static struct json_object *json_anomaly(const struct vasd_event *ev)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "kind", json_object_new_string(what(ev)));
	json_object_object_add(o, "at", json_ns(ev->timestamp));
	json_object_object_add(o, "window", vasctl_json_window(&ev->window));
	return o;
}

static struct json_object *json_error(const struct vasd_event *ev)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(what(ev)));
	json_object_object_add(o, "at", json_ns(ev->timestamp));
	return o;
}

static struct json_object *json_client(const struct vasd_event *ev)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "tgid", json_object_new_int64(ev->coord.pid));
	json_object_object_add(o, "comm", vasctl_json_comm(ev->coord.comm));
	json_object_object_add(o, "blackout",
			       json_blackout(ev->coord.since, ev->timestamp,
					     ev->coord.total, ev->coord.count));
	return o;
}

static struct json_object *json_report(const struct report *r,
				       struct json_object *vasd)
{
	struct json_object *o = json_object_new_object(), *a;
	char name[24];

	snprintf(name, sizeof(name), "%" PRIu64, r->id);
	json_object_object_add(o, "migration", json_object_new_string(name));
	json_object_object_add(o, "vasd_running", json_object_new_boolean(vasd != NULL));
	json_object_object_add(o, "state", json_object_new_string(report_state(r, vasd)));
	json_object_object_add(o, "origin", json_object_new_string(what(&r->open)));
	json_object_object_add(o, "opened_at", json_ns(r->open.timestamp));
	json_object_object_add(o, "closed_at", r->closed ? json_ns(r->close.timestamp) : NULL);
	json_object_object_add(o, "outcome", r->closed ?
			       json_object_new_string(what(&r->close)) : NULL);
	json_object_object_add(o, "hooks", json_array(&r->hooks, json_hook));
	json_object_object_add(o, "vetoes", json_array(&r->vetoes, json_veto));

	a = json_object_new_array();
	for (size_t i = 0; i < r->n_locks; i++) {
		const struct asked_lock *l = &r->locks[i];
		struct json_object *lo = json_holder(&l->holder);

		json_object_object_add(lo, "asked_at", json_ns(l->asked));
		json_object_object_add(lo, "released_at", json_ns(l->released));
		json_object_object_add(lo, "timed_out_at", json_ns(l->timed_out));
		json_object_array_add(a, lo);
	}
	json_object_object_add(o, "asked", a);

	if (r->quiesced) {
		a = json_object_new_object();
		json_object_object_add(a, "how", json_object_new_string(what(&r->quiesce)));
		json_object_object_add(a, "since", json_ns(r->quiesce.coord.since));
		json_object_object_add(a, "at", json_ns(r->quiesce.timestamp));
		json_object_object_add(a, "released", json_object_new_int64(r->quiesce.coord.count));
		json_object_object_add(a, "asked", json_object_new_int64(r->quiesce.coord.total));
		json_object_object_add(o, "quiesced", a);
	} else {
		json_object_object_add(o, "quiesced", NULL);
	}
	json_object_object_add(o, "acks", json_array(&r->acks, json_ack));
	json_object_object_add(o, "anomalies", json_array(&r->anomalies, json_anomaly));
	json_object_object_add(o, "errors", json_array(&r->errors, json_error));

	if (r->closed) {
		json_object_object_add(o, "blackout", r->blackout ?
				       json_blackout(r->total.coord.since, r->total.timestamp,
						     r->total.coord.total, r->total.coord.count) :
				       NULL);
		json_object_object_add(o, "clients", json_array(&r->clients, json_client));
	} else {
		const struct migration_blackout *b = migration_report_total(r->so_far);
		size_t n = migration_report_n_clients(r->so_far);

		json_object_object_add(o, "blackout", b->suspended ?
				       json_blackout(b->first_suspended, b->last_resumed,
						     b->suspended, b->resumed) : NULL);
		a = json_object_new_array();
		for (size_t i = 0; i < n; i++) {
			const struct migration_client *c =
				migration_report_client(r->so_far, i);
			struct json_object *co = json_object_new_object();

			json_object_object_add(co, "tgid", json_object_new_int64(c->tgid));
			json_object_object_add(co, "comm", vasctl_json_comm(c->comm));
			json_object_object_add(co, "blackout",
					       json_blackout(c->blackout.first_suspended,
							     c->blackout.last_resumed,
							     c->blackout.suspended,
							     c->blackout.resumed));
			json_object_array_add(a, co);
		}
		json_object_object_add(o, "clients", a);
	}
	return o;
}

/* Human */

/* The span from a to b, "0" when b is not after a. */
static const char *span(char buf[static HUMAN_TIMESPAN_MAX], uint64_t a,
			uint64_t b)
{
	return human_timespan(buf, b > a ? (b - a) / NSEC_PER_USEC : 0);
}

/* A time as its offset from the open: "+1.2s" style, "+0" at it. */
static const char *at(char buf[static HUMAN_TIMESPAN_MAX + 1],
		      const struct report *r, uint64_t ns)
{
	char s[HUMAN_TIMESPAN_MAX];

	snprintf(buf, HUMAN_TIMESPAN_MAX + 1, "+%s",
		 span(s, r->open.timestamp, ns));
	return buf;
}

static const char *when(char buf[static HUMAN_TIMESTAMP_MAX], uint64_t ns)
{
	const char *s = human_timestamp(buf, ns, true, false);

	return s ? s : "?";
}

__attribute__((format(printf, 2, 3)))
static void line(const char *label, const char *fmt, ...)
{
	va_list ap;

	printf("%-11s", label);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static int print_table(const char *title, struct table *t, bool color)
{
	_cleanup_(freep) char *text = NULL;
	int r;

	if (!table_rows(t))
		return 0;
	r = table_format(t, color, &text);
	if (r < 0)
		return r;
	printf("\n%s\n%s", title, text);
	return 0;
}

static const struct table_column lock_columns[] = {
	{ "LOCK", TABLE_RIGHT },
	{ "PID", TABLE_RIGHT },
	{ "COMM", TABLE_LEFT },
	{ "UID", TABLE_RIGHT },
	{ "ASKED", TABLE_LEFT },
	{ "RELEASED", TABLE_LEFT },
};

static int print_locks(const struct report *r, bool color)
{
	_cleanup_(table_freep) struct table *t =
		table_new(lock_columns, ELEMENTSOF(lock_columns));
	char comm[VASCTL_COMM_ESCAPED_MAX], a[HUMAN_TIMESPAN_MAX + 1];
	char s1[HUMAN_TIMESPAN_MAX], s2[HUMAN_TIMESPAN_MAX];
	int ret = t ? 0 : -ENOMEM;

	for (size_t i = 0; ret >= 0 && i < r->n_locks; i++) {
		const struct asked_lock *l = &r->locks[i];

		ret = table_addf(t, NULL, "%" PRIu64, l->holder.lock);
		if (ret >= 0)
			ret = table_addf(t, NULL, "%" PRIu32, l->holder.pid);
		if (ret >= 0)
			ret = table_add(t, vasctl_comm_escape(comm, l->holder.comm), NULL);
		if (ret >= 0)
			ret = table_addf(t, NULL, "%" PRIu32, l->holder.uid);
		if (ret >= 0)
			ret = table_add(t, at(a, r, l->asked), NULL);
		if (ret < 0)
			break;
		if (l->timed_out && l->released)
			ret = table_addf(t, ANSI_YELLOW, "timed out after %s, released %s late",
					 span(s1, l->asked, l->timed_out),
					 span(s2, l->timed_out, l->released));
		else if (l->timed_out)
			ret = table_addf(t, ANSI_YELLOW, "timed out after %s",
					 span(s1, l->asked, l->timed_out));
		else if (l->released)
			ret = table_addf(t, ANSI_GREEN, "after %s",
					 span(s1, l->asked, l->released));
		else
			ret = table_add(t, "not yet", NULL);
	}
	if (ret >= 0)
		ret = print_table("Delay locks asked to release:", t, color);
	return ret;
}

static const struct table_column client_columns[] = {
	{ "TGID", TABLE_RIGHT },
	{ "COMM", TABLE_LEFT },
	{ "WINDOWS", TABLE_RIGHT },
	{ "RESUMED", TABLE_RIGHT },
	{ "BLACKOUT", TABLE_LEFT },
};

static int client_row(struct table *t, const struct report *r, uint32_t tgid,
		      const char *comm, uint64_t first, uint64_t last,
		      uint32_t suspended, uint32_t resumed)
{
	char c[VASCTL_COMM_ESCAPED_MAX], s[HUMAN_TIMESPAN_MAX];
	char a1[HUMAN_TIMESPAN_MAX + 1], a2[HUMAN_TIMESPAN_MAX + 1];
	int ret;

	ret = table_addf(t, NULL, "%" PRIu32, tgid);
	if (ret >= 0)
		ret = table_add(t, vasctl_comm_escape(c, comm), NULL);
	if (ret >= 0)
		ret = table_addf(t, NULL, "%" PRIu32, suspended);
	if (ret >= 0)
		ret = table_addf(t, resumed < suspended ? ANSI_YELLOW : NULL,
				 "%" PRIu32, resumed);
	if (ret >= 0)
		ret = table_addf(t, NULL, "%s (%s to %s)", span(s, first, last),
				 at(a1, r, first), last ? at(a2, r, last) : "-");
	return ret;
}

static int print_clients(const struct report *r, bool color)
{
	_cleanup_(table_freep) struct table *t =
		table_new(client_columns, ELEMENTSOF(client_columns));
	int ret = t ? 0 : -ENOMEM;

	if (r->closed) {
		for (size_t i = 0; ret >= 0 && i < r->clients.n; i++) {
			const struct vasd_event *ev = &r->clients.v[i];

			ret = client_row(t, r, ev->coord.pid, ev->coord.comm,
					 ev->coord.since, ev->timestamp,
					 ev->coord.total, ev->coord.count);
		}
	} else {
		size_t n = migration_report_n_clients(r->so_far);

		for (size_t i = 0; ret >= 0 && i < n; i++) {
			const struct migration_client *c =
				migration_report_client(r->so_far, i);

			ret = client_row(t, r, c->tgid, c->comm,
					 c->blackout.first_suspended,
					 c->blackout.last_resumed,
					 c->blackout.suspended, c->blackout.resumed);
		}
	}
	if (ret >= 0)
		ret = print_table(r->closed ? "Blackout per client:" :
				  "Blackout per client so far:", t, color);
	return ret;
}

static const struct table_column anomaly_columns[] = {
	{ "WINDOW", TABLE_RIGHT },
	{ "TGID", TABLE_RIGHT },
	{ "COMM", TABLE_LEFT },
	{ "ANOMALY", TABLE_LEFT },
	{ "AT", TABLE_LEFT },
};

static int print_anomalies(const struct report *r, bool color)
{
	_cleanup_(table_freep) struct table *t =
		table_new(anomaly_columns, ELEMENTSOF(anomaly_columns));
	char c[VASCTL_COMM_ESCAPED_MAX], a[HUMAN_TIMESPAN_MAX + 1];
	int ret = t ? 0 : -ENOMEM;

	for (size_t i = 0; ret >= 0 && i < r->anomalies.n; i++) {
		const struct vasd_event *ev = &r->anomalies.v[i];

		ret = table_addf(t, NULL, "%" PRIu32, ev->window.id);
		if (ret >= 0)
			ret = table_addf(t, NULL, "%" PRIu32, ev->window.tgid);
		if (ret >= 0)
			ret = table_add(t, vasctl_comm_escape(c, ev->window.comm), NULL);
		if (ret >= 0)
			ret = table_add(t, what(ev), ANSI_RED);
		if (ret >= 0)
			ret = table_add(t, at(a, r, ev->timestamp), NULL);
	}
	if (ret >= 0)
		ret = print_table("Anomalies (windows the kernel left active):", t, color);
	return ret;
}

static void print_vasd(const struct report *r, struct json_object *vasd)
{
	const char *name = vasd_string(vasd, "migration");
	const char *state = report_state(r, vasd);

	if (!vasd)
		line("vasd:", "not running; this report is the ledger's");
	else if (!*name)
		line("vasd:", "running, no migration open");
	else if (strcmp(state, "closed") != 0 && strcmp(state, "open") != 0)
		line("vasd:", "running, this migration is %s", state);
	else
		line("vasd:", "running, migration %s is open (%s)", name,
		     vasd_string(vasd, "state"));
}

static void print_summary(const struct report *r)
{
	char t[HUMAN_TIMESTAMP_MAX], s[HUMAN_TIMESPAN_MAX], a[HUMAN_TIMESPAN_MAX + 1];
	char c[VASCTL_COMM_ESCAPED_MAX];

	line("Opened:", "%s by %s", when(t, r->open.timestamp), what(&r->open));
	if (r->closed)
		line("Closed:", "%s, %s after it opened: %s",
		     when(t, r->close.timestamp),
		     span(s, r->open.timestamp, r->close.timestamp),
		     what(&r->close));
	for (size_t i = 0; i < r->hooks.n; i++)
		line(i ? "" : "Hooks:", "%s at %s (%s, pid %" PRIu32 ")",
		     what(&r->hooks.v[i]), at(a, r, r->hooks.v[i].timestamp),
		     vasctl_comm_escape(c, r->hooks.v[i].coord.comm),
		     r->hooks.v[i].coord.pid);
	for (size_t i = 0; i < r->vetoes.n; i++) {
		const struct vasd_event *ev = &r->vetoes.v[i];

		if (ev->coord.what == VASD_VETO_BLOCK_LOCK)
			line("Vetoed:", "%s (pid %" PRIu32 ") holds a block lock%s",
			     vasctl_comm_escape(c, ev->coord.comm), ev->coord.pid,
			     ev->coord.count > 1 ? ", and others" : "");
		else
			line("Vetoed:", "%s", what(ev));
	}
	if (r->quiesced && !r->quiesce.coord.total)
		line("Quiesced:", "%s: no delay lock was asked to release",
		     what(&r->quiesce));
	else if (r->quiesced)
		line("Quiesced:", "%s: %" PRIu32 " of %" PRIu32 " delay locks released in %s",
		     what(&r->quiesce), r->quiesce.coord.count,
		     r->quiesce.coord.total,
		     span(s, r->quiesce.coord.since, r->quiesce.timestamp));
	else
		line("Quiesced:", "no (clients were not asked)");
	for (size_t i = 0; i < r->acks.n; i++)
		line("Kernel:", "stream %" PRIu64 " acked at %s",
		     r->acks.v[i].migration.stream_id,
		     at(a, r, r->acks.v[i].timestamp));
	if (r->closed && r->blackout)
		line("Blackout:", "%s: %" PRIu32 " window%s suspended, %" PRIu32 " resumed",
		     span(s, r->total.coord.since, r->total.timestamp),
		     r->total.coord.total, r->total.coord.total == 1 ? "" : "s",
		     r->total.coord.count);
	else if (r->closed)
		line("Blackout:", "none (no window was suspended)");
	else {
		const struct migration_blackout *b = migration_report_total(r->so_far);

		line("Blackout:", "so far %" PRIu32 " window%s suspended, %" PRIu32 " resumed",
		     b->suspended, b->suspended == 1 ? "" : "s", b->resumed);
	}
	line("Anomalies:", "%zu", r->anomalies.n);
	for (size_t i = 0; i < r->errors.n; i++)
		line(i ? "" : "Errors:", "%s at %s", what(&r->errors.v[i]),
		     at(a, r, r->errors.v[i].timestamp));
}

static int print_human(const struct report *r, struct json_object *vasd)
{
	bool color = vasctl_color();
	int ret;

	printf("Migration %" PRIu64 ": %s\n", r->id, report_state(r, vasd));
	print_vasd(r, vasd);
	print_summary(r);
	ret = print_locks(r, color);
	if (ret >= 0)
		ret = print_clients(r, color);
	if (ret >= 0)
		ret = print_anomalies(r, color);
	return ret;
}

static int print_none(const char *path, struct json_object *vasd, bool json)
{
	struct json_object *o;
	int r;

	if (!json) {
		printf("No migration recorded in %s.\n", path);
		if (!vasd)
			line("vasd:", "not running");
		return 0;
	}
	o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "migration", NULL);
	json_object_object_add(o, "vasd_running", json_object_new_boolean(vasd != NULL));
	r = vasctl_json_print(o);
	json_object_put(o);
	return r;
}

int vasctl_migration_status(const char *database, uint64_t id, bool json)
{
	_cleanup_(ledger_freep) struct ledger *l = NULL;
	_cleanup_(freep) char *default_path = NULL;
	struct json_object *vasd = NULL;
	struct report r = { .id = id };
	char *error = NULL;
	int ret;

	ret = read_vasd(&vasd);
	if (ret != VASCTL_EXIT_OK)
		return ret;
	/* the migration vasd has open, as it names it */
	if (!r.id && *vasd_string(vasd, "migration"))
		r.id = strtoull(vasd_string(vasd, "migration"), NULL, 10);

	if (!database) {
		ret = ledger_default_path(&default_path);
		if (ret < 0) {
			json_object_put(vasd);
			vasctl_error("migration status: %s", strerror(-ret));
			return VASCTL_EXIT_FAILURE;
		}
		database = default_path;
	}
	ret = ledger_open(database, LEDGER_READ_ONLY, &l, &error);
	if (ret < 0) {
		json_object_put(vasd);
		vasctl_error("cannot open ledger: %s (%s)", ledger_strerror(ret),
			     error ? error : database);
		free(error);
		return VASCTL_EXIT_NO_LEDGER;
	}

	/* one snapshot: vasd may be writing the migration meanwhile */
	ret = ledger_read_begin(l);
	if (ret >= 0) {
		ret = find_migration(l, &r.id, &r.open_position);
		if (ret >= 0)
			ret = read_report(l, &r);
		ledger_read_end(l);
	}
	if (ret == -ENODATA && !id && !r.id) {
		ret = print_none(database, vasd, json);
	} else if (ret == -ENODATA) {
		vasctl_error("migration status: migration %" PRIu64 " is not in the ledger %s (never opened, or compacted away)",
			     r.id, database);
		ret = VASCTL_EXIT_FAILURE;
	} else if (ret < 0) {
		vasctl_error("migration status: cannot read the ledger %s: %s",
			     database, strerror(-ret));
		ret = VASCTL_EXIT_NO_LEDGER;
	} else if (json) {
		struct json_object *o = json_report(&r, vasd);

		ret = o ? vasctl_json_print(o) : -ENOMEM;
		json_object_put(o);
	} else {
		ret = print_human(&r, vasd);
	}
	report_done(&r);
	json_object_put(vasd);
	if (ret > 0)
		return ret;
	return vasctl_finish_output("migration status", ret);
}
