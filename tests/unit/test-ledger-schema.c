// SPDX-License-Identifier: GPL-2.0-only
/*
 * ledger_open() on real SQLite files: a new ledger, the forward migrations
 * from versions 1, 2 and 3, and every file it must refuse (newer, foreign, not
 * SQLite, damaged, missing) left byte for byte as it was; read-only
 * opening never writes and works while a writer is in a transaction.
 */
#include <errno.h>
#include <stdint.h>
#include <sqlite3.h>

#include "core/event-fields.h"
#include "ledger/schema.h"
#include "test-files.h"
#include "test-ledger-events.h"
#include "test-raw-sqlite.h"
#include "test.h"

static char *dir;

/* Open as vasd does, start, add windows; closing checkpoints the WAL. */
static void make_ledger(const char *path, uint32_t n_windows)
{
	struct history h = { .seq = 0 };
	char *error = NULL;
	int r;

	r = ledger_open(path, LEDGER_READ_WRITE, &h.ledger, &error);
	if (r < 0)
		TEST_FAIL("ledger_open %s: %s", path, error);
	ASSERT_INT_EQ(vasd_state_new(&h.state), 0);
	history_begin(&h);
	history_start(&h);
	history_commit(&h);
	history_windows(&h, 1, n_windows);
	ledger_free(h.ledger);
	vasd_state_free(h.state);
}

/*
 * ledger_open() fails with expected and leaves path and its WAL as they
 * were. Where there was no WAL, SQLite's WAL reader may leave an empty one
 * and the -shm index beside a WAL-mode file, as any reader does.
 */
static void assert_refused(const char *path, enum ledger_mode mode,
			   int expected)
{
	struct test_file before, after, wal_before, wal_after;
	size_t n_files = test_dir_count(dir);
	struct ledger *l = NULL;
	char *error = NULL, *wal_path;
	int r;

	if (asprintf(&wal_path, "%s-wal", path) < 0)
		TEST_FAIL("out of memory");
	before = test_file_read(path);
	wal_before = test_file_read(wal_path);

	r = ledger_open(path, mode, &l, &error);
	if (r != expected)
		TEST_FAIL("ledger_open %s: %d (%s), expected %d", path, r,
			  error ? error : "no message", expected);
	ASSERT_NULL(l);
	ASSERT(error && *error);
	ASSERT(ledger_strerror(r));

	after = test_file_read(path);
	wal_after = test_file_read(wal_path);
	ASSERT(test_file_same(&before, &after));
	if (wal_before.exists || !wal_after.exists) {
		ASSERT(test_file_same(&wal_before, &wal_after));
		ASSERT_UINT_EQ(test_dir_count(dir), n_files);
	} else {
		ASSERT_UINT_EQ(wal_after.size, 0);
		ASSERT_UINT_EQ(test_dir_count(dir), n_files + 2);
	}

	test_file_free(&before);
	test_file_free(&after);
	test_file_free(&wal_before);
	test_file_free(&wal_after);
	free(wal_path);
	free(error);
}

static void assert_refused_both(const char *path, int expected)
{
	assert_refused(path, LEDGER_READ_WRITE, expected);
	assert_refused(path, LEDGER_READ_ONLY, expected);
}

static void remove_ledger(const char *path)
{
	const char *suffixes[] = { "", "-wal", "-shm" };

	for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
		char *p;

		if (asprintf(&p, "%s%s", path, suffixes[i]) < 0)
			TEST_FAIL("out of memory");
		if (unlink(p) < 0 && errno != ENOENT)
			TEST_FAIL("unlink %s: %s", p, strerror(errno));
		free(p);
	}
}

