// SPDX-License-Identifier: GPL-2.0-only
/*
 * Compaction on real SQLite files: the events before a position become a
 * checkpoint that replays to the same projection; positions are never
 * given twice, not even after everything but the newest event went; a
 * second compaction builds on the first; a damaged history is not
 * compacted; a failed commit leaves the ledger as it was; a reader keeps
 * its snapshot across one; verify names a damaged checkpoint.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sqlite3.h>

#include "test-files.h"
#include "test-ledger-events.h"
#include "test-raw-sqlite.h"
#include "test.h"

static char *dir;

static struct ledger *open_rw(const char *path)
{
	struct ledger *l = NULL;
	char *error = NULL;
	int r;

	r = ledger_open(path, LEDGER_READ_WRITE, &l, &error);
	if (r < 0)
		TEST_FAIL("ledger_open %s: %s", path, error);
	return l;
}

static void assert_verify_equal(struct ledger *l, int64_t replayed,
				int64_t from)
{
	struct ledger_checkpoint cp;
	char *error = NULL;
	int64_t n = -1;
	int r;

	r = ledger_verify(l, &n, &cp, &error);
	if (r != 0)
		TEST_FAIL("verify: %d: %s", r, error ? error : "(no message)");
	ASSERT_NULL(error);
	ASSERT_INT_EQ(n, replayed);
	ASSERT_INT_EQ(cp.position, from);
}

/*
 * Every kind of event: a start, windows of both types opened and closed,
 * a suspension, credits, a migration, a second resync; then more windows.
 * Returns the live state; the file is closed (its log checkpointed).
 */
static struct vasd_state *make_base(const char *path)
{
	struct history h = { .seq = 0 };

	h.ledger = open_rw(path);
	ASSERT_INT_EQ(vasd_state_new(&h.state), 0);
	history_started(&h);
	history_windows(&h, 1, 60);
	history_begin(&h);
	history_window_change(&h, 16, VAS_WIN_STATE_SUSPENDED,
			      VAS_SUSPEND_REASON_CREDITS);
	history_caps(&h, VAS_WIN_TYPE_DEFAULT, 12);
	history_migration(&h, VAS_MIGRATION_PHASE_PREPARE);
	history_resync(&h);
	history_commit(&h);
	history_windows(&h, 100, 30);
	ledger_free(h.ledger);
	return h.state;
}

struct upto {
	struct vasd_state *state;
	int64_t before;
};

static int apply_upto(const struct vasd_event *ev, void *userdata)
{
	struct upto *u = userdata;

	if (ev->position >= u->before)
		return -ECANCELED;
	ASSERT_INT_EQ(vasd_apply(u->state, ev, NULL), VASD_APPLY_APPLIED);
	return 0;
}

/* The projection the events before position leave, replayed here. */
static struct vasd_state *replay_before(const char *path, int64_t position)
{
	struct upto u = { .before = position };
	struct ledger *l = NULL;
	int r;

	ASSERT_INT_EQ(vasd_state_new(&u.state), 0);
	ASSERT_INT_EQ(ledger_open(path, LEDGER_READ_ONLY, &l, NULL), 0);
	r = ledger_foreach_event(l, 0, apply_upto, &u);
	ASSERT(r == 0 || r == -ECANCELED);
	ledger_free(l);
	return u.state;
}

static void assert_state_stored(struct ledger *l, const struct vasd_state *live)
{
	struct vasd_state *stored;

	ASSERT_INT_EQ(vasd_state_new(&stored), 0);
	ASSERT_INT_EQ(ledger_load_state(l, stored), 0);
	ASSERT(vasd_state_equal(stored, live));
	vasd_state_free(stored);
}

static int first_event(const struct vasd_event *ev, void *userdata)
{
	*(int64_t *)userdata = ev->position;
	return -ECANCELED;
}

