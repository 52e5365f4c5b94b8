// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <libmnl/libmnl.h>

#include "core/event.h"
#include "core/state.h"
#include "ledger/ledger.h"
#include "netlink/vas-msg.h"
#include "netlink/vas-nl.h"
#include "util/time-util.h"
#include "family-watch.h"
#include "ingest.h"
#include "kernel-source.h"
#include "log.h"
#include "message-ids.h"
#include "snapshot.h"

/* Latencies kept for the percentiles: the most recent ones. */
#define LATENCY_RING	65536
#define SNAPSHOT_TRIES	50
#define RETRY_USEC	(1000 * 1000)

struct ingest {
	struct event_base *base;
	struct ledger *ledger;
	struct ingest_config config;
	char *kernel;

	struct kernel_source *ks;
	struct event *read_ev;
	unsigned int tick_ms;		/* the caller's tick, observe's interval rides on it */
	struct family_watch *watch;	/* "auto": the family coming and going */
	struct event *watch_ev;
	struct event *retry_ev;
	bool retry_logged;
	bool resync_pending;
	int pending_reason;

	struct vasd_state *state;
	ingest_commit_fn commit_fn;
	void *commit_userdata;
	const struct ingest_observer *observer;
	void *observer_userdata;
	const struct ingest_follower *follower;
	void *follower_userdata;
	struct ingest_window_event *windows;	/* of the open transaction, for the observer */
	size_t n_windows, n_windows_allocated;
	bool first_sync_done;
	int exit_error;

	struct ingest_stats stats;
	unsigned int n_batch;		/* events in the open transaction */
	unsigned int n_batch_ts;
	uint64_t *batch_ts;		/* kernel timestamps of the open batch */
	uint32_t *latency;		/* ring of microseconds */
	uint64_t n_latency;

	uint8_t buf[VAS_NL_BUFFER_SIZE];
};

static void fail(struct ingest *in, int error)
{
	if (!in->exit_error)
		in->exit_error = error;
	event_base_loopbreak(in->base);
}

/* The open transaction is gone: what it held is told to nobody. */
static void rolled_back(struct ingest *in, int error)
{
	in->n_windows = 0;
	in->n_batch = in->n_batch_ts = 0;
	if (in->follower && in->follower->failed)
		in->follower->failed(in, error, in->follower_userdata);
	fail(in, error);
}

static int commit(struct ingest *in)
{
	uint64_t now;
	int r;

	if (!ledger_in_transaction(in->ledger))
		return 0;
	r = ledger_commit(in->ledger);
	if (r < 0) {
		const struct log_field f[] = {
			LOG_U64("VASD_EVENTS", in->n_batch),
		};

		log_struct_errno(LOG_ERR, r, VASD_MESSAGE_LEDGER_WRITE_FAILED, f,
				 "Failed to commit %u events to the ledger: %s; exiting (what was committed before is kept)",
				 in->n_batch, strerror(-r));
		rolled_back(in, r);
		return r;
	}
	now = now_ns(CLOCK_REALTIME);
	for (unsigned int i = 0; i < in->n_batch_ts; i++) {
		uint64_t us = now > in->batch_ts[i] ?
			      (now - in->batch_ts[i]) / 1000 : 0;

		in->latency[in->n_latency++ % LATENCY_RING] =
			us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	}
	in->n_batch = in->n_batch_ts = 0;
	in->stats.transactions++;
	if (in->follower && in->follower->committed)
		in->follower->committed(in, in->follower_userdata);
	if (in->observer && in->observer->committed)
		in->observer->committed(in, in->windows, in->n_windows,
					in->observer_userdata);
	in->n_windows = 0;
	if (in->commit_fn)
		in->commit_fn(in, false, in->commit_userdata);
	return 0;
}

