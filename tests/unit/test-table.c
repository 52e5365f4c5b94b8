// SPDX-License-Identifier: GPL-2.0-only
/* table: widths, alignment, colour, UTF-8, missing and empty cells. */
#include <stdlib.h>

#include "util/table.h"
#include "test.h"

static const struct table_column columns[] = {
	{ "ID", TABLE_RIGHT },
	{ "STATE", TABLE_LEFT },
	{ "COMM", TABLE_LEFT },
};

static char *format(const struct table *t, bool color)
{
	char *s = NULL;

	ASSERT_INT_EQ(table_format(t, color, &s), 0);
	return s;
}

static void test_layout(void)
{
	_cleanup_(table_freep) struct table *t = table_new(columns, 3);
	char *s;

	ASSERT(t);
	ASSERT_UINT_EQ(table_rows(t), 0);
	s = format(t, false);
	ASSERT_STR_EQ(s, "ID STATE COMM\n");
	free(s);

	ASSERT_INT_EQ(table_add(t, "7", NULL), 0);
	ASSERT_INT_EQ(table_add(t, "active", ANSI_GREEN), 0);
	ASSERT_INT_EQ(table_add(t, "nxjob", NULL), 0);
	ASSERT_INT_EQ(table_addf(t, ANSI_YELLOW, "%u", 1234u), 0);
	ASSERT_INT_EQ(table_add(t, "suspended", ANSI_YELLOW), 0);
	ASSERT_INT_EQ(table_add(t, "x", NULL), 0);
	ASSERT_UINT_EQ(table_rows(t), 2);
	s = format(t, false);
	ASSERT_STR_EQ(s,
		      "  ID STATE     COMM\n"
		      "   7 active    nxjob\n"
		      "1234 suspended x\n");
	free(s);

	s = format(t, true);
	ASSERT_STR_EQ(s,
		      "  " ANSI_BOLD "ID" ANSI_NORMAL " " ANSI_BOLD "STATE" ANSI_NORMAL
		      "     " ANSI_BOLD "COMM" ANSI_NORMAL "\n"
		      "   7 " ANSI_GREEN "active" ANSI_NORMAL "    nxjob\n"
		      ANSI_YELLOW "1234" ANSI_NORMAL " " ANSI_YELLOW "suspended"
		      ANSI_NORMAL " x\n");
	free(s);
}

static void test_blanks_and_utf8(void)
{
	_cleanup_(table_freep) struct table *t = table_new(columns, 3);
	char *s;

	ASSERT(t);
	/* an empty last cell leaves no blanks; a missing one is empty */
	ASSERT_INT_EQ(table_add(t, "1", NULL), 0);
	ASSERT_INT_EQ(table_add(t, "ok", NULL), 0);
	ASSERT_INT_EQ(table_add(t, "", ANSI_RED), 0);
	ASSERT_INT_EQ(table_add(t, "", NULL), 0);
	ASSERT_INT_EQ(table_add(t, "\xc3\xa9t\xc3\xa9", NULL), 0);
	ASSERT_UINT_EQ(table_rows(t), 2);
	s = format(t, true);
	ASSERT_STR_EQ(s,
		      ANSI_BOLD "ID" ANSI_NORMAL " " ANSI_BOLD "STATE" ANSI_NORMAL
		      " " ANSI_BOLD "COMM" ANSI_NORMAL "\n"
		      " 1 ok\n"
		      "   \xc3\xa9t\xc3\xa9\n");
	free(s);
}

/* A cell is kept escaped, and its width is the escaped text's. */
static void test_escaped_cells(void)
{
	_cleanup_(table_freep) struct table *t = table_new(columns, 3);
	char *s;

	ASSERT(t);
	ASSERT_INT_EQ(table_add(t, "1", NULL), 0);
	ASSERT_INT_EQ(table_add(t, "a\nb", NULL), 0);
	ASSERT_INT_EQ(table_addf(t, NULL, "%s", "\x1b]0;t\x07\xe2\x80\xae"), 0);
	s = format(t, false);
	ASSERT_STR_EQ(s,
		      "ID STATE COMM\n"
		      " 1 a\\nb  \\x1b]0;t\\x07\\u202e\n");
	free(s);
}

int main(void)
{
	ASSERT_NULL(table_new(columns, 0));
	ASSERT_NULL(table_free(NULL));
	test_layout();
	test_blanks_and_utf8();
	test_escaped_cells();
	return 0;
}
