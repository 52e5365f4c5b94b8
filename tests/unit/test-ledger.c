// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ledger on real SQLite files: every kind of event stored and read
 * back exactly, the projection mirrored in the same transaction, the
 * cursor written at commit, rollbacks, refused duplicates, a commit the
 * disk refuses and a database that cannot grow, stats, and verify's
 * description of every kind of damage.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sqlite3.h>

#include "core/event-fields.h"
#include "core/ledger-diff.h"
#include "test-files.h"
#include "test-ledger-events.h"
#include "test-raw-sqlite.h"
#include "test.h"

static char *dir;

static void history_open(struct history *h, const char *path)
{
	char *error = NULL;
	int r;

	*h = (struct history){ .seq = 0 };
	r = ledger_open(path, LEDGER_READ_WRITE, &h->ledger, &error);
	if (r < 0)
		TEST_FAIL("ledger_open %s: %s", path, error);
	ASSERT_INT_EQ(vasd_state_new(&h->state), 0);
}

static void history_close(struct history *h)
{
	ledger_free(h->ledger);
	vasd_state_free(h->state);
}

static void assert_window_eq(const struct vas_window *a,
			     const struct vas_window *b)
{
	ASSERT_UINT_EQ(a->id, b->id);
	ASSERT_UINT_EQ(a->tgid, b->tgid);
	ASSERT_UINT_EQ(a->pid, b->pid);
	ASSERT(memcmp(a->comm, b->comm, VAS_COMM_MAX) == 0);
	ASSERT_UINT_EQ(a->cop, b->cop);
	ASSERT_UINT_EQ(a->type, b->type);
	ASSERT_UINT_EQ(a->state, b->state);
	ASSERT_UINT_EQ(a->reason, b->reason);
	ASSERT_UINT_EQ(a->opened_at, b->opened_at);
}

static void assert_event_eq(const struct vasd_event *a,
			    const struct vasd_event *b)
{
	ASSERT_INT_EQ(a->position, b->position);
	ASSERT_INT_EQ(a->kind, b->kind);
	ASSERT_UINT_EQ(a->generation, b->generation);
	ASSERT_UINT_EQ(a->seq, b->seq);
	ASSERT_UINT_EQ(a->lost_from, b->lost_from);
	ASSERT_UINT_EQ(a->timestamp, b->timestamp);
	ASSERT_UINT_EQ(a->recorded, b->recorded);
	ASSERT_UINT_EQ(a->reason, b->reason);
	assert_window_eq(&a->window, &b->window);
	ASSERT_UINT_EQ(a->caps.type, b->caps.type);
	ASSERT_UINT_EQ(a->caps.total, b->caps.total);
	ASSERT_UINT_EQ(a->caps.used, b->caps.used);
	ASSERT_UINT_EQ(a->migration.stream_id, b->migration.stream_id);
	ASSERT_UINT_EQ(a->migration.phase, b->migration.phase);
	ASSERT_UINT_EQ(a->migration.token, b->migration.token);
	ASSERT_UINT_EQ(a->coord.migration, b->coord.migration);
	ASSERT_UINT_EQ(a->coord.lock, b->coord.lock);
	ASSERT_UINT_EQ(a->coord.since, b->coord.since);
	ASSERT_UINT_EQ(a->coord.token, b->coord.token);
	ASSERT_UINT_EQ(a->coord.what, b->coord.what);
	ASSERT_UINT_EQ(a->coord.count, b->coord.count);
	ASSERT_UINT_EQ(a->coord.total, b->coord.total);
	ASSERT_UINT_EQ(a->coord.pid, b->coord.pid);
	ASSERT_UINT_EQ(a->coord.uid, b->coord.uid);
	ASSERT(memcmp(a->coord.comm, b->coord.comm, VAS_COMM_MAX) == 0);
}

struct collect {
	struct vasd_event events[64];
	size_t n;
	int stop_after;			/* > 0: return -ECANCELED after so many */
};

static int collect_event(const struct vasd_event *ev, void *userdata)
{
	struct collect *c = userdata;

	ASSERT(c->n < ELEMENTSOF(c->events));
	c->events[c->n++] = *ev;
	if (c->stop_after > 0 && c->n == (size_t)c->stop_after)
		return -ECANCELED;
	return 0;
}

static void assert_state_stored(struct ledger *l, const struct vasd_state *live)
{
	struct vasd_state *stored;

	ASSERT_INT_EQ(vasd_state_new(&stored), 0);
	ASSERT_INT_EQ(ledger_load_state(l, stored), 0);
	ASSERT(vasd_state_equal(stored, live));
	vasd_state_free(stored);
}

