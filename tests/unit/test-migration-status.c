// SPDX-License-Identifier: GPL-2.0-only
/*
 * migration-status: one migration's record folded from the ledger's
 * events as `vasctl migration status` reads them: its hooks (the opening
 * one recorded before the open), vetoes, the delay locks asked and how
 * each ended, the wait, acks, anomalies, errors, the close; the blackout
 * from the record once closed and from the window events while open; and
 * the end of the fold at the next migration's open.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/migration-status.h"
#include "test-blackout.h"
#include "test.h"

#define TS 1764331234000000000ULL
#define SEC 1000000000ULL

/* A ledger's events, positions from 1, and the status folding them. */
struct fixture {
	struct migration_status s;
	int64_t position;
};

static int feed(struct fixture *f, struct vasd_event ev)
{
	ev.position = ++f->position;
	return migration_status_event(&f->s, &ev);
}

static struct vasd_event coord(int kind, uint64_t migration, uint32_t what,
			       uint64_t ts)
{
	return (struct vasd_event) {
		.kind = kind,
		.timestamp = ts,
		.coord = { .migration = migration, .what = what },
	};
}

static struct vasd_event holder(int kind, uint64_t migration, uint64_t lock,
				uint32_t pid, uint64_t ts)
{
	struct vasd_event ev = coord(kind, migration, 0, ts);

	ev.coord.lock = lock;
	ev.coord.pid = pid;
	ev.coord.uid = 1000;
	snprintf(ev.coord.comm, sizeof(ev.coord.comm), "job%u", pid);
	return ev;
}

static struct vasd_event window(uint32_t id, uint32_t tgid, uint32_t state,
				uint64_t ts)
{
	struct vasd_event ev = {
		.kind = VASD_EVENT_WINDOW_CHANGE,
		.timestamp = ts,
		.window = { .id = id, .tgid = tgid, .pid = tgid, .state = state,
			    .reason = state == VAS_WIN_STATE_SUSPENDED ?
				      VAS_SUSPEND_REASON_MIGRATION :
				      VAS_SUSPEND_REASON_NONE },
	};

	snprintf(ev.window.comm, sizeof(ev.window.comm), "proc%u", tgid);
	return ev;
}

/* The blackout in all, and its one client: tgid with comm. */
static struct migration_client expect_blackouts(const struct migration_status *s,
						uint64_t first, uint64_t last,
						uint32_t suspended, uint32_t resumed,
						uint32_t tgid, const char *comm)
{
	struct migration_blackout b;
	struct migration_client c;

	ASSERT(migration_status_blackout(s, &b));
	expect_blackout(&b, first, last, suspended, resumed);
	ASSERT_UINT_EQ(migration_status_n_clients(s), 1);
	c = migration_status_client(s, 0);
	ASSERT_UINT_EQ(c.tgid, tgid);
	ASSERT_STR_EQ(c.comm, comm);
	return c;
}

/*
 * Migration 2 after migration 1, as vasd records them: 2's check hook
 * comes before its open, after 1's close; the fold starts LOOKBACK back.
 */
static void ledger_before(struct fixture *f)
{
	ASSERT_INT_EQ(feed(f, coord(VASD_EVENT_MIGRATION_CLOSE, 1, VASD_OUTCOME_EXPIRED,
				    TS + 1)), 0);
	ASSERT_INT_EQ(feed(f, holder(VASD_EVENT_MIGRATION_HOOK, 2, 0, 77, TS + 2 * SEC)), 0);
}

