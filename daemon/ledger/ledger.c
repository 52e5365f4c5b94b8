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
 * The writer's statements are prepared once and kept. The readers are in
 * read.c, replay (verify, compact) in replay.c, and the mapping of an
 * event to its row in row.c (ledger/ledger-internal.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "ledger/ledger-internal.h"
#include "ledger/schema.h"
#include "util/alloc.h"

/* Readers wait this long for a writer's brief exclusive moments (WAL recovery). */
#define BUSY_TIMEOUT_MS 5000

#define DEFAULT_STATE_DIRECTORY "/var/lib/vasd"
#define LEDGER_FILE "ledger.db"

static const char *const stmt_sql[_STMT_MAX] = {
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	/* STMT_INSERT_EVENT: l->insert_event_sql */
	[STMT_WINDOW_PUT] =
		"INSERT OR REPLACE INTO windows (id, tgid, pid, comm, cop, "
		"type, state, reason, opened_at, uid) VALUES (?1, ?2, ?3, ?4, "
		"?5, ?6, ?7, ?8, ?9, ?10)",
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

int ledger_errno_from_sqlite(sqlite3 *db, int rc)
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
int ledger_fail(char **ret_error, int r, const char *fmt, ...)
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
int ledger_fail_sqlite(char **ret_error, sqlite3 *db, int rc, const char *what)
{
	return ledger_fail(ret_error, ledger_errno_from_sqlite(db, rc), "%s: %s", what,
		    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

int ledger_exec(struct ledger *l, const char *sql)
{
	return ledger_errno_from_sqlite(l->db,
				 sqlite3_exec(l->db, sql, NULL, NULL, NULL));
}

/* The first column of the first row of sql, as an integer. */
int ledger_query_int(struct ledger *l, const char *sql, int64_t *ret)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(l->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return ledger_errno_from_sqlite(l->db, rc);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? -ENODATA : ledger_errno_from_sqlite(l->db, rc);
	*ret = sqlite3_column_int64(st, 0);
	return 0;
}

int ledger_stmt_get(struct ledger *l, int id, sqlite3_stmt **ret)
{
	int rc;

	if (!l->stmts[id]) {
		rc = sqlite3_prepare_v3(l->db, id == STMT_INSERT_EVENT ?
					l->insert_event_sql : stmt_sql[id], -1,
					SQLITE_PREPARE_PERSISTENT,
					&l->stmts[id], NULL);
		if (rc != SQLITE_OK)
			return ledger_errno_from_sqlite(l->db, rc);
	}
	*ret = l->stmts[id];
	return 0;
}

/* Step a cached statement with its parameters bound, to its end. */
int ledger_stmt_run(struct ledger *l, sqlite3_stmt *st)
{
	int rc;

	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return ledger_errno_from_sqlite(l->db, rc);
	return 0;
}

int ledger_stmt_run_plain(struct ledger *l, int id)
{
	sqlite3_stmt *st = NULL;
	int r;

	r = ledger_stmt_get(l, id, &st);
	if (r < 0)
		return r;
	return ledger_stmt_run(l, st);
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
	case -EBUSY:
		return "the ledger is in use";
	case -ELOOP:
	case -EISDIR:
	case -EBADFD:
		return "the ledger's path is not a ledger file";
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

	r = ledger_query_int(l, "PRAGMA application_id", &application_id);
	if (r == -EMEDIUMTYPE)
		return ledger_fail(ret_error, r, "%s: not an SQLite database", l->path);
	if (r < 0)
		return ledger_fail_sqlite(ret_error, l->db, sqlite3_errcode(l->db),
				   l->path);
	r = ledger_query_int(l, "PRAGMA user_version", &version);
	if (r >= 0)
		r = ledger_query_int(l, "SELECT count(*) FROM sqlite_schema", &n_objects);
	if (r < 0)
		return ledger_fail_sqlite(ret_error, l->db, sqlite3_errcode(l->db),
				   l->path);

	if (application_id == 0 && version == 0 && n_objects == 0) {
		if (l->mode == LEDGER_READ_ONLY)
			return ledger_fail(ret_error, -EMEDIUMTYPE,
				    "%s: an empty database, not yet a vasd ledger",
				    l->path);
		*ret_version = 0;
		*ret_new = true;
		return 0;
	}
	if (application_id != LEDGER_APPLICATION_ID)
		return ledger_fail(ret_error, -EMEDIUMTYPE,
			    "%s: application_id 0x%08" PRIx32 " is not a vasd ledger's (0x%08x)",
			    l->path, (uint32_t)application_id,
			    LEDGER_APPLICATION_ID);
	if (version > LEDGER_SCHEMA_VERSION)
		return ledger_fail(ret_error, -EPROTONOSUPPORT,
			    "%s: schema version %" PRId64 " is newer than this vasd's (%d)",
			    l->path, version, LEDGER_SCHEMA_VERSION);
	if (version < LEDGER_SCHEMA_VERSION && l->mode == LEDGER_READ_ONLY)
		return ledger_fail(ret_error, -EPROTONOSUPPORT,
			    "%s: schema version %" PRId64 " is older than this vasd's (%d); vasd migrates it when it opens it",
			    l->path, version, LEDGER_SCHEMA_VERSION);
	*ret_version = version;
	*ret_new = false;
	return 0;
}

/*
 * quick_check, for the writer and the readers alike: every page, record
 * and constraint but the cross-check of indexes against their tables,
 * which cost the writer three quarters of its start (1.7 s against 0.4 s
 * at 1M events; bench/startup). That cross-check is `vasctl ledger
 * verify`'s (it replays and compares the projection too), run when the
 * administrator asks, not at every start.
 */
int ledger_check_pragma(struct ledger *l, const char *pragma, char **ret_error)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	const char *report;
	char sql[48];
	int rc;

	/* one line is enough to refuse the file and to say why */
	snprintf(sql, sizeof(sql), "PRAGMA %s(1)", pragma);
	rc = sqlite3_prepare_v2(l->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return ledger_fail_sqlite(ret_error, l->db, rc, l->path);
	report = (const char *)sqlite3_column_text(st, 0);
	if (report && strcmp(report, "ok") == 0)
		return 0;
	if (!report)
		report = "(no report)";
	/* "*** in database main ***\nPage 72: ...": the line after the banner */
	if (strncmp(report, "***", 3) == 0 && strchr(report, '\n'))
		report = strchr(report, '\n') + 1;
	return ledger_fail(ret_error, -EUCLEAN, "%s: %s: %.*s", l->path, pragma,
		    (int)strcspn(report, "\n"), report);
}

/* Run the steps from version on, and stamp the file, in one transaction. */
static int migrate(struct ledger *l, int64_t version, bool is_new,
		   char **ret_error)
{
	char sql[64];
	int r;

	r = ledger_exec(l, "BEGIN IMMEDIATE");
	if (r < 0)
		return ledger_fail_sqlite(ret_error, l->db, sqlite3_errcode(l->db),
				   l->path);
	if (is_new) {
		snprintf(sql, sizeof(sql), "PRAGMA application_id = %d",
			 LEDGER_APPLICATION_ID);
		r = ledger_exec(l, sql);
	}
	for (int64_t v = version; r >= 0 && v < LEDGER_SCHEMA_VERSION; v++)
		r = ledger_exec(l, ledger_schema_steps[v]);
	if (r >= 0) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
			 LEDGER_SCHEMA_VERSION);
		r = ledger_exec(l, sql);
	}
	if (r >= 0)
		r = ledger_exec(l, "COMMIT");
	if (r < 0) {
		r = ledger_fail_sqlite(ret_error, l->db, sqlite3_errcode(l->db),
				l->path);
		if (!sqlite3_get_autocommit(l->db))
			ledger_exec(l, "ROLLBACK");
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
		return ledger_fail_sqlite(ret_error, l->db, rc, l->path);
	/* the pragma answers with the mode it could set */
	mode = (const char *)sqlite3_column_text(st, 0);
	if (!mode || strcmp(mode, "wal") != 0)
		return ledger_fail(ret_error, -EIO, "%s: cannot use WAL (journal_mode %s)",
			    l->path, mode ? mode : "unknown");
	return 0;
}

/* A file SQLite keeps beside the ledger: absent, or a plain file. */
static int check_sidecar(const char *path, const char *suffix, char **ret_error)
{
	_cleanup_(freep) char *p = NULL;
	struct stat st;

	if (asprintf(&p, "%s%s", path, suffix) < 0)
		return -ENOMEM;
	if (lstat(p, &st) < 0)
		return errno == ENOENT ? 0 :
			ledger_fail(ret_error, -errno, "%s: %s", p, strerror(errno));
	if (S_ISLNK(st.st_mode))
		return ledger_fail(ret_error, -ELOOP,
				   "%s is a symbolic link; SQLite would follow it", p);
	if (!S_ISREG(st.st_mode))
		return ledger_fail(ret_error, -EBADFD,
				   "%s is not a regular file", p);
	return 0;
}

/*
 * Temporary files of creations that did not finish (vasd killed before the
 * rename): each is flock()ed while its creation runs, so one that can be
 * locked is left over. Best effort: a file that stays is only litter.
 */
static void remove_stale_creations(const char *path)
{
	_cleanup_(freep) char *dir_buf = strdup(path), *base_buf = strdup(path);
	_cleanup_(freep) char *prefix = NULL;
	const char *dir, *base;
	DIR *d;
	struct dirent *de;

	if (!dir_buf || !base_buf)
		return;
	dir = dirname(dir_buf);
	base = basename(base_buf);
	if (asprintf(&prefix, "%s.new-", base) < 0) {
		prefix = NULL;
		return;
	}
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t n = strlen(prefix);
		int fd;

		if (strncmp(de->d_name, prefix, n) != 0 ||
		    strlen(de->d_name) != n + 6)	/* XXXXXX */
			continue;
		fd = openat(dirfd(d), de->d_name,
			    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			char journal[NAME_MAX + 16];

			snprintf(journal, sizeof(journal), "%s-journal", de->d_name);
			unlinkat(dirfd(d), journal, 0);
			unlinkat(dirfd(d), de->d_name, 0);
		}
		close(fd);
	}
	closedir(d);
}

/*
 * A new ledger is made whole under a temporary name beside the path (a
 * rollback journal, not WAL: a WAL database's sidecars are named after the
 * file, so it must not move while open) and renamed to the path once it
 * holds its schema. So whatever vasd leaves at the path is a ledger, and a
 * 0-byte file there came from elsewhere (a truncation, a restore gone
 * wrong): hold_file() refuses it. RENAME_NOREPLACE: a file that appeared at
 * the path meanwhile (another vasd's creation) is kept, and this one
 * dropped. Returns 0 when the path now holds a file either way.
 */
static int create_file(const char *path, char **ret_error)
{
	_cleanup_(freep) char *tmp = NULL, *dir_buf = NULL;
	struct ledger t = { .mode = LEDGER_READ_WRITE, .lock_fd = -1 };
	int fd = -1, dfd, rc, r;

	remove_stale_creations(path);
	if (asprintf(&tmp, "%s.new-XXXXXX", path) < 0) {
		tmp = NULL;
		return -ENOMEM;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return ledger_fail(ret_error, -errno, "%s: cannot create %s: %s",
				   path, tmp, strerror(errno));
	/* remove_stale_creations() of another vasd must leave it alone */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = ledger_fail(ret_error, -errno, "%s: %s", tmp, strerror(errno));
		goto fail;
	}
	t.path = tmp;
	rc = sqlite3_open_v2(tmp, &t.db, SQLITE_OPEN_READWRITE |
			     SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX |
			     SQLITE_OPEN_EXRESCODE, NULL);
	if (rc != SQLITE_OK) {
		r = ledger_fail_sqlite(ret_error, t.db, rc, tmp);
		goto fail;
	}
	r = ledger_exec(&t, "PRAGMA synchronous = FULL");
	if (r < 0) {
		r = ledger_fail_sqlite(ret_error, t.db, sqlite3_errcode(t.db), tmp);
		goto fail;
	}
	r = migrate(&t, 0, true, ret_error);
	if (r < 0)
		goto fail;
	rc = sqlite3_close(t.db);
	t.db = NULL;
	if (rc != SQLITE_OK) {
		r = ledger_fail(ret_error, -EIO, "%s: cannot close it: %s", tmp,
				sqlite3_errstr(rc));
		goto fail;
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) < 0 &&
	    errno != EEXIST) {
		r = ledger_fail(ret_error, -errno, "%s: cannot rename %s to it: %s",
				path, tmp, strerror(errno));
		goto fail;
	}
	unlink(tmp);	/* only there when the path was taken meanwhile */
	close(fd);
	/* the rename is durable once the directory is */
	dir_buf = strdup(path);
	if (!dir_buf)
		return -ENOMEM;
	dfd = open(dirname(dir_buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;

fail:
	sqlite3_close(t.db);
	unlink(tmp);
	if (fd >= 0)
		close(fd);
	return r;
}

/*
 * The writer's hold on the ledger file, before SQLite opens it (and so
 * before any write): no symbolic link at the path (its target, maybe
 * dangling, would be written or created), a regular file and not an empty
 * one (create_file() never leaves one), an exclusive flock() held until
 * ledger_free() -- one vasd per ledger. SQLite's own locks are fcntl()
 * locks, which flock() does not meet on Linux; the fd is closed after
 * SQLite's, as closing any fd of the file drops a process's fcntl() locks
 * on it.
 */
static int hold_file(struct ledger *l, char **ret_error)
{
	const int flags = O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	struct stat st;
	int r;

	l->lock_fd = open(l->path, flags);
	if (l->lock_fd < 0 && errno == ENOENT) {
		r = create_file(l->path, ret_error);
		if (r < 0)
			return r;
		l->lock_fd = open(l->path, flags);
	}
	if (l->lock_fd < 0) {
		if (errno == ELOOP)
			return ledger_fail(ret_error, -ELOOP,
					   "%s is a symbolic link; vasd follows none (point --database at the file itself)",
					   l->path);
		if (errno == EISDIR)
			return ledger_fail(ret_error, -EISDIR, "%s is a directory",
					   l->path);
		return ledger_fail(ret_error, -errno, "%s: %s", l->path,
				   strerror(errno));
	}
	if (fstat(l->lock_fd, &st) < 0)
		return ledger_fail(ret_error, -errno, "%s: %s", l->path,
				   strerror(errno));
	if (!S_ISREG(st.st_mode))
		return ledger_fail(ret_error, -EBADFD,
				   "%s is not a regular file (a FIFO, a socket or a device)",
				   l->path);
	if (st.st_size == 0)
		return ledger_fail(ret_error, -EMEDIUMTYPE,
				   "%s is an empty file, not a ledger (vasd never leaves one: it creates a ledger whole under another name); remove it to start a new ledger",
				   l->path);
	if (flock(l->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return ledger_fail(ret_error, -EBUSY,
					   "%s is locked: another vasd writes it (one vasd per ledger)",
					   l->path);
		return ledger_fail(ret_error, -errno, "%s: cannot lock it: %s",
				   l->path, strerror(errno));
	}
	r = check_sidecar(l->path, "-wal", ret_error);
	if (r >= 0)
		r = check_sidecar(l->path, "-shm", ret_error);
	if (r >= 0)
		r = check_sidecar(l->path, "-journal", ret_error);
	return r;
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
	l->lock_fd = -1;
	l->mode = mode;
	l->path = strdup(path);
	if (!l->path)
		return -ENOMEM;
	r = row_event_sql(&l->insert_event_sql, &l->select_events_sql,
			  &l->select_archive_sql);
	if (r < 0)
		return r;

	if (mode == LEDGER_READ_ONLY) {
		struct stat st;

		/* SQLite would say only "unable to open" */
		if (lstat(path, &st) < 0)
			return ledger_fail(ret_error, -errno, "%s: %s", path,
				    strerror(errno));
		/*
		 * A reader (vasctl, often root) follows no link either: SQLite
		 * would create the -wal and -shm beside the link's target,
		 * wherever whoever made the link chose.
		 */
		if (S_ISLNK(st.st_mode))
			return ledger_fail(ret_error, -ELOOP,
					   "%s is a symbolic link; it is not followed (name the ledger file itself)",
					   path);
		if (!S_ISREG(st.st_mode))
			return ledger_fail(ret_error, -EBADFD,
					   "%s is not a regular file", path);
		r = check_sidecar(path, "-wal", ret_error);
		if (r >= 0)
			r = check_sidecar(path, "-shm", ret_error);
		if (r < 0)
			return r;
		flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW;
	} else {
		r = hold_file(l, ret_error);
		if (r < 0)
			return r;
		flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			SQLITE_OPEN_NOFOLLOW;
	}
	rc = sqlite3_open_v2(path, &l->db, flags | SQLITE_OPEN_NOMUTEX |
			     SQLITE_OPEN_EXRESCODE, NULL);
	if (rc != SQLITE_OK)
		return ledger_fail_sqlite(ret_error, l->db, rc, path);
	sqlite3_busy_timeout(l->db, BUSY_TIMEOUT_MS);
	sqlite3_db_config(l->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);

	r = check_header(l, ret_error, &version, &is_new);
	if (r < 0)
		return r;
	r = ledger_check_pragma(l, "quick_check", ret_error);
	if (r < 0)
		return r;

	if (mode == LEDGER_READ_WRITE) {
		r = set_wal(l, ret_error);
		if (r < 0)
			return r;
		r = ledger_exec(l, "PRAGMA synchronous = FULL");
		if (r < 0)
			return ledger_fail_sqlite(ret_error, l->db,
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
	if (l->lock_fd >= 0)
		close(l->lock_fd);
	free(l->insert_event_sql);
	free(l->select_events_sql);
	free(l->select_archive_sql);
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
	r = ledger_stmt_run_plain(l, STMT_BEGIN);
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
		ledger_stmt_run_plain(l, STMT_ROLLBACK);
	l->in_transaction = false;
	l->cursor_pending = false;
}

static int insert_event(struct ledger *l, const struct vasd_event *ev,
			const char *kind)
{
	sqlite3_stmt *st = NULL;
	int r;

	r = ledger_stmt_get(l, STMT_INSERT_EVENT, &st);
	if (r < 0)
		return r;
	r = row_bind_event(st, ev, kind);
	if (r < 0)
		return r;
	return ledger_stmt_run(l, st);
}

static int mirror_effect(struct ledger *l, const struct vasd_effect *effect)
{
	sqlite3_stmt *st = NULL;
	int r;

	if (effect->what & VASD_EFFECT_WINDOW_DEL) {
		r = ledger_stmt_get(l, STMT_WINDOW_DEL, &st);
		if (r < 0)
			return r;
		sqlite3_bind_int64(st, 1, effect->window.id);
		r = ledger_stmt_run(l, st);
		if (r < 0)
			return r;
	}
	if (effect->what & VASD_EFFECT_WINDOW_PUT) {
		r = ledger_stmt_get(l, STMT_WINDOW_PUT, &st);
		if (r < 0)
			return r;
		row_bind_window(st, 1, &effect->window);
		r = ledger_stmt_run(l, st);
		if (r < 0)
			return r;
	}
	if (effect->what & VASD_EFFECT_CAPS) {
		r = ledger_stmt_get(l, STMT_CAPS_PUT, &st);
		if (r < 0)
			return r;
		row_bind_caps(st, 1, &effect->caps);
		r = ledger_stmt_run(l, st);
		if (r < 0)
			return r;
	}
	if (effect->what & VASD_EFFECT_MIGRATION) {
		r = ledger_stmt_get(l, STMT_MIGRATION_PUT, &st);
		if (r < 0)
			return r;
		row_bind_migration(st, 1, &effect->migration);
		r = ledger_stmt_run(l, st);
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
		r = ledger_stmt_get(l, STMT_CURSOR_PUT, &st);
		if (r >= 0) {
			row_bind_u64(st, 1, l->cursor_generation);
			row_bind_u64(st, 2, l->cursor_seq);
			sqlite3_bind_int(st, 3, l->cursor_synced);
			r = ledger_stmt_run(l, st);
		}
	}
	if (r >= 0)
		r = ledger_stmt_run_plain(l, STMT_COMMIT);
	if (r < 0) {
		ledger_rollback(l);
		return r;
	}
	l->in_transaction = false;
	l->cursor_pending = false;
	return 0;
}
