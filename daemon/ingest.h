/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ingest: the kernel's events into the ledger. Reads the kernel source on
 * the event loop, folds every event with vasd_apply() and appends it with
 * its effect; one transaction per loop turn, bounded by batch_events
 * events and batch_ms milliseconds (group commit). A gap in seq, a new
 * generation, an event that contradicts the ledger, or an overrun of the
 * receive buffer starts a resync by dump, recorded as resync events.
 *
 * Fatal errors (the ledger cannot commit) end the loop; ingest_exit_error()
 * tells the caller why, so vasd exits non-zero and systemd restarts it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink/vas-msg.h"
#include "util/macro.h"

struct event_base;
struct kernel_source;
struct ledger;
struct vasd_event;
struct vasd_state;

struct ingest_config {
	const char *kernel;		/* "auto", "observe" or a kernel_source_new() spec */
	unsigned int observe_interval_ms;	/* observe: at most this between pictures */
	int rcvbuf;			/* bytes; 0: the kernel's default */
	unsigned int batch_events;	/* events per transaction, >= 1 */
	unsigned int batch_ms;		/* ms an event may wait for its COMMIT */
};

struct ingest_stats {
	uint64_t events;		/* stored, resync events included */
	uint64_t transactions;
	uint64_t stale;			/* kernel events already covered, dropped */
	uint64_t malformed;		/* messages that could not be decoded */
	uint64_t resyncs;
	uint64_t overruns;		/* ENOBUFS seen */
	uint64_t latency_p50_us;	/* kernel timestamp to COMMIT */
	uint64_t latency_p99_us;
	uint64_t latency_max_us;
};

struct ingest;

/* Called after each COMMIT, and once when the first resync is committed. */
typedef void (*ingest_commit_fn)(struct ingest *in, bool first, void *userdata);

/*
 * For observers that publish what the ledger holds (the bus): told only
 * what is durable. committed() runs after each COMMIT, before the commit
 * callback, with the windows the transaction added, changed (state,
 * reason) and removed, in the order of their events; a window may appear
 * more than once. attach_changed() runs when ingest_attached() turns false
 * without a COMMIT (the kernel source went away, a resync must wait).
 */
enum ingest_window_change {
	INGEST_WINDOW_ADDED,
	INGEST_WINDOW_CHANGED,
	INGEST_WINDOW_REMOVED,		/* window: as it was last */
};

struct ingest_window_event {
	enum ingest_window_change change;
	struct vas_window window;
};

struct ingest_observer {
	void (*committed)(struct ingest *in, const struct ingest_window_event *windows,
			  size_t n_windows, void *userdata);
	void (*attach_changed)(struct ingest *in, void *userdata);
};

/*
 * For the migration coordinator, which records facts of its own among the
 * kernel's and acts on them only once they are committed (DESIGN.md §4).
 * - applied() runs for each kernel and resync event right after it was
 *   appended, inside the open transaction, with ingest_state() as that
 *   event left it; what it records with ingest_record() goes into the
 *   same transaction. A negative return fails the transaction.
 * - committed() runs after each COMMIT, before the observer's.
 * - failed() runs when a transaction was rolled back (vasd exits): none
 *   of what it held may be acted on.
 * - kernel() runs when a kernel instance is attached, before its first
 *   resync, and when another instance (generation) appears; with NULL
 *   when the kernel source went away.
 */
struct ingest_follower {
	int (*applied)(struct ingest *in, const struct vasd_event *ev,
		       void *userdata);
	void (*committed)(struct ingest *in, void *userdata);
	void (*failed)(struct ingest *in, int error, void *userdata);
	void (*kernel)(struct ingest *in, struct kernel_source *ks,
		       void *userdata);
};

int ingest_new(struct event_base *base, struct ledger *ledger,
	       const struct ingest_config *config, struct ingest **ret);
struct ingest *ingest_free(struct ingest *in);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ingest, ingest_free)

void ingest_set_commit_callback(struct ingest *in, ingest_commit_fn fn,
				void *userdata);
/*
 * A timer of the caller's ticks every @tick_ms (the watchdog's pings) and
 * calls ingest_tick(): observe's interval then rides on it instead of
 * waking vasd on its own (kernel_source_observe_set_tick()). Before the
 * kernel source is attached.
 */
void ingest_set_tick(struct ingest *in, unsigned int tick_ms);
void ingest_tick(struct ingest *in);
/* o is not copied: it must outlive in. */
void ingest_set_observer(struct ingest *in, const struct ingest_observer *o,
			 void *userdata);
/* f is not copied: it must outlive in. */
void ingest_set_follower(struct ingest *in, const struct ingest_follower *f,
			 void *userdata);

/*
 * Apply one of vasd's own events (not a kernel kind: -EINVAL) and append
 * it to the open transaction, begun when there is none. It is reported
 * to nobody before ingest_commit(), or the COMMIT of the batch it joined.
 * An error is fatal, as for the kernel's events.
 */
int ingest_record(struct ingest *in, struct vasd_event *ev);
/* Commit the open transaction, if there is one. */
int ingest_commit(struct ingest *in);
/* The kernel source while one is attached, else NULL (COORD_* requests). */
struct kernel_source *ingest_kernel_source(const struct ingest *in);
/* "netlink", "unix", "observe"; "" when none is attached. */
const char *ingest_source_name(const struct ingest *in);
/* observe: windows opened and closed between two pictures; else 0. */
uint64_t ingest_observed_missed(const struct ingest *in);

/*
 * Load the ledger's projection, record DAEMON_START, attach to the kernel
 * and resync. When the kernel part is not there yet, retries every second
 * and returns 0 (ingest_attached() tells).
 */
int ingest_start(struct ingest *in);
/* Record DAEMON_STOP and commit. */
int ingest_stop(struct ingest *in);

bool ingest_attached(const struct ingest *in);
const struct vasd_state *ingest_state(const struct ingest *in);
void ingest_get_stats(const struct ingest *in, struct ingest_stats *ret);
/* 0 while running; the -errno that ended the loop otherwise. */
int ingest_exit_error(const struct ingest *in);
