/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vas-events: the generic netlink family "vas" (proto/vas.h).
 *
 * The platform VAS code (the simulated backend here, arch/powerpc's
 * platforms/pseries/vas.c in a real kernel) calls these hooks. Every
 * vas_notify_*() must be called with the backend's lock held (the one
 * taken by backend->lock()), so that the order of sequence numbers is the
 * order of the state changes, and dumps taken under the same lock are
 * consistent with the sequence number they report.
 */
#ifndef _VAS_EVENTS_H
#define _VAS_EVENTS_H

#include <linux/types.h>
#include <linux/sched.h>
#include "vas.h"

struct vas_ev_window {
	u32 id;
	u32 tgid;
	u32 pid;
	char comm[TASK_COMM_LEN];
	u32 cop;		/* enum vas_cop */
	u32 type;		/* enum vas_win_type */
	u32 state;		/* enum vas_win_state */
	u32 reason;		/* enum vas_suspend_reason */
	u64 opened_at;		/* ktime_get_real_ns() */
	u32 uid;		/* opener's, in init_user_ns */
};

struct vas_ev_caps {
	u32 type;		/* enum vas_win_type */
	u32 total;
	u32 used;
};

struct vas_ev_migration {
	u64 stream_id;
	u32 phase;		/* enum vas_migration_phase */
	u64 token;
};

/**
 * struct vas_ev_backend - what the family asks of the platform code
 * @lock: take the lock that serialises window state and notifications;
 *	a sleeping lock (a mutex), taken in process context only
 * @unlock: release it
 * @window_get: fill @out with window @id; -ENOENT if there is none
 * @window_next: fill @out with the window of lowest id >= @pos;
 *	-ENOENT when there is none (used by the dump cursor)
 * @caps_get: fill @out for @type; -EINVAL for an unknown type
 * @migration_get: fill @out with the current (or last) migration
 *
 * The getters are called with the lock held.
 */
struct vas_ev_backend {
	void (*lock)(void);
	void (*unlock)(void);
	int (*window_get)(u32 id, struct vas_ev_window *out);
	int (*window_next)(u32 pos, struct vas_ev_window *out);
	int (*caps_get)(u32 type, struct vas_ev_caps *out);
	void (*migration_get)(struct vas_ev_migration *out);
};

int vas_events_init(const struct vas_ev_backend *backend);
void vas_events_exit(void);

/* Multicast notifications; call with the backend lock held. */
void vas_notify_window_add(const struct vas_ev_window *w);
void vas_notify_window_del(const struct vas_ev_window *w);
void vas_notify_window_change(const struct vas_ev_window *w);
void vas_notify_caps_change(const struct vas_ev_caps *c);
void vas_notify_migration(const struct vas_ev_migration *m);

/**
 * vas_migration_prepare - announce a migration and wait for the coordinator
 * @m: the migration; its token is set here (random, non-zero) and its phase
 *	must be VAS_MIGRATION_PHASE_PREPARE
 *
 * Sends the PREPARE notification (takes the backend lock itself), then,
 * when a coordinator is registered, waits for its COORD_ACK carrying the
 * token, bounded by the coord_timeout_ms module parameter. Call without
 * the backend lock held.
 *
 * Return: 0 when acked, 1 when no coordinator is registered, -ETIMEDOUT
 * when the bound passed, -ECONNRESET when the coordinator went away while
 * waiting, -EINTR when a signal ended the wait. The caller proceeds with the
 * migration in every case.
 */
int vas_migration_prepare(struct vas_ev_migration *m);

#endif /* _VAS_EVENTS_H */
