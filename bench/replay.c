// SPDX-License-Identifier: GPL-2.0-only
/*
 * What `vasctl ledger verify` costs against the floor of reading the same
 * rows: a ledger of 1M events is built the way vasd builds it (each event
 * applied to a live state, appended with its effect, committed in batches
 * of 1000), then ledger_verify() (decode every row, vasd_apply() it into a
 * fresh state, load the projection and compare) is timed against a raw
 * scan (SELECT * FROM events, every column of every row read) of the same
 * file in the same run. Rounds alternate the two; the best of each counts.
 *
 * The events mix what a busy partition sees: windows opened and closed,
 * suspended and resumed for credits, credit changes (DLPAR), migrations
 * (every window suspended and resumed, with the phases), and vasd
 * restarting now and then with a resync.
 *
 * Then the ledger is compacted to its last 10% (CompactLedger's work) and
 * verify timed again, from the checkpoint: what compaction bounds.
 *
 * The file goes in $TMPDIR, else /var/tmp (on disk, not tmpfs), and is
 * removed at the end. `replay --build PATH` only builds the ledger at PATH
 * (bench/startup.py starts vasd on it). The last line is the result:
 *   replay: ratio X.XX (ledger verify over raw scan of 1M events)
 */
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

#include "ledger/ledger.h"

#define N_EVENTS	1000000
#define BATCH		1000
#define ROUNDS		3
#define GEN		0x5d1c0a7e93b2f468ULL

#define MIGRATION_EVERY	20000
#define CAPS_EVERY	5000
#define RESTART_EVERY	250000
#define CREDITS_DEFAULT	192
#define CREDITS_QOS	64
#define MAX_WINDOWS	(CREDITS_DEFAULT + CREDITS_QOS)
/* a migration: its phases, every window suspended and resumed */
#define QUEUE_MAX	(2 * MAX_WINDOWS + 16)

struct gen {
	struct vasd_state *state;
	uint64_t seq;
	uint64_t now;
	uint64_t rnd;
	uint64_t stream;
	uint64_t token;
	uint32_t next_id;
	uint32_t live[MAX_WINDOWS];
	size_t n_live;
	struct vasd_event queue[QUEUE_MAX];
	size_t queue_head, queue_len;
	uint64_t n;
	/* when the next of each comes due, in events */
	uint64_t next_migration, next_caps, next_restart;
};

