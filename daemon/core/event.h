/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * event: one fact of the ledger. The kernel's notifications become events
 * one for one; vasd's own facts (a resync and what it found, start, stop)
 * are events too, so replaying the events reproduces everything the ledger
 * shows (DESIGN.md §4). So are the migration coordinator's facts
 * (daemon/core/migration.h): who was asked, who released and when, vetoes,
 * acks, blackouts; they change no projection.
 *
 * Pure: no I/O, no globals.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "netlink/vas-msg.h"

enum vasd_event_kind {
	VASD_EVENT_WINDOW_ADD,		/* kernel: a window was opened */
	VASD_EVENT_WINDOW_DEL,		/* kernel: a window was closed */
	VASD_EVENT_WINDOW_CHANGE,	/* kernel: suspended or resumed */
	VASD_EVENT_CAPS_CHANGE,		/* kernel: total credits of a type changed */
	VASD_EVENT_MIGRATION_CHANGE,	/* kernel: a migration's phase */
	VASD_EVENT_RESYNC_BEGIN,	/* vasd: resync by dump starts (reason) */
	VASD_EVENT_RESYNC_WINDOW_ADD,	/* vasd: the dump has a window the ledger lacked */
	VASD_EVENT_RESYNC_WINDOW_DEL,	/* vasd: the ledger had a window the dump lacks */
	VASD_EVENT_RESYNC_WINDOW_CHANGE,/* vasd: the dump shows a window differently */
	VASD_EVENT_RESYNC_CAPS,		/* vasd: credits differ from the dump */
	VASD_EVENT_RESYNC_MIGRATION,	/* vasd: migration differs from the dump */
	VASD_EVENT_RESYNC_END,		/* vasd: ledger equals the kernel at (generation, seq) */
	VASD_EVENT_DAEMON_START,	/* vasd: started */
	VASD_EVENT_DAEMON_STOP,		/* vasd: stopping cleanly */
	/* The coordinator's (struct vasd_coord; docs/migration.md) */
	VASD_EVENT_INHIBITOR_TAKE,	/* a client took a lock (what: mode) */
	VASD_EVENT_INHIBITOR_RELEASE,	/* a lock was closed, or its holder died */
	VASD_EVENT_MIGRATION_HOOK,	/* drmgr ran a hook (what: phase) */
	VASD_EVENT_MIGRATION_OPEN,	/* a migration begins (what: origin) */
	VASD_EVENT_MIGRATION_VETO,	/* check said no (what: why) */
	VASD_EVENT_MIGRATION_ASKED,	/* a delay lock was asked to release */
	VASD_EVENT_MIGRATION_TIMEOUT,	/* a delay lock outlived the bound */
	VASD_EVENT_MIGRATION_QUIESCED,	/* the wait ended (what: how) */
	VASD_EVENT_MIGRATION_ACK,	/* the kernel's prepare was acked */
	VASD_EVENT_MIGRATION_ANOMALY,	/* a window the kernel left active (what) */
	VASD_EVENT_MIGRATION_ERROR,	/* an input that does not fit (what) */
	VASD_EVENT_MIGRATION_BLACKOUT,	/* first window suspended to last resumed */
	VASD_EVENT_MIGRATION_CLIENT_BLACKOUT,/* the same, for one owner process */
	VASD_EVENT_MIGRATION_CLOSE,	/* a migration ends (what: outcome) */
	VASD_EVENT_MIGRATION_UNCOORDINATED,/* observe: a process holds windows, no lock (what: phase) */
	_VASD_EVENT_KIND_MAX,
	_VASD_EVENT_KIND_INVALID = -EINVAL,
};

/* Why a resync ran (VASD_EVENT_RESYNC_BEGIN). */
enum vasd_resync_reason {
	VASD_RESYNC_START,		/* vasd started, or the kernel part appeared */
	VASD_RESYNC_GAP,		/* seq jumped: events were lost */
	VASD_RESYNC_GENERATION,		/* a new kernel instance (reload, reboot) */
	VASD_RESYNC_OVERRUN,		/* ENOBUFS: the receive buffer overflowed */
	VASD_RESYNC_INCONSISTENT,	/* an event contradicted the ledger */
	VASD_RESYNC_OBSERVED,		/* a picture of a stock kernel (no family, no seq) */
	_VASD_RESYNC_REASON_MAX,
	_VASD_RESYNC_REASON_INVALID = -EINVAL,
};

