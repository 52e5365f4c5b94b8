// SPDX-License-Identifier: GPL-2.0-only
/*
 * event: kernel notifications as ledger events, and the names events and
 * resync reasons are stored and printed under. See event.h.
 */
#include <errno.h>
#include <string.h>

#include "core/event.h"
#include "util/macro.h"

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
	[VASD_EVENT_INHIBITOR_TAKE] = "inhibitor-take",
	[VASD_EVENT_INHIBITOR_RELEASE] = "inhibitor-release",
	[VASD_EVENT_MIGRATION_HOOK] = "migration-hook",
	[VASD_EVENT_MIGRATION_OPEN] = "migration-open",
	[VASD_EVENT_MIGRATION_VETO] = "migration-veto",
	[VASD_EVENT_MIGRATION_ASKED] = "migration-asked",
	[VASD_EVENT_MIGRATION_TIMEOUT] = "migration-timeout",
	[VASD_EVENT_MIGRATION_QUIESCED] = "migration-quiesced",
	[VASD_EVENT_MIGRATION_ACK] = "migration-ack",
	[VASD_EVENT_MIGRATION_ANOMALY] = "migration-anomaly",
	[VASD_EVENT_MIGRATION_ERROR] = "migration-error",
	[VASD_EVENT_MIGRATION_BLACKOUT] = "migration-blackout",
	[VASD_EVENT_MIGRATION_CLIENT_BLACKOUT] = "migration-client-blackout",
	[VASD_EVENT_MIGRATION_CLOSE] = "migration-close",
	[VASD_EVENT_MIGRATION_UNCOORDINATED] = "migration-uncoordinated",
};

static const char *const resync_reason_names[] = {
	[VASD_RESYNC_START] = "start",
	[VASD_RESYNC_GAP] = "gap",
	[VASD_RESYNC_GENERATION] = "generation",
	[VASD_RESYNC_OVERRUN] = "overrun",
	[VASD_RESYNC_INCONSISTENT] = "inconsistent",
	[VASD_RESYNC_OBSERVED] = "observed",
};

/* The coordinator's enums: stored by these names too. */
static const char *const lock_mode_names[] = {
	[VASD_LOCK_DELAY] = "delay",
	[VASD_LOCK_BLOCK] = "block",
};

static const char *const hook_phase_names[] = {
	[VASD_HOOK_CHECK] = "check",
	[VASD_HOOK_UNDOCHECK] = "undocheck",
	[VASD_HOOK_PRE] = "pre",
	[VASD_HOOK_POST] = "post",
};

static const char *const origin_names[] = {
	[VASD_ORIGIN_CHECK] = "check",
	[VASD_ORIGIN_PRE] = "pre",
	[VASD_ORIGIN_KERNEL] = "kernel",
};

static const char *const veto_names[] = {
	[VASD_VETO_BLOCK_LOCK] = "block-lock",
	[VASD_VETO_LEDGER] = "ledger",
	[VASD_VETO_BUSY] = "busy",
};

static const char *const quiesce_end_names[] = {
	[VASD_QUIESCE_RELEASED] = "released",
	[VASD_QUIESCE_TIMEOUT] = "timeout",
	[VASD_QUIESCE_NONE] = "none",
	[VASD_QUIESCE_LATE] = "late",
	[VASD_QUIESCE_RESTART] = "restart",
	[VASD_QUIESCE_CLOSED] = "closed",
};

static const char *const anomaly_names[] = {
	[VASD_ANOMALY_ACTIVE_AT_SUSPENDED] = "active-at-suspended",
	[VASD_ANOMALY_OPENED_WHILE_SUSPENDED] = "opened-while-suspended",
};

static const char *const coord_error_names[] = {
	[VASD_COORD_ERROR_NO_MIGRATION] = "no-migration",
	[VASD_COORD_ERROR_OUT_OF_ORDER] = "out-of-order",
	[VASD_COORD_ERROR_TOKEN_MISMATCH] = "token-mismatch",
	[VASD_COORD_ERROR_STREAM_MISMATCH] = "stream-mismatch",
	[VASD_COORD_ERROR_ACK_MISSED] = "ack-missed",
	[VASD_COORD_ERROR_ACK_REFUSED] = "ack-refused",
};

