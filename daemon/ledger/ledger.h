/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ledger: the SQLite file that holds the events (the truth) and their
 * projection (DESIGN.md §4). One writer (vasd); any number of read-only
 * readers (vasctl ledger ...), which WAL lets run while vasd writes.
 *
 * This is the I/O edge for storage: it runs SQL and nothing else. What the
 * projection becomes is decided by vasd_apply() (state.h); the ledger
 * mirrors its effects in the same transaction as the event.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/event.h"
#include "core/state.h"
#include "util/macro.h"

/* application_id: "VASD" */
#define LEDGER_APPLICATION_ID 0x56415344

struct ledger;

enum ledger_mode {
	LEDGER_READ_WRITE,	/* create if missing, migrate the schema forward */
	LEDGER_READ_ONLY,	/* never writes; fails with -ENOENT when missing */
};

/*
 * Open (and for READ_WRITE create/migrate) the ledger at path, check
 * application_id, user_version and PRAGMA integrity_check (READ_ONLY:
 * quick_check, the same but for the indexes' cross-check, 4 times
 * faster). Errors:
 *   -EMEDIUMTYPE  the file is not a vasd ledger (foreign application_id, or
 *                 not SQLite at all); it is left untouched
 *   -EUCLEAN      the check failed; left untouched
 *   -EPROTONOSUPPORT  written by a newer vasd (user_version too high), or,
 *                 READ_ONLY, by an older one (only a writer migrates)
 *   READ_WRITE, the path (before SQLite opens it; left untouched):
 *   -EBUSY        another process holds the ledger (its flock(): another
 *                 vasd)
 *   -ELOOP        a symbolic link (or -wal, -shm, -journal is one)
 *   -EISDIR, -EBADFD  a directory; not a regular file (a FIFO, a socket,
 *                 a device), or a sidecar file that is not one
 *   -ENOMEDIUM    an existing file of 0 bytes
 *   -ENOSPC, -EIO, -EACCES, -ENOENT ...
 * ret_error (may be NULL) receives a malloc'ed one-line explanation for any
 * failure (SQLite's message, the integrity report's first line).
 *
 * READ_ONLY never writes the ledger file. Like any reader of a WAL
 * database it may create the empty -wal and -shm files beside it when no
 * writer has them open.
 */
int ledger_open(const char *path, enum ledger_mode mode, struct ledger **ret,
		char **ret_error);
struct ledger *ledger_free(struct ledger *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct ledger, ledger_free)

/*
 * Where vasd keeps its ledger: $STATE_DIRECTORY/ledger.db (its first
 * entry, as systemd's StateDirectory= sets it), else
 * /var/lib/vasd/ledger.db. malloc'ed.
 */
int ledger_default_path(char **ret);

/* The schema version this build writes; the file's version. */
int ledger_schema_version(void);
int ledger_file_version(struct ledger *l);

/*
 * Load the stored projection into an empty state (start-up, verify).
 * -EUCLEAN when a stored row is one the state refuses.
 */
int ledger_load_state(struct ledger *l, struct vasd_state *s);

/*
 * Group commit: begin (BEGIN IMMEDIATE), append any number of events with
 * the effect apply() returned for each (sets ev->position), commit. The
 * projection rows follow each effect; the cursor row is written once, at
 * commit, from the last effect that had VASD_EFFECT_CURSOR.
 *
 * An error from append or commit is fatal for the writer (DESIGN.md §4:
 * never retried): the whole transaction is rolled back, nothing of it is
 * stored, and the ledger is out of the transaction. -ENOSPC: SQLITE_FULL;
 * -EIO: SQLITE_IOERR; -EEXIST: a kernel event's (generation, seq) is
 * already stored; -EINVAL: no transaction, or an unknown kind.
 */
int ledger_begin(struct ledger *l);
int ledger_append(struct ledger *l, struct vasd_event *ev,
		  const struct vasd_effect *effect);
int ledger_commit(struct ledger *l);
void ledger_rollback(struct ledger *l);
bool ledger_in_transaction(const struct ledger *l);

/*
 * Hold one snapshot across several reads, which otherwise each see the
 * latest COMMIT (a reader beside vasd). -EBUSY inside a transaction.
 */
int ledger_read_begin(struct ledger *l);
void ledger_read_end(struct ledger *l);

/* Last stored position (0 for an empty ledger). */
int64_t ledger_last_position(struct ledger *l);

/*
 * The position of the last MIGRATION_OPEN event (an index finds it at
 * once); -ENODATA when there is none.
 */
int ledger_last_migration_open(struct ledger *l, int64_t *ret);

/*
 * The last MIGRATION_OPEN's position when no MIGRATION_CLOSE follows it:
 * a migration still open; -ENODATA when there is none.
 */
int ledger_open_migration(struct ledger *l, int64_t *ret);

/* First stored position (0 for an empty ledger). */
int64_t ledger_first_position(struct ledger *l);

/*
 * The position of the MIGRATION_OPEN event of the migration vasd
 * numbered migration (the same index); -ENODATA when the ledger has none:
 * never opened, or compacted away.
 */
int ledger_find_migration_open(struct ledger *l, uint64_t migration,
			       int64_t *ret);


