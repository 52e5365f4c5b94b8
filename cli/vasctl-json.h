/* SPDX-License-Identifier: GPL-2.0-only */
/* vasctl: JSON output, as the contracts have it (proto/vasctl-json.md). */
#pragma once

#include <stdint.h>
#include <json.h>
#include <json_object_iterator.h>

#include "core/event.h"
#include "netlink/vas-msg.h"

/*
 * For each field of object o, in order: key and v are set in the body.
 * json-c's own json_object_object_foreach is not ISO C.
 */
#define VASCTL_JSON_FOREACH(o, it, end)					\
	for (struct json_object_iterator it = json_object_iter_begin(o),	\
	     end = json_object_iter_end(o);					\
	     !json_object_iter_equal(&it, &end); json_object_iter_next(&it))

/* A random 64-bit identifier: 16 lower-case hex digits. */
struct json_object *vasctl_json_hex(uint64_t v);

/* o on one line, without spaces, and a newline; 0 or -errno. */
int vasctl_json_print(struct json_object *o);

/* An enum as its name, or as its number when this vasctl does not know it. */
struct json_object *vasctl_json_enum(const char *name, uint32_t v);

/*
 * A comm (at most VAS_COMM_MAX bytes) as printable ASCII, every other byte
 * and the backslash as \xHH: into buf, which is returned.
 */
#define VASCTL_COMM_ESCAPED_MAX (VAS_COMM_MAX * 4 + 1)
const char *vasctl_comm_escape(char buf[static VASCTL_COMM_ESCAPED_MAX],
			       const char *comm);
struct json_object *vasctl_json_comm(const char *comm);

/*
 * A value of a human KEY=value line, on stdout: a string without blanks or
 * control characters (each byte up to ' ' as \xHH), so that a line splits
 * on its spaces, as `vasctl monitor --kernel` writes a comm; the rest
 * escaped as util/escape.h does (DEL, C1, bidi controls, not UTF-8).
 */
void vasctl_print_value(struct json_object *v);

/* proto/ledger-export.md's window object. */
struct json_object *vasctl_json_window(const struct vas_window *w);

/*
 * One event as proto/ledger-export.md has it: position, kind, then the
 * fields core/event-fields.h lists that it has, an object nested.
 */
struct json_object *vasctl_json_event(const struct vasd_event *ev);