static int observe_window(struct ingest *in, const struct vasd_event *ev,
			  const struct vasd_effect *effect)
{
	struct ingest_window_event *w;

	if (!in->observer || !(effect->what & (VASD_EFFECT_WINDOW_PUT | VASD_EFFECT_WINDOW_DEL)))
		return 0;
	if (in->n_windows == in->n_windows_allocated) {
		size_t n = in->n_windows_allocated ? in->n_windows_allocated * 2 : 64;

		w = reallocarray(in->windows, n, sizeof(*w));
		if (!w)
			return -ENOMEM;
		in->windows = w;
		in->n_windows_allocated = n;
	}
	w = &in->windows[in->n_windows++];
	w->window = effect->window;
	if (effect->what & VASD_EFFECT_WINDOW_DEL)
		w->change = INGEST_WINDOW_REMOVED;
	else if (ev->kind == VASD_EVENT_WINDOW_ADD ||
		 ev->kind == VASD_EVENT_RESYNC_WINDOW_ADD)
		w->change = INGEST_WINDOW_ADDED;
	else
		w->change = INGEST_WINDOW_CHANGED;
	return 0;
}

static int append(struct ingest *in, struct vasd_event *ev,
		  const struct vasd_effect *effect)
{
	int r;

	if (!ledger_in_transaction(in->ledger)) {
		r = ledger_begin(in->ledger);
		if (r < 0) {
			log_error_errno(r, "Failed to begin a ledger transaction: %s", strerror(-r));
			fail(in, r);
			return r;
		}
	}
	r = ledger_append(in->ledger, ev, effect);
	if (r < 0) {
		log_error_errno(r, "Failed to append a %s event to the ledger: %s",
				vasd_event_kind_to_string(ev->kind), strerror(-r));
		rolled_back(in, r);
		return r;
	}
	r = observe_window(in, ev, effect);
	if (r < 0) {
		log_error_errno(r, "Out of memory");
		ledger_rollback(in->ledger);
		rolled_back(in, r);
		return r;
	}
	/* latency is the kernel's events' (resyncs append past the bound) */
	if (vasd_event_kind_is_kernel(ev->kind) &&
	    in->n_batch_ts < in->config.batch_events)
		in->batch_ts[in->n_batch_ts++] = ev->timestamp;
	in->n_batch++;
	in->stats.events++;

	/* the coordinator's own records are not fed back to it */
	if (vasd_event_kind_is_coord(ev->kind) || !in->follower ||
	    !in->follower->applied)
		return 0;
	r = in->follower->applied(in, ev, in->follower_userdata);
	if (r < 0 && !in->exit_error) {
		log_error_errno(r, "The migration coordinator failed on a %s event: %s; exiting",
				vasd_event_kind_to_string(ev->kind), strerror(-r));
		ledger_rollback(in->ledger);
		rolled_back(in, r);
	}
	return r;
}

/* Apply and store one of vasd's own events; they always apply. */
static int record(struct ingest *in, struct vasd_event *ev)
{
	struct vasd_effect effect;
	int r;

	r = vasd_apply(in->state, ev, &effect);
	if (r != VASD_APPLY_APPLIED) {
		log_error("A %s event of vasd's own does not apply (%d): ledger and memory disagree; exiting",
			  vasd_event_kind_to_string(ev->kind), r);
		fail(in, -EUCLEAN);
		return -EUCLEAN;
	}
	return append(in, ev, &effect);
}

static void schedule_retry(struct ingest *in)
{
	const struct timeval tv = { .tv_sec = RETRY_USEC / 1000000 };

	evtimer_add(in->retry_ev, &tv);
}

static void detach(struct ingest *in);

static void notify_attach_changed(struct ingest *in)
{
	if (in->observer && in->observer->attach_changed)
		in->observer->attach_changed(in, in->observer_userdata);
}

static void notify_kernel(struct ingest *in)
{
	if (in->follower && in->follower->kernel)
		in->follower->kernel(in, in->ks, in->follower_userdata);
}

static int take_snapshot(struct ingest *in, struct snapshot *s)
{
	int r = -EAGAIN;

	if (kernel_source_is_observe(in->ks))
		return kernel_source_observe_picture(in->ks, &s->windows,
						     &s->n_allocated, &s->snap);

	for (int i = 0; i < SNAPSHOT_TRIES && r == -EAGAIN; i++) {
		if (i)
			usleep(i < 10 ? 1000 : 10000);
		r = snapshot_take(in->ks, s);
	}
	return r;
}

