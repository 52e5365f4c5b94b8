// SPDX-License-Identifier: GPL-2.0-only
/*
 * escape: the bytes written for each class of unsafe input (C0, DEL, C1,
 * ESC/CSI/OSC, line ends, bidi controls, invalid UTF-8) and that the rest,
 * UTF-8 included, is kept; truncation never cuts an escape.
 */
#include <stdlib.h>
#include <string.h>

#include "util/escape.h"
#include "test.h"

static void check(const char *in, const char *want)
{
	char *s = text_escape(in), *again;

	ASSERT(s);
	ASSERT_STR_EQ(s, want);
	/* idempotent: what was escaped passes a second escaping as it is */
	again = text_escape(s);
	ASSERT(again);
	ASSERT_STR_EQ(again, want);
	free(again);
	ASSERT_UINT_EQ(strlen(s), text_escape_buf(NULL, 0, in));
	ASSERT(strlen(s) <= strlen(in) * TEXT_ESCAPE_GROWTH);
	free(s);
}

static void test_kept(void)
{
	check("", "");
	check("nxjob 42 ~!@#$%^&*()_+{}|:\"<>?", "nxjob 42 ~!@#$%^&*()_+{}|:\"<>?");
	/* é, 中, U+1F600, U+00A0 (just past C1), U+2027 and U+202F, U+2065 */
	check("\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\xc2\xa0",
	      "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\xc2\xa0");
	check("\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5", "\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5");
}

static void test_c0(void)
{
	check("a\nb", "a\\nb");
	check("a\rb", "a\\rb");
	check("a\tb", "a\\tb");
	check("\x01\x07\x08\x0b\x0c\x1f", "\\x01\\x07\\x08\\x0b\\x0c\\x1f");
	check("\x7f", "\\x7f");
	/* kept: an escape already made stays as it is */
	check("back\\slash \\x1b", "back\\slash \\x1b");
}

static void test_esc_sequences(void)
{
	/* CSI (clear screen, red), OSC 0 (title), OSC 52 (clipboard) */
	check("\x1b[2J\x1b[31mred", "\\x1b[2J\\x1b[31mred");
	check("\x1b]0;owned\x07", "\\x1b]0;owned\\x07");
	check("\x1b]52;c;cm0gLXJmIC8K\x1b\\", "\\x1b]52;c;cm0gLXJmIC8K\\x1b\\");
}

static void test_c1(void)
{
	/* U+0080, U+009B (CSI), U+009D (OSC), U+009F as UTF-8 */
	check("\xc2\x80\xc2\x9b" "31m\xc2\x9d" "0;t\xc2\x9f",
	      "\\u0080\\u009b31m\\u009d0;t\\u009f");
}

static void test_line_ends_and_bidi(void)
{
	check("\xe2\x80\xa8\xe2\x80\xa9", "\\u2028\\u2029");
	/* LRE RLE PDF LRO RLO, LRI RLI FSI PDI */
	check("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad\xe2\x80\xae",
	      "\\u202a\\u202b\\u202c\\u202d\\u202e");
	check("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9",
	      "\\u2066\\u2067\\u2068\\u2069");
	check("user\xe2\x80\xaetxt.exe", "user\\u202etxt.exe");
}

static void test_invalid_utf8(void)
{
	check("\x80", "\\x80");				/* stray continuation */
	check("\xc3", "\\xc3");				/* truncated at the end */
	check("\xc3(", "\\xc3(");			/* truncated before ASCII */
	check("\xe2\x80", "\\xe2\\x80");
	check("\xc0\xaf", "\\xc0\\xaf");		/* overlong '/' */
	check("\xe0\x80\x8a", "\\xe0\\x80\\x8a");	/* overlong '\n' */
	check("\xc1\x9b", "\\xc1\\x9b");		/* overlong ESC... */
	check("\xed\xa0\x80", "\\xed\\xa0\\x80");	/* a surrogate */
	check("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* past U+10FFFF */
	check("\xfe\xff", "\\xfe\\xff");
}

static void test_truncation(void)
{
	char buf[8];

	ASSERT_UINT_EQ(text_escape_buf(buf, sizeof(buf), "ab\ncd"), 6);
	ASSERT_STR_EQ(buf, "ab\\ncd");
	/* "ab" "\x1b" does not fit in 7 bytes after "ab": stop before it */
	ASSERT_UINT_EQ(text_escape_buf(buf, 6, "ab\x1b" "cd"), 8);
	ASSERT_STR_EQ(buf, "ab");
	ASSERT_UINT_EQ(text_escape_buf(buf, 1, "a"), 1);
	ASSERT_STR_EQ(buf, "");
}

int main(void)
{
	test_kept();
	test_c0();
	test_esc_sequences();
	test_c1();
	test_line_ends_and_bidi();
	test_invalid_utf8();
	test_truncation();
	return 0;
}
