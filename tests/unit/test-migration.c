// SPDX-License-Identifier: GPL-2.0-only
/*
 * The migration coordinator's state machine: every order of phases drmgr
 * can produce (repeated pre, post after a failure, undocheck), the kernel's
 * prepare with and without a hook first, delay locks released at once,
 * late or never, block locks, clients dying, timeouts, vetoes, phases out
 * of order and tokens that do not match, the seed's race, blackouts, the
 * restart from the ledger, and a random drive that must never wedge.
 *
 * The kernel's events go through the real vasd_apply() into a real
 * projection, as ingest does, and the "ledger" a run keeps is what vasd
 * would store: each kernel event, then the records its input produced.
 * Each step's effects are compared as a trace: records by kind (and what),
 * then signal(true|false), timer, ack, reply(ok|veto|error).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/migration.h"
#include "test.h"
#include "test-fixtures.h"

#define SEC 1000000000ULL
#define MS 1000000ULL
#define T0 (1000 * SEC)			/* CLOCK_MONOTONIC at the start */
#define RT0 1764331234000000000ULL	/* CLOCK_REALTIME at the start */
#define GEN 0x8c3f0a1b2c3d4e5fULL
#define STREAM 0x1234abcdULL
#define TOKEN 0xfeedfacecafebeefULL
#define TOKEN2 0x0badc0ffee0ddf00ULL

#define DELAY_MAX (5 * SEC)
#define CHECK_EXPIRY (600 * SEC)
#define POST_WAIT (120 * SEC)

static const struct migration_config config = {
	.delay_max = DELAY_MAX,
	.check_expiry = CHECK_EXPIRY,
	.post_wait = POST_WAIT,
};

struct run {
	struct migration_machine *m;
	const struct migration_effect *e;
	size_t n;
	uint64_t now, realtime;
	uint64_t timer;			/* as the effects armed it */
	uint64_t seq;
	struct vasd_state *state;
	struct vasd_event *ledger;
	size_t n_ledger, n_ledger_alloc;
	char trace[8192];
};

static void ledger_add(struct run *r, const struct vasd_event *ev)
{
	if (r->n_ledger == r->n_ledger_alloc) {
		r->n_ledger_alloc = r->n_ledger_alloc ? r->n_ledger_alloc * 2 : 64;
		r->ledger = reallocarray(r->ledger, r->n_ledger_alloc,
					 sizeof(*r->ledger));
		ASSERT(r->ledger);
	}
	r->ledger[r->n_ledger++] = *ev;
}

__attribute__((format(printf, 2, 3)))
static void trace_add(struct run *r, const char *fmt, ...)
{
	size_t len = strlen(r->trace);
	va_list ap;

	if (len)
		r->trace[len++] = ' ';
	va_start(ap, fmt);
	vsnprintf(r->trace + len, sizeof(r->trace) - len, fmt, ap);
	va_end(ap);
}

static const char *const reply_names[] = { "ok", "veto", "error" };

/* What every effect list must be, and what the loop around it does. */
static void took(struct run *r)
{
	r->trace[0] = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct migration_effect *e = &r->e[i];
		const struct vasd_event *ev = &e->record;
		const char *what;

		switch (e->type) {
		case MIGRATION_EFFECT_RECORD:
			/* every record is one apply() takes */
			ASSERT(vasd_event_kind_is_coord(ev->kind));
			ASSERT(vasd_coord_what_valid(ev->kind, ev->coord.what));
			ASSERT(memchr(ev->coord.comm, 0, sizeof(ev->coord.comm)));
			ASSERT(ev->timestamp);
			ASSERT_UINT_EQ(ev->recorded, r->realtime);
			ledger_add(r, ev);
			what = vasd_coord_what_to_string(ev->kind, ev->coord.what);
			if (what)
				trace_add(r, "%s(%s)", vasd_event_kind_to_string(ev->kind), what);
			else
				trace_add(r, "%s", vasd_event_kind_to_string(ev->kind));
			break;
		case MIGRATION_EFFECT_SIGNAL:
			ASSERT(e->signal.name[0]);
			trace_add(r, "signal(%s)", e->signal.active ? "true" : "false");
			break;
		case MIGRATION_EFFECT_TIMER:
			ASSERT(!e->deadline || e->deadline > r->now ||
			       e->deadline == r->timer);
			r->timer = e->deadline;
			trace_add(r, e->deadline ? "timer" : "timer(off)");
			break;
		case MIGRATION_EFFECT_ACK:
			ASSERT(e->token);
			trace_add(r, "ack");
			break;
		case MIGRATION_EFFECT_REPLY:
			ASSERT(e->reply.result <= MIGRATION_REPLY_ERROR);
			ASSERT(e->reply.message);
			ASSERT(!strchr(e->reply.message, '\n'));
			ASSERT(!strncmp(e->reply.message, "vasd: ", 6));
			trace_add(r, "reply(%s)", reply_names[e->reply.result]);
			break;
		default:
			TEST_FAIL("effect type %d", e->type);
		}
	}
}

static void feed(struct run *r, struct migration_input *in)
{
	in->now = r->now;
	in->realtime = r->realtime;
	ASSERT_INT_EQ(migration_machine_feed(r->m, in, &r->e, &r->n), 0);
	took(r);
}

/* A projection following the kernel from r->seq on. */
static void state_sync(struct run *r)
{
	struct vasd_event ev = { .kind = VASD_EVENT_RESYNC_BEGIN, .timestamp = RT0 };

	ASSERT_INT_EQ(vasd_state_new(&r->state), 0);
	ASSERT_INT_EQ(vasd_apply(r->state, &ev, NULL), VASD_APPLY_APPLIED);
	ev.kind = VASD_EVENT_RESYNC_END;
	ev.generation = GEN;
	ev.seq = r->seq;
	ASSERT_INT_EQ(vasd_apply(r->state, &ev, NULL), VASD_APPLY_APPLIED);
}

static void run_init(struct run *r)
{
	memset(r, 0, sizeof(*r));
	r->now = T0;
	r->realtime = RT0;
	ASSERT_INT_EQ(migration_machine_new(&config, &r->m), 0);
	state_sync(r);
}

static void run_done(struct run *r)
{
	migration_machine_free(r->m);
	vasd_state_free(r->state);
	free(r->ledger);
}

static void expect(const struct run *r, const char *trace)
{
	ASSERT_STR_EQ(r->trace, trace);
}

/* Time passes; the timer fires when it is due, as the loop does. */
static void tick(struct run *r, uint64_t ns)
{
	struct migration_input in = { .type = MIGRATION_INPUT_TIMER };

	r->now += ns;
	r->realtime += ns;
	r->trace[0] = 0;
	r->n = 0;
	if (r->timer && r->now >= r->timer)
		feed(r, &in);
}

/* To the armed deadline exactly, and fire. */
static void fire(struct run *r)
{
	ASSERT(r->timer > r->now);
	tick(r, r->timer - r->now);
}

static void hook_as(struct run *r, uint32_t phase, uint64_t call)
{
	struct migration_input in = {
		.type = MIGRATION_INPUT_HOOK,
		.hook = { .phase = phase, .call = call, .pid = 4242, .uid = 0,
			  .comm = "vasctl" },
	};

	feed(r, &in);
}

static void hook(struct run *r, uint32_t phase)
{
	hook_as(r, phase, 100 + phase);
}

static void lock_user(struct run *r, uint64_t id, uint32_t mode,
		      const char *who, const char *why, const char *user)
{
	struct migration_input in = {
		.type = MIGRATION_INPUT_LOCK_TAKEN,
		.lock = { .id = id, .mode = mode, .pid = 800 + (uint32_t)id,
			  .uid = 1000, .who = who, .why = why, .user = user },
	};

	snprintf(in.lock.comm, sizeof(in.lock.comm), "client%llu",
		 (unsigned long long)id);
	feed(r, &in);
	expect(r, mode == VASD_LOCK_DELAY ? "inhibitor-take(delay)" :
					    "inhibitor-take(block)");
}

static void lock_full(struct run *r, uint64_t id, uint32_t mode,
		      const char *who, const char *why)
{
	lock_user(r, id, mode, who, why, NULL);
}

static void lock(struct run *r, uint64_t id, uint32_t mode)
{
	lock_full(r, id, mode, "nxjob", "compressing");
}

static void release(struct run *r, uint64_t id)
{
	struct migration_input in = {
		.type = MIGRATION_INPUT_LOCK_RELEASED,
		.release = { .id = id },
	};

	feed(r, &in);
}

static void kernel_event(struct run *r, struct vasd_event *ev)
{
	struct migration_input in = {
		.type = MIGRATION_INPUT_EVENT,
		.event = { .event = ev, .state = r->state },
	};

	ev->generation = GEN;
	ev->seq = ++r->seq;
	ev->timestamp = r->realtime;
	ev->recorded = r->realtime;
	ASSERT_INT_EQ(vasd_apply(r->state, ev, NULL), VASD_APPLY_APPLIED);
	ledger_add(r, ev);
	feed(r, &in);
}

static void kernel_phase_of(struct run *r, uint32_t phase, uint64_t stream,
			    uint64_t token)
{
	struct vasd_event ev = {
		.kind = VASD_EVENT_MIGRATION_CHANGE,
		.migration = { .stream_id = stream, .phase = phase, .token = token },
	};

	kernel_event(r, &ev);
}

static void kernel_phase(struct run *r, uint32_t phase)
{
	kernel_phase_of(r, phase, STREAM, TOKEN);
}

