// SPDX-License-Identifier: GPL-2.0-only
/*
 * ledger: the SQLite file of events and their projection. See ledger.h,
 * and ledger/schema.c for the tables.
 *
 * Opening checks everything before writing anything, so that a file that
 * is not ours, is newer, or is damaged is left as it was: the header
 * (application_id, user_version) first, then the integrity check, and
 * only then WAL mode and the migrations. Until the file is accepted the
 * connection does not checkpoint on close, which would write a foreign
 * WAL database's log into it.
 *
 * Events are typed columns (ledger/schema.c); the writer's statements are
 * prepared once and kept. Readers that run several queries (the projection,
 * stats, verify) run them in one read transaction: one snapshot.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "core/ledger-diff.h"
#include "ledger/ledger.h"
#include "ledger/schema.h"
#include "util/alloc.h"

/* Readers wait this long for a writer's brief exclusive moments (WAL recovery). */
#define BUSY_TIMEOUT_MS 5000

#define DEFAULT_STATE_DIRECTORY "/var/lib/vasd"
#define LEDGER_FILE "ledger.db"

/* The events columns after position, in the order of the enum below. */
#define EVENT_COLUMNS							\
	"kind, generation, seq, lost_from, timestamp, recorded, reason, "	\
	"window_id, window_tgid, window_pid, window_comm, window_cop, "	\
	"window_type, window_state, window_reason, window_opened_at, "	\
	"caps_type, caps_total, caps_used, "				\
	"migration_stream_id, migration_phase, migration_token, "	\
	"coord_migration, coord_lock, coord_since, coord_token, "	\
	"coord_what, coord_count, coord_total, coord_pid, coord_uid, "	\
	"coord_comm"

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

static const char *const stmt_sql[_STMT_MAX] = {
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_INSERT_EVENT] =
		"INSERT INTO events (" EVENT_COLUMNS ") VALUES (?1, ?2, ?3, "
		"?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
		"?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, "
		"?29, ?30, ?31, ?32)",
	[STMT_WINDOW_PUT] =
		"INSERT OR REPLACE INTO windows (id, tgid, pid, comm, cop, "
		"type, state, reason, opened_at) VALUES (?1, ?2, ?3, ?4, ?5, "
		"?6, ?7, ?8, ?9)",
	[STMT_WINDOW_DEL] = "DELETE FROM windows WHERE id = ?1",
	[STMT_CAPS_PUT] =
		"INSERT OR REPLACE INTO caps (type, total, used) "
		"VALUES (?1, ?2, ?3)",
	[STMT_MIGRATION_PUT] =
		"INSERT OR REPLACE INTO migration (one, stream_id, phase, token) "
		"VALUES (1, ?1, ?2, ?3)",
	[STMT_CURSOR_PUT] =
		"UPDATE cursor SET generation = ?1, seq = ?2, synced = ?3",
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

struct ledger {
	sqlite3 *db;
	char *path;
	enum ledger_mode mode;
	int file_version;
	bool in_transaction;
	/* The last cursor effect of the open transaction, written at commit. */
	bool cursor_pending;
	uint64_t cursor_generation;
	uint64_t cursor_seq;
	bool cursor_synced;
	sqlite3_stmt *stmts[_STMT_MAX];
};

static void sqlite3_finalizep(sqlite3_stmt **st)
{
	sqlite3_finalize(*st);
}

static int errno_from_sqlite(sqlite3 *db, int rc)
{
	int e;

	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_NOTADB:
		return -EMEDIUMTYPE;
	case SQLITE_CORRUPT:
		return -EUCLEAN;
	case SQLITE_TOOBIG:
		return -E2BIG;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_UNIQUE ||
		    rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return -EEXIST;
		return -EINVAL;
	case SQLITE_CANTOPEN:
		/* which of ENOENT, EACCES, EISDIR ... only the system knows */
		e = db ? sqlite3_system_errno(db) : 0;
		return e > 0 ? -e : -EIO;
	default:
		return -EIO;
	}
}

__attribute__((format(printf, 3, 4)))
static int fail(char **ret_error, int r, const char *fmt, ...)
{
	va_list ap;

	if (ret_error) {
		va_start(ap, fmt);
		if (vasprintf(ret_error, fmt, ap) < 0)
			*ret_error = NULL;
		va_end(ap);
	}
	return r;
}

