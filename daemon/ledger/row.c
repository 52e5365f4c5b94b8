// SPDX-License-Identifier: GPL-2.0-only
/*
 * ledger row: an event to the columns of its row and back, and the
 * projection's objects to theirs (ledger/schema.c has the tables). The
 * columns are core/event-fields.h's fields in its order, each named by its
 * object and its own name ("window_id"; the event's own fields plainly);
 * a field an event does not have is NULL, and NULL reads back as 0 (a
 * KNOWN one's as VAS_UID_UNKNOWN: a window's uid not known). u32
 * values and the kernel's enums are integers, u64 values the int64 of the
 * same bits, vasd's enums (reason, coord_what) their names.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "core/event-fields.h"
#include "ledger/ledger-internal.h"

/* Not a kind: the projection's objects have no field whose name depends on one. */
#define NO_KIND _VASD_EVENT_KIND_INVALID

void row_bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
	/* the same 64 bits: SQLite integers are signed */
	sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

uint64_t row_column_u64(sqlite3_stmt *st, int i)
{
	return (uint64_t)sqlite3_column_int64(st, i);
}

/* A u32 column; false when the stored value does not fit. */
static bool column_u32(sqlite3_stmt *st, int i, uint32_t *ret)
{
	sqlite3_int64 v = sqlite3_column_int64(st, i);

	if (v < 0 || v > UINT32_MAX)
		return false;
	*ret = (uint32_t)v;
	return true;
}

/* A comm column; false when it would not fit with its NUL. */
static bool column_comm(sqlite3_stmt *st, int i, char comm[VAS_COMM_MAX])
{
	const unsigned char *text = sqlite3_column_text(st, i);
	int n = sqlite3_column_bytes(st, i);

	if (n >= VAS_COMM_MAX || memchr(text, 0, (size_t)n))
		return false;
	memcpy(comm, text, (size_t)n);
	memset(comm + n, 0, VAS_COMM_MAX - (size_t)n);
	return true;
}

/* A field's column; false when the value does not fit, or is a name this build does not know. */
static bool column_field(sqlite3_stmt *st, int i, int kind,
			 const struct vasd_field *f, void *obj)
{
	const char *text;
	uint32_t u;
	int v;

	if (f->presence == VASD_FIELD_KNOWN &&
	    sqlite3_column_type(st, i) == SQLITE_NULL) {
		vasd_field_set_u32(f, obj, VAS_UID_UNKNOWN);
		return true;
	}
	switch (f->type) {
	case VASD_FIELD_U32:
	case VASD_FIELD_ENUM:
		if (!column_u32(st, i, &u))
			return false;
		vasd_field_set_u32(f, obj, u);
		return true;
	case VASD_FIELD_U64:
	case VASD_FIELD_ID64:
		vasd_field_set_u64(f, obj, row_column_u64(st, i));
		return true;
	case VASD_FIELD_NAME:
		text = (const char *)sqlite3_column_text(st, i);
		if (!text)
			return true;
		v = f->from_string(kind, text);
		if (v < 0)
			return false;
		vasd_field_set_u32(f, obj, (uint32_t)v);
		return true;
	case VASD_FIELD_COMM:
		return column_comm(st, i, vasd_field_comm_mut(f, obj));
	}
	return false;
}

/* The fields of object o from column first on, into obj. */
static bool column_object(sqlite3_stmt *st, int first, int kind,
			  const struct vasd_field_object *o, void *obj)
{
	for (size_t j = 0; j < o->n_fields; j++)
		if (!column_field(st, first + (int)j, kind, &o->fields[j], obj))
			return false;
	return true;
}

/* -EINVAL for a value of vasd's enums that has no name. */
static int bind_field(sqlite3_stmt *st, int i, int kind,
		      const struct vasd_field *f, const void *obj)
{
	const char *s;

	switch (f->type) {
	case VASD_FIELD_U32:
	case VASD_FIELD_ENUM:
		sqlite3_bind_int64(st, i, vasd_field_u32(f, obj));
		return 0;
	case VASD_FIELD_U64:
	case VASD_FIELD_ID64:
		row_bind_u64(st, i, vasd_field_u64(f, obj));
		return 0;
	case VASD_FIELD_NAME:
		s = vasd_field_name(f, kind, obj);
		if (!s)
			return -EINVAL;
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
		return 0;
	case VASD_FIELD_COMM:
		s = vasd_field_comm(f, obj);
		sqlite3_bind_text(st, i, s, (int)strnlen(s, VAS_COMM_MAX),
				  SQLITE_STATIC);
		return 0;
	}
	return -EINVAL;
}

static void bind_object(sqlite3_stmt *st, int first,
			const struct vasd_field_object *o, const void *obj)
{
	for (size_t j = 0; j < o->n_fields; j++) {
		const struct vasd_field *f = &o->fields[j];

		if (f->presence == VASD_FIELD_KNOWN &&
		    !vasd_field_present(f, NO_KIND, 0, obj))
			sqlite3_bind_null(st, first + (int)j);
		else
			(void)bind_field(st, first + (int)j, NO_KIND, f, obj);
	}
}

