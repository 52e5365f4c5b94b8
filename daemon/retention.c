// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "ledger/ledger.h"
#include "util/human.h"
#include "util/time-util.h"
#include "log.h"
#include "message-ids.h"
#include "retention.h"

#define RETENTION_DELAY_USEC 1000000

struct retention {
	struct event_base *base;
	struct ledger *ledger;
	struct retention_limits limits;
	struct event *timer;
	retention_moved_fn moved;
	void *userdata;
	bool compacting;		/* steps under way toward keep_from */
	int64_t keep_from, removed;
	bool warned;			/* the archive alone over max_use */
	int exit_error;
};

static void schedule(struct retention *r, uint64_t usec)
{
	struct timeval tv = {
		.tv_sec = (time_t)(usec / 1000000),
		.tv_usec = (suseconds_t)(usec % 1000000),
	};

	evtimer_add(r->timer, &tv);
}

static int look(struct retention *r, int64_t *ret_keep, int64_t *ret_first,
		int64_t *ret_used)
{
	struct retention_view v = { 0 };
	int e;

	e = ledger_used_bytes(r->ledger, &v.used_bytes);
	if (e < 0)
		return e;
	v.first = ledger_first_position(r->ledger);
	v.last = ledger_last_position(r->ledger);
	v.young_from = v.last + 1;
	if (r->limits.max_age) {
		uint64_t now = now_ns(CLOCK_REALTIME);

		e = ledger_first_position_since(r->ledger,
						now > r->limits.max_age ?
						now - r->limits.max_age : 0,
						&v.young_from);
		if (e < 0 && e != -ENODATA)
			return e;
	}
	e = ledger_open_migration(r->ledger, &v.open_migration);
	if (e < 0 && e != -ENODATA)
		return e;
	*ret_keep = retention_keep_from(&r->limits, &v);
	*ret_first = v.first;
	*ret_used = v.used_bytes;
	return 0;
}

static void finish_round(struct retention *r)
{
	char max[HUMAN_BYTES_MAX], used[HUMAN_BYTES_MAX];
	int64_t u = 0;

	r->compacting = false;
	if (!r->removed)
		return;
	(void)ledger_used_bytes(r->ledger, &u);
	{
		const struct log_field f[] = {
			LOG_U64("VASD_LEDGER_POSITION", r->keep_from),
			LOG_U64("VASD_EVENTS", r->removed),
		};

		/* once warned that the bound cannot be met, a round is routine */
		log_struct(r->warned ? LOG_INFO : LOG_NOTICE, VASD_MESSAGE_LEDGER_COMPACTED, f,
			   "Retention: %lld events before position %lld replaced by a checkpoint, a migration's records archived; the ledger uses %s (--ledger-max-use %s)",
			   (long long)r->removed, (long long)r->keep_from,
			   human_bytes(used, u),
			   r->limits.max_use ? human_bytes(max, r->limits.max_use) : "unbounded");
	}
	r->removed = 0;
	if (r->limits.max_use && u > r->limits.max_use && !r->warned) {
		r->warned = true;
		log_warning("Retention: the ledger still uses %s, over --ledger-max-use %s: what is left is the projection, the newest event and the migrations' records, which are never dropped",
			    human_bytes(used, u), human_bytes(max, r->limits.max_use));
	}
	/* the estimate may fall short: look again (it stops when nothing moves) */
	schedule(r, 0);
}

static void on_timer(evutil_socket_t fd, short what, void *userdata)
{
	struct retention *r = userdata;
	int64_t first, removed, used;
	int e;

	if (ledger_in_transaction(r->ledger)) {
		/* never across ingest's turns; but be safe */
		schedule(r, RETENTION_DELAY_USEC);
		return;
	}
	if (!r->compacting) {
		e = look(r, &r->keep_from, &first, &used);
		if (e < 0) {
			log_warning_errno(e, "Retention: cannot read the ledger's size: %s; trying again at the next commit",
					  strerror(-e));
			return;
		}
		if (r->keep_from <= first)
			return;
		r->compacting = true;
	}
	e = ledger_compact(r->ledger, r->keep_from, LEDGER_COMPACT_STEP,
			   now_ns(CLOCK_REALTIME), &first, &removed);
	if (e < 0) {
		r->compacting = false;
		if (e == -EIO) {
			const struct log_field f[] = {
				LOG_U64("VASD_LEDGER_POSITION", r->keep_from),
			};

			log_struct_errno(LOG_ERR, e, VASD_MESSAGE_LEDGER_WRITE_FAILED, f,
					 "Retention: failed to compact the ledger: %s; exiting",
					 strerror(-e));
			r->exit_error = e;
			event_base_loopbreak(r->base);
			return;
		}
		log_warning_errno(e, "Retention: cannot compact the ledger: %s; the last step was rolled back, trying again at the next commit",
				  e == -EUCLEAN ? "its events do not replay (vasctl ledger verify says where)" : strerror(-e));
		return;
	}
	r->removed += removed;
	if (r->moved)
		r->moved(first, r->userdata);
	if (e > 0) {
		schedule(r, 0);
		return;
	}
	finish_round(r);
}

void retention_committed(struct retention *r)
{
	if (!r || (!r->limits.max_use && !r->limits.max_age))
		return;
	if (r->compacting || evtimer_pending(r->timer, NULL))
		return;
	schedule(r, RETENTION_DELAY_USEC);
}

int retention_new(struct event_base *base, struct ledger *ledger,
		  const struct retention_limits *limits,
		  retention_moved_fn moved, void *userdata,
		  struct retention **ret)
{
	struct retention *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->base = base;
	r->ledger = ledger;
	r->limits = *limits;
	r->moved = moved;
	r->userdata = userdata;
	r->timer = evtimer_new(base, on_timer, r);
	if (!r->timer) {
		free(r);
		return -ENOMEM;
	}
	*ret = r;
	return 0;
}

struct retention *retention_free(struct retention *r)
{
	if (!r)
		return NULL;
	event_free(r->timer);
	free(r);
	return NULL;
}

int retention_exit_error(const struct retention *r)
{
	return r ? r->exit_error : 0;
}
