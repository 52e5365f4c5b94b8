/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * event-fields: what an event carries, field by field, once. The ledger's
 * row (daemon/ledger/row.c), the bus's a{sv} (ReadEvents,
 * daemon/bus/manager.c) and the JSON of `vasctl ledger export` and
 * `vasctl events --json` (cli/) are adapters that walk this table; the
 * names are the contracts' (proto/ledger-export.md, docs/bus.md), in
 * their order.
 *
 * An event is its position and kind, then its own fields (generation,
 * seq, ..., reason), then its objects (window, caps, migration, coord),
 * each present when the kind carries it. A field absent from an event is
 * a NULL column, and no key in the a{sv} and the JSON; it reads back as 0
 * (a KNOWN field: as VAS_UID_UNKNOWN).
 *
 * Pure: no I/O, no globals.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/event.h"

/* What a kind's events carry besides position, kind, timestamp and recorded. */
enum {
	VASD_CARRIES_SEQ	= 1u << 0,	/* generation and seq */
	VASD_CARRIES_REASON	= 1u << 1,
	VASD_CARRIES_WINDOW	= 1u << 2,
	VASD_CARRIES_CAPS	= 1u << 3,
	VASD_CARRIES_MIGRATION	= 1u << 4,
	VASD_CARRIES_COORD	= 1u << 5,	/* struct vasd_coord */
};
/* 0 for an unknown kind. */
unsigned int vasd_event_kind_carries(int kind);

enum vasd_field_type {
	VASD_FIELD_U32,		/* a number */
	VASD_FIELD_U64,		/* a number; times and seqs exceed 2^53 */
	VASD_FIELD_ID64,	/* a random 64-bit identifier: hex in JSON */
	VASD_FIELD_ENUM,	/* a u32 the kernel numbers: stored as the number, shown by name */
	VASD_FIELD_NAME,	/* a u32 of vasd's enums: stored by its name too */
	VASD_FIELD_COMM,	/* char[VAS_COMM_MAX], NUL-terminated */
};

enum vasd_field_presence {
	VASD_FIELD_ALWAYS,	/* whenever its object is there */
	VASD_FIELD_CARRIED,	/* when the kind carries the field's carries */
	VASD_FIELD_CARRIED_OR_SET,/* that, or when its value is not 0 */
	VASD_FIELD_NAMED,	/* when the kind has names for it; else it is 0 */
	VASD_FIELD_KNOWN,	/* a u32 when not VAS_UID_UNKNOWN, which NULL reads back as */
};

struct vasd_field {
	const char *name;		/* as the contracts spell it */
	enum vasd_field_type type;
	size_t offset;			/* in its object's struct */
	enum vasd_field_presence presence;
	unsigned int carries;		/* CARRIED, CARRIED_OR_SET */
	/* ReadEvents gives it in its head (xstt), beside position and kind */
	bool head;
	/* ENUM, NAME: the name of a value, NULL when it has none */
	const char *(*to_string)(int kind, uint32_t v);
	/* NAME: the value of a name, < 0 when unknown */
	int (*from_string)(int kind, const char *s);
};

struct vasd_field_object {
	const char *name;		/* NULL: the event's own fields */
	unsigned int carries;		/* 0: every event */
	size_t offset;			/* in struct vasd_event */
	const struct vasd_field *fields;
	size_t n_fields;
};

/* The event's own fields first, then its objects, in the contracts' order. */
enum {
	VASD_OBJECT_EVENT,
	VASD_OBJECT_WINDOW,
	VASD_OBJECT_CAPS,
	VASD_OBJECT_MIGRATION,
	VASD_OBJECT_COORD,
	_VASD_OBJECT_MAX,
};
extern const struct vasd_field_object vasd_event_objects[_VASD_OBJECT_MAX];

/* The object of an event, as a pointer to its struct. */
static inline const void *vasd_event_object(const struct vasd_event *ev,
					    const struct vasd_field_object *o)
{
	return (const char *)ev + o->offset;
}

static inline void *vasd_event_object_mut(struct vasd_event *ev,
					  const struct vasd_field_object *o)
{
	return (char *)ev + o->offset;
}

/* The values of a field of obj (its object's struct), by type. */
static inline uint32_t vasd_field_u32(const struct vasd_field *f, const void *obj)
{
	uint32_t v;

	memcpy(&v, (const char *)obj + f->offset, sizeof(v));
	return v;
}

static inline uint64_t vasd_field_u64(const struct vasd_field *f, const void *obj)
{
	uint64_t v;

	memcpy(&v, (const char *)obj + f->offset, sizeof(v));
	return v;
}

static inline const char *vasd_field_comm(const struct vasd_field *f, const void *obj)
{
	return (const char *)obj + f->offset;
}

static inline void vasd_field_set_u32(const struct vasd_field *f, void *obj, uint32_t v)
{
	memcpy((char *)obj + f->offset, &v, sizeof(v));
}

static inline void vasd_field_set_u64(const struct vasd_field *f, void *obj, uint64_t v)
{
	memcpy((char *)obj + f->offset, &v, sizeof(v));
}

static inline char *vasd_field_comm_mut(const struct vasd_field *f, void *obj)
{
	return (char *)obj + f->offset;
}

/* The name of an ENUM or NAME field's value; NULL when it has none. */
static inline const char *vasd_field_name(const struct vasd_field *f, int kind,
					  const void *obj)
{
	return f->to_string(kind, vasd_field_u32(f, obj));
}

/*
 * The field name of the object named object (NULL: the event's own
 * fields); NULL when there is none.
 */
const struct vasd_field *vasd_event_field(const char *object, const char *name);

/* Whether the kind of ev carries object o. */
static inline bool vasd_event_has_object(const struct vasd_event *ev,
					 const struct vasd_field_object *o)
{
	return !o->carries || (vasd_event_kind_carries(ev->kind) & o->carries);
}

/*
 * Whether an event of kind, which carries carries
 * (vasd_event_kind_carries()), has field f of its object obj (which it
 * carries). Inline: the ledger asks it for every column it writes.
 */
static inline bool vasd_field_present(const struct vasd_field *f, int kind,
				      unsigned int carries, const void *obj)
{
	switch (f->presence) {
	case VASD_FIELD_ALWAYS:
		return true;
	case VASD_FIELD_CARRIED:
		return carries & f->carries;
	case VASD_FIELD_CARRIED_OR_SET:
		if (carries & f->carries)
			return true;
		if (f->type == VASD_FIELD_U64 || f->type == VASD_FIELD_ID64)
			return vasd_field_u64(f, obj) != 0;
		return vasd_field_u32(f, obj) != 0;
	case VASD_FIELD_NAMED:
		return f->to_string(kind, 0) != NULL;
	case VASD_FIELD_KNOWN:
		return vasd_field_u32(f, obj) != VAS_UID_UNKNOWN;
	}
	return false;
}

/* Whether ev has field f of its object o (which it carries). */
static inline bool vasd_event_has_field(const struct vasd_event *ev,
					const struct vasd_field_object *o,
					const struct vasd_field *f)
{
	return vasd_field_present(f, ev->kind, vasd_event_kind_carries(ev->kind),
				  vasd_event_object(ev, o));
}
