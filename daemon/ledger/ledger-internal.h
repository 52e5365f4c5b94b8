/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ledger-internal: what the ledger's files share, and nothing outside
 * daemon/ledger/ sees (ledger.h is the API):
 *
 *   ledger.c   open, the header and integrity checks, the writer
 *   read.c     the readers: events, the projection, stats
 *   replay.c   replay: verify and compact
 *   row.c      the row mapping: an event to its columns and back
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sqlite3.h>

#include "core/event.h"
#include "core/state.h"
#include "ledger/ledger.h"

/* The writer's statements, prepared once on first use. */
enum {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_INSERT_EVENT,
	STMT_WINDOW_PUT,
	STMT_WINDOW_DEL,
	STMT_CAPS_PUT,
	STMT_MIGRATION_PUT,
	STMT_CURSOR_PUT,
	_STMT_MAX,
};

struct ledger {
	sqlite3 *db;
	char *path;
	/* READ_WRITE: the ledger file, flock()ed; closed after db; else -1 */
	int lock_fd;
	enum ledger_mode mode;
	int file_version;
	bool in_transaction;
	/* The last cursor effect of the open transaction, written at commit. */
	bool cursor_pending;
	uint64_t cursor_generation;
	uint64_t cursor_seq;
	bool cursor_synced;
	sqlite3_stmt *stmts[_STMT_MAX];
	/* row_event_sql()'s */
	char *insert_event_sql;
	char *select_events_sql;
	char *select_archive_sql;
};

static inline void sqlite3_finalizep(sqlite3_stmt **st)
{
	sqlite3_finalize(*st);
}

/* ledger.c: errors and statements. */
int ledger_errno_from_sqlite(sqlite3 *db, int rc);
__attribute__((format(printf, 3, 4)))
int ledger_fail(char **ret_error, int r, const char *fmt, ...);
int ledger_fail_sqlite(char **ret_error, sqlite3 *db, int rc, const char *what);
int ledger_exec(struct ledger *l, const char *sql);
int ledger_query_int(struct ledger *l, const char *sql, int64_t *ret);
int ledger_stmt_get(struct ledger *l, int id, sqlite3_stmt **ret);
int ledger_stmt_run(struct ledger *l, sqlite3_stmt *st);
int ledger_stmt_run_plain(struct ledger *l, int id);
/* PRAGMA quick_check or integrity_check: 0, or -EUCLEAN with its first line. */
int ledger_check_pragma(struct ledger *l, const char *pragma, char **ret_error);

/* read.c */
int ledger_snapshot_begin(struct ledger *l, bool *ret_started);
void ledger_snapshot_end(struct ledger *l, bool started);
int ledger_foreach_event_range(struct ledger *l, int64_t from, int64_t to,
			       ledger_event_fn fn, void *userdata);
/* The same over sql, one of the two row_event_sql() selects. */
int ledger_foreach_row_range(struct ledger *l, const char *sql, int64_t from,
			     int64_t to, ledger_event_fn fn, void *userdata);

/* A migration's open in table ("events" or "archive"); -ENODATA: none. */
int ledger_find_migration_open_in(struct ledger *l, const char *table,
				  uint64_t migration, int64_t *ret);

/* archive.c: compaction's copy of a migration's records, in its transaction. */
int ledger_archive_range(struct ledger *l, int64_t from, int64_t to);

/* Where a projection is stored: the live one, or the checkpoint's. */
struct projection_sql {
	const char *windows;
	const char *caps;
	const char *migration;
	const char *cursor;
};
extern const struct projection_sql ledger_projection_tables;
extern const struct projection_sql ledger_checkpoint_tables;
/* -EBADMSG for a row the state refuses. */
int ledger_load_projection(struct ledger *l, const struct projection_sql *t,
			   struct vasd_state *s);
int ledger_load_stored(struct ledger *l, struct vasd_state *s);

/*
 * row.c: the events' statements, their columns those of
 * core/event-fields.h: INSERT (kind, the fields) and SELECT position,
 * kind, the fields, of the positions from ?1 to before ?2, from the events
 * and from the archive (ledger/archive.c). malloc'ed.
 */
int row_event_sql(char **ret_insert, char **ret_select, char **ret_select_archive);

void row_bind_u64(sqlite3_stmt *st, int i, uint64_t v);
uint64_t row_column_u64(sqlite3_stmt *st, int i);
/* The projection's columns from first on; false when a value does not fit. */
bool row_column_window(sqlite3_stmt *st, int first, struct vas_window *w);
bool row_column_caps(sqlite3_stmt *st, int first, struct vas_caps *c);
bool row_column_migration(sqlite3_stmt *st, int first, struct vas_migration *m);
void row_bind_window(sqlite3_stmt *st, int first, const struct vas_window *w);
void row_bind_caps(sqlite3_stmt *st, int first, const struct vas_caps *c);
void row_bind_migration(sqlite3_stmt *st, int first, const struct vas_migration *m);
/* The INSERT's parameters; -EINVAL for a value of vasd's enums with no name. */
int row_bind_event(sqlite3_stmt *st, const struct vasd_event *ev, const char *kind);
/* A row of the SELECT; -EBADMSG for one this build does not read. */
int row_to_event(sqlite3_stmt *st, struct vasd_event *ev);
