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
 * The fold of the ledger's events into the report is the core's
 * (daemon/core/migration-status.h); this file reads and prints.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json.h>

#include "core/migration-status.h"
#include "ledger/ledger.h"
#include "util/human.h"
#include "util/macro.h"
#include "util/table.h"
#include "vasctl-bus.h"
#include "vasctl-json.h"
#include "vasctl.h"

/* vasd's view, from org.vasd1.Manager's properties. */
static const struct vasctl_prop coordinator_props[] = {
	{ "MigrationName", "migration", "s", VASCTL_PROP_PLAIN },
	{ "MigrationState", "state", "s", VASCTL_PROP_PLAIN },
	{ "MigrationAnomalies", "anomalies", "u", VASCTL_PROP_PLAIN },
};

/* The ledger's callback: fold until the next migration opens. */
static int fold(const struct vasd_event *ev, void *userdata)
{
	int r = migration_status_event(userdata, ev);

	return r > 0 ? -ECANCELED : r;
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
		return ledger_find_migration_record(l, *id, ret);
	r = ledger_last_migration_record(l, ret);
	if (r < 0)
		return r;
	r = ledger_foreach_record(l, *ret, first_number, id);
	return r == -ECANCELED ? 0 : r < 0 ? r : -ENODATA;
}

static int read_report(struct ledger *l, struct migration_status *r)
{
	int64_t from = r->open_position > MIGRATION_STATUS_LOOKBACK ?
		r->open_position - MIGRATION_STATUS_LOOKBACK : 0;
	int ret;

	ret = ledger_foreach_record(l, from, fold, r);
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
static const char *report_state(const struct migration_status *r, struct json_object *vasd)
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

static struct json_object *json_blackout(const struct migration_blackout *b)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "first_suspended", json_ns(b->first_suspended));
	json_object_object_add(o, "last_resumed", json_ns(b->last_resumed));
	json_object_object_add(o, "suspended", json_object_new_int64(b->suspended));
	json_object_object_add(o, "resumed", json_object_new_int64(b->resumed));
	return o;
}

static struct json_object *json_array(const struct migration_events *e,
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

static struct json_object *json_uncoordinated(const struct vasd_event *ev)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "phase", json_object_new_string(what(ev)));
	json_object_object_add(o, "at", json_ns(ev->timestamp));
	json_object_object_add(o, "pid", json_object_new_int64(ev->coord.pid));
	json_object_object_add(o, "uid", json_object_new_int64(ev->coord.uid));
	json_object_object_add(o, "comm", json_object_new_string(ev->coord.comm));
	json_object_object_add(o, "windows", json_object_new_int64(ev->coord.count));
	return o;
}

static struct json_object *json_error(const struct vasd_event *ev)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(what(ev)));
	json_object_object_add(o, "at", json_ns(ev->timestamp));
	return o;
}

static struct json_object *json_report(const struct migration_status *r,
				       struct json_object *vasd)
{
	struct json_object *o = json_object_new_object(), *a;
	struct migration_blackout b;
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
		const struct migration_asked_lock *l = &r->locks[i];
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
	json_object_object_add(o, "uncoordinated",
			       json_array(&r->uncoordinated, json_uncoordinated));
	json_object_object_add(o, "errors", json_array(&r->errors, json_error));

	json_object_object_add(o, "blackout", migration_status_blackout(r, &b) ?
			       json_blackout(&b) : NULL);
	a = json_object_new_array();
	for (size_t i = 0; i < migration_status_n_clients(r); i++) {
		struct migration_client c = migration_status_client(r, i);
		struct json_object *co = json_object_new_object();

		json_object_object_add(co, "tgid", json_object_new_int64(c.tgid));
		json_object_object_add(co, "comm", vasctl_json_comm(c.comm));
		json_object_object_add(co, "blackout", json_blackout(&c.blackout));
		json_object_array_add(a, co);
	}
	json_object_object_add(o, "clients", a);
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
		      const struct migration_status *r, uint64_t ns)
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
	(void)vasctl_vprint_escaped(stdout, fmt, ap);
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

