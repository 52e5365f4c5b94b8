/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * coordinator: the migration coordinator at work (DESIGN.md §6). It owns
 * the pure state machine (migration.h; docs/migration.md), feeds it what
 * happens (the kernel's and the resyncs' events as ingest applies them,
 * drmgr's hooks and the inhibitor locks from the bus, its own timer) and
 * carries out what the machine asks, in its order: records go into the
 * ledger through ingest's transactions, and only once they are committed
 * are the clients signalled, the kernel acked and the hooks answered
 * (DESIGN.md §4: nothing is reported before its COMMIT).
 *
 * vasd registers as the kernel part's coordinator whenever a kernel
 * instance is attached; another coordinator (-EBUSY) is logged, and vasd
 * coordinates its clients without the kernel waiting for it.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/migration.h"
#include "util/macro.h"

struct event_base;
struct ingest;
struct ledger;
struct coordinator;

/* What the bus does for the coordinator; any may be NULL (no bus). */
struct coordinator_ops {
	/* PrepareForMigration(active, name) */
	void (*signal)(struct coordinator *c, bool active, const char *name,
		       void *userdata);
	/*
	 * Answer the hook call (coordinator_hook()'s call), for the
	 * migration named (decimal, "" for none).
	 */
	void (*reply)(struct coordinator *c, uint64_t call,
		      enum migration_reply result, const char *migration,
		      const char *message, void *userdata);
	/* coordinator_state(), _name() or _anomalies() may have changed */
	void (*changed)(struct coordinator *c, void *userdata);
};

/*
 * Before ingest_start(): reads the ledger's events from the last
 * migration opened (what migration_machine_restore() needs), and follows
 * in (ingest_set_follower()). -EINVAL for a bound of 0, -ENOMEM, or the
 * ledger's errors.
 */
int coordinator_new(struct event_base *base, struct ingest *in,
		    struct ledger *ledger, const struct migration_config *config,
		    struct coordinator **ret);
struct coordinator *coordinator_free(struct coordinator *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct coordinator, coordinator_free)

/* ops is not copied: it must outlive c, or be replaced by NULL. */
void coordinator_set_ops(struct coordinator *c,
			 const struct coordinator_ops *ops, void *userdata);

/*
 * After ingest_start(), once the first resync is committed (or the kernel
 * part is not there): restore the unfinished migration from the ledger and
 * the kernel's (docs/migration.md, Restart). Inputs before are refused
 * with -EBUSY.
 */
int coordinator_start(struct coordinator *c);

/*
 * drmgr ran a hook (phase: enum vasd_hook_phase); the reply, now or when
 * the wait ends, names call. 0 once the input was taken (the reply may
 * have been given already); -EINVAL for an unknown phase; an error of
 * the ledger (vasd exits) before any reply.
 */
int coordinator_hook(struct coordinator *c, uint32_t phase, uint64_t call,
		     uint32_t pid, uint32_t uid, const char *comm);

/*
 * Inhibit() gave a lock (id: never 0, never reused), recorded and committed on return; its release: the fd
 * closed, or the holder died, recorded on return and committed at the end
 * of the loop turn, with the other releases the turn saw (a thousand
 * clients release at once: one COMMIT, and one PropertiesChanged, for as
 * many of them as the loop sees together). -EEXIST, -ENOENT as
 * migration_machine_feed().
 */
int coordinator_lock_taken(struct coordinator *c, uint64_t id,
			   enum vasd_lock_mode mode,
			   uint32_t pid, uint32_t uid, const char *user,
			   const char *comm, const char *who, const char *why);
int coordinator_lock_released(struct coordinator *c, uint64_t id);

enum migration_state coordinator_state(const struct coordinator *c);
/* The open migration's name; "" when none is open. */
const char *coordinator_name(const struct coordinator *c);
/* Anomalies recorded in the open migration, else in the last one. */
uint32_t coordinator_anomalies(const struct coordinator *c);

/* 0 while fine; the -errno that ended the loop (out of memory) otherwise. */
int coordinator_exit_error(const struct coordinator *c);
