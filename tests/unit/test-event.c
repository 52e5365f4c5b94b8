// SPDX-License-Identifier: GPL-2.0-only
/*
 * event: kernel notifications become events one for one, anything else is
 * refused untouched; the stored names of kinds, reasons and the
 * coordinator's enums.
 */
#include <errno.h>
#include <stdint.h>

#include "core/event.h"
#include "util/macro.h"
#include "test.h"
#include "test-fixtures.h"

#define GEN 0x8c3f0a1b2c3d4e5fULL
#define RECORDED (TS + 1000)

static const struct vas_caps test_caps = {
	.type = VAS_WIN_TYPE_DEFAULT,
	.total = 8,
	.used = 3,
};

static const struct vas_migration test_migration = {
	.stream_id = 4711,
	.phase = VAS_MIGRATION_PHASE_PREPARE,
	.token = 0xfeedfacecafebeefULL,
};

/* A message as vas_msg_decode() returns it, carrying every object. */
static struct vas_msg msg(uint8_t cmd)
{
	return (struct vas_msg) {
		.cmd = cmd,
		.has = VAS_MSG_HAS_GENERATION | VAS_MSG_HAS_SEQ |
		       VAS_MSG_HAS_TIMESTAMP | VAS_MSG_HAS_WINDOW |
		       VAS_MSG_HAS_CAPS | VAS_MSG_HAS_MIGRATION,
		.generation = GEN,
		.seq = 12,
		.timestamp = TS,
		.window = sample_window,
		.caps = test_caps,
		.migration = test_migration,
	};
}

static void expect_ok(const struct vas_msg *m, int kind)
{
	struct vasd_event ev;

	memset(&ev, 0xa5, sizeof(ev));
	ASSERT_INT_EQ(vasd_event_from_msg(m, RECORDED, &ev), 0);
	ASSERT_INT_EQ(ev.kind, kind);
	ASSERT_INT_EQ(ev.position, 0);
	ASSERT_UINT_EQ(ev.generation, GEN);
	ASSERT_UINT_EQ(ev.seq, 12);
	ASSERT_UINT_EQ(ev.lost_from, 0);
	ASSERT_UINT_EQ(ev.timestamp, TS);
	ASSERT_UINT_EQ(ev.recorded, RECORDED);
	ASSERT_UINT_EQ(ev.reason, 0);

	/* the kind's object, and zeros for the others */
	if (kind == VASD_EVENT_WINDOW_ADD || kind == VASD_EVENT_WINDOW_DEL ||
	    kind == VASD_EVENT_WINDOW_CHANGE) {
		ASSERT_UINT_EQ(ev.window.id, 3);
		ASSERT_UINT_EQ(ev.window.tgid, 812);
		ASSERT_UINT_EQ(ev.window.pid, 813);
		ASSERT_STR_EQ(ev.window.comm, "nxclient");
		ASSERT_UINT_EQ(ev.window.cop, VAS_COP_GZIP);
		ASSERT_UINT_EQ(ev.window.type, VAS_WIN_TYPE_QOS);
		ASSERT_UINT_EQ(ev.window.state, VAS_WIN_STATE_SUSPENDED);
		ASSERT_UINT_EQ(ev.window.reason, VAS_SUSPEND_REASON_MIGRATION);
		ASSERT_UINT_EQ(ev.window.opened_at, TS - 5);
		ASSERT_UINT_EQ(ev.caps.total, 0);
		ASSERT_UINT_EQ(ev.migration.stream_id, 0);
	} else if (kind == VASD_EVENT_CAPS_CHANGE) {
		ASSERT_UINT_EQ(ev.caps.type, VAS_WIN_TYPE_DEFAULT);
		ASSERT_UINT_EQ(ev.caps.total, 8);
		ASSERT_UINT_EQ(ev.caps.used, 3);
		ASSERT_UINT_EQ(ev.window.id, 0);
		ASSERT_STR_EQ(ev.window.comm, "");
		ASSERT_UINT_EQ(ev.migration.token, 0);
	} else {
		ASSERT_UINT_EQ(ev.migration.stream_id, 4711);
		ASSERT_UINT_EQ(ev.migration.phase, VAS_MIGRATION_PHASE_PREPARE);
		ASSERT_UINT_EQ(ev.migration.token, 0xfeedfacecafebeefULL);
		ASSERT_UINT_EQ(ev.window.opened_at, 0);
		ASSERT_UINT_EQ(ev.caps.used, 0);
	}
	ASSERT(vasd_event_kind_is_kernel(ev.kind));
}

