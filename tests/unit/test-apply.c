// SPDX-License-Identifier: GPL-2.0-only
/*
 * vasd_apply(): every kind and every result, the exact effects, a state
 * left untouched by whatever is not applied, the window table under load,
 * and a simulated kernel driving the fold through losses, duplicates and
 * reloads: what was applied live, replayed into a fresh state, gives the
 * same state, and the effects alone rebuild it too.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include "core/state-internal.h"
#include "test.h"
#include "test-fixtures.h"

#define GEN 0x8c3f0a1b2c3d4e5fULL
#define GEN2 0x1234567890abcdefULL

static struct vas_window active(uint32_t id, uint32_t type)
{
	return test_window(id, type, VAS_WIN_STATE_ACTIVE, VAS_SUSPEND_REASON_NONE);
}

static struct vasd_event kev(int kind, uint64_t gen, uint64_t seq)
{
	return (struct vasd_event) {
		.kind = kind,
		.generation = gen,
		.seq = seq,
		.timestamp = TS + seq,
		.recorded = TS + seq + 1,
	};
}

static struct vasd_event kwin(int kind, uint64_t seq, struct vas_window w)
{
	struct vasd_event ev = kev(kind, GEN, seq);

	ev.window = w;
	return ev;
}

static struct vasd_event own(int kind)
{
	return (struct vasd_event) { .kind = kind, .timestamp = TS };
}

static struct vasd_event own_win(int kind, struct vas_window w)
{
	struct vasd_event ev = own(kind);

	ev.window = w;
	return ev;
}

static struct vasd_event caps_ev(int kind, uint64_t seq, uint32_t type,
				 uint32_t total, uint32_t used)
{
	struct vasd_event ev = kev(kind, GEN, seq);

	ev.caps = (struct vas_caps) { .type = type, .total = total,
				      .used = used };
	return ev;
}

static struct vasd_state *state_new(void)
{
	struct vasd_state *s = NULL;

	ASSERT_INT_EQ(vasd_state_new(&s), 0);
	ASSERT(s);
	return s;
}

/*
 * Apply ev to s expecting result. twin is s before the call and follows
 * every applied event, so s must equal it afterwards: a refused event
 * changed nothing, and its effect was not written.
 */
static struct vasd_effect expect(struct vasd_state *s, struct vasd_state *twin,
				 const struct vasd_event *ev, int result)
{
	struct vasd_effect e, canary;

	memset(&e, 0xa5, sizeof(e));
	memcpy(&canary, &e, sizeof(e));
	ASSERT_INT_EQ(vasd_apply(s, ev, &e), result);
	if (result == VASD_APPLY_APPLIED) {
		ASSERT_INT_EQ(vasd_apply(twin, ev, NULL), result);
		ASSERT_UINT_EQ(e.generation, vasd_state_generation(s));
		ASSERT_UINT_EQ(e.seq, vasd_state_seq(s));
		ASSERT_INT_EQ(e.synced, vasd_state_synced(s));
	} else {
		ASSERT(memcmp(&e, &canary, sizeof(e)) == 0);
	}
	ASSERT(vasd_state_equal(s, twin));
	return e;
}

static void sync_at(struct vasd_state *s, struct vasd_state *twin,
		    uint64_t gen, uint64_t seq)
{
	struct vasd_event ev = own(VASD_EVENT_RESYNC_BEGIN);

	expect(s, twin, &ev, VASD_APPLY_APPLIED);
	ev = own(VASD_EVENT_RESYNC_END);
	ev.generation = gen;
	ev.seq = seq;
	expect(s, twin, &ev, VASD_APPLY_APPLIED);
}

static void assert_window(const struct vasd_state *s, const struct vas_window *w)
{
	const struct vas_window *got = vasd_state_window(s, w->id);

	ASSERT(got);
	ASSERT(vasd_window_equal(got, w));
}

static void test_new(void)
{
	_cleanup_(vasd_state_freep) struct vasd_state *s = state_new();
	_cleanup_(vasd_state_freep) struct vasd_state *t = state_new();
	size_t cursor = 0;

	ASSERT_UINT_EQ(vasd_state_generation(s), 0);
	ASSERT_UINT_EQ(vasd_state_seq(s), 0);
	ASSERT(!vasd_state_synced(s));
	ASSERT_UINT_EQ(vasd_state_n_windows(s), 0);
	ASSERT_UINT_EQ(vasd_state_n_windows_in(s, VAS_WIN_STATE_ACTIVE), 0);
	ASSERT_UINT_EQ(vasd_state_n_windows_in(s, VAS_WIN_STATE_SUSPENDED), 0);
	ASSERT_NULL(vasd_state_window(s, 0));
	ASSERT_NULL(vasd_state_window(s, 1));
	ASSERT_NULL(vasd_state_next_window(s, &cursor));
	ASSERT_NULL(vasd_state_caps(s, VAS_WIN_TYPE_DEFAULT));
	ASSERT_NULL(vasd_state_caps(s, VAS_WIN_TYPE_QOS));
	ASSERT_NULL(vasd_state_caps(s, VASD_N_TYPES));
	ASSERT_NULL(vasd_state_migration(s));
	ASSERT(vasd_state_equal(s, t));
	ASSERT_NULL(vasd_state_free(NULL));
}

