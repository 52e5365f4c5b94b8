/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ledger-diff: the first difference between the projection the ledger
 * stores and the one its events replay to, in words, for
 * `vasctl ledger verify`: "window 17: stored state suspended, replay
 * active". Pure: no I/O, no globals.
 */
#pragma once

#include "core/state.h"

/*
 * 0 when vasd_state_equal(stored, replay), *ret = NULL; 1 when they
 * differ, *ret = a malloc'ed line naming the first difference (cursor,
 * then windows by id, then credits by type, then the migration);
 * -ENOMEM.
 */
int ledger_diff(const struct vasd_state *stored,
		const struct vasd_state *replay, char **ret);