static void test_new(void)
{
	char *path = test_path(dir, "new.db");
	const char *tables[] = { "events", "windows", "caps", "migration",
				 "cursor", "checkpoint", "checkpoint_windows",
				 "checkpoint_caps", "checkpoint_migration",
				 "archive" };
	struct ledger *l = NULL;
	char *mode;
	sqlite3 *db;

	ASSERT_INT_EQ(ledger_open(path, LEDGER_READ_WRITE, &l, NULL), 0);
	ASSERT_INT_EQ(ledger_schema_version(), 6);
	ASSERT_INT_EQ(ledger_file_version(l), ledger_schema_version());
	ASSERT_INT_EQ(ledger_last_position(l), 0);
	ledger_free(l);

	db = raw_open(path, RAW_CREATE);
	ASSERT_INT_EQ(raw_int(db, "PRAGMA application_id"), LEDGER_APPLICATION_ID);
	ASSERT_INT_EQ(raw_int(db, "PRAGMA user_version"), 6);
	mode = raw_text(db, "PRAGMA journal_mode");
	ASSERT_STR_EQ(mode, "wal");
	free(mode);
	for (size_t i = 0; i < ELEMENTSOF(tables); i++) {
		char *sql;

		if (asprintf(&sql, "SELECT strict FROM pragma_table_list WHERE name = '%s'",
			     tables[i]) < 0)
			TEST_FAIL("out of memory");
		if (raw_int(db, sql) != 1)
			TEST_FAIL("table %s is not STRICT", tables[i]);
		free(sql);
	}
	/* the cursor row exists from the start: commits only update it */
	ASSERT_INT_EQ(raw_int(db, "SELECT count(*) FROM cursor"), 1);
	/* a checkpoint only once compacted */
	ASSERT_INT_EQ(raw_int(db, "SELECT count(*) FROM checkpoint"), 0);
	raw_close(db);

	/* opening again changes nothing */
	ASSERT_INT_EQ(ledger_open(path, LEDGER_READ_WRITE, &l, NULL), 0);
	ASSERT_INT_EQ(ledger_file_version(l), 6);
	ledger_free(l);
	remove_ledger(path);
	free(path);
}

/* The schema as SQLite holds it, to compare a migrated file with a new one. */
static char *schema_of(const char *path)
{
	sqlite3 *db = raw_open(path, RAW_CREATE);
	char *sql = raw_text(db, "SELECT group_concat(sql, ';') FROM "
			     "(SELECT sql FROM sqlite_schema ORDER BY name)");

	raw_close(db);
	return sql;
}

/* A migrated file has the schema of a new one, object for object. */
static void assert_schema_new(const char *path)
{
	char *fresh = test_path(dir, "fresh.db"), *schema, *fresh_schema;
	struct ledger *l = NULL;

	ASSERT_INT_EQ(ledger_open(fresh, LEDGER_READ_WRITE, &l, NULL), 0);
	ledger_free(l);
	schema = schema_of(path);
	fresh_schema = schema_of(fresh);
	ASSERT_STR_EQ(schema, fresh_schema);
	free(schema);
	free(fresh_schema);
	remove_ledger(fresh);
	free(fresh);
}

/*
 * A file as version 1 left it: its windows and cursor, from a history
 * version 1 could hold (window events only, no credits).
 */
static void make_v1(const char *path)
{
	sqlite3 *db = raw_open(path, RAW_CREATE);
	char sql[128];

	raw_exec(db, "PRAGMA journal_mode = WAL");
	raw_exec(db, "BEGIN");
	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d",
		 LEDGER_APPLICATION_ID);
	raw_exec(db, sql);
	raw_exec(db, ledger_schema_steps[0]);
	raw_exec(db, "PRAGMA user_version = 1");
	raw_exec(db,
		 "INSERT INTO events (kind, timestamp, recorded) VALUES ('daemon-start', 100, 100);"
		 "INSERT INTO events (kind, reason, timestamp, recorded) VALUES ('resync-begin', 'start', 101, 101);"
		 "INSERT INTO events (kind, generation, seq, timestamp, recorded) VALUES ('resync-end', -8340936873044259233, 4, 102, 102);"
		 "INSERT INTO events (kind, generation, seq, timestamp, recorded, window_id, window_tgid, window_pid, window_comm, window_cop, window_type, window_state, window_reason, window_opened_at) "
		 "  VALUES ('window-add', -8340936873044259233, 5, 103, 104, 7, 70, 71, 'nxclient', 0, 1, 0, 0, 99);"
		 "INSERT INTO events (kind, generation, seq, timestamp, recorded, window_id, window_tgid, window_pid, window_comm, window_cop, window_type, window_state, window_reason, window_opened_at) "
		 "  VALUES ('window-change', -8340936873044259233, 6, 105, 106, 7, 70, 71, 'nxclient', 0, 1, 1, 1, 99);"
		 "INSERT INTO windows VALUES (7, 70, 71, 'nxclient', 0, 1, 1, 1, 99);"
		 "UPDATE cursor SET generation = -8340936873044259233, seq = 6, synced = 1;");
	raw_exec(db, "COMMIT");
	raw_close(db);
}

