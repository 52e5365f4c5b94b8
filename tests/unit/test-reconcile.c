// SPDX-License-Identifier: GPL-2.0-only
/*
 * vasd_reconcile(): the exact events for each kind of difference, in their
 * fixed order; snapshots no kernel can give are refused; and for random
 * states and snapshots, applying the events gives the snapshot's state,
 * after which there is nothing left to reconcile.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/state-internal.h"
#include "test.h"
#include "test-fixtures.h"

#define GEN 0x8c3f0a1b2c3d4e5fULL
#define GEN2 0x1234567890abcdefULL
#define NOW (TS + 777)

static struct vas_window active(uint32_t id, uint32_t type)
{
	return test_window(id, type, VAS_WIN_STATE_ACTIVE, VAS_SUSPEND_REASON_NONE);
}

static struct vas_window suspended(uint32_t id, uint32_t type, uint32_t reason)
{
	return test_window(id, type, VAS_WIN_STATE_SUSPENDED, reason);
}

static struct vasd_state *state_new(void)
{
	struct vasd_state *s = NULL;

	ASSERT_INT_EQ(vasd_state_new(&s), 0);
	return s;
}

static void put(struct vasd_state *s, struct vas_window w)
{
	ASSERT_INT_EQ(vasd_state_put_window(s, &w), 0);
}

static void put_caps(struct vasd_state *s, uint32_t type, uint32_t total)
{
	struct vas_caps c = { .type = type, .total = total };

	vasd_state_put_caps(s, &c);
}

static void set_caps(struct vasd_snapshot *snap, uint32_t type, uint32_t total)
{
	uint32_t used = 0;

	for (size_t i = 0; i < snap->n_windows; i++)
		if (snap->windows[i].type == type &&
		    snap->windows[i].state == VAS_WIN_STATE_ACTIVE)
			used++;
	snap->caps[type] = (struct vas_caps) {
		.type = type,
		.total = total,
		.used = used,
	};
	snap->has_caps[type] = true;
}

/* The state the snapshot describes, with what it lacks kept from s. */
static struct vasd_state *snapshot_state(const struct vasd_state *s,
					 const struct vasd_snapshot *snap)
{
	struct vasd_state *want = state_new();

	for (size_t i = 0; i < snap->n_windows; i++)
		ASSERT_INT_EQ(vasd_state_put_window(want, &snap->windows[i]), 0);
	for (uint32_t t = 0; t < VASD_N_TYPES; t++) {
		if (snap->has_caps[t])
			vasd_state_put_caps(want, &snap->caps[t]);
		else if (vasd_state_caps(s, t))
			vasd_state_put_caps(want, vasd_state_caps(s, t));
	}
	if (snap->has_migration)
		vasd_state_put_migration(want, &snap->migration);
	else if (vasd_state_migration(s))
		vasd_state_put_migration(want, vasd_state_migration(s));
	vasd_state_put_cursor(want, snap->generation, snap->seq, true);
	return want;
}

/* Reconcile, check what every event must be, apply them all to s. */
static struct vasd_event *reconcile(struct vasd_state *s,
				    const struct vasd_snapshot *snap,
				    const struct vasd_event *begin,
				    size_t *ret_n)
{
	_cleanup_(vasd_state_freep) struct vasd_state *want =
		snapshot_state(s, snap);
	struct vasd_event *evs = NULL;
	size_t n = 0;

	ASSERT_INT_EQ(vasd_reconcile(s, snap, begin, NOW, &evs, &n), 0);
	ASSERT(n >= 2);
	ASSERT_INT_EQ(evs[0].kind, VASD_EVENT_RESYNC_BEGIN);
	ASSERT_UINT_EQ(evs[0].reason, begin->reason);
	ASSERT_UINT_EQ(evs[0].generation, begin->generation);
	ASSERT_UINT_EQ(evs[0].seq, begin->seq);
	ASSERT_UINT_EQ(evs[0].lost_from, begin->lost_from);
	ASSERT_INT_EQ(evs[n - 1].kind, VASD_EVENT_RESYNC_END);
	ASSERT_UINT_EQ(evs[n - 1].generation, snap->generation);
	ASSERT_UINT_EQ(evs[n - 1].seq, snap->seq);
	for (size_t i = 0; i < n; i++) {
		ASSERT_INT_EQ(evs[i].position, 0);
		ASSERT_UINT_EQ(evs[i].timestamp, NOW);
		ASSERT_UINT_EQ(evs[i].recorded, NOW);
		if (i > 0)
			ASSERT_UINT_EQ(evs[i].reason, 0);
		if (i > 0 && i < n - 1) {
			ASSERT_UINT_EQ(evs[i].generation, 0);
			ASSERT_UINT_EQ(evs[i].seq, 0);
		}
		ASSERT_INT_EQ(vasd_apply(s, &evs[i], NULL), VASD_APPLY_APPLIED);
	}
	ASSERT(vasd_state_equal(s, want));
	*ret_n = n;
	return evs;
}

