// SPDX-License-Identifier: GPL-2.0-only
/* vasctl: JSON output. See vasctl-json.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "vasctl-json.h"

struct json_object *vasctl_json_hex(uint64_t v)
{
	char hex[17];

	snprintf(hex, sizeof(hex), "%016" PRIx64, v);
	return json_object_new_string(hex);
}

int vasctl_json_print(struct json_object *o)
{
	const char *s;

	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (!s)
		return -ENOMEM;
	if (fputs(s, stdout) == EOF || putchar('\n') == EOF)
		return -errno;
	return 0;
}