static void window_open(struct run *r, uint32_t id, uint32_t tgid)
{
	struct vasd_event ev = {
		.kind = VASD_EVENT_WINDOW_ADD,
		.window = { .id = id, .tgid = tgid, .pid = tgid,
			    .cop = VAS_COP_GZIP, .type = VAS_WIN_TYPE_DEFAULT,
			    .state = VAS_WIN_STATE_ACTIVE,
			    .reason = VAS_SUSPEND_REASON_NONE,
			    .opened_at = r->realtime },
	};

	snprintf(ev.window.comm, sizeof(ev.window.comm), "proc%u", tgid);
	kernel_event(r, &ev);
}

static void window_set(struct run *r, uint32_t id, uint32_t state,
		       uint32_t reason)
{
	struct vasd_event ev = { .kind = VASD_EVENT_WINDOW_CHANGE };

	ASSERT(vasd_state_window(r->state, id));
	ev.window = *vasd_state_window(r->state, id);
	ev.window.state = state;
	ev.window.reason = reason;
	kernel_event(r, &ev);
}

static void window_suspend(struct run *r, uint32_t id)
{
	window_set(r, id, VAS_WIN_STATE_SUSPENDED, VAS_SUSPEND_REASON_MIGRATION);
}

static void window_resume(struct run *r, uint32_t id)
{
	window_set(r, id, VAS_WIN_STATE_ACTIVE, VAS_SUSPEND_REASON_NONE);
}

/* The i-th record of kind among this step's effects. */
static const struct vasd_event *rec(const struct run *r, int kind, size_t i)
{
	for (size_t j = 0; j < r->n; j++)
		if (r->e[j].type == MIGRATION_EFFECT_RECORD &&
		    r->e[j].record.kind == kind && !i--)
			return &r->e[j].record;
	TEST_FAIL("no record %s", vasd_event_kind_to_string(kind));
}

static const struct migration_effect *effect(const struct run *r,
					     enum migration_effect_type type)
{
	for (size_t j = 0; j < r->n; j++)
		if (r->e[j].type == type)
			return &r->e[j];
	TEST_FAIL("no effect of type %d", type);
}

static bool has_reply(const struct run *r, uint64_t call)
{
	for (size_t j = 0; j < r->n; j++)
		if (r->e[j].type == MIGRATION_EFFECT_REPLY &&
		    r->e[j].reply.call == call)
			return true;
	return false;
}

static const char *reply_to(const struct run *r, uint64_t call)
{
	for (size_t j = 0; j < r->n; j++)
		if (r->e[j].type == MIGRATION_EFFECT_REPLY &&
		    r->e[j].reply.call == call)
			return r->e[j].reply.message;
	TEST_FAIL("no reply to call %llu", (unsigned long long)call);
}

static void expect_state(const struct run *r, enum migration_state s,
			 uint64_t id)
{
	char name[MIGRATION_NAME_MAX];

	ASSERT_STR_EQ(migration_state_to_string(migration_machine_state(r->m)),
		      migration_state_to_string(s));
	ASSERT_UINT_EQ(migration_machine_id(r->m), id);
	if (!id) {
		ASSERT_NULL(migration_machine_name(r->m));
		return;
	}
	snprintf(name, sizeof(name), "%llu", (unsigned long long)id);
	ASSERT_STR_EQ(migration_machine_name(r->m), name);
}

/*
 * drmgr's usual order with the kernel part: check, pre (a client drains
 * and releases), the kernel's phases (the ack is immediate: pre quiesced
 * already), post. The blackout spans first suspend to last resume.
 */
static void test_check_pre_post(void)
{
	const struct vasd_event *ev;
	struct run r;
	uint64_t asked, t_suspend, t_resume;

	run_init(&r);
	window_open(&r, 1, 500);
	expect(&r, "");
	lock(&r, 1, VASD_LOCK_DELAY);
	ASSERT_UINT_EQ(r.e[0].record.coord.lock, 1);
	ASSERT_UINT_EQ(r.e[0].record.coord.pid, 801);
	ASSERT_UINT_EQ(r.e[0].record.coord.uid, 1000);
	ASSERT_STR_EQ(r.e[0].record.coord.comm, "client1");
	ASSERT_UINT_EQ(r.e[0].record.coord.migration, 0);
	expect_state(&r, MIGRATION_IDLE, 0);

	hook(&r, VASD_HOOK_CHECK);
	expect(&r, "migration-hook(check) migration-open(check) reply(ok) timer");
	ASSERT_UINT_EQ(rec(&r, VASD_EVENT_MIGRATION_HOOK, 0)->coord.migration, 1);
	ASSERT_UINT_EQ(rec(&r, VASD_EVENT_MIGRATION_HOOK, 0)->coord.pid, 4242);
	ASSERT_STR_EQ(rec(&r, VASD_EVENT_MIGRATION_HOOK, 0)->coord.comm, "vasctl");
	ASSERT_STR_EQ(reply_to(&r, 100 + VASD_HOOK_CHECK),
		      "vasd: migration 1 may proceed; 1 delay lock will be asked to release");
	ASSERT_UINT_EQ(r.timer, r.now + CHECK_EXPIRY);
	expect_state(&r, MIGRATION_CHECKED, 1);

	tick(&r, 2 * SEC);
	hook(&r, VASD_HOOK_PRE);
	expect(&r, "migration-hook(pre) migration-asked signal(true) timer");
	asked = r.realtime;
	ev = rec(&r, VASD_EVENT_MIGRATION_ASKED, 0);
	ASSERT_UINT_EQ(ev->coord.migration, 1);
	ASSERT_UINT_EQ(ev->coord.lock, 1);
	ASSERT_STR_EQ(effect(&r, MIGRATION_EFFECT_SIGNAL)->signal.name, "1");
	ASSERT_UINT_EQ(r.timer, r.now + DELAY_MAX);
	expect_state(&r, MIGRATION_QUIESCING, 1);

	tick(&r, 300 * MS);
	release(&r, 1);
	expect(&r, "inhibitor-release(delay) migration-quiesced(released) reply(ok) timer(off)");
	ev = rec(&r, VASD_EVENT_INHIBITOR_RELEASE, 0);
	ASSERT_UINT_EQ(ev->coord.migration, 1);
	ASSERT_UINT_EQ(ev->coord.since, asked);
	ASSERT_UINT_EQ(ev->timestamp - ev->coord.since, 300 * MS);
	ev = rec(&r, VASD_EVENT_MIGRATION_QUIESCED, 0);
	ASSERT_UINT_EQ(ev->coord.count, 1);
	ASSERT_UINT_EQ(ev->coord.total, 1);
	ASSERT_UINT_EQ(ev->coord.since, asked);
	ASSERT_STR_EQ(reply_to(&r, 100 + VASD_HOOK_PRE),
		      "vasd: migration 1: 1 client lock released in 0.300 s");
	expect_state(&r, MIGRATION_QUIESCED, 1);

	/* drmgr sleeps, then writes the stream id: the kernel's phases */
	tick(&r, 5 * SEC);
	kernel_phase(&r, VAS_MIGRATION_PHASE_PREPARE);
	expect(&r, "ack migration-ack");
	ASSERT_UINT_EQ(effect(&r, MIGRATION_EFFECT_ACK)->token, TOKEN);
	ev = rec(&r, VASD_EVENT_MIGRATION_ACK, 0);
	ASSERT_UINT_EQ(ev->migration.token, TOKEN);
	ASSERT_UINT_EQ(ev->migration.stream_id, STREAM);
	kernel_phase(&r, VAS_MIGRATION_PHASE_SUSPENDING);
	expect(&r, "");
	tick(&r, 1 * MS);
	t_suspend = r.realtime;
	window_suspend(&r, 1);
	expect(&r, "");
	kernel_phase(&r, VAS_MIGRATION_PHASE_SUSPENDED);
	expect(&r, "");
	tick(&r, 2 * SEC);
	t_resume = r.realtime;
	window_resume(&r, 1);
	kernel_phase(&r, VAS_MIGRATION_PHASE_RESUMED);
	kernel_phase(&r, VAS_MIGRATION_PHASE_COMPLETED);
	/* hook-driven: post closes it, within a bound */
	expect(&r, "timer");
	ASSERT_UINT_EQ(r.timer, r.now + POST_WAIT);
	expect_state(&r, MIGRATION_QUIESCED, 1);

	tick(&r, 3 * SEC);
	hook(&r, VASD_HOOK_POST);
	expect(&r, "migration-hook(post) migration-blackout migration-client-blackout "
		   "migration-close(completed) signal(false) reply(ok) timer(off)");
	ASSERT_STR_EQ(reply_to(&r, 100 + VASD_HOOK_POST),
		      "vasd: migration 1 closed: completed");
	ev = rec(&r, VASD_EVENT_MIGRATION_BLACKOUT, 0);
	ASSERT_UINT_EQ(ev->coord.migration, 1);
	ASSERT_UINT_EQ(ev->coord.since, t_suspend);
	ASSERT_UINT_EQ(ev->timestamp, t_resume);
	ASSERT_UINT_EQ(ev->coord.count, 1);
	ASSERT_UINT_EQ(ev->coord.total, 1);
	ev = rec(&r, VASD_EVENT_MIGRATION_CLIENT_BLACKOUT, 0);
	ASSERT_UINT_EQ(ev->coord.pid, 500);
	ASSERT_STR_EQ(ev->coord.comm, "proc500");
	ASSERT_UINT_EQ(ev->timestamp - ev->coord.since, 2 * SEC);
	ev = rec(&r, VASD_EVENT_MIGRATION_CLOSE, 0);
	ASSERT_UINT_EQ(ev->migration.phase, VAS_MIGRATION_PHASE_COMPLETED);
	ASSERT_UINT_EQ(ev->migration.token, TOKEN);
	ASSERT(!effect(&r, MIGRATION_EFFECT_SIGNAL)->signal.active);
	ASSERT_STR_EQ(effect(&r, MIGRATION_EFFECT_SIGNAL)->signal.name, "1");
	expect_state(&r, MIGRATION_IDLE, 0);
	run_done(&r);
}