/* The resync's line; in the journal with the ledger's position it ends at. */
static void log_resynced(struct ingest *in, int reason,
			 const struct vasd_snapshot *snap, size_t changes)
{
	const struct log_field f[] = {
		LOG_STRING("VASD_RESYNC_REASON", vasd_resync_reason_to_string(reason)),
		LOG_U64("VASD_RESYNC_CHANGES", changes),
		LOG_HEX64("VASD_KERNEL_GENERATION", snap->generation),
		LOG_U64("VASD_KERNEL_SEQ", snap->seq),
		LOG_U64("VASD_LEDGER_POSITION", ledger_last_position(in->ledger)),
		LOG_U64("VASD_WINDOWS", vasd_state_n_windows(in->state)),
	};

	if (reason == VASD_RESYNC_OBSERVED) {
		/* a stock kernel's picture: no generation or seq to follow */
		log_struct(changes ? LOG_NOTICE : LOG_INFO, VASD_MESSAGE_RESYNC, f,
			   "Observed: %zu difference%s recorded (%zu windows)",
			   changes, changes == 1 ? "" : "s",
			   vasd_state_n_windows(in->state));
		return;
	}
	log_struct(changes || reason != VASD_RESYNC_START ? LOG_NOTICE : LOG_INFO,
		   VASD_MESSAGE_RESYNC, f,
		   "Resync (%s): %zu difference%s recorded; following generation %016llx from seq %llu (%zu windows)",
		   vasd_resync_reason_to_string(reason), changes,
		   changes == 1 ? "" : "s",
		   (unsigned long long)snap->generation,
		   (unsigned long long)snap->seq,
		   vasd_state_n_windows(in->state));
}

static int resync(struct ingest *in, int reason, uint64_t generation,
		  uint64_t seq, uint64_t lost_from)
{
	_cleanup_(snapshot_done) struct snapshot s = { 0 };
	struct vasd_event begin = {
		.kind = VASD_EVENT_RESYNC_BEGIN,
		.reason = (uint32_t)reason,
		.generation = generation,
		.seq = seq,
		.lost_from = lost_from,
	};
	struct vasd_event *events = NULL;
	size_t n = 0, changes = 0;
	bool quiet;
	uint64_t now;
	int r;

	/* another instance: the last one's coordinator is not its own */
	if (reason == VASD_RESYNC_GENERATION)
		notify_kernel(in);
	r = take_snapshot(in, &s);
	if (r < 0) {
		if (r == -EAGAIN)
			log_warning("Resync (%s): the kernel kept changing during %d dumps; trying again in a second",
				    vasd_resync_reason_to_string(reason), SNAPSHOT_TRIES);
		else
			log_warning_errno(r, "Resync (%s): dump failed: %s; trying again in a second",
					  vasd_resync_reason_to_string(reason), strerror(-r));
		in->resync_pending = true;
		in->pending_reason = reason;
		notify_attach_changed(in);
		if (r != -EAGAIN && r != -EBADMSG) {
			detach(in);
			return 0;
		}
		schedule_retry(in);
		return 0;
	}

	now = now_ns(CLOCK_REALTIME);
	begin.timestamp = begin.recorded = now;
	r = vasd_reconcile(in->state, &s.snap, &begin, now, &events, &n);
	if (r < 0)
		return log_error_errno(r, "Resync: cannot reconcile: %s", strerror(-r));

	/*
	 * A picture that shows what the ledger holds, already at the observed
	 * position (0, 0), is not recorded: pictures come every interval.
	 */
	changes = n >= 2 ? n - 2 : 0;
	quiet = reason == VASD_RESYNC_OBSERVED && !changes &&
		vasd_state_synced(in->state) &&
		!vasd_state_generation(in->state) && !vasd_state_seq(in->state);
	for (size_t i = 0; i < n && r >= 0 && !quiet; i++)
		r = record(in, &events[i]);
	free(events);
	if (r < 0)
		return r;
	r = commit(in);
	if (r < 0)
		return r;

	in->resync_pending = false;
	if (quiet)
		goto first;
	in->stats.resyncs++;
	log_resynced(in, reason, &s.snap, changes);
first:
	if (!in->first_sync_done) {
		in->first_sync_done = true;
		if (in->commit_fn)
			in->commit_fn(in, true, in->commit_userdata);
	}
	return 0;
}

