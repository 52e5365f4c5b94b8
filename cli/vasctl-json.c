// SPDX-License-Identifier: GPL-2.0-only
/* vasctl: JSON output. See vasctl-json.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/event-fields.h"
#include "netlink/vas-msg.h"
#include "util/escape.h"
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

/* One field of obj: u32 and u64 numbers, identifiers hex, enums by name. */
static struct json_object *json_field(int kind, const struct vasd_field *f,
				      const void *obj)
{
	switch (f->type) {
	case VASD_FIELD_U32:
		return json_object_new_int64(vasd_field_u32(f, obj));
	case VASD_FIELD_U64:
		return json_object_new_uint64(vasd_field_u64(f, obj));
	case VASD_FIELD_ID64:
		return vasctl_json_hex(vasd_field_u64(f, obj));
	case VASD_FIELD_ENUM:
	case VASD_FIELD_NAME:
		return vasctl_json_enum(vasd_field_name(f, kind, obj),
					vasd_field_u32(f, obj));
	case VASD_FIELD_COMM:
		return vasctl_json_comm(vasd_field_comm(f, obj));
	}
	return NULL;
}

/* The fields of o that ev has, into to; ev NULL: every field. */
static void json_fields(struct json_object *to, const struct vasd_event *ev,
			int kind, const struct vasd_field_object *o,
			const void *obj)
{
	for (size_t j = 0; j < o->n_fields; j++) {
		const struct vasd_field *f = &o->fields[j];

		if (!ev || vasd_event_has_field(ev, o, f))
			json_object_object_add(to, f->name, json_field(kind, f, obj));
	}
}

struct json_object *vasctl_json_window(const struct vas_window *w)
{
	struct json_object *o = json_object_new_object();

	json_fields(o, NULL, _VASD_EVENT_KIND_INVALID,
		    &vasd_event_objects[VASD_OBJECT_WINDOW], w);
	return o;
}

struct json_object *vasctl_json_event(const struct vasd_event *ev)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "position", json_object_new_int64(ev->position));
	json_object_object_add(o, "kind",
			       json_object_new_string(vasd_event_kind_to_string(ev->kind)));
	for (size_t k = 0; k < _VASD_OBJECT_MAX; k++) {
		const struct vasd_field_object *d = &vasd_event_objects[k];
		const void *obj = vasd_event_object(ev, d);
		struct json_object *nested;

		if (!vasd_event_has_object(ev, d))
			continue;
		if (!d->name) {
			json_fields(o, ev, ev->kind, d, obj);
			continue;
		}
		nested = json_object_new_object();
		json_fields(nested, ev, ev->kind, d, obj);
		json_object_object_add(o, d->name, nested);
	}
	return o;
}

/* the bytes vasctl_print_value() writes as \xHH itself */
#define BLANK_OR_C0 "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f" \
	"\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x20"

void vasctl_print_value(struct json_object *v)
{
	const char *s = json_object_get_string(v);

	if (!json_object_is_type(v, json_type_string)) {
		fputs(s, stdout);
		return;
	}
	while (*s) {
		size_t n = strcspn(s, BLANK_OR_C0);
		char *run, *safe;

		if (n == 0) {
			printf("\\x%02x", (unsigned char)*s++);
			continue;
		}
		/* the rest of what is unsafe: DEL, C1, bidi, not UTF-8 */
		run = strndup(s, n);
		safe = run ? text_escape(run) : NULL;
		fputs(safe ? safe : "?", stdout);
		free(safe);
		free(run);
		s += n;
	}
}
