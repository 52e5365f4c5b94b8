// SPDX-License-Identifier: GPL-2.0-only
/* /org/vasd1, org.vasd1.Manager: the ledger's state, windows and events. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/internal.h"
#include "core/event-fields.h"
#include "ledger/ledger.h"
#include "log.h"

/* ReadEvents: a page holds at most this many events; more is clamped. */
#define READ_EVENTS_MAX 1000

static const char *state_name(struct vasd_bus *b)
{
	switch (b->phase) {
	case VASD_BUS_STARTING:
		return "starting";
	case VASD_BUS_STOPPING:
		return "stopping";
	default:
		return ingest_attached(b->ingest) ? "running" : "waiting-for-kernel";
	}
}

void bus_manager_props_get(struct vasd_bus *b, struct bus_manager_props *ret)
{
	const struct vasd_state *s = bus_state(b);
	const struct vas_migration *m = vasd_state_migration(s);

	*ret = (struct bus_manager_props) {
		.state = state_name(b),
		.kernel_attached = ingest_attached(b->ingest),
		.kernel_source = ingest_source_name(b->ingest),
		.observed_missed = ingest_observed_missed(b->ingest),
		.generation = vasd_state_generation(s),
		.seq = vasd_state_seq(s),
		.first_position = b->first_position,
		.last_position = b->last_position,
		.windows = (uint32_t)vasd_state_n_windows(s),
		.windows_active = (uint32_t)vasd_state_n_windows_in(s, VAS_WIN_STATE_ACTIVE),
		.windows_suspended = (uint32_t)vasd_state_n_windows_in(s, VAS_WIN_STATE_SUSPENDED),
		.migration_phase = bus_enum_name(vas_migration_phase_to_string(m ? m->phase : VAS_MIGRATION_PHASE_NONE)),
		.migration_stream = m ? m->stream_id : 0,
		.migration_state = migration_state_to_string(coordinator_state(b->coordinator)),
		.migration_anomalies = coordinator_anomalies(b->coordinator),
	};
	snprintf(ret->migration_name, sizeof(ret->migration_name), "%s",
		 coordinator_name(b->coordinator));
	for (uint32_t t = 0; t < VASD_N_TYPES; t++) {
		const struct vas_caps *c = vasd_state_caps(s, t);

		ret->credits[t][0] = c ? c->total : 0;
		ret->credits[t][1] = c ? c->used : 0;
	}
}

void bus_manager_announce(struct vasd_bus *b)
{
	struct bus_manager_props now, *was = &b->announced;
	const char *names[16];
	size_t n = 0;
	int r;

	bus_manager_props_get(b, &now);
#define CHANGED(field, name) \
	do { if (now.field != was->field) names[n++] = name; } while (0)
	CHANGED(state, "State");	/* static strings: one pointer each */
	CHANGED(kernel_attached, "KernelAttached");
	CHANGED(kernel_source, "KernelSource");	/* static strings too */
	CHANGED(observed_missed, "ObservedMissed");
	CHANGED(generation, "Generation");
	CHANGED(seq, "Seq");
	CHANGED(first_position, "FirstPosition");
	CHANGED(last_position, "LastPosition");
	CHANGED(windows, "Windows");
	CHANGED(windows_active, "WindowsActive");
	CHANGED(windows_suspended, "WindowsSuspended");
	CHANGED(migration_phase, "MigrationPhase");
	CHANGED(migration_stream, "MigrationStream");
	CHANGED(migration_state, "MigrationState");
	CHANGED(migration_anomalies, "MigrationAnomalies");
#undef CHANGED
	if (strcmp(now.migration_name, was->migration_name) != 0)
		names[n++] = "MigrationName";
	if (memcmp(now.credits[VAS_WIN_TYPE_DEFAULT], was->credits[VAS_WIN_TYPE_DEFAULT],
		   sizeof(now.credits[0])) != 0)
		names[n++] = "CreditsDefault";
	if (memcmp(now.credits[VAS_WIN_TYPE_QOS], was->credits[VAS_WIN_TYPE_QOS],
		   sizeof(now.credits[0])) != 0)
		names[n++] = "CreditsQos";
	names[n] = NULL;
	*was = now;
	if (!n)
		return;
	r = sd_bus_emit_properties_changed_strv(b->bus, VASD_BUS_PATH,
						VASD_BUS_MANAGER_INTERFACE,
						(char **)names);
	if (r < 0)
		log_warning_errno(r, "Failed to announce the Manager's changes: %s", strerror(-r));
}

static int get_state(sd_bus *bus, const char *path, const char *interface,
		     const char *property, sd_bus_message *reply,
		     void *userdata, sd_bus_error *error)
{
	return sd_bus_message_append(reply, "s", state_name(userdata));
}