/* What a statement on db failed with, as an errno and SQLite's words. */
static int fail_sqlite(char **ret_error, sqlite3 *db, int rc, const char *what)
{
	return fail(ret_error, errno_from_sqlite(db, rc), "%s: %s", what,
		    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

static int exec(struct ledger *l, const char *sql)
{
	return errno_from_sqlite(l->db,
				 sqlite3_exec(l->db, sql, NULL, NULL, NULL));
}

/* The first column of the first row of sql, as an integer. */
static int query_int(struct ledger *l, const char *sql, int64_t *ret)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(l->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return errno_from_sqlite(l->db, rc);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? -ENODATA : errno_from_sqlite(l->db, rc);
	*ret = sqlite3_column_int64(st, 0);
	return 0;
}

static int stmt_get(struct ledger *l, int id, sqlite3_stmt **ret)
{
	int rc;

	if (!l->stmts[id]) {
		rc = sqlite3_prepare_v3(l->db, stmt_sql[id], -1,
					SQLITE_PREPARE_PERSISTENT,
					&l->stmts[id], NULL);
		if (rc != SQLITE_OK)
			return errno_from_sqlite(l->db, rc);
	}
	*ret = l->stmts[id];
	return 0;
}

/* Step a cached statement with its parameters bound, to its end. */
static int stmt_run(struct ledger *l, sqlite3_stmt *st)
{
	int rc;

	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return errno_from_sqlite(l->db, rc);
	return 0;
}

static int stmt_run_plain(struct ledger *l, int id)
{
	sqlite3_stmt *st = NULL;
	int r;

	r = stmt_get(l, id, &st);
	if (r < 0)
		return r;
	return stmt_run(l, st);
}

static void bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
	/* the same 64 bits: SQLite integers are signed */
	sqlite3_bind_int64(st, i, (sqlite3_int64)v);
}

static void bind_u64_or_null(sqlite3_stmt *st, int i, uint64_t v)
{
	if (v)
		bind_u64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static uint64_t column_u64(sqlite3_stmt *st, int i)
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

static bool column_window(sqlite3_stmt *st, int first, struct vas_window *w)
{
	w->opened_at = column_u64(st, first + 8);
	return column_u32(st, first, &w->id) &&
	       column_u32(st, first + 1, &w->tgid) &&
	       column_u32(st, first + 2, &w->pid) &&
	       column_comm(st, first + 3, w->comm) &&
	       column_u32(st, first + 4, &w->cop) &&
	       column_u32(st, first + 5, &w->type) &&
	       column_u32(st, first + 6, &w->state) &&
	       column_u32(st, first + 7, &w->reason);
}

static bool column_caps(sqlite3_stmt *st, int first, struct vas_caps *c)
{
	return column_u32(st, first, &c->type) &&
	       column_u32(st, first + 1, &c->total) &&
	       column_u32(st, first + 2, &c->used);
}

static bool column_migration(sqlite3_stmt *st, int first,
			     struct vas_migration *m)
{
	m->stream_id = column_u64(st, first);
	m->token = column_u64(st, first + 2);
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

	c->migration = column_u64(st, first);
	c->lock = column_u64(st, first + 1);
	c->since = column_u64(st, first + 2);
	c->token = column_u64(st, first + 3);
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

static void bind_window(sqlite3_stmt *st, int first, const struct vas_window *w)
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
	bind_u64(st, first + 8, w->opened_at);
}

static void bind_caps(sqlite3_stmt *st, int first, const struct vas_caps *c)
{
	sqlite3_bind_int64(st, first, c->type);
	sqlite3_bind_int64(st, first + 1, c->total);
	sqlite3_bind_int64(st, first + 2, c->used);
}

static void bind_migration(sqlite3_stmt *st, int first,
			   const struct vas_migration *m)
{
	bind_u64(st, first, m->stream_id);
	sqlite3_bind_int64(st, first + 1, m->phase);
	bind_u64(st, first + 2, m->token);
}

/* -EINVAL for a what out of the kind's range. */
static int bind_coord(sqlite3_stmt *st, int first, int kind,
		      const struct vasd_coord *c)
{
	const char *what = vasd_coord_what_to_string(kind, c->what);

	if (!vasd_coord_what_valid(kind, c->what))
		return -EINVAL;
	bind_u64(st, first, c->migration);
	bind_u64(st, first + 1, c->lock);
	bind_u64(st, first + 2, c->since);
	bind_u64(st, first + 3, c->token);
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

int ledger_default_path(char **ret)
{
	const char *dir = getenv("STATE_DIRECTORY");
	size_t n;
	char *p;

	if (!dir || !*dir)
		dir = DEFAULT_STATE_DIRECTORY;
	/* several StateDirectory= entries come colon-separated */
	n = strcspn(dir, ":");
	if (asprintf(&p, "%.*s/" LEDGER_FILE, (int)n, dir) < 0)
		return -ENOMEM;
	*ret = p;
	return 0;
}

int ledger_schema_version(void)
{
	return LEDGER_SCHEMA_VERSION;
}

int ledger_file_version(struct ledger *l)
{
	return l->file_version;
}

bool ledger_in_transaction(const struct ledger *l)
{
	return l->in_transaction;
}

const char *ledger_strerror(int error)
{
	switch (error) {
	case -EMEDIUMTYPE:
		return "not a vasd ledger";
	case -EUCLEAN:
		return "the ledger is damaged";
	case -EPROTONOSUPPORT:
		return "the ledger's schema version is not this vasd's";
	case -ENOENT:
		return "no ledger there";
	default:
		return strerror(error < 0 ? -error : error);
	}
}

/*
 * Whether the file is a ledger this build may use, from its header and
 * schema alone: reads, never writes. *ret_new: an empty database that
 * becomes a ledger (a new file, or a creation that did not commit).
 */
static int check_header(struct ledger *l, char **ret_error, int64_t *ret_version,
			bool *ret_new)
{
	int64_t application_id, version, n_objects;
	int r;

	r = query_int(l, "PRAGMA application_id", &application_id);
	if (r == -EMEDIUMTYPE)
		return fail(ret_error, r, "%s: not an SQLite database", l->path);
	if (r < 0)
		return fail_sqlite(ret_error, l->db, sqlite3_errcode(l->db),
				   l->path);
	r = query_int(l, "PRAGMA user_version", &version);
	if (r >= 0)
		r = query_int(l, "SELECT count(*) FROM sqlite_schema", &n_objects);
	if (r < 0)
		return fail_sqlite(ret_error, l->db, sqlite3_errcode(l->db),
				   l->path);

	if (application_id == 0 && version == 0 && n_objects == 0) {
		if (l->mode == LEDGER_READ_ONLY)
			return fail(ret_error, -EMEDIUMTYPE,
				    "%s: an empty database, not yet a vasd ledger",
				    l->path);
		*ret_version = 0;
		*ret_new = true;
		return 0;
	}
	if (application_id != LEDGER_APPLICATION_ID)
		return fail(ret_error, -EMEDIUMTYPE,
			    "%s: application_id 0x%08" PRIx32 " is not a vasd ledger's (0x%08x)",
			    l->path, (uint32_t)application_id,
			    LEDGER_APPLICATION_ID);
	if (version > LEDGER_SCHEMA_VERSION)
		return fail(ret_error, -EPROTONOSUPPORT,
			    "%s: schema version %" PRId64 " is newer than this vasd's (%d)",
			    l->path, version, LEDGER_SCHEMA_VERSION);
	if (version < LEDGER_SCHEMA_VERSION && l->mode == LEDGER_READ_ONLY)
		return fail(ret_error, -EPROTONOSUPPORT,
			    "%s: schema version %" PRId64 " is older than this vasd's (%d); vasd migrates it when it opens it",
			    l->path, version, LEDGER_SCHEMA_VERSION);
	*ret_version = version;
	*ret_new = false;
	return 0;
}

/*
 * integrity_check for the writer, which opens once; quick_check for the
 * readers (vasctl), which skips only the cross-check of indexes against
 * their tables: a quarter of the time (0.4 s against 1.7 s at 1M events).
 */
static int check_integrity(struct ledger *l, char **ret_error)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	const char *report;
	int rc;

	/* one line is enough to refuse the file and to say why */
	rc = sqlite3_prepare_v2(l->db, l->mode == LEDGER_READ_WRITE ?
				"PRAGMA integrity_check(1)" :
				"PRAGMA quick_check(1)", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return fail_sqlite(ret_error, l->db, rc, l->path);
	report = (const char *)sqlite3_column_text(st, 0);
	if (report && strcmp(report, "ok") == 0)
		return 0;
	if (!report)
		report = "(no report)";
	/* "*** in database main ***\nPage 72: ...": the line after the banner */
	if (strncmp(report, "***", 3) == 0 && strchr(report, '\n'))
		report = strchr(report, '\n') + 1;
	return fail(ret_error, -EUCLEAN, "%s: %s: %.*s", l->path,
		    l->mode == LEDGER_READ_WRITE ? "integrity_check" : "quick_check",
		    (int)strcspn(report, "\n"), report);
}

/* Run the steps from version on, and stamp the file, in one transaction. */
static int migrate(struct ledger *l, int64_t version, bool is_new,
		   char **ret_error)
{
	char sql[64];
	int r;

	r = exec(l, "BEGIN IMMEDIATE");
	if (r < 0)
		return fail_sqlite(ret_error, l->db, sqlite3_errcode(l->db),
				   l->path);
	if (is_new) {
		snprintf(sql, sizeof(sql), "PRAGMA application_id = %d",
			 LEDGER_APPLICATION_ID);
		r = exec(l, sql);
	}
	for (int64_t v = version; r >= 0 && v < LEDGER_SCHEMA_VERSION; v++)
		r = exec(l, ledger_schema_steps[v]);
	if (r >= 0) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
			 LEDGER_SCHEMA_VERSION);
		r = exec(l, sql);
	}
	if (r >= 0)
		r = exec(l, "COMMIT");
	if (r < 0) {
		r = fail_sqlite(ret_error, l->db, sqlite3_errcode(l->db),
				l->path);
		if (!sqlite3_get_autocommit(l->db))
			exec(l, "ROLLBACK");
		return r;
	}
	return 0;
}

static int set_wal(struct ledger *l, char **ret_error)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	const char *mode;
	int rc;

	rc = sqlite3_prepare_v2(l->db, "PRAGMA journal_mode = WAL", -1, &st,
				NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return fail_sqlite(ret_error, l->db, rc, l->path);
	/* the pragma answers with the mode it could set */
	mode = (const char *)sqlite3_column_text(st, 0);
	if (!mode || strcmp(mode, "wal") != 0)
		return fail(ret_error, -EIO, "%s: cannot use WAL (journal_mode %s)",
			    l->path, mode ? mode : "unknown");
	return 0;
}

int ledger_open(const char *path, enum ledger_mode mode, struct ledger **ret,
		char **ret_error)
{
	_cleanup_(ledger_freep) struct ledger *l = NULL;
	int64_t version = 0;
	bool is_new = false;
	int flags, rc, r;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->mode = mode;
	l->path = strdup(path);
	if (!l->path)
		return -ENOMEM;

	if (mode == LEDGER_READ_ONLY) {
		struct stat st;

		/* SQLite would say only "unable to open" */
		if (stat(path, &st) < 0)
			return fail(ret_error, -errno, "%s: %s", path,
				    strerror(errno));
		flags = SQLITE_OPEN_READONLY;
	} else {
		flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	}
	rc = sqlite3_open_v2(path, &l->db, flags | SQLITE_OPEN_NOMUTEX |
			     SQLITE_OPEN_EXRESCODE, NULL);
	if (rc != SQLITE_OK)
		return fail_sqlite(ret_error, l->db, rc, path);
	sqlite3_busy_timeout(l->db, BUSY_TIMEOUT_MS);
	sqlite3_db_config(l->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);

	r = check_header(l, ret_error, &version, &is_new);
	if (r < 0)
		return r;
	r = check_integrity(l, ret_error);
	if (r < 0)
		return r;

	if (mode == LEDGER_READ_WRITE) {
		r = set_wal(l, ret_error);
		if (r < 0)
			return r;
		r = exec(l, "PRAGMA synchronous = FULL");
		if (r < 0)
			return fail_sqlite(ret_error, l->db,
					   sqlite3_errcode(l->db), path);
		if (version < LEDGER_SCHEMA_VERSION) {
			r = migrate(l, version, is_new, ret_error);
			if (r < 0)
				return r;
		}
		sqlite3_db_config(l->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0,
				  NULL);
	}
	l->file_version = LEDGER_SCHEMA_VERSION;

	*ret = l;
	l = NULL;
	return 0;
}

struct ledger *ledger_free(struct ledger *l)
{
	if (!l)
		return NULL;
	if (l->in_transaction)
		ledger_rollback(l);
	for (size_t i = 0; i < ELEMENTSOF(l->stmts); i++)
		sqlite3_finalize(l->stmts[i]);
	sqlite3_close(l->db);
	free(l->path);
	free(l);
	return NULL;
}

int ledger_begin(struct ledger *l)
{
	int r;

	if (l->mode != LEDGER_READ_WRITE)
		return -EROFS;
	if (l->in_transaction)
		return -EBUSY;
	r = stmt_run_plain(l, STMT_BEGIN);
	if (r < 0)
		return r;
	l->in_transaction = true;
	l->cursor_pending = false;
	return 0;
}

void ledger_rollback(struct ledger *l)
{
	/* SQLite may have rolled back already, after an I/O error */
	if (!sqlite3_get_autocommit(l->db))
		stmt_run_plain(l, STMT_ROLLBACK);
	l->in_transaction = false;
	l->cursor_pending = false;
}

static int insert_event(struct ledger *l, const struct vasd_event *ev,
			const char *kind)
{
	unsigned int carries = kind_carries[ev->kind];
	sqlite3_stmt *st = NULL;
	int r;

	r = stmt_get(l, STMT_INSERT_EVENT, &st);
	if (r < 0)
		return r;

	sqlite3_bind_text(st, COL_KIND, kind, -1, SQLITE_STATIC);
	/* kernel kinds: NULL would escape the uniqueness of (generation, seq) */
	if (carries & LEDGER_CARRIES_SEQ) {
		bind_u64(st, COL_GENERATION, ev->generation);
		bind_u64(st, COL_SEQ, ev->seq);
	} else {
		bind_u64_or_null(st, COL_GENERATION, ev->generation);
		bind_u64_or_null(st, COL_SEQ, ev->seq);
	}
	bind_u64_or_null(st, COL_LOST_FROM, ev->lost_from);
	bind_u64(st, COL_TIMESTAMP, ev->timestamp);
	bind_u64(st, COL_RECORDED, ev->recorded);
	if (carries & LEDGER_CARRIES_REASON) {
		const char *reason = vasd_resync_reason_to_string((int)ev->reason);

		if (!reason)
			return -EINVAL;
		sqlite3_bind_text(st, COL_REASON, reason, -1, SQLITE_STATIC);
	} else {
		sqlite3_bind_null(st, COL_REASON);
	}
	if (carries & LEDGER_CARRIES_WINDOW)
		bind_window(st, COL_WINDOW_ID, &ev->window);
	else
		bind_nulls(st, COL_WINDOW_ID, COL_CAPS_TYPE - COL_WINDOW_ID);
	if (carries & LEDGER_CARRIES_CAPS)
		bind_caps(st, COL_CAPS_TYPE, &ev->caps);
	else
		bind_nulls(st, COL_CAPS_TYPE,
			   COL_MIGRATION_STREAM_ID - COL_CAPS_TYPE);
	if (carries & LEDGER_CARRIES_MIGRATION)
		bind_migration(st, COL_MIGRATION_STREAM_ID, &ev->migration);
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
	return stmt_run(l, st);
}

static int mirror_effect(struct ledger *l, const struct vasd_effect *effect)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (effect->what & VASD_EFFECT_WINDOW_DEL) {
		r = stmt_get(l, STMT_WINDOW_DEL, &st);
		if (r < 0)
			return r;
		sqlite3_bind_int64(st, 1, effect->window.id);
		r = stmt_run(l, st);
		if (r < 0)
			return r;
	}
	if (effect->what & VASD_EFFECT_WINDOW_PUT) {
		r = stmt_get(l, STMT_WINDOW_PUT, &st);
		if (r < 0)
			return r;
		bind_window(st, 1, &effect->window);
		r = stmt_run(l, st);
		if (r < 0)
			return r;
	}
	if (effect->what & VASD_EFFECT_CAPS) {
		r = stmt_get(l, STMT_CAPS_PUT, &st);
		if (r < 0)
			return r;
		bind_caps(st, 1, &effect->caps);
		r = stmt_run(l, st);
		if (r < 0)
			return r;
	}
	if (effect->what & VASD_EFFECT_MIGRATION) {
		r = stmt_get(l, STMT_MIGRATION_PUT, &st);
		if (r < 0)
			return r;
		bind_migration(st, 1, &effect->migration);
		r = stmt_run(l, st);
		if (r < 0)
			return r;
	}
	if (effect->what & VASD_EFFECT_CURSOR) {
		l->cursor_pending = true;
		l->cursor_generation = effect->generation;
		l->cursor_seq = effect->seq;
		l->cursor_synced = effect->synced;
	}
	return 0;
}