static void die(const char *what, int r)
{
	fprintf(stderr, "replay: %s: %s\n", what, strerror(r < 0 ? -r : r));
	exit(EXIT_FAILURE);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rnd(struct gen *g)
{
	/* xorshift64*: the same ledger every run */
	g->rnd ^= g->rnd >> 12;
	g->rnd ^= g->rnd << 25;
	g->rnd ^= g->rnd >> 27;
	return g->rnd * 2685821657736338717ULL;
}

static uint32_t rnd_below(struct gen *g, uint32_t n)
{
	return (uint32_t)(rnd(g) % n);
}

static void enqueue(struct gen *g, struct vasd_event ev)
{
	if (g->queue_len == QUEUE_MAX)
		die("queue", -ENOBUFS);
	g->queue[(g->queue_head + g->queue_len++) % QUEUE_MAX] = ev;
}

static struct vasd_event kernel_event(int kind)
{
	/* seq and timestamp are given when it is emitted */
	return (struct vasd_event){ .kind = kind, .generation = GEN };
}

static struct vasd_event window_event(struct gen *g, int kind, uint32_t id,
				      uint32_t state, uint32_t reason)
{
	struct vasd_event ev = kernel_event(kind);

	ev.window = *vasd_state_window(g->state, id);
	ev.window.state = state;
	ev.window.reason = reason;
	return ev;
}

static uint32_t credits_free(struct gen *g, uint32_t type)
{
	const struct vas_caps *c = vasd_state_caps(g->state, type);

	return c->used < c->total ? c->total - c->used : 0;
}

/* A window of a type with a credit free; false when there is none. */
static bool op_window_add(struct gen *g)
{
	uint32_t type = rnd_below(g, 4) == 0 ? VAS_WIN_TYPE_QOS :
					       VAS_WIN_TYPE_DEFAULT;
	struct vasd_event ev = kernel_event(VASD_EVENT_WINDOW_ADD);
	uint32_t id;

	if (!credits_free(g, type))
		type = 1 - type;
	if (!credits_free(g, type))
		return false;
	id = ++g->next_id;

	ev.window = (struct vas_window){
		.id = id,
		.tgid = 1000 + rnd_below(g, 50),
		.cop = VAS_COP_GZIP,
		.type = type,
		.state = VAS_WIN_STATE_ACTIVE,
		.reason = VAS_SUSPEND_REASON_NONE,
		.opened_at = g->now,
	};
	ev.window.pid = ev.window.tgid + rnd_below(g, 8);
	snprintf(ev.window.comm, sizeof(ev.window.comm), "nxjob%u",
		 ev.window.tgid);
	g->live[g->n_live++] = id;
	enqueue(g, ev);
	return true;
}

static void op_window_del(struct gen *g)
{
	size_t i = rnd_below(g, (uint32_t)g->n_live);
	const struct vas_window *w = vasd_state_window(g->state, g->live[i]);

	enqueue(g, window_event(g, VASD_EVENT_WINDOW_DEL, w->id, w->state,
				w->reason));
	g->live[i] = g->live[--g->n_live];
}

/* DLPAR took or gave back a credit: a window suspended or resumed. */
static void op_window_credits(struct gen *g)
{
	const struct vas_window *w =
		vasd_state_window(g->state, g->live[rnd_below(g, (uint32_t)g->n_live)]);

	if (w->state == VAS_WIN_STATE_ACTIVE)
		enqueue(g, window_event(g, VASD_EVENT_WINDOW_CHANGE, w->id,
					VAS_WIN_STATE_SUSPENDED,
					VAS_SUSPEND_REASON_CREDITS));
	else if (credits_free(g, w->type))
		enqueue(g, window_event(g, VASD_EVENT_WINDOW_CHANGE, w->id,
					VAS_WIN_STATE_ACTIVE,
					VAS_SUSPEND_REASON_NONE));
}

static void op_caps(struct gen *g)
{
	uint32_t type = rnd_below(g, VASD_N_TYPES);
	const struct vas_caps *c = vasd_state_caps(g->state, type);
	uint32_t base = type == VAS_WIN_TYPE_QOS ? CREDITS_QOS : CREDITS_DEFAULT;
	struct vasd_event ev = kernel_event(VASD_EVENT_CAPS_CHANGE);

	ev.caps = *c;
	ev.caps.total = base - rnd_below(g, base / 4);
	if (ev.caps.total < c->used)
		ev.caps.total = c->used;
	enqueue(g, ev);
}

static void migration_phase(struct gen *g, uint32_t phase)
{
	struct vasd_event ev = kernel_event(VASD_EVENT_MIGRATION_CHANGE);

	ev.migration = (struct vas_migration){
		.stream_id = g->stream,
		.phase = phase,
		.token = g->token,
	};
	enqueue(g, ev);
}

/* As mobility.c orders it: every active window suspended, then resumed. */
static void op_migration(struct gen *g)
{
	uint32_t suspended[MAX_WINDOWS];
	size_t n = 0;

	g->stream++;
	g->token = rnd(g);
	migration_phase(g, VAS_MIGRATION_PHASE_PREPARE);
	migration_phase(g, VAS_MIGRATION_PHASE_SUSPENDING);
	for (size_t i = 0; i < g->n_live; i++) {
		const struct vas_window *w = vasd_state_window(g->state, g->live[i]);

		if (w->state != VAS_WIN_STATE_ACTIVE)
			continue;
		enqueue(g, window_event(g, VASD_EVENT_WINDOW_CHANGE, w->id,
					VAS_WIN_STATE_SUSPENDED,
					VAS_SUSPEND_REASON_MIGRATION));
		suspended[n++] = w->id;
	}
	migration_phase(g, VAS_MIGRATION_PHASE_SUSPENDED);
	migration_phase(g, VAS_MIGRATION_PHASE_RESUMED);
	for (size_t i = 0; i < n; i++)
		enqueue(g, window_event(g, VASD_EVENT_WINDOW_CHANGE,
					suspended[i], VAS_WIN_STATE_ACTIVE,
					VAS_SUSPEND_REASON_NONE));
	migration_phase(g, VAS_MIGRATION_PHASE_COMPLETED);
}

/* vasd stops and starts again; the kernel did nothing meanwhile. */
static void op_restart(struct gen *g)
{
	enqueue(g, (struct vasd_event){ .kind = VASD_EVENT_DAEMON_STOP });
	enqueue(g, (struct vasd_event){ .kind = VASD_EVENT_DAEMON_START });
	enqueue(g, (struct vasd_event){ .kind = VASD_EVENT_RESYNC_BEGIN,
					.reason = VASD_RESYNC_START });
	/* RESYNC_END's seq is the kernel's at that point: given when emitted */
	enqueue(g, (struct vasd_event){ .kind = VASD_EVENT_RESYNC_END,
					.generation = GEN });
}

static void start(struct gen *g)
{
	enqueue(g, (struct vasd_event){ .kind = VASD_EVENT_DAEMON_START });
	enqueue(g, (struct vasd_event){ .kind = VASD_EVENT_RESYNC_BEGIN,
					.reason = VASD_RESYNC_START });
	enqueue(g, (struct vasd_event){ .kind = VASD_EVENT_RESYNC_CAPS,
					.caps = { .type = VAS_WIN_TYPE_DEFAULT,
						  .total = CREDITS_DEFAULT } });
	enqueue(g, (struct vasd_event){ .kind = VASD_EVENT_RESYNC_CAPS,
					.caps = { .type = VAS_WIN_TYPE_QOS,
						  .total = CREDITS_QOS } });
	enqueue(g, (struct vasd_event){ .kind = VASD_EVENT_RESYNC_END,
					.generation = GEN });
}

static void plan(struct gen *g)
{
	uint32_t dice;

	if (g->n >= g->next_migration) {
		g->next_migration += MIGRATION_EVERY;
		op_migration(g);
		return;
	}
	if (g->n >= g->next_restart) {
		g->next_restart += RESTART_EVERY;
		op_restart(g);
		return;
	}
	if (g->n >= g->next_caps) {
		g->next_caps += CAPS_EVERY;
		op_caps(g);
		return;
	}
	/* about 150 windows open: as many opened as closed around there */
	dice = rnd_below(g, 100);
	if ((g->n_live == 0 || dice < (g->n_live < 150 ? 50u : 40u)) &&
	    op_window_add(g))
		return;
	if (g->n_live == 0)
		return;
	if (dice < 90)
		op_window_del(g);
	else
		op_window_credits(g);
}

static struct vasd_event next_event(struct gen *g)
{
	struct vasd_event ev;

	while (g->queue_len == 0)
		plan(g);
	ev = g->queue[g->queue_head];
	g->queue_head = (g->queue_head + 1) % QUEUE_MAX;
	g->queue_len--;

	g->now += 1000 + rnd_below(g, 1000000);
	if (vasd_event_kind_is_kernel(ev.kind))
		ev.seq = ++g->seq;
	else if (ev.kind == VASD_EVENT_RESYNC_END)
		ev.seq = g->seq;
	ev.timestamp = g->now;
	ev.recorded = g->now + 20000;
	return ev;
}

static void build(const char *path)
{
	struct gen *g = calloc(1, sizeof(*g));
	struct ledger *l = NULL;
	struct vasd_effect effect;
	struct vasd_event ev;
	char *error = NULL;
	int r;

	if (!g)
		die("calloc", -ENOMEM);
	g->rnd = 0x2545f4914f6cdd1dULL;
	g->now = 1764331234000000000ULL;
	g->next_migration = MIGRATION_EVERY;
	g->next_caps = CAPS_EVERY;
	g->next_restart = RESTART_EVERY;
	r = vasd_state_new(&g->state);
	if (r < 0)
		die("vasd_state_new", r);
	r = ledger_open(path, LEDGER_READ_WRITE, &l, &error);
	if (r < 0) {
		fprintf(stderr, "replay: %s\n", error);
		exit(EXIT_FAILURE);
	}

	start(g);
	for (g->n = 0; g->n < N_EVENTS; g->n++) {
		if (g->n % BATCH == 0 && (r = ledger_begin(l)) < 0)
			die("ledger_begin", r);
		ev = next_event(g);
		r = vasd_apply(g->state, &ev, &effect);
		if (r != VASD_APPLY_APPLIED) {
			fprintf(stderr, "replay: event %" PRIu64 " (%s) does not apply: %d\n",
				g->n, vasd_event_kind_to_string(ev.kind), r);
			exit(EXIT_FAILURE);
		}
		r = ledger_append(l, &ev, &effect);
		if (r < 0)
			die("ledger_append", r);
		if (g->n % BATCH == BATCH - 1 && (r = ledger_commit(l)) < 0)
			die("ledger_commit", r);
	}
	if (ledger_in_transaction(l) && (r = ledger_commit(l)) < 0)
		die("ledger_commit", r);
	/* closing checkpoints the log into the file: both readers read that */
	ledger_free(l);
	vasd_state_free(g->state);
	free(g);
}

/*
 * The floor: every column of every row, each read once with the getter of
 * its declared type (a NULL reads as 0 or NULL), nothing else done.
 */
static double raw_scan(const char *path)
{
	sqlite3_stmt *st = NULL;
	uint64_t sum = 0, n = 0;
	bool text[64];
	int n_columns;
	double t;
	sqlite3 *db;
	int rc;

	t = now_s();
	/* no mutex per call, as the ledger's connection: the floor is the fastest read */
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "SELECT * FROM events", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		fprintf(stderr, "replay: raw scan: %s\n", sqlite3_errmsg(db));
		exit(EXIT_FAILURE);
	}
	n_columns = sqlite3_column_count(st);
	if (n_columns > (int)ELEMENTSOF(text))
		die("raw scan: columns", -E2BIG);
	for (int i = 0; i < n_columns; i++)
		text[i] = strcmp(sqlite3_column_decltype(st, i), "TEXT") == 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < n_columns; i++) {
			if (text[i]) {
				const unsigned char *v = sqlite3_column_text(st, i);

				sum += v ? *v : 0;
			} else {
				sum += (uint64_t)sqlite3_column_int64(st, i);
			}
		}
		n++;
	}
	if (rc != SQLITE_DONE || n != N_EVENTS) {
		fprintf(stderr, "replay: raw scan: %" PRIu64 " rows: %s\n", n,
			sqlite3_errmsg(db));
		exit(EXIT_FAILURE);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	t = now_s() - t;
	/* so that the reads cannot be left out */
	if (sum == 0)
		fprintf(stderr, "replay: raw scan: a sum of 0\n");
	return t;
}