bool row_column_window(sqlite3_stmt *st, int first, struct vas_window *w)
{
	return column_object(st, first, NO_KIND,
			     &vasd_event_objects[VASD_OBJECT_WINDOW], w);
}

bool row_column_caps(sqlite3_stmt *st, int first, struct vas_caps *c)
{
	return column_object(st, first, NO_KIND,
			     &vasd_event_objects[VASD_OBJECT_CAPS], c);
}

bool row_column_migration(sqlite3_stmt *st, int first, struct vas_migration *m)
{
	return column_object(st, first, NO_KIND,
			     &vasd_event_objects[VASD_OBJECT_MIGRATION], m);
}

void row_bind_window(sqlite3_stmt *st, int first, const struct vas_window *w)
{
	bind_object(st, first, &vasd_event_objects[VASD_OBJECT_WINDOW], w);
}

void row_bind_caps(sqlite3_stmt *st, int first, const struct vas_caps *c)
{
	bind_object(st, first, &vasd_event_objects[VASD_OBJECT_CAPS], c);
}

void row_bind_migration(sqlite3_stmt *st, int first, const struct vas_migration *m)
{
	bind_object(st, first, &vasd_event_objects[VASD_OBJECT_MIGRATION], m);
}

int row_event_sql(char **ret_insert, char **ret_select, char **ret_select_archive)
{
	char *columns = NULL, *values = NULL;
	size_t n_columns = 0, n_values = 0;
	FILE *c, *v;
	int n = 1, r = 0;

	c = open_memstream(&columns, &n_columns);
	v = open_memstream(&values, &n_values);
	if (c && v) {
		fputs("kind", c);
		fputs("?1", v);
		for (size_t k = 0; k < _VASD_OBJECT_MAX; k++) {
			const struct vasd_field_object *o = &vasd_event_objects[k];

			for (size_t j = 0; j < o->n_fields; j++) {
				fprintf(c, ", %s%s%s", o->name ? o->name : "",
					o->name ? "_" : "", o->fields[j].name);
				fprintf(v, ", ?%d", ++n);
			}
		}
	}
	if (!c || fclose(c) != 0)
		r = -ENOMEM;
	if (!v || fclose(v) != 0)
		r = -ENOMEM;
	if (r >= 0 && asprintf(ret_insert, "INSERT INTO events (%s) VALUES (%s)",
			       columns, values) < 0)
		r = -ENOMEM;
	if (r >= 0 && asprintf(ret_select, "SELECT position, %s FROM events "
			       "WHERE position >= ?1 AND position < ?2 "
			       "ORDER BY position", columns) < 0) {
		free(*ret_insert);
		r = -ENOMEM;
	}
	if (r >= 0 && asprintf(ret_select_archive, "SELECT position, %s FROM archive "
			       "WHERE position >= ?1 AND position < ?2 "
			       "ORDER BY position", columns) < 0) {
		free(*ret_insert);
		free(*ret_select);
		r = -ENOMEM;
	}
	free(columns);
	free(values);
	return r;
}

int row_bind_event(sqlite3_stmt *st, const struct vasd_event *ev, const char *kind)
{
	unsigned int carries = vasd_event_kind_carries(ev->kind);
	int i = 1, r;

	sqlite3_bind_text(st, i++, kind, -1, SQLITE_STATIC);
	for (size_t k = 0; k < _VASD_OBJECT_MAX; k++) {
		const struct vasd_field_object *o = &vasd_event_objects[k];
		const void *obj = vasd_event_object(ev, o);
		bool has = !o->carries || (carries & o->carries);

		for (size_t j = 0; j < o->n_fields; j++, i++) {
			const struct vasd_field *f = &o->fields[j];

			/*
			 * kernel kinds: a NULL generation or seq would
			 * escape the uniqueness of (generation, seq)
			 */
			if (has && vasd_field_present(f, ev->kind, carries, obj)) {
				r = bind_field(st, i, ev->kind, f, obj);
				if (r < 0)
					return r;
				continue;
			}
			/* a kind without names for it has none */
			if (has && f->presence == VASD_FIELD_NAMED &&
			    vasd_field_u32(f, obj) != 0)
				return -EINVAL;
			sqlite3_bind_null(st, i);
		}
	}
	return 0;
}

int row_to_event(sqlite3_stmt *st, struct vasd_event *ev)
{
	const char *text;
	int i = 2;

	memset(ev, 0, sizeof(*ev));
	ev->position = sqlite3_column_int64(st, 0);
	text = (const char *)sqlite3_column_text(st, 1);
	ev->kind = text ? vasd_event_kind_from_string(text) : -EINVAL;
	if (ev->kind < 0)
		return -EBADMSG;
	for (size_t k = 0; k < _VASD_OBJECT_MAX; k++) {
		const struct vasd_field_object *o = &vasd_event_objects[k];

		/* an object is there when its first column is */
		if (!o->name || sqlite3_column_type(st, i) != SQLITE_NULL) {
			if (!column_object(st, i, ev->kind, o,
					   vasd_event_object_mut(ev, o)))
				return -EBADMSG;
		}
		i += (int)o->n_fields;
	}
	return 0;
}
