// SPDX-License-Identifier: GPL-2.0-only
/*
 * coordinator: the migration coordinator's I/O edge. See coordinator.h.
 *
 * An input is fed to the machine and its effects are taken in order:
 * records are appended to the ledger at once, the timer is armed at once
 * (arming reports nothing), and the rest (signals, acks, replies) waits in
 * a queue until the records before it are committed. The kernel's events
 * are fed inside ingest's transaction, with the projection as each left
 * it (an anomaly at the kernel's suspended is judged against the windows
 * of that moment, not of the end of the batch), and their queue is
 * carried out when ingest commits the batch; the other inputs commit
 * themselves, the releases of locks together at the end of the loop turn.
 * A refused ack is fed back on the next loop turn, not from within the
 * COMMIT that carried it out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <libmnl/libmnl.h>

#include "core/state.h"
#include "ledger/ledger.h"
#include "util/alloc.h"
#include "util/time-util.h"
#include "coordinator.h"
#include "ingest.h"
#include "kernel-source.h"
#include "log.h"
#include "message-ids.h"

/* A SIGNAL, ACK or REPLY effect, kept until its records are committed. */
struct action {
	enum migration_effect_type type;
	bool active;				/* SIGNAL */
	char name[MIGRATION_NAME_MAX];		/* SIGNAL; REPLY: the migration */
	uint64_t token;				/* ACK */
	uint64_t call;				/* REPLY */
	enum migration_reply result;
	char *message;
};

struct refusal {
	uint64_t token;
	int error;
};

struct coordinator {
	struct event_base *base;
	struct ingest *ingest;
	struct migration_machine *machine;
	const struct coordinator_ops *ops;
	void *userdata;

	struct vasd_event *history;	/* since the last migration-open, for the restore */
	size_t n_history, n_history_alloc;
	bool started;
	int exit_error;

	struct event *timer;
	uint64_t deadline;		/* CLOCK_MONOTONIC ns; 0: disarmed */
	struct event *later;		/* feeds the refused acks */
	struct event *release_commit;	/* commits the releases of the turn */
	struct refusal *refusals;
	size_t n_refusals, n_refusals_alloc;

	struct action *actions;
	size_t n_actions, n_actions_alloc;
	bool recorded;			/* the input being run appended records */

	/* the hook being fed: its reply names its migration; post warns */
	bool hooking;
	uint64_t hook_call;
	uint32_t hook_phase;

	uint32_t anomalies;		/* of the open migration, else the last */

	/* the locks' holders, by lock id: who is coordinated (observe) */
	struct lock_holder {
		uint64_t id;
		uint32_t pid;
	} *locks;
	size_t n_locks, n_locks_alloc;
};

static int fail(struct coordinator *c, int error)
{
	log_error_errno(error, "The migration coordinator failed: %s; exiting (the restart restores the migration from the ledger)",
			strerror(-error));
	if (!c->exit_error)
		c->exit_error = error;
	event_base_loopbreak(c->base);
	return error;
}

static void drop_actions(struct coordinator *c)
{
	for (size_t i = 0; i < c->n_actions; i++)
		free(c->actions[i].message);
	c->n_actions = 0;
}

static struct action *queue(struct coordinator *c, enum migration_effect_type type)
{
	struct action *a = array_grow(c->actions, &c->n_actions_alloc, c->n_actions,
				sizeof(*a));

	if (!a)
		return NULL;
	c->actions = a;
	a = &c->actions[c->n_actions++];
	*a = (struct action) { .type = type };
	return a;
}

static void arm(struct coordinator *c, uint64_t deadline)
{
	uint64_t now = now_ns(CLOCK_MONOTONIC), left;
	struct timeval tv;

	c->deadline = deadline;
	if (!deadline) {
		evtimer_del(c->timer);
		return;
	}
	left = deadline > now ? deadline - now : 0;
	tv.tv_sec = (time_t)(left / 1000000000u);
	tv.tv_usec = (suseconds_t)(left % 1000000000u / 1000u);
	evtimer_add(c->timer, &tv);
}

/*
 * The record's line; in the journal with its MESSAGE_ID and fields
 * (docs/daemon.md), after ingest stored it: the position is known then.
 */