/* Compact a copy of base at keep_from; expect the history to start at first. */
static void compact_copy(const struct test_file *base, const char *base_path,
			 const struct vasd_state *live, int64_t last,
			 int64_t keep_from, int64_t first)
{
	char *path = test_path(dir, "copy.db");
	struct vasd_state *at_first = replay_before(base_path, first);
	struct ledger_checkpoint cp;
	struct ledger_stats st;
	struct ledger *l;
	int64_t got_first = -1, removed = -1, position = 0;
	char sql[128];

	test_file_write(path, base->bytes, base->size);
	l = open_rw(path);
	ASSERT_INT_EQ(ledger_compact(l, keep_from, 0, TS + 7, &got_first, &removed), 0);
	ASSERT_INT_EQ(got_first, first);
	ASSERT_INT_EQ(removed, first - 1);

	/* the projection is untouched, and the replay from the checkpoint equals it */
	assert_state_stored(l, live);
	assert_verify_equal(l, last - first + 1, first > 1 ? first : 0);
	ASSERT_INT_EQ(ledger_stats(l, &st), 0);
	ASSERT_INT_EQ(st.first_position, first);
	ASSERT_INT_EQ(st.last_position, last);
	ASSERT_INT_EQ(st.n_events, last - first + 1);
	ASSERT_INT_EQ(ledger_last_position(l), last);
	ASSERT_INT_EQ(ledger_foreach_event(l, 0, first_event, &position), -ECANCELED);
	ASSERT_INT_EQ(position, first);
	if (first == 1) {
		ASSERT_INT_EQ(ledger_get_checkpoint(l, &cp), -ENODATA);
	} else {
		ASSERT_INT_EQ(ledger_get_checkpoint(l, &cp), 0);
		ASSERT_INT_EQ(cp.position, first);
		ASSERT_UINT_EQ(cp.created, TS + 7);
		ASSERT_INT_EQ(cp.events_removed, first - 1);
	}
	ledger_free(l);

	if (first > 1) {
		/* the checkpoint is what those events made, read independently */
		ASSERT_INT_EQ(raw_int_file(path, "SELECT count(*) FROM checkpoint_windows"),
			      vasd_state_n_windows(at_first));
		ASSERT_INT_EQ(raw_int_file(path, "SELECT seq FROM checkpoint"),
			      (int64_t)vasd_state_seq(at_first));
		ASSERT_INT_EQ(raw_int_file(path, "SELECT synced FROM checkpoint"),
			      vasd_state_synced(at_first));
		ASSERT_INT_EQ(raw_int_file(path, "SELECT count(*) FROM checkpoint_caps"),
			      !!vasd_state_caps(at_first, 0) + !!vasd_state_caps(at_first, 1));
		ASSERT_INT_EQ(raw_int_file(path, "SELECT count(*) FROM checkpoint_migration"),
			      !!vasd_state_migration(at_first));
		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM events WHERE position < %" PRId64, first);
		ASSERT_INT_EQ(raw_int_file(path, sql), 0);
	}
	vasd_state_free(at_first);
	ASSERT_INT_EQ(unlink(path), 0);
	free(path);
}

static void test_compact_anywhere(void)
{
	char *path = test_path(dir, "base.db");
	struct vasd_state *live = make_base(path);
	struct test_file base = test_file_read(path);
	struct ledger *l = NULL;
	int64_t last;

	ASSERT_INT_EQ(ledger_open(path, LEDGER_READ_ONLY, &l, NULL), 0);
	last = ledger_last_position(l);
	ledger_free(l);
	/* 5 start, 60 adds, 20 dels, 5 more, 30 adds, 10 dels */
	ASSERT_INT_EQ(last, 5 + 80 + 5 + 40);

	/* nothing before the first event: nothing happens */
	compact_copy(&base, path, live, last, 0, 1);
	compact_copy(&base, path, live, last, 1, 1);
	/* every position, so every kind starts a history once */
	for (int64_t p = 2; p <= last; p++)
		compact_copy(&base, path, live, last, p, p);
	/* past the end: the newest event stays */
	compact_copy(&base, path, live, last, last + 1, last);
	compact_copy(&base, path, live, last, INT64_MAX, last);

	test_file_free(&base);
	vasd_state_free(live);
	ASSERT_INT_EQ(unlink(path), 0);
	free(path);
}