static double verify(struct ledger *l)
{
	char *error = NULL;
	int64_t n = 0;
	double t;
	int r;

	t = now_s();
	r = ledger_verify(l, &n, NULL, &error);
	t = now_s() - t;
	if (r < 0 || n != N_EVENTS) {
		fprintf(stderr, "replay: verify: %d, %" PRId64 " events: %s\n",
			r, n, error ? error : strerror(-r));
		exit(EXIT_FAILURE);
	}
	return t;
}

/*
 * Compact all but the last tenth, in vasd's steps; verify from the
 * checkpoint.
 */
static void compact_then_verify(const char *path)
{
	struct ledger_checkpoint cp;
	struct ledger *l = NULL;
	int64_t first = 0, removed, total = 0, n = 0;
	double t, t_step, t_max = 0, t_verify;
	char *error = NULL;
	int steps = 0, r;

	r = ledger_open(path, LEDGER_READ_WRITE, &l, &error);
	if (r < 0) {
		fprintf(stderr, "replay: %s\n", error);
		exit(EXIT_FAILURE);
	}
	t = now_s();
	do {
		t_step = now_s();
		r = ledger_compact(l, N_EVENTS - N_EVENTS / 10 + 1,
				   LEDGER_COMPACT_STEP, 1, &first, &removed);
		t_step = now_s() - t_step;
		if (r < 0)
			die("ledger_compact", r);
		if (t_step > t_max)
			t_max = t_step;
		total += removed;
		steps++;
	} while (r > 0);
	t = now_s() - t;
	t_verify = now_s();
	r = ledger_verify(l, &n, &cp, &error);
	t_verify = now_s() - t_verify;
	if (r < 0 || cp.position != first) {
		fprintf(stderr, "replay: verify after compaction: %d: %s\n", r,
			error ? error : strerror(-r));
		exit(EXIT_FAILURE);
	}
	printf("compact:  %" PRId64 " events into a checkpoint in %.3f s, %d steps of at most %.3f s; verify from it: %" PRId64 " events in %.3f s\n",
	       total, t, steps, t_max, n, t_verify);
	ledger_free(l);
}