/* Every kind, every field, values that need all 64 bits, odd comm bytes. */
static void test_round_trip(void)
{
	char *path = test_path(dir, "round.db");
	struct vasd_event sent[32];
	struct collect got = { .n = 0 };
	struct vas_window odd = history_window(9, VAS_WIN_TYPE_QOS);
	struct history h;
	size_t n = 0;

	history_open(&h, path);
	memcpy(odd.comm, "n\x01\xff\\ x", 7);
	odd.opened_at = UINT64_MAX - 1;

	history_begin(&h);
	sent[n++] = (struct vasd_event){ .kind = VASD_EVENT_DAEMON_START };
	sent[n++] = (struct vasd_event){ .kind = VASD_EVENT_RESYNC_BEGIN,
					 .reason = VASD_RESYNC_START };
	sent[n++] = (struct vasd_event){ .kind = VASD_EVENT_RESYNC_CAPS,
					 .caps = { .type = VAS_WIN_TYPE_QOS,
						   .total = UINT32_MAX } };
	sent[n++] = (struct vasd_event){ .kind = VASD_EVENT_RESYNC_WINDOW_ADD,
					 .window = odd };
	sent[n++] = (struct vasd_event){ .kind = VASD_EVENT_RESYNC_MIGRATION,
					 .migration = { .stream_id = UINT64_MAX,
							.phase = VAS_MIGRATION_PHASE_NONE,
							.token = 1ULL << 63 } };
	sent[n++] = (struct vasd_event){ .kind = VASD_EVENT_RESYNC_END,
					 .generation = GEN, .seq = 7 };
	sent[n] = (struct vasd_event){ .kind = VASD_EVENT_WINDOW_ADD,
				       .generation = GEN, .seq = 8,
				       .window = history_window(10, VAS_WIN_TYPE_DEFAULT) };
	sent[n++].timestamp = UINT64_MAX;
	sent[n] = (struct vasd_event){ .kind = VASD_EVENT_WINDOW_CHANGE,
				       .generation = GEN, .seq = 9, .window = odd };
	sent[n].window.state = VAS_WIN_STATE_SUSPENDED;
	sent[n++].window.reason = VAS_SUSPEND_REASON_CREDITS;
	sent[n++] = (struct vasd_event){ .kind = VASD_EVENT_CAPS_CHANGE,
					 .generation = GEN, .seq = 10,
					 .caps = { .type = VAS_WIN_TYPE_QOS,
						   .total = 3, .used = 0 } };
	sent[n++] = (struct vasd_event){ .kind = VASD_EVENT_MIGRATION_CHANGE,
					 .generation = GEN, .seq = 11,
					 .migration = { .stream_id = 77,
							.phase = VAS_MIGRATION_PHASE_SUSPENDING,
							.token = 0xabcdef } };
	/* the next kernel event shows a gap: vasd resyncs */
	sent[n++] = (struct vasd_event){ .kind = VASD_EVENT_RESYNC_BEGIN,
					 .reason = VASD_RESYNC_GAP,
					 .generation = GEN, .seq = 15,
					 .lost_from = 12 };
	sent[n] = (struct vasd_event){ .kind = VASD_EVENT_RESYNC_WINDOW_CHANGE,
				       .window = odd };
	sent[n++].window.state = VAS_WIN_STATE_ACTIVE;
	sent[n++] = (struct vasd_event){ .kind = VASD_EVENT_RESYNC_WINDOW_DEL,
					 .window = history_window(10, VAS_WIN_TYPE_DEFAULT) };
	/* the same (generation, seq) as a kernel event: only those are unique */
	sent[n++] = (struct vasd_event){ .kind = VASD_EVENT_RESYNC_END,
					 .generation = GEN, .seq = 11 };
	sent[n++] = (struct vasd_event){ .kind = VASD_EVENT_DAEMON_STOP };
	sent[n++] = (struct vasd_event){ .kind = VASD_EVENT_DAEMON_START };
	sent[n++] = (struct vasd_event){ .kind = VASD_EVENT_RESYNC_BEGIN,
					 .reason = VASD_RESYNC_START };
	sent[n++] = (struct vasd_event){ .kind = VASD_EVENT_RESYNC_END,
					 .generation = GEN, .seq = 11 };
	for (size_t i = 0; i < n; i++) {
		ASSERT_INT_EQ(history_append(&h, &sent[i]), 0);
		ASSERT_INT_EQ(sent[i].position, (int64_t)i + 1);
	}
	history_commit(&h);
	ASSERT_INT_EQ(ledger_last_position(h.ledger), (int64_t)n);

	ASSERT_INT_EQ(ledger_foreach_event(h.ledger, 0, collect_event, &got), 0);
	ASSERT_UINT_EQ(got.n, n);
	for (size_t i = 0; i < n; i++)
		assert_event_eq(&got.events[i], &sent[i]);
	assert_state_stored(h.ledger, h.state);

	/* from a position; and fn stops the walk */
	got = (struct collect){ .stop_after = 2 };
	ASSERT_INT_EQ(ledger_foreach_event(h.ledger, 5, collect_event, &got),
		      -ECANCELED);
	ASSERT_UINT_EQ(got.n, 2);
	assert_event_eq(&got.events[0], &sent[4]);
	assert_event_eq(&got.events[1], &sent[5]);
	ledger_free(h.ledger);

	/* and the same after reopening the file */
	ASSERT_INT_EQ(ledger_open(path, LEDGER_READ_ONLY, &h.ledger, NULL), 0);
	got = (struct collect){ .n = 0 };
	ASSERT_INT_EQ(ledger_foreach_event(h.ledger, 0, collect_event, &got), 0);
	ASSERT_UINT_EQ(got.n, n);
	for (size_t i = 0; i < n; i++)
		assert_event_eq(&got.events[i], &sent[i]);
	assert_state_stored(h.ledger, h.state);
	ASSERT_INT_EQ(ledger_verify(h.ledger, NULL, NULL, NULL), 0);
	history_close(&h);

	/* typed columns, NULL exactly where a kind has nothing */
	ASSERT_INT_EQ(raw_int_file(path,
		"SELECT count(*) FROM events WHERE (window_id IS NULL) = "
		"(kind IN ('window-add', 'window-del', 'window-change', "
		"'resync-window-add', 'resync-window-del', 'resync-window-change'))"), 0);
	ASSERT_INT_EQ(raw_int_file(path,
		"SELECT count(*) FROM events WHERE (caps_type IS NULL) = "
		"(kind IN ('caps-change', 'resync-caps'))"), 0);
	ASSERT_INT_EQ(raw_int_file(path,
		"SELECT count(*) FROM events WHERE (migration_phase IS NULL) = "
		"(kind IN ('migration-change', 'resync-migration'))"), 0);
	ASSERT_INT_EQ(raw_int_file(path,
		"SELECT count(*) FROM events WHERE (reason IS NULL) = "
		"(kind = 'resync-begin')"), 0);
	ASSERT_INT_EQ(raw_int_file(path,
		"SELECT count(*) FROM events WHERE seq IS NULL"), 10);
	ASSERT_INT_EQ(raw_int_file(path,
		"SELECT count(*) FROM events WHERE lost_from IS NOT NULL"), 1);
	ASSERT_INT_EQ(raw_int_file(path,
		"SELECT count(*) FROM events WHERE typeof(generation) = 'integer' "
		"AND generation < 0"), 8);
	free(path);
}

