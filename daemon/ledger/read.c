// SPDX-License-Identifier: GPL-2.0-only
/*
 * ledger read: the events, the stored projection and the stats. Readers
 * that run several queries (the projection, stats, verify) run them in
 * one read transaction: one snapshot.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "ledger/ledger-internal.h"
#include "util/alloc.h"

/*
 * Several queries that must see one snapshot: inside the writer's open
 * transaction they do; otherwise they get a read transaction of their own.
 */
int ledger_snapshot_begin(struct ledger *l, bool *ret_started)
{
	int r;

	*ret_started = false;
	if (!sqlite3_get_autocommit(l->db))
		return 0;
	r = ledger_exec(l, "BEGIN");
	if (r < 0)
		return r;
	*ret_started = true;
	return 0;
}

void ledger_snapshot_end(struct ledger *l, bool started)
{
	/* nothing was written: rolling back only ends the snapshot */
	if (started)
		ledger_exec(l, "ROLLBACK");
}

int ledger_read_begin(struct ledger *l)
{
	if (!sqlite3_get_autocommit(l->db))
		return -EBUSY;
	return ledger_exec(l, "BEGIN");
}

void ledger_read_end(struct ledger *l)
{
	if (!l->in_transaction && !sqlite3_get_autocommit(l->db))
		ledger_exec(l, "ROLLBACK");
}

int ledger_last_migration_open(struct ledger *l, int64_t *ret)
{
	int64_t position;
	int r;

	/* one lookup in the partial index events_migration_open */
	r = ledger_query_int(l, "SELECT coalesce(max(position), 0) FROM events "
		      "WHERE kind = 'migration-open'", &position);
	if (r < 0)
		return r;
	if (!position)
		return -ENODATA;
	*ret = position;
	return 0;
}

int ledger_open_migration(struct ledger *l, int64_t *ret)
{
	int64_t open, closed;
	int r;

	r = ledger_last_migration_open(l, &open);
	if (r < 0)
		return r;
	/* the close is after the open: the scan reads from the open on */
	r = ledger_query_int(l, "SELECT coalesce(max(position), 0) FROM events "
			     "WHERE kind = 'migration-close' AND position > "
			     "(SELECT max(position) FROM events WHERE kind = 'migration-open')",
			     &closed);
	if (r < 0)
		return r;
	if (closed)
		return -ENODATA;
	*ret = open;
	return 0;
}

int64_t ledger_first_position(struct ledger *l)
{
	int64_t position;

	if (ledger_query_int(l, "SELECT coalesce(min(position), 0) FROM events", &position) < 0)
		return 0;
	return position;
}

int ledger_find_migration_open_in(struct ledger *l, const char *table,
				  uint64_t migration, int64_t *ret)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	char sql[128];
	int rc;

	/* kind = 'migration-open' lets SQLite walk the partial index alone */
	snprintf(sql, sizeof(sql), "SELECT position FROM %s "
		 "WHERE kind = 'migration-open' AND coord_migration = ?", table);
	rc = sqlite3_prepare_v2(l->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return ledger_errno_from_sqlite(l->db, rc);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)migration);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? -ENODATA : ledger_errno_from_sqlite(l->db, rc);
	*ret = sqlite3_column_int64(st, 0);
	return 0;
}

int ledger_find_migration_open(struct ledger *l, uint64_t migration,
			       int64_t *ret)
{
	return ledger_find_migration_open_in(l, "events", migration, ret);
}

int64_t ledger_last_position(struct ledger *l)
{
	int64_t position;

	if (ledger_query_int(l, "SELECT max(position) FROM events", &position) < 0)
		return 0;
	return position;
}


int ledger_foreach_row_range(struct ledger *l, const char *sql, int64_t from,
			     int64_t to, ledger_event_fn fn, void *userdata)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	struct vasd_event ev;
	int rc, r;

	/* not cached: fn may read the ledger too */
	rc = sqlite3_prepare_v2(l->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return ledger_errno_from_sqlite(l->db, rc);
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = row_to_event(st, &ev);
		if (r < 0)
			return r;
		r = fn(&ev, userdata);
		if (r < 0)
			return r;
	}
	if (rc != SQLITE_DONE)
		return ledger_errno_from_sqlite(l->db, rc);
	return 0;
}