int ledger_append(struct ledger *l, struct vasd_event *ev,
		  const struct vasd_effect *effect)
{
	const char *kind = vasd_event_kind_to_string(ev->kind);
	int64_t position = 0;
	int r;

	if (!l->in_transaction)
		return -EINVAL;
	r = kind ? insert_event(l, ev, kind) : -EINVAL;
	if (r >= 0) {
		/* before the projection's inserts, which set it too */
		position = sqlite3_last_insert_rowid(l->db);
		r = mirror_effect(l, effect);
	}
	if (r < 0) {
		ledger_rollback(l);
		return r;
	}
	ev->position = position;
	return 0;
}

int ledger_commit(struct ledger *l)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (!l->in_transaction)
		return -EINVAL;
	if (l->cursor_pending) {
		r = stmt_get(l, STMT_CURSOR_PUT, &st);
		if (r >= 0) {
			bind_u64(st, 1, l->cursor_generation);
			bind_u64(st, 2, l->cursor_seq);
			sqlite3_bind_int(st, 3, l->cursor_synced);
			r = stmt_run(l, st);
		}
	}
	if (r >= 0)
		r = stmt_run_plain(l, STMT_COMMIT);
	if (r < 0) {
		ledger_rollback(l);
		return r;
	}
	l->in_transaction = false;
	l->cursor_pending = false;
	return 0;
}