/* Each kernel kind, applied at the next seq, with its exact effect. */
static void test_kernel_kinds(void)
{
	_cleanup_(vasd_state_freep) struct vasd_state *s = state_new();
	_cleanup_(vasd_state_freep) struct vasd_state *t = state_new();
	struct vas_window a = active(5, VAS_WIN_TYPE_DEFAULT);
	struct vas_window q = test_window(6, VAS_WIN_TYPE_QOS, VAS_WIN_STATE_SUSPENDED,
				  VAS_SUSPEND_REASON_CREDITS);
	const unsigned int cur = VASD_EFFECT_CURSOR;
	struct vasd_effect e;
	struct vasd_event ev;

	sync_at(s, t, GEN, 10);
	ev = caps_ev(VASD_EVENT_RESYNC_CAPS, 0, VAS_WIN_TYPE_DEFAULT, 4, 0);
	e = expect(s, t, &ev, VASD_APPLY_APPLIED);
	ASSERT_UINT_EQ(e.what, VASD_EFFECT_CAPS);

	/* an active window takes a credit: the caps row follows */
	ev = kwin(VASD_EVENT_WINDOW_ADD, 11, a);
	e = expect(s, t, &ev, VASD_APPLY_APPLIED);
	ASSERT_UINT_EQ(e.what, VASD_EFFECT_WINDOW_PUT | VASD_EFFECT_CAPS | cur);
	ASSERT(vasd_window_equal(&e.window, &a));
	ASSERT_UINT_EQ(e.caps.type, VAS_WIN_TYPE_DEFAULT);
	ASSERT_UINT_EQ(e.caps.total, 4);
	ASSERT_UINT_EQ(e.caps.used, 1);
	ASSERT_UINT_EQ(e.generation, GEN);
	ASSERT_UINT_EQ(e.seq, 11);
	ASSERT(e.synced);
	ASSERT_UINT_EQ(vasd_state_seq(s), 11);
	ASSERT_UINT_EQ(vasd_state_caps(s, VAS_WIN_TYPE_DEFAULT)->used, 1);
	assert_window(s, &a);

	/* a suspended one does not, nor one of a type without caps */
	ev = kwin(VASD_EVENT_WINDOW_ADD, 12, q);
	e = expect(s, t, &ev, VASD_APPLY_APPLIED);
	ASSERT_UINT_EQ(e.what, VASD_EFFECT_WINDOW_PUT | cur);
	ASSERT(vasd_window_equal(&e.window, &q));
	ASSERT_UINT_EQ(vasd_state_n_windows(s), 2);
	ASSERT_UINT_EQ(vasd_state_n_windows_in(s, VAS_WIN_STATE_ACTIVE), 1);
	ASSERT_UINT_EQ(vasd_state_n_windows_in(s, VAS_WIN_STATE_SUSPENDED), 1);

	/* change: state and reason replaced, identity kept, credit freed */
	a.state = VAS_WIN_STATE_SUSPENDED;
	a.reason = VAS_SUSPEND_REASON_MIGRATION;
	ev = kwin(VASD_EVENT_WINDOW_CHANGE, 13, a);
	e = expect(s, t, &ev, VASD_APPLY_APPLIED);
	ASSERT_UINT_EQ(e.what, VASD_EFFECT_WINDOW_PUT | VASD_EFFECT_CAPS | cur);
	ASSERT(vasd_window_equal(&e.window, &a));
	ASSERT_UINT_EQ(e.caps.used, 0);
	ASSERT_UINT_EQ(e.caps.total, 4);
	assert_window(s, &a);
	ASSERT_UINT_EQ(vasd_state_n_windows_in(s, VAS_WIN_STATE_SUSPENDED), 2);

	/* another reason of suspension moves no credit */
	a.reason = VAS_SUSPEND_REASON_CREDITS;
	ev = kwin(VASD_EVENT_WINDOW_CHANGE, 14, a);
	e = expect(s, t, &ev, VASD_APPLY_APPLIED);
	ASSERT_UINT_EQ(e.what, VASD_EFFECT_WINDOW_PUT | cur);
	assert_window(s, &a);

	a = active(5, VAS_WIN_TYPE_DEFAULT);
	ev = kwin(VASD_EVENT_WINDOW_CHANGE, 15, a);
	e = expect(s, t, &ev, VASD_APPLY_APPLIED);
	ASSERT_UINT_EQ(e.what, VASD_EFFECT_WINDOW_PUT | VASD_EFFECT_CAPS | cur);
	ASSERT_UINT_EQ(e.caps.used, 1);

	/* del carries the last attributes; the effect has the stored window */
	ev = kwin(VASD_EVENT_WINDOW_DEL, 16, a);
	e = expect(s, t, &ev, VASD_APPLY_APPLIED);
	ASSERT_UINT_EQ(e.what, VASD_EFFECT_WINDOW_DEL | VASD_EFFECT_CAPS | cur);
	ASSERT(vasd_window_equal(&e.window, &a));
	ASSERT_UINT_EQ(e.caps.used, 0);
	ASSERT_NULL(vasd_state_window(s, 5));
	ASSERT_UINT_EQ(vasd_state_caps(s, VAS_WIN_TYPE_DEFAULT)->used, 0);

	ev = kwin(VASD_EVENT_WINDOW_DEL, 17, q);
	e = expect(s, t, &ev, VASD_APPLY_APPLIED);
	ASSERT_UINT_EQ(e.what, VASD_EFFECT_WINDOW_DEL | cur);
	ASSERT(vasd_window_equal(&e.window, &q));
	ASSERT_UINT_EQ(vasd_state_n_windows(s), 0);

	/* caps: the total is replaced, per type */
	ev = caps_ev(VASD_EVENT_CAPS_CHANGE, 18, VAS_WIN_TYPE_QOS, 7, 0);
	e = expect(s, t, &ev, VASD_APPLY_APPLIED);
	ASSERT_UINT_EQ(e.what, VASD_EFFECT_CAPS | cur);
	ASSERT_UINT_EQ(e.caps.type, VAS_WIN_TYPE_QOS);
	ASSERT_UINT_EQ(e.caps.total, 7);
	ASSERT_UINT_EQ(e.caps.used, 0);
	ASSERT_UINT_EQ(vasd_state_caps(s, VAS_WIN_TYPE_QOS)->total, 7);
	ASSERT_UINT_EQ(vasd_state_caps(s, VAS_WIN_TYPE_DEFAULT)->total, 4);

	ev = caps_ev(VASD_EVENT_CAPS_CHANGE, 19, VAS_WIN_TYPE_DEFAULT, 2, 0);
	e = expect(s, t, &ev, VASD_APPLY_APPLIED);
	ASSERT_UINT_EQ(vasd_state_caps(s, VAS_WIN_TYPE_DEFAULT)->total, 2);
	ASSERT_UINT_EQ(vasd_state_caps(s, VAS_WIN_TYPE_QOS)->total, 7);

	/* migration: replaced whole */
	ev = kev(VASD_EVENT_MIGRATION_CHANGE, GEN, 20);
	ev.migration = (struct vas_migration) {
		.stream_id = 4711,
		.phase = VAS_MIGRATION_PHASE_PREPARE,
		.token = 99,
	};
	e = expect(s, t, &ev, VASD_APPLY_APPLIED);
	ASSERT_UINT_EQ(e.what, VASD_EFFECT_MIGRATION | cur);
	ASSERT_UINT_EQ(e.migration.stream_id, 4711);
	ASSERT_UINT_EQ(e.migration.phase, VAS_MIGRATION_PHASE_PREPARE);
	ASSERT_UINT_EQ(e.migration.token, 99);
	ASSERT_UINT_EQ(vasd_state_migration(s)->token, 99);

	ev.seq = 21;
	ev.migration.phase = VAS_MIGRATION_PHASE_ABORTED;
	ev.migration.token = 0;
	e = expect(s, t, &ev, VASD_APPLY_APPLIED);
	ASSERT_UINT_EQ(vasd_state_migration(s)->phase,
		       VAS_MIGRATION_PHASE_ABORTED);
	ASSERT_UINT_EQ(vasd_state_migration(s)->stream_id, 4711);
	ASSERT_UINT_EQ(vasd_state_migration(s)->token, 0);
	ASSERT_UINT_EQ(vasd_state_seq(s), 21);
}

/* GENERATION, STALE and GAP, for every kernel kind. */
static void test_cursor(void)
{
	static const int kinds[] = {
		VASD_EVENT_WINDOW_ADD, VASD_EVENT_WINDOW_DEL,
		VASD_EVENT_WINDOW_CHANGE, VASD_EVENT_CAPS_CHANGE,
		VASD_EVENT_MIGRATION_CHANGE,
	};
	_cleanup_(vasd_state_freep) struct vasd_state *s = state_new();
	_cleanup_(vasd_state_freep) struct vasd_state *t = state_new();
	struct vasd_event ev;

	for (size_t i = 0; i < ELEMENTSOF(kinds); i++) {
		/* each would apply at GEN 11: only the cursor decides */
		_cleanup_(vasd_state_freep) struct vasd_state *s2 = state_new();
		_cleanup_(vasd_state_freep) struct vasd_state *t2 = state_new();

		ev = own_win(VASD_EVENT_RESYNC_WINDOW_ADD,
			     active(5, VAS_WIN_TYPE_DEFAULT));
		expect(s2, t2, &ev, VASD_APPLY_APPLIED);

		ev.kind = kinds[i];
		ev.seq = 1;
		if (kinds[i] == VASD_EVENT_WINDOW_ADD)
			ev.window.id = 6;
		if (kinds[i] == VASD_EVENT_WINDOW_CHANGE)
			ev.window = test_window(5, VAS_WIN_TYPE_DEFAULT,
					VAS_WIN_STATE_SUSPENDED,
					VAS_SUSPEND_REASON_CREDITS);
		ev.caps = (struct vas_caps) { .type = 0, .total = 1, .used = 1 };

		/* never synced: generation 0 is no match either */
		ev.generation = 0;
		expect(s2, t2, &ev, VASD_APPLY_GENERATION);
		ev.generation = GEN;
		expect(s2, t2, &ev, VASD_APPLY_GENERATION);

		sync_at(s2, t2, GEN, 10);
		ev.seq = 10;
		expect(s2, t2, &ev, VASD_APPLY_STALE);
		ev.seq = 0;
		expect(s2, t2, &ev, VASD_APPLY_STALE);
		ev.seq = 12;
		expect(s2, t2, &ev, VASD_APPLY_GAP);
		ev.seq = UINT64_MAX;
		expect(s2, t2, &ev, VASD_APPLY_GAP);
		ev.seq = 11;
		ev.generation = GEN2;
		expect(s2, t2, &ev, VASD_APPLY_GENERATION);
		ev.generation = 0;
		expect(s2, t2, &ev, VASD_APPLY_GENERATION);

		/* a resync under way: nothing of the kernel applies */
		ev.generation = GEN;
		{
			struct vasd_event b = own(VASD_EVENT_RESYNC_BEGIN);

			expect(s2, t2, &b, VASD_APPLY_APPLIED);
			expect(s2, t2, &ev, VASD_APPLY_GENERATION);
			sync_at(s2, t2, GEN, 10);
		}

		expect(s2, t2, &ev, VASD_APPLY_APPLIED);
		ASSERT_UINT_EQ(vasd_state_seq(s2), 11);
		/* applying it again is a duplicate */
		expect(s2, t2, &ev, VASD_APPLY_STALE);
		ev.seq = 10;
		expect(s2, t2, &ev, VASD_APPLY_STALE);
	}

	/* the last seq there is: everything is stale */
	sync_at(s, t, GEN, UINT64_MAX);
	ev = kev(VASD_EVENT_MIGRATION_CHANGE, GEN, UINT64_MAX);
	expect(s, t, &ev, VASD_APPLY_STALE);
	ev.seq = 0;
	expect(s, t, &ev, VASD_APPLY_STALE);
}