static void log_record(const struct vasd_event *ev)
{
	const struct vasd_coord *k = &ev->coord;
	const char *what = vasd_coord_what_to_string(ev->kind, k->what);
	unsigned long long id = (unsigned long long)k->migration;
	const struct log_field f[] = {
		LOG_U64("VASD_MIGRATION", k->migration),
		LOG_U64_SET("VASD_LEDGER_POSITION", ev->position),
		LOG_STRING("VASD_REASON", what),
		LOG_U64_SET("VASD_KERNEL_STREAM", ev->migration.stream_id),
	};
	const struct log_field client[] = {
		f[0], f[1], f[2], f[3],
		LOG_U64_SET("VASD_LOCK", k->lock),
		LOG_U64("VASD_CLIENT_PID", k->pid),
		LOG_U64("VASD_CLIENT_UID", k->uid),
		LOG_STRING("VASD_CLIENT_COMM", k->comm),
	};
	const struct log_field window[] = {
		f[0], f[1], f[2], f[3],
		LOG_U64("VASD_WINDOW", ev->window.id),
		LOG_U64("VASD_CLIENT_PID", ev->window.tgid),
		LOG_STRING("VASD_CLIENT_COMM", ev->window.comm),
	};
	const struct log_field count[] = {
		f[0], f[1], f[2], f[3],
		LOG_U64("VASD_LOCKS_RELEASED", k->count),
		LOG_U64("VASD_LOCKS", k->total),
	};

	switch (ev->kind) {
	case VASD_EVENT_MIGRATION_OPEN:
		log_struct(LOG_INFO, VASD_MESSAGE_MIGRATION_OPENED, f,
			   "Migration %llu opened (%s)", id, what);
		break;
	case VASD_EVENT_MIGRATION_VETO:
		log_struct(LOG_NOTICE, VASD_MESSAGE_MIGRATION_VETOED, f,
			   "Migration %llu vetoed (%s)", id, what);
		break;
	case VASD_EVENT_MIGRATION_TIMEOUT:
		log_struct(LOG_NOTICE, VASD_MESSAGE_MIGRATION_LOCK_TIMEOUT, client,
			   "Migration %llu: the delay lock of %s (pid %u) was not released in time",
			   id, k->comm, k->pid);
		break;
	case VASD_EVENT_MIGRATION_QUIESCED:
		log_struct(LOG_INFO, VASD_MESSAGE_MIGRATION_QUIESCED, count,
			   "Migration %llu: clients quiesced (%s: %u of %u locks released)",
			   id, what, k->count, k->total);
		break;
	case VASD_EVENT_MIGRATION_ANOMALY:
		log_struct(LOG_WARNING, VASD_MESSAGE_MIGRATION_ANOMALY, window,
			   "Migration %llu: window %u of %s (pid %u) is active although the kernel suspended every window (%s)",
			   id, ev->window.id, ev->window.comm, ev->window.tgid, what);
		break;
	case VASD_EVENT_MIGRATION_ERROR:
		log_struct(LOG_WARNING, VASD_MESSAGE_MIGRATION_ERROR, f,
			   "Migration %llu: %s (the kernel's stream %llu, phase %s)",
			   id, what, (unsigned long long)ev->migration.stream_id,
			   vas_migration_phase_to_string(ev->migration.phase));
		break;
	case VASD_EVENT_MIGRATION_CLOSE:
		log_struct(LOG_INFO, VASD_MESSAGE_MIGRATION_CLOSED, f,
			   "Migration %llu closed: %s", id, what);
		break;
	default:
		break;
	}
}

/*
 * The processes of the last picture that hold windows but no lock, as
 * migration-uncoordinated records of @migration, in the open transaction:
 * the migration's report names them.
 */