/* check, then undocheck (another hook vetoed): cancelled, nobody was told. */
static void test_check_undocheck(void)
{
	struct run r;

	run_init(&r);
	lock(&r, 1, VASD_LOCK_DELAY);
	hook(&r, VASD_HOOK_CHECK);
	expect(&r, "migration-hook(check) migration-open(check) reply(ok) timer");
	hook(&r, VASD_HOOK_UNDOCHECK);
	expect(&r, "migration-hook(undocheck) migration-close(cancelled) reply(ok) timer(off)");
	ASSERT_UINT_EQ(rec(&r, VASD_EVENT_MIGRATION_HOOK, 0)->coord.migration, 1);
	ASSERT_STR_EQ(reply_to(&r, 100 + VASD_HOOK_UNDOCHECK),
		      "vasd: migration 1 cancelled");
	expect_state(&r, MIGRATION_IDLE, 0);

	/* an undocheck without a check vasd saw: nothing to cancel */
	hook(&r, VASD_HOOK_UNDOCHECK);
	expect(&r, "migration-hook(undocheck) reply(ok)");
	ASSERT_UINT_EQ(rec(&r, VASD_EVENT_MIGRATION_HOOK, 0)->coord.migration, 0);
	run_done(&r);
}

/*
 * A block lock vetoes check, with a line the HMC operator can act on; the
 * undocheck drmgr runs next names the vetoed migration. pre does not
 * veto (drmgr ignores its result) and does not wait for block locks.
 */
static void test_block_lock(void)
{
	const struct vasd_event *ev;
	struct run r;

	run_init(&r);
	lock_full(&r, 7, VASD_LOCK_BLOCK, "backup", "nightly\nbackup");
	lock_user(&r, 8, VASD_LOCK_BLOCK, "indexer", "re\"index\", why \"forged", "alice");
	lock(&r, 9, VASD_LOCK_DELAY);

	hook(&r, VASD_HOOK_CHECK);
	expect(&r, "migration-hook(check) migration-open(check) migration-veto(block-lock) "
		   "migration-close(vetoed) reply(veto)");
	ev = rec(&r, VASD_EVENT_MIGRATION_VETO, 0);
	ASSERT_UINT_EQ(ev->coord.migration, 1);
	ASSERT_UINT_EQ(ev->coord.lock, 7);
	ASSERT_UINT_EQ(ev->coord.pid, 807);
	ASSERT_UINT_EQ(ev->coord.count, 2);
	ASSERT_STR_EQ(reply_to(&r, 100 + VASD_HOOK_CHECK),
		      "vasd: migration vetoed: block lock 7 of uid 1000, pid 807 (client7): who \"backup\", why \"nightly\\nbackup\", and 1 more; release them first, or as root: vasctl release-lock 7");
	expect_state(&r, MIGRATION_IDLE, 0);

	hook(&r, VASD_HOOK_UNDOCHECK);
	expect(&r, "migration-hook(undocheck) reply(ok)");
	ASSERT_UINT_EQ(rec(&r, VASD_EVENT_MIGRATION_HOOK, 0)->coord.migration, 1);

	/* one block lock left: the line names it alone */
	release(&r, 7);
	expect(&r, "inhibitor-release(block)");
	ASSERT_UINT_EQ(r.e[0].record.coord.migration, 0);
	hook(&r, VASD_HOOK_CHECK);
	expect(&r, "migration-hook(check) migration-open(check) migration-veto(block-lock) "
		   "migration-close(vetoed) reply(veto)");
	ASSERT_STR_EQ(reply_to(&r, 100 + VASD_HOOK_CHECK),
		      "vasd: migration vetoed: block lock 8 of uid 1000 (alice), pid 808 (client8): who \"indexer\", why \"re\\x22index\\x22, why \\x22forged\"; release it first, or as root: vasctl release-lock 8");
	ASSERT_UINT_EQ(rec(&r, VASD_EVENT_MIGRATION_OPEN, 0)->coord.migration, 2);

	/* pre goes ahead: only the delay lock is asked */
	hook(&r, VASD_HOOK_PRE);
	expect(&r, "migration-hook(pre) migration-open(pre) migration-asked signal(true) timer");
	ASSERT_UINT_EQ(rec(&r, VASD_EVENT_MIGRATION_ASKED, 0)->coord.lock, 9);
	release(&r, 9);
	expect(&r, "inhibitor-release(delay) migration-quiesced(released) reply(ok) timer(off)");

	/* released, a check passes; the veto was the lock, not the migration */
	release(&r, 8);
	hook(&r, VASD_HOOK_POST);
	expect(&r, "migration-hook(post) migration-close(unknown) signal(false) reply(ok)");
	hook(&r, VASD_HOOK_CHECK);
	expect(&r, "migration-hook(check) migration-open(check) reply(ok) timer");
	ASSERT_STR_EQ(reply_to(&r, 100 + VASD_HOOK_CHECK),
		      "vasd: migration 4 may proceed; 0 delay locks will be asked to release");
	run_done(&r);
}

/* The ledger unhealthy is the other real reason to veto. */
static void test_ledger_veto(void)
{
	struct migration_input in = {
		.type = MIGRATION_INPUT_LEDGER,
		.ledger = { .healthy = false, .reason = "disk full" },
	};
	struct run r;

	run_init(&r);
	feed(&r, &in);
	expect(&r, "");
	hook(&r, VASD_HOOK_CHECK);
	expect(&r, "migration-hook(check) migration-open(check) migration-veto(ledger) "
		   "migration-close(vetoed) reply(veto)");
	ASSERT_STR_EQ(reply_to(&r, 100 + VASD_HOOK_CHECK),
		      "vasd: migration vetoed: vasd cannot record it in its ledger (disk full); see vasd's journal");

	in.ledger.healthy = true;
	in.ledger.reason = NULL;
	feed(&r, &in);
	hook(&r, VASD_HOOK_CHECK);
	expect(&r, "migration-hook(check) migration-open(check) reply(ok) timer");
	run_done(&r);
}

/*
 * pre without check (the HMC skipped it, or vasd did not run then): pre
 * opens the migration. With no delay lock the wait is over at once.
 */
static void test_pre_without_check(void)
{
	struct run r;

	run_init(&r);
	hook(&r, VASD_HOOK_PRE);
	expect(&r, "migration-hook(pre) migration-open(pre) signal(true) "
		   "migration-quiesced(none) reply(ok)");
	ASSERT_UINT_EQ(rec(&r, VASD_EVENT_MIGRATION_OPEN, 0)->coord.what, VASD_ORIGIN_PRE);
	ASSERT_STR_EQ(reply_to(&r, 100 + VASD_HOOK_PRE),
		      "vasd: migration 1: no client holds a delay lock");
	expect_state(&r, MIGRATION_QUIESCED, 1);
	hook(&r, VASD_HOOK_POST);
	expect(&r, "migration-hook(post) migration-close(unknown) signal(false) reply(ok)");
	run_done(&r);
}

/*
 * pre repeated: while waiting, both are answered when the wait ends;
 * after it, at once; after the kernel refused (drmgr runs again), the
 * wait for post stops and the next prepare is acked at once.
 */
static void test_pre_repeated(void)
{
	struct run r;

	run_init(&r);
	lock(&r, 1, VASD_LOCK_DELAY);
	hook_as(&r, VASD_HOOK_PRE, 1);
	expect(&r, "migration-hook(pre) migration-open(pre) migration-asked signal(true) timer");
	tick(&r, SEC);
	hook_as(&r, VASD_HOOK_PRE, 2);
	expect(&r, "migration-hook(pre)");
	ASSERT_UINT_EQ(r.e[0].record.coord.migration, 1);
	release(&r, 1);
	expect(&r, "inhibitor-release(delay) migration-quiesced(released) reply(ok) reply(ok) timer(off)");
	reply_to(&r, 1);
	reply_to(&r, 2);
	hook_as(&r, VASD_HOOK_PRE, 3);
	expect(&r, "migration-hook(pre) reply(ok)");
	ASSERT_STR_EQ(reply_to(&r, 3), "vasd: migration 1: clients are quiesced already");

	kernel_phase(&r, VAS_MIGRATION_PHASE_PREPARE);
	expect(&r, "ack migration-ack");
	kernel_phase(&r, VAS_MIGRATION_PHASE_SUSPENDING);
	kernel_phase(&r, VAS_MIGRATION_PHASE_SUSPENDED);
	kernel_phase(&r, VAS_MIGRATION_PHASE_RESUMED);
	kernel_phase(&r, VAS_MIGRATION_PHASE_ABORTED);
	expect(&r, "timer");
	tick(&r, SEC);
	hook_as(&r, VASD_HOOK_PRE, 4);
	expect(&r, "migration-hook(pre) reply(ok) timer(off)");
	/* the retry: a new token, the same stream */
	kernel_phase_of(&r, VAS_MIGRATION_PHASE_PREPARE, STREAM, TOKEN2);
	expect(&r, "ack migration-ack");
	ASSERT_UINT_EQ(effect(&r, MIGRATION_EFFECT_ACK)->token, TOKEN2);
	kernel_phase_of(&r, VAS_MIGRATION_PHASE_SUSPENDING, STREAM, TOKEN2);
	kernel_phase_of(&r, VAS_MIGRATION_PHASE_COMPLETED, STREAM, TOKEN2);
	expect(&r, "timer");
	hook(&r, VASD_HOOK_POST);
	expect(&r, "migration-hook(post) migration-close(completed) signal(false) reply(ok) timer(off)");
	run_done(&r);
}