static void expect_bad(const struct vas_msg *m)
{
	struct vasd_event ev, canary;

	memset(&ev, 0xa5, sizeof(ev));
	memcpy(&canary, &ev, sizeof(ev));
	ASSERT_INT_EQ(vasd_event_from_msg(m, RECORDED, &ev), -EBADMSG);
	ASSERT(memcmp(&ev, &canary, sizeof(ev)) == 0);
}

static void test_from_msg(void)
{
	static const struct {
		uint8_t cmd;
		int kind;
		unsigned int object;
	} ntfs[] = {
		{ VAS_CMD_WINDOW_ADD_NTF, VASD_EVENT_WINDOW_ADD, VAS_MSG_HAS_WINDOW },
		{ VAS_CMD_WINDOW_DEL_NTF, VASD_EVENT_WINDOW_DEL, VAS_MSG_HAS_WINDOW },
		{ VAS_CMD_WINDOW_CHANGE_NTF, VASD_EVENT_WINDOW_CHANGE, VAS_MSG_HAS_WINDOW },
		{ VAS_CMD_CAPS_CHANGE_NTF, VASD_EVENT_CAPS_CHANGE, VAS_MSG_HAS_CAPS },
		{ VAS_CMD_MIGRATION_CHANGE_NTF, VASD_EVENT_MIGRATION_CHANGE,
		  VAS_MSG_HAS_MIGRATION },
	};
	static const unsigned int ids[] = {
		VAS_MSG_HAS_GENERATION, VAS_MSG_HAS_SEQ, VAS_MSG_HAS_TIMESTAMP,
	};

	for (size_t i = 0; i < ELEMENTSOF(ntfs); i++) {
		struct vas_msg m = msg(ntfs[i].cmd);

		expect_ok(&m, ntfs[i].kind);

		/* exactly what the kind needs is enough */
		m.has = VAS_MSG_HAS_GENERATION | VAS_MSG_HAS_SEQ |
			VAS_MSG_HAS_TIMESTAMP | ntfs[i].object;
		expect_ok(&m, ntfs[i].kind);

		/* without any one of it, nothing */
		for (size_t j = 0; j < ELEMENTSOF(ids); j++) {
			m = msg(ntfs[i].cmd);
			m.has &= ~ids[j];
			expect_bad(&m);
		}
		m = msg(ntfs[i].cmd);
		m.has &= ~ntfs[i].object;
		expect_bad(&m);
	}
}

/* Replies to requests, requests, and commands nobody knows. */
static void test_not_notifications(void)
{
	static const uint8_t cmds[] = {
		0, VAS_CMD_WINDOW_GET, VAS_CMD_CAPS_GET, VAS_CMD_MIGRATION_GET,
		VAS_CMD_COORD_REGISTER, VAS_CMD_COORD_UNREGISTER,
		VAS_CMD_COORD_ACK, VAS_CMD_MAX + 1, 255,
	};

	for (size_t i = 0; i < ELEMENTSOF(cmds); i++) {
		struct vas_msg m = msg(cmds[i]);

		expect_bad(&m);
	}
}

