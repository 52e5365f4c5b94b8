/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * migration: the coordinator of partition migrations (DESIGN.md §6), one
 * state machine for both paths: drmgr's hooks (check, undocheck, pre,
 * post: they carry no stream id, so vasd names the migration) and the
 * kernel's phases (prepare carries the token the kernel waits for).
 * docs/migration.md has the states, the transitions and why.
 *
 * Pure: inputs in, effects out. No I/O, no clock, no globals: the caller
 * gives the time with every input, arms the one timer the machine asks
 * for, and carries the effects out (bus signals and replies, the kernel's
 * ack, ledger events).
 *
 * Order of effects: they come in the order they happened. Records are
 * ledger events (every fact, DESIGN.md §4); since nothing is reported
 * before its COMMIT, append the records, commit, then send the signals,
 * acks and replies.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/event.h"
#include "core/state.h"
#include "util/macro.h"

/* Decimal migration number and NUL. */
#define MIGRATION_NAME_MAX 21
/* Anomaly records a migration makes at most (its total is in each). */
#define MIGRATION_ANOMALIES_MAX 64

/* Bounds vasd uses unless told otherwise (docs/migration.md says why). */
#define MIGRATION_CHECK_EXPIRY_DEFAULT	(15 * 60 * 1000000000ULL)
#define MIGRATION_POST_WAIT_DEFAULT	(120 * 1000000000ULL)
/* How long a post that came before the kernel's end waits for it */
#define MIGRATION_POST_SETTLE		(5 * 1000000000ULL)

struct migration_config {
	/* InhibitDelayMaxUSec, in ns: how long pre and prepare wait for delay locks */
	uint64_t delay_max;
	/* How long a check stays open without a pre (HMC validation runs check only) */
	uint64_t check_expiry;
	/* How long a hook-driven migration waits for post once the kernel ended it */
	uint64_t post_wait;
};

enum migration_state {
	MIGRATION_IDLE,			/* no migration open */
	MIGRATION_CHECKED,		/* check said yes; clients not asked yet */
	MIGRATION_QUIESCING,		/* asked, waiting for delay locks or the bound */
	MIGRATION_QUIESCED,		/* the wait is over; until post or the kernel's end */
	_MIGRATION_STATE_MAX,
	_MIGRATION_STATE_INVALID = -EINVAL,
};

enum migration_input_type {
	MIGRATION_INPUT_HOOK,		/* drmgr ran a hook (vasctl called vasd) */
	MIGRATION_INPUT_EVENT,		/* a ledger event was applied */
	MIGRATION_INPUT_ACK_REFUSED,	/* the kernel refused an ack */
	MIGRATION_INPUT_LOCK_TAKEN,	/* Inhibit() gave a lock */
	MIGRATION_INPUT_LOCK_RELEASED,	/* its fd was closed, or its holder died */
	MIGRATION_INPUT_TIMER,		/* the timer the machine asked for fired */
	MIGRATION_INPUT_LEDGER,		/* the ledger's health changed */
};

struct migration_input {
	enum migration_input_type type;
	uint64_t now;			/* CLOCK_MONOTONIC ns: deadlines, durations */
	uint64_t realtime;		/* CLOCK_REALTIME ns: the records' timestamps */
	union {
		/* HOOK: answered by a REPLY effect with this call, now or later */
		struct {
			uint32_t phase;		/* enum vasd_hook_phase */
			uint64_t call;		/* the caller's handle for the reply */
			uint32_t pid, uid;	/* who ran the hook */
			char comm[VAS_COMM_MAX];
		} hook;
		/*
		 * EVENT: after vasd_apply() applied it. Window and migration
		 * kinds (kernel and resync) matter, the others are ignored.
		 * state is the projection after the event: at the kernel's
		 * suspended, its active windows are the race's anomalies
		 * (NULL: not looked for).
		 */
		struct {
			const struct vasd_event *event;
			const struct vasd_state *state;
		} event;
		/* ACK_REFUSED: what COORD_ACK returned for this token */
		struct {
			uint64_t token;
			int error;		/* negative errno */
		} ack;
		/* LOCK_TAKEN: who, why and user are copied */
		struct {
			uint64_t id;		/* vasd's, never reused */
			enum vasd_lock_mode mode;
			uint32_t pid, uid;
			char comm[VAS_COMM_MAX];
			const char *who, *why;
			/* uid's name when it has one (NULL or ""), for the
			 * veto line only: not recorded */
			const char *user;
		} lock;
		/* LOCK_RELEASED */
		struct {
			uint64_t id;
		} release;
		/* LEDGER: while unhealthy, check vetoes with reason (copied) */
		struct {
			bool healthy;
			const char *reason;
		} ledger;
	};
};

