/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Valid event histories for the ledger tests: each event is applied to a
 * live state with vasd_apply() and appended with the effect it returned,
 * as vasd does, so a test can compare the ledger with the live state.
 */
#pragma once

#include <stdio.h>

#include "ledger/ledger.h"
#include "test.h"
#include "test-fixtures.h"

#define GEN 0x8c3f0a1b2c3d4e5fULL	/* above INT64_MAX: stored as its bits */

struct history {
	struct ledger *ledger;
	struct vasd_state *state;	/* the live state */
	uint64_t seq;			/* the kernel's last */
	uint64_t now;
};

static inline struct vas_window history_window(uint32_t id, uint32_t type)
{
	return test_window(id, type, VAS_WIN_STATE_ACTIVE,
			   VAS_SUSPEND_REASON_NONE);
}

/* Apply ev to the live state (it must apply) and append it. */
static inline int history_append(struct history *h, struct vasd_event *ev)
{
	struct vasd_effect effect;
	int r;

	ev->timestamp = ev->timestamp ? ev->timestamp : ++h->now;
	ev->recorded = ++h->now;
	r = vasd_apply(h->state, ev, &effect);
	if (r != VASD_APPLY_APPLIED)
		TEST_FAIL("%s does not apply: %d",
			  vasd_event_kind_to_string(ev->kind), r);
	return ledger_append(h->ledger, ev, &effect);
}

static inline void history_add(struct history *h, struct vasd_event ev)
{
	int r = history_append(h, &ev);

	if (r < 0)
		TEST_FAIL("append %s: %s", vasd_event_kind_to_string(ev.kind),
			  strerror(-r));
}

static inline struct vasd_event history_kernel(struct history *h, int kind)
{
	return (struct vasd_event){
		.kind = kind,
		.generation = GEN,
		.seq = ++h->seq,
	};
}

/* vasd starts and resyncs against an empty kernel with credits 4 and 2. */
static inline void history_start(struct history *h)
{
	h->now = TS;
	history_add(h, (struct vasd_event){ .kind = VASD_EVENT_DAEMON_START });
	history_add(h, (struct vasd_event){
		.kind = VASD_EVENT_RESYNC_BEGIN,
		.reason = VASD_RESYNC_START,
	});
	history_add(h, (struct vasd_event){
		.kind = VASD_EVENT_RESYNC_CAPS,
		.caps = { .type = VAS_WIN_TYPE_DEFAULT, .total = 4 },
	});
	history_add(h, (struct vasd_event){
		.kind = VASD_EVENT_RESYNC_CAPS,
		.caps = { .type = VAS_WIN_TYPE_QOS, .total = 2 },
	});
	history_add(h, (struct vasd_event){
		.kind = VASD_EVENT_RESYNC_END,
		.generation = GEN,
		.seq = h->seq,
	});
}

static inline void history_window_add(struct history *h, uint32_t id,
				      uint32_t type)
{
	struct vasd_event ev = history_kernel(h, VASD_EVENT_WINDOW_ADD);

	ev.window = history_window(id, type);
	history_add(h, ev);
}

static inline void history_window_change(struct history *h, uint32_t id,
					 uint32_t state, uint32_t reason)
{
	struct vasd_event ev = history_kernel(h, VASD_EVENT_WINDOW_CHANGE);

	ev.window = *vasd_state_window(h->state, id);
	ev.window.state = state;
	ev.window.reason = reason;
	history_add(h, ev);
}

static inline void history_window_del(struct history *h, uint32_t id)
{
	struct vasd_event ev = history_kernel(h, VASD_EVENT_WINDOW_DEL);

	ev.window = *vasd_state_window(h->state, id);
	history_add(h, ev);
}

static inline void history_caps(struct history *h, uint32_t type,
				uint32_t total)
{
	struct vasd_event ev = history_kernel(h, VASD_EVENT_CAPS_CHANGE);

	ev.caps.type = type;
	ev.caps.total = total;
	ev.caps.used = vasd_state_caps(h->state, type)->used;
	history_add(h, ev);
}

static inline void history_migration(struct history *h, uint32_t phase)
{
	struct vasd_event ev = history_kernel(h, VASD_EVENT_MIGRATION_CHANGE);

	ev.migration.stream_id = 42;
	ev.migration.phase = phase;
	ev.migration.token = 0xfedcba9876543210ULL;
	history_add(h, ev);
}

static inline void history_begin(struct history *h)
{
	int r = ledger_begin(h->ledger);

	if (r < 0)
		TEST_FAIL("ledger_begin: %s", strerror(-r));
}

static inline void history_commit(struct history *h)
{
	int r = ledger_commit(h->ledger);

	if (r < 0)
		TEST_FAIL("ledger_commit: %s", strerror(-r));
}

/* n windows opened, a third of them closed again, in batches of 100. */
static inline void history_windows(struct history *h, uint32_t first,
				   uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (i % 100 == 0)
			history_begin(h);
		history_window_add(h, first + i, i % VASD_N_TYPES);
		if (i % 3 == 2)
			history_window_del(h, first + i - 1);
		if (i % 100 == 99 || i + 1 == n)
			history_commit(h);
	}
}

/* vasd's first batch: its start and the resync (history_start). */
static inline void history_started(struct history *h)
{
	history_begin(h);
	history_start(h);
	history_commit(h);
}

/* A resync after an overrun that found the state as it was. */
static inline void history_resync(struct history *h)
{
	history_add(h, (struct vasd_event){ .kind = VASD_EVENT_RESYNC_BEGIN,
					    .reason = VASD_RESYNC_OVERRUN });
	history_add(h, (struct vasd_event){ .kind = VASD_EVENT_RESYNC_END,
					    .generation = GEN, .seq = h->seq });
}
