// SPDX-License-Identifier: GPL-2.0-only
/*
 * migration-report: the blackout from the first window suspended for a
 * migration to the last one resumed, in all and per owner; what does not
 * belong to a blackout (adds, removals, credit suspensions, resumes of
 * windows it never saw suspended) changes nothing; a window suspended
 * again counts once; the tables under load.
 */
#include <stdint.h>
#include <stdio.h>

#include "core/migration-report.h"
#include "test-blackout.h"
#include "test.h"

#define TS 1764331234000000000ULL

static struct vasd_event change(int kind, uint32_t id, uint32_t tgid,
				uint32_t state, uint32_t reason, uint64_t ts)
{
	struct vasd_event ev = {
		.kind = kind,
		.timestamp = ts,
		.window = { .id = id, .tgid = tgid, .pid = tgid, .state = state,
			    .reason = reason, .opened_at = TS - 1 },
	};

	snprintf(ev.window.comm, sizeof(ev.window.comm), "proc%u", tgid);
	return ev;
}

static void feed(struct migration_report *r, struct vasd_event ev)
{
	ASSERT_INT_EQ(migration_report_event(r, &ev), 0);
}

static void suspend(struct migration_report *r, uint32_t id, uint32_t tgid,
		    uint64_t ts)
{
	feed(r, change(VASD_EVENT_WINDOW_CHANGE, id, tgid, VAS_WIN_STATE_SUSPENDED,
		       VAS_SUSPEND_REASON_MIGRATION, ts));
}

static void resume(struct migration_report *r, uint32_t id, uint32_t tgid,
		   uint64_t ts)
{
	feed(r, change(VASD_EVENT_WINDOW_CHANGE, id, tgid, VAS_WIN_STATE_ACTIVE,
		       VAS_SUSPEND_REASON_NONE, ts));
}

static void test_empty(void)
{
	_cleanup_(migration_report_freep) struct migration_report *r = NULL;

	ASSERT_INT_EQ(migration_report_new(&r), 0);
	expect_blackout(migration_report_total(r), 0, 0, 0, 0);
	ASSERT_UINT_EQ(migration_report_n_clients(r), 0);
	ASSERT_NULL(migration_report_client(r, 0));
	ASSERT_NULL(migration_report_free(NULL));
}

static void test_two_clients(void)
{
	_cleanup_(migration_report_freep) struct migration_report *r = NULL;
	const struct migration_client *c;

	ASSERT_INT_EQ(migration_report_new(&r), 0);
	suspend(r, 7, 600, TS + 10);
	suspend(r, 3, 500, TS + 20);
	suspend(r, 4, 500, TS + 30);
	/* not the migration's: adds, removals, credits, other kinds */
	feed(r, change(VASD_EVENT_WINDOW_ADD, 9, 900, VAS_WIN_STATE_ACTIVE,
		       VAS_SUSPEND_REASON_NONE, TS + 31));
	feed(r, change(VASD_EVENT_WINDOW_CHANGE, 10, 900, VAS_WIN_STATE_SUSPENDED,
		       VAS_SUSPEND_REASON_CREDITS, TS + 32));
	feed(r, change(VASD_EVENT_WINDOW_DEL, 4, 500, VAS_WIN_STATE_SUSPENDED,
		       VAS_SUSPEND_REASON_MIGRATION, TS + 33));
	feed(r, change(VASD_EVENT_MIGRATION_CHANGE, 11, 900, VAS_WIN_STATE_SUSPENDED,
		       VAS_SUSPEND_REASON_MIGRATION, TS + 34));
	resume(r, 10, 900, TS + 35);	/* never suspended here */
	expect_blackout(migration_report_total(r), TS + 10, 0, 3, 0);
	ASSERT_UINT_EQ(migration_report_n_clients(r), 2);

	resume(r, 3, 500, TS + 100);
	resume(r, 7, 600, TS + 110);
	resume(r, 3, 500, TS + 120);	/* twice: counts once */
	expect_blackout(migration_report_total(r), TS + 10, TS + 110, 3, 2);

	/* in the order of their first window suspended */
	c = migration_report_client(r, 0);
	ASSERT_UINT_EQ(c->tgid, 600);
	ASSERT_STR_EQ(c->comm, "proc600");
	expect_blackout(&c->blackout, TS + 10, TS + 110, 1, 1);
	c = migration_report_client(r, 1);
	ASSERT_UINT_EQ(c->tgid, 500);
	/* window 4 was closed while suspended: its owner's blackout stays open */
	expect_blackout(&c->blackout, TS + 20, TS + 100, 2, 1);
	ASSERT_NULL(migration_report_client(r, 2));
}

/* The kernel retried: suspended again after a resume, counted once, not resumed. */
static void test_suspended_again(void)
{
	_cleanup_(migration_report_freep) struct migration_report *r = NULL;
	struct vasd_event ev;

	ASSERT_INT_EQ(migration_report_new(&r), 0);
	suspend(r, 1, 500, TS + 10);
	resume(r, 1, 500, TS + 20);
	expect_blackout(migration_report_total(r), TS + 10, TS + 20, 1, 1);
	suspend(r, 1, 500, TS + 30);
	suspend(r, 1, 500, TS + 31);
	expect_blackout(migration_report_total(r), TS + 10, TS + 20, 1, 0);
	expect_blackout(&migration_report_client(r, 0)->blackout, TS + 10, TS + 20, 1, 0);
	/* the resync's kinds count as the kernel's */
	ev = change(VASD_EVENT_RESYNC_WINDOW_CHANGE, 1, 500, VAS_WIN_STATE_ACTIVE,
		    VAS_SUSPEND_REASON_NONE, TS + 40);
	feed(r, ev);
	expect_blackout(migration_report_total(r), TS + 10, TS + 40, 1, 1);
	/* timestamps out of order keep the extremes */
	suspend(r, 2, 500, TS + 5);
	resume(r, 2, 500, TS + 6);
	expect_blackout(migration_report_total(r), TS + 5, TS + 40, 2, 2);
	ASSERT_UINT_EQ(migration_report_n_clients(r), 1);
}

/* 100k windows of 1000 owners: the tables grow, nothing is lost. */
static void test_many(void)
{
	_cleanup_(migration_report_freep) struct migration_report *r = NULL;
	const uint32_t n = 100000, owners = 1000;

	ASSERT_INT_EQ(migration_report_new(&r), 0);
	for (uint32_t id = 1; id <= n; id++)
		suspend(r, id, 10000 + id % owners, TS + id);
	for (uint32_t id = n; id >= 1; id--)
		if (id % 10)
			resume(r, id, 10000 + id % owners, TS + 2 * n - id);
	expect_blackout(migration_report_total(r), TS + 1, TS + 2 * n - 1, n,
			n - n / 10);
	ASSERT_UINT_EQ(migration_report_n_clients(r), owners);
	for (size_t i = 0; i < owners; i++) {
		const struct migration_client *c = migration_report_client(r, i);

		/* client i first suspended window i + 1 */
		ASSERT_UINT_EQ(c->tgid, 10000 + (i + 1) % owners);
		ASSERT_UINT_EQ(c->blackout.suspended, n / owners);
		ASSERT_UINT_EQ(c->blackout.first_suspended, TS + i + 1);
		ASSERT_UINT_EQ(c->blackout.resumed,
			       (i + 1) % 10 ? n / owners : 0);
	}
}

int main(void)
{
	test_empty();
	test_two_clients();
	test_suspended_again();
	test_many();
	return 0;
}