/* Events that contradict the state, kernel and resync kinds alike. */
static void test_inconsistent(void)
{
	_cleanup_(vasd_state_freep) struct vasd_state *s = state_new();
	_cleanup_(vasd_state_freep) struct vasd_state *t = state_new();
	const struct vas_window a = active(5, VAS_WIN_TYPE_DEFAULT);
	struct vas_window w;
	struct vasd_event ev;

	sync_at(s, t, GEN, 10);
	ev = own_win(VASD_EVENT_RESYNC_WINDOW_ADD, a);
	expect(s, t, &ev, VASD_APPLY_APPLIED);
	ev = caps_ev(VASD_EVENT_RESYNC_CAPS, 0, VAS_WIN_TYPE_DEFAULT, 4, 1);
	expect(s, t, &ev, VASD_APPLY_APPLIED);

	/* add of a present id, even as it is */
	ev = kwin(VASD_EVENT_WINDOW_ADD, 11, a);
	expect(s, t, &ev, VASD_APPLY_INCONSISTENT);
	ev.window.opened_at++;
	expect(s, t, &ev, VASD_APPLY_INCONSISTENT);

	/* del or change of an absent id */
	ev = kwin(VASD_EVENT_WINDOW_DEL, 11, active(9, VAS_WIN_TYPE_DEFAULT));
	expect(s, t, &ev, VASD_APPLY_INCONSISTENT);
	ev.kind = VASD_EVENT_WINDOW_CHANGE;
	expect(s, t, &ev, VASD_APPLY_INCONSISTENT);

	/* del whose last attributes are not what we have */
	w = a;
	w.state = VAS_WIN_STATE_SUSPENDED;
	w.reason = VAS_SUSPEND_REASON_MIGRATION;
	ev = kwin(VASD_EVENT_WINDOW_DEL, 11, w);
	expect(s, t, &ev, VASD_APPLY_INCONSISTENT);
	w.id = 6;
	ev = own_win(VASD_EVENT_RESYNC_WINDOW_ADD, w);
	expect(s, t, &ev, VASD_APPLY_APPLIED);
	w.reason = VAS_SUSPEND_REASON_CREDITS;
	ev = kwin(VASD_EVENT_WINDOW_DEL, 11, w);
	expect(s, t, &ev, VASD_APPLY_INCONSISTENT);
	w = a;
	strcpy(w.comm, "other");
	ev.window = w;
	expect(s, t, &ev, VASD_APPLY_INCONSISTENT);
	w = a;
	w.pid++;
	ev.window = w;
	expect(s, t, &ev, VASD_APPLY_INCONSISTENT);

	/* change of another window under the same id */
	w = a;
	w.opened_at++;
	w.state = VAS_WIN_STATE_SUSPENDED;
	w.reason = VAS_SUSPEND_REASON_MIGRATION;
	ev = kwin(VASD_EVENT_WINDOW_CHANGE, 11, w);
	expect(s, t, &ev, VASD_APPLY_INCONSISTENT);
	w = a;
	w.type = VAS_WIN_TYPE_QOS;
	ev.window = w;
	expect(s, t, &ev, VASD_APPLY_INCONSISTENT);
	w = a;
	w.tgid++;
	ev.window = w;
	expect(s, t, &ev, VASD_APPLY_INCONSISTENT);
	w = a;
	w.cop++;
	ev.window = w;
	expect(s, t, &ev, VASD_APPLY_INCONSISTENT);

	/* credits whose used is not our count of active windows */
	ev = caps_ev(VASD_EVENT_CAPS_CHANGE, 11, VAS_WIN_TYPE_DEFAULT, 4, 0);
	expect(s, t, &ev, VASD_APPLY_INCONSISTENT);
	ev.caps.used = 2;
	expect(s, t, &ev, VASD_APPLY_INCONSISTENT);
	ev = caps_ev(VASD_EVENT_CAPS_CHANGE, 11, VAS_WIN_TYPE_QOS, 4, 1);
	expect(s, t, &ev, VASD_APPLY_INCONSISTENT);

	/* the same for vasd's kinds */
	ev = own_win(VASD_EVENT_RESYNC_WINDOW_ADD, a);
	expect(s, t, &ev, VASD_APPLY_INCONSISTENT);
	ev = own_win(VASD_EVENT_RESYNC_WINDOW_DEL,
		     active(9, VAS_WIN_TYPE_DEFAULT));
	expect(s, t, &ev, VASD_APPLY_INCONSISTENT);
	ev.kind = VASD_EVENT_RESYNC_WINDOW_CHANGE;
	expect(s, t, &ev, VASD_APPLY_INCONSISTENT);
	w = a;
	w.opened_at--;
	ev = own_win(VASD_EVENT_RESYNC_WINDOW_DEL, w);
	expect(s, t, &ev, VASD_APPLY_INCONSISTENT);
	ev.kind = VASD_EVENT_RESYNC_WINDOW_CHANGE;
	expect(s, t, &ev, VASD_APPLY_INCONSISTENT);
	ev = caps_ev(VASD_EVENT_RESYNC_CAPS, 0, VAS_WIN_TYPE_DEFAULT, 4, 0);
	expect(s, t, &ev, VASD_APPLY_INCONSISTENT);

	/* none of it moved the cursor: the next seq still applies */
	ASSERT_UINT_EQ(vasd_state_seq(s), 10);
	ev = kwin(VASD_EVENT_WINDOW_DEL, 11, a);
	expect(s, t, &ev, VASD_APPLY_APPLIED);
}