static void test_kind_names(void)
{
	static const char *const names[] = {
		"window-add", "window-del", "window-change", "caps-change",
		"migration-change", "resync-begin", "resync-window-add",
		"resync-window-del", "resync-window-change", "resync-caps",
		"resync-migration", "resync-end", "daemon-start", "daemon-stop",
		"inhibitor-take", "inhibitor-release", "migration-hook",
		"migration-open", "migration-veto", "migration-asked",
		"migration-timeout", "migration-quiesced", "migration-ack",
		"migration-anomaly", "migration-error", "migration-blackout",
		"migration-client-blackout", "migration-close",
		"migration-uncoordinated",
	};

	ASSERT_INT_EQ(ELEMENTSOF(names), _VASD_EVENT_KIND_MAX);
	for (int k = 0; k < _VASD_EVENT_KIND_MAX; k++) {
		ASSERT_STR_EQ(vasd_event_kind_to_string(k), names[k]);
		ASSERT_INT_EQ(vasd_event_kind_from_string(names[k]), k);
		ASSERT_INT_EQ(vasd_event_kind_is_kernel(k),
			      k <= VASD_EVENT_MIGRATION_CHANGE);
		ASSERT_INT_EQ(vasd_event_kind_is_coord(k),
			      k >= VASD_EVENT_INHIBITOR_TAKE);
	}
	ASSERT_NULL(vasd_event_kind_to_string(-1));
	ASSERT_NULL(vasd_event_kind_to_string(_VASD_EVENT_KIND_MAX));
	ASSERT_NULL(vasd_event_kind_to_string(_VASD_EVENT_KIND_INVALID));
	ASSERT_INT_EQ(vasd_event_kind_from_string("window"), -EINVAL);
	ASSERT_INT_EQ(vasd_event_kind_from_string("Window-Add"), -EINVAL);
	ASSERT_INT_EQ(vasd_event_kind_from_string(""), -EINVAL);
	ASSERT_INT_EQ(vasd_event_kind_from_string(NULL), -EINVAL);
	ASSERT(!vasd_event_kind_is_kernel(-1));
	ASSERT(!vasd_event_kind_is_kernel(_VASD_EVENT_KIND_MAX));
	ASSERT(!vasd_event_kind_is_coord(-1));
	ASSERT(!vasd_event_kind_is_coord(_VASD_EVENT_KIND_MAX));
}

/* Inhibit()'s mode: the bus parses it with these, and prints it back. */
static void test_lock_mode_names(void)
{
	ASSERT_INT_EQ(vasd_lock_mode_from_string("delay"), VASD_LOCK_DELAY);
	ASSERT_INT_EQ(vasd_lock_mode_from_string("block"), VASD_LOCK_BLOCK);
	ASSERT_STR_EQ(vasd_lock_mode_to_string(VASD_LOCK_DELAY), "delay");
	ASSERT_STR_EQ(vasd_lock_mode_to_string(VASD_LOCK_BLOCK), "block");
	ASSERT_NULL(vasd_lock_mode_to_string(_VASD_LOCK_MODE_MAX));
	ASSERT_NULL(vasd_lock_mode_to_string(_VASD_LOCK_MODE_INVALID));
	ASSERT_INT_EQ(vasd_lock_mode_from_string("Delay"), _VASD_LOCK_MODE_INVALID);
	ASSERT_INT_EQ(vasd_lock_mode_from_string("shutdown"), _VASD_LOCK_MODE_INVALID);
	ASSERT_INT_EQ(vasd_lock_mode_from_string(""), _VASD_LOCK_MODE_INVALID);
	ASSERT_INT_EQ(vasd_lock_mode_from_string(NULL), _VASD_LOCK_MODE_INVALID);
}