/*
 * drmgr runs post once the kernel's write returned; the kernel's last
 * notification may come after it (its worker sends it): post waits for it
 * and answers with its outcome. A second post meanwhile is refused.
 */
static void test_post_before_end(void)
{
	struct run r;

	run_init(&r);
	hook(&r, VASD_HOOK_PRE);
	kernel_phase(&r, VAS_MIGRATION_PHASE_PREPARE);
	kernel_phase(&r, VAS_MIGRATION_PHASE_SUSPENDING);
	kernel_phase(&r, VAS_MIGRATION_PHASE_SUSPENDED);
	kernel_phase(&r, VAS_MIGRATION_PHASE_RESUMED);
	hook_as(&r, VASD_HOOK_POST, 1);
	expect(&r, "migration-hook(post) timer");
	expect_state(&r, MIGRATION_QUIESCED, 1);
	hook_as(&r, VASD_HOOK_POST, 2);
	expect(&r, "migration-hook(post) reply(error)");
	ASSERT_STR_EQ(reply_to(&r, 2),
		      "vasd: migration 1: another post already waits for the kernel's end");
	tick(&r, SEC);
	expect(&r, "");
	kernel_phase(&r, VAS_MIGRATION_PHASE_COMPLETED);
	expect(&r, "migration-close(completed) signal(false) reply(ok) timer(off)");
	ASSERT_STR_EQ(reply_to(&r, 1), "vasd: migration 1 closed: completed");
	expect_state(&r, MIGRATION_IDLE, 0);

	/* the same for an abort */
	hook(&r, VASD_HOOK_PRE);
	kernel_phase_of(&r, VAS_MIGRATION_PHASE_PREPARE, STREAM, TOKEN2);
	hook_as(&r, VASD_HOOK_POST, 3);
	expect(&r, "migration-hook(post) timer");
	kernel_phase_of(&r, VAS_MIGRATION_PHASE_ABORTED, STREAM, TOKEN2);
	expect(&r, "migration-close(aborted) signal(false) reply(ok) timer(off)");
	ASSERT_STR_EQ(reply_to(&r, 3), "vasd: migration 2 closed: aborted");
	run_done(&r);
}

/* post without pre closes what check opened; post always tells clients. */
static void test_post_without_pre(void)
{
	struct run r;

	run_init(&r);
	hook(&r, VASD_HOOK_CHECK);
	hook(&r, VASD_HOOK_POST);
	expect(&r, "migration-hook(post) migration-close(unknown) signal(false) reply(ok) timer(off)");
	ASSERT_STR_EQ(effect(&r, MIGRATION_EFFECT_SIGNAL)->signal.name, "1");

	/* with none open: a clear error, recorded, nothing else */
	hook(&r, VASD_HOOK_POST);
	expect(&r, "migration-hook(post) migration-error(no-migration) reply(error)");
	ASSERT_STR_EQ(reply_to(&r, 100 + VASD_HOOK_POST),
		      "vasd: no migration is open: post has nothing to close");
	ASSERT_UINT_EQ(rec(&r, VASD_EVENT_MIGRATION_ERROR, 0)->coord.migration, 0);
	expect_state(&r, MIGRATION_IDLE, 0);
	run_done(&r);
}

/* The kernel aborted (the seed's race): post still comes and closes it. */
static void test_post_after_failure(void)
{
	struct run r;

	run_init(&r);
	hook(&r, VASD_HOOK_CHECK);
	hook(&r, VASD_HOOK_PRE);
	kernel_phase(&r, VAS_MIGRATION_PHASE_PREPARE);
	kernel_phase(&r, VAS_MIGRATION_PHASE_SUSPENDING);
	kernel_phase(&r, VAS_MIGRATION_PHASE_SUSPENDED);
	kernel_phase(&r, VAS_MIGRATION_PHASE_RESUMED);
	kernel_phase(&r, VAS_MIGRATION_PHASE_ABORTED);
	hook(&r, VASD_HOOK_POST);
	expect(&r, "migration-hook(post) migration-close(aborted) signal(false) reply(ok) timer(off)");
	ASSERT_STR_EQ(reply_to(&r, 100 + VASD_HOOK_POST),
		      "vasd: migration 1 closed: aborted");

	/* post never comes: the bound closes it, with the kernel's outcome */
	hook(&r, VASD_HOOK_PRE);
	kernel_phase_of(&r, VAS_MIGRATION_PHASE_PREPARE, STREAM, TOKEN2);
	kernel_phase_of(&r, VAS_MIGRATION_PHASE_COMPLETED, STREAM, TOKEN2);
	expect(&r, "timer");
	tick(&r, POST_WAIT - 1);
	expect(&r, "");
	tick(&r, 1);
	expect(&r, "migration-close(completed) signal(false) timer(off)");
	ASSERT_UINT_EQ(rec(&r, VASD_EVENT_MIGRATION_CLOSE, 0)->coord.migration, 2);
	run_done(&r);
}

/* Two migrations back to back are two, numbered and named in order. */
static void test_back_to_back(void)
{
	struct run r;

	run_init(&r);
	for (uint64_t id = 1; id <= 2; id++) {
		hook(&r, VASD_HOOK_CHECK);
		ASSERT_UINT_EQ(rec(&r, VASD_EVENT_MIGRATION_OPEN, 0)->coord.migration, id);
		hook(&r, VASD_HOOK_PRE);
		ASSERT_UINT_EQ(rec(&r, VASD_EVENT_MIGRATION_HOOK, 0)->coord.migration, id);
		kernel_phase_of(&r, VAS_MIGRATION_PHASE_PREPARE, STREAM + id, TOKEN + id);
		expect(&r, "ack migration-ack");
		kernel_phase_of(&r, VAS_MIGRATION_PHASE_COMPLETED, STREAM + id, TOKEN + id);
		hook(&r, VASD_HOOK_POST);
		expect(&r, "migration-hook(post) migration-close(completed) signal(false) reply(ok) timer(off)");
		ASSERT_UINT_EQ(rec(&r, VASD_EVENT_MIGRATION_CLOSE, 0)->coord.migration, id);
		expect_state(&r, MIGRATION_IDLE, 0);
	}
	run_done(&r);
}

/*
 * Delay locks released at once, late (after the bound: the timeout is
 * recorded, then the release, late), and never: the wait ends exactly at
 * InhibitDelayMaxUSec, not before.
 */
static void test_delay_locks(void)
{
	const struct vasd_event *ev;
	struct run r;
	uint64_t asked;

	run_init(&r);
	lock(&r, 1, VASD_LOCK_DELAY);
	lock_full(&r, 2, VASD_LOCK_DELAY, "slowjob", "big stream");
	lock_full(&r, 3, VASD_LOCK_DELAY, "deadjob", "stuck");
	hook(&r, VASD_HOOK_PRE);
	expect(&r, "migration-hook(pre) migration-open(pre) migration-asked migration-asked "
		   "migration-asked signal(true) timer");
	asked = r.realtime;
	release(&r, 1);
	expect(&r, "inhibitor-release(delay)");
	tick(&r, DELAY_MAX - 1);
	expect(&r, "");
	expect_state(&r, MIGRATION_QUIESCING, 1);
	tick(&r, 1);
	expect(&r, "migration-timeout migration-timeout migration-quiesced(timeout) reply(ok) timer(off)");
	ev = rec(&r, VASD_EVENT_MIGRATION_TIMEOUT, 0);
	ASSERT_UINT_EQ(ev->coord.lock, 2);
	ASSERT_UINT_EQ(ev->coord.since, asked);
	ASSERT_UINT_EQ(ev->timestamp - ev->coord.since, DELAY_MAX);
	ASSERT_UINT_EQ(rec(&r, VASD_EVENT_MIGRATION_TIMEOUT, 1)->coord.lock, 3);
	ev = rec(&r, VASD_EVENT_MIGRATION_QUIESCED, 0);
	ASSERT_UINT_EQ(ev->coord.count, 1);
	ASSERT_UINT_EQ(ev->coord.total, 3);
	ASSERT_STR_EQ(reply_to(&r, 100 + VASD_HOOK_PRE),
		      "vasd: migration 1: 1 of 3 client locks released; the rest did not within 5.000 s (slowjob, pid 802, first)");
	expect_state(&r, MIGRATION_QUIESCED, 1);

	/* late: recorded with the migration it was asked for, nothing else */
	tick(&r, 2 * SEC);
	release(&r, 2);
	expect(&r, "inhibitor-release(delay)");
	ev = rec(&r, VASD_EVENT_INHIBITOR_RELEASE, 0);
	ASSERT_UINT_EQ(ev->coord.migration, 1);
	ASSERT_UINT_EQ(ev->timestamp - ev->coord.since, DELAY_MAX + 2 * SEC);

	/* a lock taken during the migration missed the signal: not asked */
	lock(&r, 4, VASD_LOCK_DELAY);
	hook(&r, VASD_HOOK_POST);
	expect(&r, "migration-hook(post) migration-close(unknown) signal(false) reply(ok)");
	release(&r, 4);
	ASSERT_UINT_EQ(rec(&r, VASD_EVENT_INHIBITOR_RELEASE, 0)->coord.migration, 0);

	/* never: lock 3 still held, asked again in the next one */
	hook(&r, VASD_HOOK_PRE);
	expect(&r, "migration-hook(pre) migration-open(pre) migration-asked signal(true) timer");
	ASSERT_UINT_EQ(rec(&r, VASD_EVENT_MIGRATION_ASKED, 0)->coord.lock, 3);
	fire(&r);
	expect(&r, "migration-timeout migration-quiesced(timeout) reply(ok) timer(off)");
	run_done(&r);
}