/* Malformed whatever the state: -EINVAL before any cursor check. */
static void test_invalid(void)
{
	_cleanup_(vasd_state_freep) struct vasd_state *s = state_new();
	_cleanup_(vasd_state_freep) struct vasd_state *t = state_new();
	static const struct {
		uint32_t type, state, reason;
	} bad_windows[] = {
		{ 2, VAS_WIN_STATE_ACTIVE, VAS_SUSPEND_REASON_NONE },
		{ UINT32_MAX, VAS_WIN_STATE_ACTIVE, VAS_SUSPEND_REASON_NONE },
		{ 0, 2, VAS_SUSPEND_REASON_MIGRATION },
		{ 0, VAS_WIN_STATE_SUSPENDED, 3 },
		{ 0, VAS_WIN_STATE_ACTIVE, VAS_SUSPEND_REASON_CREDITS },
		{ 0, VAS_WIN_STATE_ACTIVE, VAS_SUSPEND_REASON_MIGRATION },
		{ 0, VAS_WIN_STATE_SUSPENDED, VAS_SUSPEND_REASON_NONE },
	};
	static const int window_kinds[] = {
		VASD_EVENT_WINDOW_ADD, VASD_EVENT_WINDOW_DEL,
		VASD_EVENT_WINDOW_CHANGE, VASD_EVENT_RESYNC_WINDOW_ADD,
		VASD_EVENT_RESYNC_WINDOW_DEL, VASD_EVENT_RESYNC_WINDOW_CHANGE,
	};
	struct vasd_event ev;

	sync_at(s, t, GEN, 10);
	ev = own_win(VASD_EVENT_RESYNC_WINDOW_ADD, active(5, 0));
	expect(s, t, &ev, VASD_APPLY_APPLIED);

	ev = own(-1);
	expect(s, t, &ev, -EINVAL);
	ev = own(_VASD_EVENT_KIND_MAX);
	expect(s, t, &ev, -EINVAL);
	ev = own(_VASD_EVENT_KIND_INVALID);
	expect(s, t, &ev, -EINVAL);

	for (size_t i = 0; i < ELEMENTSOF(window_kinds); i++) {
		for (size_t j = 0; j < ELEMENTSOF(bad_windows); j++) {
			/* id 5 is present, 6 is not: each kind would apply to one */
			for (uint32_t id = 5; id <= 6; id++) {
				ev = kwin(window_kinds[i], 11,
					  test_window(id, bad_windows[j].type,
					      bad_windows[j].state,
					      bad_windows[j].reason));
				expect(s, t, &ev, -EINVAL);
				/* stale or not */
				ev.seq = 3;
				expect(s, t, &ev, -EINVAL);
			}
		}
		/* a comm without its NUL */
		ev = kwin(window_kinds[i], 11, active(5, 0));
		memset(ev.window.comm, 'x', sizeof(ev.window.comm));
		expect(s, t, &ev, -EINVAL);
	}

	ev = caps_ev(VASD_EVENT_CAPS_CHANGE, 11, VASD_N_TYPES, 4, 0);
	expect(s, t, &ev, -EINVAL);
	ev.kind = VASD_EVENT_RESYNC_CAPS;
	expect(s, t, &ev, -EINVAL);

	ev = kev(VASD_EVENT_MIGRATION_CHANGE, GEN, 11);
	ev.migration.phase = VAS_MIGRATION_PHASE_ABORTED + 1;
	expect(s, t, &ev, -EINVAL);
	ev.kind = VASD_EVENT_RESYNC_MIGRATION;
	expect(s, t, &ev, -EINVAL);

	ev = own(VASD_EVENT_RESYNC_BEGIN);
	ev.reason = _VASD_RESYNC_REASON_MAX;
	expect(s, t, &ev, -EINVAL);

	/* the boundary values are fine, and the cursor is where it was */
	ev = kev(VASD_EVENT_MIGRATION_CHANGE, GEN, 11);
	ev.migration.phase = VAS_MIGRATION_PHASE_ABORTED;
	expect(s, t, &ev, VASD_APPLY_APPLIED);
	ev = own(VASD_EVENT_RESYNC_BEGIN);
	ev.reason = VASD_RESYNC_INCONSISTENT;
	expect(s, t, &ev, VASD_APPLY_APPLIED);
	/* a coprocessor this build does not know is still a window */
	ev = own_win(VASD_EVENT_RESYNC_WINDOW_ADD, active(6, 1));
	ev.window.cop = 77;
	expect(s, t, &ev, VASD_APPLY_APPLIED);
}

/* vasd's own kinds apply whatever the cursor, and only they move it so. */
static void test_own_kinds(void)
{
	_cleanup_(vasd_state_freep) struct vasd_state *s = state_new();
	_cleanup_(vasd_state_freep) struct vasd_state *t = state_new();
	struct vas_window w = active(7, VAS_WIN_TYPE_QOS);
	struct vasd_effect e;
	struct vasd_event ev;

	/* the gen/seq a RESYNC_BEGIN carries only say what showed the need */
	ev = own(VASD_EVENT_RESYNC_BEGIN);
	ev.reason = VASD_RESYNC_GAP;
	ev.generation = GEN;
	ev.seq = 40;
	ev.lost_from = 33;
	e = expect(s, t, &ev, VASD_APPLY_APPLIED);
	ASSERT_UINT_EQ(e.what, VASD_EFFECT_CURSOR);
	ASSERT_UINT_EQ(e.generation, 0);
	ASSERT_UINT_EQ(e.seq, 0);
	ASSERT(!e.synced);

	/* seq is not looked at */
	ev = own_win(VASD_EVENT_RESYNC_WINDOW_ADD, w);
	ev.generation = GEN2;
	ev.seq = 999;
	e = expect(s, t, &ev, VASD_APPLY_APPLIED);
	ASSERT_UINT_EQ(e.what, VASD_EFFECT_WINDOW_PUT);
	ASSERT(vasd_window_equal(&e.window, &w));
	ASSERT_UINT_EQ(vasd_state_seq(s), 0);
	assert_window(s, &w);

	ev = caps_ev(VASD_EVENT_RESYNC_CAPS, 0, VAS_WIN_TYPE_QOS, 3, 1);
	e = expect(s, t, &ev, VASD_APPLY_APPLIED);
	ASSERT_UINT_EQ(e.what, VASD_EFFECT_CAPS);
	ASSERT_UINT_EQ(e.caps.type, VAS_WIN_TYPE_QOS);
	ASSERT_UINT_EQ(e.caps.total, 3);
	ASSERT_UINT_EQ(e.caps.used, 1);

	w.state = VAS_WIN_STATE_SUSPENDED;
	w.reason = VAS_SUSPEND_REASON_CREDITS;
	ev = own_win(VASD_EVENT_RESYNC_WINDOW_CHANGE, w);
	e = expect(s, t, &ev, VASD_APPLY_APPLIED);
	ASSERT_UINT_EQ(e.what, VASD_EFFECT_WINDOW_PUT | VASD_EFFECT_CAPS);
	ASSERT_UINT_EQ(e.caps.used, 0);
	assert_window(s, &w);

	ev = own(VASD_EVENT_RESYNC_MIGRATION);
	ev.migration.phase = VAS_MIGRATION_PHASE_NONE;
	e = expect(s, t, &ev, VASD_APPLY_APPLIED);
	ASSERT_UINT_EQ(e.what, VASD_EFFECT_MIGRATION);
	ASSERT(vasd_state_migration(s));
	ASSERT_UINT_EQ(vasd_state_migration(s)->phase, VAS_MIGRATION_PHASE_NONE);

	ev = own_win(VASD_EVENT_RESYNC_WINDOW_DEL, w);
	e = expect(s, t, &ev, VASD_APPLY_APPLIED);
	ASSERT_UINT_EQ(e.what, VASD_EFFECT_WINDOW_DEL);
	ASSERT(vasd_window_equal(&e.window, &w));
	ASSERT_UINT_EQ(vasd_state_n_windows(s), 0);
	ASSERT(!vasd_state_synced(s));

	ev = own(VASD_EVENT_RESYNC_END);
	ev.generation = GEN;
	ev.seq = 41;
	e = expect(s, t, &ev, VASD_APPLY_APPLIED);
	ASSERT_UINT_EQ(e.what, VASD_EFFECT_CURSOR);
	ASSERT_UINT_EQ(e.generation, GEN);
	ASSERT_UINT_EQ(e.seq, 41);
	ASSERT(e.synced);
	ASSERT_UINT_EQ(vasd_state_generation(s), GEN);
	ASSERT_UINT_EQ(vasd_state_seq(s), 41);
	ASSERT(vasd_state_synced(s));

	/* start and stop are facts of the ledger only */
	ev = own(VASD_EVENT_DAEMON_START);
	e = expect(s, t, &ev, VASD_APPLY_APPLIED);
	ASSERT_UINT_EQ(e.what, 0);
	ev = own(VASD_EVENT_DAEMON_STOP);
	e = expect(s, t, &ev, VASD_APPLY_APPLIED);
	ASSERT_UINT_EQ(e.what, 0);
	ASSERT(vasd_state_synced(s));
	ASSERT_UINT_EQ(vasd_state_seq(s), 41);

	/* a resync of a synced state keeps its cursor until it ends */
	ev = own(VASD_EVENT_RESYNC_BEGIN);
	e = expect(s, t, &ev, VASD_APPLY_APPLIED);
	ASSERT_UINT_EQ(e.what, VASD_EFFECT_CURSOR);
	ASSERT_UINT_EQ(e.generation, GEN);
	ASSERT_UINT_EQ(e.seq, 41);
	ASSERT(!e.synced);
	ASSERT(!vasd_state_synced(s));

	/* the end may go backwards: a new instance starts low */
	ev = own(VASD_EVENT_RESYNC_END);
	ev.generation = GEN2;
	ev.seq = 2;
	expect(s, t, &ev, VASD_APPLY_APPLIED);
	ASSERT_UINT_EQ(vasd_state_generation(s), GEN2);
	ASSERT_UINT_EQ(vasd_state_seq(s), 2);

	/* no effect wanted */
	ev = own(VASD_EVENT_DAEMON_START);
	ASSERT_INT_EQ(vasd_apply(s, &ev, NULL), VASD_APPLY_APPLIED);
}

