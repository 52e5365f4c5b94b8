/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * share: how much of vasd each user may take: of its time, for the
 * expensive bus calls (GetManagedObjects, ListWindows, ReadEvents: each
 * builds a reply of every window or of many events), in nanoseconds; of
 * its ledger, for inhibitor locks, in locks. A token bucket per uid: it
 * refills at rate_per_sec units a second up to burst; a call may start
 * while the bucket is not empty, and what it took is charged afterwards
 * (the bucket may go below zero: the next calls wait longer).
 * So a user who floods vasd gets rate_per_sec/1e9 of it, whatever the
 * number of its connections, and the others, root above all, are served
 * meanwhile (docs/bus.md). The caller leaves root out.
 *
 * At most max_uids users are tracked; the one used least recently is
 * forgotten first (it comes back with a full bucket, which costs at most
 * one burst). Pure: the caller passes the time.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "util/macro.h"

struct share_config {
	uint64_t burst;			/* ns a full bucket holds */
	uint64_t rate_per_sec;		/* ns it regains a second */
	unsigned int max_uids;
};

struct share_table;

int share_table_new(const struct share_config *config, struct share_table **ret);
struct share_table *share_table_free(struct share_table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct share_table, share_table_free)

/*
 * May uid start an expensive call at now (CLOCK_MONOTONIC ns)? When not,
 * *ret_wait (if not NULL) is how long until it may.
 */
bool share_admit(struct share_table *t, uint32_t uid, uint64_t now,
		 uint64_t *ret_wait);
/* uid's call took cost ns. */
void share_charge(struct share_table *t, uint32_t uid, uint64_t now,
		  uint64_t cost);
