// SPDX-License-Identifier: GPL-2.0-only
/*
 * The floor of the ingest benchmark: the same kernel event rows vasd stored
 * (the coordinator's own records are not part of what vasd ingests), and
 * the same projection updates, written straight with SQLite into a fresh
 * file with the same schema and pragmas, BATCH rows per transaction. No
 * socket, no decoding, no apply(): what is left is the cost of durability.
 *
 *   ingest-floor SOURCE.db DEST.db BATCH [LIMIT]
 * prints "EVENTS SECONDS"; LIMIT writes only the first LIMIT events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#define N_COLS 22	/* the events table's columns after position */

static void die(sqlite3 *db, const char *what)
{
	fprintf(stderr, "ingest-floor: %s: %s\n", what, sqlite3_errmsg(db));
	exit(1);
}

static void exec(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(db, sql);
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		die(db, sql);
	return st;
}

static void step(sqlite3 *db, sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE)
		die(db, sqlite3_sql(st));
	sqlite3_reset(st);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	sqlite3 *src, *dst;
	sqlite3_stmt *schema, *rows, *ins, *wput, *wdel, *cput, *mput, *cur;
	long batch, limit = -1, n = 0;
	double start, secs;

	if (argc < 4 || argc > 5 || (batch = atol(argv[3])) < 1 ||
	    (argc == 5 && (limit = atol(argv[4])) < 1)) {
		fprintf(stderr, "usage: ingest-floor SOURCE.db DEST.db BATCH [LIMIT]\n");
		return 2;
	}
	if (sqlite3_open_v2(argv[1], &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		die(src, argv[1]);
	if (sqlite3_open(argv[2], &dst) != SQLITE_OK)
		die(dst, argv[2]);
	exec(dst, "PRAGMA journal_mode = WAL");
	exec(dst, "PRAGMA synchronous = FULL");

	schema = prepare(src, "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL "
			      "AND name NOT LIKE 'sqlite_%' ORDER BY rowid");
	while (sqlite3_step(schema) == SQLITE_ROW)
		exec(dst, (const char *)sqlite3_column_text(schema, 0));
	sqlite3_finalize(schema);
	exec(dst, "INSERT OR IGNORE INTO cursor VALUES (1, 0, 0, 0)");

	ins = prepare(dst, "INSERT INTO events (kind, generation, seq, lost_from, timestamp, "
		      "recorded, reason, window_id, window_tgid, window_pid, window_comm, "
		      "window_cop, window_type, window_state, window_reason, window_opened_at, "
		      "caps_type, caps_total, caps_used, migration_stream_id, migration_phase, "
		      "migration_token) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
		      "?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)");
	wput = prepare(dst, "INSERT OR REPLACE INTO windows (id, tgid, pid, comm, cop, type, "
		       "state, reason, opened_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
	wdel = prepare(dst, "DELETE FROM windows WHERE id = ?1");
	cput = prepare(dst, "INSERT OR REPLACE INTO caps (type, total, used) VALUES (?1, ?2, ?3)");
	mput = prepare(dst, "INSERT OR REPLACE INTO migration (one, stream_id, phase, token) "
		       "VALUES (1, ?1, ?2, ?3)");
	cur = prepare(dst, "UPDATE cursor SET generation = ?1, seq = ?2, synced = 1");

	/* read everything first: the floor times the writes only */
	rows = prepare(src, "SELECT kind, generation, seq, lost_from, timestamp, recorded, "
		       "reason, window_id, window_tgid, window_pid, window_comm, window_cop, "
		       "window_type, window_state, window_reason, window_opened_at, caps_type, "
		       "caps_total, caps_used, migration_stream_id, migration_phase, "
		       "migration_token FROM events WHERE kind IN ('window-add', "
		       "'window-del', 'window-change', 'caps-change', 'migration-change') "
		       "ORDER BY position");
	{
		sqlite3_value **vals = NULL;
		size_t cap = 0, used = 0;

		while ((limit < 0 || (long)(used / N_COLS) < limit) &&
		       sqlite3_step(rows) == SQLITE_ROW) {
			if (used + N_COLS > cap) {
				cap = cap ? 2 * cap : 1 << 16;
				vals = realloc(vals, cap * sizeof(*vals));
				if (!vals)
					return 1;
			}
			for (int c = 0; c < N_COLS; c++)
				vals[used++] = sqlite3_value_dup(sqlite3_column_value(rows, c));
		}
		sqlite3_finalize(rows);

		start = now();
		for (size_t r = 0; r < used; r += N_COLS, n++) {
			sqlite3_value **v = vals + r;
			const char *kind = (const char *)sqlite3_value_text(v[0]);

			if (n % batch == 0)
				exec(dst, "BEGIN IMMEDIATE");
			for (int c = 0; c < N_COLS; c++)
				sqlite3_bind_value(ins, c + 1, v[c]);
			step(dst, ins);
			if (strcmp(kind, "window-add") == 0 ||
			    strcmp(kind, "window-change") == 0) {
				for (int c = 0; c < 9; c++)
					sqlite3_bind_value(wput, c + 1, v[7 + c]);
				step(dst, wput);
			} else if (strcmp(kind, "window-del") == 0) {
				sqlite3_bind_value(wdel, 1, v[7]);
				step(dst, wdel);
			} else if (strcmp(kind, "caps-change") == 0) {
				for (int c = 0; c < 3; c++)
					sqlite3_bind_value(cput, c + 1, v[16 + c]);
				step(dst, cput);
			} else if (strcmp(kind, "migration-change") == 0) {
				for (int c = 0; c < 3; c++)
					sqlite3_bind_value(mput, c + 1, v[19 + c]);
				step(dst, mput);
			}
			if (n % batch == batch - 1 || r + N_COLS == used) {
				sqlite3_bind_value(cur, 1, v[1]);
				sqlite3_bind_value(cur, 2, v[2]);
				step(dst, cur);
				exec(dst, "COMMIT");
			}
		}
		secs = now() - start;
		for (size_t i = 0; i < used; i++)
			sqlite3_value_free(vals[i]);
		free(vals);
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(wput);
	sqlite3_finalize(wdel);
	sqlite3_finalize(cput);
	sqlite3_finalize(mput);
	sqlite3_finalize(cur);
	sqlite3_close(src);
	sqlite3_close(dst);
	printf("%ld %.6f\n", n, secs);
	return 0;
}