/*
 * The coordinator's kinds: every field of each, stored and read back,
 * what by name, the kernel's migration and the window where the kind
 * carries them; the last migration-open found by its index.
 */
static void test_round_trip_coord(void)
{
	char *path = test_path(dir, "coord.db");
	struct vas_migration k = { .stream_id = UINT64_MAX,
				   .phase = VAS_MIGRATION_PHASE_SUSPENDED,
				   .token = 0xfedcba9876543210ULL };
	struct vasd_event sent[_VASD_EVENT_KIND_MAX];
	struct collect got = { .n = 0 };
	struct history h;
	int64_t open_at = 0;
	size_t n = 0;

	history_open(&h, path);
	ASSERT_INT_EQ(ledger_last_migration_open(h.ledger, &open_at), -ENODATA);
	history_begin(&h);
	for (int kind = VASD_EVENT_INHIBITOR_TAKE;
	     kind <= VASD_EVENT_MIGRATION_UNCOORDINATED; kind++) {
		unsigned int carries = vasd_event_kind_carries(kind);
		struct vasd_event *ev = &sent[n];
		uint32_t what = 0;

		/* the last name of the kind's what, when it has one */
		while (vasd_coord_what_to_string(kind, what + 1))
			what++;
		*ev = (struct vasd_event){
			.kind = kind,
			.coord = {
				.migration = 7 + n,
				.lock = UINT64_MAX - n,
				.since = 1ULL << 63,
				.token = 0x8000000000000001ULL,
				.what = what,
				.count = UINT32_MAX,
				.total = 3,
				.pid = 4000000 + (uint32_t)n,
				.uid = 65534,
			},
		};
		memcpy(ev->coord.comm, "nx\\\x01\xff", 6);
		if (carries & VASD_CARRIES_MIGRATION)
			ev->migration = k;
		if (carries & VASD_CARRIES_WINDOW)
			ev->window = history_window(3, VAS_WIN_TYPE_QOS);
		ASSERT_INT_EQ(history_append(&h, ev), 0);
		n++;
	}
	/* a what out of the kind's range is refused, and rolls back */
	sent[n] = (struct vasd_event){ .kind = VASD_EVENT_MIGRATION_ACK,
				       .coord.what = 1 };
	ASSERT_INT_EQ(ledger_append(h.ledger, &sent[n], &(struct vasd_effect){ 0 }),
		      -EINVAL);
	ASSERT(!ledger_in_transaction(h.ledger));
	history_begin(&h);
	for (size_t i = 0; i < n; i++)
		ASSERT_INT_EQ(history_append(&h, &sent[i]), 0);
	history_commit(&h);

	ASSERT_INT_EQ(ledger_foreach_event(h.ledger, 0, collect_event, &got), 0);
	ASSERT_UINT_EQ(got.n, n);
	for (size_t i = 0; i < n; i++)
		assert_event_eq(&got.events[i], &sent[i]);
	ASSERT_INT_EQ(ledger_last_migration_open(h.ledger, &open_at), 0);
	ASSERT_INT_EQ(open_at, VASD_EVENT_MIGRATION_OPEN - VASD_EVENT_INHIBITOR_TAKE + 1);
	ASSERT_INT_EQ(ledger_find_migration_open(h.ledger,
			7 + VASD_EVENT_MIGRATION_OPEN - VASD_EVENT_INHIBITOR_TAKE,
			&open_at), 0);
	ASSERT_INT_EQ(open_at, VASD_EVENT_MIGRATION_OPEN - VASD_EVENT_INHIBITOR_TAKE + 1);
	ASSERT_INT_EQ(ledger_find_migration_open(h.ledger, 7, &open_at), -ENODATA);
	ASSERT_INT_EQ(ledger_verify(h.ledger, NULL, NULL, NULL), 0);
	history_close(&h);

	/* typed columns: what by name, NULL for a kind without one */
	ASSERT_INT_EQ(raw_int_file(path,
		"SELECT count(*) FROM events WHERE coord_migration IS NULL "
		"OR coord_comm IS NULL OR coord_uid != 65534"), 0);
	ASSERT_INT_EQ(raw_int_file(path,
		"SELECT count(*) FROM events WHERE coord_what IS NULL"), 5);
	ASSERT_INT_EQ(raw_int_file(path,
		"SELECT count(*) FROM events WHERE kind = 'migration-close' "
		"AND coord_what = 'abandoned'"), 1);
	ASSERT_INT_EQ(raw_int_file(path,
		"SELECT count(*) FROM events WHERE (window_id IS NULL) = "
		"(kind = 'migration-anomaly')"), 0);
	ASSERT_INT_EQ(raw_int_file(path,
		"SELECT count(*) FROM events WHERE (migration_phase IS NULL) = "
		"(kind IN ('migration-open', 'migration-veto', 'migration-ack', "
		"'migration-anomaly', 'migration-error', 'migration-close'))"), 0);
	free(path);
}

