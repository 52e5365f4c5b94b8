// SPDX-License-Identifier: GPL-2.0-only
/* vasctl: JSON output. See vasctl-json.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "netlink/vas-msg.h"
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

struct json_object *vasctl_json_enum(const char *name, uint32_t v)
{
	return name ? json_object_new_string(name) : json_object_new_int64(v);
}

const char *vasctl_comm_escape(char buf[static VASCTL_COMM_ESCAPED_MAX],
			       const char *comm)
{
	size_t n = 0;

	for (size_t i = 0; i < VAS_COMM_MAX && comm[i]; i++) {
		unsigned char c = (unsigned char)comm[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[n++] = (char)c;
		else
			n += (size_t)snprintf(buf + n, VASCTL_COMM_ESCAPED_MAX - n,
					      "\\x%02x", c);
	}
	buf[n] = '\0';
	return buf;
}

struct json_object *vasctl_json_comm(const char *comm)
{
	char buf[VASCTL_COMM_ESCAPED_MAX];

	return json_object_new_string(vasctl_comm_escape(buf, comm));
}

struct json_object *vasctl_json_window(const struct vas_window *w)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(w->id));
	json_object_object_add(o, "tgid", json_object_new_int64(w->tgid));
	json_object_object_add(o, "pid", json_object_new_int64(w->pid));
	json_object_object_add(o, "comm", vasctl_json_comm(w->comm));
	json_object_object_add(o, "cop",
			       vasctl_json_enum(vas_cop_to_string(w->cop), w->cop));
	json_object_object_add(o, "type",
			       vasctl_json_enum(vas_win_type_to_string(w->type),
						w->type));
	json_object_object_add(o, "state",
			       vasctl_json_enum(vas_win_state_to_string(w->state),
						w->state));
	json_object_object_add(o, "reason",
			       vasctl_json_enum(vas_suspend_reason_to_string(w->reason),
						w->reason));
	json_object_object_add(o, "opened_at",
			       json_object_new_uint64(w->opened_at));
	return o;
}

void vasctl_print_value(struct json_object *v)
{
	const char *s = json_object_get_string(v);

	if (!json_object_is_type(v, json_type_string)) {
		fputs(s, stdout);
		return;
	}
	for (; *s; s++) {
		if ((unsigned char)*s <= ' ')
			printf("\\x%02x", (unsigned char)*s);
		else
			putchar(*s);
	}
}