/* Each event with from <= position < to, in order. */
int ledger_foreach_event_range(struct ledger *l, int64_t from, int64_t to,
			 ledger_event_fn fn, void *userdata)
{
	return ledger_foreach_row_range(l, l->select_events_sql, from, to, fn,
					userdata);
}

int ledger_foreach_event(struct ledger *l, int64_t from, ledger_event_fn fn,
			 void *userdata)
{
	return ledger_foreach_event_range(l, from, INT64_MAX, fn, userdata);
}

/*
 * Each row of sql (no parameters) to fn; a negative fn return stops. fn
 * returns -EBADMSG for a row the state does not take.
 */
static int load_rows(struct ledger *l, const char *sql,
		     int (*fn)(sqlite3_stmt *st, struct vasd_state *s),
		     struct vasd_state *s)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int rc, r;

	rc = sqlite3_prepare_v2(l->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return ledger_errno_from_sqlite(l->db, rc);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = fn(st, s);
		if (r < 0)
			return r;
	}
	if (rc != SQLITE_DONE)
		return ledger_errno_from_sqlite(l->db, rc);
	return 0;
}

static int load_window(sqlite3_stmt *st, struct vasd_state *s)
{
	struct vas_window w;
	int r;

	if (!row_column_window(st, 0, &w))
		return -EBADMSG;
	r = vasd_state_put_window(s, &w);
	if (r == -ENOMEM)
		return r;
	return r < 0 ? -EBADMSG : 0;
}

/* used is not taken: the state counts it from the windows */
static int load_caps(sqlite3_stmt *st, struct vasd_state *s)
{
	struct vas_caps c;

	if (!row_column_caps(st, 0, &c) || c.type >= VASD_N_TYPES)
		return -EBADMSG;
	vasd_state_put_caps(s, &c);
	return 0;
}

static int load_migration(sqlite3_stmt *st, struct vasd_state *s)
{
	struct vas_migration m;

	if (!row_column_migration(st, 0, &m))
		return -EBADMSG;
	vasd_state_put_migration(s, &m);
	return 0;
}

static int load_cursor(sqlite3_stmt *st, struct vasd_state *s)
{
	sqlite3_int64 synced = sqlite3_column_int64(st, 2);

	if (synced != 0 && synced != 1)
		return -EBADMSG;
	vasd_state_put_cursor(s, row_column_u64(st, 0), row_column_u64(st, 1), synced);
	return 0;
}

const struct projection_sql ledger_projection_tables = {
	.windows = "SELECT id, tgid, pid, comm, cop, type, state, reason, "
		   "opened_at, uid FROM windows",
	.caps = "SELECT type, total, used FROM caps",
	.migration = "SELECT stream_id, phase, token FROM migration",
	.cursor = "SELECT generation, seq, synced FROM cursor",
};

const struct projection_sql ledger_checkpoint_tables = {
	.windows = "SELECT id, tgid, pid, comm, cop, type, state, reason, "
		   "opened_at, uid FROM checkpoint_windows",
	/* load_caps() ignores used */
	.caps = "SELECT type, total, 0 FROM checkpoint_caps",
	.migration = "SELECT stream_id, phase, token FROM checkpoint_migration",
	.cursor = "SELECT generation, seq, synced FROM checkpoint",
};

int ledger_load_projection(struct ledger *l, const struct projection_sql *t,
			   struct vasd_state *s)
{
	int r;

	r = load_rows(l, t->windows, load_window, s);
	if (r >= 0)
		r = load_rows(l, t->caps, load_caps, s);
	if (r >= 0)
		r = load_rows(l, t->migration, load_migration, s);
	if (r >= 0)
		r = load_rows(l, t->cursor, load_cursor, s);
	return r;
}

int ledger_load_stored(struct ledger *l, struct vasd_state *s)
{
	return ledger_load_projection(l, &ledger_projection_tables, s);
}

int ledger_load_state(struct ledger *l, struct vasd_state *s)
{
	bool started;
	int r;

	r = ledger_snapshot_begin(l, &started);
	if (r < 0)
		return r;
	r = ledger_load_stored(l, s);
	ledger_snapshot_end(l, started);
	return r == -EBADMSG ? -EUCLEAN : r;
}