/* A client dying releases its lock (its fd closes): the wait goes on without it. */
static void test_client_dies(void)
{
	struct migration_input in = {
		.type = MIGRATION_INPUT_LOCK_TAKEN,
		.lock = { .id = 1, .mode = VASD_LOCK_DELAY },
	};
	struct run r;

	run_init(&r);
	lock(&r, 1, VASD_LOCK_DELAY);
	lock(&r, 2, VASD_LOCK_DELAY);
	hook(&r, VASD_HOOK_PRE);
	tick(&r, 100 * MS);
	release(&r, 2);		/* killed */
	expect(&r, "inhibitor-release(delay)");
	tick(&r, 100 * MS);
	release(&r, 1);
	expect(&r, "inhibitor-release(delay) migration-quiesced(released) reply(ok) timer(off)");

	/* what is not a lock's life: refused, no effect */
	in.now = r.now;
	lock(&r, 1, VASD_LOCK_DELAY);
	ASSERT_INT_EQ(migration_machine_feed(r.m, &in, &r.e, &r.n), -EEXIST);
	ASSERT_UINT_EQ(r.n, 0);
	in.lock.id = 0;
	ASSERT_INT_EQ(migration_machine_feed(r.m, &in, &r.e, &r.n), -EINVAL);
	in.lock.id = 5;
	in.lock.mode = _VASD_LOCK_MODE_MAX;
	ASSERT_INT_EQ(migration_machine_feed(r.m, &in, &r.e, &r.n), -EINVAL);
	ASSERT_UINT_EQ(r.n, 0);
	in = (struct migration_input) {
		.type = MIGRATION_INPUT_LOCK_RELEASED, .now = r.now,
		.release = { .id = 2 },
	};
	ASSERT_INT_EQ(migration_machine_feed(r.m, &in, &r.e, &r.n), -ENOENT);
	ASSERT_UINT_EQ(r.n, 0);
	release(&r, 1);
	expect(&r, "inhibitor-release(delay)");
	run_done(&r);
}

/*
 * The kernel-driven path: no hook ran. prepare opens the migration and
 * quiesces the same way; the ack comes when the wait ends; the kernel's
 * end closes it and tells clients.
 */
static void test_kernel_driven(void)
{
	const struct vasd_event *ev;
	struct run r;

	run_init(&r);
	window_open(&r, 1, 500);
	lock(&r, 1, VASD_LOCK_DELAY);
	kernel_phase(&r, VAS_MIGRATION_PHASE_PREPARE);
	expect(&r, "migration-open(kernel) migration-asked signal(true) timer");
	ev = rec(&r, VASD_EVENT_MIGRATION_OPEN, 0);
	ASSERT_UINT_EQ(ev->migration.token, TOKEN);
	ASSERT_UINT_EQ(ev->migration.stream_id, STREAM);
	tick(&r, 40 * MS);
	release(&r, 1);
	expect(&r, "inhibitor-release(delay) migration-quiesced(released) ack migration-ack timer(off)");
	ASSERT_UINT_EQ(effect(&r, MIGRATION_EFFECT_ACK)->token, TOKEN);

	kernel_phase(&r, VAS_MIGRATION_PHASE_SUSPENDING);
	window_suspend(&r, 1);
	kernel_phase(&r, VAS_MIGRATION_PHASE_SUSPENDED);
	window_resume(&r, 1);
	kernel_phase(&r, VAS_MIGRATION_PHASE_RESUMED);
	expect(&r, "");
	kernel_phase(&r, VAS_MIGRATION_PHASE_COMPLETED);
	expect(&r, "migration-blackout migration-client-blackout migration-close(completed) signal(false)");
	expect_state(&r, MIGRATION_IDLE, 0);

	/* its end again, as a resync shows it: a past migration */
	kernel_phase(&r, VAS_MIGRATION_PHASE_COMPLETED);
	expect(&r, "");

	/* with no lock at all, the ack is at once */
	kernel_phase_of(&r, VAS_MIGRATION_PHASE_PREPARE, STREAM, TOKEN2);
	expect(&r, "migration-open(kernel) signal(true) migration-quiesced(none) ack migration-ack");
	kernel_phase_of(&r, VAS_MIGRATION_PHASE_PREPARE, STREAM, TOKEN2);
	expect(&r, "");
	/* a hook joining it makes post the one to close it */
	hook(&r, VASD_HOOK_PRE);
	expect(&r, "migration-hook(pre) reply(ok)");
	kernel_phase_of(&r, VAS_MIGRATION_PHASE_ABORTED, STREAM, TOKEN2);
	expect(&r, "timer");
	hook(&r, VASD_HOOK_POST);
	expect(&r, "migration-hook(post) migration-close(aborted) signal(false) reply(ok) timer(off)");
	run_done(&r);
}

/*
 * prepare while the hook path still waits: the ack follows the wait. The
 * kernel gives up waiting (its own bound) before: ack-missed, recorded.
 */
static void test_prepare_during_quiesce(void)
{
	struct run r;

	run_init(&r);
	lock(&r, 1, VASD_LOCK_DELAY);
	hook(&r, VASD_HOOK_PRE);
	kernel_phase(&r, VAS_MIGRATION_PHASE_PREPARE);
	expect(&r, "");
	release(&r, 1);
	expect(&r, "inhibitor-release(delay) migration-quiesced(released) reply(ok) ack migration-ack timer(off)");
	kernel_phase(&r, VAS_MIGRATION_PHASE_COMPLETED);
	hook(&r, VASD_HOOK_POST);

	lock(&r, 2, VASD_LOCK_DELAY);
	hook(&r, VASD_HOOK_PRE);
	kernel_phase_of(&r, VAS_MIGRATION_PHASE_PREPARE, STREAM, TOKEN2);
	tick(&r, 4 * SEC);
	kernel_phase_of(&r, VAS_MIGRATION_PHASE_SUSPENDING, STREAM, TOKEN2);
	expect(&r, "migration-error(ack-missed)");
	tick(&r, SEC);
	expect(&r, "migration-timeout migration-quiesced(timeout) reply(ok) timer(off)");
	/* and the kernel refused a late ack */
	{
		struct migration_input in = {
			.type = MIGRATION_INPUT_ACK_REFUSED,
			.ack = { .token = TOKEN2, .error = -ENOENT },
		};

		feed(&r, &in);
		expect(&r, "migration-error(ack-refused)");
		ASSERT_UINT_EQ(r.e[0].record.coord.count, ENOENT);
		ASSERT_UINT_EQ(r.e[0].record.migration.token, TOKEN2);
		ASSERT_UINT_EQ(r.e[0].record.coord.migration, 2);
	}
	run_done(&r);
}