static void test_closed(void)
{
	struct fixture f = { .position = 0 };
	struct migration_client c;
	struct vasd_event ev;

	/* 1's open at 1, 2's at 4: the fold starts at 4 - LOOKBACK */
	ASSERT_INT_EQ(migration_status_init(&f.s, 2, 4), 0);
	f.position = 4 - MIGRATION_STATUS_LOOKBACK - 1;
	ledger_before(&f);
	ASSERT_INT_EQ(f.position, 3);
	ASSERT(!f.s.opened);
	ASSERT_UINT_EQ(f.s.hooks.n, 1);

	ASSERT_INT_EQ(feed(&f, coord(VASD_EVENT_MIGRATION_OPEN, 2, VASD_ORIGIN_CHECK,
				     TS + 2 * SEC)), 0);
	ASSERT(f.s.opened);
	ASSERT_UINT_EQ(f.s.open.position, 4);
	ASSERT_INT_EQ(feed(&f, holder(VASD_EVENT_MIGRATION_HOOK, 2, 0, 78, TS + 3 * SEC)), 0);
	/* 5 was asked, released; 6 timed out, then released; 7 asked by an earlier vasd */
	ASSERT_INT_EQ(feed(&f, holder(VASD_EVENT_MIGRATION_ASKED, 2, 5, 500, TS + 3 * SEC)), 0);
	ASSERT_INT_EQ(feed(&f, holder(VASD_EVENT_MIGRATION_ASKED, 2, 6, 600, TS + 3 * SEC)), 0);
	ASSERT_INT_EQ(feed(&f, holder(VASD_EVENT_INHIBITOR_RELEASE, 2, 5, 500, TS + 4 * SEC)), 0);
	/* another migration's release and a lock never asked: not ours */
	ASSERT_INT_EQ(feed(&f, holder(VASD_EVENT_INHIBITOR_RELEASE, 0, 9, 900, TS + 4 * SEC)), 0);
	ASSERT_INT_EQ(feed(&f, holder(VASD_EVENT_MIGRATION_TIMEOUT, 2, 6, 600, TS + 8 * SEC)), 0);
	ev = holder(VASD_EVENT_MIGRATION_TIMEOUT, 2, 7, 700, TS + 8 * SEC);
	ev.coord.since = TS + SEC;
	ASSERT_INT_EQ(feed(&f, ev), 0);
	ev = coord(VASD_EVENT_MIGRATION_QUIESCED, 2, VASD_QUIESCE_TIMEOUT, TS + 8 * SEC);
	ev.coord.since = TS + 3 * SEC;
	ev.coord.count = 1;
	ev.coord.total = 3;
	ASSERT_INT_EQ(feed(&f, ev), 0);
	ev = coord(VASD_EVENT_MIGRATION_ACK, 2, 0, TS + 9 * SEC);
	ev.migration.stream_id = 42;
	ASSERT_INT_EQ(feed(&f, ev), 0);
	ASSERT_INT_EQ(feed(&f, window(1, 100, VAS_WIN_STATE_SUSPENDED, TS + 10 * SEC)), 0);
	ev = coord(VASD_EVENT_MIGRATION_ANOMALY, 2, VASD_ANOMALY_ACTIVE_AT_SUSPENDED,
		   TS + 10 * SEC);
	ev.window.id = 3;
	ASSERT_INT_EQ(feed(&f, ev), 0);
	ASSERT_INT_EQ(feed(&f, holder(VASD_EVENT_INHIBITOR_RELEASE, 2, 6, 600, TS + 11 * SEC)), 0);
	ASSERT_INT_EQ(feed(&f, window(1, 100, VAS_WIN_STATE_ACTIVE, TS + 12 * SEC)), 0);
	ASSERT_INT_EQ(feed(&f, coord(VASD_EVENT_MIGRATION_ERROR, 2,
				     VASD_COORD_ERROR_OUT_OF_ORDER, TS + 12 * SEC)), 0);

	/* open: the blackout so far is the window events' */
	c = expect_blackouts(&f.s, TS + 10 * SEC, TS + 12 * SEC, 1, 1, 100, "proc100");
	expect_blackout(&c.blackout, TS + 10 * SEC, TS + 12 * SEC, 1, 1);

	/* the records of the close: these, not the window events, are the blackout */
	ev = coord(VASD_EVENT_MIGRATION_BLACKOUT, 2, 0, TS + 13 * SEC);
	ev.coord.since = TS + 10 * SEC;
	ev.coord.total = 4;
	ev.coord.count = 3;
	ASSERT_INT_EQ(feed(&f, ev), 0);
	ev = holder(VASD_EVENT_MIGRATION_CLIENT_BLACKOUT, 2, 0, 200, TS + 13 * SEC);
	ev.coord.since = TS + 11 * SEC;
	ev.coord.total = 2;
	ev.coord.count = 1;
	ASSERT_INT_EQ(feed(&f, ev), 0);
	ASSERT_INT_EQ(feed(&f, coord(VASD_EVENT_MIGRATION_CLOSE, 2, VASD_OUTCOME_COMPLETED,
				     TS + 14 * SEC)), 0);
	/* after the close: not folded into the blackout any more */
	ASSERT_INT_EQ(feed(&f, window(8, 800, VAS_WIN_STATE_SUSPENDED, TS + 15 * SEC)), 0);
	/* the next migration opens: the fold ends, and keeps nothing of it */
	ASSERT_INT_EQ(feed(&f, coord(VASD_EVENT_MIGRATION_OPEN, 3, VASD_ORIGIN_PRE,
				     TS + 20 * SEC)), 1);

	ASSERT(f.s.closed);
	ASSERT_UINT_EQ(f.s.close.coord.what, VASD_OUTCOME_COMPLETED);
	ASSERT_UINT_EQ(f.s.hooks.n, 2);
	ASSERT_UINT_EQ(f.s.hooks.v[0].coord.pid, 77);
	ASSERT_UINT_EQ(f.s.hooks.v[1].coord.pid, 78);
	ASSERT_UINT_EQ(f.s.vetoes.n, 0);

	ASSERT_UINT_EQ(f.s.n_locks, 3);
	ASSERT_UINT_EQ(f.s.locks[0].holder.lock, 5);
	ASSERT_STR_EQ(f.s.locks[0].holder.comm, "job500");
	ASSERT_UINT_EQ(f.s.locks[0].asked, TS + 3 * SEC);
	ASSERT_UINT_EQ(f.s.locks[0].released, TS + 4 * SEC);
	ASSERT_UINT_EQ(f.s.locks[0].timed_out, 0);
	ASSERT_UINT_EQ(f.s.locks[1].holder.lock, 6);
	ASSERT_UINT_EQ(f.s.locks[1].timed_out, TS + 8 * SEC);
	ASSERT_UINT_EQ(f.s.locks[1].released, TS + 11 * SEC);
	/* asked before this vasd's records: since says when */
	ASSERT_UINT_EQ(f.s.locks[2].holder.lock, 7);
	ASSERT_UINT_EQ(f.s.locks[2].asked, TS + SEC);
	ASSERT_UINT_EQ(f.s.locks[2].timed_out, TS + 8 * SEC);
	ASSERT_UINT_EQ(f.s.locks[2].released, 0);

	ASSERT(f.s.quiesced);
	ASSERT_UINT_EQ(f.s.quiesce.coord.what, VASD_QUIESCE_TIMEOUT);
	ASSERT_UINT_EQ(f.s.acks.n, 1);
	ASSERT_UINT_EQ(f.s.acks.v[0].migration.stream_id, 42);
	ASSERT_UINT_EQ(f.s.anomalies.n, 1);
	ASSERT_UINT_EQ(f.s.anomalies.v[0].window.id, 3);
	ASSERT_UINT_EQ(f.s.errors.n, 1);

	c = expect_blackouts(&f.s, TS + 10 * SEC, TS + 13 * SEC, 4, 3, 200, "job200");
	expect_blackout(&c.blackout, TS + 11 * SEC, TS + 13 * SEC, 2, 1);

	migration_status_done(&f.s);
	ASSERT_NULL(f.s.locks);
	migration_status_done(&f.s);	/* twice: harmless */
}