/*
 * Each event with position >= from, in order, as one snapshot (a writer
 * appending meanwhile is not seen); a negative fn return stops and is
 * returned. -EBADMSG for a row whose kind or reason this build does not
 * know.
 */
typedef int (*ledger_event_fn)(const struct vasd_event *ev, void *userdata);
int ledger_foreach_event(struct ledger *l, int64_t from, ledger_event_fn fn,
			 void *userdata);

/*
 * The archive (schema 5): what compaction removed of the migrations'
 * records (ledger/archive.c) is still read, as one history with the
 * events. ledger_foreach_record() is ledger_foreach_event() over the
 * archive then the events; the two finders are ledger_last_migration_open()
 * and ledger_find_migration_open() that look in the archive too. The
 * coordinator restores from the events alone.
 */
int ledger_foreach_record(struct ledger *l, int64_t from, ledger_event_fn fn,
			  void *userdata);
int ledger_last_migration_record(struct ledger *l, int64_t *ret);
int ledger_find_migration_record(struct ledger *l, uint64_t migration,
				 int64_t *ret);

/*
 * What each kind's events carry, field by field, is core/event-fields.h:
 * the columns of the events are its fields (ledger/row.c). The columns of
 * what a kind does not carry are NULL, read back as 0.
 */

struct ledger_stats {
	int64_t n_events;
	int64_t first_position, last_position;
	int64_t n_events_by_kind[_VASD_EVENT_KIND_MAX];
	int64_t n_resyncs;
	int64_t n_windows;		/* projection */
	uint64_t generation, seq;	/* projection's cursor */
	bool synced;
	int64_t file_bytes, wal_bytes;
	int64_t used_bytes;		/* the pages in use: file_bytes less the free ones */
	int64_t n_archived;		/* rows in the archive */
	int schema_version;
};
int ledger_stats(struct ledger *l, struct ledger_stats *ret);

/* The bytes of the file's pages in use (the free pages left out). */
int ledger_used_bytes(struct ledger *l, int64_t *ret);

/*
 * The first event recorded at or after recorded (CLOCK_REALTIME ns);
 * -ENODATA when none is.
 */
int ledger_first_position_since(struct ledger *l, uint64_t recorded,
				int64_t *ret);

/*
 * Compaction (DESIGN.md §4: it bounds replay time). The events before a
 * position are replaced by a checkpoint: the projection as they left it,
 * with the cursor. There is one checkpoint at most; a later compaction
 * replays the events it removes onto the last one. Positions are never
 * given twice (AUTOINCREMENT), so a position seen once names one event
 * forever, or none after a compaction.
 */
struct ledger_checkpoint {
	int64_t position;	/* the first event kept: the checkpoint holds what came before */
	uint64_t created;	/* CLOCK_REALTIME ns of the compaction */
	int64_t events_removed;	/* by all compactions so far */
	uint64_t last_migration;/* the highest coord.migration they named */
};

/* The checkpoint; -ENODATA when the ledger was never compacted. */
int ledger_get_checkpoint(struct ledger *l, struct ledger_checkpoint *ret);

/*
 * Replace the events before position keep_from by a checkpoint, in one
 * transaction: the events are replayed onto the previous checkpoint (or
 * an empty state), the result stored as the checkpoint at keep_from, and
 * the events deleted. keep_from past the last event is taken as the last:
 * the newest event always stays. Nothing changes when keep_from is at or
 * before the first event. max_positions > 0 bounds one call to the events
 * of that many positions, so that a caller on an event loop can compact
 * in steps, each a complete compaction. ret_first: the first position
 * kept; ret_removed: events this call removed (both may be NULL). The
 * file does not shrink: SQLite reuses the freed pages for new events.
 *
 * Returns 0 when the history starts at keep_from (or could not start
 * later), 1 when max_positions stopped it short: call again. -EROFS:
 * read-only; -EBUSY: a transaction is open; -EINVAL: keep_from or
 * max_positions is negative; -EUCLEAN: the events to remove do not replay
 * onto the checkpoint (the ledger is damaged; `vasctl ledger verify` says
 * where) and nothing is removed; -ENOSPC, -EIO: as ledger_commit(), rolled
 * back.
 */
int ledger_compact(struct ledger *l, int64_t keep_from, int64_t max_positions,
		   uint64_t now, int64_t *ret_first, int64_t *ret_removed);

/* vasd's max_positions: a step of about 0.2 s (bench/replay). */
#define LEDGER_COMPACT_STEP 50000

/*
 * Replay the events into a fresh state with vasd_apply() and compare it
 * with the stored projection, both read in one snapshot. The replay starts
 * from the checkpoint, when the ledger was compacted, with the events
 * from its position on. ret_replayed: events replayed; ret_checkpoint:
 * the checkpoint it started from (position 0: none); ret_error: a
 * malloc'ed description of the first difference (NULL when equal); each
 * may be NULL. Returns 0 when equal, -EUCLEAN when they differ (or an
 * event does not apply, or the checkpoint cannot be loaded), other -errno
 * on I/O errors.
 */
int ledger_verify(struct ledger *l, int64_t *ret_replayed,
		  struct ledger_checkpoint *ret_checkpoint, char **ret_error);

/* A message for the errors of ledger_open(). */
const char *ledger_strerror(int error);