/* Tokens and streams that do not match, and phases out of order. */
static void test_mismatch(void)
{
	const struct vasd_event *ev;
	struct run r;

	run_init(&r);
	hook(&r, VASD_HOOK_PRE);
	kernel_phase(&r, VAS_MIGRATION_PHASE_PREPARE);
	expect(&r, "ack migration-ack");
	kernel_phase_of(&r, VAS_MIGRATION_PHASE_SUSPENDING, STREAM, TOKEN2);
	expect(&r, "migration-error(token-mismatch)");
	ev = rec(&r, VASD_EVENT_MIGRATION_ERROR, 0);
	ASSERT_UINT_EQ(ev->coord.token, TOKEN);
	ASSERT_UINT_EQ(ev->migration.token, TOKEN2);
	ASSERT_UINT_EQ(ev->coord.migration, 1);
	/* the kernel is the truth: its token is followed from now on */
	kernel_phase_of(&r, VAS_MIGRATION_PHASE_SUSPENDED, STREAM, TOKEN2);
	expect(&r, "");
	kernel_phase_of(&r, VAS_MIGRATION_PHASE_COMPLETED, STREAM, TOKEN2);
	hook(&r, VASD_HOOK_POST);
	expect(&r, "migration-hook(post) migration-close(completed) signal(false) reply(ok) timer(off)");

	/* prepare of another stream while one is attached */
	hook(&r, VASD_HOOK_PRE);
	kernel_phase(&r, VAS_MIGRATION_PHASE_PREPARE);
	kernel_phase_of(&r, VAS_MIGRATION_PHASE_PREPARE, STREAM + 1, TOKEN2);
	expect(&r, "migration-error(stream-mismatch) ack migration-ack");
	ASSERT_UINT_EQ(rec(&r, VASD_EVENT_MIGRATION_ERROR, 0)->migration.stream_id,
		       STREAM + 1);
	hook(&r, VASD_HOOK_POST);
	/* the kernel still in it: post waits for its end, a bounded while */
	expect(&r, "migration-hook(post) timer");
	tick(&r, MIGRATION_POST_SETTLE - 1);
	expect(&r, "");
	tick(&r, 1);
	/* none came: out of order, recorded, closed all the same */
	expect(&r, "migration-error(out-of-order) migration-close(unknown) "
		   "signal(false) reply(ok) timer(off)");

	/* suspending with no prepare seen: opened late, clients told */
	kernel_phase_of(&r, VAS_MIGRATION_PHASE_SUSPENDING, STREAM, TOKEN);
	expect(&r, "migration-open(kernel) migration-error(out-of-order) signal(true) "
		   "migration-quiesced(late)");
	kernel_phase_of(&r, VAS_MIGRATION_PHASE_COMPLETED, STREAM, TOKEN);
	expect(&r, "migration-close(completed) signal(false)");

	/* a hook-opened one whose prepare was missed */
	hook(&r, VASD_HOOK_CHECK);
	kernel_phase_of(&r, VAS_MIGRATION_PHASE_SUSPENDED, STREAM, TOKEN2);
	expect(&r, "migration-error(out-of-order) signal(true) migration-quiesced(late) timer(off)");
	kernel_phase_of(&r, VAS_MIGRATION_PHASE_RESUMED, STREAM, TOKEN2);

	/* undocheck and check while the kernel runs it: refused, recorded */
	hook(&r, VASD_HOOK_UNDOCHECK);
	expect(&r, "migration-hook(undocheck) migration-error(out-of-order) reply(error)");
	ASSERT_STR_EQ(reply_to(&r, 100 + VASD_HOOK_UNDOCHECK),
		      "vasd: migration 4 is in the kernel (phase resumed): undocheck cannot cancel it; post will close it");
	hook(&r, VASD_HOOK_CHECK);
	expect(&r, "migration-hook(check) migration-veto(busy) reply(veto)");
	ASSERT_STR_EQ(reply_to(&r, 100 + VASD_HOOK_CHECK),
		      "vasd: migration vetoed: migration 4 is in the kernel (phase resumed); another cannot start");
	expect_state(&r, MIGRATION_QUIESCED, 4);
	kernel_phase_of(&r, VAS_MIGRATION_PHASE_COMPLETED, STREAM, TOKEN2);
	hook(&r, VASD_HOOK_POST);
	expect(&r, "migration-hook(post) migration-close(completed) signal(false) reply(ok) timer(off)");

	/* a kernel instance without migration (a reload) ends a kernel-driven one */
	kernel_phase(&r, VAS_MIGRATION_PHASE_PREPARE);
	expect(&r, "migration-open(kernel) signal(true) migration-quiesced(none) ack migration-ack");
	kernel_phase_of(&r, VAS_MIGRATION_PHASE_NONE, 0, 0);
	expect(&r, "migration-close(unknown) signal(false)");
	kernel_phase_of(&r, VAS_MIGRATION_PHASE_NONE, 0, 0);
	expect(&r, "");
	run_done(&r);
}

/*
 * The seed's race: a window opened while the kernel suspended the others
 * is still active at suspended. Both ways it shows are recorded: active
 * at the kernel's suspended, and added between suspended and resumed.
 */
static void test_race_anomaly(void)
{
	const struct vasd_event *ev;
	struct run r;

	run_init(&r);
	window_open(&r, 1, 500);
	window_open(&r, 2, 600);
	hook(&r, VASD_HOOK_PRE);
	kernel_phase(&r, VAS_MIGRATION_PHASE_PREPARE);
	kernel_phase(&r, VAS_MIGRATION_PHASE_SUSPENDING);
	window_suspend(&r, 1);
	window_suspend(&r, 2);
	/* opened in the gap: listed after the suspend ran */
	window_open(&r, 3, 700);
	expect(&r, "");
	kernel_phase(&r, VAS_MIGRATION_PHASE_SUSPENDED);
	expect(&r, "migration-anomaly(active-at-suspended)");
	ev = rec(&r, VASD_EVENT_MIGRATION_ANOMALY, 0);
	ASSERT_UINT_EQ(ev->window.id, 3);
	ASSERT_UINT_EQ(ev->window.tgid, 700);
	ASSERT_UINT_EQ(ev->coord.total, 1);
	ASSERT_UINT_EQ(ev->coord.migration, 1);
	ASSERT_UINT_EQ(ev->migration.phase, VAS_MIGRATION_PHASE_SUSPENDED);
	window_open(&r, 4, 700);
	expect(&r, "migration-anomaly(opened-while-suspended)");
	ASSERT_UINT_EQ(rec(&r, VASD_EVENT_MIGRATION_ANOMALY, 0)->window.id, 4);
	ASSERT_UINT_EQ(rec(&r, VASD_EVENT_MIGRATION_ANOMALY, 0)->coord.total, 2);
	/* the kernel resumes windows before it says resumed: no anomaly */
	window_resume(&r, 1);
	window_resume(&r, 2);
	expect(&r, "");
	kernel_phase(&r, VAS_MIGRATION_PHASE_RESUMED);
	window_open(&r, 5, 700);
	expect(&r, "");
	kernel_phase(&r, VAS_MIGRATION_PHASE_ABORTED);
	hook(&r, VASD_HOOK_POST);
	expect(&r, "migration-hook(post) migration-blackout migration-client-blackout "
		   "migration-client-blackout migration-close(aborted) signal(false) reply(ok) timer(off)");
	run_done(&r);

	/* many missed windows: at most MIGRATION_ANOMALIES_MAX records, each with the total */
	run_init(&r);
	hook(&r, VASD_HOOK_PRE);
	kernel_phase(&r, VAS_MIGRATION_PHASE_PREPARE);
	for (uint32_t id = 1; id <= MIGRATION_ANOMALIES_MAX + 10; id++)
		window_open(&r, id, 900);
	kernel_phase(&r, VAS_MIGRATION_PHASE_SUSPENDED);
	ASSERT_UINT_EQ(r.n, MIGRATION_ANOMALIES_MAX);
	ASSERT_UINT_EQ(r.e[0].record.coord.total, MIGRATION_ANOMALIES_MAX + 10);
	window_open(&r, 1000, 900);
	expect(&r, "");
	run_done(&r);
}

/* Blackout per migration and per client: two owners, three windows. */
static void test_blackout(void)
{
	const struct vasd_event *ev;
	struct run r;
	uint64_t t0;

	run_init(&r);
	window_open(&r, 1, 500);
	window_open(&r, 2, 500);
	window_open(&r, 3, 600);
	hook(&r, VASD_HOOK_PRE);
	kernel_phase(&r, VAS_MIGRATION_PHASE_PREPARE);
	kernel_phase(&r, VAS_MIGRATION_PHASE_SUSPENDING);
	t0 = r.realtime;
	window_suspend(&r, 3);
	tick(&r, 10 * MS);
	window_suspend(&r, 1);
	tick(&r, 10 * MS);
	window_suspend(&r, 2);
	kernel_phase(&r, VAS_MIGRATION_PHASE_SUSPENDED);
	tick(&r, 3 * SEC);
	window_resume(&r, 1);
	tick(&r, 10 * MS);
	window_resume(&r, 3);
	tick(&r, 10 * MS);
	window_resume(&r, 2);
	kernel_phase(&r, VAS_MIGRATION_PHASE_RESUMED);
	kernel_phase(&r, VAS_MIGRATION_PHASE_COMPLETED);
	hook(&r, VASD_HOOK_POST);
	expect(&r, "migration-hook(post) migration-blackout migration-client-blackout "
		   "migration-client-blackout migration-close(completed) signal(false) reply(ok) timer(off)");

	ev = rec(&r, VASD_EVENT_MIGRATION_BLACKOUT, 0);
	ASSERT_UINT_EQ(ev->coord.since, t0);
	ASSERT_UINT_EQ(ev->timestamp, t0 + 20 * MS + 3 * SEC + 20 * MS);
	ASSERT_UINT_EQ(ev->coord.total, 3);
	ASSERT_UINT_EQ(ev->coord.count, 3);
	/* in the order of their first window suspended */
	ev = rec(&r, VASD_EVENT_MIGRATION_CLIENT_BLACKOUT, 0);
	ASSERT_UINT_EQ(ev->coord.pid, 600);
	ASSERT_UINT_EQ(ev->coord.since, t0);
	ASSERT_UINT_EQ(ev->timestamp, t0 + 20 * MS + 3 * SEC + 10 * MS);
	ASSERT_UINT_EQ(ev->coord.total, 1);
	ev = rec(&r, VASD_EVENT_MIGRATION_CLIENT_BLACKOUT, 1);
	ASSERT_UINT_EQ(ev->coord.pid, 500);
	ASSERT_STR_EQ(ev->coord.comm, "proc500");
	ASSERT_UINT_EQ(ev->coord.since, t0 + 10 * MS);
	ASSERT_UINT_EQ(ev->timestamp, t0 + 20 * MS + 3 * SEC + 20 * MS);
	ASSERT_UINT_EQ(ev->coord.total, 2);
	ASSERT_UINT_EQ(ev->coord.count, 2);

	/* a window that never came back: the blackout stays open (count < total) */
	hook(&r, VASD_HOOK_PRE);
	kernel_phase_of(&r, VAS_MIGRATION_PHASE_PREPARE, STREAM, TOKEN2);
	window_suspend(&r, 1);
	tick(&r, SEC);
	kernel_phase_of(&r, VAS_MIGRATION_PHASE_ABORTED, STREAM, TOKEN2);
	hook(&r, VASD_HOOK_POST);
	ev = rec(&r, VASD_EVENT_MIGRATION_BLACKOUT, 0);
	ASSERT_UINT_EQ(ev->coord.count, 0);
	ASSERT_UINT_EQ(ev->coord.total, 1);
	ASSERT_UINT_EQ(ev->timestamp, r.realtime);
	ASSERT_UINT_EQ(ev->timestamp - ev->coord.since, SEC);
	run_done(&r);
}