/* The cursor row takes the transaction's last cursor effect, at commit. */
static void test_cursor(void)
{
	char *path = test_path(dir, "cursor.db");
	struct ledger *reader = NULL;
	struct vasd_state *s;
	struct history h;

	history_open(&h, path);
	history_started(&h);

	history_begin(&h);
	history_window_add(&h, 1, VAS_WIN_TYPE_DEFAULT);
	history_add(&h, (struct vasd_event){ .kind = VASD_EVENT_RESYNC_BEGIN,
					     .reason = VASD_RESYNC_OVERRUN });
	history_add(&h, (struct vasd_event){ .kind = VASD_EVENT_RESYNC_END,
					     .generation = GEN, .seq = 40 });
	/* no cursor effect: the one before stays the last */
	history_add(&h, (struct vasd_event){ .kind = VASD_EVENT_DAEMON_STOP });

	/* until the commit, a reader sees the cursor as it was */
	ASSERT_INT_EQ(ledger_open(path, LEDGER_READ_ONLY, &reader, NULL), 0);
	ASSERT_INT_EQ(vasd_state_new(&s), 0);
	ASSERT_INT_EQ(ledger_load_state(reader, s), 0);
	ASSERT_UINT_EQ(vasd_state_seq(s), 0);
	ASSERT(vasd_state_synced(s));
	vasd_state_free(s);

	history_commit(&h);
	ASSERT_INT_EQ(vasd_state_new(&s), 0);
	ASSERT_INT_EQ(ledger_load_state(reader, s), 0);
	ASSERT_UINT_EQ(vasd_state_generation(s), GEN);
	ASSERT_UINT_EQ(vasd_state_seq(s), 40);
	ASSERT(vasd_state_synced(s));
	ASSERT(vasd_state_equal(s, h.state));
	vasd_state_free(s);
	ledger_free(reader);
	history_close(&h);
	free(path);
}

