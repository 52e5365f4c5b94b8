// SPDX-License-Identifier: GPL-2.0-only
/*
 * CompactLedger: ledger maintenance, which is root's (DESIGN.md §5). The
 * policy lets only root send it, and vasd asks the bus who called before
 * it touches the ledger.
 *
 * A compaction runs on the loop in steps of LEDGER_COMPACT_STEP positions,
 * each a transaction and a complete compaction of its own, between two of
 * ingest's (group commit never leaves one open across turns): the kernel's
 * events, the other callers and the watchdog get their turns between
 * steps, and the history's start moves forward step by step
 * (FirstPosition). The reply comes after the last step.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "bus/internal.h"
#include "ledger/ledger.h"
#include "util/list.h"
#include "util/time-util.h"
#include "log.h"
#include "message-ids.h"

struct bus_compaction {
	LIST_FIELDS(struct bus_compaction, compactions);
	struct vasd_bus *bus;
	sd_bus_message *call;
	struct event *step;
	int64_t keep_from;
	int64_t removed;		/* by the steps so far */
	uid_t uid;
	pid_t pid;
};

static void compaction_free(struct bus_compaction *c)
{
	struct vasd_bus *b = c->bus;

	LIST_REMOVE(compactions, b->compactions, c);
	if (c->step)
		event_free(c->step);
	sd_bus_message_unref(c->call);
	free(c);
}

static void schedule_step(struct bus_compaction *c)
{
	static const struct timeval now = { 0, 0 };

	evtimer_add(c->step, &now);
}

static void fail_step(struct bus_compaction *c, int error)
{
	struct vasd_bus *b = c->bus;

	if (error == -EIO) {
		/* as at any COMMIT (DESIGN.md §4): never retried */
		log_error_errno(error, "Failed to compact the ledger: %s; exiting", strerror(-error));
		bus_fail(b, error);
	}
	sd_bus_reply_method_errorf(c->call, VASD_ERROR_LEDGER,
				   "Cannot compact the ledger: %s; the last step was rolled back, the history starts at %lld (%lld events removed)",
				   error == -EUCLEAN ?
				   "its events do not replay (vasctl ledger verify says where)" :
				   strerror(-error),
				   (long long)b->first_position, (long long)c->removed);
}

static void on_step(evutil_socket_t fd, short what, void *userdata)
{
	struct bus_compaction *c = userdata;
	struct vasd_bus *b = c->bus;
	int64_t first, removed;
	int r;

	r = ledger_compact(b->ledger, c->keep_from, LEDGER_COMPACT_STEP,
			   now_ns(CLOCK_REALTIME), &first, &removed);
	if (r < 0) {
		fail_step(c, r);
		compaction_free(c);
		bus_sent(b);
		return;
	}
	c->removed += removed;
	b->first_position = first;
	bus_manager_announce(b);
	if (r > 0) {
		schedule_step(c);
		bus_sent(b);
		return;
	}
	if (c->removed) {
		const struct log_field f[] = {
			LOG_U64("VASD_LEDGER_POSITION", first),
			LOG_U64("VASD_EVENTS", c->removed),
			LOG_U64("VASD_CLIENT_UID", c->uid),
			LOG_U64("VASD_CLIENT_PID", c->pid),
		};

		log_struct(LOG_NOTICE, VASD_MESSAGE_LEDGER_COMPACTED, f,
			   "Compacted the ledger: %lld events before position %lld replaced by a checkpoint (by uid %u, pid %d)",
			   (long long)c->removed, (long long)first,
			   (unsigned int)c->uid, (int)c->pid);
	}
	r = sd_bus_reply_method_return(c->call, "xt", first, (uint64_t)c->removed);
	if (r < 0)
		log_warning_errno(r, "Failed to answer CompactLedger: %s", strerror(-r));
	compaction_free(c);
	bus_sent(b);
}

void vasd_bus_history_moved(struct vasd_bus *b, int64_t first)
{
	if (!b || first <= b->first_position)
		return;
	b->first_position = first;
	bus_manager_announce(b);
}

static int read_keep_from(sd_bus_message *m, int64_t *ret, sd_bus_error *error)
{
	int r;

	r = sd_bus_message_read(m, "x", ret);
	if (r < 0)
		return r;
	if (*ret < 0)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "A ledger position is 0 or more, not %lld",
					 (long long)*ret);
	return 0;
}

static int compact_as(struct vasd_bus *b, sd_bus_message *m,
		      const struct bus_caller *caller, sd_bus_error *error)
{
	struct bus_compaction *c;
	int64_t keep_from;
	int r;
	uid_t uid = caller->uid;
	pid_t pid = caller->pid;

	r = sd_bus_message_rewind(m, true);
	if (r >= 0)
		r = read_keep_from(m, &keep_from, error);
	if (r < 0)
		return r;
	if (uid != 0)
		return sd_bus_error_setf(error, VASD_ERROR_ACCESS_DENIED,
					 "Only root may compact the ledger (the caller is uid %u)",
					 (unsigned int)uid);

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->bus = b;
	c->call = sd_bus_message_ref(m);
	c->keep_from = keep_from;
	c->uid = uid;
	c->pid = pid;
	LIST_PREPEND(compactions, b->compactions, c);
	c->step = evtimer_new(b->base, on_step, c);
	if (!c->step) {
		compaction_free(c);
		return -ENOMEM;
	}
	schedule_step(c);
	return 0;
}

int bus_method_compact_ledger(sd_bus_message *m, void *userdata,
			      sd_bus_error *error)
{
	int64_t keep_from;
	int r;

	/* refuse bad arguments before asking the bus who called */
	r = read_keep_from(m, &keep_from, error);
	if (r < 0)
		return r;
	return bus_query_sender(userdata, m, compact_as);
}

void bus_compactions_free(struct vasd_bus *b)
{
	while (b->compactions) {
		struct bus_compaction *c = b->compactions;

		sd_bus_reply_method_errorf(c->call, VASD_ERROR_LEDGER,
					   "vasd stopped before the compaction was done: the history starts at %lld (%lld events removed)",
					   (long long)b->first_position, (long long)c->removed);
		compaction_free(c);
	}
}