static int record_uncoordinated(struct coordinator *c, uint64_t migration,
				const struct observe_holder *h, size_t n,
				const uint32_t *pids)
{
	uint64_t now = now_ns(CLOCK_REALTIME);

	for (size_t i = 0; i < n; i++) {
		struct vasd_event ev = {
			.kind = VASD_EVENT_MIGRATION_UNCOORDINATED,
			.timestamp = now,
			.recorded = now,
			.coord = {
				.migration = migration,
				.what = c->hook_phase,
				.pid = h[i].tgid,
				.uid = h[i].uid,
				.count = h[i].windows,
				.total = h[i].mapped,
			},
		};
		int r;

		if (observe_holder_locked(&h[i], pids, c->n_locks))
			continue;
		memcpy(ev.coord.comm, h[i].comm, sizeof(ev.coord.comm));
		r = ingest_record(c->ingest, &ev);
		if (r < 0)
			return r;
		c->recorded = true;
	}
	return 0;
}

/*
 * On a kernel without the family, check and pre name the processes that
 * hold windows but no lock: they will see failed pastes. Reported, not
 * vetoed; recorded for the report when the hook waits for @migration, and
 * logged. *ret_line names them; NULL when nobody, and elsewhere (netlink:
 * the kernel's own windows, with the race's anomalies) where the hook's
 * message stays the machine's.
 */
static int hook_uncoordinated(struct coordinator *c, uint64_t migration,
			      char **ret_line)
{
	struct kernel_source *ks = ingest_kernel_source(c->ingest);
	const struct observe_holder *h;
	_cleanup_(freep) uint32_t *pids = NULL;
	_cleanup_(freep) char *line = NULL;
	size_t n;
	int r;

	*ret_line = NULL;
	if ((c->hook_phase != VASD_HOOK_CHECK && c->hook_phase != VASD_HOOK_PRE) ||
	    !ks || !kernel_source_is_observe(ks))
		return 0;
	h = kernel_source_observe_holders(ks, &n);
	pids = calloc(c->n_locks ? c->n_locks : 1, sizeof(*pids));
	if (!pids)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_locks; i++)
		pids[i] = c->locks[i].pid;
	r = observe_uncoordinated(h, n, pids, c->n_locks, &line);
	if (r < 0 || !line)
		return r;
	if (migration) {
		r = record_uncoordinated(c, migration, h, n, pids);
		if (r < 0)
			return r;
	}
	log_notice("Migration hook %s: %s", c->hook_phase == VASD_HOOK_CHECK ? "check" : "pre", line);
	*ret_line = line;
	line = NULL;
	return 0;
}

/* A check's or pre's answer: the machine's message, then who is uncoordinated. */
static char *hook_message(const char *message, const char *uncoordinated)
{
	char *s;

	if (!uncoordinated)
		return strdup(message);
	if (asprintf(&s, "%s; %s", message, uncoordinated) < 0)
		return NULL;
	return s;
}

/* comm as the machine takes it: at most VAS_COMM_MAX - 1 bytes, NUL-filled */
static void copy_comm(char dst[static VAS_COMM_MAX], const char *comm)
{
	size_t n = strnlen(comm, VAS_COMM_MAX - 1);

	memcpy(dst, comm, n);
	memset(dst + n, 0, VAS_COMM_MAX - n);
}

static void name_of(uint64_t id, char name[static MIGRATION_NAME_MAX])
{
	if (id)
		snprintf(name, MIGRATION_NAME_MAX, "%llu", (unsigned long long)id);
	else
		name[0] = '\0';
}