static void expect_event(const struct vasd_event *ev, int kind, uint32_t id)
{
	if (ev->kind != kind || ev->window.id != id)
		TEST_FAIL("expected %s %u, got %s %u",
			  vasd_event_kind_to_string(kind), id,
			  vasd_event_kind_to_string(ev->kind), ev->window.id);
}

static void test_empty_to_snapshot(void)
{
	_cleanup_(vasd_state_freep) struct vasd_state *s = state_new();
	struct vas_window ws[] = {
		active(9, VAS_WIN_TYPE_QOS),
		suspended(2, VAS_WIN_TYPE_DEFAULT, VAS_SUSPEND_REASON_CREDITS),
		active(5, VAS_WIN_TYPE_DEFAULT),
	};
	struct vasd_snapshot snap = {
		.generation = GEN,
		.seq = 30,
		.windows = ws,
		.n_windows = ELEMENTSOF(ws),
		.migration = { .stream_id = 0, .phase = 0, .token = 0 },
		.has_migration = true,
	};
	const struct vasd_event begin = { .reason = VASD_RESYNC_START };
	struct vasd_event *evs;
	size_t n;

	set_caps(&snap, VAS_WIN_TYPE_DEFAULT, 8);
	set_caps(&snap, VAS_WIN_TYPE_QOS, 2);
	evs = reconcile(s, &snap, &begin, &n);
	ASSERT_INT_EQ(n, 8);
	expect_event(&evs[1], VASD_EVENT_RESYNC_WINDOW_ADD, 2);
	ASSERT(vasd_window_equal(&evs[1].window, &ws[1]));
	expect_event(&evs[2], VASD_EVENT_RESYNC_WINDOW_ADD, 5);
	ASSERT(vasd_window_equal(&evs[2].window, &ws[2]));
	expect_event(&evs[3], VASD_EVENT_RESYNC_WINDOW_ADD, 9);
	ASSERT(vasd_window_equal(&evs[3].window, &ws[0]));
	ASSERT_INT_EQ(evs[4].kind, VASD_EVENT_RESYNC_CAPS);
	ASSERT_UINT_EQ(evs[4].caps.type, VAS_WIN_TYPE_DEFAULT);
	ASSERT_UINT_EQ(evs[4].caps.total, 8);
	ASSERT_UINT_EQ(evs[4].caps.used, 1);
	ASSERT_INT_EQ(evs[5].kind, VASD_EVENT_RESYNC_CAPS);
	ASSERT_UINT_EQ(evs[5].caps.type, VAS_WIN_TYPE_QOS);
	ASSERT_UINT_EQ(evs[5].caps.total, 2);
	ASSERT_UINT_EQ(evs[5].caps.used, 1);
	/* "no migration ever" is a migration too: the dump has one */
	ASSERT_INT_EQ(evs[6].kind, VASD_EVENT_RESYNC_MIGRATION);
	ASSERT_UINT_EQ(evs[6].migration.phase, VAS_MIGRATION_PHASE_NONE);
	ASSERT(vasd_state_synced(s));
	ASSERT_UINT_EQ(vasd_state_n_windows(s), 3);
	free(evs);
}