static void test_migration(void)
{
	char *path = test_path(dir, "v1.db");
	struct vasd_state *s;
	const struct vas_window *w;
	struct ledger *l = NULL;
	struct vasd_event ev = {
		.kind = VASD_EVENT_CAPS_CHANGE,
		.generation = GEN,
		.seq = 7,
		.timestamp = 107,
		.recorded = 108,
		.caps = { .type = VAS_WIN_TYPE_QOS, .total = 8, .used = 0 },
	};
	struct vasd_effect effect;
	char *error = NULL;
	int64_t n;
	sqlite3 *db;

	make_v1(path);
	/* a reader cannot migrate, and does not touch it */
	assert_refused(path, LEDGER_READ_ONLY, -EPROTONOSUPPORT);

	ASSERT_INT_EQ(ledger_open(path, LEDGER_READ_WRITE, &l, &error), 0);
	ASSERT_INT_EQ(ledger_file_version(l), 6);
	ASSERT_INT_EQ(ledger_last_position(l), 5);

	/* the old events replay to the old projection */
	ASSERT_INT_EQ(ledger_verify(l, &n, NULL, &error), 0);
	ASSERT_NULL(error);
	ASSERT_INT_EQ(n, 5);
	ASSERT_INT_EQ(vasd_state_new(&s), 0);
	ASSERT_INT_EQ(ledger_load_state(l, s), 0);
	ASSERT_UINT_EQ(vasd_state_generation(s), GEN);
	ASSERT_UINT_EQ(vasd_state_seq(s), 6);
	ASSERT(vasd_state_synced(s));
	w = vasd_state_window(s, 7);
	ASSERT(w);
	ASSERT_STR_EQ(w->comm, "nxclient");
	ASSERT_UINT_EQ(w->state, VAS_WIN_STATE_SUSPENDED);
	ASSERT_NULL(vasd_state_caps(s, VAS_WIN_TYPE_QOS));

	/* and what version 2 added takes new events */
	ASSERT_INT_EQ(vasd_apply(s, &ev, &effect), VASD_APPLY_APPLIED);
	ASSERT_INT_EQ(ledger_begin(l), 0);
	ASSERT_INT_EQ(ledger_append(l, &ev, &effect), 0);
	ASSERT_INT_EQ(ledger_commit(l), 0);
	ASSERT_INT_EQ(ev.position, 6);
	ASSERT_INT_EQ(ledger_verify(l, &n, NULL, &error), 0);
	ASSERT_INT_EQ(n, 6);
	/* the unique index covers the new kinds: the same seq again is refused */
	ev.caps.total = 9;
	ASSERT_INT_EQ(ledger_begin(l), 0);
	ASSERT_INT_EQ(ledger_append(l, &ev, &effect), -EEXIST);
	ASSERT(!ledger_in_transaction(l));
	ledger_free(l);
	vasd_state_free(s);

	db = raw_open(path, RAW_CREATE);
	ASSERT_INT_EQ(raw_int(db, "PRAGMA user_version"), 6);
	ASSERT_INT_EQ(raw_int(db, "PRAGMA application_id"), LEDGER_APPLICATION_ID);
	ASSERT_INT_EQ(raw_int(db, "SELECT count(*) FROM events"), 6);
	ASSERT_INT_EQ(raw_int(db, "SELECT strict FROM pragma_table_list WHERE name = 'checkpoint'"), 1);
	ASSERT_INT_EQ(raw_int(db, "SELECT total FROM caps WHERE type = 1"), 8);
	ASSERT_INT_EQ(raw_int(db, "SELECT strict FROM pragma_table_list WHERE name = 'caps'"), 1);
	raw_close(db);
	assert_schema_new(path);
	remove_ledger(path);
	free(path);
}

/* Version 5 is version 6 without the windows' uid. */
static void strip_v6(sqlite3 *db)
{
	raw_exec(db, "ALTER TABLE events DROP COLUMN window_uid;"
		     "ALTER TABLE archive DROP COLUMN window_uid;"
		     "ALTER TABLE windows DROP COLUMN uid;"
		     "ALTER TABLE checkpoint_windows DROP COLUMN uid;"
		     "PRAGMA user_version = 5");
}

/* Version 4 is version 5 without the archive. */
static void strip_v5(sqlite3 *db)
{
	strip_v6(db);
	raw_exec(db, "DROP TABLE archive; PRAGMA user_version = 4");
}

