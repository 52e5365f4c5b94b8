// SPDX-License-Identifier: GPL-2.0-only
/*
 * ledger archive: a migration's records outlive compaction (schema
 * version 5). Before ledger_compact() deletes events, it copies here
 *  - every migration event (kind migration-*: the kernel's and the
 *    coordinator's), and
 *  - everything from MIGRATION_STATUS_LOOKBACK positions before a
 *    migration's open to its close: the window events, locks and hooks
 *    that vasctl migration status folds into its report.
 * Retention (daemon/retention.c) may then remove old history by size and
 * age without losing what an operator reads about a past migration. The
 * archive only grows with migrations, a handful a year on a partition.
 *
 * Readers see the archive and the events as one history
 * (ledger_foreach_record()): every archived position is below the events'
 * first, since only compaction moves rows and it moves the oldest.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sqlite3.h>

#include "core/migration-status.h"
#include "ledger/ledger-internal.h"

/* sql with ?1 and ?2 bound to from and to, run */
static int run_range(struct ledger *l, const char *sql, int64_t from, int64_t to)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(l->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return ledger_errno_from_sqlite(l->db, rc);
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	return ledger_stmt_run(l, st);
}

static int archive_span(struct ledger *l, int64_t from, int64_t to)
{
	return run_range(l, "INSERT OR IGNORE INTO archive SELECT * FROM events "
			 "WHERE position >= ?1 AND position <= ?2", from, to);
}

int ledger_archive_range(struct ledger *l, int64_t from, int64_t to)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int64_t open, close, span = 0;
	int rc, r;

	/* a migration the archive has opened and not closed goes on here */
	r = ledger_query_int(l, "SELECT coalesce(max(position), 0) FROM archive "
			     "WHERE kind = 'migration-open'", &open);
	if (r >= 0)
		r = ledger_query_int(l, "SELECT coalesce(max(position), 0) FROM archive "
				     "WHERE kind = 'migration-close'", &close);
	if (r < 0)
		return r;
	if (open > close)
		span = from;

	/* an open just past the range reaches back into it */
	rc = sqlite3_prepare_v2(l->db, "SELECT position, kind FROM events "
				"WHERE position >= ?1 AND position < ?2 AND "
				"kind IN ('migration-open', 'migration-close') "
				"ORDER BY position", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return ledger_errno_from_sqlite(l->db, rc);
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to + MIGRATION_STATUS_LOOKBACK);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t position = sqlite3_column_int64(st, 0);
		const char *kind = (const char *)sqlite3_column_text(st, 1);

		if (position >= to) {
			if (!span && kind && strcmp(kind, "migration-open") == 0)
				span = position - MIGRATION_STATUS_LOOKBACK > from ?
				       position - MIGRATION_STATUS_LOOKBACK : from;
			rc = SQLITE_DONE;
			break;
		}
		if (kind && strcmp(kind, "migration-open") == 0) {
			/* an open with no close (vasd killed) runs on */
			if (!span)
				span = position - MIGRATION_STATUS_LOOKBACK > from ?
				       position - MIGRATION_STATUS_LOOKBACK : from;
		} else if (span) {
			r = archive_span(l, span, position);
			if (r < 0)
				return r;
			span = 0;
		}
	}
	if (rc != SQLITE_DONE)
		return ledger_errno_from_sqlite(l->db, rc);
	if (span) {
		r = archive_span(l, span, to - 1);
		if (r < 0)
			return r;
	}
	/* the migration events outside any span: hooks, vetoes, the kernel's */
	return run_range(l, "INSERT OR IGNORE INTO archive SELECT * FROM events "
			 "WHERE position >= ?1 AND position < ?2 AND "
			 "kind LIKE 'migration-%'", from, to);
}

int ledger_foreach_record(struct ledger *l, int64_t from, ledger_event_fn fn,
			  void *userdata)
{
	bool started;
	int r;

	r = ledger_snapshot_begin(l, &started);
	if (r < 0)
		return r;
	r = ledger_foreach_row_range(l, l->select_archive_sql, from, INT64_MAX,
				     fn, userdata);
	if (r >= 0)
		r = ledger_foreach_event_range(l, from, INT64_MAX, fn, userdata);
	ledger_snapshot_end(l, started);
	return r;
}

int ledger_last_migration_record(struct ledger *l, int64_t *ret)
{
	int r = ledger_last_migration_open(l, ret);

	if (r != -ENODATA)
		return r;
	r = ledger_query_int(l, "SELECT coalesce(max(position), 0) FROM archive "
			     "WHERE kind = 'migration-open'", ret);
	if (r < 0)
		return r;
	return *ret ? 0 : -ENODATA;
}

int ledger_find_migration_record(struct ledger *l, uint64_t migration,
				 int64_t *ret)
{
	int r = ledger_find_migration_open(l, migration, ret);

	if (r != -ENODATA)
		return r;
	return ledger_find_migration_open_in(l, "archive", migration, ret);
}