static void test_snapshot_to_empty(void)
{
	_cleanup_(vasd_state_freep) struct vasd_state *s = state_new();
	const struct vas_migration m = { .stream_id = 7, .phase = 5, .token = 1 };
	struct vasd_snapshot snap = {
		.generation = GEN,
		.seq = 50,
		.migration = m,
		.has_migration = true,
	};
	struct vasd_event begin = {
		.kind = VASD_EVENT_WINDOW_ADD,	/* only the four fields count */
		.position = 12,
		.timestamp = 1,
		.reason = VASD_RESYNC_GAP,
		.generation = GEN,
		.seq = 49,
		.lost_from = 47,
		.window = active(1, 0),
	};
	struct vasd_event *evs;
	struct vas_window w;
	size_t n;

	put(s, active(3, 0));
	put(s, active(1, 0));
	put(s, suspended(4, 1, VAS_SUSPEND_REASON_MIGRATION));
	put_caps(s, VAS_WIN_TYPE_DEFAULT, 4);
	vasd_state_put_migration(s, &m);
	vasd_state_put_cursor(s, GEN, 46, true);

	set_caps(&snap, VAS_WIN_TYPE_DEFAULT, 4);
	set_caps(&snap, VAS_WIN_TYPE_QOS, 2);
	evs = reconcile(s, &snap, &begin, &n);
	ASSERT_INT_EQ(n, 6);
	ASSERT_INT_EQ(evs[0].kind, VASD_EVENT_RESYNC_BEGIN);
	ASSERT_UINT_EQ(evs[0].window.id, 0);
	expect_event(&evs[1], VASD_EVENT_RESYNC_WINDOW_DEL, 1);
	w = active(1, 0);
	ASSERT(vasd_window_equal(&evs[1].window, &w));
	expect_event(&evs[2], VASD_EVENT_RESYNC_WINDOW_DEL, 3);
	expect_event(&evs[3], VASD_EVENT_RESYNC_WINDOW_DEL, 4);
	ASSERT_UINT_EQ(evs[3].window.reason, VAS_SUSPEND_REASON_MIGRATION);
	/* default keeps its total (used follows the windows), qos is new */
	ASSERT_INT_EQ(evs[4].kind, VASD_EVENT_RESYNC_CAPS);
	ASSERT_UINT_EQ(evs[4].caps.type, VAS_WIN_TYPE_QOS);
	ASSERT_UINT_EQ(vasd_state_caps(s, VAS_WIN_TYPE_DEFAULT)->used, 0);
	ASSERT_UINT_EQ(vasd_state_n_windows(s), 0);
	free(evs);
}

/*
 * An id the kernel reused for another window is deleted and added, the
 * delete before any add; a window that was suspended or resumed changes.
 */
static void test_identity_and_state(void)
{
	_cleanup_(vasd_state_freep) struct vasd_state *s = state_new();
	struct vas_window ws[] = {
		active(5, 1),
		active(3, 0),
		suspended(2, 0, VAS_SUSPEND_REASON_MIGRATION),
		active(1, 0),
	};
	struct vasd_snapshot snap = {
		.generation = GEN,
		.seq = 90,
		.windows = ws,
		.n_windows = ELEMENTSOF(ws),
	};
	const struct vasd_event begin = { .reason = VASD_RESYNC_OVERRUN };
	struct vasd_event *evs;
	size_t n;

	put(s, active(1, 0));
	put(s, active(2, 0));
	put(s, suspended(3, 0, VAS_SUSPEND_REASON_CREDITS));
	put(s, active(4, 0));
	vasd_state_put_cursor(s, GEN, 80, true);
	ws[1].opened_at = TS + 1000;	/* id 3: another window */

	evs = reconcile(s, &snap, &begin, &n);
	ASSERT_INT_EQ(n, 7);
	expect_event(&evs[1], VASD_EVENT_RESYNC_WINDOW_DEL, 3);
	ASSERT_UINT_EQ(evs[1].window.opened_at, TS + 3);
	expect_event(&evs[2], VASD_EVENT_RESYNC_WINDOW_DEL, 4);
	expect_event(&evs[3], VASD_EVENT_RESYNC_WINDOW_CHANGE, 2);
	ASSERT_UINT_EQ(evs[3].window.state, VAS_WIN_STATE_SUSPENDED);
	ASSERT_UINT_EQ(evs[3].window.reason, VAS_SUSPEND_REASON_MIGRATION);
	expect_event(&evs[4], VASD_EVENT_RESYNC_WINDOW_ADD, 3);
	ASSERT_UINT_EQ(evs[4].window.opened_at, TS + 1000);
	expect_event(&evs[5], VASD_EVENT_RESYNC_WINDOW_ADD, 5);
	free(evs);

	/* each part of the identity counts */
	for (int part = 0; part < 6; part++) {
		struct vas_window w = ws[3];	/* what the state has */

		ws[3] = active(1, 0);
		switch (part) {
		case 0: ws[3].tgid++; break;
		case 1: ws[3].pid++; break;
		case 2: ws[3].comm[0] = 'C'; break;
		case 3: ws[3].cop++; break;
		case 4: ws[3].type = 1; break;
		default: ws[3].opened_at++; break;
		}
		evs = reconcile(s, &snap, &begin, &n);
		ASSERT_INT_EQ(n, 4);
		expect_event(&evs[1], VASD_EVENT_RESYNC_WINDOW_DEL, 1);
		ASSERT(vasd_window_equal(&evs[1].window, &w));
		expect_event(&evs[2], VASD_EVENT_RESYNC_WINDOW_ADD, 1);
		ASSERT(vasd_window_equal(&evs[2].window, &ws[3]));
		free(evs);
	}
}