/* Version 3 is version 4 without the coordinator's columns and index. */
static void strip_v4(sqlite3 *db)
{
	strip_v5(db);
	raw_exec(db, "DROP INDEX events_migration_open;"
		     "ALTER TABLE checkpoint DROP COLUMN last_migration;"
		     "ALTER TABLE events DROP COLUMN coord_migration;"
		     "ALTER TABLE events DROP COLUMN coord_lock;"
		     "ALTER TABLE events DROP COLUMN coord_since;"
		     "ALTER TABLE events DROP COLUMN coord_token;"
		     "ALTER TABLE events DROP COLUMN coord_what;"
		     "ALTER TABLE events DROP COLUMN coord_count;"
		     "ALTER TABLE events DROP COLUMN coord_total;"
		     "ALTER TABLE events DROP COLUMN coord_pid;"
		     "ALTER TABLE events DROP COLUMN coord_uid;"
		     "ALTER TABLE events DROP COLUMN coord_comm;"
		     "PRAGMA user_version = 3");
}

/*
 * Version 2 is version 3 without the checkpoint's tables: a ledger made
 * now and stripped of them is what vasd of version 2 left.
 */
static void test_migration_v2(void)
{
	char *path = test_path(dir, "v2.db");
	struct ledger_checkpoint cp;
	struct ledger *l = NULL;
	char *error = NULL;
	int64_t n, first, removed;
	sqlite3 *db;

	make_ledger(path, 300);
	db = raw_open(path, RAW_CREATE);
	strip_v4(db);
	raw_exec(db, "BEGIN;"
		     "DROP TABLE checkpoint; DROP TABLE checkpoint_windows;"
		     "DROP TABLE checkpoint_caps; DROP TABLE checkpoint_migration;"
		     "PRAGMA user_version = 2;"
		     "COMMIT");
	raw_close(db);
	assert_refused(path, LEDGER_READ_ONLY, -EPROTONOSUPPORT);

	ASSERT_INT_EQ(ledger_open(path, LEDGER_READ_WRITE, &l, &error), 0);
	ASSERT_INT_EQ(ledger_file_version(l), 6);
	ASSERT_INT_EQ(ledger_get_checkpoint(l, &cp), -ENODATA);
	ASSERT_INT_EQ(ledger_verify(l, &n, NULL, &error), 0);
	ASSERT_INT_EQ(n, 5 + 300 + 100);
	/* and the old events compact */
	ASSERT_INT_EQ(ledger_compact(l, 200, 0, TS, &first, &removed), 0);
	ASSERT_INT_EQ(first, 200);
	ASSERT_INT_EQ(removed, 199);
	ASSERT_INT_EQ(ledger_verify(l, &n, &cp, &error), 0);
	ASSERT_INT_EQ(n, 5 + 300 + 100 - 199);
	ASSERT_INT_EQ(cp.position, 200);
	ledger_free(l);
	assert_schema_new(path);
	remove_ledger(path);
	free(path);
}

/* Every step of sql's plan (its detail, the fourth column) uses index. */
static void assert_plan(sqlite3 *db, const char *sql, const char *index)
{
	sqlite3_stmt *st;
	char *explain;
	int n = 0;

	if (asprintf(&explain, "EXPLAIN QUERY PLAN %s", sql) < 0)
		TEST_FAIL("out of memory");
	if (sqlite3_prepare_v2(db, explain, -1, &st, NULL) != SQLITE_OK)
		TEST_FAIL("%s: %s", explain, sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *detail = (const char *)sqlite3_column_text(st, 3);

		if (!detail || !strstr(detail, index))
			TEST_FAIL("%s: a step without %s: %s", sql, index, detail);
		n++;
	}
	ASSERT(n > 0);
	sqlite3_finalize(st);
	free(explain);
}

/*
 * Version 3 to 4: the coordinator's kinds of version 3 (kind and times
 * only) read back with zero fields; new ones keep theirs; the last
 * migration-open is found through the new partial index.
 */