/* Every coordinator kind, each what, and the malformed ones, on s. */
static void coord_kinds_on(struct vasd_state *s, struct vasd_state *t)
{
	size_t windows = vasd_state_n_windows(s);
	uint64_t seq = vasd_state_seq(s);
	bool synced = vasd_state_synced(s);
	struct vasd_event ev;
	struct vasd_effect e;

	for (int kind = 0; kind < _VASD_EVENT_KIND_MAX; kind++) {
		uint32_t n = 0;

		if (!vasd_event_kind_is_coord(kind))
			continue;
		while (vasd_coord_what_to_string(kind, n))
			n++;
		for (uint32_t what = 0; what < (n ? n : 1); what++) {
			ev = own(kind);
			ev.coord = (struct vasd_coord) {
				.migration = 3, .lock = 7, .since = TS - 1,
				.what = what, .count = 2, .total = 5,
				.pid = 812, .uid = 1000, .comm = "nxjob",
			};
			ev.window = active(4, VAS_WIN_TYPE_QOS);
			ev.migration.phase = VAS_MIGRATION_PHASE_SUSPENDED;
			e = expect(s, t, &ev, VASD_APPLY_APPLIED);
			ASSERT_UINT_EQ(e.what, 0);
			ASSERT_UINT_EQ(vasd_state_n_windows(s), windows);
			ASSERT_NULL(vasd_state_migration(s));
			ASSERT_UINT_EQ(vasd_state_seq(s), seq);
			ASSERT_INT_EQ(vasd_state_synced(s), synced);
		}
		ev = own(kind);
		ev.coord.what = n ? n : 1;
		expect(s, t, &ev, -EINVAL);
		ev.coord.what = UINT32_MAX;
		expect(s, t, &ev, -EINVAL);
		ev = own(kind);
		memset(ev.coord.comm, 'x', sizeof(ev.coord.comm));
		expect(s, t, &ev, -EINVAL);
	}
}

/*
 * The coordinator's kinds are facts of the ledger only: they apply
 * whatever the state (synced or not) and change nothing; a what out of
 * range or a comm without its NUL is refused.
 */
static void test_coord_kinds(void)
{
	_cleanup_(vasd_state_freep) struct vasd_state *s = state_new();
	_cleanup_(vasd_state_freep) struct vasd_state *t = state_new();
	struct vasd_event ev;

	coord_kinds_on(s, t);
	sync_at(s, t, GEN, 10);
	ev = own_win(VASD_EVENT_RESYNC_WINDOW_ADD, active(9, VAS_WIN_TYPE_DEFAULT));
	expect(s, t, &ev, VASD_APPLY_APPLIED);
	coord_kinds_on(s, t);
}

/* What the state compares, one difference at a time. */
static void test_equal(void)
{
	_cleanup_(vasd_state_freep) struct vasd_state *a = state_new();
	_cleanup_(vasd_state_freep) struct vasd_state *b = state_new();
	struct vas_window w = active(3, 0), w2;
	struct vas_caps c = { .type = 1, .total = 5 };
	struct vas_migration m = { .stream_id = 1, .phase = 2, .token = 3 };

	ASSERT_INT_EQ(vasd_state_put_window(a, &w), 0);
	ASSERT(!vasd_state_equal(a, b));
	ASSERT(!vasd_state_equal(b, a));
	w2 = w;
	w2.reason = VAS_SUSPEND_REASON_CREDITS;
	w2.state = VAS_WIN_STATE_SUSPENDED;
	ASSERT_INT_EQ(vasd_state_put_window(b, &w2), 0);
	ASSERT(!vasd_state_equal(a, b));
	vasd_state_set_window_state(a, 3, VAS_WIN_STATE_SUSPENDED,
				    VAS_SUSPEND_REASON_MIGRATION);
	ASSERT(!vasd_state_equal(a, b));
	vasd_state_set_window_state(a, 3, VAS_WIN_STATE_ACTIVE,
				    VAS_SUSPEND_REASON_NONE);
	vasd_state_set_window_state(b, 3, VAS_WIN_STATE_ACTIVE,
				    VAS_SUSPEND_REASON_NONE);
	ASSERT(vasd_state_equal(a, b));

	/* a comm equal up to its NUL is equal */
	vasd_state_del_window(b, 3);
	w2 = w;
	w2.comm[sizeof(w2.comm) - 1] = '\0';
	w2.comm[sizeof(w2.comm) - 2] = 'z';
	ASSERT_INT_EQ(vasd_state_put_window(b, &w2), 0);
	ASSERT(vasd_state_equal(a, b));
	vasd_state_del_window(b, 3);
	w2.opened_at++;
	ASSERT_INT_EQ(vasd_state_put_window(b, &w2), 0);
	ASSERT(!vasd_state_equal(a, b));
	vasd_state_del_window(b, 3);
	ASSERT_INT_EQ(vasd_state_put_window(b, &w), 0);
	ASSERT(vasd_state_equal(a, b));

	vasd_state_put_caps(a, &c);
	ASSERT(!vasd_state_equal(a, b));
	c.total = 6;
	vasd_state_put_caps(b, &c);
	ASSERT(!vasd_state_equal(a, b));
	c.total = 5;
	/* used is not taken from the caller */
	c.used = 77;
	vasd_state_put_caps(b, &c);
	ASSERT(vasd_state_equal(a, b));
	ASSERT_UINT_EQ(vasd_state_caps(b, 1)->used, 0);
	c.type = VASD_N_TYPES;
	vasd_state_put_caps(b, &c);
	ASSERT_NULL(vasd_state_caps(b, VASD_N_TYPES));
	ASSERT(vasd_state_equal(a, b));

	vasd_state_put_migration(a, &m);
	ASSERT(!vasd_state_equal(a, b));
	m.token++;
	vasd_state_put_migration(b, &m);
	ASSERT(!vasd_state_equal(a, b));
	m.token--;
	vasd_state_put_migration(b, &m);
	ASSERT(vasd_state_equal(a, b));

	vasd_state_put_cursor(a, GEN, 4, true);
	ASSERT(!vasd_state_equal(a, b));
	vasd_state_put_cursor(b, GEN, 4, false);
	ASSERT(!vasd_state_equal(a, b));
	vasd_state_put_cursor(b, GEN, 5, true);
	ASSERT(!vasd_state_equal(a, b));
	vasd_state_put_cursor(b, GEN2, 4, true);
	ASSERT(!vasd_state_equal(a, b));
	vasd_state_put_cursor(b, GEN, 4, true);
	ASSERT(vasd_state_equal(a, b));

	/* put_window refuses what apply() refuses, and a second id */
	ASSERT_INT_EQ(vasd_state_put_window(a, &w), -EEXIST);
	w2 = active(9, VASD_N_TYPES);
	ASSERT_INT_EQ(vasd_state_put_window(a, &w2), -EINVAL);
	ASSERT(vasd_state_equal(a, b));
}