static int get_kernel_attached(sd_bus *bus, const char *path, const char *interface,
			       const char *property, sd_bus_message *reply,
			       void *userdata, sd_bus_error *error)
{
	struct vasd_bus *b = userdata;

	return sd_bus_message_append(reply, "b", (int)ingest_attached(b->ingest));
}

static int get_kernel_source(sd_bus *bus, const char *path, const char *interface,
			     const char *property, sd_bus_message *reply,
			     void *userdata, sd_bus_error *error)
{
	struct vasd_bus *b = userdata;

	if (strcmp(property, "ObservedMissed") == 0)
		return sd_bus_message_append(reply, "t", ingest_observed_missed(b->ingest));
	return sd_bus_message_append(reply, "s", ingest_source_name(b->ingest));
}

static int get_cursor(sd_bus *bus, const char *path, const char *interface,
		      const char *property, sd_bus_message *reply,
		      void *userdata, sd_bus_error *error)
{
	const struct vasd_state *s = bus_state(userdata);

	return sd_bus_message_append(reply, "t", strcmp(property, "Seq") == 0 ?
				     vasd_state_seq(s) : vasd_state_generation(s));
}

static int get_windows(sd_bus *bus, const char *path, const char *interface,
		       const char *property, sd_bus_message *reply,
		       void *userdata, sd_bus_error *error)
{
	const struct vasd_state *s = bus_state(userdata);
	size_t n;

	if (strcmp(property, "WindowsActive") == 0)
		n = vasd_state_n_windows_in(s, VAS_WIN_STATE_ACTIVE);
	else if (strcmp(property, "WindowsSuspended") == 0)
		n = vasd_state_n_windows_in(s, VAS_WIN_STATE_SUSPENDED);
	else
		n = vasd_state_n_windows(s);
	return sd_bus_message_append(reply, "u", (uint32_t)n);
}

static int get_credits(sd_bus *bus, const char *path, const char *interface,
		       const char *property, sd_bus_message *reply,
		       void *userdata, sd_bus_error *error)
{
	const struct vas_caps *c = vasd_state_caps(bus_state(userdata),
		strcmp(property, "CreditsQos") == 0 ? VAS_WIN_TYPE_QOS : VAS_WIN_TYPE_DEFAULT);

	return sd_bus_message_append(reply, "(uu)", c ? c->total : 0,
				     c ? c->used : 0);
}

static int get_migration_phase(sd_bus *bus, const char *path, const char *interface,
			       const char *property, sd_bus_message *reply,
			       void *userdata, sd_bus_error *error)
{
	const struct vas_migration *m = vasd_state_migration(bus_state(userdata));

	return sd_bus_message_append(reply, "s",
		bus_enum_name(vas_migration_phase_to_string(m ? m->phase : VAS_MIGRATION_PHASE_NONE)));
}

static int get_migration_stream(sd_bus *bus, const char *path, const char *interface,
				const char *property, sd_bus_message *reply,
				void *userdata, sd_bus_error *error)
{
	const struct vas_migration *m = vasd_state_migration(bus_state(userdata));

	return sd_bus_message_append(reply, "t", m ? m->stream_id : (uint64_t)0);
}

static int get_migration_name(sd_bus *bus, const char *path, const char *interface,
			      const char *property, sd_bus_message *reply,
			      void *userdata, sd_bus_error *error)
{
	struct vasd_bus *b = userdata;

	return sd_bus_message_append(reply, "s", coordinator_name(b->coordinator));
}

static int get_migration_state(sd_bus *bus, const char *path, const char *interface,
			       const char *property, sd_bus_message *reply,
			       void *userdata, sd_bus_error *error)
{
	struct vasd_bus *b = userdata;

	return sd_bus_message_append(reply, "s",
		migration_state_to_string(coordinator_state(b->coordinator)));
}

static int get_migration_anomalies(sd_bus *bus, const char *path, const char *interface,
				   const char *property, sd_bus_message *reply,
				   void *userdata, sd_bus_error *error)
{
	struct vasd_bus *b = userdata;

	return sd_bus_message_append(reply, "u", coordinator_anomalies(b->coordinator));
}

static int cmp_window_id(const void *a, const void *b)
{
	uint32_t x = (*(const struct vas_window *const *)a)->id;
	uint32_t y = (*(const struct vas_window *const *)b)->id;

	return x < y ? -1 : x > y;
}