static void test_migration_v3(void)
{
	char *path = test_path(dir, "v3.db");
	struct vasd_effect effect = { 0 };
	struct ledger *l = NULL;
	struct vasd_event ev = {
		.kind = VASD_EVENT_MIGRATION_OPEN,
		.timestamp = TS,
		.recorded = TS,
		.coord = { .migration = 2, .what = VASD_ORIGIN_KERNEL },
		.migration = { .stream_id = 5, .phase = VAS_MIGRATION_PHASE_PREPARE,
			       .token = 9 },
	};
	char *error = NULL;
	int64_t n, position;
	sqlite3 *db;

	make_ledger(path, 10);
	db = raw_open(path, RAW_CREATE);
	strip_v4(db);
	raw_exec(db, "INSERT INTO events (kind, timestamp, recorded) VALUES "
		     "('migration-open', 200, 201), ('migration-close', 202, 203)");
	raw_close(db);
	assert_refused(path, LEDGER_READ_ONLY, -EPROTONOSUPPORT);

	ASSERT_INT_EQ(ledger_open(path, LEDGER_READ_WRITE, &l, &error), 0);
	ASSERT_INT_EQ(ledger_file_version(l), 6);
	ASSERT_INT_EQ(ledger_verify(l, &n, NULL, &error), 0);
	ASSERT_INT_EQ(n, 5 + 10 + 3 + 2);
	ASSERT_INT_EQ(ledger_last_migration_open(l, &position), 0);
	ASSERT_INT_EQ(position, n - 1);

	ASSERT_INT_EQ(ledger_begin(l), 0);
	ASSERT_INT_EQ(ledger_append(l, &ev, &effect), 0);
	ASSERT_INT_EQ(ledger_commit(l), 0);
	ASSERT_INT_EQ(ledger_last_migration_open(l, &position), 0);
	ASSERT_INT_EQ(position, ev.position);
	ASSERT_INT_EQ(ledger_verify(l, &n, NULL, &error), 0);
	ledger_free(l);

	db = raw_open(path, RAW_CREATE);
	ASSERT_INT_EQ(raw_int(db, "SELECT count(*) FROM events WHERE "
			      "coord_what = 'kernel' AND coord_migration = 2 "
			      "AND migration_token = 9"), 1);
	ASSERT_INT_EQ(raw_int(db, "SELECT count(*) FROM events WHERE "
			      "coord_migration IS NULL AND kind LIKE 'migration-%'"), 2);
	assert_plan(db, "SELECT max(position) FROM events WHERE kind = 'migration-open'",
		    "events_migration_open");
	ASSERT_INT_EQ(raw_int(db, "SELECT count(*) FROM pragma_table_info('checkpoint') "
			      "WHERE name = 'last_migration'"), 1);
	raw_close(db);
	assert_schema_new(path);
	remove_ledger(path);
	free(path);
}

/*
 * Version 5 to 6: the windows' uid. Events and windows of version 5 read
 * back with the uid not known (NULL), the ledger still verifies, and new
 * events and windows keep theirs, in the events, the projection and the
 * archive alike.
 */