/*
 * The table against a plain bitmap: random ids over all of u32 (0 and
 * UINT32_MAX included), then many adds and deletes among few ids so that
 * probe runs wrap around a small table and deletions shift them back.
 */
static void check_table(const struct vasd_state *s, const uint32_t *ids,
			size_t n)
{
	size_t cursor = 0, seen = 0;
	const struct vas_window *w;

	ASSERT_UINT_EQ(vasd_state_n_windows(s), n);
	for (size_t i = 0; i < n; i++) {
		w = vasd_state_window(s, ids[i]);
		ASSERT(w);
		ASSERT_UINT_EQ(w->id, ids[i]);
		ASSERT_UINT_EQ(w->opened_at, TS + ids[i]);
	}
	while ((w = vasd_state_next_window(s, &cursor)))
		seen++;
	ASSERT_UINT_EQ(seen, n);
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void test_table(void)
{
	enum { N = 100000, SMALL = 1024 };
	_cleanup_(vasd_state_freep) struct vasd_state *s = state_new();
	uint32_t *ids = calloc(N, sizeof(*ids));
	uint32_t *sorted = calloc(N, sizeof(*sorted));
	uint8_t present[SMALL] = { 0 };
	size_t n = 0, n_small = 0;
	struct vasd_event ev;

	ASSERT(ids && sorted);
	rnd_state = 0x5eed;
	ids[n++] = 0;
	ids[n++] = UINT32_MAX;
	while (n < N) {
		uint32_t id = (uint32_t)rnd();

		if (vasd_state_window(s, id))
			continue;
		ids[n++] = id;
	}
	for (size_t i = 0; i < n; i++) {
		struct vas_window w = active(ids[i], ids[i] & 1);

		ASSERT_INT_EQ(vasd_state_put_window(s, &w), 0);
	}
	check_table(s, ids, n);
	memcpy(sorted, ids, N * sizeof(*ids));
	qsort(sorted, N, sizeof(*sorted), u32_cmp);
	for (size_t i = 0; i < N; i++) {
		uint32_t id = (uint32_t)rnd();

		if (!bsearch(&id, sorted, N, sizeof(*sorted), u32_cmp))
			ASSERT_NULL(vasd_state_window(s, id));
	}

	/* delete every other one through apply(), the rest stay findable */
	for (size_t i = 0; i < n; i += 2) {
		ev = own_win(VASD_EVENT_RESYNC_WINDOW_DEL,
			     active(ids[i], ids[i] & 1));
		ASSERT_INT_EQ(vasd_apply(s, &ev, NULL), VASD_APPLY_APPLIED);
	}
	for (size_t i = 0; i < n; i++) {
		if (i % 2 == 0)
			ASSERT_NULL(vasd_state_window(s, ids[i]));
		else
			ids[i / 2] = ids[i];
	}
	n /= 2;
	check_table(s, ids, n);
	ASSERT_UINT_EQ(vasd_state_n_windows_in(s, VAS_WIN_STATE_ACTIVE), n);
	for (size_t i = 0; i < n; i++) {
		ev = own_win(VASD_EVENT_RESYNC_WINDOW_DEL,
			     active(ids[i], ids[i] & 1));
		ASSERT_INT_EQ(vasd_apply(s, &ev, NULL), VASD_APPLY_APPLIED);
	}
	check_table(s, ids, 0);
	ASSERT_NULL(vasd_state_caps(s, 0));

	for (int round = 0; round < 200000; round++) {
		uint32_t id = rnd_below(SMALL) * 7919u;
		uint32_t i = id / 7919u;

		if (present[i]) {
			ev = own_win(VASD_EVENT_RESYNC_WINDOW_DEL,
				     active(id, 0));
			present[i] = 0;
			n_small--;
		} else {
			ev = own_win(VASD_EVENT_RESYNC_WINDOW_ADD,
				     active(id, 0));
			present[i] = 1;
			n_small++;
		}
		ASSERT_INT_EQ(vasd_apply(s, &ev, NULL), VASD_APPLY_APPLIED);
		if (round % 4096 == 0 || round > 199000) {
			n = 0;
			for (uint32_t k = 0; k < SMALL; k++) {
				if (present[k])
					ids[n++] = k * 7919u;
				else
					ASSERT_NULL(vasd_state_window(s, k * 7919u));
			}
			ASSERT_UINT_EQ(n, n_small);
			check_table(s, ids, n);
		}
	}
	free(ids);
	free(sorted);
}

/*
 * A kernel as the simulator behaves (kernel/vas-sim.c): ids reused lowest
 * first, a credit per active window, DLPAR suspends the newest active
 * windows and resumes the oldest suspended ones, a migration suspends and
 * resumes them all, a reload forgets everything and takes a new
 * generation. Every change is one event with the next seq.
 */
#define MAX_IDS 48

struct kernel {
	uint64_t gen;
	uint64_t seq;
	uint64_t clock;
	struct vas_window w[MAX_IDS];	/* by id; id 0 unused */
	bool present[MAX_IDS];
	uint32_t total[VASD_N_TYPES];
	struct vas_migration mig;
	struct vasd_event out[4 * MAX_IDS];	/* the last operation's events */
	size_t n_out;
};

static uint32_t kernel_used(const struct kernel *k, uint32_t type)
{
	uint32_t n = 0;

	for (uint32_t id = 1; id < MAX_IDS; id++)
		if (k->present[id] && k->w[id].type == type &&
		    k->w[id].state == VAS_WIN_STATE_ACTIVE)
			n++;
	return n;
}

static struct vasd_event *kernel_emit(struct kernel *k, int kind)
{
	struct vasd_event *ev = &k->out[k->n_out++];

	*ev = kev(kind, k->gen, ++k->seq);
	ev->timestamp = ++k->clock;
	ev->recorded = k->clock;
	return ev;
}

static void kernel_reload(struct kernel *k)
{
	memset(k->present, 0, sizeof(k->present));
	k->gen = rnd() | 1;
	k->seq = 0;
	k->total[0] = 1 + rnd_below(12);
	k->total[1] = rnd_below(6);
	k->mig = (struct vas_migration) { 0 };
}

static void kernel_set_state(struct kernel *k, uint32_t id, uint32_t state,
			     uint32_t reason)
{
	k->w[id].state = state;
	k->w[id].reason = reason;
	kernel_emit(k, VASD_EVENT_WINDOW_CHANGE)->window = k->w[id];
}

static void kernel_open(struct kernel *k)
{
	uint32_t type = rnd_below(VASD_N_TYPES);

	if (kernel_used(k, type) >= k->total[type])
		return;
	for (uint32_t id = 1; id < MAX_IDS; id++) {
		if (k->present[id])
			continue;
		k->w[id] = (struct vas_window) {
			.id = id,
			.tgid = 100 + rnd_below(5),
			.cop = VAS_COP_GZIP,
			.type = type,
			.state = VAS_WIN_STATE_ACTIVE,
			.opened_at = ++k->clock,
		};
		k->w[id].pid = k->w[id].tgid + rnd_below(3);
		snprintf(k->w[id].comm, sizeof(k->w[id].comm), "proc%u",
			 k->w[id].tgid);
		k->present[id] = true;
		kernel_emit(k, VASD_EVENT_WINDOW_ADD)->window = k->w[id];
		return;
	}
}

static void kernel_close(struct kernel *k)
{
	uint32_t id = 1 + rnd_below(MAX_IDS - 1);

	if (!k->present[id])
		return;
	k->present[id] = false;
	kernel_emit(k, VASD_EVENT_WINDOW_DEL)->window = k->w[id];
}

/* The active window of a type opened last, or the suspended one first. */
static uint32_t kernel_pick(const struct kernel *k, uint32_t type,
			    uint32_t state, bool newest)
{
	uint32_t best = 0;

	for (uint32_t id = 1; id < MAX_IDS; id++) {
		const struct vas_window *w = &k->w[id];

		if (!k->present[id] || w->type != type || w->state != state)
			continue;
		if (!best || (newest ? w->opened_at > k->w[best].opened_at :
				       w->opened_at < k->w[best].opened_at))
			best = id;
	}
	return best;
}

static void kernel_dlpar(struct kernel *k)
{
	uint32_t type = rnd_below(VASD_N_TYPES);
	uint32_t total = rnd_below(14), id;
	struct vasd_event *ev;

	if (total == k->total[type])
		return;
	while (kernel_used(k, type) > total) {
		id = kernel_pick(k, type, VAS_WIN_STATE_ACTIVE, true);
		kernel_set_state(k, id, VAS_WIN_STATE_SUSPENDED,
				 VAS_SUSPEND_REASON_CREDITS);
	}
	while (kernel_used(k, type) < total &&
	       (id = kernel_pick(k, type, VAS_WIN_STATE_SUSPENDED, false)))
		kernel_set_state(k, id, VAS_WIN_STATE_ACTIVE,
				 VAS_SUSPEND_REASON_NONE);
	k->total[type] = total;
	ev = kernel_emit(k, VASD_EVENT_CAPS_CHANGE);
	ev->caps = (struct vas_caps) {
		.type = type,
		.total = total,
		.used = kernel_used(k, type),
	};
}

static void kernel_phase(struct kernel *k, uint32_t phase)
{
	k->mig.phase = phase;
	kernel_emit(k, VASD_EVENT_MIGRATION_CHANGE)->migration = k->mig;
}

static void kernel_migrate(struct kernel *k)
{
	k->mig.stream_id = rnd();
	k->mig.token = rnd() | 1;
	kernel_phase(k, VAS_MIGRATION_PHASE_PREPARE);
	kernel_phase(k, VAS_MIGRATION_PHASE_SUSPENDING);
	for (uint32_t id = 1; id < MAX_IDS; id++)
		if (k->present[id] && k->w[id].state == VAS_WIN_STATE_ACTIVE)
			kernel_set_state(k, id, VAS_WIN_STATE_SUSPENDED,
					 VAS_SUSPEND_REASON_MIGRATION);
	kernel_phase(k, VAS_MIGRATION_PHASE_SUSPENDED);
	for (uint32_t id = 1; id < MAX_IDS; id++)
		if (k->present[id] &&
		    k->w[id].reason == VAS_SUSPEND_REASON_MIGRATION)
			kernel_set_state(k, id, VAS_WIN_STATE_ACTIVE,
					 VAS_SUSPEND_REASON_NONE);
	kernel_phase(k, VAS_MIGRATION_PHASE_RESUMED);
	kernel_phase(k, rnd_below(4) ? VAS_MIGRATION_PHASE_COMPLETED :
				       VAS_MIGRATION_PHASE_ABORTED);
}

/* What the kernel's dumps give, and the state vasd should have from them. */
static struct vasd_snapshot kernel_snapshot(const struct kernel *k,
					    struct vas_window *buf)
{
	struct vasd_snapshot snap = {
		.generation = k->gen,
		.seq = k->seq,
		.windows = buf,
		.migration = k->mig,
		.has_migration = true,
	};

	/* in no particular order: reconcile must not rely on the dump's */
	for (uint32_t i = 0; i < MAX_IDS; i++) {
		uint32_t id = (i * 17 + (uint32_t)k->seq) % MAX_IDS;

		if (k->present[id])
			buf[snap.n_windows++] = k->w[id];
	}
	for (uint32_t t = 0; t < VASD_N_TYPES; t++) {
		snap.caps[t] = (struct vas_caps) {
			.type = t,
			.total = k->total[t],
			.used = kernel_used(k, t),
		};
		snap.has_caps[t] = true;
	}
	return snap;
}

static struct vasd_state *kernel_state(const struct kernel *k)
{
	struct vasd_state *s = state_new();

	for (uint32_t id = 1; id < MAX_IDS; id++)
		if (k->present[id])
			ASSERT_INT_EQ(vasd_state_put_window(s, &k->w[id]), 0);
	for (uint32_t t = 0; t < VASD_N_TYPES; t++) {
		struct vas_caps c = { .type = t, .total = k->total[t] };

		vasd_state_put_caps(s, &c);
	}
	vasd_state_put_migration(s, &k->mig);
	vasd_state_put_cursor(s, k->gen, k->seq, true);
	return s;
}

/*
 * vasd as the tests see it: the live state, the ledger (every applied
 * event and its effect), and a projection rebuilt from the effects only.
 */
struct daemon {
	struct vasd_state *live;
	struct vasd_state *mirror;
	struct vas_caps caps_rows[VASD_N_TYPES];
	struct vasd_event *log;
	struct vasd_effect *effects;
	size_t n_log, n_log_alloc;
	unsigned int results[VASD_APPLY_INCONSISTENT + 1];
	unsigned int applied[_VASD_EVENT_KIND_MAX];
	unsigned int resyncs;
};

static void mirror_effect(struct daemon *d, const struct vasd_effect *e)
{
	if (e->what & VASD_EFFECT_WINDOW_DEL) {
		ASSERT(vasd_state_window(d->mirror, e->window.id));
		vasd_state_del_window(d->mirror, e->window.id);
	}
	if (e->what & VASD_EFFECT_WINDOW_PUT) {
		if (vasd_state_window(d->mirror, e->window.id))
			vasd_state_del_window(d->mirror, e->window.id);
		ASSERT_INT_EQ(vasd_state_put_window(d->mirror, &e->window), 0);
	}
	if (e->what & VASD_EFFECT_CAPS) {
		vasd_state_put_caps(d->mirror, &e->caps);
		d->caps_rows[e->caps.type] = e->caps;
	}
	if (e->what & VASD_EFFECT_MIGRATION)
		vasd_state_put_migration(d->mirror, &e->migration);
	if (e->what & VASD_EFFECT_CURSOR)
		vasd_state_put_cursor(d->mirror, e->generation, e->seq,
				      e->synced);
}

static void record(struct daemon *d, const struct vasd_event *ev,
		   const struct vasd_effect *e)
{
	if (d->n_log == d->n_log_alloc) {
		d->n_log_alloc = d->n_log_alloc ? d->n_log_alloc * 2 : 1024;
		d->log = reallocarray(d->log, d->n_log_alloc, sizeof(*d->log));
		d->effects = reallocarray(d->effects, d->n_log_alloc,
					  sizeof(*d->effects));
		ASSERT(d->log && d->effects);
	}
	d->log[d->n_log] = *ev;
	d->effects[d->n_log] = *e;
	d->n_log++;
	d->applied[ev->kind]++;
	mirror_effect(d, e);
}

static void resync(struct daemon *d, const struct kernel *k, uint32_t reason,
		   const struct vasd_event *cause)
{
	_cleanup_(vasd_state_freep) struct vasd_state *want = kernel_state(k);
	struct vas_window buf[MAX_IDS];
	struct vasd_snapshot snap = kernel_snapshot(k, buf);
	struct vasd_event begin = { .reason = reason }, *evs = NULL;
	size_t n = 0;

	if (cause) {
		begin.generation = cause->generation;
		begin.seq = cause->seq;
		if (reason == VASD_RESYNC_GAP)
			begin.lost_from = vasd_state_seq(d->live) + 1;
	}
	ASSERT_INT_EQ(vasd_reconcile(d->live, &snap, &begin, k->clock, &evs,
				     &n), 0);
	ASSERT(n >= 2);
	for (size_t i = 0; i < n; i++) {
		struct vasd_effect e;

		ASSERT_INT_EQ(vasd_apply(d->live, &evs[i], &e),
			      VASD_APPLY_APPLIED);
		record(d, &evs[i], &e);
	}
	free(evs);
	ASSERT(vasd_state_equal(d->live, want));
	d->resyncs++;
}

static void deliver(struct daemon *d, const struct kernel *k,
		    const struct vasd_event *ev)
{
	struct vasd_effect e;
	int r;

	r = vasd_apply(d->live, ev, &e);
	ASSERT(r >= 0);
	d->results[r]++;
	switch (r) {
	case VASD_APPLY_APPLIED:
		record(d, ev, &e);
		return;
	case VASD_APPLY_STALE:
		return;
	case VASD_APPLY_GAP:
		resync(d, k, VASD_RESYNC_GAP, ev);
		return;
	case VASD_APPLY_GENERATION:
		resync(d, k, VASD_RESYNC_GENERATION, ev);
		return;
	default:
		/* the kernel model and apply() disagree on what may follow */
		TEST_FAIL("event %d seq %llu inconsistent", ev->kind,
			  (unsigned long long)ev->seq);
	}
}

static bool effect_equal(const struct vasd_effect *a,
			 const struct vasd_effect *b)
{
	if (a->what != b->what || a->generation != b->generation ||
	    a->seq != b->seq || a->synced != b->synced)
		return false;
	if ((a->what & (VASD_EFFECT_WINDOW_PUT | VASD_EFFECT_WINDOW_DEL)) &&
	    !vasd_window_equal(&a->window, &b->window))
		return false;
	if ((a->what & VASD_EFFECT_CAPS) &&
	    (a->caps.type != b->caps.type || a->caps.total != b->caps.total ||
	     a->caps.used != b->caps.used))
		return false;
	if ((a->what & VASD_EFFECT_MIGRATION) &&
	    (a->migration.stream_id != b->migration.stream_id ||
	     a->migration.phase != b->migration.phase ||
	     a->migration.token != b->migration.token))
		return false;
	return true;
}

static void test_replay(uint64_t seed, int rounds)
{
	_cleanup_(vasd_state_freep) struct vasd_state *replay = state_new();
	_cleanup_(vasd_state_freep) struct vasd_state *want = NULL;
	struct daemon d = { .live = state_new(), .mirror = state_new() };
	struct kernel k = { 0 };
	struct vasd_event old[64];
	size_t n_old = 0;

	rnd_state = seed;
	kernel_reload(&k);

	/* what vasd does on start: nothing of the kernel applies before */
	{
		struct vasd_event ev = own(VASD_EVENT_DAEMON_START);
		struct vasd_effect e;

		ASSERT_INT_EQ(vasd_apply(d.live, &ev, &e), VASD_APPLY_APPLIED);
		record(&d, &ev, &e);
		resync(&d, &k, VASD_RESYNC_START, NULL);
	}

	for (int round = 0; round < rounds; round++) {
		uint32_t op = rnd_below(100);

		k.n_out = 0;
		if (op < 45)
			kernel_open(&k);
		else if (op < 80)
			kernel_close(&k);
		else if (op < 92)
			kernel_dlpar(&k);
		else if (op < 97)
			kernel_migrate(&k);
		else if (op < 98)
			kernel_reload(&k);
		else
			resync(&d, &k, VASD_RESYNC_OVERRUN, NULL);

		for (size_t i = 0; i < k.n_out; i++) {
			uint32_t fate = rnd_below(100);

			/* lost, delivered twice, or an old one again */
			if (fate < 2)
				continue;
			deliver(&d, &k, &k.out[i]);
			if (fate < 4)
				deliver(&d, &k, &k.out[i]);
			if (fate < 6 && n_old > 0)
				deliver(&d, &k, &old[rnd_below(n_old)]);
			if (n_old > 0 && old[0].generation != k.gen)
				n_old = 0;
			if (n_old < ELEMENTSOF(old))
				old[n_old++] = k.out[i];
			else
				old[rnd_below(n_old)] = k.out[i];
		}
	}
	resync(&d, &k, VASD_RESYNC_OVERRUN, NULL);
	/* the coordinator's facts, among the kernel's */
	for (int kind = VASD_EVENT_INHIBITOR_TAKE;
	     kind <= VASD_EVENT_MIGRATION_UNCOORDINATED; kind++) {
		struct vasd_event ev = own(kind);
		struct vasd_effect e;

		ev.coord.migration = 1;
		ASSERT_INT_EQ(vasd_apply(d.live, &ev, &e), VASD_APPLY_APPLIED);
		record(&d, &ev, &e);
	}
	{
		struct vasd_event ev = own(VASD_EVENT_DAEMON_STOP);
		struct vasd_effect e;

		ASSERT_INT_EQ(vasd_apply(d.live, &ev, &e), VASD_APPLY_APPLIED);
		record(&d, &ev, &e);
	}

	/* the workload reached every path */
	ASSERT(d.results[VASD_APPLY_STALE] > 0);
	ASSERT(d.results[VASD_APPLY_GAP] > 0);
	ASSERT(d.results[VASD_APPLY_GENERATION] > 1);
	for (int kind = 0; kind < _VASD_EVENT_KIND_MAX; kind++)
		if (d.applied[kind] == 0)
			TEST_FAIL("no %s applied", vasd_event_kind_to_string(kind));

	/* replay equals live, effect for effect */
	for (size_t i = 0; i < d.n_log; i++) {
		struct vasd_effect e;

		ASSERT_INT_EQ(vasd_apply(replay, &d.log[i], &e),
			      VASD_APPLY_APPLIED);
		ASSERT(effect_equal(&e, &d.effects[i]));
	}
	ASSERT(vasd_state_equal(replay, d.live));
	want = kernel_state(&k);
	ASSERT(vasd_state_equal(replay, want));

	/* the effects alone rebuild the projection, caps rows included */
	ASSERT(vasd_state_equal(d.mirror, d.live));
	for (uint32_t t = 0; t < VASD_N_TYPES; t++) {
		const struct vas_caps *c = vasd_state_caps(d.live, t);

		ASSERT(c);
		ASSERT_UINT_EQ(d.caps_rows[t].type, t);
		ASSERT_UINT_EQ(d.caps_rows[t].total, c->total);
		ASSERT_UINT_EQ(d.caps_rows[t].used, c->used);
	}

	printf("seed %#llx: %zu events, %u resyncs, %u applied, %u stale, %u gaps, %u generations\n",
	       (unsigned long long)seed, d.n_log, d.resyncs,
	       d.results[VASD_APPLY_APPLIED], d.results[VASD_APPLY_STALE],
	       d.results[VASD_APPLY_GAP], d.results[VASD_APPLY_GENERATION]);

	vasd_state_free(d.live);
	vasd_state_free(d.mirror);
	free(d.log);
	free(d.effects);
}

int main(void)
{
	test_new();
	test_kernel_kinds();
	test_cursor();
	test_inconsistent();
	test_invalid();
	test_own_kinds();
	test_coord_kinds();
	test_equal();
	test_table();
	test_replay(0x1, 20000);
	test_replay(0xdecafbad, 20000);
	test_replay(0x5eed5eed5eedULL, 5000);
	return 0;
}
