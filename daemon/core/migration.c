// SPDX-License-Identifier: GPL-2.0-only
/*
 * migration: the coordinator's state machine. See migration.h, and
 * docs/migration.md for the table of transitions this file implements.
 *
 * Every handler validates first and returns before its first effect when
 * the input is malformed; after that it cannot fail but for memory, which
 * is sticky (m->error) so that the handlers read as the transitions they
 * are.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/migration-report.h"
#include "core/migration.h"
#include "util/alloc.h"
#include "util/escape.h"

#define NSEC_PER_SEC 1000000000ULL

struct lock {
	uint64_t id;
	enum vasd_lock_mode mode;
	uint32_t pid, uid;
	char comm[VAS_COMM_MAX];
	char *who, *why;
	char *user;			/* uid's name; "" when it has none */
	bool asked;			/* in the open migration's wait */
	bool timed_out;
	uint64_t asked_at;		/* CLOCK_REALTIME ns */
};

struct migration {
	uint64_t id;
	char name[MIGRATION_NAME_MAX];
	enum migration_state state;
	bool hook;			/* a hook joined: post closes it, not the kernel */
	bool signalled;			/* PrepareForMigration(true) was emitted */
	uint64_t check_deadline;
	uint64_t quiesce_start;		/* CLOCK_MONOTONIC ns */
	uint64_t quiesce_since;		/* CLOCK_REALTIME ns */
	uint64_t quiesce_deadline;
	uint32_t n_asked, n_released;
	bool attached;			/* the kernel's migration is known */
	struct vas_migration kernel;	/* as last seen */
	bool ack_pending;		/* the kernel waits in prepare */
	uint64_t acked_token;
	uint64_t post_deadline;		/* the kernel ended it; post is due */
	uint64_t post_call;		/* post came first: it waits for the kernel's end */
	uint64_t post_settle_deadline;
	uint64_t *calls;		/* pre hooks waiting for the quiesce */
	size_t n_calls, n_calls_alloc;
	struct migration_report *report;
	uint32_t n_anomalies;
};

struct migration_machine {
	struct migration_config config;
	struct lock *locks;		/* in the order they were taken */
	size_t n_locks, n_locks_alloc;
	bool ledger_ok;
	char *ledger_reason;
	uint64_t last_id;
	uint64_t last_vetoed;		/* closed by a veto, and none opened since */
	bool open;
	struct migration mig;
	bool fed;
	bool told;			/* PrepareForMigration(true) in these effects */
	uint64_t armed;

	/* the input being handled and its effects */
	uint64_t now, realtime;
	int error;
	struct migration_effect *effects;
	size_t n_effects, n_effects_alloc;
	char **strings;
	size_t n_strings, n_strings_alloc;
	struct migration_effect scratch;
};

static const char *const state_names[] = {
	[MIGRATION_IDLE] = "idle",
	[MIGRATION_CHECKED] = "checked",
	[MIGRATION_QUIESCING] = "quiescing",
	[MIGRATION_QUIESCED] = "quiesced",
};

_Static_assert(ELEMENTSOF(state_names) == _MIGRATION_STATE_MAX,
	       "every state has a name");

const char *migration_state_to_string(enum migration_state s)
{
	return (unsigned int)s < ELEMENTSOF(state_names) ? state_names[s] : NULL;
}

static struct migration_effect *push(struct migration_machine *m,
				     enum migration_effect_type type)
{
	struct migration_effect *e = m->error ? NULL :
		array_grow(m->effects, &m->n_effects_alloc, m->n_effects, sizeof(*e));

	if (e) {
		m->effects = e;
		e = &m->effects[m->n_effects++];
	} else {
		m->error = -ENOMEM;
		e = &m->scratch;
	}
	memset(e, 0, sizeof(*e));
	e->type = type;
	return e;
}

/*
 * A record of kind at this input's time, naming the open migration. The
 * pointer is good until the next push.
 */
static struct vasd_event *record(struct migration_machine *m, int kind)
{
	struct vasd_event *ev = &push(m, MIGRATION_EFFECT_RECORD)->record;

	ev->kind = kind;
	ev->timestamp = m->realtime;
	ev->recorded = m->realtime;
	ev->coord.migration = m->open ? m->mig.id : 0;
	return ev;
}

static void record_lock(struct vasd_event *ev, const struct lock *l)
{
	ev->coord.lock = l->id;
	ev->coord.pid = l->pid;
	ev->coord.uid = l->uid;
	memcpy(ev->coord.comm, l->comm, sizeof(ev->coord.comm));
}

/*
 * A holder's words inside the veto line's quotes: a '"' of theirs would
 * end the quote and start a field of their making (who "x", why "forged"),
 * so it is written \x22, as format()'s escapes are. malloc()ed.
 */