/* A new kernel instance: the same ids are other windows, each replaced. */
static void test_new_generation(void)
{
	_cleanup_(vasd_state_freep) struct vasd_state *s = state_new();
	struct vas_window ws[] = { active(1, 0), active(2, 0), active(3, 1) };
	struct vasd_snapshot snap = {
		.generation = GEN2,
		.seq = 4,
		.windows = ws,
		.n_windows = ELEMENTSOF(ws),
	};
	const struct vasd_event begin = {
		.reason = VASD_RESYNC_GENERATION,
		.generation = GEN2,
		.seq = 5,
	};
	struct vasd_event *evs;
	size_t n;

	for (uint32_t id = 1; id <= 3; id++)
		put(s, active(id, 0));
	vasd_state_put_cursor(s, GEN, 900, true);
	for (size_t i = 0; i < ELEMENTSOF(ws); i++)
		ws[i].opened_at += 5000;

	evs = reconcile(s, &snap, &begin, &n);
	ASSERT_INT_EQ(n, 8);
	for (uint32_t id = 1; id <= 3; id++) {
		expect_event(&evs[id], VASD_EVENT_RESYNC_WINDOW_DEL, id);
		expect_event(&evs[3 + id], VASD_EVENT_RESYNC_WINDOW_ADD, id);
	}
	ASSERT_UINT_EQ(vasd_state_generation(s), GEN2);
	ASSERT_UINT_EQ(vasd_state_seq(s), 4);
	free(evs);
}

static void test_nothing_differs(void)
{
	_cleanup_(vasd_state_freep) struct vasd_state *s = state_new();
	struct vas_window ws[] = { active(1, 0), suspended(2, 1, 2) };
	struct vasd_snapshot snap = {
		.generation = GEN,
		.seq = 12,
		.windows = ws,
		.n_windows = ELEMENTSOF(ws),
		.migration = { .stream_id = 3, .phase = 4, .token = 5 },
		.has_migration = true,
	};
	const struct vasd_event begin = { .reason = VASD_RESYNC_INCONSISTENT };
	struct vasd_event *evs;
	size_t n;

	evs = reconcile(s, &snap, &begin, &n);
	free(evs);
	/* the same snapshot again: only the frame */
	snap.seq = 13;
	evs = reconcile(s, &snap, &begin, &n);
	ASSERT_INT_EQ(n, 2);
	ASSERT_UINT_EQ(vasd_state_seq(s), 13);
	free(evs);
}