/*
 * Several queries that must see one snapshot: inside the writer's open
 * transaction they do; otherwise they get a read transaction of their own.
 */
static int read_begin(struct ledger *l, bool *ret_started)
{
	int r;

	*ret_started = false;
	if (!sqlite3_get_autocommit(l->db))
		return 0;
	r = exec(l, "BEGIN");
	if (r < 0)
		return r;
	*ret_started = true;
	return 0;
}

static void read_end(struct ledger *l, bool started)
{
	/* nothing was written: rolling back only ends the snapshot */
	if (started)
		exec(l, "ROLLBACK");
}

int ledger_read_begin(struct ledger *l)
{
	if (!sqlite3_get_autocommit(l->db))
		return -EBUSY;
	return exec(l, "BEGIN");
}

void ledger_read_end(struct ledger *l)
{
	if (!l->in_transaction && !sqlite3_get_autocommit(l->db))
		exec(l, "ROLLBACK");
}

int ledger_last_migration_open(struct ledger *l, int64_t *ret)
{
	int64_t position;
	int r;

	/* one lookup in the partial index events_migration_open */
	r = query_int(l, "SELECT coalesce(max(position), 0) FROM events "
		      "WHERE kind = 'migration-open'", &position);
	if (r < 0)
		return r;
	if (!position)
		return -ENODATA;
	*ret = position;
	return 0;
}