static void summarize(const void *buf, size_t len, char *out, size_t size)
{
	size_t o = 0;

	o += (size_t)snprintf(out, size, "%zu bytes:", len);
	for (size_t i = 0; i < len && i < 24 && o + 4 < size; i++)
		o += (size_t)snprintf(out + o, size - o, " %02x",
				      ((const uint8_t *)buf)[i]);
	if (len > 24 && o + 5 < size)
		snprintf(out + o, size - o, " ...");
}

static int handle_event(struct ingest *in, struct vasd_event *ev)
{
	struct vasd_effect effect;
	uint64_t next = vasd_state_seq(in->state) + 1;
	int r;

	r = vasd_apply(in->state, ev, &effect);
	switch (r) {
	case VASD_APPLY_APPLIED:
		return append(in, ev, &effect);
	case VASD_APPLY_STALE:
		in->stats.stale++;
		return 0;
	case VASD_APPLY_GAP:
		log_warning("Events %llu..%llu of generation %016llx never arrived; resyncing",
			    (unsigned long long)next,
			    (unsigned long long)ev->seq - 1,
			    (unsigned long long)ev->generation);
		return resync(in, VASD_RESYNC_GAP, ev->generation, ev->seq, next);
	case VASD_APPLY_GENERATION:
		if (!vasd_state_synced(in->state) && in->resync_pending)
			return 0;	/* a resync is scheduled: it covers this */
		log_notice("Kernel instance %016llx replaces %016llx; resyncing",
			   (unsigned long long)ev->generation,
			   (unsigned long long)vasd_state_generation(in->state));
		return resync(in, VASD_RESYNC_GENERATION, ev->generation,
			      ev->seq, 0);
	case VASD_APPLY_INCONSISTENT:
		log_warning("A %s event (seq %llu, window %u) contradicts the ledger; resyncing",
			    vasd_event_kind_to_string(ev->kind),
			    (unsigned long long)ev->seq, ev->window.id);
		return resync(in, VASD_RESYNC_INCONSISTENT, ev->generation,
			      ev->seq, 0);
	default:
		in->stats.malformed++;
		log_warning_errno(r, "Dropped a %s event with invalid values (seq %llu): %s",
				  vasd_event_kind_to_string(ev->kind),
				  (unsigned long long)ev->seq, strerror(-r));
		return 0;
	}
}

static int handle_datagram(struct ingest *in, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len;
	uint64_t now = now_ns(CLOCK_REALTIME);
	char summary[128];
	int r;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		struct vasd_event ev;
		struct vas_msg m;
		const char *err = NULL;

		if (nlh->nlmsg_type == NLMSG_NOOP)
			continue;
		r = vas_msg_decode(nlh, nlh->nlmsg_len, &m, &err);
		if (r >= 0)
			r = vasd_event_from_msg(&m, now, &ev);
		if (r < 0) {
			in->stats.malformed++;
			summarize(nlh, nlh->nlmsg_len, summary, sizeof(summary));
			log_warning("Dropped a malformed message (%s): %s",
				    err ? err : "not a notification", summary);
			continue;
		}
		r = handle_event(in, &ev);
		if (r < 0 || in->exit_error)
			return r;
	}
	if (left > 0) {
		in->stats.malformed++;
		summarize(nlh, (size_t)left, summary, sizeof(summary));
		log_warning("Dropped %d trailing bytes of a datagram: %s", left,
			    summary);
	}
	return 0;
}

static void detach(struct ingest *in)
{
	if (in->read_ev) {
		event_free(in->read_ev);
		in->read_ev = NULL;
	}
	in->ks = kernel_source_free(in->ks);
	in->retry_logged = false;
	schedule_retry(in);
	notify_kernel(in);
	notify_attach_changed(in);
}

/*
 * After ENOBUFS, empty the receive queue before the dump. Netlink reports
 * an overrun once per congestion, and the congestion ends only when the
 * queue is read empty: events dropped until then would be lost without a
 * word, and those newer than the dump never seen. What is discarded here
 * is older than the dump that follows, which covers it.
 */
#define DRAIN_MAX (1u << 20)

static void drain(struct ingest *in)
{
	unsigned int n;

	for (n = 0; n < DRAIN_MAX; n++) {
		ssize_t r = kernel_source_recv(in->ks, in->buf, sizeof(in->buf));

		if (r < 0 && r != -ENOBUFS && r != -EINTR)
			break;	/* -EAGAIN: empty; an error shows again below */
	}
	log_debug("Discarded %u queued messages before the dump", n);
}