/* Append the records, arm the timer, queue the rest. */
static int take(struct coordinator *c, const struct migration_effect *effects,
		size_t n)
{
	uint64_t hook_migration = 0, last_migration = 0;
	struct action *a;
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		const struct migration_effect *e = &effects[i];
		struct vasd_event ev;

		switch (e->type) {
		case MIGRATION_EFFECT_RECORD:
			ev = e->record;
			if (ev.kind == VASD_EVENT_MIGRATION_OPEN)
				c->anomalies = 0;
			else if (ev.kind == VASD_EVENT_MIGRATION_ANOMALY)
				c->anomalies++;
			if (ev.kind == VASD_EVENT_MIGRATION_HOOK && c->hooking)
				hook_migration = ev.coord.migration;
			if (ev.coord.migration)
				last_migration = ev.coord.migration;
			r = ingest_record(c->ingest, &ev);
			log_record(&ev);
			if (r < 0)
				return r;
			c->recorded = true;
			continue;
		case MIGRATION_EFFECT_TIMER:
			arm(c, e->deadline);
			continue;
		default:
			break;
		}

		a = queue(c, e->type);
		if (!a)
			return -ENOMEM;
		switch (e->type) {
		case MIGRATION_EFFECT_SIGNAL:
			a->active = e->signal.active;
			memcpy(a->name, e->signal.name, sizeof(a->name));
			break;
		case MIGRATION_EFFECT_ACK:
			a->token = e->token;
			break;
		default:
			a->call = e->reply.call;
			a->result = e->reply.result;
			/* a pre answered later names the migration it waited for */
			if (c->hooking && a->call == c->hook_call) {
				_cleanup_(freep) char *line = NULL;

				name_of(hook_migration, a->name);
				r = hook_uncoordinated(c, hook_migration, &line);
				if (r < 0)
					return r;
				a->message = hook_message(e->reply.message, line);
			} else {
				name_of(last_migration, a->name);
				a->message = strdup(e->reply.message);
			}
			if (!a->message)
				return -ENOMEM;
			break;
		}
	}
	return 0;
}

/* Feed one input and take its effects; the caller commits. */
static int feed(struct coordinator *c, const struct migration_input *in)
{
	const struct migration_effect *effects;
	size_t n;
	int r;

	r = migration_machine_feed(c->machine, in, &effects, &n);
	if (r == -ENOMEM)
		return fail(c, r);
	if (r < 0)
		return r;
	r = take(c, effects, n);
	if (r == -ENOMEM)
		return fail(c, r);
	return r;
}

static void refused(struct coordinator *c, uint64_t token, int error)
{
	struct refusal *f = array_grow(c->refusals, &c->n_refusals_alloc,
				 c->n_refusals, sizeof(*f));

	if (!f) {
		fail(c, -ENOMEM);
		return;
	}
	c->refusals = f;
	c->refusals[c->n_refusals++] = (struct refusal) { token, error };
	event_active(c->later, EV_TIMEOUT, 0);
}

static void ack(struct coordinator *c, uint64_t token)
{
	struct kernel_source *ks = ingest_kernel_source(c->ingest);
	char buf[MNL_NLMSG_HDRLEN + MNL_ATTR_HDRLEN + sizeof(uint64_t)];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	const char *extack = NULL;
	int r = -ENOTCONN;

	mnl_attr_put_u64(nlh, VAS_A_TOKEN, token);
	if (ks)
		r = kernel_source_request(ks, VAS_CMD_COORD_ACK,
					  mnl_nlmsg_get_payload(nlh),
					  mnl_nlmsg_get_payload_len(nlh),
					  NULL, NULL, &extack);
	if (r >= 0) {
		log_info("Acked the kernel's prepare (token %016llx)",
			 (unsigned long long)token);
		return;
	}
	log_warning_errno(r, "The kernel refused the ack of token %016llx: %s%s%s",
			  (unsigned long long)token, strerror(-r),
			  extack ? ": " : "", extack ? extack : "");
	refused(c, token, r);
}

/* Carry out what waited for the COMMIT, in order. */
static void flush(struct coordinator *c)
{
	const struct coordinator_ops *ops = c->ops;

	for (size_t i = 0; i < c->n_actions; i++) {
		struct action *a = &c->actions[i];

		switch (a->type) {
		case MIGRATION_EFFECT_SIGNAL:
			if (ops && ops->signal)
				ops->signal(c, a->active, a->name, c->userdata);
			break;
		case MIGRATION_EFFECT_ACK:
			ack(c, a->token);
			break;
		default:
			if (ops && ops->reply)
				ops->reply(c, a->call, a->result, a->name,
					   a->message, c->userdata);
			break;
		}
	}
	drop_actions(c);
}

/* An input of vasd's own, fed now; what it recorded waits for commit(). */
static int feed_now(struct coordinator *c, struct migration_input *in)
{
	if (!c->started)
		return -EBUSY;
	if (c->exit_error)
		return c->exit_error;
	in->now = now_ns(CLOCK_MONOTONIC);
	in->realtime = now_ns(CLOCK_REALTIME);
	return feed(c, in);
}