static void test_caps_and_migration(void)
{
	_cleanup_(vasd_state_freep) struct vasd_state *s = state_new();
	struct vas_window ws[] = { active(1, 0) };
	struct vasd_snapshot snap = {
		.generation = GEN,
		.seq = 12,
		.windows = ws,
		.n_windows = ELEMENTSOF(ws),
	};
	const struct vasd_event begin = { .reason = VASD_RESYNC_GAP };
	struct vas_migration m = { .stream_id = 3, .phase = 4, .token = 5 };
	struct vasd_event *evs;
	size_t n;

	ASSERT_INT_EQ(vasd_state_put_window(s, &ws[0]), 0);
	put_caps(s, 0, 3);
	put_caps(s, 1, 9);
	vasd_state_put_migration(s, &m);

	/* nothing in the snapshot: the state keeps its credits and migration */
	evs = reconcile(s, &snap, &begin, &n);
	ASSERT_INT_EQ(n, 2);
	ASSERT_UINT_EQ(vasd_state_caps(s, 1)->total, 9);
	ASSERT_UINT_EQ(vasd_state_migration(s)->token, 5);
	free(evs);

	/* the same totals: nothing; another total: that type only */
	set_caps(&snap, 0, 3);
	set_caps(&snap, 1, 9);
	snap.migration = m;
	snap.has_migration = true;
	evs = reconcile(s, &snap, &begin, &n);
	ASSERT_INT_EQ(n, 2);
	free(evs);

	set_caps(&snap, 1, 10);
	evs = reconcile(s, &snap, &begin, &n);
	ASSERT_INT_EQ(n, 3);
	ASSERT_INT_EQ(evs[1].kind, VASD_EVENT_RESYNC_CAPS);
	ASSERT_UINT_EQ(evs[1].caps.type, 1);
	ASSERT_UINT_EQ(evs[1].caps.total, 10);
	ASSERT_UINT_EQ(evs[1].caps.used, 0);
	free(evs);

	/* any field of the migration */
	for (int field = 0; field < 3; field++) {
		if (field == 0)
			snap.migration.stream_id++;
		else if (field == 1)
			snap.migration.phase = VAS_MIGRATION_PHASE_ABORTED;
		else
			snap.migration.token = 0;
		evs = reconcile(s, &snap, &begin, &n);
		ASSERT_INT_EQ(n, 3);
		ASSERT_INT_EQ(evs[1].kind, VASD_EVENT_RESYNC_MIGRATION);
		ASSERT_UINT_EQ(evs[1].migration.stream_id,
			       snap.migration.stream_id);
		ASSERT_UINT_EQ(evs[1].migration.phase, snap.migration.phase);
		ASSERT_UINT_EQ(evs[1].migration.token, snap.migration.token);
		free(evs);
	}

	/* credits and migration come after the windows, in type order */
	ws[0].state = VAS_WIN_STATE_SUSPENDED;
	ws[0].reason = VAS_SUSPEND_REASON_CREDITS;
	set_caps(&snap, 1, 1);
	set_caps(&snap, 0, 1);
	snap.migration.phase = VAS_MIGRATION_PHASE_COMPLETED;
	evs = reconcile(s, &snap, &begin, &n);
	ASSERT_INT_EQ(n, 6);
	expect_event(&evs[1], VASD_EVENT_RESYNC_WINDOW_CHANGE, 1);
	ASSERT_INT_EQ(evs[2].kind, VASD_EVENT_RESYNC_CAPS);
	ASSERT_UINT_EQ(evs[2].caps.type, 0);
	ASSERT_INT_EQ(evs[3].kind, VASD_EVENT_RESYNC_CAPS);
	ASSERT_UINT_EQ(evs[3].caps.type, 1);
	ASSERT_INT_EQ(evs[4].kind, VASD_EVENT_RESYNC_MIGRATION);
	free(evs);
}

static void expect_invalid(const struct vasd_state *s,
			   const struct vasd_snapshot *snap,
			   const struct vasd_event *begin)
{
	struct vasd_event canary, *evs = &canary;
	size_t n = 4711;

	ASSERT_INT_EQ(vasd_reconcile(s, snap, begin, NOW, &evs, &n), -EINVAL);
	ASSERT(evs == &canary);
	ASSERT_UINT_EQ(n, 4711);
}