static int stats_by_kind(struct ledger *l, struct ledger_stats *st)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *q = NULL;
	int rc;

	rc = sqlite3_prepare_v2(l->db,
				"SELECT kind, count(*) FROM events GROUP BY kind",
				-1, &q, NULL);
	if (rc != SQLITE_OK)
		return ledger_errno_from_sqlite(l->db, rc);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(q, 0);
		int kind = name ? vasd_event_kind_from_string(name) : -EINVAL;
		int64_t n = sqlite3_column_int64(q, 1);

		/* a kind unknown here still counts among the events */
		st->n_events += n;
		if (kind >= 0)
			st->n_events_by_kind[kind] = n;
	}
	if (rc != SQLITE_DONE)
		return ledger_errno_from_sqlite(l->db, rc);
	return 0;
}

static int stats_cursor(struct ledger *l, struct ledger_stats *st)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *q = NULL;
	int rc;

	rc = sqlite3_prepare_v2(l->db,
				"SELECT generation, seq, synced FROM cursor",
				-1, &q, NULL);
	if (rc != SQLITE_OK)
		return ledger_errno_from_sqlite(l->db, rc);
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE)
		return -EUCLEAN;
	if (rc != SQLITE_ROW)
		return ledger_errno_from_sqlite(l->db, rc);
	st->generation = row_column_u64(q, 0);
	st->seq = row_column_u64(q, 1);
	st->synced = sqlite3_column_int64(q, 2) != 0;
	return 0;
}

static int64_t file_size(const char *path, const char *suffix)
{
	_cleanup_(freep) char *p = NULL;
	struct stat st;

	if (asprintf(&p, "%s%s", path, suffix) < 0)
		return -ENOMEM;
	if (stat(p, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	return st.st_size;
}

int ledger_used_bytes(struct ledger *l, int64_t *ret)
{
	int64_t pages, free_pages, page_size;
	int r;

	/* three reads of the header, whatever the ledger's size */
	r = ledger_query_int(l, "PRAGMA page_count", &pages);
	if (r >= 0)
		r = ledger_query_int(l, "PRAGMA freelist_count", &free_pages);
	if (r >= 0)
		r = ledger_query_int(l, "PRAGMA page_size", &page_size);
	if (r < 0)
		return r;
	*ret = (pages - free_pages) * page_size;
	return 0;
}

int ledger_first_position_since(struct ledger *l, uint64_t recorded,
				int64_t *ret)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int rc;

	/*
	 * In position order, which is the order vasd recorded them: the
	 * scan stops at the first young enough, having read only the ones
	 * retention removes.
	 */
	rc = sqlite3_prepare_v2(l->db, "SELECT position FROM events "
				"WHERE recorded >= ?1 ORDER BY position LIMIT 1",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return ledger_errno_from_sqlite(l->db, rc);
	row_bind_u64(st, 1, recorded);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return -ENODATA;
	if (rc != SQLITE_ROW)
		return ledger_errno_from_sqlite(l->db, rc);
	*ret = sqlite3_column_int64(st, 0);
	return 0;
}

int ledger_stats(struct ledger *l, struct ledger_stats *ret)
{
	struct ledger_stats st = { .schema_version = l->file_version };
	bool started;
	int r;

	r = ledger_snapshot_begin(l, &started);
	if (r < 0)
		return r;
	r = stats_by_kind(l, &st);
	if (r >= 0)
		r = ledger_query_int(l, "SELECT coalesce(min(position), 0) FROM events",
			      &st.first_position);
	if (r >= 0)
		r = ledger_query_int(l, "SELECT coalesce(max(position), 0) FROM events",
			      &st.last_position);
	if (r >= 0)
		r = ledger_query_int(l, "SELECT count(*) FROM windows", &st.n_windows);
	if (r >= 0)
		r = stats_cursor(l, &st);
	if (r >= 0)
		r = ledger_query_int(l, "SELECT count(*) FROM archive", &st.n_archived);
	if (r >= 0)
		r = ledger_used_bytes(l, &st.used_bytes);
	ledger_snapshot_end(l, started);
	if (r < 0)
		return r;
	st.n_resyncs = st.n_events_by_kind[VASD_EVENT_RESYNC_BEGIN];

	st.file_bytes = file_size(l->path, "");
	if (st.file_bytes < 0)
		return (int)st.file_bytes;
	st.wal_bytes = file_size(l->path, "-wal");
	if (st.wal_bytes < 0)
		return (int)st.wal_bytes;
	*ret = st;
	return 0;
}
