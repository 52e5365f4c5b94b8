/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * migration-report: the blackout of a migration, from the first window
 * suspended for it to the last one resumed, in all and per client (the
 * process owning the windows, by tgid), computed from the kernel's window
 * events. The coordinator feeds it live (daemon/core/migration.h); anything
 * holding the ledger's events can feed the same ones later and gets the
 * same figures.
 *
 * Pure: no I/O, no globals. Memory: 24 to 48 bytes a window suspended, and
 * one struct migration_client a client, for the migration's time.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/event.h"
#include "util/macro.h"

struct migration_blackout {
	uint64_t first_suspended;	/* the kernel's CLOCK_REALTIME ns; 0: none */
	uint64_t last_resumed;		/* 0: none */
	uint32_t suspended;		/* windows suspended for the migration */
	uint32_t resumed;		/* of those, active again */
};

struct migration_client {
	uint32_t tgid;
	char comm[VAS_COMM_MAX];	/* of its first window suspended */
	struct migration_blackout blackout;
};

struct migration_report;

int migration_report_new(struct migration_report **ret);
struct migration_report *migration_report_free(struct migration_report *r);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct migration_report, migration_report_free)

/*
 * Fold one event, at its timestamp. A window change to suspended for a
 * migration suspends the window (once: a window suspended again after a
 * resume, as when the kernel retries, is active no longer); a change to
 * active resumes a window suspended here. Window adds and removals, and
 * every other kind, are not part of a blackout and change nothing. 0, or
 * -ENOMEM (r is unchanged then).
 */
int migration_report_event(struct migration_report *r,
			   const struct vasd_event *ev);

const struct migration_blackout *
migration_report_total(const struct migration_report *r);
size_t migration_report_n_clients(const struct migration_report *r);
/* The clients in the order of their first window suspended; i < n. */
const struct migration_client *
migration_report_client(const struct migration_report *r, size_t i);