int ledger_find_migration_open(struct ledger *l, uint64_t migration,
			       int64_t *ret)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int rc;

	/* kind = 'migration-open' lets SQLite walk the partial index alone */
	rc = sqlite3_prepare_v2(l->db,
				"SELECT position FROM events "
				"WHERE kind = 'migration-open' AND coord_migration = ?",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return errno_from_sqlite(l->db, rc);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)migration);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? -ENODATA : errno_from_sqlite(l->db, rc);
	*ret = sqlite3_column_int64(st, 0);
	return 0;
}

int64_t ledger_last_position(struct ledger *l)
{
	int64_t position;

	if (query_int(l, "SELECT max(position) FROM events", &position) < 0)
		return 0;
	return position;
}

static int event_from_row(sqlite3_stmt *st, struct vasd_event *ev)
{
	const char *text;
	bool ok = true;

	memset(ev, 0, sizeof(*ev));
	ev->position = sqlite3_column_int64(st, COL_POSITION);
	text = (const char *)sqlite3_column_text(st, COL_KIND);
	ev->kind = text ? vasd_event_kind_from_string(text) : -EINVAL;
	if (ev->kind < 0)
		return -EBADMSG;
	ev->generation = column_u64(st, COL_GENERATION);
	ev->seq = column_u64(st, COL_SEQ);
	ev->lost_from = column_u64(st, COL_LOST_FROM);
	ev->timestamp = column_u64(st, COL_TIMESTAMP);
	ev->recorded = column_u64(st, COL_RECORDED);
	text = (const char *)sqlite3_column_text(st, COL_REASON);
	if (text) {
		int reason = vasd_resync_reason_from_string(text);

		if (reason < 0)
			return -EBADMSG;
		ev->reason = (uint32_t)reason;
	}
	/* NULL columns read as 0, which is what a kind without them holds */
	if (sqlite3_column_type(st, COL_WINDOW_ID) != SQLITE_NULL)
		ok = column_window(st, COL_WINDOW_ID, &ev->window);
	if (ok && sqlite3_column_type(st, COL_CAPS_TYPE) != SQLITE_NULL)
		ok = column_caps(st, COL_CAPS_TYPE, &ev->caps);
	if (ok && sqlite3_column_type(st, COL_MIGRATION_STREAM_ID) != SQLITE_NULL)
		ok = column_migration(st, COL_MIGRATION_STREAM_ID,
				      &ev->migration);
	if (ok && sqlite3_column_type(st, COL_COORD_MIGRATION) != SQLITE_NULL)
		ok = column_coord(st, COL_COORD_MIGRATION, ev->kind,
				  &ev->coord);
	return ok ? 0 : -EBADMSG;
}

/* Each event with from <= position < to, in order. */
static int foreach_event(struct ledger *l, int64_t from, int64_t to,
			 ledger_event_fn fn, void *userdata)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	struct vasd_event ev;
	int rc, r;

	/* not cached: fn may read the ledger too */
	rc = sqlite3_prepare_v2(l->db,
				"SELECT position, " EVENT_COLUMNS " FROM events "
				"WHERE position >= ?1 AND position < ?2 "
				"ORDER BY position",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return errno_from_sqlite(l->db, rc);
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = event_from_row(st, &ev);
		if (r < 0)
			return r;
		r = fn(&ev, userdata);
		if (r < 0)
			return r;
	}
	if (rc != SQLITE_DONE)
		return errno_from_sqlite(l->db, rc);
	return 0;
}