/*
 * Positions are never given twice: after a compaction down to the newest
 * event, after reopening, and after a second compaction on the first.
 */
static void test_positions(void)
{
	char *path = test_path(dir, "positions.db");
	struct history h = { .seq = 0 };
	struct ledger_checkpoint cp;
	int64_t last, first, removed;

	h.ledger = open_rw(path);
	ASSERT_INT_EQ(vasd_state_new(&h.state), 0);
	history_begin(&h);
	history_start(&h);
	/* migration numbers are never given twice either */
	history_add(&h, (struct vasd_event){ .kind = VASD_EVENT_MIGRATION_OPEN,
					     .coord.migration = 3 });
	history_add(&h, (struct vasd_event){ .kind = VASD_EVENT_MIGRATION_CLOSE,
					     .coord.migration = 3 });
	history_commit(&h);
	history_windows(&h, 1, 40);
	history_begin(&h);
	history_add(&h, (struct vasd_event){ .kind = VASD_EVENT_MIGRATION_HOOK,
					     .coord.migration = 5 });
	history_window_add(&h, 41, VAS_WIN_TYPE_DEFAULT);
	history_commit(&h);
	last = ledger_last_position(h.ledger);

	ASSERT_INT_EQ(ledger_compact(h.ledger, 20, 0, TS, &first, &removed), 0);
	ASSERT_INT_EQ(first, 20);
	ASSERT_INT_EQ(removed, 19);
	ASSERT_INT_EQ(ledger_get_checkpoint(h.ledger, &cp), 0);
	ASSERT_UINT_EQ(cp.last_migration, 3);
	/* again, or below: nothing more */
	ASSERT_INT_EQ(ledger_compact(h.ledger, 20, 0, TS, &first, &removed), 0);
	ASSERT_INT_EQ(first, 20);
	ASSERT_INT_EQ(removed, 0);
	ASSERT_INT_EQ(ledger_compact(h.ledger, 3, 0, TS, &first, &removed), 0);
	ASSERT_INT_EQ(first, 20);
	ASSERT_INT_EQ(removed, 0);

	/* the second builds on the first checkpoint */
	ASSERT_INT_EQ(ledger_compact(h.ledger, INT64_MAX, 0, TS + 1, &first, &removed), 0);
	ASSERT_INT_EQ(first, last);
	ASSERT_INT_EQ(removed, last - 20);
	ASSERT_INT_EQ(ledger_get_checkpoint(h.ledger, &cp), 0);
	ASSERT_INT_EQ(cp.position, last);
	ASSERT_INT_EQ(cp.events_removed, last - 1);
	ASSERT_UINT_EQ(cp.created, TS + 1);
	ASSERT_UINT_EQ(cp.last_migration, 5);
	assert_verify_equal(h.ledger, 1, last);

	history_windows(&h, 100, 5);
	ASSERT_INT_EQ(ledger_last_position(h.ledger), last + 5 + 1);
	assert_verify_equal(h.ledger, 7, last);
	last = ledger_last_position(h.ledger);
	ledger_free(h.ledger);

	/* after reopening, on from the highest position ever given */
	h.ledger = open_rw(path);
	ASSERT_INT_EQ(ledger_compact(h.ledger, INT64_MAX, 0, TS + 2, &first, &removed), 0);
	ASSERT_INT_EQ(first, last);
	ASSERT_INT_EQ(raw_int_file(path, "SELECT count(*) FROM events"), 1);
	ASSERT_INT_EQ(ledger_get_checkpoint(h.ledger, &cp), 0);
	ASSERT_UINT_EQ(cp.last_migration, 5);
	history_begin(&h);
	history_window_add(&h, 200, VAS_WIN_TYPE_QOS);
	history_commit(&h);
	ASSERT_INT_EQ(ledger_last_position(h.ledger), last + 1);
	assert_verify_equal(h.ledger, 2, last);
	assert_state_stored(h.ledger, h.state);
	ledger_free(h.ledger);
	vasd_state_free(h.state);
	free(path);
}

