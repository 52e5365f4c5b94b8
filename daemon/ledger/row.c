// SPDX-License-Identifier: GPL-2.0-only
/*
 * ledger row: an event to the columns of its row and back, and the
 * projection's objects to theirs (ledger/schema.c has the tables). Values
 * a kind does not carry are NULL; NULL reads back as 0.
 */
#include <errno.h>
#include <string.h>
#include <sqlite3.h>

#include "ledger/ledger-internal.h"

/* Column of a SELECT position, EVENT_COLUMNS; parameter of the INSERT. */
enum {
	COL_POSITION,
	COL_KIND,
	COL_GENERATION,
	COL_SEQ,
	COL_LOST_FROM,
	COL_TIMESTAMP,
	COL_RECORDED,
	COL_REASON,
	COL_WINDOW_ID,
	COL_WINDOW_TGID,
	COL_WINDOW_PID,
	COL_WINDOW_COMM,
	COL_WINDOW_COP,
	COL_WINDOW_TYPE,
	COL_WINDOW_STATE,
	COL_WINDOW_REASON,
	COL_WINDOW_OPENED_AT,
	COL_CAPS_TYPE,
	COL_CAPS_TOTAL,
	COL_CAPS_USED,
	COL_MIGRATION_STREAM_ID,
	COL_MIGRATION_PHASE,
	COL_MIGRATION_TOKEN,
	COL_COORD_MIGRATION,
	COL_COORD_LOCK,
	COL_COORD_SINCE,
	COL_COORD_TOKEN,
	COL_COORD_WHAT,
	COL_COORD_COUNT,
	COL_COORD_TOTAL,
	COL_COORD_PID,
	COL_COORD_UID,
	COL_COORD_COMM,
	_COL_MAX,
};

static const unsigned int kind_carries[_VASD_EVENT_KIND_MAX] = {
	[VASD_EVENT_WINDOW_ADD] = LEDGER_CARRIES_SEQ | LEDGER_CARRIES_WINDOW,
	[VASD_EVENT_WINDOW_DEL] = LEDGER_CARRIES_SEQ | LEDGER_CARRIES_WINDOW,
	[VASD_EVENT_WINDOW_CHANGE] = LEDGER_CARRIES_SEQ | LEDGER_CARRIES_WINDOW,
	[VASD_EVENT_CAPS_CHANGE] = LEDGER_CARRIES_SEQ | LEDGER_CARRIES_CAPS,
	[VASD_EVENT_MIGRATION_CHANGE] = LEDGER_CARRIES_SEQ |
					LEDGER_CARRIES_MIGRATION,
	[VASD_EVENT_RESYNC_BEGIN] = LEDGER_CARRIES_REASON,
	[VASD_EVENT_RESYNC_WINDOW_ADD] = LEDGER_CARRIES_WINDOW,
	[VASD_EVENT_RESYNC_WINDOW_DEL] = LEDGER_CARRIES_WINDOW,
	[VASD_EVENT_RESYNC_WINDOW_CHANGE] = LEDGER_CARRIES_WINDOW,
	[VASD_EVENT_RESYNC_CAPS] = LEDGER_CARRIES_CAPS,
	[VASD_EVENT_RESYNC_MIGRATION] = LEDGER_CARRIES_MIGRATION,
	[VASD_EVENT_RESYNC_END] = LEDGER_CARRIES_SEQ,
	[VASD_EVENT_INHIBITOR_TAKE] = LEDGER_CARRIES_COORD,
	[VASD_EVENT_INHIBITOR_RELEASE] = LEDGER_CARRIES_COORD,
	[VASD_EVENT_MIGRATION_HOOK] = LEDGER_CARRIES_COORD,
	[VASD_EVENT_MIGRATION_OPEN] = LEDGER_CARRIES_COORD |
				      LEDGER_CARRIES_MIGRATION,
	[VASD_EVENT_MIGRATION_VETO] = LEDGER_CARRIES_COORD |
				      LEDGER_CARRIES_MIGRATION,
	[VASD_EVENT_MIGRATION_ASKED] = LEDGER_CARRIES_COORD,
	[VASD_EVENT_MIGRATION_TIMEOUT] = LEDGER_CARRIES_COORD,
	[VASD_EVENT_MIGRATION_QUIESCED] = LEDGER_CARRIES_COORD,
	[VASD_EVENT_MIGRATION_ACK] = LEDGER_CARRIES_COORD |
				     LEDGER_CARRIES_MIGRATION,
	[VASD_EVENT_MIGRATION_ANOMALY] = LEDGER_CARRIES_COORD |
					 LEDGER_CARRIES_WINDOW |
					 LEDGER_CARRIES_MIGRATION,
	[VASD_EVENT_MIGRATION_ERROR] = LEDGER_CARRIES_COORD |
				       LEDGER_CARRIES_MIGRATION,
	[VASD_EVENT_MIGRATION_BLACKOUT] = LEDGER_CARRIES_COORD,
	[VASD_EVENT_MIGRATION_CLIENT_BLACKOUT] = LEDGER_CARRIES_COORD,
	[VASD_EVENT_MIGRATION_CLOSE] = LEDGER_CARRIES_COORD |
				       LEDGER_CARRIES_MIGRATION,
};