int ledger_foreach_event(struct ledger *l, int64_t from, ledger_event_fn fn,
			 void *userdata)
{
	return foreach_event(l, from, INT64_MAX, fn, userdata);
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
		return errno_from_sqlite(l->db, rc);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = fn(st, s);
		if (r < 0)
			return r;
	}
	if (rc != SQLITE_DONE)
		return errno_from_sqlite(l->db, rc);
	return 0;
}

static int load_window(sqlite3_stmt *st, struct vasd_state *s)
{
	struct vas_window w;
	int r;

	if (!column_window(st, 0, &w))
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

	if (!column_caps(st, 0, &c) || c.type >= VASD_N_TYPES)
		return -EBADMSG;
	vasd_state_put_caps(s, &c);
	return 0;
}

static int load_migration(sqlite3_stmt *st, struct vasd_state *s)
{
	struct vas_migration m;

	if (!column_migration(st, 0, &m))
		return -EBADMSG;
	vasd_state_put_migration(s, &m);
	return 0;
}

static int load_cursor(sqlite3_stmt *st, struct vasd_state *s)
{
	sqlite3_int64 synced = sqlite3_column_int64(st, 2);

	if (synced != 0 && synced != 1)
		return -EBADMSG;
	vasd_state_put_cursor(s, column_u64(st, 0), column_u64(st, 1), synced);
	return 0;
}

/* Where a projection is stored: the live one, or the checkpoint's. */
struct projection_sql {
	const char *windows;
	const char *caps;
	const char *migration;
	const char *cursor;
};

static const struct projection_sql projection_tables = {
	.windows = "SELECT id, tgid, pid, comm, cop, type, state, reason, "
		   "opened_at FROM windows",
	.caps = "SELECT type, total, used FROM caps",
	.migration = "SELECT stream_id, phase, token FROM migration",
	.cursor = "SELECT generation, seq, synced FROM cursor",
};

static const struct projection_sql checkpoint_tables = {
	.windows = "SELECT id, tgid, pid, comm, cop, type, state, reason, "
		   "opened_at FROM checkpoint_windows",
	/* load_caps() ignores used */
	.caps = "SELECT type, total, 0 FROM checkpoint_caps",
	.migration = "SELECT stream_id, phase, token FROM checkpoint_migration",
	.cursor = "SELECT generation, seq, synced FROM checkpoint",
};