static void test_migration_v5(void)
{
	char *path = test_path(dir, "v5.db");
	struct vasd_effect effect = { 0 };
	struct ledger_checkpoint cp;
	struct vasd_state *s;
	struct ledger *l = NULL;
	const struct vas_window *w;
	struct vasd_event ev = {
		.kind = VASD_EVENT_WINDOW_ADD,
		.generation = GEN,
		.timestamp = TS,
		.recorded = TS,
	};
	char *error = NULL;
	int64_t n, first, removed;
	sqlite3 *db;

	make_ledger(path, 10);
	db = raw_open(path, RAW_CREATE);
	strip_v6(db);
	raw_close(db);
	assert_refused(path, LEDGER_READ_ONLY, -EPROTONOSUPPORT);

	ASSERT_INT_EQ(ledger_open(path, LEDGER_READ_WRITE, &l, &error), 0);
	ASSERT_INT_EQ(ledger_file_version(l), 6);
	ASSERT_INT_EQ(ledger_verify(l, &n, NULL, &error), 0);
	ASSERT_NULL(error);
	ASSERT_INT_EQ(n, 5 + 10 + 3);

	/* the old windows: every uid not known, even those once written */
	ASSERT_INT_EQ(vasd_state_new(&s), 0);
	ASSERT_INT_EQ(ledger_load_state(l, s), 0);
	/* a third closed again (history_windows()) */
	ASSERT_UINT_EQ(vasd_state_n_windows(s), 7);
	for (uint32_t id = 1; id <= 10; id++) {
		w = vasd_state_window(s, id);
		ASSERT(!w == (id % 3 == 2));
		if (w)
			ASSERT_UINT_EQ(w->uid, VAS_UID_UNKNOWN);
	}

	/* a new window of uid 0 and one not known */
	ev.seq = vasd_state_seq(s) + 1;
	ev.window = test_window(21, VAS_WIN_TYPE_DEFAULT, VAS_WIN_STATE_ACTIVE,
				VAS_SUSPEND_REASON_NONE);
	ev.window.uid = 0;
	ASSERT_INT_EQ(vasd_apply(s, &ev, &effect), VASD_APPLY_APPLIED);
	ASSERT_INT_EQ(ledger_begin(l), 0);
	ASSERT_INT_EQ(ledger_append(l, &ev, &effect), 0);
	ASSERT_INT_EQ(ledger_commit(l), 0);
	ev.seq++;
	ev.window = test_window(22, VAS_WIN_TYPE_DEFAULT, VAS_WIN_STATE_ACTIVE,
				VAS_SUSPEND_REASON_NONE);
	ev.window.uid = VAS_UID_UNKNOWN;
	ASSERT_INT_EQ(vasd_apply(s, &ev, &effect), VASD_APPLY_APPLIED);
	ASSERT_INT_EQ(ledger_begin(l), 0);
	ASSERT_INT_EQ(ledger_append(l, &ev, &effect), 0);
	ASSERT_INT_EQ(ledger_commit(l), 0);
	ASSERT_INT_EQ(ledger_verify(l, &n, NULL, &error), 0);
	ASSERT_INT_EQ(n, 5 + 10 + 3 + 2);
	vasd_state_free(s);

	/* they read back as written, from the projection */
	ASSERT_INT_EQ(vasd_state_new(&s), 0);
	ASSERT_INT_EQ(ledger_load_state(l, s), 0);
	ASSERT_UINT_EQ(vasd_state_window(s, 21)->uid, 0);
	ASSERT_UINT_EQ(vasd_state_window(s, 22)->uid, VAS_UID_UNKNOWN);
	vasd_state_free(s);

	db = raw_open(path, RAW_CREATE);
	ASSERT_INT_EQ(raw_int(db, "SELECT count(*) FROM events WHERE window_uid = 0 "
			      "AND window_id = 21"), 1);
	ASSERT_INT_EQ(raw_int(db, "SELECT count(*) FROM events WHERE window_uid IS NULL "
			      "AND window_id IS NOT NULL"), 10 + 3 + 1);
	raw_close(db);

	/* and through a checkpoint */
	ASSERT_INT_EQ(ledger_compact(l, n, 0, TS, &first, &removed), 0);
	ASSERT_INT_EQ(ledger_verify(l, &n, &cp, &error), 0);
	ASSERT_NULL(error);
	ledger_free(l);

	db = raw_open(path, RAW_CREATE);
	ASSERT_INT_EQ(raw_int(db, "SELECT count(*) FROM windows WHERE uid IS NULL"), 8);
	ASSERT_INT_EQ(raw_int(db, "SELECT uid FROM windows WHERE id = 21"), 0);
	ASSERT_INT_EQ(raw_int(db, "SELECT uid FROM checkpoint_windows WHERE id = 21"), 0);
	/* the checkpoint is the state before the last event: window 22 not yet */
	ASSERT_INT_EQ(raw_int(db, "SELECT count(*) FROM checkpoint_windows WHERE uid IS NULL"), 7);
	raw_close(db);
	assert_schema_new(path);
	remove_ledger(path);
	free(path);
}

static void test_newer(void)
{
	char *path = test_path(dir, "newer.db");
	sqlite3 *db;

	make_ledger(path, 10);
	db = raw_open(path, RAW_CREATE);
	raw_exec(db, "PRAGMA user_version = 7");
	raw_close(db);
	assert_refused_both(path, -EPROTONOSUPPORT);
	remove_ledger(path);
	free(path);
}

static void test_foreign(void)
{
	char *path = test_path(dir, "foreign.db");
	sqlite3 *db;

	/* another application's database */
	db = raw_open(path, RAW_CREATE);
	raw_exec(db, "PRAGMA application_id = 305419896;"
		     "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);");
	raw_close(db);
	assert_refused_both(path, -EMEDIUMTYPE);
	remove_ledger(path);

	/* no application_id at all, but tables */
	db = raw_open(path, RAW_CREATE);
	raw_exec(db, "CREATE TABLE events (x INTEGER)");
	raw_close(db);
	assert_refused_both(path, -EMEDIUMTYPE);
	remove_ledger(path);

	/*
	 * A foreign WAL database whose log was not checkpointed: closing a
	 * connection to it must not write the log into it.
	 */
	db = raw_open(path, RAW_CREATE);
	raw_exec(db, "PRAGMA journal_mode = WAL; PRAGMA application_id = 7;"
		     "CREATE TABLE t (x INTEGER)");
	sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	raw_exec(db, "INSERT INTO t VALUES (1), (2), (3)");
	raw_close(db);
	assert_refused(path, LEDGER_READ_WRITE, -EMEDIUMTYPE);
	remove_ledger(path);
	free(path);
}

static void test_not_sqlite(void)
{
	char *path = test_path(dir, "junk.db");
	static const char text[] =
		"# not a database\nledger = /var/lib/vasd/ledger.db\n";
	uint8_t bytes[8192];
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	for (size_t i = 0; i < sizeof(bytes); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		bytes[i] = (uint8_t)x;
	}
	test_file_write(path, bytes, sizeof(bytes));
	assert_refused_both(path, -EMEDIUMTYPE);
	test_file_write(path, text, sizeof(text) - 1);
	assert_refused_both(path, -EMEDIUMTYPE);
	remove_ledger(path);
	free(path);
}