/* Commit what was fed and carry out what waited for it. */
static int commit(struct coordinator *c)
{
	int r;

	/* the COMMIT carries the queue out (on_committed()) */
	r = ingest_commit(c->ingest);
	if (r < 0) {
		drop_actions(c);
		return r;
	}
	flush(c);
	return 0;
}

/* An input of vasd's own: fed, committed, carried out. */
static int run(struct coordinator *c, struct migration_input *in)
{
	int r;

	c->recorded = false;
	/* an input refused queued nothing; the releases' queue stays */
	r = feed_now(c, in);
	if (r < 0)
		return r;
	r = commit(c);
	if (r < 0)
		return r;
	/* with records, ingest's COMMIT told the bus already */
	if (!c->recorded && c->ops && c->ops->changed)
		c->ops->changed(c, c->userdata);
	return 0;
}

/*
 * Queued after the fds libevent found ready with the releases: runs once
 * they all were fed. An input run() in between committed them already.
 */
static void on_release_commit(evutil_socket_t fd, short what, void *userdata)
{
	struct coordinator *c = userdata;

	if (!c->exit_error)
		commit(c);
}

static void on_timer(evutil_socket_t fd, short what, void *userdata)
{
	struct coordinator *c = userdata;
	struct migration_input in = { .type = MIGRATION_INPUT_TIMER };

	/* libevent's clock is coarser than ours: it may fire a little early */
	if (now_ns(CLOCK_MONOTONIC) < c->deadline) {
		arm(c, c->deadline);
		return;
	}
	c->deadline = 0;
	run(c, &in);
}

static void on_later(evutil_socket_t fd, short what, void *userdata)
{
	struct coordinator *c = userdata;

	for (size_t i = 0; i < c->n_refusals && !c->exit_error; i++) {
		struct migration_input in = {
			.type = MIGRATION_INPUT_ACK_REFUSED,
			.ack = { c->refusals[i].token, c->refusals[i].error },
		};

		run(c, &in);
	}
	c->n_refusals = 0;
}

static int on_applied(struct ingest *ig, const struct vasd_event *ev,
		      void *userdata)
{
	struct coordinator *c = userdata;
	struct migration_input in = {
		.type = MIGRATION_INPUT_EVENT,
		.event = { ev, ingest_state(ig) },
	};

	/* the first resync's belong to the restore, which comes after */
	if (!c->started)
		return 0;
	switch (ev->kind) {
	case VASD_EVENT_WINDOW_ADD:
	case VASD_EVENT_WINDOW_DEL:
	case VASD_EVENT_WINDOW_CHANGE:
	case VASD_EVENT_MIGRATION_CHANGE:
	case VASD_EVENT_RESYNC_WINDOW_ADD:
	case VASD_EVENT_RESYNC_WINDOW_DEL:
	case VASD_EVENT_RESYNC_WINDOW_CHANGE:
	case VASD_EVENT_RESYNC_MIGRATION:
		break;
	default:
		return 0;
	}
	in.now = now_ns(CLOCK_MONOTONIC);
	in.realtime = now_ns(CLOCK_REALTIME);
	return feed(c, &in);
}

static void on_committed(struct ingest *ig, void *userdata)
{
	flush(userdata);
}

static void on_failed(struct ingest *ig, int error, void *userdata)
{
	struct coordinator *c = userdata;
	struct migration_input in = {
		.type = MIGRATION_INPUT_LEDGER,
		.ledger = { false, strerror(-error) },
	};
	const struct migration_effect *effects;
	size_t n;

	drop_actions(c);
	/* vasd exits; until then a check vetoes */
	if (c->started)
		migration_machine_feed(c->machine, &in, &effects, &n);
}

static void register_coordinator(struct kernel_source *ks)
{
	const char *extack = NULL;
	int r;

	r = kernel_source_request(ks, VAS_CMD_COORD_REGISTER, NULL, 0, NULL,
				  NULL, &extack);
	if (r >= 0)
		log_info("Registered as the kernel part's migration coordinator");
	else if (r == -EBUSY)
		log_warning("Another program is the kernel part's migration coordinator (%s): the kernel will not wait for vasd's acks; vasd still quiesces its clients",
			    extack ? extack : "EBUSY");
	else
		log_warning_errno(r, "Failed to register as the kernel part's migration coordinator: %s%s%s; the kernel will not wait for vasd's acks",
				  strerror(-r), extack ? ": " : "", extack ? extack : "");
}

