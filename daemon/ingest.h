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

#include "macro.h"
#include "vas-msg.h"

struct event_base;
struct ledger;
struct vasd_state;

struct ingest_config {
	const char *kernel;		/* kernel_source_new() spec */
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
	/*
	 * After each COMMIT, before committed(): every migration the
	 * transaction recorded (the kernel's phases, a resync's), in order.
	 */
	void (*migration)(struct ingest *in, const struct vas_migration *m,
			  void *userdata);
};

int ingest_new(struct event_base *base, struct ledger *ledger,
	       const struct ingest_config *config, struct ingest **ret);
struct ingest *ingest_free(struct ingest *in);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ingest, ingest_free)

void ingest_set_commit_callback(struct ingest *in, ingest_commit_fn fn,
				void *userdata);
/* o is not copied: it must outlive in. */
void ingest_set_observer(struct ingest *in, const struct ingest_observer *o,
			 void *userdata);

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