static void test_rollback(void)
{
	char *path = test_path(dir, "rollback.db");
	struct vasd_state *before;
	struct vasd_effect none = { .what = 0 };
	struct vasd_event ev;
	struct history h;
	int64_t last;

	history_open(&h, path);
	history_started(&h);
	history_windows(&h, 1, 10);
	last = ledger_last_position(h.ledger);
	ASSERT_INT_EQ(vasd_state_new(&before), 0);
	ASSERT_INT_EQ(ledger_load_state(h.ledger, before), 0);

	/* misuse */
	ev = (struct vasd_event){ .kind = VASD_EVENT_DAEMON_STOP };
	ASSERT_INT_EQ(ledger_append(h.ledger, &ev, &none), -EINVAL);
	ASSERT_INT_EQ(ledger_commit(h.ledger), -EINVAL);
	history_begin(&h);
	ASSERT_INT_EQ(ledger_begin(h.ledger), -EBUSY);
	ASSERT(ledger_in_transaction(h.ledger));

	/* an explicit rollback */
	history_window_add(&h, 100, VAS_WIN_TYPE_QOS);
	history_window_del(&h, 1);
	ledger_rollback(h.ledger);
	ASSERT(!ledger_in_transaction(h.ledger));
	ASSERT_INT_EQ(ledger_last_position(h.ledger), last);
	assert_state_stored(h.ledger, before);

	/* an unknown kind ends the batch */
	history_begin(&h);
	ev = (struct vasd_event){ .kind = VASD_EVENT_DAEMON_STOP };
	ASSERT_INT_EQ(ledger_append(h.ledger, &ev, &none), 0);
	ev = (struct vasd_event){ .kind = _VASD_EVENT_KIND_MAX };
	ASSERT_INT_EQ(ledger_append(h.ledger, &ev, &none), -EINVAL);
	ASSERT(!ledger_in_transaction(h.ledger));
	ASSERT_INT_EQ(ledger_last_position(h.ledger), last);

	/* a kernel event stored twice ends the batch */
	history_begin(&h);
	ev = (struct vasd_event){ .kind = VASD_EVENT_DAEMON_STOP };
	ASSERT_INT_EQ(ledger_append(h.ledger, &ev, &none), 0);
	ev = (struct vasd_event){ .kind = VASD_EVENT_WINDOW_ADD,
				  .generation = GEN, .seq = 3,
				  .window = history_window(3, VAS_WIN_TYPE_QOS) };
	ASSERT_INT_EQ(ledger_append(h.ledger, &ev, &none), -EEXIST);
	ASSERT(!ledger_in_transaction(h.ledger));
	ASSERT_INT_EQ(ledger_last_position(h.ledger), last);
	assert_state_stored(h.ledger, before);

	/* and the ledger goes on from what it stored */
	vasd_state_free(h.state);
	h.state = before;
	h.seq = vasd_state_seq(before);
	history_windows(&h, 200, 5);
	ASSERT_INT_EQ(ledger_last_position(h.ledger), last + 6);
	ASSERT_INT_EQ(ledger_verify(h.ledger, NULL, NULL, NULL), 0);
	history_close(&h);
	free(path);
}

/*
 * The disk refuses the commit's WAL write (RLIMIT_FSIZE at the end of the
 * log: the kernel answers EFBIG, SQLite SQLITE_IOERR). The batch is gone,
 * the earlier ones are intact, and the ledger takes new batches.
 */
static void test_commit_io_error(void)
{
	char *path = test_path(dir, "ioerr.db");
	struct vasd_state *committed;
	struct rlimit old, limit;
	struct history h;
	int64_t last, n;

	history_open(&h, path);
	history_started(&h);
	history_windows(&h, 1, 30);
	last = ledger_last_position(h.ledger);
	ASSERT_INT_EQ(vasd_state_new(&committed), 0);
	ASSERT_INT_EQ(ledger_load_state(h.ledger, committed), 0);

	history_begin(&h);
	for (uint32_t id = 100; id < 120; id++)
		history_window_add(&h, id, VAS_WIN_TYPE_DEFAULT);
	history_caps(&h, VAS_WIN_TYPE_DEFAULT, 64);

	/* the log only grows here: no checkpoint ran yet (1000 pages) */
	ASSERT(getrlimit(RLIMIT_FSIZE, &old) == 0);
	limit = old;
	limit.rlim_cur = (rlim_t)test_wal_size(path);
	ASSERT(signal(SIGXFSZ, SIG_IGN) != SIG_ERR);
	ASSERT(setrlimit(RLIMIT_FSIZE, &limit) == 0);
	ASSERT_INT_EQ(ledger_commit(h.ledger), -EIO);
	ASSERT(setrlimit(RLIMIT_FSIZE, &old) == 0);
	ASSERT(!ledger_in_transaction(h.ledger));
	ledger_free(h.ledger);

	ASSERT_INT_EQ(ledger_open(path, LEDGER_READ_WRITE, &h.ledger, NULL), 0);
	ASSERT_INT_EQ(ledger_last_position(h.ledger), last);
	assert_state_stored(h.ledger, committed);
	ASSERT_INT_EQ(ledger_verify(h.ledger, &n, NULL, NULL), 0);
	ASSERT_INT_EQ(n, last);

	vasd_state_free(h.state);
	h.state = committed;
	h.seq = vasd_state_seq(committed);
	history_windows(&h, 500, 3);
	ASSERT_INT_EQ(ledger_verify(h.ledger, &n, NULL, NULL), 0);
	ASSERT_INT_EQ(n, last + 4);
	history_close(&h);
	free(path);
}