/* HMC validation runs check only: the migration expires, nobody told. */
static void test_check_expires(void)
{
	struct run r;

	run_init(&r);
	hook(&r, VASD_HOOK_CHECK);
	/* checked again (validation, then the migration): the bound restarts */
	tick(&r, CHECK_EXPIRY / 2);
	hook(&r, VASD_HOOK_CHECK);
	expect(&r, "migration-hook(check) reply(ok) timer");
	ASSERT_UINT_EQ(r.timer, r.now + CHECK_EXPIRY);
	tick(&r, CHECK_EXPIRY - 1);
	expect(&r, "");
	tick(&r, 1);
	expect(&r, "migration-close(expired) timer(off)");
	expect_state(&r, MIGRATION_IDLE, 0);

	/* a quiesced one no post closed: the next check abandons it */
	hook(&r, VASD_HOOK_PRE);
	hook(&r, VASD_HOOK_CHECK);
	expect(&r, "migration-hook(check) migration-close(abandoned) signal(false) "
		   "migration-open(check) reply(ok) timer");
	ASSERT_UINT_EQ(rec(&r, VASD_EVENT_MIGRATION_CLOSE, 0)->coord.migration, 2);
	ASSERT_UINT_EQ(rec(&r, VASD_EVENT_MIGRATION_OPEN, 0)->coord.migration, 3);
	ASSERT_UINT_EQ(rec(&r, VASD_EVENT_MIGRATION_HOOK, 0)->coord.migration, 3);
	run_done(&r);
}

/* post or undocheck while pre still waits: pre gets an error. */
static void test_closed_while_waiting(void)
{
	struct run r;

	run_init(&r);
	lock(&r, 1, VASD_LOCK_DELAY);
	hook_as(&r, VASD_HOOK_PRE, 1);
	hook_as(&r, VASD_HOOK_POST, 2);
	expect(&r, "migration-hook(post) migration-quiesced(closed) reply(error) migration-close(unknown) "
		   "signal(false) reply(ok) timer(off)");
	ASSERT_STR_EQ(reply_to(&r, 1),
		      "vasd: migration 1 was closed before its clients were quiesced");
	/* the lock is not asked any more: its release counts for nothing */
	release(&r, 1);
	expect(&r, "inhibitor-release(delay)");
	ASSERT_UINT_EQ(r.e[0].record.coord.migration, 0);

	lock(&r, 2, VASD_LOCK_DELAY);
	hook_as(&r, VASD_HOOK_CHECK, 3);
	hook_as(&r, VASD_HOOK_PRE, 4);
	hook_as(&r, VASD_HOOK_UNDOCHECK, 5);
	expect(&r, "migration-hook(undocheck) migration-quiesced(closed) reply(error) "
		   "migration-close(cancelled) signal(false) reply(ok) timer(off)");
	run_done(&r);
}

/* Inputs malformed whatever the state: refused, nothing changes. */
static void test_malformed(void)
{
	struct vasd_event ev = {
		.kind = VASD_EVENT_MIGRATION_CHANGE,
		.migration = { .phase = VAS_MIGRATION_PHASE_ABORTED + 1 },
	};
	struct migration_input in = { .type = MIGRATION_INPUT_HOOK, .now = T0 };
	struct migration_config bad = config;
	struct migration_machine *m = NULL;
	struct run r;

	run_init(&r);
	in.hook.phase = _VASD_HOOK_PHASE_MAX;
	ASSERT_INT_EQ(migration_machine_feed(r.m, &in, &r.e, &r.n), -EINVAL);
	ASSERT_UINT_EQ(r.n, 0);
	in.type = (enum migration_input_type)99;
	ASSERT_INT_EQ(migration_machine_feed(r.m, &in, &r.e, &r.n), -EINVAL);
	in = (struct migration_input) {
		.type = MIGRATION_INPUT_EVENT, .now = T0,
		.event = { .event = &ev },
	};
	ASSERT_INT_EQ(migration_machine_feed(r.m, &in, &r.e, &r.n), -EINVAL);
	ASSERT_UINT_EQ(r.n, 0);
	expect_state(&r, MIGRATION_IDLE, 0);
	/* other kinds are not the coordinator's business */
	ev.kind = VASD_EVENT_CAPS_CHANGE;
	ASSERT_INT_EQ(migration_machine_feed(r.m, &in, &r.e, &r.n), 0);
	ASSERT_UINT_EQ(r.n, 0);
	/* a timer with nothing armed */
	tick(&r, SEC);
	in = (struct migration_input) { .type = MIGRATION_INPUT_TIMER, .now = r.now };
	ASSERT_INT_EQ(migration_machine_feed(r.m, &in, &r.e, &r.n), 0);
	ASSERT_UINT_EQ(r.n, 0);
	run_done(&r);

	ASSERT_NULL(migration_state_to_string(_MIGRATION_STATE_MAX));
	bad.delay_max = 0;
	ASSERT_INT_EQ(migration_machine_new(&bad, &m), -EINVAL);
	ASSERT_NULL(m);
	ASSERT_NULL(migration_machine_free(NULL));
}

/* Restore a fresh machine from the first n events of r's ledger. */
static void restore(struct run *into, const struct run *from, size_t n,
		    const struct vas_migration *kernel)
{
	memset(into, 0, sizeof(*into));
	into->now = from->now + 60 * SEC;
	into->realtime = from->realtime + 60 * SEC;
	into->seq = from->seq;
	ASSERT_INT_EQ(migration_machine_new(&config, &into->m), 0);
	state_sync(into);
	ASSERT_INT_EQ(migration_machine_restore(into->m, from->ledger, n, kernel,
						into->now, into->realtime,
						&into->e, &into->n), 0);
	took(into);
}

/*
 * A restart: the unfinished migration comes back from the ledger and the
 * kernel's dump; numbering goes on; waits cut by the restart end.
 */
static void test_restore(void)
{
	struct vas_migration k = { .stream_id = STREAM,
				   .phase = VAS_MIGRATION_PHASE_COMPLETED,
				   .token = TOKEN };
	struct run r, s;
	size_t n;

	/* nothing open: idle, and the next one is number 2 */
	run_init(&r);
	hook(&r, VASD_HOOK_PRE);
	hook(&r, VASD_HOOK_POST);
	restore(&s, &r, r.n_ledger, NULL);
	expect(&s, "");
	expect_state(&s, MIGRATION_IDLE, 0);
	hook(&s, VASD_HOOK_CHECK);
	ASSERT_UINT_EQ(rec(&s, VASD_EVENT_MIGRATION_OPEN, 0)->coord.migration, 2);
	/* once fed, no restore */
	ASSERT_INT_EQ(migration_machine_restore(s.m, NULL, 0, NULL, s.now, s.realtime,
						&s.e, &s.n), -EBUSY);
	run_done(&s);
	run_done(&r);

	/* restarted in the middle of pre's wait: it ends, clients told again */
	run_init(&r);
	lock(&r, 1, VASD_LOCK_DELAY);
	lock(&r, 2, VASD_LOCK_DELAY);
	hook(&r, VASD_HOOK_CHECK);
	hook(&r, VASD_HOOK_PRE);
	release(&r, 1);
	restore(&s, &r, r.n_ledger, NULL);
	expect(&s, "migration-quiesced(restart) signal(true)");
	ASSERT_UINT_EQ(s.e[0].record.coord.count, 1);
	ASSERT_UINT_EQ(s.e[0].record.coord.total, 2);
	ASSERT_UINT_EQ(s.e[0].record.coord.migration, 1);
	expect_state(&s, MIGRATION_QUIESCED, 1);
	/* the kernel's prepare after it: acked at once */
	kernel_phase(&s, VAS_MIGRATION_PHASE_PREPARE);
	expect(&s, "ack migration-ack");
	kernel_phase(&s, VAS_MIGRATION_PHASE_COMPLETED);
	hook(&s, VASD_HOOK_POST);
	expect(&s, "migration-hook(post) migration-close(completed) signal(false) reply(ok) timer(off)");
	run_done(&s);

	/* restarted after check only: checked again, with a fresh bound */
	n = 0;
	while (r.ledger[n].kind != VASD_EVENT_MIGRATION_OPEN)
		n++;
	restore(&s, &r, n + 1, NULL);
	expect(&s, "timer");
	expect_state(&s, MIGRATION_CHECKED, 1);
	ASSERT_UINT_EQ(s.timer, s.now + CHECK_EXPIRY);
	run_done(&s);
	run_done(&r);

	/*
	 * Kernel-driven, the kernel finished while vasd was away: closed,
	 * with the blackout the ledger's window events give.
	 */
	run_init(&r);
	window_open(&r, 1, 500);
	kernel_phase(&r, VAS_MIGRATION_PHASE_PREPARE);
	kernel_phase(&r, VAS_MIGRATION_PHASE_SUSPENDING);
	window_suspend(&r, 1);
	tick(&r, SEC);
	window_resume(&r, 1);
	restore(&s, &r, r.n_ledger, &k);
	expect(&s, "migration-blackout migration-client-blackout migration-close(completed) signal(false)");
	ASSERT_UINT_EQ(rec(&s, VASD_EVENT_MIGRATION_BLACKOUT, 0)->coord.count, 1);
	expect_state(&s, MIGRATION_IDLE, 0);
	run_done(&s);

	/* ... still running: followed on, clients told again */
	k.phase = VAS_MIGRATION_PHASE_RESUMED;
	restore(&s, &r, r.n_ledger, &k);
	expect(&s, "signal(true)");
	expect_state(&s, MIGRATION_QUIESCED, 1);
	kernel_phase(&s, VAS_MIGRATION_PHASE_COMPLETED);
	expect(&s, "migration-blackout migration-client-blackout migration-close(completed) signal(false)");
	run_done(&s);

	/* ... with no kernel part left to end it: closed, unknown */
	restore(&s, &r, r.n_ledger, NULL);
	expect(&s, "migration-blackout migration-client-blackout migration-close(unknown) signal(false)");
	run_done(&s);
	run_done(&r);

	/* hook-driven, the kernel done: waits for post, within its bound */
	run_init(&r);
	hook(&r, VASD_HOOK_PRE);
	kernel_phase(&r, VAS_MIGRATION_PHASE_PREPARE);
	kernel_phase(&r, VAS_MIGRATION_PHASE_SUSPENDING);
	k.phase = VAS_MIGRATION_PHASE_COMPLETED;
	restore(&s, &r, r.n_ledger, &k);
	expect(&s, "signal(true) timer");
	ASSERT_UINT_EQ(s.timer, s.now + POST_WAIT);
	hook(&s, VASD_HOOK_POST);
	expect(&s, "migration-hook(post) migration-close(completed) signal(false) reply(ok) timer(off)");
	run_done(&s);
	run_done(&r);

	/* none open, and the kernel began one meanwhile: it is followed */
	run_init(&r);
	hook(&r, VASD_HOOK_PRE);
	hook(&r, VASD_HOOK_POST);
	k = (struct vas_migration) { .stream_id = STREAM, .token = TOKEN2,
				     .phase = VAS_MIGRATION_PHASE_PREPARE };
	restore(&s, &r, r.n_ledger, &k);
	expect(&s, "migration-open(kernel) signal(true) migration-quiesced(none)");
	ASSERT_UINT_EQ(rec(&s, VASD_EVENT_MIGRATION_OPEN, 0)->coord.migration, 2);
	run_done(&s);
	/* ... but not one that is over */
	k.phase = VAS_MIGRATION_PHASE_COMPLETED;
	restore(&s, &r, r.n_ledger, &k);
	expect(&s, "");
	run_done(&s);
	run_done(&r);
}

