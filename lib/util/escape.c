// SPDX-License-Identifier: GPL-2.0-only
/* escape: text made safe to print. See escape.h. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/escape.h"

/*
 * The length of the valid UTF-8 sequence at s (1-4) and its code point,
 * or 0 when s does not start one: a stray continuation byte, a lead byte
 * without its continuations, an overlong form, a surrogate or a code
 * point past U+10FFFF.
 */
static size_t utf8_decode(const unsigned char *s, uint32_t *ret)
{
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t c;
	size_t n;

	if (s[0] < 0x80) {
		*ret = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	/* the NUL terminator is no continuation byte: no read past it */
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*ret = c;
	return n;
}

/* Characters written as \uNNNN: C1 controls, line ends, bidi controls. */
static bool char_unsafe(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9f) ||
	       c == 0x2028 || c == 0x2029 ||
	       (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2066 && c <= 0x2069);
}

size_t text_escape_buf(char *out, size_t size, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = 0;
	bool full = false;

	if (size > 0)
		out[0] = '\0';
	while (*p) {
		char esc[16];
		const char *piece = esc;
		size_t n, k;
		uint32_t c;

		n = utf8_decode(p, &c);
		if (n == 0) {
			snprintf(esc, sizeof(esc), "\\x%02x", *p);
			n = 1;
		} else if (c == '\n') {
			piece = "\\n";
		} else if (c == '\r') {
			piece = "\\r";
		} else if (c == '\t') {
			piece = "\\t";
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", (unsigned int)c);
		} else if (char_unsafe(c)) {
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned int)c);
		} else {
			memcpy(esc, p, n);
			esc[n] = '\0';
		}
		k = strlen(piece);
		/* once one piece did not fit, none after it is written */
		if (!full && len + k < size)
			memcpy(out + len, piece, k);
		else
			full = true;
		if (!full)
			out[len + k] = '\0';
		len += k;
		p += n;
	}
	return len;
}

char *text_escape(const char *s)
{
	size_t size = strlen(s) * TEXT_ESCAPE_GROWTH + 1;
	char *out = malloc(size);

	if (!out)
		return NULL;
	text_escape_buf(out, size, s);
	return out;
}