/* Each coordinator kind's what, by the names the ledger stores. */
static void test_coord_what_names(void)
{
	static const struct {
		int kind;
		const char *names[8];
		int n;
	} kinds[] = {
		{ VASD_EVENT_INHIBITOR_TAKE, { "delay", "block" }, _VASD_LOCK_MODE_MAX },
		{ VASD_EVENT_INHIBITOR_RELEASE, { "delay", "block" }, _VASD_LOCK_MODE_MAX },
		{ VASD_EVENT_MIGRATION_HOOK, { "check", "undocheck", "pre", "post" },
		  _VASD_HOOK_PHASE_MAX },
		{ VASD_EVENT_MIGRATION_OPEN, { "check", "pre", "kernel" }, _VASD_ORIGIN_MAX },
		{ VASD_EVENT_MIGRATION_VETO, { "block-lock", "ledger", "busy" }, _VASD_VETO_MAX },
		{ VASD_EVENT_MIGRATION_QUIESCED,
		  { "released", "timeout", "none", "late", "restart", "closed" },
		  _VASD_QUIESCE_END_MAX },
		{ VASD_EVENT_MIGRATION_ANOMALY,
		  { "active-at-suspended", "opened-while-suspended" }, _VASD_ANOMALY_MAX },
		{ VASD_EVENT_MIGRATION_ERROR,
		  { "no-migration", "out-of-order", "token-mismatch", "stream-mismatch",
		    "ack-missed", "ack-refused" }, _VASD_COORD_ERROR_MAX },
		{ VASD_EVENT_MIGRATION_CLOSE,
		  { "completed", "aborted", "unknown", "cancelled", "vetoed", "expired",
		    "abandoned" }, _VASD_OUTCOME_MAX },
		{ VASD_EVENT_MIGRATION_UNCOORDINATED, { "check", "undocheck", "pre", "post" },
		  _VASD_HOOK_PHASE_MAX },
	};
	static const int without[] = {
		VASD_EVENT_MIGRATION_ASKED, VASD_EVENT_MIGRATION_TIMEOUT,
		VASD_EVENT_MIGRATION_ACK, VASD_EVENT_MIGRATION_BLACKOUT,
		VASD_EVENT_MIGRATION_CLIENT_BLACKOUT,
	};

	for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
		int n = 0;

		while (n < 8 && kinds[i].names[n])
			n++;
		ASSERT_INT_EQ(n, kinds[i].n);
		for (int w = 0; w < n; w++) {
			ASSERT_STR_EQ(vasd_coord_what_to_string(kinds[i].kind, (uint32_t)w),
				      kinds[i].names[w]);
			ASSERT_INT_EQ(vasd_coord_what_from_string(kinds[i].kind,
								  kinds[i].names[w]), w);
			ASSERT(vasd_coord_what_valid(kinds[i].kind, (uint32_t)w));
		}
		ASSERT_NULL(vasd_coord_what_to_string(kinds[i].kind, (uint32_t)n));
		ASSERT(!vasd_coord_what_valid(kinds[i].kind, (uint32_t)n));
		ASSERT(!vasd_coord_what_valid(kinds[i].kind, UINT32_MAX));
		ASSERT_INT_EQ(vasd_coord_what_from_string(kinds[i].kind, "nonsense"),
			      -EINVAL);
		ASSERT_INT_EQ(vasd_coord_what_from_string(kinds[i].kind, NULL), -EINVAL);
	}
	/* a name belongs to its kind only */
	ASSERT_INT_EQ(vasd_coord_what_from_string(VASD_EVENT_MIGRATION_HOOK, "delay"),
		      -EINVAL);
	ASSERT_INT_EQ(vasd_coord_what_from_string(VASD_EVENT_MIGRATION_OPEN, "post"),
		      -EINVAL);

	for (size_t i = 0; i < ELEMENTSOF(without); i++) {
		ASSERT_NULL(vasd_coord_what_to_string(without[i], 0));
		ASSERT_INT_EQ(vasd_coord_what_from_string(without[i], "delay"), -EINVAL);
		ASSERT(vasd_coord_what_valid(without[i], 0));
		ASSERT(!vasd_coord_what_valid(without[i], 1));
	}
	/* other kinds have no coordinator fields at all */
	ASSERT_NULL(vasd_coord_what_to_string(VASD_EVENT_RESYNC_BEGIN, 0));
	ASSERT_INT_EQ(vasd_coord_what_from_string(VASD_EVENT_RESYNC_BEGIN, "gap"), -EINVAL);
	ASSERT(!vasd_coord_what_valid(VASD_EVENT_DAEMON_STOP, 0));
	ASSERT(!vasd_coord_what_valid(-1, 0));
	ASSERT(!vasd_coord_what_valid(_VASD_EVENT_KIND_MAX, 0));
}

static void test_reason_names(void)
{
	static const char *const names[] = {
		"start", "gap", "generation", "overrun", "inconsistent",
		"observed",
	};

	ASSERT_INT_EQ(ELEMENTSOF(names), _VASD_RESYNC_REASON_MAX);
	for (int r = 0; r < _VASD_RESYNC_REASON_MAX; r++) {
		ASSERT_STR_EQ(vasd_resync_reason_to_string(r), names[r]);
		ASSERT_INT_EQ(vasd_resync_reason_from_string(names[r]), r);
	}
	ASSERT_NULL(vasd_resync_reason_to_string(-1));
	ASSERT_NULL(vasd_resync_reason_to_string(_VASD_RESYNC_REASON_MAX));
	ASSERT_INT_EQ(vasd_resync_reason_from_string("resync-begin"), -EINVAL);
	ASSERT_INT_EQ(vasd_resync_reason_from_string(NULL), -EINVAL);
}

int main(void)
{
	test_from_msg();
	test_not_notifications();
	test_kind_names();
	test_lock_mode_names();
	test_coord_what_names();
	test_reason_names();
	return 0;
}