/*
 * Registered before the dump of a kernel attached later: a prepare that
 * waits for vasd is then in the dump or among the events after it. The
 * kernel of the start is registered with after the restore, which takes
 * a prepare of the first dump as one nobody acks (it did not wait for
 * vasd, which was not registered).
 */
static void on_kernel(struct ingest *ig, struct kernel_source *ks,
		      void *userdata)
{
	struct coordinator *c = userdata;

	/* without: the registration went with the socket; observe has none */
	if (ks && c->started && !kernel_source_is_observe(ks))
		register_coordinator(ks);
}

static const struct ingest_follower follower = {
	.applied = on_applied,
	.committed = on_committed,
	.failed = on_failed,
	.kernel = on_kernel,
};

static int keep_history(const struct vasd_event *ev, void *userdata)
{
	struct coordinator *c = userdata;
	struct vasd_event *h = array_grow(c->history, &c->n_history_alloc,
				    c->n_history, sizeof(*h));

	if (!h)
		return -ENOMEM;
	c->history = h;
	c->history[c->n_history++] = *ev;
	if (ev->kind == VASD_EVENT_MIGRATION_ANOMALY)
		c->anomalies++;
	return 0;
}

/*
 * Without a migration-open in the events, a compaction may have removed
 * them: the restore learns the highest number from a close of it (which,
 * without its open, restores nothing else), and goes on after it.
 */
static int keep_compacted_number(struct coordinator *c, struct ledger *ledger)
{
	struct ledger_checkpoint cp;
	struct vasd_event ev = { .kind = VASD_EVENT_MIGRATION_CLOSE };
	int r;

	r = ledger_get_checkpoint(ledger, &cp);
	if (r == -ENODATA || (r >= 0 && !cp.last_migration))
		return 0;
	if (r < 0)
		return r;
	ev.coord.migration = cp.last_migration;
	return keep_history(&ev, c);
}

int coordinator_new(struct event_base *base, struct ingest *in,
		    struct ledger *ledger, const struct migration_config *config,
		    struct coordinator **ret)
{
	_cleanup_(coordinator_freep) struct coordinator *c = NULL;
	int64_t from;
	int r;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->base = base;
	c->ingest = in;
	r = migration_machine_new(config, &c->machine);
	if (r < 0)
		return r;
	c->timer = evtimer_new(base, on_timer, c);
	c->later = event_new(base, -1, 0, on_later, c);
	c->release_commit = event_new(base, -1, 0, on_release_commit, c);
	if (!c->timer || !c->later || !c->release_commit)
		return -ENOMEM;

	/* the last migration opened is all the restore needs */
	r = ledger_last_migration_open(ledger, &from);
	if (r >= 0)
		r = ledger_foreach_event(ledger, from, keep_history, c);
	else if (r == -ENODATA)
		r = keep_compacted_number(c, ledger);
	if (r < 0)
		return r;

	ingest_set_follower(in, &follower, c);
	*ret = c;
	c = NULL;
	return 0;
}

struct coordinator *coordinator_free(struct coordinator *c)
{
	if (!c)
		return NULL;
	if (c->ingest)
		ingest_set_follower(c->ingest, NULL, NULL);
	drop_actions(c);
	free(c->actions);
	free(c->refusals);
	free(c->locks);
	free(c->history);
	if (c->timer)
		event_free(c->timer);
	if (c->later)
		event_free(c->later);
	if (c->release_commit)
		event_free(c->release_commit);
	migration_machine_free(c->machine);
	free(c);
	return NULL;
}

void coordinator_set_ops(struct coordinator *c,
			 const struct coordinator_ops *ops, void *userdata)
{
	c->ops = ops;
	c->userdata = userdata;
}