/* observe: r from kernel_source_observe_due() or _tick(). */
static void observe_result(struct ingest *in, int r)
{
	if (r == -ENOBUFS)
		log_warning("Observe: notifications of the device were lost; taking a picture");
	if (r == 1 || r == -ENOBUFS)
		r = resync(in, VASD_RESYNC_OBSERVED, 0, 0, 0);
	if (r == -ENODEV) {
		log_notice("Observe: %s went away; reattaching", OBSERVE_DEVICE);
		commit(in);
		detach(in);
		return;
	}
	if (r < 0 && !in->exit_error) {
		log_warning_errno(r, "Observe: %s; reattaching", strerror(-r));
		commit(in);
		detach(in);
	}
}

/* observe: a notification or the timer; a picture when one is due. */
static void on_observe(struct ingest *in)
{
	observe_result(in, kernel_source_observe_due(in->ks));
}

void ingest_set_tick(struct ingest *in, unsigned int tick_ms)
{
	in->tick_ms = tick_ms;
}

void ingest_tick(struct ingest *in)
{
	if (in->ks && kernel_source_is_observe(in->ks) && !in->exit_error)
		observe_result(in, kernel_source_observe_tick(in->ks));
}

static void on_read(evutil_socket_t fd, short what, void *userdata)
{
	struct ingest *in = userdata;
	uint64_t start = now_ns(CLOCK_MONOTONIC);
	uint64_t bound = (uint64_t)in->config.batch_ms * 1000000;
	ssize_t n;
	int r = 0;

	if (kernel_source_is_observe(in->ks)) {
		on_observe(in);
		return;
	}

	while (!in->exit_error && in->ks) {
		if (in->n_batch >= in->config.batch_events ||
		    now_ns(CLOCK_MONOTONIC) - start >= bound)
			break;	/* level-triggered: the loop comes back */
		n = kernel_source_recv(in->ks, in->buf, sizeof(in->buf));
		if (n == -EAGAIN || n == -EINTR)
			break;
		if (n == -ENOBUFS) {
			in->stats.overruns++;
			log_warning("Events were lost: the receive buffer overflowed; resyncing");
			drain(in);
			r = commit(in);
			if (r >= 0)
				r = resync(in, VASD_RESYNC_OVERRUN,
					   vasd_state_generation(in->state), 0, 0);
			if (r < 0)
				break;
			continue;
		}
		if (n < 0) {
			log_warning_errno((int)n, "Lost the kernel source: %s; reattaching", strerror((int)-n));
			commit(in);
			detach(in);
			return;
		}
		r = handle_datagram(in, in->buf, (size_t)n);
		if (r < 0)
			break;
	}
	if (r < 0 && !in->exit_error)
		fail(in, r);
	if (!in->exit_error)
		commit(in);
}

/*
 * "auto": the family when the kernel has it, else pictures of what a stock
 * kernel shows; "observe": pictures only; else as kernel_source_new().
 */
static int source_new(struct ingest *in, struct kernel_source **ret)
{
	int r;

	if (strcmp(in->kernel, "observe") == 0)
		return kernel_source_observe_new(in->config.observe_interval_ms, ret);
	if (strcmp(in->kernel, "auto") != 0)
		return kernel_source_new(in->kernel, in->config.rcvbuf, ret);
	r = kernel_source_new("netlink", in->config.rcvbuf, ret);
	if (r == -ENOENT)
		r = kernel_source_observe_new(in->config.observe_interval_ms, ret);
	return r;
}