/* Inhibitor lock modes (INHIBITOR_*), as org.vasd1.Manager.Inhibit names them. */
enum vasd_lock_mode {
	VASD_LOCK_DELAY,		/* "delay": holds a migration, up to a bound */
	VASD_LOCK_BLOCK,		/* "block": vetoes it at check */
	_VASD_LOCK_MODE_MAX,
	_VASD_LOCK_MODE_INVALID = -EINVAL,
};

/* drmgr's hook phases, as its PHASE variable names them (MIGRATION_HOOK). */
enum vasd_hook_phase {
	VASD_HOOK_CHECK,
	VASD_HOOK_UNDOCHECK,
	VASD_HOOK_PRE,
	VASD_HOOK_POST,
	_VASD_HOOK_PHASE_MAX,
	_VASD_HOOK_PHASE_INVALID = -EINVAL,
};

/* What opened a migration (MIGRATION_OPEN). */
enum vasd_migration_origin {
	VASD_ORIGIN_CHECK,		/* "check" */
	VASD_ORIGIN_PRE,		/* "pre": no check came first */
	VASD_ORIGIN_KERNEL,		/* "kernel": a kernel phase, no hook first */
	_VASD_ORIGIN_MAX,
	_VASD_ORIGIN_INVALID = -EINVAL,
};

/* Why check said no (MIGRATION_VETO). */
enum vasd_veto {
	VASD_VETO_BLOCK_LOCK,		/* "block-lock": a client holds one */
	VASD_VETO_LEDGER,		/* "ledger": vasd cannot record */
	VASD_VETO_BUSY,			/* "busy": the kernel is migrating already */
	_VASD_VETO_MAX,
	_VASD_VETO_INVALID = -EINVAL,
};

/* How the wait for the delay locks ended (MIGRATION_QUIESCED). */
enum vasd_quiesce_end {
	VASD_QUIESCE_RELEASED,		/* "released": every lock asked was */
	VASD_QUIESCE_TIMEOUT,		/* "timeout": the bound passed first */
	VASD_QUIESCE_NONE,		/* "none": no delay lock was held */
	VASD_QUIESCE_LATE,		/* "late": the kernel was past prepare */
	VASD_QUIESCE_RESTART,		/* "restart": vasd restarted, the locks went with it */
	VASD_QUIESCE_CLOSED,		/* "closed": the migration ended first */
	_VASD_QUIESCE_END_MAX,
	_VASD_QUIESCE_END_INVALID = -EINVAL,
};

/* A window the kernel left active (MIGRATION_ANOMALY): the seed's race. */
enum vasd_anomaly {
	VASD_ANOMALY_ACTIVE_AT_SUSPENDED,	/* "active-at-suspended" */
	VASD_ANOMALY_OPENED_WHILE_SUSPENDED,	/* "opened-while-suspended": added after it */
	_VASD_ANOMALY_MAX,
	_VASD_ANOMALY_INVALID = -EINVAL,
};

/* An input that does not fit the running migration (MIGRATION_ERROR). */
enum vasd_coord_error {
	VASD_COORD_ERROR_NO_MIGRATION,		/* "no-migration": post with none open */
	VASD_COORD_ERROR_OUT_OF_ORDER,		/* "out-of-order": e.g. suspending before prepare */
	VASD_COORD_ERROR_TOKEN_MISMATCH,	/* "token-mismatch": another token than prepare's */
	VASD_COORD_ERROR_STREAM_MISMATCH,	/* "stream-mismatch": prepare of another stream */
	VASD_COORD_ERROR_ACK_MISSED,		/* "ack-missed": the kernel went on before the ack */
	VASD_COORD_ERROR_ACK_REFUSED,		/* "ack-refused": the kernel refused the ack */
	_VASD_COORD_ERROR_MAX,
	_VASD_COORD_ERROR_INVALID = -EINVAL,
};

/* How a migration ended (MIGRATION_CLOSE). */
enum vasd_migration_outcome {
	VASD_OUTCOME_COMPLETED,		/* "completed": as the kernel said */
	VASD_OUTCOME_ABORTED,		/* "aborted": as the kernel said */
	VASD_OUTCOME_UNKNOWN,		/* "unknown": post, and no kernel outcome */
	VASD_OUTCOME_CANCELLED,		/* "cancelled": undocheck */
	VASD_OUTCOME_VETOED,		/* "vetoed": check said no */
	VASD_OUTCOME_EXPIRED,		/* "expired": no pre followed the check */
	VASD_OUTCOME_ABANDONED,		/* "abandoned": a new migration began, no post came */
	_VASD_OUTCOME_MAX,
	_VASD_OUTCOME_INVALID = -EINVAL,
};

