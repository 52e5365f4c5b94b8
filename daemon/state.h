/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * state: the projection of the ledger (windows, credits, migration, the
 * kernel cursor) and the fold vasd_apply(state, event) that builds it.
 * The same fold runs live and for replay (`vasctl ledger verify`), so a
 * replay of the stored events equals what vasd showed.
 *
 * Pure: no I/O, no globals. Memory: one struct vas_window per live window
 * in an open-addressing table keyed by window id.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "macro.h"

#define VASD_N_TYPES 2			/* enum vas_win_type: default, qos */

struct vasd_state;

int vasd_state_new(struct vasd_state **ret);
struct vasd_state *vasd_state_free(struct vasd_state *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct vasd_state, vasd_state_free)

/* The kernel instance and last seq the state follows; 0, 0 before any resync. */
uint64_t vasd_state_generation(const struct vasd_state *s);
uint64_t vasd_state_seq(const struct vasd_state *s);
/* False from RESYNC_BEGIN until RESYNC_END, and before the first resync. */
bool vasd_state_synced(const struct vasd_state *s);

size_t vasd_state_n_windows(const struct vasd_state *s);
/* Windows in a given state (enum vas_win_state). */
size_t vasd_state_n_windows_in(const struct vasd_state *s, uint32_t win_state);
const struct vas_window *vasd_state_window(const struct vasd_state *s,
					   uint32_t id);
/* Iterate: *cursor starts at 0; returns NULL at the end. Order unspecified. */
const struct vas_window *vasd_state_next_window(const struct vasd_state *s,
						size_t *cursor);
/* Credits of a type; NULL when never seen. */
const struct vas_caps *vasd_state_caps(const struct vasd_state *s,
				       uint32_t type);
/* The last migration seen; NULL when none. */
const struct vas_migration *vasd_state_migration(const struct vasd_state *s);

/*
 * Restore a state stored by the ledger (projection rows), for start-up.
 * These bypass apply(): they load what apply() produced before.
 */
int vasd_state_put_window(struct vasd_state *s, const struct vas_window *w);
void vasd_state_put_caps(struct vasd_state *s, const struct vas_caps *c);
void vasd_state_put_migration(struct vasd_state *s,
			      const struct vas_migration *m);
void vasd_state_put_cursor(struct vasd_state *s, uint64_t generation,
			   uint64_t seq, bool synced);

/* True when both states hold the same windows, credits, migration, cursor. */
bool vasd_state_equal(const struct vasd_state *a, const struct vasd_state *b);

/* What apply() changed, for the ledger to mirror in its projection tables. */
enum {
	VASD_EFFECT_WINDOW_PUT	= 1u << 0,	/* insert or replace effect.window */
	VASD_EFFECT_WINDOW_DEL	= 1u << 1,	/* delete effect.window.id */
	VASD_EFFECT_CAPS	= 1u << 2,	/* replace effect.caps */
	VASD_EFFECT_MIGRATION	= 1u << 3,	/* replace effect.migration */
	VASD_EFFECT_CURSOR	= 1u << 4,	/* generation/seq/synced changed */
};

struct vasd_effect {
	unsigned int what;		/* VASD_EFFECT_* */
	struct vas_window window;
	struct vas_caps caps;
	struct vas_migration migration;
	uint64_t generation;
	uint64_t seq;
	bool synced;
};

enum vasd_apply_result {
	VASD_APPLY_APPLIED,		/* state changed: store the event */
	VASD_APPLY_STALE,		/* seq already covered (duplicate, or before a resync point): drop */
	VASD_APPLY_GAP,			/* seq skipped ahead: resync; state untouched */
	VASD_APPLY_GENERATION,		/* another kernel instance, or none synced yet: resync */
	VASD_APPLY_INCONSISTENT,	/* contradicts the state (add of a known id, ...): resync */
};

/*
 * Fold one event into s. Kernel kinds are applied only when synced and
 * their seq is exactly the next one of the state's generation; vasd's own
 * kinds always apply. Returns enum vasd_apply_result (>= 0), or -EINVAL
 * for an event that is malformed (unknown kind, type out of range); s is
 * changed only with VASD_APPLY_APPLIED, and ret_effect (may be NULL) is
 * then filled.
 */
int vasd_apply(struct vasd_state *s, const struct vasd_event *ev,
	       struct vasd_effect *ret_effect);

/* What a resync found: the kernel's dumps, consistent at (generation, seq). */
struct vasd_snapshot {
	uint64_t generation;
	uint64_t seq;
	const struct vas_window *windows;
	size_t n_windows;
	struct vas_caps caps[VASD_N_TYPES];
	bool has_caps[VASD_N_TYPES];
	struct vas_migration migration;
	bool has_migration;
};

/*
 * The events that turn s into snap: RESYNC_BEGIN (reason, with gen/seq/
 * lost_from as given in begin), then RESYNC_WINDOW_DEL/ADD/CHANGE,
 * RESYNC_CAPS, RESYNC_MIGRATION for each difference, then RESYNC_END at
 * (snap->generation, snap->seq). A window whose identity (tgid, pid, comm,
 * cop, type, opened_at) differs is deleted and added, not changed. Every
 * event gets timestamp = recorded = now. *ret_events is malloc'ed; apply
 * them in order with vasd_apply().
 */
int vasd_reconcile(const struct vasd_state *s, const struct vasd_snapshot *snap,
		   const struct vasd_event *begin, uint64_t now,
		   struct vasd_event **ret_events, size_t *ret_n);