/* Check said no: vetoed, closed without a blackout record: none. */
static void test_vetoed(void)
{
	struct fixture f = { .position = 0 };
	struct migration_blackout b;
	struct vasd_event ev;

	ASSERT_INT_EQ(migration_status_init(&f.s, 1, 1), 0);
	ASSERT_INT_EQ(feed(&f, coord(VASD_EVENT_MIGRATION_OPEN, 1, VASD_ORIGIN_CHECK, TS)), 0);
	ev = holder(VASD_EVENT_MIGRATION_VETO, 1, 3, 300, TS + 1);
	ev.coord.what = VASD_VETO_BLOCK_LOCK;
	ev.coord.count = 2;
	ASSERT_INT_EQ(feed(&f, ev), 0);
	ASSERT_INT_EQ(feed(&f, coord(VASD_EVENT_MIGRATION_CLOSE, 1, VASD_OUTCOME_VETOED,
				     TS + 2)), 0);
	ASSERT(f.s.opened && f.s.closed && !f.s.quiesced);
	ASSERT_UINT_EQ(f.s.vetoes.n, 1);
	ASSERT_UINT_EQ(f.s.vetoes.v[0].coord.lock, 3);
	ASSERT_UINT_EQ(f.s.vetoes.v[0].coord.count, 2);
	ASSERT(!migration_status_blackout(&f.s, &b));
	expect_blackout(&b, 0, 0, 0, 0);
	ASSERT_UINT_EQ(migration_status_n_clients(&f.s), 0);
	migration_status_done(&f.s);
}