static char *quotes_escaped(const char *s)
{
	size_t n = 0, o = 0;
	char *out;

	for (const char *p = s; *p; p++)
		n += *p == '"' ? 4 : 1;
	out = malloc(n + 1);
	if (!out)
		return NULL;
	for (const char *p = s; *p; p++) {
		if (*p == '"') {
			memcpy(out + o, "\\x22", 4);
			o += 4;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
	return out;
}

/* A one-line string owned by this input's effects; NULL on -ENOMEM. */
__attribute__((format(printf, 2, 3)))
static const char *format(struct migration_machine *m, const char *fmt, ...)
{
	char **strings = m->error ? NULL :
		array_grow(m->strings, &m->n_strings_alloc, m->n_strings, sizeof(*strings));
	va_list ap;
	char *raw, *s;
	int r;

	if (!strings) {
		m->error = -ENOMEM;
		return NULL;
	}
	m->strings = strings;
	va_start(ap, fmt);
	r = vasprintf(&raw, fmt, ap);
	va_end(ap);
	if (r < 0) {
		m->error = -ENOMEM;
		return NULL;
	}
	/*
	 * clients' who and why reach the HMC and root's terminal through
	 * it: one line, escaped (util/escape.h)
	 */
	s = text_escape(raw);
	free(raw);
	if (!s) {
		m->error = -ENOMEM;
		return NULL;
	}
	m->strings[m->n_strings++] = s;
	return s;
}

static void reply(struct migration_machine *m, uint64_t call,
		  enum migration_reply result, const char *message)
{
	struct migration_effect *e = push(m, MIGRATION_EFFECT_REPLY);

	e->reply.call = call;
	e->reply.result = result;
	e->reply.message = message;
}

static void signal_clients(struct migration_machine *m, bool active)
{
	struct migration_effect *e = push(m, MIGRATION_EFFECT_SIGNAL);

	e->signal.active = active;
	memcpy(e->signal.name, m->mig.name, sizeof(e->signal.name));
	if (active)
		m->told = true;
}

static double seconds(uint64_t ns)
{
	return (double)ns / (double)NSEC_PER_SEC;
}

/* The kernel runs the migration now: after prepare, before its end. */
static bool kernel_busy(const struct migration_machine *m)
{
	return m->open && m->mig.attached &&
	       m->mig.kernel.phase >= VAS_MIGRATION_PHASE_PREPARE &&
	       m->mig.kernel.phase <= VAS_MIGRATION_PHASE_RESUMED;
}

static uint32_t kernel_outcome(const struct migration_machine *m)
{
	if (m->mig.attached &&
	    m->mig.kernel.phase == VAS_MIGRATION_PHASE_COMPLETED)
		return VASD_OUTCOME_COMPLETED;
	if (m->mig.attached &&
	    m->mig.kernel.phase == VAS_MIGRATION_PHASE_ABORTED)
		return VASD_OUTCOME_ABORTED;
	return VASD_OUTCOME_UNKNOWN;
}

static void open_migration(struct migration_machine *m, uint32_t origin,
			   const struct vas_migration *kernel)
{
	struct migration *g = &m->mig;
	struct vasd_event *ev;

	*g = (struct migration) {
		.id = ++m->last_id,
		.state = MIGRATION_CHECKED,
		.hook = origin != VASD_ORIGIN_KERNEL,
	};
	snprintf(g->name, sizeof(g->name), "%llu", (unsigned long long)g->id);
	if (migration_report_new(&g->report) < 0)
		m->error = -ENOMEM;
	m->open = true;
	m->last_vetoed = 0;

	ev = record(m, VASD_EVENT_MIGRATION_OPEN);
	ev->coord.what = origin;
	if (kernel) {
		ev->migration = *kernel;
		g->attached = true;
		g->kernel = *kernel;
	}
}

static void send_ack(struct migration_machine *m)
{
	struct vasd_event *ev;

	push(m, MIGRATION_EFFECT_ACK)->token = m->mig.kernel.token;
	ev = record(m, VASD_EVENT_MIGRATION_ACK);
	ev->migration = m->mig.kernel;
	m->mig.acked_token = m->mig.kernel.token;
	m->mig.ack_pending = false;
}

/* The first lock that did not release in time, for the message. */
static const struct lock *first_timed_out(const struct migration_machine *m)
{
	for (size_t i = 0; i < m->n_locks; i++)
		if (m->locks[i].asked && m->locks[i].timed_out)
			return &m->locks[i];
	return NULL;
}

static const char *quiesce_message(struct migration_machine *m, uint32_t how)
{
	const struct migration *g = &m->mig;
	const struct lock *late;

	switch (how) {
	case VASD_QUIESCE_RELEASED:
		return format(m, "vasd: migration %s: %u client lock%s released in %.3f s",
			      g->name, g->n_asked, g->n_asked == 1 ? "" : "s",
			      seconds(m->now - g->quiesce_start));
	case VASD_QUIESCE_TIMEOUT:
		late = first_timed_out(m);
		return format(m, "vasd: migration %s: %u of %u client locks released; the rest did not within %.3f s (%s, pid %u, first)",
			      g->name, g->n_released, g->n_asked,
			      seconds(m->config.delay_max),
			      late ? late->who : "?", late ? late->pid : 0);
	case VASD_QUIESCE_NONE:
		return format(m, "vasd: migration %s: no client holds a delay lock",
			      g->name);
	default:
		return format(m, "vasd: migration %s was closed before its clients were quiesced",
			      g->name);
	}
}

/* The wait is over: pre hooks are answered, the kernel acked. */
static void finish_quiesce(struct migration_machine *m, uint32_t how)
{
	struct migration *g = &m->mig;
	struct vasd_event *ev;
	const char *message;

	g->state = MIGRATION_QUIESCED;
	ev = record(m, VASD_EVENT_MIGRATION_QUIESCED);
	ev->coord.what = how;
	ev->coord.count = g->n_released;
	ev->coord.total = g->n_asked;
	ev->coord.since = g->quiesce_since;

	if (g->n_calls) {
		message = quiesce_message(m, how);
		for (size_t i = 0; i < g->n_calls; i++)
			reply(m, g->calls[i], how == VASD_QUIESCE_CLOSED ?
			      MIGRATION_REPLY_ERROR : MIGRATION_REPLY_OK, message);
		g->n_calls = 0;
	}
	if (g->ack_pending)
		send_ack(m);
}

/* Ask every delay lock held now; locks taken later missed the signal. */
static void start_quiesce(struct migration_machine *m)
{
	struct migration *g = &m->mig;

	g->state = MIGRATION_QUIESCING;
	g->signalled = true;
	g->quiesce_start = m->now;
	g->quiesce_since = m->realtime;
	g->quiesce_deadline = m->now + m->config.delay_max;
	g->n_asked = g->n_released = 0;

	for (size_t i = 0; i < m->n_locks; i++) {
		struct lock *l = &m->locks[i];

		if (l->mode != VASD_LOCK_DELAY)
			continue;
		l->asked = true;
		l->timed_out = false;
		l->asked_at = m->realtime;
		record_lock(record(m, VASD_EVENT_MIGRATION_ASKED), l);
		g->n_asked++;
	}
	signal_clients(m, true);
	if (!g->n_asked)
		finish_quiesce(m, VASD_QUIESCE_NONE);
}

/* The kernel is past prepare: too late to wait, not to tell. */
static void late_quiesce(struct migration_machine *m)
{
	m->mig.signalled = true;
	m->mig.quiesce_since = m->realtime;
	signal_clients(m, true);
	finish_quiesce(m, VASD_QUIESCE_LATE);
}

static void add_call(struct migration_machine *m, uint64_t call)
{
	struct migration *g = &m->mig;
	uint64_t *calls = array_grow(g->calls, &g->n_calls_alloc, g->n_calls,
			       sizeof(*calls));

	if (!calls) {
		m->error = -ENOMEM;
		return;
	}
	g->calls = calls;
	g->calls[g->n_calls++] = call;
}

static void record_blackouts(struct migration_machine *m)
{
	const struct migration_blackout *b;
	struct vasd_event *ev;
	size_t n;

	if (!m->mig.report)
		return;
	b = migration_report_total(m->mig.report);
	if (!b->suspended)
		return;
	ev = record(m, VASD_EVENT_MIGRATION_BLACKOUT);
	ev->coord.since = b->first_suspended;
	if (b->resumed)
		ev->timestamp = b->last_resumed;
	ev->coord.count = b->resumed;
	ev->coord.total = b->suspended;

	n = migration_report_n_clients(m->mig.report);
	for (size_t i = 0; i < n; i++) {
		const struct migration_client *c =
			migration_report_client(m->mig.report, i);

		ev = record(m, VASD_EVENT_MIGRATION_CLIENT_BLACKOUT);
		ev->coord.pid = c->tgid;
		memcpy(ev->coord.comm, c->comm, sizeof(ev->coord.comm));
		ev->coord.since = c->blackout.first_suspended;
		if (c->blackout.resumed)
			ev->timestamp = c->blackout.last_resumed;
		ev->coord.count = c->blackout.resumed;
		ev->coord.total = c->blackout.suspended;
	}
}

/*
 * End the open migration. post always tells clients it is over; anything
 * else only when they were told it began.
 */
static void close_migration(struct migration_machine *m, uint32_t outcome,
			    bool post)
{
	struct migration *g = &m->mig;
	struct vasd_event *ev;

	if (g->state == MIGRATION_QUIESCING)
		finish_quiesce(m, VASD_QUIESCE_CLOSED);
	record_blackouts(m);
	ev = record(m, VASD_EVENT_MIGRATION_CLOSE);
	ev->coord.what = outcome;
	if (g->attached)
		ev->migration = g->kernel;
	if (g->signalled || post)
		signal_clients(m, false);

	for (size_t i = 0; i < m->n_locks; i++)
		m->locks[i].asked = m->locks[i].timed_out = false;
	free(g->calls);
	migration_report_free(g->report);
	m->last_vetoed = outcome == VASD_OUTCOME_VETOED ? g->id : 0;
	*g = (struct migration) { 0 };
	m->open = false;
}

/* Answer post with the kernel's outcome as last seen, and close. */
static void finish_post(struct migration_machine *m, uint64_t call)
{
	const struct migration *g = &m->mig;
	uint32_t outcome = kernel_outcome(m);
	const char *what = vasd_coord_what_to_string(VASD_EVENT_MIGRATION_CLOSE,
						     outcome);
	const char *message;

	if (g->n_anomalies)
		message = format(m, "vasd: migration %s closed: %s; warning: %u window%s stayed active when the kernel suspended the windows (the race of an open during the suspend): see the ledger's migration-anomaly events",
				 g->name, what, g->n_anomalies,
				 g->n_anomalies == 1 ? "" : "s");
	else
		message = format(m, "vasd: migration %s closed: %s", g->name, what);
	close_migration(m, outcome, true);
	reply(m, call, MIGRATION_REPLY_OK, message);
}

/* The kernel ended its migration: a hook-driven one still waits for post. */
static void kernel_ended(struct migration_machine *m, uint32_t outcome)
{
	if (m->mig.post_call)
		finish_post(m, m->mig.post_call);
	else if (m->mig.hook)
		m->mig.post_deadline = m->now + m->config.post_wait;
	else
		close_migration(m, outcome, false);
}

static void record_error(struct migration_machine *m, uint32_t error,
			 const struct vas_migration *kernel)
{
	struct vasd_event *ev = record(m, VASD_EVENT_MIGRATION_ERROR);

	ev->coord.what = error;
	if (kernel)
		ev->migration = *kernel;
	if (error == VASD_COORD_ERROR_TOKEN_MISMATCH)
		ev->coord.token = m->mig.kernel.token;
}

/*
 * Check: a real reason only. Records a veto and gives its line for the
 * HMC; false when there is none.
 */
static bool veto(struct migration_machine *m, const char **ret_message)
{
	const struct lock *first = NULL;
	struct vasd_event *ev;
	char more[32] = "";
	uint32_t n = 0;

	for (size_t i = 0; i < m->n_locks; i++)
		if (m->locks[i].mode == VASD_LOCK_BLOCK && !n++)
			first = &m->locks[i];

	if (first) {
		char *who = quotes_escaped(first->who), *why = quotes_escaped(first->why);

		ev = record(m, VASD_EVENT_MIGRATION_VETO);
		ev->coord.what = VASD_VETO_BLOCK_LOCK;
		ev->coord.count = n;
		record_lock(ev, first);
		if (n > 1)
			snprintf(more, sizeof(more), ", and %" PRIu32 " more", n - 1);
		/*
		 * Who holds it as the bus and the kernel said (uid, its name,
		 * pid, command), then the holder's own words, escaped by
		 * format(); and how root ends it.
		 */
		*ret_message = format(m, "vasd: migration vetoed: block lock %" PRIu64 " of uid %u%s%s%s, pid %u%s%s%s: who \"%s\", why \"%s\"%s; release %s first, or as root: vasctl release-lock %" PRIu64,
				      first->id, first->uid,
				      first->user[0] ? " (" : "", first->user,
				      first->user[0] ? ")" : "",
				      first->pid,
				      first->comm[0] ? " (" : "", first->comm,
				      first->comm[0] ? ")" : "",
				      who ? who : "?", why ? why : "?",
				      more,
				      n > 1 ? "them" : "it", first->id);
		free(who);
		free(why);
		return true;
	}
	if (!m->ledger_ok) {
		ev = record(m, VASD_EVENT_MIGRATION_VETO);
		ev->coord.what = VASD_VETO_LEDGER;
		*ret_message = format(m, "vasd: migration vetoed: vasd cannot record it in its ledger (%s); see vasd's journal",
				      m->ledger_reason ? m->ledger_reason : "unhealthy");
		return true;
	}
	return false;
}

static void check_passes(struct migration_machine *m, uint64_t call)
{
	uint32_t n = 0;

	for (size_t i = 0; i < m->n_locks; i++)
		n += m->locks[i].mode == VASD_LOCK_DELAY;
	m->mig.check_deadline = m->now + m->config.check_expiry;
	reply(m, call, MIGRATION_REPLY_OK,
	      format(m, "vasd: migration %s may proceed; %u delay lock%s will be asked to release",
		     m->mig.name, n, n == 1 ? "" : "s"));
}

/* The open migration in CHECKED: vetoed and closed, or it passes. */
static void check_open(struct migration_machine *m, uint64_t call)
{
	const char *message;

	if (veto(m, &message)) {
		close_migration(m, VASD_OUTCOME_VETOED, false);
		reply(m, call, MIGRATION_REPLY_VETO, message);
	} else {
		check_passes(m, call);
	}
}

static uint64_t hook_check(struct migration_machine *m, uint64_t call)
{
	uint64_t id;

	if (m->open && m->mig.state == MIGRATION_CHECKED) {
		/* checked again, as HMC validation then migration do */
		id = m->mig.id;
		check_open(m, call);
		return id;
	}
	if (kernel_busy(m)) {
		struct vasd_event *ev = record(m, VASD_EVENT_MIGRATION_VETO);

		ev->coord.what = VASD_VETO_BUSY;
		ev->migration = m->mig.kernel;
		reply(m, call, MIGRATION_REPLY_VETO,
		      format(m, "vasd: migration vetoed: migration %s is in the kernel (phase %s); another cannot start",
			     m->mig.name, vas_migration_phase_to_string(m->mig.kernel.phase)));
		return m->mig.id;
	}
	/* a quiesced migration no post closed: a new one begins */
	if (m->open)
		close_migration(m, VASD_OUTCOME_ABANDONED, false);

	open_migration(m, VASD_ORIGIN_CHECK, NULL);
	id = m->mig.id;
	check_open(m, call);
	return id;
}

static uint64_t hook_pre(struct migration_machine *m, uint64_t call)
{
	struct migration *g = &m->mig;

	if (!m->open)
		open_migration(m, VASD_ORIGIN_PRE, NULL);
	g->hook = true;
	/* drmgr runs again after the kernel refused: wait for its post again */
	g->post_deadline = 0;

	switch (g->state) {
	case MIGRATION_CHECKED:
		add_call(m, call);
		start_quiesce(m);
		break;
	case MIGRATION_QUIESCING:
		add_call(m, call);
		break;
	default:
		reply(m, call, MIGRATION_REPLY_OK,
		      format(m, "vasd: migration %s: clients are quiesced already",
			     g->name));
		break;
	}
	return g->id;
}

static uint64_t hook_post(struct migration_machine *m, uint64_t call)
{
	struct migration *g = &m->mig;
	uint64_t id = g->id;

	if (!m->open) {
		record_error(m, VASD_COORD_ERROR_NO_MIGRATION, NULL);
		reply(m, call, MIGRATION_REPLY_ERROR,
		      format(m, "vasd: no migration is open: post has nothing to close"));
		return 0;
	}
	g->hook = true;
	/*
	 * drmgr runs post once the kernel's write returned, but the kernel's
	 * last notification is sent by its worker after that, and vasd may
	 * read the bus first: post waits for it, a bounded while.
	 */
	if (kernel_busy(m)) {
		if (g->post_call) {
			reply(m, call, MIGRATION_REPLY_ERROR,
			      format(m, "vasd: migration %s: another post already waits for the kernel's end",
				     g->name));
			return id;
		}
		g->post_call = call;
		g->post_settle_deadline = m->now + MIGRATION_POST_SETTLE;
		return id;
	}
	finish_post(m, call);
	return id;
}

static uint64_t hook_undocheck(struct migration_machine *m, uint64_t call)
{
	uint64_t id = m->mig.id;
	const char *message;

	if (!m->open) {
		/* drmgr's order after a failed check, ours or another hook's */
		reply(m, call, MIGRATION_REPLY_OK,
		      format(m, "vasd: no migration is open: nothing to cancel"));
		return m->last_vetoed;
	}
	if (kernel_busy(m)) {
		record_error(m, VASD_COORD_ERROR_OUT_OF_ORDER, &m->mig.kernel);
		reply(m, call, MIGRATION_REPLY_ERROR,
		      format(m, "vasd: migration %s is in the kernel (phase %s): undocheck cannot cancel it; post will close it",
			     m->mig.name, vas_migration_phase_to_string(m->mig.kernel.phase)));
		return id;
	}
	message = format(m, "vasd: migration %s cancelled", m->mig.name);
	close_migration(m, VASD_OUTCOME_CANCELLED, false);
	reply(m, call, MIGRATION_REPLY_OK, message);
	return id;
}

static int on_hook(struct migration_machine *m, const struct migration_input *in)
{
	struct vasd_event *ev;
	size_t at = m->n_effects;
	uint64_t id;

	if (in->hook.phase >= _VASD_HOOK_PHASE_MAX)
		return -EINVAL;

	ev = record(m, VASD_EVENT_MIGRATION_HOOK);
	ev->coord.what = in->hook.phase;
	ev->coord.pid = in->hook.pid;
	ev->coord.uid = in->hook.uid;
	memcpy(ev->coord.comm, in->hook.comm, sizeof(ev->coord.comm));
	ev->coord.comm[sizeof(ev->coord.comm) - 1] = 0;

	switch (in->hook.phase) {
	case VASD_HOOK_CHECK:
		id = hook_check(m, in->hook.call);
		break;
	case VASD_HOOK_PRE:
		id = hook_pre(m, in->hook.call);
		break;
	case VASD_HOOK_POST:
		id = hook_post(m, in->hook.call);
		break;
	default:
		id = hook_undocheck(m, in->hook.call);
		break;
	}
	/* the hook's record names the migration it acted on, known only now */
	if (!m->error)
		m->effects[at].record.coord.migration = id;
	return 0;
}

/* At the kernel's suspended, every window still active was missed. */
static void scan_anomalies(struct migration_machine *m,
			   const struct vasd_state *state)
{
	const struct vas_window *w;
	uint32_t total = 0;
	size_t cursor = 0;

	while ((w = vasd_state_next_window(state, &cursor)))
		total += w->state == VAS_WIN_STATE_ACTIVE;

	cursor = 0;
	while (total && m->mig.n_anomalies < MIGRATION_ANOMALIES_MAX &&
	       (w = vasd_state_next_window(state, &cursor))) {
		struct vasd_event *ev;

		if (w->state != VAS_WIN_STATE_ACTIVE)
			continue;
		ev = record(m, VASD_EVENT_MIGRATION_ANOMALY);
		ev->coord.what = VASD_ANOMALY_ACTIVE_AT_SUSPENDED;
		ev->coord.total = total;
		ev->window = *w;
		ev->migration = m->mig.kernel;
		m->mig.n_anomalies++;
	}
}

/*
 * A kernel phase. restoring: from the kernel's dump at a restart, when
 * nobody waits for an ack (the kernel stopped waiting when the old vasd's
 * socket closed).
 */
static int on_kernel(struct migration_machine *m, const struct vas_migration *k,
		     const struct vasd_state *state, bool restoring)
{
	struct migration *g = &m->mig;

	if (k->phase > VAS_MIGRATION_PHASE_ABORTED)
		return -EINVAL;

	if (k->phase == VAS_MIGRATION_PHASE_NONE) {
		/* a kernel instance without migration: ours went with the old one */
		if (m->open && g->attached && !g->post_deadline) {
			g->kernel.phase = VAS_MIGRATION_PHASE_NONE;
			kernel_ended(m, VASD_OUTCOME_UNKNOWN);
		}
		return 0;
	}

	if (k->phase == VAS_MIGRATION_PHASE_PREPARE) {
		if (!m->open) {
			open_migration(m, VASD_ORIGIN_KERNEL, k);
			g->ack_pending = !restoring;
			start_quiesce(m);
			return 0;
		}
		if (g->attached && k->token == g->kernel.token &&
		    (g->ack_pending || g->acked_token == k->token))
			return 0;	/* the same prepare again (a resync) */
		if (g->attached && k->stream_id != g->kernel.stream_id)
			record_error(m, VASD_COORD_ERROR_STREAM_MISMATCH, k);
		g->attached = true;
		g->kernel = *k;
		g->post_deadline = 0;
		g->ack_pending = !restoring;
		if (g->state == MIGRATION_CHECKED)
			start_quiesce(m);
		else if (g->state == MIGRATION_QUIESCED && g->ack_pending)
			send_ack(m);
		return 0;
	}

	if (!m->open) {
		/* a past migration, as a resync shows it */
		if (k->phase >= VAS_MIGRATION_PHASE_COMPLETED)
			return 0;
		open_migration(m, VASD_ORIGIN_KERNEL, k);
		record_error(m, VASD_COORD_ERROR_OUT_OF_ORDER, k);
	} else if (!g->attached) {
		record_error(m, VASD_COORD_ERROR_OUT_OF_ORDER, k);
	} else if (k->token != g->kernel.token) {
		record_error(m, VASD_COORD_ERROR_TOKEN_MISMATCH, k);
	}
	g->attached = true;
	g->kernel = *k;
	if (g->ack_pending) {
		record_error(m, VASD_COORD_ERROR_ACK_MISSED, k);
		g->ack_pending = false;
	}
	if (g->state == MIGRATION_CHECKED)
		late_quiesce(m);

	if (k->phase == VAS_MIGRATION_PHASE_SUSPENDED && state)
		scan_anomalies(m, state);
	else if (k->phase == VAS_MIGRATION_PHASE_COMPLETED)
		kernel_ended(m, VASD_OUTCOME_COMPLETED);
	else if (k->phase == VAS_MIGRATION_PHASE_ABORTED)
		kernel_ended(m, VASD_OUTCOME_ABORTED);
	return 0;
}

static void on_window(struct migration_machine *m, const struct vasd_event *ev)
{
	struct migration *g = &m->mig;
	struct vasd_event *a;

	if (!m->open)
		return;
	if (g->report && migration_report_event(g->report, ev) < 0)
		m->error = -ENOMEM;

	/*
	 * Between suspended and resumed the kernel lists no new window; the
	 * resumes come before resumed, so only an add tells.
	 */
	if ((ev->kind != VASD_EVENT_WINDOW_ADD &&
	     ev->kind != VASD_EVENT_RESYNC_WINDOW_ADD) ||
	    ev->window.state != VAS_WIN_STATE_ACTIVE || !g->attached ||
	    g->kernel.phase != VAS_MIGRATION_PHASE_SUSPENDED ||
	    g->n_anomalies >= MIGRATION_ANOMALIES_MAX)
		return;
	a = record(m, VASD_EVENT_MIGRATION_ANOMALY);
	a->coord.what = VASD_ANOMALY_OPENED_WHILE_SUSPENDED;
	a->coord.total = ++g->n_anomalies;
	a->window = ev->window;
	a->migration = g->kernel;
}

static int on_event(struct migration_machine *m, const struct vasd_event *ev,
		    const struct vasd_state *state)
{
	switch (ev->kind) {
	case VASD_EVENT_MIGRATION_CHANGE:
	case VASD_EVENT_RESYNC_MIGRATION:
		return on_kernel(m, &ev->migration, state, false);
	case VASD_EVENT_WINDOW_ADD:
	case VASD_EVENT_WINDOW_DEL:
	case VASD_EVENT_WINDOW_CHANGE:
	case VASD_EVENT_RESYNC_WINDOW_ADD:
	case VASD_EVENT_RESYNC_WINDOW_DEL:
	case VASD_EVENT_RESYNC_WINDOW_CHANGE:
		on_window(m, ev);
		return 0;
	default:
		return 0;
	}
}

static struct lock *lock_find(struct migration_machine *m, uint64_t id)
{
	for (size_t i = 0; i < m->n_locks; i++)
		if (m->locks[i].id == id)
			return &m->locks[i];
	return NULL;
}

static int on_lock_taken(struct migration_machine *m,
			 const struct migration_input *in)
{
	struct vasd_event *ev;
	struct lock *l;

	if (in->lock.mode < 0 || in->lock.mode >= _VASD_LOCK_MODE_MAX || !in->lock.id)
		return -EINVAL;
	if (lock_find(m, in->lock.id))
		return -EEXIST;
	l = array_grow(m->locks, &m->n_locks_alloc, m->n_locks, sizeof(*l));
	if (!l)
		return -ENOMEM;
	m->locks = l;

	l = &m->locks[m->n_locks];
	*l = (struct lock) {
		.id = in->lock.id,
		.mode = in->lock.mode,
		.pid = in->lock.pid,
		.uid = in->lock.uid,
		.who = strdup(in->lock.who ? in->lock.who : ""),
		.why = strdup(in->lock.why ? in->lock.why : ""),
		.user = strdup(in->lock.user ? in->lock.user : ""),
	};
	memcpy(l->comm, in->lock.comm, sizeof(l->comm));
	l->comm[sizeof(l->comm) - 1] = 0;
	if (!l->who || !l->why || !l->user) {
		free(l->who);
		free(l->why);
		free(l->user);
		return -ENOMEM;
	}
	m->n_locks++;

	ev = record(m, VASD_EVENT_INHIBITOR_TAKE);
	ev->coord.migration = 0;
	ev->coord.what = l->mode;
	record_lock(ev, l);
	return 0;
}

static int on_lock_released(struct migration_machine *m, uint64_t id)
{
	struct migration *g = &m->mig;
	struct lock *l = lock_find(m, id);
	struct vasd_event *ev;
	bool counts;

	if (!l)
		return -ENOENT;

	ev = record(m, VASD_EVENT_INHIBITOR_RELEASE);
	ev->coord.what = l->mode;
	record_lock(ev, l);
	if (l->asked) {
		ev->coord.since = l->asked_at;
	} else {
		ev->coord.migration = 0;
	}
	counts = l->asked && !l->timed_out && g->state == MIGRATION_QUIESCING;

	free(l->who);
	free(l->why);
	free(l->user);
	memmove(l, l + 1, (size_t)(m->locks + m->n_locks - (l + 1)) * sizeof(*l));
	m->n_locks--;

	if (counts && ++g->n_released == g->n_asked)
		finish_quiesce(m, VASD_QUIESCE_RELEASED);
	return 0;
}

static void on_timer(struct migration_machine *m)
{
	struct migration *g = &m->mig;

	if (!m->open)
		return;
	if (g->state == MIGRATION_QUIESCING && m->now >= g->quiesce_deadline) {
		/* released locks are gone: the asked ones left did not */
		for (size_t i = 0; i < m->n_locks; i++) {
			struct lock *l = &m->locks[i];
			struct vasd_event *ev;

			if (!l->asked)
				continue;
			l->timed_out = true;
			ev = record(m, VASD_EVENT_MIGRATION_TIMEOUT);
			record_lock(ev, l);
			ev->coord.since = l->asked_at;
		}
		finish_quiesce(m, VASD_QUIESCE_TIMEOUT);
	}
	if (g->state == MIGRATION_CHECKED && m->now >= g->check_deadline) {
		close_migration(m, VASD_OUTCOME_EXPIRED, false);
	} else if (g->post_call && m->now >= g->post_settle_deadline) {
		/* the kernel said nothing more: out of order, closed all the same */
		record_error(m, VASD_COORD_ERROR_OUT_OF_ORDER, &g->kernel);
		finish_post(m, g->post_call);
	} else if (g->post_deadline && m->now >= g->post_deadline) {
		close_migration(m, kernel_outcome(m), false);
	}
}

static int on_ledger(struct migration_machine *m, bool healthy,
		     const char *reason)
{
	char *copy = NULL;

	if (!healthy && reason) {
		copy = strdup(reason);
		if (!copy)
			return -ENOMEM;
	}
	free(m->ledger_reason);
	m->ledger_reason = copy;
	m->ledger_ok = healthy;
	return 0;
}

static void on_ack_refused(struct migration_machine *m, uint64_t token,
			   int error)
{
	struct vasd_event *ev = record(m, VASD_EVENT_MIGRATION_ERROR);

	ev->coord.what = VASD_COORD_ERROR_ACK_REFUSED;
	ev->coord.count = (uint32_t)(error < 0 ? -error : error);
	if (m->open && m->mig.attached)
		ev->migration = m->mig.kernel;
	ev->migration.token = token;
}

/* The earliest deadline of the open migration; 0 for none. */
static uint64_t next_deadline(const struct migration_machine *m)
{
	const struct migration *g = &m->mig;
	uint64_t d = 0;

	if (!m->open)
		return 0;
	if (g->state == MIGRATION_CHECKED)
		d = g->check_deadline;
	else if (g->state == MIGRATION_QUIESCING)
		d = g->quiesce_deadline;
	if (g->post_deadline && (!d || g->post_deadline < d))
		d = g->post_deadline;
	if (g->post_call && (!d || g->post_settle_deadline < d))
		d = g->post_settle_deadline;
	return d;
}

static void begin(struct migration_machine *m, uint64_t now, uint64_t realtime)
{
	for (size_t i = 0; i < m->n_strings; i++)
		free(m->strings[i]);
	m->n_strings = 0;
	m->n_effects = 0;
	m->error = 0;
	m->told = false;
	m->now = now;
	m->realtime = realtime;
	m->fed = true;
}

static int end(struct migration_machine *m, int r,
	       const struct migration_effect **ret_effects, size_t *ret_n)
{
	uint64_t d;

	if (r >= 0) {
		d = next_deadline(m);
		if (d != m->armed) {
			push(m, MIGRATION_EFFECT_TIMER)->deadline = d;
			m->armed = d;
		}
	} else {
		m->n_effects = 0;
	}
	if (m->error)
		r = m->error;
	*ret_effects = m->effects;
	*ret_n = m->n_effects;
	return r;
}

int migration_machine_feed(struct migration_machine *m,
			   const struct migration_input *in,
			   const struct migration_effect **ret_effects,
			   size_t *ret_n)
{
	int r;

	begin(m, in->now, in->realtime);
	switch (in->type) {
	case MIGRATION_INPUT_HOOK:
		r = on_hook(m, in);
		break;
	case MIGRATION_INPUT_EVENT:
		r = on_event(m, in->event.event, in->event.state);
		break;
	case MIGRATION_INPUT_ACK_REFUSED:
		on_ack_refused(m, in->ack.token, in->ack.error);
		r = 0;
		break;
	case MIGRATION_INPUT_LOCK_TAKEN:
		r = on_lock_taken(m, in);
		break;
	case MIGRATION_INPUT_LOCK_RELEASED:
		r = on_lock_released(m, in->release.id);
		break;
	case MIGRATION_INPUT_TIMER:
		on_timer(m);
		r = 0;
		break;
	case MIGRATION_INPUT_LEDGER:
		r = on_ledger(m, in->ledger.healthy, in->ledger.reason);
		break;
	default:
		r = -EINVAL;
		break;
	}
	return end(m, r, ret_effects, ret_n);
}

/* What the ledger says of the last migration opened. */
struct recorded {
	bool open;
	uint64_t id;
	bool hook;
	bool started, quiesced;
	uint64_t since;
	uint32_t asked, released;
	bool attached;
	struct vas_migration kernel;
	uint64_t acked_token;
	uint64_t closed_token;		/* the kernel's, of the last one closed */
	struct migration_report *report;
};

static bool recorded_is(const struct recorded *r, const struct vasd_event *ev)
{
	return r->open && ev->coord.migration == r->id;
}

static int recorded_event(struct migration_machine *m, struct recorded *r,
			  const struct vasd_event *ev)
{
	if (vasd_event_kind_is_coord(ev->kind) && ev->coord.migration > m->last_id)
		m->last_id = ev->coord.migration;

	switch (ev->kind) {
	case VASD_EVENT_MIGRATION_OPEN:
		migration_report_free(r->report);
		*r = (struct recorded) {
			.closed_token = r->closed_token,
			.open = true,
			.id = ev->coord.migration,
			.hook = ev->coord.what != VASD_ORIGIN_KERNEL,
			.attached = ev->coord.what == VASD_ORIGIN_KERNEL,
			.kernel = ev->migration,
		};
		m->last_vetoed = 0;
		return migration_report_new(&r->report);
	case VASD_EVENT_MIGRATION_HOOK:
		if (recorded_is(r, ev))
			r->hook = true;
		return 0;
	case VASD_EVENT_MIGRATION_ASKED:
		if (recorded_is(r, ev) && !r->asked++) {
			r->started = true;
			r->since = ev->timestamp;
		}
		return 0;
	case VASD_EVENT_INHIBITOR_RELEASE:
		if (recorded_is(r, ev))
			r->released++;
		return 0;
	case VASD_EVENT_MIGRATION_QUIESCED:
		if (recorded_is(r, ev))
			r->started = r->quiesced = true;
		return 0;
	case VASD_EVENT_MIGRATION_ACK:
		if (recorded_is(r, ev)) {
			r->attached = true;
			r->kernel = ev->migration;
			r->acked_token = ev->migration.token;
		}
		return 0;
	case VASD_EVENT_MIGRATION_CLOSE:
		if (recorded_is(r, ev)) {
			r->open = false;
			r->closed_token = ev->migration.token;
			m->last_vetoed = ev->coord.what == VASD_OUTCOME_VETOED ?
					 r->id : 0;
		}
		return 0;
	case VASD_EVENT_MIGRATION_CHANGE:
	case VASD_EVENT_RESYNC_MIGRATION:
		if (r->open && ev->migration.phase != VAS_MIGRATION_PHASE_NONE) {
			r->attached = true;
			r->kernel = ev->migration;
		}
		return 0;
	default:
		if (r->open && r->report)
			return migration_report_event(r->report, ev);
		return 0;
	}
}

/* The kernel's dump, against what the ledger says: what changed since. */
static bool kernel_moved(const struct migration *g, const struct vas_migration *k)
{
	if (!g->attached)
		return k->phase >= VAS_MIGRATION_PHASE_PREPARE &&
		       k->phase <= VAS_MIGRATION_PHASE_RESUMED;
	return k->token != g->kernel.token || k->phase != g->kernel.phase;
}

int migration_machine_restore(struct migration_machine *m,
			      const struct vasd_event *events, size_t n,
			      const struct vas_migration *kernel,
			      uint64_t now, uint64_t realtime,
			      const struct migration_effect **ret_effects,
			      size_t *ret_n)
{
	struct recorded r = { 0 };
	struct migration *g = &m->mig;
	int ret = 0;

	if (m->fed)
		return -EBUSY;
	if (kernel && kernel->phase > VAS_MIGRATION_PHASE_ABORTED)
		return -EINVAL;
	begin(m, now, realtime);

	for (size_t i = 0; i < n && ret >= 0; i++)
		ret = recorded_event(m, &r, &events[i]);
	if (ret < 0 || !r.open) {
		migration_report_free(r.report);
		/* one the kernel began while no vasd was there to see it */
		if (ret >= 0 && kernel && kernel->token != r.closed_token &&
		    kernel->phase >= VAS_MIGRATION_PHASE_PREPARE &&
		    kernel->phase <= VAS_MIGRATION_PHASE_RESUMED)
			ret = on_kernel(m, kernel, NULL, true);
		return end(m, ret, ret_effects, ret_n);
	}

	*g = (struct migration) {
		.id = r.id,
		.state = MIGRATION_CHECKED,
		.hook = r.hook,
		.signalled = r.started,
		.check_deadline = now + m->config.check_expiry,
		.quiesce_since = r.since,
		.n_asked = r.asked,
		.n_released = r.released,
		.attached = r.attached,
		.kernel = r.kernel,
		.acked_token = r.acked_token,
		.report = r.report,
	};
	snprintf(g->name, sizeof(g->name), "%llu", (unsigned long long)g->id);
	m->open = true;
	if (r.quiesced)
		g->state = MIGRATION_QUIESCED;
	else if (r.started)
		finish_quiesce(m, VASD_QUIESCE_RESTART);

	if (!kernel) {
		/* without a kernel part, nothing will end a kernel-driven one */
		if (!g->hook)
			close_migration(m, VASD_OUTCOME_UNKNOWN, false);
	} else if (kernel_moved(g, kernel)) {
		ret = on_kernel(m, kernel, NULL, true);
	}
	/* clients that come back must learn it is still on */
	if (m->open && g->signalled && !m->told)
		signal_clients(m, true);
	return end(m, ret, ret_effects, ret_n);
}

int migration_machine_new(const struct migration_config *config,
			  struct migration_machine **ret)
{
	struct migration_machine *m;

	if (!config->delay_max || !config->check_expiry || !config->post_wait)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->config = *config;
	m->ledger_ok = true;
	*ret = m;
	return 0;
}

struct migration_machine *migration_machine_free(struct migration_machine *m)
{
	if (!m)
		return NULL;
	for (size_t i = 0; i < m->n_locks; i++) {
		free(m->locks[i].who);
		free(m->locks[i].why);
		free(m->locks[i].user);
	}
	free(m->locks);
	free(m->ledger_reason);
	free(m->mig.calls);
	migration_report_free(m->mig.report);
	for (size_t i = 0; i < m->n_strings; i++)
		free(m->strings[i]);
	free(m->strings);
	free(m->effects);
	free(m);
	return NULL;
}

enum migration_state migration_machine_state(const struct migration_machine *m)
{
	return m->open ? m->mig.state : MIGRATION_IDLE;
}

uint64_t migration_machine_id(const struct migration_machine *m)
{
	return m->open ? m->mig.id : 0;
}

const char *migration_machine_name(const struct migration_machine *m)
{
	return m->open ? m->mig.name : NULL;
}