/*
 * Every connection opened while it is registered may not grow its
 * database: max_page_count below the file's size means "as it is now".
 */
static int limit_pages(sqlite3 *db, char **error,
		       const struct sqlite3_api_routines *api)
{
	return sqlite3_exec(db, "PRAGMA max_page_count = 1", NULL, NULL, error);
}

/*
 * The database cannot grow (SQLite's max_page_count, which fails as a
 * full disk does: SQLITE_FULL) in the middle of a batch.
 */
static void test_full(void)
{
	char *path = test_path(dir, "full.db");
	struct vasd_state *committed;
	struct vasd_event ev;
	struct history h;
	int64_t last, n;
	uint32_t id;
	int r = 0;

	history_open(&h, path);
	history_started(&h);
	history_windows(&h, 1, 30);
	last = ledger_last_position(h.ledger);
	ASSERT_INT_EQ(vasd_state_new(&committed), 0);
	ASSERT_INT_EQ(ledger_load_state(h.ledger, committed), 0);
	ledger_free(h.ledger);

	ASSERT_INT_EQ(sqlite3_auto_extension((void (*)(void))limit_pages),
		      SQLITE_OK);
	ASSERT_INT_EQ(ledger_open(path, LEDGER_READ_WRITE, &h.ledger, NULL), 0);
	history_begin(&h);
	for (id = 1000; id < 5000 && r == 0; id++) {
		ev = history_kernel(&h, VASD_EVENT_WINDOW_ADD);
		ev.window = history_window(id, VAS_WIN_TYPE_QOS);
		r = history_append(&h, &ev);
	}
	ASSERT_INT_EQ(r, -ENOSPC);
	ASSERT(!ledger_in_transaction(h.ledger));
	ledger_free(h.ledger);
	ASSERT_INT_EQ(sqlite3_cancel_auto_extension((void (*)(void))limit_pages),
		      1);

	ASSERT_INT_EQ(ledger_open(path, LEDGER_READ_WRITE, &h.ledger, NULL), 0);
	ASSERT_INT_EQ(ledger_last_position(h.ledger), last);
	assert_state_stored(h.ledger, committed);
	ASSERT_INT_EQ(ledger_verify(h.ledger, &n, NULL, NULL), 0);
	ASSERT_INT_EQ(n, last);
	vasd_state_free(committed);
	history_close(&h);
	free(path);
}

static void test_stats(void)
{
	char *path = test_path(dir, "stats.db");
	struct ledger_stats st;
	struct history h;

	history_open(&h, path);
	history_started(&h);
	history_windows(&h, 1, 30);
	history_begin(&h);
	history_window_change(&h, 4, VAS_WIN_STATE_SUSPENDED,
			      VAS_SUSPEND_REASON_MIGRATION);
	history_caps(&h, VAS_WIN_TYPE_QOS, 16);
	history_migration(&h, VAS_MIGRATION_PHASE_PREPARE);
	history_resync(&h);
	history_commit(&h);

	ASSERT_INT_EQ(ledger_stats(h.ledger, &st), 0);
	ASSERT_INT_EQ(st.n_events, 5 + 30 + 10 + 5);
	ASSERT_INT_EQ(st.first_position, 1);
	ASSERT_INT_EQ(st.last_position, st.n_events);
	ASSERT_INT_EQ(st.n_events_by_kind[VASD_EVENT_DAEMON_START], 1);
	ASSERT_INT_EQ(st.n_events_by_kind[VASD_EVENT_WINDOW_ADD], 30);
	ASSERT_INT_EQ(st.n_events_by_kind[VASD_EVENT_WINDOW_DEL], 10);
	ASSERT_INT_EQ(st.n_events_by_kind[VASD_EVENT_WINDOW_CHANGE], 1);
	ASSERT_INT_EQ(st.n_events_by_kind[VASD_EVENT_CAPS_CHANGE], 1);
	ASSERT_INT_EQ(st.n_events_by_kind[VASD_EVENT_MIGRATION_CHANGE], 1);
	ASSERT_INT_EQ(st.n_events_by_kind[VASD_EVENT_RESYNC_CAPS], 2);
	ASSERT_INT_EQ(st.n_events_by_kind[VASD_EVENT_RESYNC_BEGIN], 2);
	ASSERT_INT_EQ(st.n_events_by_kind[VASD_EVENT_RESYNC_END], 2);
	ASSERT_INT_EQ(st.n_resyncs, 2);
	ASSERT_INT_EQ(st.n_windows, 20);
	ASSERT_UINT_EQ(st.generation, GEN);
	ASSERT_UINT_EQ(st.seq, h.seq);
	ASSERT(st.synced);
	ASSERT(st.file_bytes > 0);
	/* vasd holds it open: the log is not checkpointed yet */
	ASSERT(st.wal_bytes > 0);
	ASSERT_INT_EQ(st.schema_version, ledger_schema_version());
	history_close(&h);
	free(path);
}