/*
 * What the coordinator's kinds carry; which field a kind uses is in
 * docs/migration.md. Numbers are vasd's: migrations and locks count from
 * 1 and are never reused (0: none).
 */
struct vasd_coord {
	uint64_t migration;
	uint64_t lock;
	uint64_t since;			/* CLOCK_REALTIME ns: when what ends at timestamp began */
	uint64_t token;			/* ERROR token-mismatch: the token vasd expected */
	uint32_t what;			/* the kind's enum, see vasd_coord_what_to_string() */
	uint32_t count;
	uint32_t total;
	uint32_t pid;			/* lock holder, hook caller; CLIENT_BLACKOUT: tgid */
	uint32_t uid;
	char comm[VAS_COMM_MAX];	/* of pid; always NUL-terminated */
};

struct vasd_event {
	int64_t position;		/* ledger position; 0 until stored */
	int kind;			/* enum vasd_event_kind */
	/*
	 * Kernel kinds: the instance and seq the kernel gave. RESYNC_END: the
	 * instance and seq the ledger is now consistent at. RESYNC_BEGIN with
	 * GAP/GENERATION: the generation and seq of the event that showed it.
	 * Otherwise 0.
	 */
	uint64_t generation;
	uint64_t seq;
	/* RESYNC_BEGIN with GAP: the first seq that never arrived; else 0. */
	uint64_t lost_from;
	uint64_t timestamp;		/* CLOCK_REALTIME ns: the kernel's, or vasd's for its own kinds */
	uint64_t recorded;		/* CLOCK_REALTIME ns: when vasd received or made it */
	uint32_t reason;		/* RESYNC_BEGIN: enum vasd_resync_reason */
	struct vas_window window;	/* WINDOW_*, RESYNC_WINDOW_* (DEL: as last known) */
	struct vas_caps caps;		/* CAPS_CHANGE, RESYNC_CAPS */
	struct vas_migration migration;	/* MIGRATION_CHANGE, RESYNC_MIGRATION; coordinator kinds that name the kernel's */
	struct vasd_coord coord;	/* coordinator kinds */
};

/*
 * The event of one kernel notification (WINDOW_ADD/DEL/CHANGE_NTF,
 * CAPS_CHANGE_NTF, MIGRATION_CHANGE_NTF). -EBADMSG when the message is not a
 * notification or lacks what its kind needs (generation, seq, timestamp,
 * the object); ret untouched then. Only the kind's object is copied (the
 * others stay zero); values are not checked here but by vasd_apply().
 */
int vasd_event_from_msg(const struct vas_msg *m, uint64_t recorded,
			struct vasd_event *ret);

/* Stable names, as stored in the ledger and printed: "window-add", ... */
const char *vasd_event_kind_to_string(int kind);
int vasd_event_kind_from_string(const char *s);
const char *vasd_resync_reason_to_string(int reason);
int vasd_resync_reason_from_string(const char *s);
const char *vasd_lock_mode_to_string(int mode);
int vasd_lock_mode_from_string(const char *s);	/* enum vasd_lock_mode, or -EINVAL */

/*
 * The name of a coordinator kind's what (e.g. "pre" for MIGRATION_HOOK);
 * NULL when out of range or the kind has none (ASKED, TIMEOUT, ACK,
 * BLACKOUT, CLIENT_BLACKOUT, and every other kind).
 */
const char *vasd_coord_what_to_string(int kind, uint32_t what);
int vasd_coord_what_from_string(int kind, const char *s);
/* A kind's what as apply() takes it: named, or 0 for a kind without one. */
bool vasd_coord_what_valid(int kind, uint32_t what);

/* Kinds that carry a kernel (generation, seq) and are subject to ordering. */
static inline int vasd_event_kind_is_kernel(int kind)
{
	return kind >= VASD_EVENT_WINDOW_ADD &&
	       kind <= VASD_EVENT_MIGRATION_CHANGE;
}

/* The migration coordinator's kinds. */
static inline int vasd_event_kind_is_coord(int kind)
{
	return kind >= VASD_EVENT_INHIBITOR_TAKE &&
	       kind <= VASD_EVENT_MIGRATION_UNCOORDINATED;
}