static int attach(struct ingest *in)
{
	int r;

	r = source_new(in, &in->ks);
	if (r < 0) {
		if (!in->retry_logged && r == -ENXIO)
			log_notice("No vas family, and sysfs shows VAS but %s is not visible to vasd: under the unit, PrivateDevices= hides it; the drop-in %s lets vasd observe (vasd(8)). Trying every second",
				   OBSERVE_DEVICE, VASD_OBSERVE_DROPIN);
		else if (!in->retry_logged && r == -EPERM)
			log_notice("No vas family, and the device cgroup refuses vasd a watch of %s: the unit needs DeviceAllow=%s r, as the drop-in %s has (vasd(8)). Trying every second",
				   OBSERVE_DEVICE, OBSERVE_DEVICE, VASD_OBSERVE_DROPIN);
		else if (!in->retry_logged)
			log_notice("The kernel part is not available (%s: %s); trying every second",
				   in->kernel, strerror(-r));
		in->retry_logged = true;
		schedule_retry(in);
		return 0;
	}
	in->read_ev = event_new(in->base, kernel_source_get_fd(in->ks),
				EV_READ | EV_PERSIST, on_read, in);
	if (!in->read_ev || event_add(in->read_ev, NULL) < 0)
		return log_error_errno(-ENOMEM, "Failed to watch the kernel source: %s", strerror(ENOMEM));
	notify_kernel(in);
	if (kernel_source_is_observe(in->ks)) {
		kernel_source_observe_set_tick(in->ks, in->tick_ms);
		log_notice("No vas family: observing %s and the holders of %s (at each open and close, and every %u ms%s)",
			   "sysfs", OBSERVE_DEVICE, in->config.observe_interval_ms,
			   in->tick_ms && in->tick_ms <= in->config.observe_interval_ms ?
			   ", at the watchdog's pings" : "");
		r = kernel_source_observe_seed(in->ks, in->state);
		if (r < 0)
			return log_error_errno(r, "Observe: %s", strerror(-r));
		return resync(in, VASD_RESYNC_OBSERVED, 0, 0, 0);
	}
	log_info("Attached to the kernel part (%s)", kernel_source_name(in->ks));
	return resync(in, VASD_RESYNC_START, 0, 0, 0);
}

/* The family came or went: leave the source in use for the other. */
static void on_family(evutil_socket_t fd, short what, void *userdata)
{
	struct ingest *in = userdata;
	int seen = family_watch_recv(in->watch);
	bool observing = in->ks && kernel_source_is_observe(in->ks);
	int r;

	if (seen < 0) {
		log_warning_errno(seen, "Lost the family notifications: %s", strerror(-seen));
		return;
	}
	if (!in->ks || !((seen & FAMILY_WATCH_NEW && observing) ||
			 (seen & FAMILY_WATCH_DEL && !observing)))
		return;
	log_notice("The vas family %s; switching the kernel source",
		   observing ? "appeared" : "went away");
	r = commit(in);
	if (r < 0)
		return;
	event_free(in->read_ev);
	in->read_ev = NULL;
	in->ks = kernel_source_free(in->ks);
	r = attach(in);
	if (r < 0)
		fail(in, r);
}

static void on_retry(evutil_socket_t fd, short what, void *userdata)
{
	struct ingest *in = userdata;
	int r;

	if (!in->ks)
		r = attach(in);
	else if (in->resync_pending)
		r = resync(in, in->pending_reason, 0, 0, 0);
	else
		r = 0;
	if (r < 0)
		fail(in, r);
}

int ingest_new(struct event_base *base, struct ledger *ledger,
	       const struct ingest_config *config, struct ingest **ret)
{
	struct ingest *in;
	int r;

	if (config->batch_events < 1)
		return -EINVAL;
	in = calloc(1, sizeof(*in));
	if (!in)
		return -ENOMEM;
	in->base = base;
	in->ledger = ledger;
	in->config = *config;
	in->kernel = strdup(config->kernel);
	in->batch_ts = calloc(config->batch_events, sizeof(*in->batch_ts));
	in->latency = calloc(LATENCY_RING, sizeof(*in->latency));
	in->retry_ev = evtimer_new(base, on_retry, in);
	if (!in->kernel || !in->batch_ts || !in->latency || !in->retry_ev) {
		ingest_free(in);
		return -ENOMEM;
	}
	r = vasd_state_new(&in->state);
	if (r < 0) {
		ingest_free(in);
		return r;
	}
	*ret = in;
	return 0;
}

struct ingest *ingest_free(struct ingest *in)
{
	if (!in)
		return NULL;
	if (in->read_ev)
		event_free(in->read_ev);
	if (in->retry_ev)
		event_free(in->retry_ev);
	if (in->watch_ev)
		event_free(in->watch_ev);
	family_watch_free(in->watch);
	kernel_source_free(in->ks);
	vasd_state_free(in->state);
	free(in->batch_ts);
	free(in->windows);
	free(in->latency);
	free(in->kernel);
	free(in);
	return NULL;
}

