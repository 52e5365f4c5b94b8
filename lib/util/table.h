/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * table: text in aligned columns, as `systemctl list-units` prints it.
 * Cells are added row by row; the table is laid out once it is complete.
 * Pure: no I/O, no globals.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/macro.h"

/* SGR sequences a cell may be drawn with (only when colour is asked for). */
#define ANSI_BOLD	"\033[1m"
#define ANSI_GREEN	"\033[32m"
#define ANSI_YELLOW	"\033[33m"
#define ANSI_RED	"\033[31m"
#define ANSI_GREY	"\033[90m"
#define ANSI_NORMAL	"\033[0m"

enum table_align {
	TABLE_LEFT,
	TABLE_RIGHT,
};

struct table_column {
	const char *header;
	enum table_align align;
};

struct table;

/* A table of n columns; columns (and their headers) are copied. */
struct table *table_new(const struct table_column *columns, size_t n);
struct table *table_free(struct table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct table, table_free)

/*
 * The next cell: left to right, then the next row. color is an ANSI_*
 * sequence or NULL. The text is kept escaped (util/escape.h): a cell
 * holds no control, line end or bidi override, whoever wrote it.
 * Returns 0 or -ENOMEM.
 */
int table_add(struct table *t, const char *text, const char *color);
__attribute__((format(printf, 3, 4)))
int table_addf(struct table *t, const char *color, const char *fmt, ...);

/* Rows added so far (a row begun counts). */
size_t table_rows(const struct table *t);

/*
 * The header line and every row, each ending in a newline, columns one
 * space apart and no trailing blanks; a missing cell of the last row is
 * empty. With color, the header is bold and cells have their colour.
 * Widths count UTF-8 characters, each one column wide. *ret is the
 * malloc()ed text; 0 or -ENOMEM.
 */
int table_format(const struct table *t, bool color, char **ret);
