// SPDX-License-Identifier: GPL-2.0-only
/*
 * event-fields: the table of an event's fields. See event-fields.h.
 *
 * Adding a field: a column in ledger/schema.c (a new step), a line here
 * where the contracts list it, and the contracts. The adapters follow.
 */
#include "core/event-fields.h"
#include "util/macro.h"

static const unsigned int kind_carries[_VASD_EVENT_KIND_MAX] = {
	[VASD_EVENT_WINDOW_ADD] = VASD_CARRIES_SEQ | VASD_CARRIES_WINDOW,
	[VASD_EVENT_WINDOW_DEL] = VASD_CARRIES_SEQ | VASD_CARRIES_WINDOW,
	[VASD_EVENT_WINDOW_CHANGE] = VASD_CARRIES_SEQ | VASD_CARRIES_WINDOW,
	[VASD_EVENT_CAPS_CHANGE] = VASD_CARRIES_SEQ | VASD_CARRIES_CAPS,
	[VASD_EVENT_MIGRATION_CHANGE] = VASD_CARRIES_SEQ | VASD_CARRIES_MIGRATION,
	[VASD_EVENT_RESYNC_BEGIN] = VASD_CARRIES_REASON,
	[VASD_EVENT_RESYNC_WINDOW_ADD] = VASD_CARRIES_WINDOW,
	[VASD_EVENT_RESYNC_WINDOW_DEL] = VASD_CARRIES_WINDOW,
	[VASD_EVENT_RESYNC_WINDOW_CHANGE] = VASD_CARRIES_WINDOW,
	[VASD_EVENT_RESYNC_CAPS] = VASD_CARRIES_CAPS,
	[VASD_EVENT_RESYNC_MIGRATION] = VASD_CARRIES_MIGRATION,
	[VASD_EVENT_RESYNC_END] = VASD_CARRIES_SEQ,
	[VASD_EVENT_INHIBITOR_TAKE] = VASD_CARRIES_COORD,
	[VASD_EVENT_INHIBITOR_RELEASE] = VASD_CARRIES_COORD,
	[VASD_EVENT_MIGRATION_HOOK] = VASD_CARRIES_COORD,
	[VASD_EVENT_MIGRATION_OPEN] = VASD_CARRIES_COORD | VASD_CARRIES_MIGRATION,
	[VASD_EVENT_MIGRATION_VETO] = VASD_CARRIES_COORD | VASD_CARRIES_MIGRATION,
	[VASD_EVENT_MIGRATION_ASKED] = VASD_CARRIES_COORD,
	[VASD_EVENT_MIGRATION_TIMEOUT] = VASD_CARRIES_COORD,
	[VASD_EVENT_MIGRATION_QUIESCED] = VASD_CARRIES_COORD,
	[VASD_EVENT_MIGRATION_ACK] = VASD_CARRIES_COORD | VASD_CARRIES_MIGRATION,
	[VASD_EVENT_MIGRATION_ANOMALY] = VASD_CARRIES_COORD | VASD_CARRIES_WINDOW |
					 VASD_CARRIES_MIGRATION,
	[VASD_EVENT_MIGRATION_ERROR] = VASD_CARRIES_COORD | VASD_CARRIES_MIGRATION,
	[VASD_EVENT_MIGRATION_BLACKOUT] = VASD_CARRIES_COORD,
	[VASD_EVENT_MIGRATION_CLIENT_BLACKOUT] = VASD_CARRIES_COORD,
	[VASD_EVENT_MIGRATION_CLOSE] = VASD_CARRIES_COORD | VASD_CARRIES_MIGRATION,
	[VASD_EVENT_MIGRATION_UNCOORDINATED] = VASD_CARRIES_COORD,
};

unsigned int vasd_event_kind_carries(int kind)
{
	if (kind < 0 || kind >= _VASD_EVENT_KIND_MAX)
		return 0;
	return kind_carries[kind];
}

/* The names, as one signature: the kind matters to the coordinator's what only. */
static const char *reason_name(int kind, uint32_t v)
{
	(void)kind;
	return vasd_resync_reason_to_string((int)v);
}

static int reason_value(int kind, const char *s)
{
	(void)kind;
	return vasd_resync_reason_from_string(s);
}

#define KERNEL_NAME(fn)						\
	static const char *fn##_name(int kind, uint32_t v)	\
	{							\
		(void)kind;					\
		return vas_##fn##_to_string(v);			\
	}
KERNEL_NAME(cop)
KERNEL_NAME(win_type)
KERNEL_NAME(win_state)
KERNEL_NAME(suspend_reason)
KERNEL_NAME(migration_phase)

#define U32(s, f)	{ .name = #f, .type = VASD_FIELD_U32, .offset = offsetof(s, f) }
#define U64(s, f)	{ .name = #f, .type = VASD_FIELD_U64, .offset = offsetof(s, f) }
#define ID64(s, f)	{ .name = #f, .type = VASD_FIELD_ID64, .offset = offsetof(s, f) }
#define COMM(s, f)	{ .name = #f, .type = VASD_FIELD_COMM, .offset = offsetof(s, f) }
#define ENUM(s, f, n)	{ .name = #f, .type = VASD_FIELD_ENUM, .offset = offsetof(s, f), \
			  .to_string = n##_name }