void ingest_set_commit_callback(struct ingest *in, ingest_commit_fn fn,
				void *userdata)
{
	in->commit_fn = fn;
	in->commit_userdata = userdata;
}

void ingest_set_observer(struct ingest *in, const struct ingest_observer *o,
			 void *userdata)
{
	in->observer = o;
	in->observer_userdata = userdata;
}

void ingest_set_follower(struct ingest *in, const struct ingest_follower *f,
			 void *userdata)
{
	in->follower = f;
	in->follower_userdata = userdata;
}

int ingest_record(struct ingest *in, struct vasd_event *ev)
{
	if (vasd_event_kind_is_kernel(ev->kind))
		return -EINVAL;
	if (in->exit_error)
		return in->exit_error;
	return record(in, ev);
}

int ingest_commit(struct ingest *in)
{
	if (in->exit_error)
		return in->exit_error;
	return commit(in);
}

struct kernel_source *ingest_kernel_source(const struct ingest *in)
{
	return in->ks;
}

const char *ingest_source_name(const struct ingest *in)
{
	return in->ks ? kernel_source_name(in->ks) : "";
}

uint64_t ingest_observed_missed(const struct ingest *in)
{
	struct kernel_source_observe_stats st;

	if (!in->ks || !kernel_source_is_observe(in->ks))
		return 0;
	kernel_source_observe_get_stats(in->ks, &st);
	return st.missed;
}

int ingest_start(struct ingest *in)
{
	struct vasd_event ev = { .kind = VASD_EVENT_DAEMON_START };
	int r;

	r = ledger_load_state(in->ledger, in->state);
	if (r < 0)
		return log_error_errno(r, "Failed to load the ledger's projection: %s", strerror(-r));
	/* watched before the first attach, so that no change falls between */
	if (strcmp(in->kernel, "auto") == 0) {
		r = family_watch_new(VAS_FAMILY_NAME, &in->watch);
		if (r >= 0) {
			in->watch_ev = event_new(in->base, family_watch_get_fd(in->watch),
						 EV_READ | EV_PERSIST, on_family, in);
			if (!in->watch_ev || event_add(in->watch_ev, NULL) < 0)
				return log_error_errno(-ENOMEM, "Failed to watch the family: %s", strerror(ENOMEM));
		} else {
			log_warning_errno(r, "Cannot watch for the vas family (%s): a family that comes or goes later is not followed",
					  strerror(-r));
		}
	}
	ev.timestamp = ev.recorded = now_ns(CLOCK_REALTIME);
	r = record(in, &ev);
	if (r >= 0)
		r = commit(in);
	if (r < 0)
		return r;
	return attach(in);
}

int ingest_stop(struct ingest *in)
{
	struct vasd_event ev = { .kind = VASD_EVENT_DAEMON_STOP };
	int r;

	if (in->exit_error)
		return in->exit_error;
	r = commit(in);
	if (r < 0)
		return r;
	ev.timestamp = ev.recorded = now_ns(CLOCK_REALTIME);
	r = record(in, &ev);
	if (r < 0)
		return r;
	return commit(in);
}

bool ingest_attached(const struct ingest *in)
{
	return in->ks && in->first_sync_done && !in->resync_pending;
}

const struct vasd_state *ingest_state(const struct ingest *in)
{
	return in->state;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void ingest_get_stats(const struct ingest *in, struct ingest_stats *ret)
{
	size_t n = in->n_latency < LATENCY_RING ? in->n_latency : LATENCY_RING;
	uint32_t *sorted;

	*ret = in->stats;
	if (!n)
		return;
	sorted = malloc(n * sizeof(*sorted));
	if (!sorted)
		return;
	memcpy(sorted, in->latency, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_u32);
	ret->latency_p50_us = sorted[n / 2];
	ret->latency_p99_us = sorted[n * 99 / 100];
	ret->latency_max_us = sorted[n - 1];
	free(sorted);
}

int ingest_exit_error(const struct ingest *in)
{
	return in->exit_error;
}