/* In steps of a few positions, each a compaction of its own, to the same end. */
static void test_steps(void)
{
	char *path = test_path(dir, "steps.db");
	struct vasd_state *live = make_base(path);
	struct ledger_checkpoint cp;
	struct ledger *l = open_rw(path);
	int64_t first = 1, step_first, removed, total = 0, last;
	int r, steps = 0;

	last = ledger_last_position(l);
	ASSERT_INT_EQ(ledger_compact(l, 10, -1, TS, NULL, NULL), -EINVAL);
	do {
		r = ledger_compact(l, 100, 7, TS, &step_first, &removed);
		ASSERT(r == 0 || r == 1);
		ASSERT_INT_EQ(step_first, r ? first + 7 : 100);
		ASSERT_INT_EQ(removed, step_first - first);
		first = step_first;
		total += removed;
		steps++;
		assert_verify_equal(l, last - first + 1, first);
		assert_state_stored(l, live);
	} while (r > 0);
	ASSERT_INT_EQ(steps, (99 + 6) / 7);
	ASSERT_INT_EQ(total, 99);
	ASSERT_INT_EQ(ledger_get_checkpoint(l, &cp), 0);
	ASSERT_INT_EQ(cp.events_removed, 99);
	/* done: nothing more, whatever the bound */
	ASSERT_INT_EQ(ledger_compact(l, 100, 7, TS, &step_first, &removed), 0);
	ASSERT_INT_EQ(removed, 0);
	ledger_free(l);
	vasd_state_free(live);
	free(path);
}

/* A ledger without events: nothing to do, and its history starts at 1. */
static void test_empty(void)
{
	char *path = test_path(dir, "empty.db");
	struct ledger *l = open_rw(path);
	int64_t first = -1, removed = -1;

	ASSERT_INT_EQ(ledger_compact(l, INT64_MAX, 0, TS, &first, &removed), 0);
	ASSERT_INT_EQ(first, 1);
	ASSERT_INT_EQ(removed, 0);
	assert_verify_equal(l, 0, 0);
	ledger_free(l);
	free(path);
}

static void test_refused(void)
{
	char *path = test_path(dir, "refused.db");
	struct vasd_state *live = make_base(path);
	struct ledger *l = NULL;
	int64_t first = -1, removed = -1;
	char *error = NULL;

	ASSERT_INT_EQ(ledger_open(path, LEDGER_READ_ONLY, &l, NULL), 0);
	ASSERT_INT_EQ(ledger_compact(l, 10, 0, TS, &first, &removed), -EROFS);
	ledger_free(l);

	l = open_rw(path);
	ASSERT_INT_EQ(ledger_compact(l, -1, 0, TS, &first, &removed), -EINVAL);
	ASSERT_INT_EQ(ledger_begin(l), 0);
	ASSERT_INT_EQ(ledger_compact(l, 10, 0, TS, &first, &removed), -EBUSY);
	ledger_rollback(l);
	ASSERT_INT_EQ(first, -1);
	ASSERT_INT_EQ(removed, -1);
	ledger_free(l);

	/* a history that does not replay is not made a checkpoint */
	raw_exec_file(path, "UPDATE events SET window_id = 999 WHERE position = 9");
	l = open_rw(path);
	ASSERT_INT_EQ(ledger_compact(l, 20, 0, TS, &first, &removed), -EUCLEAN);
	ASSERT(!ledger_in_transaction(l));
	ASSERT_INT_EQ(ledger_verify(l, NULL, NULL, &error), -EUCLEAN);
	ASSERT_STR_EQ(error, "event 9 (window-del) does not apply: inconsistent");
	free(error);
	ledger_free(l);
	ASSERT_INT_EQ(raw_int_file(path, "SELECT min(position) FROM events"), 1);
	ASSERT_INT_EQ(raw_int_file(path, "SELECT count(*) FROM checkpoint"), 0);

	/* but one whose damage lies after keep_from is */
	l = open_rw(path);
	ASSERT_INT_EQ(ledger_compact(l, 9, 0, TS, &first, &removed), 0);
	ASSERT_INT_EQ(first, 9);
	ledger_free(l);
	vasd_state_free(live);
	free(path);
}