static const struct vasd_field event_fields[] = {
	{ .name = "generation", .type = VASD_FIELD_ID64,
	  .offset = offsetof(struct vasd_event, generation),
	  .presence = VASD_FIELD_CARRIED_OR_SET, .carries = VASD_CARRIES_SEQ },
	{ .name = "seq", .type = VASD_FIELD_U64,
	  .offset = offsetof(struct vasd_event, seq),
	  .presence = VASD_FIELD_CARRIED_OR_SET, .carries = VASD_CARRIES_SEQ },
	/* RESYNC_BEGIN for a gap */
	{ .name = "lost_from", .type = VASD_FIELD_U64,
	  .offset = offsetof(struct vasd_event, lost_from),
	  .presence = VASD_FIELD_CARRIED_OR_SET },
	{ .name = "timestamp", .type = VASD_FIELD_U64,
	  .offset = offsetof(struct vasd_event, timestamp), .head = true },
	{ .name = "recorded", .type = VASD_FIELD_U64,
	  .offset = offsetof(struct vasd_event, recorded), .head = true },
	{ .name = "reason", .type = VASD_FIELD_NAME,
	  .offset = offsetof(struct vasd_event, reason),
	  .presence = VASD_FIELD_CARRIED, .carries = VASD_CARRIES_REASON,
	  .to_string = reason_name, .from_string = reason_value },
};

/* The projection's tables have these columns in this order too. */
static const struct vasd_field window_fields[] = {
	U32(struct vas_window, id),
	U32(struct vas_window, tgid),
	U32(struct vas_window, pid),
	COMM(struct vas_window, comm),
	ENUM(struct vas_window, cop, cop),
	ENUM(struct vas_window, type, win_type),
	ENUM(struct vas_window, state, win_state),
	ENUM(struct vas_window, reason, suspend_reason),
	U64(struct vas_window, opened_at),
	/* last: added by schema step 6 */
	{ .name = "uid", .type = VASD_FIELD_U32,
	  .offset = offsetof(struct vas_window, uid),
	  .presence = VASD_FIELD_KNOWN },
};

static const struct vasd_field caps_fields[] = {
	ENUM(struct vas_caps, type, win_type),
	U32(struct vas_caps, total),
	U32(struct vas_caps, used),
};

static const struct vasd_field migration_fields[] = {
	U64(struct vas_migration, stream_id),
	ENUM(struct vas_migration, phase, migration_phase),
	ID64(struct vas_migration, token),
};

static const struct vasd_field coord_fields[] = {
	U64(struct vasd_coord, migration),
	U64(struct vasd_coord, lock),
	U64(struct vasd_coord, since),
	ID64(struct vasd_coord, token),
	U32(struct vasd_coord, count),
	U32(struct vasd_coord, total),
	U32(struct vasd_coord, pid),
	U32(struct vasd_coord, uid),
	COMM(struct vasd_coord, comm),
	/* last: for a kind without one, the others are all there is */
	{ .name = "what", .type = VASD_FIELD_NAME,
	  .offset = offsetof(struct vasd_coord, what),
	  .presence = VASD_FIELD_NAMED,
	  .to_string = vasd_coord_what_to_string,
	  .from_string = vasd_coord_what_from_string },
};

#define OBJECT(n, c, f, t) { .name = n, .carries = c,				\
			     .offset = offsetof(struct vasd_event, f),		\
			     .fields = t, .n_fields = ELEMENTSOF(t) }

const struct vasd_field_object vasd_event_objects[_VASD_OBJECT_MAX] = {
	[VASD_OBJECT_EVENT] = { .name = NULL, .offset = 0, .fields = event_fields,
				.n_fields = ELEMENTSOF(event_fields) },
	[VASD_OBJECT_WINDOW] = OBJECT("window", VASD_CARRIES_WINDOW, window, window_fields),
	[VASD_OBJECT_CAPS] = OBJECT("caps", VASD_CARRIES_CAPS, caps, caps_fields),
	[VASD_OBJECT_MIGRATION] = OBJECT("migration", VASD_CARRIES_MIGRATION, migration,
					 migration_fields),
	[VASD_OBJECT_COORD] = OBJECT("coord", VASD_CARRIES_COORD, coord, coord_fields),
};

const struct vasd_field *vasd_event_field(const char *object, const char *name)
{
	for (size_t k = 0; k < _VASD_OBJECT_MAX; k++) {
		const struct vasd_field_object *o = &vasd_event_objects[k];

		if (!o->name != !object || (object && strcmp(o->name, object) != 0))
			continue;
		for (size_t j = 0; j < o->n_fields; j++)
			if (strcmp(o->fields[j].name, name) == 0)
				return &o->fields[j];
		return NULL;
	}
	return NULL;
}