/* Open, nothing suspended yet; the events of none. */
static void test_open_empty(void)
{
	struct fixture f = { .position = 0 };
	struct migration_blackout b;

	ASSERT_INT_EQ(migration_status_init(&f.s, 5, 3), 0);
	/* another migration's hook before the open is not this one's */
	f.position = 1;
	ASSERT_INT_EQ(feed(&f, holder(VASD_EVENT_MIGRATION_HOOK, 4, 0, 1, TS)), 0);
	ASSERT_UINT_EQ(f.s.hooks.n, 0);
	ASSERT_INT_EQ(feed(&f, coord(VASD_EVENT_MIGRATION_OPEN, 5, VASD_ORIGIN_KERNEL, TS)), 0);
	/* a window suspended for credits is no blackout */
	ASSERT_INT_EQ(feed(&f, window(2, 20, VAS_WIN_STATE_ACTIVE, TS + 1)), 0);
	ASSERT(f.s.opened && !f.s.closed);
	ASSERT(!migration_status_blackout(&f.s, &b));
	expect_blackout(&b, 0, 0, 0, 0);
	ASSERT_UINT_EQ(migration_status_n_clients(&f.s), 0);
	ASSERT_UINT_EQ(f.s.n_locks + f.s.hooks.n + f.s.acks.n + f.s.errors.n, 0);
	migration_status_done(&f.s);

	/* a fold that never sees the open: not opened */
	ASSERT_INT_EQ(migration_status_init(&f.s, 9, 100), 0);
	f.position = 0;
	ASSERT_INT_EQ(feed(&f, coord(VASD_EVENT_MIGRATION_OPEN, 1, VASD_ORIGIN_CHECK, TS)), 0);
	ASSERT(!f.s.opened);
	migration_status_done(&f.s);
}

/* Many locks and hooks: the arrays grow, nothing lost. */
static void test_many(void)
{
	struct fixture f = { .position = 0 };

	ASSERT_INT_EQ(migration_status_init(&f.s, 1, 1), 0);
	ASSERT_INT_EQ(feed(&f, coord(VASD_EVENT_MIGRATION_OPEN, 1, VASD_ORIGIN_PRE, TS)), 0);
	for (uint32_t i = 1; i <= 1000; i++)
		ASSERT_INT_EQ(feed(&f, holder(VASD_EVENT_MIGRATION_ASKED, 1, i, i, TS + i)), 0);
	for (uint32_t i = 1000; i >= 1; i--)
		ASSERT_INT_EQ(feed(&f, holder(VASD_EVENT_INHIBITOR_RELEASE, 1, i, i,
					      TS + 2000 + i)), 0);
	ASSERT_UINT_EQ(f.s.n_locks, 1000);
	for (uint32_t i = 0; i < 1000; i++) {
		ASSERT_UINT_EQ(f.s.locks[i].holder.lock, i + 1);
		ASSERT_UINT_EQ(f.s.locks[i].asked, TS + i + 1);
		ASSERT_UINT_EQ(f.s.locks[i].released, TS + 2000 + i + 1);
	}
	migration_status_done(&f.s);
}

/*
 * observe: the processes holding windows without a lock at check and pre,
 * this migration's only, whether recorded before its open or after.
 */
static void test_uncoordinated(void)
{
	struct fixture f = { .position = 0 };
	struct vasd_event ev;

	ASSERT_INT_EQ(migration_status_init(&f.s, 2, 3), 0);
	/* before the open: this migration's, and another's */
	ev = holder(VASD_EVENT_MIGRATION_UNCOORDINATED, 2, 0, 410, TS);
	ev.coord.what = VASD_HOOK_CHECK;
	ASSERT_INT_EQ(feed(&f, ev), 0);
	ev = holder(VASD_EVENT_MIGRATION_UNCOORDINATED, 1, 0, 411, TS);
	ASSERT_INT_EQ(feed(&f, ev), 0);
	ASSERT_INT_EQ(feed(&f, coord(VASD_EVENT_MIGRATION_OPEN, 2, VASD_ORIGIN_CHECK, TS)), 0);
	ev = holder(VASD_EVENT_MIGRATION_UNCOORDINATED, 2, 0, 412, TS + 1);
	ev.coord.what = VASD_HOOK_PRE;
	ev.coord.count = 3;
	ASSERT_INT_EQ(feed(&f, ev), 0);
	ev = holder(VASD_EVENT_MIGRATION_UNCOORDINATED, 7, 0, 413, TS + 1);
	ASSERT_INT_EQ(feed(&f, ev), 0);
	ASSERT_UINT_EQ(f.s.uncoordinated.n, 2);
	ASSERT_UINT_EQ(f.s.uncoordinated.v[0].coord.pid, 410);
	ASSERT_UINT_EQ(f.s.uncoordinated.v[0].coord.what, VASD_HOOK_CHECK);
	ASSERT_UINT_EQ(f.s.uncoordinated.v[1].coord.pid, 412);
	ASSERT_UINT_EQ(f.s.uncoordinated.v[1].coord.what, VASD_HOOK_PRE);
	ASSERT_UINT_EQ(f.s.uncoordinated.v[1].coord.count, 3);
	ASSERT_STR_EQ(f.s.uncoordinated.v[1].coord.comm, "job412");
	ASSERT_UINT_EQ(f.s.hooks.n + f.s.anomalies.n, 0);
	migration_status_done(&f.s);
}

int main(void)
{
	test_closed();
	test_uncoordinated();
	test_vetoed();
	test_open_empty();
	test_many();
	return 0;
}