/*
 * The disk refuses the compaction's writes (RLIMIT_FSIZE at the end of
 * the log, SQLITE_IOERR): nothing of it is stored; the ledger goes on.
 */
static void test_io_error(void)
{
	char *path = test_path(dir, "ioerr.db");
	struct vasd_state *live = make_base(path);
	struct rlimit old, limit;
	struct ledger *l;
	int64_t last, first = -1, removed = -1;

	l = open_rw(path);
	last = ledger_last_position(l);
	ASSERT(getrlimit(RLIMIT_FSIZE, &old) == 0);
	limit = old;
	limit.rlim_cur = (rlim_t)test_wal_size(path);
	ASSERT(signal(SIGXFSZ, SIG_IGN) != SIG_ERR);
	ASSERT(setrlimit(RLIMIT_FSIZE, &limit) == 0);
	ASSERT_INT_EQ(ledger_compact(l, 100, 0, TS, &first, &removed), -EIO);
	ASSERT(setrlimit(RLIMIT_FSIZE, &old) == 0);
	ASSERT_INT_EQ(first, -1);
	ASSERT_INT_EQ(removed, -1);
	ledger_free(l);

	l = open_rw(path);
	ASSERT_INT_EQ(ledger_last_position(l), last);
	assert_verify_equal(l, last, 0);
	assert_state_stored(l, live);
	ASSERT_INT_EQ(ledger_compact(l, 100, 0, TS, &first, &removed), 0);
	ASSERT_INT_EQ(removed, 99);
	assert_verify_equal(l, last - 99, 100);
	ledger_free(l);
	vasd_state_free(live);
	free(path);
}

static int count_event(const struct vasd_event *ev, void *userdata)
{
	(*(int64_t *)userdata)++;
	return 0;
}

/* A reader's snapshot (ledger_read_begin) outlives a compaction beside it. */
static void test_reader_snapshot(void)
{
	char *path = test_path(dir, "reader.db");
	struct vasd_state *live = make_base(path);
	struct ledger *writer, *reader = NULL;
	struct ledger_checkpoint cp;
	int64_t n = 0, last;

	writer = open_rw(path);
	last = ledger_last_position(writer);
	ASSERT_INT_EQ(ledger_open(path, LEDGER_READ_ONLY, &reader, NULL), 0);
	ASSERT_INT_EQ(ledger_read_begin(reader), 0);
	ASSERT_INT_EQ(ledger_read_begin(reader), -EBUSY);
	ASSERT_INT_EQ(ledger_get_checkpoint(reader, &cp), -ENODATA);

	ASSERT_INT_EQ(ledger_compact(writer, 50, 0, TS, NULL, NULL), 0);
	ASSERT_INT_EQ(ledger_get_checkpoint(reader, &cp), -ENODATA);
	ASSERT_INT_EQ(ledger_foreach_event(reader, 0, count_event, &n), 0);
	ASSERT_INT_EQ(n, last);
	ledger_read_end(reader);

	/* a new snapshot sees it, all of it */
	ASSERT_INT_EQ(ledger_get_checkpoint(reader, &cp), 0);
	ASSERT_INT_EQ(cp.position, 50);
	n = 0;
	ASSERT_INT_EQ(ledger_foreach_event(reader, 0, count_event, &n), 0);
	ASSERT_INT_EQ(n, last - 49);
	assert_verify_equal(reader, last - 49, 50);
	ledger_free(reader);
	ledger_free(writer);
	vasd_state_free(live);
	free(path);
}

