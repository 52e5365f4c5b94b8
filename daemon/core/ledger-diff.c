// SPDX-License-Identifier: GPL-2.0-only
/*
 * ledger-diff: describe how two projections differ. See ledger-diff.h.
 *
 * Fields are compared by their printed form, which is one-to-one with the
 * value (enums print a name only for values that have one, the comm is
 * escaped), so "differs" and "prints differently" are the same thing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ledger-diff.h"

#define FIELD_MAX 80

enum {
	FIELD_TGID,
	FIELD_PID,
	FIELD_COMM,
	FIELD_COP,
	FIELD_TYPE,
	FIELD_STATE,
	FIELD_REASON,
	FIELD_OPENED_AT,
	FIELD_UID,
	_FIELD_WINDOW_MAX,
};

static const char *const window_fields[_FIELD_WINDOW_MAX] = {
	[FIELD_TGID] = "tgid",
	[FIELD_PID] = "pid",
	[FIELD_COMM] = "comm",
	[FIELD_COP] = "cop",
	[FIELD_TYPE] = "type",
	[FIELD_STATE] = "state",
	[FIELD_REASON] = "reason",
	[FIELD_OPENED_AT] = "opened_at",
	[FIELD_UID] = "uid",
};

__attribute__((format(printf, 2, 3)))
static int say(char **ret, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(ret, fmt, ap);
	va_end(ap);
	return n < 0 ? -ENOMEM : 1;
}

static void print_enum(char *buf, const char *name, uint32_t v)
{
	if (name)
		snprintf(buf, FIELD_MAX, "%s", name);
	else
		snprintf(buf, FIELD_MAX, "%" PRIu32, v);
}

/* Printable ASCII but the backslash as is, the rest as \xHH. */
static void print_comm(char *buf, const char *comm)
{
	size_t n = 0;

	buf[n++] = '"';
	for (size_t i = 0; i < VAS_COMM_MAX && comm[i]; i++) {
		unsigned char c = (unsigned char)comm[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[n++] = (char)c;
		else
			n += (size_t)snprintf(buf + n, FIELD_MAX - n, "\\x%02x", c);
	}
	buf[n++] = '"';
	buf[n] = '\0';
}

static void print_window_field(char *buf, const struct vas_window *w, int f)
{
	switch (f) {
	case FIELD_TGID:
		snprintf(buf, FIELD_MAX, "%" PRIu32, w->tgid);
		break;
	case FIELD_PID:
		snprintf(buf, FIELD_MAX, "%" PRIu32, w->pid);
		break;
	case FIELD_COMM:
		print_comm(buf, w->comm);
		break;
	case FIELD_COP:
		print_enum(buf, vas_cop_to_string(w->cop), w->cop);
		break;
	case FIELD_TYPE:
		print_enum(buf, vas_win_type_to_string(w->type), w->type);
		break;
	case FIELD_STATE:
		print_enum(buf, vas_win_state_to_string(w->state), w->state);
		break;
	case FIELD_REASON:
		print_enum(buf, vas_suspend_reason_to_string(w->reason),
			   w->reason);
		break;
	case FIELD_OPENED_AT:
		snprintf(buf, FIELD_MAX, "%" PRIu64, w->opened_at);
		break;
	case FIELD_UID:
		if (w->uid == VAS_UID_UNKNOWN)
			snprintf(buf, FIELD_MAX, "not known");
		else
			snprintf(buf, FIELD_MAX, "%" PRIu32, w->uid);
		break;
	}
}

/* The first field in which a and b differ, or -1. */
static int window_first_difference(const struct vas_window *a,
				   const struct vas_window *b,
				   char *buf_a, char *buf_b)
{
	for (int f = 0; f < _FIELD_WINDOW_MAX; f++) {
		print_window_field(buf_a, a, f);
		print_window_field(buf_b, b, f);
		if (strcmp(buf_a, buf_b) != 0)
			return f;
	}
	return -1;
}

static bool window_differs(const struct vasd_state *other,
			   const struct vas_window *w)
{
	const struct vas_window *o = vasd_state_window(other, w->id);
	char a[FIELD_MAX], b[FIELD_MAX];

	return !o || window_first_difference(w, o, a, b) >= 0;
}

/* The lowest id of a window that is not the same in both, or -1. */
static int64_t windows_first_difference(const struct vasd_state *stored,
					const struct vasd_state *replay)
{
	const struct vasd_state *states[] = { stored, replay };
	const struct vas_window *w;
	int64_t first = -1;

	for (size_t i = 0; i < ELEMENTSOF(states); i++) {
		size_t cursor = 0;

		while ((w = vasd_state_next_window(states[i], &cursor)))
			if ((first < 0 || w->id < first) &&
			    window_differs(states[1 - i], w))
				first = w->id;
	}
	return first;
}

static int describe_window(const struct vasd_state *stored,
			   const struct vasd_state *replay, uint32_t id,
			   char **ret)
{
	const struct vas_window *s = vasd_state_window(stored, id);
	const struct vas_window *r = vasd_state_window(replay, id);
	char a[FIELD_MAX], b[FIELD_MAX];
	int f;

	if (!r)
		return say(ret, "window %" PRIu32 ": stored, not in the replay",
			   id);
	if (!s)
		return say(ret, "window %" PRIu32 ": in the replay, not stored",
			   id);
	f = window_first_difference(s, r, a, b);
	return say(ret, "window %" PRIu32 ": stored %s %s, replay %s", id,
		   window_fields[f], a, b);
}

static int describe_cursor(const struct vasd_state *stored,
			   const struct vasd_state *replay, char **ret)
{
	if (vasd_state_generation(stored) != vasd_state_generation(replay))
		return say(ret, "cursor: stored generation %016" PRIx64 ", replay %016" PRIx64,
			   vasd_state_generation(stored),
			   vasd_state_generation(replay));
	if (vasd_state_seq(stored) != vasd_state_seq(replay))
		return say(ret, "cursor: stored seq %" PRIu64 ", replay %" PRIu64,
			   vasd_state_seq(stored), vasd_state_seq(replay));
	if (vasd_state_synced(stored) != vasd_state_synced(replay))
		return say(ret, "cursor: stored %s, replay %s",
			   vasd_state_synced(stored) ? "synced" : "not synced",
			   vasd_state_synced(replay) ? "synced" : "not synced");
	return 0;
}

static int describe_caps(const struct vasd_state *stored,
			 const struct vasd_state *replay, char **ret)
{
	for (uint32_t t = 0; t < VASD_N_TYPES; t++) {
		const struct vas_caps *s = vasd_state_caps(stored, t);
		const struct vas_caps *r = vasd_state_caps(replay, t);
		char type[FIELD_MAX];

		print_enum(type, vas_win_type_to_string(t), t);
		if (!s != !r)
			return say(ret, "credits %s: %s", type,
				   s ? "stored, not in the replay" :
				       "in the replay, not stored");
		if (!s)
			continue;
		if (s->total != r->total)
			return say(ret, "credits %s: stored total %" PRIu32 ", replay %" PRIu32,
				   type, s->total, r->total);
		if (s->used != r->used)
			return say(ret, "credits %s: stored used %" PRIu32 ", replay %" PRIu32,
				   type, s->used, r->used);
	}
	return 0;
}

static int describe_migration(const struct vasd_state *stored,
			      const struct vasd_state *replay, char **ret)
{
	const struct vas_migration *s = vasd_state_migration(stored);
	const struct vas_migration *r = vasd_state_migration(replay);
	char a[FIELD_MAX], b[FIELD_MAX];

	if (!s != !r)
		return say(ret, "migration: %s", s ? "stored, not in the replay" :
						     "in the replay, not stored");
	if (!s)
		return 0;
	if (s->stream_id != r->stream_id)
		return say(ret, "migration: stored stream %" PRIu64 ", replay %" PRIu64,
			   s->stream_id, r->stream_id);
	if (s->phase != r->phase) {
		print_enum(a, vas_migration_phase_to_string(s->phase), s->phase);
		print_enum(b, vas_migration_phase_to_string(r->phase), r->phase);
		return say(ret, "migration: stored phase %s, replay %s", a, b);
	}
	if (s->token != r->token)
		return say(ret, "migration: stored token %016" PRIx64 ", replay %016" PRIx64,
			   s->token, r->token);
	return 0;
}

int ledger_diff(const struct vasd_state *stored,
		const struct vasd_state *replay, char **ret)
{
	int64_t id;
	int r;

	if (vasd_state_equal(stored, replay)) {
		*ret = NULL;
		return 0;
	}
	r = describe_cursor(stored, replay, ret);
	if (r != 0)
		return r;
	id = windows_first_difference(stored, replay);
	if (id >= 0)
		return describe_window(stored, replay, (uint32_t)id, ret);
	r = describe_caps(stored, replay, ret);
	if (r != 0)
		return r;
	r = describe_migration(stored, replay, ret);
	if (r != 0)
		return r;
	/* vasd_state_equal() compares something none of the above shows */
	return say(ret, "the projections differ");
}
