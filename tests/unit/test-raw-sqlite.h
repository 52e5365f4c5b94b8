/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ledger's files through SQLite itself, not through the ledger: to
 * read what the ledger wrote and to damage it behind its back.
 */
#pragma once

#include <stdint.h>
#include <string.h>

#include <sqlite3.h>

#include "test.h"

/* open it read-write, creating it if needed */
#define RAW_CREATE (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)

static inline sqlite3 *raw_open(const char *path, int flags)
{
	sqlite3 *db;

	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK)
		TEST_FAIL("sqlite3_open_v2 %s: %s", path, sqlite3_errmsg(db));
	return db;
}

static inline void raw_close(sqlite3 *db)
{
	if (sqlite3_close(db) != SQLITE_OK)
		TEST_FAIL("sqlite3_close: %s", sqlite3_errmsg(db));
}

static inline void raw_exec(sqlite3 *db, const char *sql)
{
	char *error = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &error) != SQLITE_OK)
		TEST_FAIL("%s: %s", sql, error);
}

static inline sqlite3_stmt *raw_row(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		TEST_FAIL("%s: %s", sql, sqlite3_errmsg(db));
	return st;
}

static inline int64_t raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = raw_row(db, sql);
	int64_t v = sqlite3_column_int64(st, 0);

	sqlite3_finalize(st);
	return v;
}

static inline char *raw_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = raw_row(db, sql);
	char *v = strdup((const char *)sqlite3_column_text(st, 0));

	sqlite3_finalize(st);
	return v;
}

/* sql on the file at path, in a connection of its own */
static inline void raw_exec_file(const char *path, const char *sql)
{
	sqlite3 *db = raw_open(path, SQLITE_OPEN_READWRITE);

	raw_exec(db, sql);
	raw_close(db);
}

static inline int64_t raw_int_file(const char *path, const char *sql)
{
	sqlite3 *db = raw_open(path, SQLITE_OPEN_READONLY);
	int64_t v = raw_int(db, sql);

	raw_close(db);
	return v;
}
