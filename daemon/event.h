/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * event: one fact of the ledger. The kernel's notifications become events
 * one for one; vasd's own facts (a resync and what it found, start, stop)
 * are events too, so replaying the events reproduces everything the ledger
 * shows (DESIGN.md §4).
 *
 * Pure: no I/O, no globals.
 */
#pragma once

#include <errno.h>
#include <stdint.h>

#include "vas-msg.h"

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
	_VASD_RESYNC_REASON_MAX,
	_VASD_RESYNC_REASON_INVALID = -EINVAL,
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
	struct vas_migration migration;	/* MIGRATION_CHANGE, RESYNC_MIGRATION */
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

/* Kinds that carry a kernel (generation, seq) and are subject to ordering. */
static inline int vasd_event_kind_is_kernel(int kind)
{
	return kind >= VASD_EVENT_WINDOW_ADD &&
	       kind <= VASD_EVENT_MIGRATION_CHANGE;
}