static int load_projection(struct ledger *l, const struct projection_sql *t,
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

static int load_state(struct ledger *l, struct vasd_state *s)
{
	return load_projection(l, &projection_tables, s);
}

int ledger_load_state(struct ledger *l, struct vasd_state *s)
{
	bool started;
	int r;

	r = read_begin(l, &started);
	if (r < 0)
		return r;
	r = load_state(l, s);
	read_end(l, started);
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
		return errno_from_sqlite(l->db, rc);
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
		return errno_from_sqlite(l->db, rc);
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
		return errno_from_sqlite(l->db, rc);
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE)
		return -EUCLEAN;
	if (rc != SQLITE_ROW)
		return errno_from_sqlite(l->db, rc);
	st->generation = column_u64(q, 0);
	st->seq = column_u64(q, 1);
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

int ledger_stats(struct ledger *l, struct ledger_stats *ret)
{
	struct ledger_stats st = { .schema_version = l->file_version };
	bool started;
	int r;

	r = read_begin(l, &started);
	if (r < 0)
		return r;
	r = stats_by_kind(l, &st);
	if (r >= 0)
		r = query_int(l, "SELECT coalesce(min(position), 0) FROM events",
			      &st.first_position);
	if (r >= 0)
		r = query_int(l, "SELECT coalesce(max(position), 0) FROM events",
			      &st.last_position);
	if (r >= 0)
		r = query_int(l, "SELECT count(*) FROM windows", &st.n_windows);
	if (r >= 0)
		r = stats_cursor(l, &st);
	read_end(l, started);
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

static const char *const apply_result_names[] = {
	[VASD_APPLY_APPLIED] = "applied",
	[VASD_APPLY_STALE] = "stale",
	[VASD_APPLY_GAP] = "gap",
	[VASD_APPLY_GENERATION] = "generation",
	[VASD_APPLY_INCONSISTENT] = "inconsistent",
};

struct replay {
	struct vasd_state *state;
	int64_t n;
	int64_t last_position;
	uint64_t last_migration;	/* the highest coord.migration seen */
	char *error;
};

static int replay_one(const struct vasd_event *ev, void *userdata)
{
	struct replay *rp = userdata;
	const char *kind = vasd_event_kind_to_string(ev->kind);
	int r;

	rp->last_position = ev->position;
	if (ev->coord.migration > rp->last_migration)
		rp->last_migration = ev->coord.migration;
	r = vasd_apply(rp->state, ev, NULL);
	if (r == VASD_APPLY_APPLIED) {
		rp->n++;
		return 0;
	}
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return fail(&rp->error, -EUCLEAN,
			    "event %" PRId64 " (%s) is malformed",
			    ev->position, kind);
	return fail(&rp->error, -EUCLEAN,
		    "event %" PRId64 " (%s) does not apply: %s", ev->position,
		    kind, r < (int)ELEMENTSOF(apply_result_names) ?
		    apply_result_names[r] : "unknown result");
}

/*
 * The credits rows' used, which load_state() does not take (the state
 * counts it from the windows), against the replay's.
 */
static int check_caps_used(struct ledger *l, const struct vasd_state *replay,
			   char **ret_error)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(l->db, "SELECT type, total, used FROM caps ORDER BY type",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return errno_from_sqlite(l->db, rc);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const struct vas_caps *c;
		struct vas_caps stored;
		const char *type;

		if (!column_caps(st, 0, &stored))
			return -EBADMSG;
		c = vasd_state_caps(replay, stored.type);
		if (!c || c->used == stored.used)
			continue;
		type = vas_win_type_to_string(stored.type);
		return fail(ret_error, -EUCLEAN,
			    "credits %s: stored used %" PRIu32 ", replay %" PRIu32,
			    type ? type : "?", stored.used, c->used);
	}
	if (rc != SQLITE_DONE)
		return errno_from_sqlite(l->db, rc);
	return 0;
}

static int read_checkpoint(struct ledger *l, struct ledger_checkpoint *ret)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(l->db, "SELECT position, created, events_removed, "
				"last_migration FROM checkpoint", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return errno_from_sqlite(l->db, rc);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return -ENODATA;
	if (rc != SQLITE_ROW)
		return errno_from_sqlite(l->db, rc);
	*ret = (struct ledger_checkpoint) {
		.position = sqlite3_column_int64(st, 0),
		.created = column_u64(st, 1),
		.events_removed = sqlite3_column_int64(st, 2),
		.last_migration = column_u64(st, 3),
	};
	return 0;
}

int ledger_get_checkpoint(struct ledger *l, struct ledger_checkpoint *ret)
{
	return read_checkpoint(l, ret);
}

/*
 * Where a replay of the ledger starts: the checkpoint's projection at its
 * position, or an empty state at position 0 (*ret_cp zeroed) when the
 * ledger was never compacted.
 */
static int replay_start(struct ledger *l, struct vasd_state *s,
			struct ledger_checkpoint *ret_cp, char **ret_error)
{
	struct ledger_checkpoint cp;
	int64_t n;
	int r;

	r = read_checkpoint(l, &cp);
	if (r == -ENODATA) {
		*ret_cp = (struct ledger_checkpoint) { .position = 0 };
		return 0;
	}
	if (r < 0)
		return r;
	r = load_projection(l, &checkpoint_tables, s);
	if (r == -EBADMSG)
		return fail(ret_error, -EUCLEAN,
			    "the checkpoint at position %" PRId64 " cannot be loaded: a row holds values the state refuses",
			    cp.position);
	if (r < 0)
		return r;
	/* they would be replayed on top of what they made */
	r = query_int(l, "SELECT count(*) FROM events WHERE position < "
		      "(SELECT position FROM checkpoint)", &n);
	if (r < 0)
		return r;
	if (n)
		return fail(ret_error, -EUCLEAN,
			    "%" PRId64 " events precede the checkpoint at position %" PRId64,
			    n, cp.position);
	*ret_cp = cp;
	return 0;
}

int ledger_verify(struct ledger *l, int64_t *ret_replayed,
		  struct ledger_checkpoint *ret_checkpoint, char **ret_error)
{
	_cleanup_(vasd_state_freep) struct vasd_state *stored = NULL;
	_cleanup_(vasd_state_freep) struct vasd_state *replayed = NULL;
	_cleanup_(freep) char *error = NULL;
	struct ledger_checkpoint cp = { .position = 0 };
	struct replay rp = { .n = 0 };
	bool started;
	int r;

	r = vasd_state_new(&stored);
	if (r < 0)
		return r;
	r = vasd_state_new(&replayed);
	if (r < 0)
		return r;
	rp.state = replayed;

	r = read_begin(l, &started);
	if (r < 0)
		return r;
	r = replay_start(l, replayed, &cp, &error);
	if (r >= 0) {
		rp.last_position = cp.position ? cp.position - 1 : 0;
		r = ledger_foreach_event(l, cp.position, replay_one, &rp);
		if (rp.error)
			error = rp.error;
		if (r == -EBADMSG)
			r = fail(&error, -EUCLEAN,
				 "the event after position %" PRId64 " cannot be read: its kind, reason or values are unknown to this vasd",
				 rp.last_position);
	}
	if (r >= 0) {
		r = load_state(l, stored);
		if (r == -EBADMSG)
			r = fail(&error, -EUCLEAN,
				 "the stored projection cannot be loaded: a row holds values the state refuses");
	}
	if (r >= 0) {
		r = ledger_diff(stored, replayed, &error);
		if (r > 0)
			r = -EUCLEAN;
	}
	if (r >= 0)
		r = check_caps_used(l, replayed, &error);
	if (r == -EUCLEAN && !error)
		r = fail(&error, r, "%s", sqlite3_errmsg(l->db));
	read_end(l, started);
	if (r < 0 && r != -EUCLEAN)
		return r;

	if (ret_replayed)
		*ret_replayed = rp.n;
	if (ret_checkpoint)
		*ret_checkpoint = cp;
	if (ret_error) {
		*ret_error = error;
		error = NULL;
	}
	return r;
}

/* The state s as the checkpoint at position, replacing the one there was. */
static int write_checkpoint(struct ledger *l, const struct vasd_state *s,
			    int64_t position, uint64_t created,
			    int64_t events_removed, uint64_t last_migration)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *window = NULL;
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *row = NULL;
	const struct vas_migration *m = vasd_state_migration(s);
	const struct vas_window *w;
	size_t cursor = 0;
	int rc, r;

	r = exec(l, "DELETE FROM checkpoint_windows;"
		 "DELETE FROM checkpoint_caps;"
		 "DELETE FROM checkpoint_migration");
	if (r < 0)
		return r;

	rc = sqlite3_prepare_v2(l->db, "INSERT INTO checkpoint_windows VALUES "
				"(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", -1,
				&window, NULL);
	if (rc != SQLITE_OK)
		return errno_from_sqlite(l->db, rc);
	while ((w = vasd_state_next_window(s, &cursor))) {
		bind_window(window, 1, w);
		r = stmt_run(l, window);
		if (r < 0)
			return r;
	}

	rc = sqlite3_prepare_v2(l->db, "INSERT INTO checkpoint_caps VALUES (?1, ?2)",
				-1, &row, NULL);
	if (rc != SQLITE_OK)
		return errno_from_sqlite(l->db, rc);
	for (uint32_t t = 0; t < VASD_N_TYPES; t++) {
		const struct vas_caps *c = vasd_state_caps(s, t);

		if (!c)
			continue;
		sqlite3_bind_int64(row, 1, c->type);
		sqlite3_bind_int64(row, 2, c->total);
		r = stmt_run(l, row);
		if (r < 0)
			return r;
	}
	sqlite3_finalize(row);
	row = NULL;

	if (m) {
		rc = sqlite3_prepare_v2(l->db, "INSERT INTO checkpoint_migration "
					"VALUES (1, ?1, ?2, ?3)", -1, &row, NULL);
		if (rc != SQLITE_OK)
			return errno_from_sqlite(l->db, rc);
		bind_migration(row, 1, m);
		r = stmt_run(l, row);
		if (r < 0)
			return r;
		sqlite3_finalize(row);
		row = NULL;
	}

	rc = sqlite3_prepare_v2(l->db, "INSERT OR REPLACE INTO checkpoint (one, "
				"position, created, events_removed, generation, "
				"seq, synced, last_migration) VALUES (1, ?1, ?2, "
				"?3, ?4, ?5, ?6, ?7)", -1, &row, NULL);
	if (rc != SQLITE_OK)
		return errno_from_sqlite(l->db, rc);
	sqlite3_bind_int64(row, 1, position);
	bind_u64(row, 2, created);
	sqlite3_bind_int64(row, 3, events_removed);
	bind_u64(row, 4, vasd_state_generation(s));
	bind_u64(row, 5, vasd_state_seq(s));
	sqlite3_bind_int(row, 6, vasd_state_synced(s));
	bind_u64(row, 7, last_migration);
	return stmt_run(l, row);
}

