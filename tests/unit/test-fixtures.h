/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the unit tests build their cases from: a deterministic random
 * stream, so a failure repeats, and windows as the kernel part reports
 * them.
 */
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "netlink/vas-msg.h"

#define TS 1764331234123456789ULL

static uint64_t rnd_state = 1;

/* xorshift64*; seed it by setting rnd_state (not to 0) */
static inline uint64_t rnd(void)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return rnd_state * 2685821657736338717ULL;
}

static inline uint32_t rnd_below(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

/* Window id of a test client: its owner and comm derive from the id. */
static inline struct vas_window test_window(uint32_t id, uint32_t type,
					    uint32_t state, uint32_t reason)
{
	struct vas_window w = {
		.id = id,
		.tgid = 1000 + id,
		.pid = 2000 + id,
		.cop = VAS_COP_GZIP,
		.type = type,
		.state = state,
		.reason = reason,
		.opened_at = TS + id,
		/* root's, others', and one in four not known */
		.uid = id % 4 == 0 ? VAS_UID_UNKNOWN : (id % 4 - 1) * 1000,
	};

	snprintf(w.comm, sizeof(w.comm), "client%u", id % 100000);
	return w;
}

/* One window with every field set, none to its zero value. */
static const struct vas_window sample_window = {
	.id = 3,
	.tgid = 812,
	.pid = 813,
	.comm = "nxclient",
	.cop = VAS_COP_GZIP,
	.type = VAS_WIN_TYPE_QOS,
	.state = VAS_WIN_STATE_SUSPENDED,
	.reason = VAS_SUSPEND_REASON_MIGRATION,
	.opened_at = TS - 5,
	.uid = 1001,
};