static void test_invalid(void)
{
	_cleanup_(vasd_state_freep) struct vasd_state *s = state_new();
	struct vas_window ws[3];
	struct vasd_snapshot snap = {
		.generation = GEN,
		.seq = 1,
		.windows = ws,
		.n_windows = ELEMENTSOF(ws),
	};
	struct vasd_event begin = { .reason = VASD_RESYNC_START };
	struct vasd_event *evs;
	size_t n;

#define RESET() do {							\
		ws[0] = active(4, 0);					\
		ws[1] = active(2, 1);					\
		ws[2] = suspended(9, 0, VAS_SUSPEND_REASON_CREDITS);	\
		snap.has_caps[0] = snap.has_caps[1] = false;		\
		snap.has_migration = false;				\
		set_caps(&snap, 0, 5);					\
		set_caps(&snap, 1, 5);					\
	} while (0)

	/* the valid one */
	RESET();
	ASSERT_INT_EQ(vasd_reconcile(s, &snap, &begin, NOW, &evs, &n), 0);
	free(evs);

	begin.reason = _VASD_RESYNC_REASON_MAX;
	expect_invalid(s, &snap, &begin);
	begin.reason = VASD_RESYNC_START;

	/* the same id twice, wherever it is */
	RESET();
	ws[2].id = 4;
	expect_invalid(s, &snap, &begin);
	RESET();
	ws[1] = ws[2];
	expect_invalid(s, &snap, &begin);

	/* window values apply() refuses */
	RESET();
	ws[1].type = 2;
	expect_invalid(s, &snap, &begin);
	RESET();
	ws[2].reason = VAS_SUSPEND_REASON_NONE;
	expect_invalid(s, &snap, &begin);
	RESET();
	ws[0].state = 5;
	expect_invalid(s, &snap, &begin);
	RESET();
	memset(ws[0].comm, 'x', sizeof(ws[0].comm));
	expect_invalid(s, &snap, &begin);

	/* credits that do not match the windows, or not their slot */
	RESET();
	snap.caps[0].used = 0;
	expect_invalid(s, &snap, &begin);
	RESET();
	snap.caps[1].used = 2;
	expect_invalid(s, &snap, &begin);
	RESET();
	snap.caps[1].type = 0;
	expect_invalid(s, &snap, &begin);
	/* unless the snapshot has none of that type */
	snap.has_caps[1] = false;
	ASSERT_INT_EQ(vasd_reconcile(s, &snap, &begin, NOW, &evs, &n), 0);
	free(evs);

	RESET();
	snap.has_migration = true;
	snap.migration.phase = VAS_MIGRATION_PHASE_ABORTED + 1;
	expect_invalid(s, &snap, &begin);
#undef RESET
}

/* A window of this id in any state, with few identities, so that they repeat. */
static struct vas_window random_window(uint32_t id)
{
	static const uint32_t states[][2] = {
		{ VAS_WIN_STATE_ACTIVE, VAS_SUSPEND_REASON_NONE },
		{ VAS_WIN_STATE_SUSPENDED, VAS_SUSPEND_REASON_MIGRATION },
		{ VAS_WIN_STATE_SUSPENDED, VAS_SUSPEND_REASON_CREDITS },
	};
	uint32_t st = rnd_below(3);
	struct vas_window w = test_window(id, rnd_below(2), states[st][0],
				  states[st][1]);

	w.opened_at = TS + rnd_below(3);
	w.tgid = 1 + rnd_below(2);
	return w;
}

static void random_snapshot(const struct vasd_state *s, struct vasd_snapshot *snap,
			    struct vas_window *buf, uint32_t max_id)
{
	*snap = (struct vasd_snapshot) {
		.generation = rnd_below(4) ? GEN : GEN2,
		.seq = rnd_below(1000),
		.windows = buf,
	};
	for (uint32_t id = 0; id < max_id; id++) {
		const struct vas_window *old = vasd_state_window(s, id);
		struct vas_window w;

		switch (rnd_below(old ? 4 : 2)) {
		case 0:
			continue;			/* absent */
		case 1:
			w = random_window(id);		/* whatever */
			break;
		case 2:
			w = *old;			/* the same */
			break;
		default:
			w = *old;			/* changed */
			w.state = VAS_WIN_STATE_SUSPENDED;
			w.reason = w.reason == VAS_SUSPEND_REASON_MIGRATION ?
				   VAS_SUSPEND_REASON_CREDITS :
				   VAS_SUSPEND_REASON_MIGRATION;
			break;
		}
		buf[snap->n_windows++] = w;
	}
	/* in dump order, which is no order */
	for (size_t i = snap->n_windows; i > 1; i--) {
		size_t j = rnd_below((uint32_t)i);
		struct vas_window tmp = buf[i - 1];

		buf[i - 1] = buf[j];
		buf[j] = tmp;
	}
	for (uint32_t t = 0; t < VASD_N_TYPES; t++)
		if (rnd_below(4))
			set_caps(snap, t, rnd_below(4));
	if (rnd_below(3)) {
		snap->migration = (struct vas_migration) {
			.stream_id = rnd_below(2),
			.phase = rnd_below(VAS_MIGRATION_PHASE_ABORTED + 1),
			.token = rnd_below(2),
		};
		snap->has_migration = true;
	}
}

