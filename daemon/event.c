// SPDX-License-Identifier: GPL-2.0-only
/*
 * event: kernel notifications as ledger events, and the names events and
 * resync reasons are stored and printed under. See event.h.
 */
#include <errno.h>
#include <string.h>

#include "event.h"
#include "macro.h"

/* The ledger stores these: never rename one, only add. */
static const char *const kind_names[] = {
	[VASD_EVENT_WINDOW_ADD] = "window-add",
	[VASD_EVENT_WINDOW_DEL] = "window-del",
	[VASD_EVENT_WINDOW_CHANGE] = "window-change",
	[VASD_EVENT_CAPS_CHANGE] = "caps-change",
	[VASD_EVENT_MIGRATION_CHANGE] = "migration-change",
	[VASD_EVENT_RESYNC_BEGIN] = "resync-begin",
	[VASD_EVENT_RESYNC_WINDOW_ADD] = "resync-window-add",
	[VASD_EVENT_RESYNC_WINDOW_DEL] = "resync-window-del",
	[VASD_EVENT_RESYNC_WINDOW_CHANGE] = "resync-window-change",
	[VASD_EVENT_RESYNC_CAPS] = "resync-caps",
	[VASD_EVENT_RESYNC_MIGRATION] = "resync-migration",
	[VASD_EVENT_RESYNC_END] = "resync-end",
	[VASD_EVENT_DAEMON_START] = "daemon-start",
	[VASD_EVENT_DAEMON_STOP] = "daemon-stop",
};

static const char *const resync_reason_names[] = {
	[VASD_RESYNC_START] = "start",
	[VASD_RESYNC_GAP] = "gap",
	[VASD_RESYNC_GENERATION] = "generation",
	[VASD_RESYNC_OVERRUN] = "overrun",
	[VASD_RESYNC_INCONSISTENT] = "inconsistent",
};

_Static_assert(ELEMENTSOF(kind_names) == _VASD_EVENT_KIND_MAX,
	       "every event kind has a name");
_Static_assert(ELEMENTSOF(resync_reason_names) == _VASD_RESYNC_REASON_MAX,
	       "every resync reason has a name");

static const char *lookup(const char *const *names, size_t n, int v)
{
	return v >= 0 && (size_t)v < n ? names[v] : NULL;
}

static int lookup_reverse(const char *const *names, size_t n, const char *s)
{
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -EINVAL;
}

const char *vasd_event_kind_to_string(int kind)
{
	return lookup(kind_names, ELEMENTSOF(kind_names), kind);
}

int vasd_event_kind_from_string(const char *s)
{
	return lookup_reverse(kind_names, ELEMENTSOF(kind_names), s);
}

const char *vasd_resync_reason_to_string(int reason)
{
	return lookup(resync_reason_names, ELEMENTSOF(resync_reason_names),
		      reason);
}

int vasd_resync_reason_from_string(const char *s)
{
	return lookup_reverse(resync_reason_names,
			      ELEMENTSOF(resync_reason_names), s);
}

int vasd_event_from_msg(const struct vas_msg *m, uint64_t recorded,
			struct vasd_event *ret)
{
	const unsigned int ids = VAS_MSG_HAS_GENERATION | VAS_MSG_HAS_SEQ |
				 VAS_MSG_HAS_TIMESTAMP;
	struct vasd_event ev = {
		.generation = m->generation,
		.seq = m->seq,
		.timestamp = m->timestamp,
		.recorded = recorded,
	};
	unsigned int need;

	switch (m->cmd) {
	case VAS_CMD_WINDOW_ADD_NTF:
		ev.kind = VASD_EVENT_WINDOW_ADD;
		need = VAS_MSG_HAS_WINDOW;
		break;
	case VAS_CMD_WINDOW_DEL_NTF:
		ev.kind = VASD_EVENT_WINDOW_DEL;
		need = VAS_MSG_HAS_WINDOW;
		break;
	case VAS_CMD_WINDOW_CHANGE_NTF:
		ev.kind = VASD_EVENT_WINDOW_CHANGE;
		need = VAS_MSG_HAS_WINDOW;
		break;
	case VAS_CMD_CAPS_CHANGE_NTF:
		ev.kind = VASD_EVENT_CAPS_CHANGE;
		need = VAS_MSG_HAS_CAPS;
		break;
	case VAS_CMD_MIGRATION_CHANGE_NTF:
		ev.kind = VASD_EVENT_MIGRATION_CHANGE;
		need = VAS_MSG_HAS_MIGRATION;
		break;
	default:
		return -EBADMSG;
	}
	need |= ids;
	if ((m->has & need) != need)
		return -EBADMSG;

	/* Only the kind's object, so that equal facts make equal events. */
	if (need & VAS_MSG_HAS_WINDOW)
		ev.window = m->window;
	else if (need & VAS_MSG_HAS_CAPS)
		ev.caps = m->caps;
	else
		ev.migration = m->migration;

	*ret = ev;
	return 0;
}
