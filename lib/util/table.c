// SPDX-License-Identifier: GPL-2.0-only
/* table: text in aligned columns. See table.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/escape.h"
#include "util/table.h"

struct cell {
	char *text;
	const char *color;
};

struct table {
	struct table_column *columns;
	char **headers;		/* the copies columns[].header point at */
	size_t n_columns;
	struct cell *cells;	/* row-major */
	size_t n_cells;
	size_t allocated;
};

struct table *table_free(struct table *t)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n_cells; i++)
		free(t->cells[i].text);
	for (size_t i = 0; t->headers && i < t->n_columns; i++)
		free(t->headers[i]);
	free(t->headers);
	free(t->columns);
	free(t->cells);
	free(t);
	return NULL;
}

struct table *table_new(const struct table_column *columns, size_t n)
{
	struct table *t;

	if (n == 0)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->n_columns = n;
	t->columns = calloc(n, sizeof(*t->columns));
	t->headers = calloc(n, sizeof(*t->headers));
	if (!t->columns || !t->headers)
		return table_free(t);
	for (size_t i = 0; i < n; i++) {
		t->headers[i] = strdup(columns[i].header);
		if (!t->headers[i])
			return table_free(t);
		t->columns[i] = (struct table_column) {
			.header = t->headers[i],
			.align = columns[i].align,
		};
	}
	return t;
}

/* Takes text; what the cell keeps is text escaped (util/escape.h). */
static int add_owned(struct table *t, char *raw, const char *color)
{
	char *text = text_escape(raw);

	free(raw);
	if (!text)
		return -ENOMEM;
	if (t->n_cells == t->allocated) {
		size_t a = t->allocated ? t->allocated * 2 : 64;
		struct cell *c = realloc(t->cells, a * sizeof(*c));

		if (!c) {
			free(text);
			return -ENOMEM;
		}
		t->cells = c;
		t->allocated = a;
	}
	t->cells[t->n_cells++] = (struct cell) { .text = text, .color = color };
	return 0;
}

int table_add(struct table *t, const char *text, const char *color)
{
	char *copy = strdup(text);

	if (!copy)
		return -ENOMEM;
	return add_owned(t, copy, color);
}

int table_addf(struct table *t, const char *color, const char *fmt, ...)
{
	va_list ap;
	char *text;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	return add_owned(t, text, color);
}

size_t table_rows(const struct table *t)
{
	return (t->n_cells + t->n_columns - 1) / t->n_columns;
}

/* Characters of UTF-8 text: every byte but the continuation bytes. */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

struct out {
	FILE *f;
	bool color;
	size_t blanks;		/* owed before the next text on the line */
};

/* Padding is written only when text follows it: no trailing blanks. */
static void put_cell(struct out *o, const char *text, const char *color,
		     enum table_align align, size_t width, bool last)
{
	size_t pad = width - text_width(text);

	if (align == TABLE_RIGHT)
		o->blanks += pad;
	if (*text) {
		fprintf(o->f, "%*s", (int)o->blanks, "");
		o->blanks = 0;
		if (o->color && color)
			fprintf(o->f, "%s%s%s", color, text, ANSI_NORMAL);
		else
			fputs(text, o->f);
	}
	if (last) {
		fputc('\n', o->f);
		o->blanks = 0;
	} else {
		o->blanks += (align == TABLE_LEFT ? pad : 0) + 1;
	}
}

int table_format(const struct table *t, bool color, char **ret)
{
	size_t rows = table_rows(t), *width, size = 0;
	struct out o = { .color = color };
	char *buf = NULL;

	width = calloc(t->n_columns, sizeof(*width));
	if (!width)
		return -ENOMEM;
	for (size_t c = 0; c < t->n_columns; c++)
		width[c] = text_width(t->columns[c].header);
	for (size_t i = 0; i < t->n_cells; i++) {
		size_t w = text_width(t->cells[i].text);

		if (w > width[i % t->n_columns])
			width[i % t->n_columns] = w;
	}

	/* memory only: the stream fails on nothing but allocation */
	o.f = open_memstream(&buf, &size);
	if (!o.f) {
		free(width);
		return -ENOMEM;
	}
	for (size_t c = 0; c < t->n_columns; c++)
		put_cell(&o, t->columns[c].header, ANSI_BOLD,
			 t->columns[c].align, width[c], c + 1 == t->n_columns);
	for (size_t r = 0; r < rows; r++)
		for (size_t c = 0; c < t->n_columns; c++) {
			size_t i = r * t->n_columns + c;
			const struct cell *cell = i < t->n_cells ?
				&t->cells[i] : &(const struct cell) { "", NULL };

			put_cell(&o, cell->text, cell->color,
				 t->columns[c].align, width[c],
				 c + 1 == t->n_columns);
		}
	free(width);
	if (ferror(o.f) || fclose(o.f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*ret = buf;
	return 0;
}