/* ledger_compact()'s work, in its transaction. */
static int compact(struct ledger *l, int64_t keep_from, int64_t max_positions,
		   uint64_t now, int64_t *ret_first, int64_t *ret_removed)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *del = NULL;
	_cleanup_(vasd_state_freep) struct vasd_state *s = NULL;
	struct ledger_checkpoint cp;
	struct replay rp = { .n = 0 };
	int64_t first, last, removed;
	int more = 0, rc, r;

	r = vasd_state_new(&s);
	if (r < 0)
		return r;
	r = replay_start(l, s, &cp, NULL);
	if (r < 0)
		return r;
	r = query_int(l, "SELECT coalesce(min(position), 0) FROM events", &first);
	if (r >= 0)
		r = query_int(l, "SELECT coalesce(max(position), 0) FROM events", &last);
	if (r < 0)
		return r;
	/* positions start at 1, even before the first event */
	if (!first)
		first = 1;
	/* the newest event stays: LastPosition names it */
	if (keep_from > last)
		keep_from = last;
	if (keep_from <= first) {
		*ret_first = first;
		*ret_removed = 0;
		return 0;
	}
	if (max_positions > 0 && keep_from - first > max_positions) {
		keep_from = first + max_positions;
		more = 1;
	}

	/* the state the removed events leave; they must replay */
	rp.state = s;
	r = foreach_event(l, first, keep_from, replay_one, &rp);
	free(rp.error);
	if (r == -EBADMSG)
		r = -EUCLEAN;
	if (r < 0)
		return r;

	rc = sqlite3_prepare_v2(l->db, "DELETE FROM events WHERE position < ?1",
				-1, &del, NULL);
	if (rc != SQLITE_OK)
		return errno_from_sqlite(l->db, rc);
	sqlite3_bind_int64(del, 1, keep_from);
	r = stmt_run(l, del);
	if (r < 0)
		return r;
	removed = sqlite3_changes64(l->db);
	/* the numbers of the migrations removed are never given again */
	r = write_checkpoint(l, s, keep_from, now, cp.events_removed + removed,
			     rp.last_migration > cp.last_migration ?
			     rp.last_migration : cp.last_migration);
	if (r < 0)
		return r;
	*ret_first = keep_from;
	*ret_removed = removed;
	return more;
}

int ledger_compact(struct ledger *l, int64_t keep_from, int64_t max_positions,
		   uint64_t now, int64_t *ret_first, int64_t *ret_removed)
{
	int64_t first = 0, removed = 0;
	int r;

	if (l->mode != LEDGER_READ_WRITE)
		return -EROFS;
	if (l->in_transaction)
		return -EBUSY;
	if (keep_from < 0 || max_positions < 0)
		return -EINVAL;
	r = stmt_run_plain(l, STMT_BEGIN);
	if (r < 0)
		return r;
	r = compact(l, keep_from, max_positions, now, &first, &removed);
	if (r >= 0) {
		int more = r;

		r = stmt_run_plain(l, STMT_COMMIT);
		if (r >= 0)
			r = more;
	}
	if (r < 0) {
		/* SQLite may have rolled back already, after an I/O error */
		if (!sqlite3_get_autocommit(l->db))
			stmt_run_plain(l, STMT_ROLLBACK);
		return r;
	}
	if (ret_first)
		*ret_first = first;
	if (ret_removed)
		*ret_removed = removed;
	return r;
}
