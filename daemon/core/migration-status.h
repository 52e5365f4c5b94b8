/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * migration-status: what the ledger records of one migration, folded from
 * its events in the order of their positions (docs/migration.md): the
 * hooks, the vetoes, who was asked to release and when they did or timed
 * out, how the wait ended, the kernel's acks, the anomalies and errors, the
 * close, and the blackout in all and per client: the record's when the
 * migration closed, folded from the kernel's window events so far
 * (core/migration-report.h) while it is open. `vasctl migration status`
 * reads the events and prints this.
 *
 * Pure: the events come in as values, the status is a value; no I/O.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/event.h"
#include "core/migration-report.h"

/*
 * The hook that opens a migration is recorded just before its open, after
 * the close of a migration it abandoned: a fold starts that many positions
 * before the open.
 */
#define MIGRATION_STATUS_LOOKBACK 2

struct migration_events {
	struct vasd_event *v;
	size_t n, n_alloc;
};

/* A delay lock the migration asked to be released. */
struct migration_asked_lock {
	struct vasd_coord holder;	/* lock, pid, uid, comm */
	uint64_t asked, released, timed_out;	/* ns; 0: not (yet) */
};

struct migration_status {
	uint64_t id;
	int64_t open_position;		/* of its MIGRATION_OPEN */
	bool opened, quiesced, blackout, closed;
	struct vasd_event open, quiesce, total, close;
	struct migration_events hooks, vetoes, acks, anomalies, errors, clients;
	/* observe: processes that held windows but no lock, at check or pre */
	struct migration_events uncoordinated;
	struct migration_asked_lock *locks;
	size_t n_locks, n_locks_alloc;
	struct migration_report *so_far;	/* the window events since the open */
};

/* Migration id, whose MIGRATION_OPEN is at open_position. 0 or -ENOMEM. */
int migration_status_init(struct migration_status *s, uint64_t id,
			  int64_t open_position);
void migration_status_done(struct migration_status *s);

/*
 * Fold the next event, from open_position - MIGRATION_STATUS_LOOKBACK on.
 * Before the open only this migration's hooks count. 0: go on; 1: the
 * next migration opened, nothing from here on is this one's; -ENOMEM.
 */
int migration_status_event(struct migration_status *s,
			   const struct vasd_event *ev);

/*
 * The blackout in all, into *ret (zeros when none): whether there was one.
 * Closed, the record's; open, the windows suspended so far.
 */
bool migration_status_blackout(const struct migration_status *s,
			       struct migration_blackout *ret);
/* The blackout's clients, in the order of their first window suspended; i < n. */
size_t migration_status_n_clients(const struct migration_status *s);
struct migration_client migration_status_client(const struct migration_status *s,
						size_t i);
