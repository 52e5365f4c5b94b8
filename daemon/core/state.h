/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * state: the projection of the ledger (windows, credits, migration, the
 * kernel cursor) and the fold vasd_apply(state, event) that builds it.
 * The same fold runs live and for replay (`vasctl ledger verify`), so a
 * replay of the stored events equals what vasd showed.
 *
 * Pure: no I/O, no globals. Memory: one struct vas_window per live window
 * in a dense array, indexed by an open-addressing table keyed by window id
 * (no allocation per window; 72 to 144 bytes a window in all, as the
 * arrays double: 95 with 100k windows).
 *
 * Pointers the accessors return stay valid until s next changes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/event.h"
#include "util/macro.h"

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
/*
 * Credits of a type; NULL when never seen. total is the kernel's; used is
 * the number of active windows of the type, which is what the kernel
 * counts (kernel/vas-sim.c, vas_sim_caps_get()), so it follows the window
 * events between the kernel's credit notifications.
 */
const struct vas_caps *vasd_state_caps(const struct vasd_state *s,
				       uint32_t type);
/*
 * The last migration seen; NULL until one is applied. The kernel's dump
 * gives phase none when there never was one, and that is stored too.
 */
const struct vas_migration *vasd_state_migration(const struct vasd_state *s);

/*
 * Restore a state stored by the ledger (projection rows), for start-up.
 * These bypass apply(): they load what apply() produced before.
 * put_window: 0; -EINVAL for values apply() refuses (type, state, reason
 * out of range, suspended without a reason or active with one, comm not
 * NUL-terminated); -EEXIST for an id already present; -ENOMEM.
 * put_caps takes type and total only (used follows from the windows) and
 * ignores a type out of range.
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
 * Fold one event into s. Returns enum vasd_apply_result (>= 0), -EINVAL
 * for an event that is malformed whatever the state (unknown kind; a
 * window whose type, state or reason is out of range, suspended without a
 * reason or active with one, comm not NUL-terminated; a caps type out of
 * range; a migration phase out of range; a resync reason out of range), or
 * -ENOMEM when the window table cannot grow. s is changed only with
 * VASD_APPLY_APPLIED, and ret_effect (may be NULL) is then filled: what,
 * the objects what names, and always the cursor after the event.
 *
 * Kernel kinds, in this order: GENERATION when s is not synced or the
 * generation differs; STALE when seq <= the state's; GAP when it is more
 * than one ahead; then INCONSISTENT when the event contradicts s, else
 * APPLIED with VASD_EFFECT_CURSOR and seq taken. Contradictions: ADD of a
 * present id; DEL of an absent id, or whose window (it carries the last
 * state) differs in any field; CHANGE of an absent id or of another
 * identity (CHANGE replaces state and reason); CAPS whose used is not the
 * state's count of active windows of the type (see vasd_state_caps()).
 * A window event that moves a credit of a type with known caps adds
 * VASD_EFFECT_CAPS with the new used. MIGRATION replaces the migration.
 *
 * vasd's kinds always apply, without seq checks: RESYNC_WINDOW_*,
 * RESYNC_CAPS, RESYNC_MIGRATION as their kernel counterparts (with the
 * same contradictions); RESYNC_BEGIN clears synced, RESYNC_END sets the
 * event's generation and seq and synced (both VASD_EFFECT_CURSOR);
 * DAEMON_START, DAEMON_STOP and the coordinator's kinds change nothing
 * (what = 0); a coordinator kind is refused (-EINVAL) when its
 * coord.what is out of range (vasd_coord_what_valid()) or its coord.comm
 * is not NUL-terminated.
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
 * lost_from as given in begin; nothing else of begin is used), then
 * RESYNC_WINDOW_DEL/ADD/CHANGE, RESYNC_CAPS, RESYNC_MIGRATION for each
 * difference, then RESYNC_END at (snap->generation, snap->seq). A window
 * whose identity (tgid, pid, comm, cop, type, opened_at, uid) differs is
 * deleted and added, not changed. Every event gets timestamp = recorded =
 * now. *ret_events is malloc'ed; apply them in order with vasd_apply(),
 * each returns APPLIED, and s then equals the snapshot.
 *
 * The order is fixed: deletes by ascending id, then adds and changes by
 * ascending id, then credits by type, then the migration. A type without
 * has_caps keeps the credits s has (no event removes them); likewise the
 * migration without has_migration.
 *
 * -EINVAL when begin's reason is out of range, or the snapshot is not one
 * the kernel can give: a window apply() would refuse, an id twice, caps[t]
 * whose type is not t or whose used is not the number of the snapshot's
 * active windows of type t (the dumps were taken at different seqs), a
 * migration phase out of range. -ENOMEM.
 */
int vasd_reconcile(const struct vasd_state *s, const struct vasd_snapshot *snap,
		   const struct vasd_event *begin, uint64_t now,
		   struct vasd_event **ret_events, size_t *ret_n);