/* A copy of base, damaged with sql; verify says exactly message. */
static void assert_verify(const struct test_file *base, const char *sql,
			  const char *message)
{
	char *path = test_path(dir, "damaged.db");
	struct ledger *l = NULL;
	char *error = NULL;

	test_file_write(path, base->bytes, base->size);
	raw_exec_file(path, sql);
	ASSERT_INT_EQ(ledger_open(path, LEDGER_READ_ONLY, &l, NULL), 0);
	ASSERT_INT_EQ(ledger_verify(l, NULL, NULL, &error), -EUCLEAN);
	ASSERT_STR_EQ(error, message);
	ledger_free(l);
	free(error);
	ASSERT_INT_EQ(unlink(path), 0);
	free(path);
}

static void test_verify_checkpoint(void)
{
	char *path = test_path(dir, "cp.db");
	struct vasd_state *live = make_base(path);
	struct test_file base;
	struct ledger *l;

	l = open_rw(path);
	ASSERT_INT_EQ(ledger_compact(l, 60, 0, TS, NULL, NULL), 0);
	ledger_free(l);
	base = test_file_read(path);

	assert_verify(&base, "UPDATE checkpoint_windows SET state = 1, reason = 2 WHERE id = 4",
		      "window 4: stored state active, replay suspended");
	assert_verify(&base, "UPDATE checkpoint_windows SET comm = 'other' WHERE id = 7",
		      "window 7: stored comm \"client7\", replay \"other\"");
	/* window 16 changes later: the checkpoint must hold it as it was */
	assert_verify(&base, "UPDATE checkpoint_windows SET tgid = 1 WHERE id = 16",
		      "event 86 (window-change) does not apply: inconsistent");
	/* one window less: the later credits event counts one more */
	assert_verify(&base, "DELETE FROM checkpoint_windows WHERE id = 1",
		      "event 87 (caps-change) does not apply: inconsistent");
	assert_verify(&base, "UPDATE checkpoint_caps SET total = 3 WHERE type = 1",
		      "credits qos: stored total 2, replay 3");
	assert_verify(&base, "UPDATE checkpoint SET seq = seq - 1",
		      "event 60 (window-add) does not apply: gap");
	assert_verify(&base, "UPDATE checkpoint_windows SET type = 9 WHERE id = 3",
		      "the checkpoint at position 60 cannot be loaded: a row holds values the state refuses");
	assert_verify(&base,
		      "INSERT INTO events (position, kind, timestamp, recorded) VALUES (7, 'daemon-start', 1, 1)",
		      "1 events precede the checkpoint at position 60");
	test_file_free(&base);
	vasd_state_free(live);
	free(path);
}

struct positions {
	int64_t v[256];
	size_t n;
};

static int collect(const struct vasd_event *ev, void *userdata)
{
	struct positions *p = userdata;

	if (p->n == ELEMENTSOF(p->v))
		return -E2BIG;
	p->v[p->n++] = ev->position;
	return 0;
}

static void coord(struct history *h, int kind, uint64_t migration)
{
	history_add(h, (struct vasd_event){ .kind = kind,
					    .coord.migration = migration });
}

/*
 * A migration's records outlive compaction: its migration events, and
 * everything from two positions before its open to its close, are in the
 * archive, whatever the steps' boundaries; the rest is gone; the archive
 * and the events read as one history; the archive's columns are the
 * events'.
 */