static void test_default_path(void)
{
	char *p = NULL;

	ASSERT_INT_EQ(unsetenv("STATE_DIRECTORY"), 0);
	ASSERT_INT_EQ(ledger_default_path(&p), 0);
	ASSERT_STR_EQ(p, "/var/lib/vasd/ledger.db");
	free(p);
	ASSERT_INT_EQ(setenv("STATE_DIRECTORY", "/run/state/vasd:/var/lib/other", 1), 0);
	ASSERT_INT_EQ(ledger_default_path(&p), 0);
	ASSERT_STR_EQ(p, "/run/state/vasd/ledger.db");
	free(p);
	ASSERT_INT_EQ(unsetenv("STATE_DIRECTORY"), 0);
}

/* A ledger to damage: credits, windows of both types, a migration. */
static void make_verify_base(const char *path)
{
	struct history h;

	history_open(&h, path);
	history_started(&h);
	history_windows(&h, 1, 30);
	history_begin(&h);
	history_window_change(&h, 16, VAS_WIN_STATE_SUSPENDED,
			      VAS_SUSPEND_REASON_CREDITS);
	history_window_change(&h, 16, VAS_WIN_STATE_ACTIVE,
			      VAS_SUSPEND_REASON_NONE);
	history_caps(&h, VAS_WIN_TYPE_DEFAULT, 12);
	history_migration(&h, VAS_MIGRATION_PHASE_PREPARE);
	history_commit(&h);
	history_close(&h);
}

/* A copy of base damaged with sql; verify says exactly message. */
static void assert_verify(const struct test_file *base, const char *sql,
			  int64_t replayed, const char *message)
{
	char *path = test_path(dir, "damaged.db");
	struct ledger *l = NULL;
	char *error = NULL;
	int64_t n = -1;

	test_file_write(path, base->bytes, base->size);
	if (sql)
		raw_exec_file(path, sql);
	ASSERT_INT_EQ(ledger_open(path, LEDGER_READ_ONLY, &l, NULL), 0);
	ASSERT_INT_EQ(ledger_verify(l, &n, NULL, &error), message ? -EUCLEAN : 0);
	if (message)
		ASSERT_STR_EQ(error, message);
	else
		ASSERT_NULL(error);
	ASSERT_INT_EQ(n, replayed);
	ledger_free(l);
	free(error);
	ASSERT_INT_EQ(unlink(path), 0);
	free(path);
}