void row_bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
	/* the same 64 bits: SQLite integers are signed */
	sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

static void bind_u64_or_null(sqlite3_stmt *st, int i, uint64_t v)
{
	if (v)
		row_bind_u64(st, i, v);
	else
		sqlite3_bind_null(st, i);
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

bool row_column_window(sqlite3_stmt *st, int first, struct vas_window *w)
{
	w->opened_at = row_column_u64(st, first + 8);
	return column_u32(st, first, &w->id) &&
	       column_u32(st, first + 1, &w->tgid) &&
	       column_u32(st, first + 2, &w->pid) &&
	       column_comm(st, first + 3, w->comm) &&
	       column_u32(st, first + 4, &w->cop) &&
	       column_u32(st, first + 5, &w->type) &&
	       column_u32(st, first + 6, &w->state) &&
	       column_u32(st, first + 7, &w->reason);
}

bool row_column_caps(sqlite3_stmt *st, int first, struct vas_caps *c)
{
	return column_u32(st, first, &c->type) &&
	       column_u32(st, first + 1, &c->total) &&
	       column_u32(st, first + 2, &c->used);
}

bool row_column_migration(sqlite3_stmt *st, int first,
			     struct vas_migration *m)
{
	m->stream_id = row_column_u64(st, first);
	m->token = row_column_u64(st, first + 2);
	return column_u32(st, first + 1, &m->phase);
}

/*
 * The coordinator's fields of a kind; false when a stored value does not
 * fit, or its what is a name this build does not know.
 */
static bool column_coord(sqlite3_stmt *st, int first, int kind,
			 struct vasd_coord *c)
{
	const char *what = (const char *)sqlite3_column_text(st, first + 4);
	int v;

	c->migration = row_column_u64(st, first);
	c->lock = row_column_u64(st, first + 1);
	c->since = row_column_u64(st, first + 2);
	c->token = row_column_u64(st, first + 3);
	if (what) {
		v = vasd_coord_what_from_string(kind, what);
		if (v < 0)
			return false;
		c->what = (uint32_t)v;
	}
	return column_u32(st, first + 5, &c->count) &&
	       column_u32(st, first + 6, &c->total) &&
	       column_u32(st, first + 7, &c->pid) &&
	       column_u32(st, first + 8, &c->uid) &&
	       column_comm(st, first + 9, c->comm);
}

void row_bind_window(sqlite3_stmt *st, int first, const struct vas_window *w)
{
	sqlite3_bind_int64(st, first, w->id);
	sqlite3_bind_int64(st, first + 1, w->tgid);
	sqlite3_bind_int64(st, first + 2, w->pid);
	sqlite3_bind_text(st, first + 3, w->comm,
			  (int)strnlen(w->comm, VAS_COMM_MAX), SQLITE_STATIC);
	sqlite3_bind_int64(st, first + 4, w->cop);
	sqlite3_bind_int64(st, first + 5, w->type);
	sqlite3_bind_int64(st, first + 6, w->state);
	sqlite3_bind_int64(st, first + 7, w->reason);
	row_bind_u64(st, first + 8, w->opened_at);
}

void row_bind_caps(sqlite3_stmt *st, int first, const struct vas_caps *c)
{
	sqlite3_bind_int64(st, first, c->type);
	sqlite3_bind_int64(st, first + 1, c->total);
	sqlite3_bind_int64(st, first + 2, c->used);
}

void row_bind_migration(sqlite3_stmt *st, int first,
			   const struct vas_migration *m)
{
	row_bind_u64(st, first, m->stream_id);
	sqlite3_bind_int64(st, first + 1, m->phase);
	row_bind_u64(st, first + 2, m->token);
}

/* -EINVAL for a what out of the kind's range. */
static int bind_coord(sqlite3_stmt *st, int first, int kind,
		      const struct vasd_coord *c)
{
	const char *what = vasd_coord_what_to_string(kind, c->what);

	if (!vasd_coord_what_valid(kind, c->what))
		return -EINVAL;
	row_bind_u64(st, first, c->migration);
	row_bind_u64(st, first + 1, c->lock);
	row_bind_u64(st, first + 2, c->since);
	row_bind_u64(st, first + 3, c->token);
	/* kinds without a what store none */
	if (what)
		sqlite3_bind_text(st, first + 4, what, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, first + 4);
	sqlite3_bind_int64(st, first + 5, c->count);
	sqlite3_bind_int64(st, first + 6, c->total);
	sqlite3_bind_int64(st, first + 7, c->pid);
	sqlite3_bind_int64(st, first + 8, c->uid);
	sqlite3_bind_text(st, first + 9, c->comm,
			  (int)strnlen(c->comm, VAS_COMM_MAX), SQLITE_STATIC);
	return 0;
}

static void bind_nulls(sqlite3_stmt *st, int first, int n)
{
	for (int i = first; i < first + n; i++)
		sqlite3_bind_null(st, i);
}

unsigned int ledger_kind_carries(int kind)
{
	if (kind < 0 || kind >= _VASD_EVENT_KIND_MAX)
		return 0;
	return kind_carries[kind];
}

/* The INSERT of an event: its kind's values, NULL for what it does not carry. */
int row_bind_event(sqlite3_stmt *st, const struct vasd_event *ev, const char *kind)
{
	unsigned int carries = kind_carries[ev->kind];
	int r;

	sqlite3_bind_text(st, COL_KIND, kind, -1, SQLITE_STATIC);
	/* kernel kinds: NULL would escape the uniqueness of (generation, seq) */
	if (carries & LEDGER_CARRIES_SEQ) {
		row_bind_u64(st, COL_GENERATION, ev->generation);
		row_bind_u64(st, COL_SEQ, ev->seq);
	} else {
		bind_u64_or_null(st, COL_GENERATION, ev->generation);
		bind_u64_or_null(st, COL_SEQ, ev->seq);
	}
	bind_u64_or_null(st, COL_LOST_FROM, ev->lost_from);
	row_bind_u64(st, COL_TIMESTAMP, ev->timestamp);
	row_bind_u64(st, COL_RECORDED, ev->recorded);
	if (carries & LEDGER_CARRIES_REASON) {
		const char *reason = vasd_resync_reason_to_string((int)ev->reason);

		if (!reason)
			return -EINVAL;
		sqlite3_bind_text(st, COL_REASON, reason, -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_null(st, COL_REASON);
	}
	if (carries & LEDGER_CARRIES_WINDOW)
		row_bind_window(st, COL_WINDOW_ID, &ev->window);
	else
		bind_nulls(st, COL_WINDOW_ID, COL_CAPS_TYPE - COL_WINDOW_ID);
	if (carries & LEDGER_CARRIES_CAPS)
		row_bind_caps(st, COL_CAPS_TYPE, &ev->caps);
	else
		bind_nulls(st, COL_CAPS_TYPE,
			   COL_MIGRATION_STREAM_ID - COL_CAPS_TYPE);
	if (carries & LEDGER_CARRIES_MIGRATION)
		row_bind_migration(st, COL_MIGRATION_STREAM_ID, &ev->migration);
	else
		bind_nulls(st, COL_MIGRATION_STREAM_ID,
			   COL_COORD_MIGRATION - COL_MIGRATION_STREAM_ID);
	if (carries & LEDGER_CARRIES_COORD) {
		r = bind_coord(st, COL_COORD_MIGRATION, ev->kind, &ev->coord);
		if (r < 0)
			return r;
	} else {
		bind_nulls(st, COL_COORD_MIGRATION,
			   _COL_MAX - COL_COORD_MIGRATION);
	}
	return 0;
}

int row_to_event(sqlite3_stmt *st, struct vasd_event *ev)
{
	const char *text;
	bool ok = true;

	memset(ev, 0, sizeof(*ev));
	ev->position = sqlite3_column_int64(st, COL_POSITION);
	text = (const char *)sqlite3_column_text(st, COL_KIND);
	ev->kind = text ? vasd_event_kind_from_string(text) : -EINVAL;
	if (ev->kind < 0)
		return -EBADMSG;
	ev->generation = row_column_u64(st, COL_GENERATION);
	ev->seq = row_column_u64(st, COL_SEQ);
	ev->lost_from = row_column_u64(st, COL_LOST_FROM);
	ev->timestamp = row_column_u64(st, COL_TIMESTAMP);
	ev->recorded = row_column_u64(st, COL_RECORDED);
	text = (const char *)sqlite3_column_text(st, COL_REASON);
	if (text) {
		int reason = vasd_resync_reason_from_string(text);

		if (reason < 0)
			return -EBADMSG;
		ev->reason = (uint32_t)reason;
	}
	/* NULL columns read as 0, which is what a kind without them holds */
	if (sqlite3_column_type(st, COL_WINDOW_ID) != SQLITE_NULL)
		ok = row_column_window(st, COL_WINDOW_ID, &ev->window);
	if (ok && sqlite3_column_type(st, COL_CAPS_TYPE) != SQLITE_NULL)
		ok = row_column_caps(st, COL_CAPS_TYPE, &ev->caps);
	if (ok && sqlite3_column_type(st, COL_MIGRATION_STREAM_ID) != SQLITE_NULL)
		ok = row_column_migration(st, COL_MIGRATION_STREAM_ID,
				      &ev->migration);
	if (ok && sqlite3_column_type(st, COL_COORD_MIGRATION) != SQLITE_NULL)
		ok = column_coord(st, COL_COORD_MIGRATION, ev->kind,
				  &ev->coord);
	return ok ? 0 : -EBADMSG;
}