/*
 * Anything in any order: every hook call is answered exactly once, only
 * pre waits and only while quiescing, clients are told a migration began
 * exactly while one is quiescing or quiesced, and a final post with time
 * passing leaves it idle with no timer.
 */
static void test_random(uint64_t seed, int steps)
{
	uint64_t token = 1, next_call = 1, next_lock = 1;
	uint64_t locks[32], pending[4096];
	uint32_t pending_phase[4096];
	size_t n_locks = 0, n_pending = 0;
	unsigned int seen[_VASD_EVENT_KIND_MAX][8] = { { 0 } };
	unsigned int acks = 0;
	bool told = false;
	struct run r;

	rnd_state = seed;
	run_init(&r);
	for (int i = 0; i < steps; i++) {
		uint64_t x = rnd();

		r.n = 0;
		switch (x % 8) {
		case 0:
			hook_as(&r, (uint32_t)(x >> 8) % _VASD_HOOK_PHASE_MAX, next_call);
			ASSERT(n_pending < ELEMENTSOF(pending));
			pending_phase[n_pending] = (uint32_t)(x >> 8) % _VASD_HOOK_PHASE_MAX;
			pending[n_pending++] = next_call++;
			break;
		case 1:
		case 2: {
			uint32_t phase = (uint32_t)(x >> 8) % (VAS_MIGRATION_PHASE_ABORTED + 1);

			if ((x >> 16) % 4 == 0)
				token++;
			kernel_phase_of(&r, phase, STREAM + (x >> 20) % 2, token);
			break;
		}
		case 3:
			if (n_locks < ELEMENTSOF(locks)) {
				lock(&r, next_lock, (x >> 8) % 4 ? VASD_LOCK_DELAY :
								   VASD_LOCK_BLOCK);
				locks[n_locks++] = next_lock++;
			}
			break;
		case 4:
			if (n_locks) {
				size_t j = (x >> 8) % n_locks;

				release(&r, locks[j]);
				locks[j] = locks[--n_locks];
			}
			break;
		default:
			/* now and then long enough for any bound */
			tick(&r, (x >> 8) % 64 ? (x >> 16) % (3 * SEC) : CHECK_EXPIRY);
			break;
		}

		for (size_t j = 0; j < r.n; j++) {
			const struct migration_effect *e = &r.e[j];
			size_t k;

			if (e->type == MIGRATION_EFFECT_RECORD &&
			    e->record.coord.what < 8) {
				seen[e->record.kind][e->record.coord.what]++;
			} else if (e->type == MIGRATION_EFFECT_ACK) {
				acks++;
			} else if (e->type == MIGRATION_EFFECT_SIGNAL) {
				/* post tells "over" even when nobody was told */
				ASSERT(!e->signal.active || !told);
				told = e->signal.active;
			} else if (e->type == MIGRATION_EFFECT_REPLY) {
				for (k = 0; k < n_pending; k++)
					if (pending[k] == e->reply.call)
						break;
				ASSERT(k < n_pending);
				pending[k] = pending[--n_pending];
				pending_phase[k] = pending_phase[n_pending];
			}
		}
		/*
		 * pre waits only while quiescing; one post at most waits, only
		 * while a migration is open (for the kernel's end)
		 */
		{
			size_t posts = 0;

			for (size_t k = 0; k < n_pending; k++) {
				if (pending_phase[k] == VASD_HOOK_POST)
					posts++;
				else
					ASSERT_INT_EQ(migration_machine_state(r.m),
						      MIGRATION_QUIESCING);
			}
			ASSERT(posts <= 1);
			if (posts)
				ASSERT(migration_machine_state(r.m) >= MIGRATION_QUIESCING);
		}
		ASSERT_INT_EQ(told, migration_machine_state(r.m) >= MIGRATION_QUIESCING);
	}

	/* the drive reached every outcome, end of a wait and error */
	for (uint32_t w = 0; w < _VASD_OUTCOME_MAX; w++)
		if (!seen[VASD_EVENT_MIGRATION_CLOSE][w])
			TEST_FAIL("no close %s", vasd_coord_what_to_string(
					  VASD_EVENT_MIGRATION_CLOSE, w));
	for (uint32_t w = 0; w < _VASD_QUIESCE_END_MAX; w++)
		if (w != VASD_QUIESCE_RESTART && !seen[VASD_EVENT_MIGRATION_QUIESCED][w])
			TEST_FAIL("no quiesced %s", vasd_coord_what_to_string(
					  VASD_EVENT_MIGRATION_QUIESCED, w));
	for (uint32_t w = 0; w < _VASD_COORD_ERROR_MAX; w++)
		if (w != VASD_COORD_ERROR_ACK_REFUSED && !seen[VASD_EVENT_MIGRATION_ERROR][w])
			TEST_FAIL("no error %s", vasd_coord_what_to_string(
					  VASD_EVENT_MIGRATION_ERROR, w));
	for (uint32_t w = 0; w < _VASD_VETO_MAX; w++)
		if (w != VASD_VETO_LEDGER && !seen[VASD_EVENT_MIGRATION_VETO][w])
			TEST_FAIL("no veto %s", vasd_coord_what_to_string(
					  VASD_EVENT_MIGRATION_VETO, w));
	ASSERT(seen[VASD_EVENT_MIGRATION_TIMEOUT][0] > 0);
	printf("seed 0x%llx: %u migrations, %u acks, %u timeouts, %u closed completed, %u aborted\n",
	       (unsigned long long)seed, seen[VASD_EVENT_MIGRATION_OPEN][0] +
	       seen[VASD_EVENT_MIGRATION_OPEN][1] + seen[VASD_EVENT_MIGRATION_OPEN][2],
	       acks, seen[VASD_EVENT_MIGRATION_TIMEOUT][0],
	       seen[VASD_EVENT_MIGRATION_CLOSE][VASD_OUTCOME_COMPLETED],
	       seen[VASD_EVENT_MIGRATION_CLOSE][VASD_OUTCOME_ABORTED]);

	/* a post the kernel's end keeps waiting is answered at its bound */
	if (n_pending) {
		ASSERT_UINT_EQ(n_pending, 1);
		tick(&r, MIGRATION_POST_SETTLE);
		reply_to(&r, pending[0]);
	}
	hook_as(&r, VASD_HOOK_POST, next_call);
	if (!has_reply(&r, next_call))
		tick(&r, MIGRATION_POST_SETTLE);
	reply_to(&r, next_call);
	tick(&r, POST_WAIT + CHECK_EXPIRY);
	expect_state(&r, MIGRATION_IDLE, 0);
	ASSERT_UINT_EQ(r.timer, 0);
	run_done(&r);
}

int main(void)
{
	test_check_pre_post();
	test_check_undocheck();
	test_block_lock();
	test_ledger_veto();
	test_pre_without_check();
	test_pre_repeated();
	test_post_without_pre();
	test_post_before_end();
	test_post_after_failure();
	test_back_to_back();
	test_delay_locks();
	test_client_dies();
	test_kernel_driven();
	test_prepare_during_quiesce();
	test_mismatch();
	test_race_anomaly();
	test_blackout();
	test_check_expires();
	test_closed_while_waiting();
	test_malformed();
	test_restore();
	test_random(0x1, 20000);
	test_random(0xdecafbad, 20000);
	return 0;
}
