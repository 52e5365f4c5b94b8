/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * retention: how much old history the ledger lets go, as journald's
 * SystemMaxUse= and MaxRetentionSec= do for the journal. Given what the
 * ledger looks like now, the position to keep the events from; the caller
 * compacts up to it (ledger_compact(): the events before it become the
 * checkpoint; a migration's records move to the archive and are never
 * dropped). Pure: the caller reads the ledger and the clock.
 *
 * By size: over max_use bytes in use, enough of the oldest events go to
 * come down to three quarters of it (so that a ledger at its bound is not
 * compacted at every commit), estimated from the bytes an event takes on
 * average; the caller asks again after compacting and goes on while the
 * answer moves. By age: the events recorded before max_age go.
 * Never: the newest event (LastPosition names it), nor anything from an
 * open migration's open on (the coordinator restores from the events).
 */
#pragma once

#include <stdint.h>

struct retention_limits {
	int64_t max_use;		/* bytes; 0: no bound */
	uint64_t max_age;		/* ns; 0: no bound */
};

struct retention_view {
	int64_t used_bytes;		/* the ledger's pages in use */
	int64_t first, last;		/* the events' positions; 0, 0 when none */
	int64_t young_from;		/* the first recorded within max_age; last + 1 when none is */
	int64_t open_migration;		/* an open migration's open; 0: none */
};

/* The position to keep from; nothing to do when it is <= view->first. */
int64_t retention_keep_from(const struct retention_limits *limits,
			    const struct retention_view *view);