static void test_damaged(void)
{
	char *path = test_path(dir, "damaged.db");
	struct test_file f;
	size_t page_size = 4096, n_pages;
	sqlite3 *db;

	make_ledger(path, 3000);
	db = raw_open(path, RAW_CREATE);
	page_size = (size_t)raw_int(db, "PRAGMA page_size");
	raw_close(db);
	f = test_file_read(path);
	n_pages = f.size / page_size;
	ASSERT(n_pages > 20);
	/*
	 * A page in the middle of the file belongs to a b-tree (a ledger is
	 * only appended to, so there are no free pages): overwrite its header
	 * and first cell pointers.
	 */
	memset((uint8_t *)f.bytes + (n_pages / 2) * page_size, 0xa5, 32);
	test_file_write(path, f.bytes, f.size);
	test_file_free(&f);
	assert_refused(path, LEDGER_READ_WRITE, -EUCLEAN);
	assert_refused(path, LEDGER_READ_ONLY, -EUCLEAN);
	remove_ledger(path);

	/* the header hit: then it is not recognized at all */
	make_ledger(path, 10);
	f = test_file_read(path);
	memset(f.bytes, 'x', 16);
	test_file_write(path, f.bytes, f.size);
	test_file_free(&f);
	assert_refused_both(path, -EMEDIUMTYPE);
	remove_ledger(path);
	free(path);
}

static void test_missing(void)
{
	char *path = test_path(dir, "missing.db");
	struct ledger *l = NULL;
	char *error = NULL;

	ASSERT_INT_EQ(test_dir_count(dir), 0);
	ASSERT_INT_EQ(ledger_open(path, LEDGER_READ_ONLY, &l, &error), -ENOENT);
	ASSERT_NULL(l);
	ASSERT(error);
	ASSERT_INT_EQ(test_dir_count(dir), 0);
	free(error);
	free(path);
}

static int count_event(const struct vasd_event *ev, void *userdata)
{
	int64_t *n = userdata;

	(*n)++;
	return 0;
}

static void test_read_only(void)
{
	char *path = test_path(dir, "ro.db");
	struct test_file before, after;
	struct ledger_stats st;
	struct ledger *l = NULL;
	struct vasd_state *s;
	int64_t n = 0;

	make_ledger(path, 300);
	ASSERT_INT_EQ(test_dir_count(dir), 1);
	before = test_file_read(path);

	ASSERT_INT_EQ(ledger_open(path, LEDGER_READ_ONLY, &l, NULL), 0);
	ASSERT_INT_EQ(ledger_verify(l, &n, NULL, NULL), 0);
	ASSERT_INT_EQ(n, 5 + 300 + 100);
	ASSERT_INT_EQ(ledger_stats(l, &st), 0);
	ASSERT_INT_EQ(st.n_events, n);
	ASSERT_INT_EQ(vasd_state_new(&s), 0);
	ASSERT_INT_EQ(ledger_load_state(l, s), 0);
	ASSERT_UINT_EQ(vasd_state_n_windows(s), 200);
	vasd_state_free(s);
	ASSERT_INT_EQ(ledger_begin(l), -EROFS);
	ledger_free(l);

	after = test_file_read(path);
	ASSERT(test_file_same(&before, &after));
	test_file_free(&before);
	test_file_free(&after);
	remove_ledger(path);
	free(path);
}

/* WAL: a reader opens, checks and reads while the writer is in a transaction. */
static void test_reader_beside_writer(void)
{
	char *path = test_path(dir, "busy.db");
	struct history h = { .seq = 0 };
	struct ledger *reader = NULL;
	struct ledger_stats st;
	int64_t n = 0, n_committed;

	ASSERT_INT_EQ(ledger_open(path, LEDGER_READ_WRITE, &h.ledger, NULL), 0);
	ASSERT_INT_EQ(vasd_state_new(&h.state), 0);
	history_begin(&h);
	history_start(&h);
	history_commit(&h);
	history_windows(&h, 1, 50);
	n_committed = ledger_last_position(h.ledger);

	history_begin(&h);
	history_window_add(&h, 1000, VAS_WIN_TYPE_QOS);
	history_window_add(&h, 1001, VAS_WIN_TYPE_QOS);

	ASSERT_INT_EQ(ledger_open(path, LEDGER_READ_ONLY, &reader, NULL), 0);
	ASSERT_INT_EQ(ledger_foreach_event(reader, 0, count_event, &n), 0);
	ASSERT_INT_EQ(n, n_committed);
	ASSERT_INT_EQ(ledger_verify(reader, &n, NULL, NULL), 0);
	ASSERT_INT_EQ(n, n_committed);

	history_commit(&h);
	/* a new snapshot sees the commit */
	ASSERT_INT_EQ(ledger_stats(reader, &st), 0);
	ASSERT_INT_EQ(st.n_events, n_committed + 2);
	ASSERT_INT_EQ(st.last_position, n_committed + 2);
	ASSERT_INT_EQ(ledger_verify(reader, &n, NULL, NULL), 0);
	ASSERT_INT_EQ(n, n_committed + 2);

	ledger_free(reader);
	ledger_free(h.ledger);
	vasd_state_free(h.state);
	remove_ledger(path);
	free(path);
}