static void test_archive(void)
{
	char *path = test_path(dir, "archive.db");
	struct history h = { .seq = 0 };
	struct positions all = { .n = 0 };
	int64_t hook, open7, close7, hook9, open8, last, first, removed, pos;
	int64_t expect_n, expect_sum;
	char *events_cols, *archive_cols;
	sqlite3 *db;
	int r;

	h.ledger = open_rw(path);
	ASSERT_INT_EQ(vasd_state_new(&h.state), 0);
	history_started(&h);
	history_windows(&h, 1, 10);
	history_begin(&h);
	coord(&h, VASD_EVENT_MIGRATION_HOOK, 7);
	history_window_add(&h, 50, VAS_WIN_TYPE_DEFAULT);
	history_commit(&h);
	hook = ledger_last_position(h.ledger) - 1;
	history_begin(&h);
	coord(&h, VASD_EVENT_MIGRATION_OPEN, 7);
	history_commit(&h);
	open7 = ledger_last_position(h.ledger);
	history_windows(&h, 60, 9);
	history_begin(&h);
	coord(&h, VASD_EVENT_MIGRATION_CLOSE, 7);
	history_commit(&h);
	close7 = ledger_last_position(h.ledger);
	history_windows(&h, 100, 20);
	history_begin(&h);
	/* a check vetoed: no open */
	coord(&h, VASD_EVENT_MIGRATION_VETO, 9);
	history_commit(&h);
	hook9 = ledger_last_position(h.ledger);
	history_windows(&h, 200, 5);
	history_begin(&h);
	coord(&h, VASD_EVENT_MIGRATION_OPEN, 8);
	history_commit(&h);
	open8 = ledger_last_position(h.ledger);
	history_windows(&h, 300, 10);
	last = ledger_last_position(h.ledger);

	/* in steps of 4: spans cross the steps' boundaries */
	while ((r = ledger_compact(h.ledger, last - 3, 4, TS, &first, &removed)) > 0)
		;
	ASSERT_INT_EQ(r, 0);
	ASSERT_INT_EQ(first, last - 3);

	/*
	 * archived: migration 7 from two before its open (its hook) to its
	 * close; the veto; migration 8, still open, from two before its open
	 * to the compaction's end (last - 4)
	 */
	expect_n = expect_sum = 0;
	for (pos = open7 - 2; pos <= close7; pos++)
		expect_n++, expect_sum += pos;
	expect_n++, expect_sum += hook9;
	for (pos = open8 - 2; pos <= last - 4; pos++)
		expect_n++, expect_sum += pos;
	ASSERT_INT_EQ(hook, open7 - 2);
	db = raw_open(path, SQLITE_OPEN_READONLY);
	ASSERT_INT_EQ(raw_int(db, "SELECT count(*) FROM archive"), expect_n);
	ASSERT_INT_EQ(raw_int(db, "SELECT sum(position) FROM archive"), expect_sum);
	events_cols = raw_text(db, "SELECT group_concat(name || ' ' || type || ' ' || \"notnull\", ',') FROM pragma_table_info('events')");
	archive_cols = raw_text(db, "SELECT group_concat(name || ' ' || type || ' ' || \"notnull\", ',') FROM pragma_table_info('archive')");
	ASSERT_STR_EQ(archive_cols, events_cols);
	free(events_cols);
	free(archive_cols);
	raw_close(db);

	/* one history, in order, with no position twice */
	ASSERT_INT_EQ(ledger_foreach_record(h.ledger, 0, collect, &all), 0);
	for (size_t i = 1; i < all.n; i++)
		ASSERT(all.v[i] > all.v[i - 1]);
	ASSERT_INT_EQ(all.v[all.n - 1], last);
	ASSERT_INT_EQ(ledger_find_migration_open(h.ledger, 7, &pos), -ENODATA);
	ASSERT_INT_EQ(ledger_find_migration_record(h.ledger, 7, &pos), 0);
	ASSERT_INT_EQ(pos, open7);
	ASSERT_INT_EQ(ledger_last_migration_record(h.ledger, &pos), 0);
	ASSERT_INT_EQ(pos, open8);
	ASSERT_INT_EQ(ledger_find_migration_record(h.ledger, 6, &pos), -ENODATA);

	ledger_free(h.ledger);
	vasd_state_free(h.state);
	free(path);
}

int main(void)
{
	dir = test_tmpdir_new();
	test_compact_anywhere();
	test_positions();
	test_steps();
	test_empty();
	test_refused();
	test_io_error();
	test_reader_snapshot();
	test_verify_checkpoint();
	test_archive();
	test_tmpdir_free(dir);
	return 0;
}