static void remove_files(const char *dir, const char *path)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };

	for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
		char *p;

		if (asprintf(&p, "%s%s", path, suffixes[i]) < 0)
			die("asprintf", -ENOMEM);
		if (unlink(p) < 0 && errno != ENOENT)
			die(p, -errno);
		free(p);
	}
	if (rmdir(dir) < 0)
		die(dir, -errno);
}

int main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	char dir[4096], path[4200];
	double t, t_open, t_raw = 0, t_verify = 0;
	struct ledger_stats st;
	struct ledger *l = NULL;
	char *error = NULL;
	int r;

	/* only the ledger, for another benchmark (startup.py) */
	if (argc == 3 && strcmp(argv[1], "--build") == 0) {
		build(argv[2]);
		return 0;
	}
	if (argc != 1) {
		fprintf(stderr, "usage: replay [--build PATH]\n");
		return EXIT_FAILURE;
	}
	snprintf(dir, sizeof(dir), "%s/vasd-replay-XXXXXX",
		 tmp && *tmp ? tmp : "/var/tmp");
	if (!mkdtemp(dir))
		die(dir, -errno);
	snprintf(path, sizeof(path), "%s/ledger.db", dir);

	t = now_s();
	build(path);
	t = now_s() - t;
	printf("build:    %d events in %.2f s (%.0f events/s, batches of %d)\n",
	       N_EVENTS, t, N_EVENTS / t, BATCH);

	t_open = now_s();
	r = ledger_open(path, LEDGER_READ_ONLY, &l, &error);
	t_open = now_s() - t_open;
	if (r < 0) {
		fprintf(stderr, "replay: %s\n", error);
		return EXIT_FAILURE;
	}
	r = ledger_stats(l, &st);
	if (r < 0)
		die("ledger_stats", r);
	printf("ledger:   %.1f MiB, %" PRId64 " windows open at the end, %" PRId64 " migration events, %" PRId64 " window changes\n",
	       (double)st.file_bytes / (1 << 20), st.n_windows,
	       st.n_events_by_kind[VASD_EVENT_MIGRATION_CHANGE],
	       st.n_events_by_kind[VASD_EVENT_WINDOW_CHANGE]);
	printf("open:     %.3f s (read-only, with quick_check)\n", t_open);

	for (int i = 0; i < ROUNDS; i++) {
		double a, b;

		/* alternate which goes first, so that neither always has a warmer cache */
		if (i % 2 == 0) {
			a = raw_scan(path);
			b = verify(l);
		} else {
			b = verify(l);
			a = raw_scan(path);
		}
		printf("round %d:  raw scan %.3f s, verify %.3f s\n", i + 1, a, b);
		if (i == 0 || a < t_raw)
			t_raw = a;
		if (i == 0 || b < t_verify)
			t_verify = b;
	}
	ledger_free(l);
	compact_then_verify(path);
	remove_files(dir, path);

	printf("best:     raw scan %.3f s (%.0f events/s), verify %.3f s (%.0f events/s)\n",
	       t_raw, N_EVENTS / t_raw, t_verify, N_EVENTS / t_verify);
	printf("replay: ratio %.2f (ledger verify over raw scan of 1M events)\n",
	       t_verify / t_raw);
	return 0;
}