int coordinator_start(struct coordinator *c)
{
	static const struct vas_migration none = {
		.phase = VAS_MIGRATION_PHASE_NONE,
	};
	struct kernel_source *ks = ingest_kernel_source(c->ingest);
	const struct vas_migration *kernel = NULL;
	const struct migration_effect *effects;
	size_t n;
	int r;

	/* the kernel's, as the first resync found it */
	if (ks) {
		kernel = vasd_state_migration(ingest_state(c->ingest));
		if (!kernel)
			kernel = &none;
	}
	r = migration_machine_restore(c->machine, c->history, c->n_history,
				      kernel, now_ns(CLOCK_MONOTONIC),
				      now_ns(CLOCK_REALTIME), &effects, &n);
	free(c->history);
	c->history = NULL;
	c->n_history = c->n_history_alloc = 0;
	if (r < 0)
		return log_error_errno(r, "Failed to restore the migration coordinator from the ledger: %s",
				       strerror(-r));
	r = take(c, effects, n);
	if (r >= 0)
		r = ingest_commit(c->ingest);
	if (r < 0) {
		drop_actions(c);
		return log_error_errno(r, "Failed to record the restored migration: %s", strerror(-r));
	}
	flush(c);
	c->started = true;
	if (migration_machine_id(c->machine)) {
		const char *state = migration_state_to_string(migration_machine_state(c->machine));
		const struct log_field f[] = {
			LOG_U64("VASD_MIGRATION", migration_machine_id(c->machine)),
			LOG_STRING("VASD_MIGRATION_STATE", state),
		};

		log_struct(LOG_NOTICE, VASD_MESSAGE_MIGRATION_RESUMED, f,
			   "Migration %s goes on after the restart (%s)",
			   migration_machine_name(c->machine), state);
	}
	/* observe has no kernel part to register with (on_kernel, above) */
	if (ks && !kernel_source_is_observe(ks))
		register_coordinator(ks);
	return 0;
}

int coordinator_hook(struct coordinator *c, uint32_t phase, uint64_t call,
		     uint32_t pid, uint32_t uid, const char *comm)
{
	struct migration_input in = {
		.type = MIGRATION_INPUT_HOOK,
		.hook = { .phase = phase, .call = call, .pid = pid, .uid = uid },
	};
	int r;

	copy_comm(in.hook.comm, comm);
	c->hooking = true;
	c->hook_call = call;
	c->hook_phase = phase;
	r = run(c, &in);
	c->hooking = false;
	return r;
}

int coordinator_lock_taken(struct coordinator *c, uint64_t id,
			   enum vasd_lock_mode mode,
			   uint32_t pid, uint32_t uid, const char *user,
			   const char *comm, const char *who, const char *why)
{
	struct migration_input in = {
		.type = MIGRATION_INPUT_LOCK_TAKEN,
		.lock = {
			.id = id,
			.mode = mode,
			.pid = pid,
			.uid = uid,
			.who = who,
			.why = why,
			.user = user,
		},
	};

	struct lock_holder *l;
	int r;

	copy_comm(in.lock.comm, comm);
	r = run(c, &in);
	if (r < 0)
		return r;
	l = array_grow(c->locks, &c->n_locks_alloc, c->n_locks, sizeof(*l));
	if (!l)
		return -ENOMEM;
	c->locks = l;
	c->locks[c->n_locks++] = (struct lock_holder) { .id = id, .pid = pid };
	return 0;
}

int coordinator_lock_released(struct coordinator *c, uint64_t id)
{
	struct migration_input in = {
		.type = MIGRATION_INPUT_LOCK_RELEASED,
		.release = { id },
	};
	int r;

	for (size_t i = 0; i < c->n_locks; i++)
		if (c->locks[i].id == id) {
			c->locks[i] = c->locks[--c->n_locks];
			break;
		}
	r = feed_now(c, &in);
	if (r < 0)
		return r;
	event_active(c->release_commit, EV_TIMEOUT, 0);
	return 0;
}

enum migration_state coordinator_state(const struct coordinator *c)
{
	return migration_machine_state(c->machine);
}

const char *coordinator_name(const struct coordinator *c)
{
	const char *name = migration_machine_name(c->machine);

	return name ? name : "";
}

uint32_t coordinator_anomalies(const struct coordinator *c)
{
	return c->anomalies;
}

int coordinator_exit_error(const struct coordinator *c)
{
	return c->exit_error;
}