static const char *const outcome_names[] = {
	[VASD_OUTCOME_COMPLETED] = "completed",
	[VASD_OUTCOME_ABORTED] = "aborted",
	[VASD_OUTCOME_UNKNOWN] = "unknown",
	[VASD_OUTCOME_CANCELLED] = "cancelled",
	[VASD_OUTCOME_VETOED] = "vetoed",
	[VASD_OUTCOME_EXPIRED] = "expired",
	[VASD_OUTCOME_ABANDONED] = "abandoned",
};

_Static_assert(ELEMENTSOF(lock_mode_names) == _VASD_LOCK_MODE_MAX, "names");
_Static_assert(ELEMENTSOF(hook_phase_names) == _VASD_HOOK_PHASE_MAX, "names");
_Static_assert(ELEMENTSOF(origin_names) == _VASD_ORIGIN_MAX, "names");
_Static_assert(ELEMENTSOF(veto_names) == _VASD_VETO_MAX, "names");
_Static_assert(ELEMENTSOF(quiesce_end_names) == _VASD_QUIESCE_END_MAX, "names");
_Static_assert(ELEMENTSOF(anomaly_names) == _VASD_ANOMALY_MAX, "names");
_Static_assert(ELEMENTSOF(coord_error_names) == _VASD_COORD_ERROR_MAX, "names");
_Static_assert(ELEMENTSOF(outcome_names) == _VASD_OUTCOME_MAX, "names");

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

const char *vasd_lock_mode_to_string(int mode)
{
	return lookup(lock_mode_names, ELEMENTSOF(lock_mode_names), mode);
}

int vasd_lock_mode_from_string(const char *s)
{
	return lookup_reverse(lock_mode_names, ELEMENTSOF(lock_mode_names), s);
}

/* The names of a kind's what; false when the kind has none. */
static bool what_names(int kind, const char *const **ret, size_t *ret_n)
{
#define NAMES(a) (*ret = (a), *ret_n = ELEMENTSOF(a), true)
	switch (kind) {
	case VASD_EVENT_INHIBITOR_TAKE:
	case VASD_EVENT_INHIBITOR_RELEASE:
		return NAMES(lock_mode_names);
	case VASD_EVENT_MIGRATION_HOOK:
	case VASD_EVENT_MIGRATION_UNCOORDINATED:
		return NAMES(hook_phase_names);
	case VASD_EVENT_MIGRATION_OPEN:
		return NAMES(origin_names);
	case VASD_EVENT_MIGRATION_VETO:
		return NAMES(veto_names);
	case VASD_EVENT_MIGRATION_QUIESCED:
		return NAMES(quiesce_end_names);
	case VASD_EVENT_MIGRATION_ANOMALY:
		return NAMES(anomaly_names);
	case VASD_EVENT_MIGRATION_ERROR:
		return NAMES(coord_error_names);
	case VASD_EVENT_MIGRATION_CLOSE:
		return NAMES(outcome_names);
	default:
		return false;
	}
#undef NAMES
}

const char *vasd_coord_what_to_string(int kind, uint32_t what)
{
	const char *const *names;
	size_t n;

	if (!what_names(kind, &names, &n) || what >= n)
		return NULL;
	return names[what];
}

int vasd_coord_what_from_string(int kind, const char *s)
{
	const char *const *names;
	size_t n;

	if (!what_names(kind, &names, &n))
		return -EINVAL;
	return lookup_reverse(names, n, s);
}

bool vasd_coord_what_valid(int kind, uint32_t what)
{
	const char *const *names;
	size_t n;

	if (!vasd_event_kind_is_coord(kind))
		return false;
	if (!what_names(kind, &names, &n))
		return what == 0;
	return what < n;
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
