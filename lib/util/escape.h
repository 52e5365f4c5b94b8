/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * escape: text from others (a client's who/why, a process name, a bus
 * error's message) made safe to print on a terminal or in a log line.
 * What could move the cursor, recolour, retitle or write the clipboard
 * (C0 and C1 controls, ESC and so every CSI/OSC sequence, DEL), end a
 * line (\n, \r, U+2028, U+2029), reorder what follows (the bidi controls
 * U+202A-U+202E and U+2066-U+2069) or is not UTF-8 at all is written as
 * an escape: \n \r \t for those, \xNN for any other byte, \uNNNN for a
 * character. Everything else, UTF-8 included, is kept -- the backslash
 * too: escaping is idempotent, so text vasd escaped (a veto line, a
 * window's comm) passes vasctl's escaping unchanged. The price is that a
 * client can write "\n" literally, which reads as an escape but moves
 * nothing. Pure: no I/O, no globals.
 */
#pragma once

#include <stddef.h>

/* The most an input byte grows to ("\xNN"; "\uNNNN" replaces 2 or 3). */
#define TEXT_ESCAPE_GROWTH 4

/*
 * s escaped into out (size bytes, NUL-terminated when size > 0); an escape
 * is never cut in half. Returns the length of the whole escaped text, as
 * snprintf() does: it was truncated when that is >= size.
 */
size_t text_escape_buf(char *out, size_t size, const char *s);

/* s escaped, malloc()ed; NULL when out of memory. */
char *text_escape(const char *s);