static int method_list_windows(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const struct vasd_state *s = bus_state(userdata);
	size_t n = vasd_state_n_windows(s), i = 0, cursor = 0;
	const struct vas_window *w, **sorted;
	int r;

	sorted = calloc(n ? n : 1, sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	while (i < n && (w = vasd_state_next_window(s, &cursor)))
		sorted[i++] = w;
	qsort(sorted, i, sizeof(*sorted), cmp_window_id);

	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "(uuusssssto)");
	for (size_t k = 0; k < i && r >= 0; k++) {
		char comm[BUS_COMM_MAX], path[BUS_WINDOW_PATH_MAX];

		w = sorted[k];
		r = sd_bus_message_append(reply, "(uuusssssto)", w->id, w->tgid, w->pid,
			bus_escape_comm(w->comm, comm),
			bus_enum_name(vas_cop_to_string(w->cop)),
			bus_enum_name(vas_win_type_to_string(w->type)),
			bus_enum_name(vas_win_state_to_string(w->state)),
			bus_enum_name(vas_suspend_reason_to_string(w->reason)),
			w->opened_at, bus_window_path(w->id, path));
	}
	free(sorted);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

struct read_events {
	sd_bus_message *reply;
	uint32_t max;
	uint32_t n;
	int64_t next;
	bool full;
};

/* One field of obj as {sv}: u32 "u", u64 "t", names and comm "s". */
static int append_field(sd_bus_message *reply, int kind,
			const struct vasd_field *f, const void *obj)
{
	char comm[BUS_COMM_MAX];

	switch (f->type) {
	case VASD_FIELD_U32:
		return sd_bus_message_append(reply, "{sv}", f->name, "u",
					     vasd_field_u32(f, obj));
	case VASD_FIELD_U64:
	case VASD_FIELD_ID64:
		return sd_bus_message_append(reply, "{sv}", f->name, "t",
					     vasd_field_u64(f, obj));
	case VASD_FIELD_ENUM:
	case VASD_FIELD_NAME:
		return sd_bus_message_append(reply, "{sv}", f->name, "s",
					     bus_enum_name(vasd_field_name(f, kind, obj)));
	case VASD_FIELD_COMM:
		return sd_bus_message_append(reply, "{sv}", f->name, "s",
					     bus_escape_comm(vasd_field_comm(f, obj), comm));
	}
	return -EINVAL;
}

/* The fields of o that ev has, into the open a{sv}; the head's are not. */
static int append_fields(sd_bus_message *reply, const struct vasd_event *ev,
			 const struct vasd_field_object *o)
{
	const void *obj = vasd_event_object(ev, o);
	int r = 0;

	for (size_t j = 0; r >= 0 && j < o->n_fields; j++) {
		const struct vasd_field *f = &o->fields[j];

		if (!f->head && vasd_event_has_field(ev, o, f))
			r = append_field(reply, ev->kind, f, obj);
	}
	return r;
}

/*
 * The fields of `vasctl ledger export` (proto/ledger-export.md), as a{sv}:
 * those core/event-fields.h lists, an object as a nested a{sv}.
 */
static int append_event(const struct vasd_event *ev, void *userdata)
{
	struct read_events *re = userdata;
	sd_bus_message *reply = re->reply;
	int r;

	if (re->n == re->max) {
		re->full = true;
		return -ECANCELED;
	}
	r = sd_bus_message_open_container(reply, 'r', "xstta{sv}");
	if (r >= 0)
		r = sd_bus_message_append(reply, "xstt", ev->position,
					  vasd_event_kind_to_string(ev->kind),
					  ev->timestamp, ev->recorded);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "{sv}");
	for (size_t k = 0; r >= 0 && k < _VASD_OBJECT_MAX; k++) {
		const struct vasd_field_object *o = &vasd_event_objects[k];

		if (!vasd_event_has_object(ev, o))
			continue;
		if (!o->name) {
			r = append_fields(reply, ev, o);
			continue;
		}
		r = sd_bus_message_open_container(reply, 'e', "sv");
		if (r >= 0)
			r = sd_bus_message_append(reply, "s", o->name);
		if (r >= 0)
			r = sd_bus_message_open_container(reply, 'v', "a{sv}");
		if (r >= 0)
			r = sd_bus_message_open_container(reply, 'a', "{sv}");
		if (r >= 0)
			r = append_fields(reply, ev, o);
		for (int i = 0; r >= 0 && i < 3; i++)
			r = sd_bus_message_close_container(reply);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	re->n++;
	re->next = ev->position + 1;
	return 0;
}

static int method_read_events(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	struct vasd_bus *b = userdata;
	struct read_events re;
	int64_t from;
	uint32_t max;
	int r;

	r = sd_bus_message_read(m, "xu", &from, &max);
	if (r < 0)
		return r;
	if (from < 0)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "A ledger position is 0 or more, not %lld",
					 (long long)from);
	/* a reader that would miss events is told, not skipped ahead */
	if (from > 0 && from < b->first_position)
		return sd_bus_error_setf(error, VASD_ERROR_COMPACTED,
					 "The events before position %lld were compacted: the ledger's history starts there (FirstPosition); read from it, or from 0",
					 (long long)b->first_position);

	r = sd_bus_message_new_method_return(m, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(reply, 'a', "(xstta{sv})");
	if (r < 0)
		return r;
	re = (struct read_events) {
		.reply = reply,
		.max = max == 0 || max > READ_EVENTS_MAX ? READ_EVENTS_MAX : max,
		.next = from > 0 ? from : b->first_position,
	};
	r = ledger_foreach_event(b->ledger, from, append_event, &re);
	if (r < 0 && !re.full)
		return sd_bus_error_setf(error, VASD_ERROR_LEDGER,
					 "Cannot read the ledger from position %lld: %s",
					 (long long)from, strerror(-r));
	r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_message_append(reply, "x", re.next);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

/*
 * Every method is open to anyone (SD_BUS_VTABLE_UNPRIVILEGED: else sd-bus
 * asks the caller's capabilities with a blocking call, and wants
 * CAP_SYS_ADMIN); the policy file and the methods decide.
 */
static const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("State", "s", get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("KernelAttached", "b", get_kernel_attached, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("KernelSource", "s", get_kernel_source, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("ObservedMissed", "t", get_kernel_source, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Generation", "t", get_cursor, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Seq", "t", get_cursor, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("FirstPosition", "x", NULL, offsetof(struct vasd_bus, first_position), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("LastPosition", "x", NULL, offsetof(struct vasd_bus, last_position), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Windows", "u", get_windows, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("WindowsActive", "u", get_windows, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("WindowsSuspended", "u", get_windows, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("CreditsDefault", "(uu)", get_credits, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("CreditsQos", "(uu)", get_credits, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("MigrationPhase", "s", get_migration_phase, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("MigrationStream", "t", get_migration_stream, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("MigrationName", "s", get_migration_name, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("MigrationState", "s", get_migration_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("MigrationAnomalies", "u", get_migration_anomalies, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("InhibitDelayMaxUSec", "t", NULL, offsetof(struct vasd_bus, inhibit_delay_max_usec), SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_METHOD_WITH_ARGS("ListWindows",
		SD_BUS_NO_ARGS,
		SD_BUS_RESULT("a(uuusssssto)", windows),
		method_list_windows, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("ReadEvents",
		SD_BUS_ARGS("x", from, "u", max),
		SD_BUS_RESULT("a(xstta{sv})", events, "x", next),
		method_read_events, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("Inhibit",
		SD_BUS_ARGS("s", what, "s", who, "s", why, "s", mode),
		SD_BUS_RESULT("h", fd),
		bus_method_inhibit, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("ListInhibitors",
		SD_BUS_NO_ARGS,
		SD_BUS_RESULT("a(ssssuu)", inhibitors),
		bus_method_list_inhibitors, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("ReleaseLock",
		SD_BUS_ARGS("t", id),
		SD_BUS_NO_RESULT,
		bus_method_release_lock, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("CompactLedger",
		SD_BUS_ARGS("x", keep_from),
		SD_BUS_RESULT("x", first_position, "t", events_removed),
		bus_method_compact_ledger, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("MigrationCheck",
		SD_BUS_NO_ARGS,
		SD_BUS_RESULT("s", migration, "s", message),
		bus_method_migration, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("MigrationPrepare",
		SD_BUS_NO_ARGS,
		SD_BUS_RESULT("s", migration, "s", message),
		bus_method_migration, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("MigrationComplete",
		SD_BUS_NO_ARGS,
		SD_BUS_RESULT("s", migration, "s", message),
		bus_method_migration, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("MigrationAbort",
		SD_BUS_NO_ARGS,
		SD_BUS_RESULT("s", migration, "s", message),
		bus_method_migration, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_SIGNAL_WITH_ARGS("PrepareForMigration",
		SD_BUS_ARGS("b", active, "s", migration), 0),
	SD_BUS_VTABLE_END
};

int bus_manager_install(struct vasd_bus *b, sd_bus *bus)
{
	int r;

	r = sd_bus_add_object_vtable(bus, NULL, VASD_BUS_PATH,
				     VASD_BUS_MANAGER_INTERFACE, manager_vtable, b);
	if (r < 0)
		return r;
	return sd_bus_add_object_manager(bus, NULL, VASD_BUS_PATH);
}
