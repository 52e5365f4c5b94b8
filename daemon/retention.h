/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * retention: the ledger's automatic compaction by size and age
 * (--ledger-max-use, --ledger-max-age; core/retention.h decides how far).
 * A second after a commit, never while idle, it looks at the ledger; when
 * history must go it compacts in steps of LEDGER_COMPACT_STEP positions,
 * one a loop turn, between ingest's transactions, as CompactLedger does
 * (bus/compact.c). A migration's records are archived, never dropped
 * (ledger/archive.c).
 */
#pragma once

#include <stdint.h>

#include "core/retention.h"

struct event_base;
struct ledger;
struct retention;

/* Told the history's new first position after each step. */
typedef void (*retention_moved_fn)(int64_t first, void *userdata);

int retention_new(struct event_base *base, struct ledger *ledger,
		  const struct retention_limits *limits,
		  retention_moved_fn moved, void *userdata,
		  struct retention **ret);
struct retention *retention_free(struct retention *r);

/* The ledger grew: look at it a second from now, unless already due. */
void retention_committed(struct retention *r);

/* An I/O error at a commit: the loop was broken; vasd exits with it. */
int retention_exit_error(const struct retention *r);