/*
 * The events' columns are the fields of core/event-fields.h, object by
 * object ("window_id"), and the projection's tables hold an object's
 * fields in the table's order: the row mapping walks the table, so a
 * column the table lacks would never be written.
 */
static void test_columns(void)
{
	static const struct {
		const char *table;
		int object;
	} projection[] = {
		{ "windows", VASD_OBJECT_WINDOW },
		{ "checkpoint_windows", VASD_OBJECT_WINDOW },
		{ "caps", VASD_OBJECT_CAPS },
		{ "migration", VASD_OBJECT_MIGRATION },
		{ "checkpoint_migration", VASD_OBJECT_MIGRATION },
	};
	char *path = test_path(dir, "columns.db");
	char want[2048] = "", *got, sql[256];
	struct ledger *l = NULL;
	sqlite3 *db;

	ASSERT_INT_EQ(ledger_open(path, LEDGER_READ_WRITE, &l, NULL), 0);
	ledger_free(l);
	db = raw_open(path, RAW_CREATE);

	/* as sets: the row's order is the schema's, the statements name theirs */
	strcpy(want, "kind");
	for (size_t k = 0; k < _VASD_OBJECT_MAX; k++) {
		const struct vasd_field_object *o = &vasd_event_objects[k];

		for (size_t j = 0; j < o->n_fields; j++)
			snprintf(want + strlen(want), sizeof(want) - strlen(want),
				 ",%s%s%s", o->name ? o->name : "",
				 o->name ? "_" : "", o->fields[j].name);
	}
	raw_exec(db, "CREATE TEMP TABLE want (name TEXT)");
	for (char *save = NULL, *w = strtok_r(want, ",", &save); w;
	     w = strtok_r(NULL, ",", &save)) {
		snprintf(sql, sizeof(sql), "INSERT INTO want VALUES ('%s')", w);
		raw_exec(db, sql);
	}
	got = raw_text(db, "SELECT coalesce(group_concat(name), '') FROM ("
		       "SELECT name FROM pragma_table_info('events') WHERE name != 'position' "
		       "EXCEPT SELECT name FROM want)");
	ASSERT_STR_EQ(got, "");
	free(got);
	got = raw_text(db, "SELECT coalesce(group_concat(name), '') FROM ("
		       "SELECT name FROM want EXCEPT "
		       "SELECT name FROM pragma_table_info('events'))");
	ASSERT_STR_EQ(got, "");
	free(got);

	for (size_t i = 0; i < ELEMENTSOF(projection); i++) {
		const struct vasd_field_object *o = &vasd_event_objects[projection[i].object];

		*want = '\0';
		for (size_t j = 0; j < o->n_fields; j++)
			snprintf(want + strlen(want), sizeof(want) - strlen(want),
				 "%s%s", j ? "," : "", o->fields[j].name);
		snprintf(sql, sizeof(sql), "SELECT group_concat(name) FROM ("
			 "SELECT name FROM pragma_table_info('%s') WHERE name != 'one' ORDER BY cid)",
			 projection[i].table);
		got = raw_text(db, sql);
		ASSERT_STR_EQ(got, want);
		free(got);
	}
	raw_close(db);
	remove_ledger(path);
	free(path);
}

int main(void)
{
	dir = test_tmpdir_new();
	test_missing();
	test_new();
	test_columns();
	test_migration();
	test_migration_v2();
	test_migration_v3();
	test_migration_v5();
	test_newer();
	test_foreign();
	test_not_sqlite();
	test_damaged();
	test_read_only();
	test_reader_beside_writer();
	test_tmpdir_free(dir);
	return 0;
}