static int print_locks(const struct migration_status *r, bool color)
{
	_cleanup_(table_freep) struct table *t =
		table_new(lock_columns, ELEMENTSOF(lock_columns));
	char comm[VASCTL_COMM_ESCAPED_MAX], a[HUMAN_TIMESPAN_MAX + 1];
	char s1[HUMAN_TIMESPAN_MAX], s2[HUMAN_TIMESPAN_MAX];
	int ret = t ? 0 : -ENOMEM;

	for (size_t i = 0; ret >= 0 && i < r->n_locks; i++) {
		const struct migration_asked_lock *l = &r->locks[i];

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

static int client_row(struct table *t, const struct migration_status *r,
		      const struct migration_client *cl)
{
	const struct migration_blackout *b = &cl->blackout;
	char c[VASCTL_COMM_ESCAPED_MAX], s[HUMAN_TIMESPAN_MAX];
	char a1[HUMAN_TIMESPAN_MAX + 1], a2[HUMAN_TIMESPAN_MAX + 1];
	int ret;

	ret = table_addf(t, NULL, "%" PRIu32, cl->tgid);
	if (ret >= 0)
		ret = table_add(t, vasctl_comm_escape(c, cl->comm), NULL);
	if (ret >= 0)
		ret = table_addf(t, NULL, "%" PRIu32, b->suspended);
	if (ret >= 0)
		ret = table_addf(t, b->resumed < b->suspended ? ANSI_YELLOW : NULL,
				 "%" PRIu32, b->resumed);
	if (ret >= 0)
		ret = table_addf(t, NULL, "%s (%s to %s)",
				 span(s, b->first_suspended, b->last_resumed),
				 at(a1, r, b->first_suspended),
				 b->last_resumed ? at(a2, r, b->last_resumed) : "-");
	return ret;
}

static int print_clients(const struct migration_status *r, bool color)
{
	_cleanup_(table_freep) struct table *t =
		table_new(client_columns, ELEMENTSOF(client_columns));
	int ret = t ? 0 : -ENOMEM;

	for (size_t i = 0; ret >= 0 && i < migration_status_n_clients(r); i++) {
		struct migration_client c = migration_status_client(r, i);

		ret = client_row(t, r, &c);
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

static int print_anomalies(const struct migration_status *r, bool color)
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

static const struct table_column uncoordinated_columns[] = {
	{ "PHASE", TABLE_LEFT },
	{ "PID", TABLE_RIGHT },
	{ "UID", TABLE_RIGHT },
	{ "COMM", TABLE_LEFT },
	{ "WINDOWS", TABLE_RIGHT },
	{ "AT", TABLE_LEFT },
};

/* observe: who held windows without a lock at check and pre */
static int print_uncoordinated(const struct migration_status *r, bool color)
{
	_cleanup_(table_freep) struct table *t =
		table_new(uncoordinated_columns, ELEMENTSOF(uncoordinated_columns));
	char c[VASCTL_COMM_ESCAPED_MAX], a[HUMAN_TIMESPAN_MAX + 1];
	int ret = t ? 0 : -ENOMEM;

	for (size_t i = 0; ret >= 0 && i < r->uncoordinated.n; i++) {
		const struct vasd_event *ev = &r->uncoordinated.v[i];

		ret = table_add(t, what(ev), NULL);
		if (ret >= 0)
			ret = table_addf(t, NULL, "%" PRIu32, ev->coord.pid);
		if (ret >= 0)
			ret = table_addf(t, NULL, "%" PRIu32, ev->coord.uid);
		if (ret >= 0)
			ret = table_add(t, vasctl_comm_escape(c, ev->coord.comm), NULL);
		if (ret >= 0)
			ret = table_addf(t, ANSI_YELLOW, "%" PRIu32, ev->coord.count);
		if (ret >= 0)
			ret = table_add(t, at(a, r, ev->timestamp), NULL);
	}
	if (ret >= 0)
		ret = print_table("Uncoordinated (holding windows but no lock at the hook: a migration fails their pastes):",
				  t, color);
	return ret;
}

static void print_vasd(const struct migration_status *r, struct json_object *vasd)
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

static void print_summary(const struct migration_status *r)
{
	char t[HUMAN_TIMESTAMP_MAX], s[HUMAN_TIMESPAN_MAX], a[HUMAN_TIMESPAN_MAX + 1];
	char c[VASCTL_COMM_ESCAPED_MAX];
	struct migration_blackout b;

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
			line("Vetoed:", "block lock %" PRIu64 " of uid %" PRIu32 ", pid %" PRIu32 " (%s)%s",
			     ev->coord.lock, ev->coord.uid, ev->coord.pid,
			     vasctl_comm_escape(c, ev->coord.comm),
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
	if (migration_status_blackout(r, &b) && r->closed)
		line("Blackout:", "%s: %" PRIu32 " window%s suspended, %" PRIu32 " resumed",
		     span(s, b.first_suspended, b.last_resumed),
		     b.suspended, b.suspended == 1 ? "" : "s", b.resumed);
	else if (r->closed)
		line("Blackout:", "none (no window was suspended)");
	else
		line("Blackout:", "so far %" PRIu32 " window%s suspended, %" PRIu32 " resumed",
		     b.suspended, b.suspended == 1 ? "" : "s", b.resumed);
	line("Anomalies:", "%zu", r->anomalies.n);
	for (size_t i = 0; i < r->errors.n; i++)
		line(i ? "" : "Errors:", "%s at %s", what(&r->errors.v[i]),
		     at(a, r, r->errors.v[i].timestamp));
}

static int print_human(const struct migration_status *r, struct json_object *vasd)
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
	if (ret >= 0)
		ret = print_uncoordinated(r, color);
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
	struct migration_status r = { .id = 0 };
	uint64_t mid = id;
	int64_t open_position;
	char *error = NULL;
	int ret;

	ret = read_vasd(&vasd);
	if (ret != VASCTL_EXIT_OK)
		return ret;
	/* the migration vasd has open, as it names it */
	if (!mid && *vasd_string(vasd, "migration"))
		mid = strtoull(vasd_string(vasd, "migration"), NULL, 10);

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
		ret = find_migration(l, &mid, &open_position);
		if (ret >= 0)
			ret = migration_status_init(&r, mid, open_position);
		if (ret >= 0)
			ret = read_report(l, &r);
		ledger_read_end(l);
	}
	if (ret == -ENODATA && !mid) {
		ret = print_none(database, vasd, json);
	} else if (ret == -ENODATA) {
		vasctl_error("migration status: migration %" PRIu64 " is not in the ledger %s (never opened, or compacted away)",
			     mid, database);
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
	migration_status_done(&r);
	json_object_put(vasd);
	if (ret > 0)
		return ret;
	return vasctl_finish_output("migration status", ret);
}