static void test_verify(void)
{
	char *path = test_path(dir, "base.db");
	struct test_file base;
	/*
	 * 5 start; 30 adds and 10 dels (ids 2, 5, ..., 29); 2 changes,
	 * credits, migration: 44 kernel events
	 */
	const int64_t all = 5 + 40 + 4;

	make_verify_base(path);
	base = test_file_read(path);
	ASSERT_INT_EQ(unlink(path), 0);

	assert_verify(&base, NULL, all, NULL);
	assert_verify(&base, "UPDATE windows SET state = 1, reason = 2 WHERE id = 16",
		      all, "window 16: stored state suspended, replay active");
	assert_verify(&base, "UPDATE windows SET comm = 'x\\y' WHERE id = 4",
		      all, "window 4: stored comm \"x\\x5cy\", replay \"client4\"");
	assert_verify(&base, "UPDATE windows SET uid = 7 WHERE id = 4",
		      all, "window 4: stored uid 7, replay not known");
	assert_verify(&base, "UPDATE windows SET uid = NULL WHERE id = 3",
		      all, "window 3: stored uid not known, replay 2000");
	assert_verify(&base, "DELETE FROM windows WHERE id = 19",
		      all, "window 19: in the replay, not stored");
	assert_verify(&base, "INSERT INTO windows VALUES (5, 1, 1, 'ghost', 0, 0, 0, 0, 1, NULL)",
		      all, "window 5: stored, not in the replay");
	assert_verify(&base, "UPDATE cursor SET seq = seq + 1",
		      all, "cursor: stored seq 45, replay 44");
	assert_verify(&base, "UPDATE cursor SET synced = 0",
		      all, "cursor: stored not synced, replay synced");
	assert_verify(&base, "UPDATE caps SET total = 5 WHERE type = 0",
		      all, "credits default: stored total 5, replay 12");
	assert_verify(&base, "UPDATE caps SET used = 9 WHERE type = 1",
		      all, "credits qos: stored used 9, replay 10");
	assert_verify(&base, "DELETE FROM migration",
		      all, "migration: in the replay, not stored");
	assert_verify(&base, "UPDATE migration SET phase = 3",
		      all, "migration: stored phase suspended, replay prepare");
	/* events: the first that does not apply is named */
	assert_verify(&base, "UPDATE events SET window_id = 999 WHERE position = 9",
		      8, "event 9 (window-del) does not apply: inconsistent");
	assert_verify(&base, "DELETE FROM events WHERE position = 10",
		      9, "event 11 (window-add) does not apply: gap");
	assert_verify(&base, "UPDATE events SET seq = 0 WHERE position = 12",
		      11, "event 12 (window-add) does not apply: stale");
	assert_verify(&base, "UPDATE events SET window_state = 7 WHERE position = 6",
		      5, "event 6 (window-add) is malformed");
	assert_verify(&base, "UPDATE events SET kind = 'window-explode' WHERE position = 6",
		      5, "the event after position 5 cannot be read: its kind, reason or values are unknown to this vasd");
	assert_verify(&base, "UPDATE windows SET type = 9 WHERE id = 3",
		      all, "the stored projection cannot be loaded: a row holds values the state refuses");
	test_file_free(&base);
	free(path);
}

static struct vasd_state *state_new(void)
{
	struct vasd_state *s;

	ASSERT_INT_EQ(vasd_state_new(&s), 0);
	return s;
}

/* ledger_diff() on states built directly: the order it reports in. */
static void test_diff(void)
{
	struct vasd_state *a = state_new(), *b = state_new();
	struct vas_window w = history_window(3, VAS_WIN_TYPE_QOS);
	struct vas_caps caps = { .type = VAS_WIN_TYPE_DEFAULT, .total = 4 };
	struct vas_migration m = { .stream_id = 1, .phase = 2, .token = 3 };
	char *text = NULL;

	ASSERT_INT_EQ(ledger_diff(a, b, &text), 0);
	ASSERT_NULL(text);

	vasd_state_put_cursor(a, GEN, 5, true);
	vasd_state_put_cursor(b, GEN + 1, 5, true);
	ASSERT_INT_EQ(ledger_diff(a, b, &text), 1);
	ASSERT_STR_EQ(text, "cursor: stored generation 8c3f0a1b2c3d4e5f, replay 8c3f0a1b2c3d4e60");
	free(text);
	vasd_state_put_cursor(b, GEN, 5, true);

	/* the lowest id first, from either side */
	ASSERT_INT_EQ(vasd_state_put_window(a, &w), 0);
	w.id = 2;
	w.tgid = 1;
	ASSERT_INT_EQ(vasd_state_put_window(b, &w), 0);
	ASSERT_INT_EQ(ledger_diff(a, b, &text), 1);
	ASSERT_STR_EQ(text, "window 2: in the replay, not stored");
	free(text);
	w.tgid = 2;
	ASSERT_INT_EQ(vasd_state_put_window(a, &w), 0);
	ASSERT_INT_EQ(ledger_diff(a, b, &text), 1);
	ASSERT_STR_EQ(text, "window 2: stored tgid 2, replay 1");
	free(text);

	vasd_state_free(a);
	vasd_state_free(b);
	a = state_new();
	b = state_new();
	vasd_state_put_caps(a, &caps);
	ASSERT_INT_EQ(ledger_diff(a, b, &text), 1);
	ASSERT_STR_EQ(text, "credits default: stored, not in the replay");
	free(text);
	vasd_state_put_caps(b, &caps);
	vasd_state_put_migration(b, &m);
	ASSERT_INT_EQ(ledger_diff(a, b, &text), 1);
	ASSERT_STR_EQ(text, "migration: in the replay, not stored");
	free(text);
	m.token = 4;
	vasd_state_put_migration(a, &m);
	ASSERT_INT_EQ(ledger_diff(a, b, &text), 1);
	ASSERT_STR_EQ(text, "migration: stored token 0000000000000004, replay 0000000000000003");
	free(text);
	vasd_state_free(a);
	vasd_state_free(b);
}

int main(void)
{
	dir = test_tmpdir_new();
	test_default_path();
	test_diff();
	test_round_trip();
	test_round_trip_coord();
	test_cursor();
	test_rollback();
	test_commit_io_error();
	test_full();
	test_stats();
	test_verify();
	test_tmpdir_free(dir);
	return 0;
}