/* The fixed order: deletes, adds and changes by id, credits by type, migration. */
static void check_order(const struct vasd_event *evs, size_t n)
{
	int stage = -1;
	uint32_t last = 0;

	for (size_t i = 1; i < n - 1; i++) {
		int st;
		uint32_t key;

		switch (evs[i].kind) {
		case VASD_EVENT_RESYNC_WINDOW_DEL:
			st = 0;
			key = evs[i].window.id;
			break;
		case VASD_EVENT_RESYNC_WINDOW_ADD:
		case VASD_EVENT_RESYNC_WINDOW_CHANGE:
			st = 1;
			key = evs[i].window.id;
			break;
		case VASD_EVENT_RESYNC_CAPS:
			st = 2;
			key = evs[i].caps.type;
			break;
		case VASD_EVENT_RESYNC_MIGRATION:
			st = 3;
			key = 0;
			break;
		default:
			TEST_FAIL("unexpected %s in a resync",
				  vasd_event_kind_to_string(evs[i].kind));
		}
		ASSERT(st >= stage);
		if (st == stage)
			ASSERT(key > last);
		stage = st;
		last = key;
	}
}

/* For any state and snapshot: the events make the state the snapshot's. */
static void test_property(void)
{
	enum { MAX_ID = 40 };
	struct vas_window buf[MAX_ID];
	unsigned int seen[_VASD_EVENT_KIND_MAX] = { 0 };

	rnd_state = 0xfeedbeef;
	for (int round = 0; round < 3000; round++) {
		_cleanup_(vasd_state_freep) struct vasd_state *s = state_new();
		struct vasd_event begin = {
			.reason = rnd_below(_VASD_RESYNC_REASON_MAX),
			.generation = rnd(),
			.seq = rnd(),
			.lost_from = rnd(),
		};
		struct vasd_snapshot snap;
		struct vasd_event *evs;
		size_t n;

		for (uint32_t id = 0; id < MAX_ID; id++) {
			struct vas_window w = random_window(id);

			if (rnd_below(2))
				ASSERT_INT_EQ(vasd_state_put_window(s, &w), 0);
		}
		for (uint32_t t = 0; t < VASD_N_TYPES; t++)
			if (rnd_below(2))
				put_caps(s, t, rnd_below(4));
		if (rnd_below(2)) {
			struct vas_migration m = {
				.stream_id = rnd_below(2),
				.phase = rnd_below(3),
				.token = rnd_below(2),
			};

			vasd_state_put_migration(s, &m);
		}
		vasd_state_put_cursor(s, rnd_below(2) ? GEN : GEN2,
				      rnd_below(1000), rnd_below(2));

		/* two resyncs in a row, the second from where the first left */
		for (int i = 0; i < 2; i++) {
			random_snapshot(s, &snap, buf, MAX_ID);
			evs = reconcile(s, &snap, &begin, &n);
			check_order(evs, n);
			for (size_t j = 0; j < n; j++)
				seen[evs[j].kind]++;
			free(evs);

			/* and then nothing is left to do */
			evs = reconcile(s, &snap, &begin, &n);
			ASSERT_INT_EQ(n, 2);
			free(evs);
		}
	}
	for (int kind = VASD_EVENT_RESYNC_BEGIN; kind <= VASD_EVENT_RESYNC_END;
	     kind++)
		if (seen[kind] < 100)
			TEST_FAIL("%s: %u", vasd_event_kind_to_string(kind),
				  seen[kind]);
}

int main(void)
{
	test_empty_to_snapshot();
	test_snapshot_to_empty();
	test_identity_and_state();
	test_new_generation();
	test_nothing_differs();
	test_caps_and_migration();
	test_invalid();
	test_property();
	return 0;
}
