// SPDX-License-Identifier: GPL-2.0-only
/*
 * vas-format: one line of text per decoded message. See vas-format.h.
 *
 * The line is made for people and for grep: "KEY=value" fields separated by
 * single spaces, the comm escaped so that it can hold neither a space nor a
 * control character, enum values by name (by number when this build does
 * not know the name, so a newer kernel's values still show).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "netlink/vas-format.h"
#include "netlink/vas-spec.h"

struct out {
	char *buf;
	size_t size;
	size_t len;	/* what the whole line needs, as snprintf counts */
};

__attribute__((format(printf, 2, 3)))
static void out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	if (o->len < o->size)
		n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	else
		n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

static void out_enum(struct out *o, const char *key, const char *name,
		     uint32_t v)
{
	if (name)
		out_printf(o, " %s=%s", key, name);
	else
		out_printf(o, " %s=%" PRIu32, key, v);
}

/* The kernel lets a process name itself anything but NUL. */
static void out_comm(struct out *o, const char *comm)
{
	out_printf(o, " comm=");
	for (const unsigned char *c = (const unsigned char *)comm; *c; c++) {
		if (*c <= ' ' || *c >= 0x7f || *c == '\\')
			out_printf(o, "\\x%02x", *c);
		else
			out_printf(o, "%c", *c);
	}
}

/* What the line calls each message: the event, or the state it reports. */
static const char *action_name(uint8_t cmd)
{
	const struct vas_cmd *c = vas_spec_cmd(cmd);

	if (!c)
		return NULL;
	return c->label ? c->label : c->name;
}

/**
 * vas_format_msg() - format a decoded message as one line, without newline
 * @buf: where to write; always NUL-terminated when @size > 0
 * @size: bytes at @buf
 * @m: the message
 *
 * A message with a timestamp (a notification) starts with
 * "KERNEL[SECONDS.MICROSECONDS]", one without (the reply to a GET, a part
 * of a dump) with "KERNEL[snapshot]".
 *
 * Returns: the length of the whole line, as snprintf() does: the line was
 * cut if that is >= @size. VAS_FORMAT_LINE_MAX bytes always suffice.
 */
size_t vas_format_msg(char *buf, size_t size, const struct vas_msg *m)
{
	struct out o = { .buf = buf, .size = size };
	const char *action = action_name(m->cmd);

	if (size > 0)
		buf[0] = '\0';

	if (m->has & VAS_MSG_HAS_TIMESTAMP)
		out_printf(&o, "KERNEL[%" PRIu64 ".%06" PRIu64 "]",
			   m->timestamp / 1000000000,
			   m->timestamp % 1000000000 / 1000);
	else
		out_printf(&o, "KERNEL[snapshot]");

	if (action)
		out_printf(&o, " %-15s", action);
	else
		out_printf(&o, " cmd-%-11u", m->cmd);

	if (m->has & VAS_MSG_HAS_SEQ)
		out_printf(&o, " seq=%" PRIu64, m->seq);
	if (m->has & VAS_MSG_HAS_GENERATION)
		out_printf(&o, " gen=%016" PRIx64, m->generation);

	if (m->has & VAS_MSG_HAS_WINDOW) {
		const struct vas_window *w = &m->window;

		out_printf(&o, " id=%" PRIu32, w->id);
		out_enum(&o, "type", vas_win_type_to_string(w->type), w->type);
		out_enum(&o, "state", vas_win_state_to_string(w->state),
			 w->state);
		if (w->reason != VAS_SUSPEND_REASON_NONE)
			out_enum(&o, "reason",
				 vas_suspend_reason_to_string(w->reason),
				 w->reason);
		out_printf(&o, " tgid=%" PRIu32 " pid=%" PRIu32, w->tgid,
			   w->pid);
		out_comm(&o, w->comm);
	}

	if (m->has & VAS_MSG_HAS_CAPS) {
		const struct vas_caps *c = &m->caps;

		out_enum(&o, "type", vas_win_type_to_string(c->type), c->type);
		out_printf(&o, " total=%" PRIu32 " used=%" PRIu32, c->total,
			   c->used);
	}

	if (m->has & VAS_MSG_HAS_MIGRATION) {
		const struct vas_migration *mg = &m->migration;

		out_printf(&o, " stream=%" PRIu64, mg->stream_id);
		out_enum(&o, "phase", vas_migration_phase_to_string(mg->phase),
			 mg->phase);
		out_printf(&o, " token=%016" PRIx64, mg->token);
	}

	if (m->has & VAS_MSG_HAS_TOKEN)
		out_printf(&o, " token=%016" PRIx64, m->token);

	return o.len;
}