enum migration_effect_type {
	MIGRATION_EFFECT_RECORD,	/* append record to the ledger */
	MIGRATION_EFFECT_SIGNAL,	/* emit PrepareForMigration(active, name) */
	MIGRATION_EFFECT_TIMER,		/* arm the one timer at deadline (CLOCK_MONOTONIC ns); 0: disarm */
	MIGRATION_EFFECT_ACK,		/* COORD_ACK with token */
	MIGRATION_EFFECT_REPLY,		/* answer the hook call */
};

enum migration_reply {
	MIGRATION_REPLY_OK,		/* the hook exits 0 */
	MIGRATION_REPLY_VETO,		/* check only: the hook prints message, exits non-zero */
	MIGRATION_REPLY_ERROR,		/* the phase does not fit: message says why */
};

struct migration_effect {
	enum migration_effect_type type;
	union {
		struct vasd_event record;
		struct {
			bool active;
			char name[MIGRATION_NAME_MAX];
		} signal;
		uint64_t deadline;
		uint64_t token;
		struct {
			uint64_t call;
			enum migration_reply result;
			const char *message;	/* one line, no newline */
		} reply;
	};
};

struct migration_machine;

/*
 * A machine with no migration open, no lock held, the ledger healthy, and
 * migrations numbered from 1. -EINVAL for a zero bound, -ENOMEM.
 */
int migration_machine_new(const struct migration_config *config,
			  struct migration_machine **ret);
struct migration_machine *migration_machine_free(struct migration_machine *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct migration_machine, migration_machine_free)

/*
 * Feed one input. *ret_effects (n in *ret_n, possibly 0) stays valid until
 * the next feed, restore or free. Returns 0; -EINVAL for an input that is
 * malformed whatever the state (an unknown type, hook phase, lock mode or
 * kernel phase, a lock id 0), -EEXIST for a lock id taken twice, -ENOENT
 * for a release of an unknown one: these change nothing and have no
 * effects. An input that
 * does not fit the running migration is not an error here: it has its
 * reply and its record. -ENOMEM: effects may be missing, and the machine
 * is only fit to be freed (vasd exits; the restart restores it).
 *
 * Times must not go backwards between inputs.
 */
int migration_machine_feed(struct migration_machine *m,
			   const struct migration_input *in,
			   const struct migration_effect **ret_effects,
			   size_t *ret_n);

/*
 * After a restart, before any feed: rebuild the unfinished migration from
 * the ledger's events (at least every event since the last MIGRATION_OPEN,
 * in order; all of them will do) and the kernel's current migration
 * (vasd_state_migration() after the first resync; NULL when there is no
 * kernel part). Locks died with the old vasd: a wait in progress ends
 * (recorded as "restart"), clients asked before are told again
 * (PrepareForMigration(true)), and a kernel-driven migration the kernel
 * finished meanwhile is closed. Numbering continues after the highest
 * migration number seen. -EBUSY when the machine was fed already,
 * -EINVAL for a kernel phase out of range, -ENOMEM as for feed.
 */
int migration_machine_restore(struct migration_machine *m,
			      const struct vasd_event *events, size_t n,
			      const struct vas_migration *kernel,
			      uint64_t now, uint64_t realtime,
			      const struct migration_effect **ret_effects,
			      size_t *ret_n);

enum migration_state migration_machine_state(const struct migration_machine *m);
/* The open migration's number and name; 0 and NULL when idle. */
uint64_t migration_machine_id(const struct migration_machine *m);
const char *migration_machine_name(const struct migration_machine *m);

const char *migration_state_to_string(enum migration_state s);
