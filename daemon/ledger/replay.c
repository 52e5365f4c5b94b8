// SPDX-License-Identifier: GPL-2.0-only
/*
 * ledger replay: the events replayed with vasd_apply(), to verify the
 * stored projection against them, and to compact them into a checkpoint.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "core/ledger-diff.h"
#include "ledger/ledger-internal.h"
#include "util/alloc.h"

static const char *const apply_result_names[] = {
	[VASD_APPLY_APPLIED] = "applied",
	[VASD_APPLY_STALE] = "stale",
	[VASD_APPLY_GAP] = "gap",
	[VASD_APPLY_GENERATION] = "generation",
	[VASD_APPLY_INCONSISTENT] = "inconsistent",
};

struct replay {
	struct vasd_state *state;
	int64_t n;
	int64_t last_position;
	uint64_t last_migration;	/* the highest coord.migration seen */
	char *error;
};

static int replay_one(const struct vasd_event *ev, void *userdata)
{
	struct replay *rp = userdata;
	const char *kind = vasd_event_kind_to_string(ev->kind);
	int r;

	rp->last_position = ev->position;
	if (ev->coord.migration > rp->last_migration)
		rp->last_migration = ev->coord.migration;
	r = vasd_apply(rp->state, ev, NULL);
	if (r == VASD_APPLY_APPLIED) {
		rp->n++;
		return 0;
	}
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return ledger_fail(&rp->error, -EUCLEAN,
			    "event %" PRId64 " (%s) is malformed",
			    ev->position, kind);
	return ledger_fail(&rp->error, -EUCLEAN,
		    "event %" PRId64 " (%s) does not apply: %s", ev->position,
		    kind, r < (int)ELEMENTSOF(apply_result_names) ?
		    apply_result_names[r] : "unknown result");
}

/*
 * The credits rows' used, which ledger_load_stored() does not take (the state
 * counts it from the windows), against the replay's.
 */
static int check_caps_used(struct ledger *l, const struct vasd_state *replay,
			   char **ret_error)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(l->db, "SELECT type, total, used FROM caps ORDER BY type",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return ledger_errno_from_sqlite(l->db, rc);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const struct vas_caps *c;
		struct vas_caps stored;
		const char *type;

		if (!row_column_caps(st, 0, &stored))
			return -EBADMSG;
		c = vasd_state_caps(replay, stored.type);
		if (!c || c->used == stored.used)
			continue;
		type = vas_win_type_to_string(stored.type);
		return ledger_fail(ret_error, -EUCLEAN,
			    "credits %s: stored used %" PRIu32 ", replay %" PRIu32,
			    type ? type : "?", stored.used, c->used);
	}
	if (rc != SQLITE_DONE)
		return ledger_errno_from_sqlite(l->db, rc);
	return 0;
}

static int read_checkpoint(struct ledger *l, struct ledger_checkpoint *ret)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(l->db, "SELECT position, created, events_removed, "
				"last_migration FROM checkpoint", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return ledger_errno_from_sqlite(l->db, rc);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return -ENODATA;
	if (rc != SQLITE_ROW)
		return ledger_errno_from_sqlite(l->db, rc);
	*ret = (struct ledger_checkpoint) {
		.position = sqlite3_column_int64(st, 0),
		.created = row_column_u64(st, 1),
		.events_removed = sqlite3_column_int64(st, 2),
		.last_migration = row_column_u64(st, 3),
	};
	return 0;
}

int ledger_get_checkpoint(struct ledger *l, struct ledger_checkpoint *ret)
{
	return read_checkpoint(l, ret);
}

/*
 * Where a replay of the ledger starts: the checkpoint's projection at its
 * position, or an empty state at position 0 (*ret_cp zeroed) when the
 * ledger was never compacted.
 */
static int replay_start(struct ledger *l, struct vasd_state *s,
			struct ledger_checkpoint *ret_cp, char **ret_error)
{
	struct ledger_checkpoint cp;
	int64_t n;
	int r;

	r = read_checkpoint(l, &cp);
	if (r == -ENODATA) {
		*ret_cp = (struct ledger_checkpoint) { .position = 0 };
		return 0;
	}
	if (r < 0)
		return r;
	r = ledger_load_projection(l, &ledger_checkpoint_tables, s);
	if (r == -EBADMSG)
		return ledger_fail(ret_error, -EUCLEAN,
			    "the checkpoint at position %" PRId64 " cannot be loaded: a row holds values the state refuses",
			    cp.position);
	if (r < 0)
		return r;
	/* they would be replayed on top of what they made */
	r = ledger_query_int(l, "SELECT count(*) FROM events WHERE position < "
		      "(SELECT position FROM checkpoint)", &n);
	if (r < 0)
		return r;
	if (n)
		return ledger_fail(ret_error, -EUCLEAN,
			    "%" PRId64 " events precede the checkpoint at position %" PRId64,
			    n, cp.position);
	*ret_cp = cp;
	return 0;
}

int ledger_verify(struct ledger *l, int64_t *ret_replayed,
		  struct ledger_checkpoint *ret_checkpoint, char **ret_error)
{
	_cleanup_(vasd_state_freep) struct vasd_state *stored = NULL;
	_cleanup_(vasd_state_freep) struct vasd_state *replayed = NULL;
	_cleanup_(freep) char *error = NULL;
	struct ledger_checkpoint cp = { .position = 0 };
	struct replay rp = { .n = 0 };
	bool started;
	int r;

	r = vasd_state_new(&stored);
	if (r < 0)
		return r;
	r = vasd_state_new(&replayed);
	if (r < 0)
		return r;
	rp.state = replayed;

	r = ledger_snapshot_begin(l, &started);
	if (r < 0)
		return r;
	/* what opening leaves out (quick_check): the indexes against their tables */
	r = ledger_check_pragma(l, "integrity_check", &error);
	if (r >= 0)
		r = replay_start(l, replayed, &cp, &error);
	if (r >= 0) {
		rp.last_position = cp.position ? cp.position - 1 : 0;
		r = ledger_foreach_event(l, cp.position, replay_one, &rp);
		if (rp.error)
			error = rp.error;
		if (r == -EBADMSG)
			r = ledger_fail(&error, -EUCLEAN,
				 "the event after position %" PRId64 " cannot be read: its kind, reason or values are unknown to this vasd",
				 rp.last_position);
	}
	if (r >= 0) {
		r = ledger_load_stored(l, stored);
		if (r == -EBADMSG)
			r = ledger_fail(&error, -EUCLEAN,
				 "the stored projection cannot be loaded: a row holds values the state refuses");
	}
	if (r >= 0) {
		r = ledger_diff(stored, replayed, &error);
		if (r > 0)
			r = -EUCLEAN;
	}
	if (r >= 0)
		r = check_caps_used(l, replayed, &error);
	if (r == -EUCLEAN && !error)
		r = ledger_fail(&error, r, "%s", sqlite3_errmsg(l->db));
	ledger_snapshot_end(l, started);
	if (r < 0 && r != -EUCLEAN)
		return r;

	if (ret_replayed)
		*ret_replayed = rp.n;
	if (ret_checkpoint)
		*ret_checkpoint = cp;
	if (ret_error) {
		*ret_error = error;
		error = NULL;
	}
	return r;
}

/* The state s as the checkpoint at position, replacing the one there was. */
static int write_checkpoint(struct ledger *l, const struct vasd_state *s,
			    int64_t position, uint64_t created,
			    int64_t events_removed, uint64_t last_migration)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *window = NULL;
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *row = NULL;
	const struct vas_migration *m = vasd_state_migration(s);
	const struct vas_window *w;
	size_t cursor = 0;
	int rc, r;

	r = ledger_exec(l, "DELETE FROM checkpoint_windows;"
		 "DELETE FROM checkpoint_caps;"
		 "DELETE FROM checkpoint_migration");
	if (r < 0)
		return r;

	rc = sqlite3_prepare_v2(l->db, "INSERT INTO checkpoint_windows (id, tgid, "
				"pid, comm, cop, type, state, reason, opened_at, uid) "
				"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)", -1,
				&window, NULL);
	if (rc != SQLITE_OK)
		return ledger_errno_from_sqlite(l->db, rc);
	while ((w = vasd_state_next_window(s, &cursor))) {
		row_bind_window(window, 1, w);
		r = ledger_stmt_run(l, window);
		if (r < 0)
			return r;
	}

	rc = sqlite3_prepare_v2(l->db, "INSERT INTO checkpoint_caps VALUES (?1, ?2)",
				-1, &row, NULL);
	if (rc != SQLITE_OK)
		return ledger_errno_from_sqlite(l->db, rc);
	for (uint32_t t = 0; t < VASD_N_TYPES; t++) {
		const struct vas_caps *c = vasd_state_caps(s, t);

		if (!c)
			continue;
		sqlite3_bind_int64(row, 1, c->type);
		sqlite3_bind_int64(row, 2, c->total);
		r = ledger_stmt_run(l, row);
		if (r < 0)
			return r;
	}
	sqlite3_finalize(row);
	row = NULL;

	if (m) {
		rc = sqlite3_prepare_v2(l->db, "INSERT INTO checkpoint_migration "
					"VALUES (1, ?1, ?2, ?3)", -1, &row, NULL);
		if (rc != SQLITE_OK)
			return ledger_errno_from_sqlite(l->db, rc);
		row_bind_migration(row, 1, m);
		r = ledger_stmt_run(l, row);
		if (r < 0)
			return r;
		sqlite3_finalize(row);
		row = NULL;
	}

	rc = sqlite3_prepare_v2(l->db, "INSERT OR REPLACE INTO checkpoint (one, "
				"position, created, events_removed, generation, "
				"seq, synced, last_migration) VALUES (1, ?1, ?2, "
				"?3, ?4, ?5, ?6, ?7)", -1, &row, NULL);
	if (rc != SQLITE_OK)
		return ledger_errno_from_sqlite(l->db, rc);
	sqlite3_bind_int64(row, 1, position);
	row_bind_u64(row, 2, created);
	sqlite3_bind_int64(row, 3, events_removed);
	row_bind_u64(row, 4, vasd_state_generation(s));
	row_bind_u64(row, 5, vasd_state_seq(s));
	sqlite3_bind_int(row, 6, vasd_state_synced(s));
	row_bind_u64(row, 7, last_migration);
	return ledger_stmt_run(l, row);
}

/* ledger_compact()'s work, in its transaction. */
static int compact(struct ledger *l, int64_t keep_from, int64_t max_positions,
		   uint64_t now, int64_t *ret_first, int64_t *ret_removed)
{
	_cleanup_(sqlite3_finalizep) sqlite3_stmt *del = NULL;
	_cleanup_(vasd_state_freep) struct vasd_state *s = NULL;
	struct ledger_checkpoint cp;
	struct replay rp = { .n = 0 };
	int64_t first, last, removed;
	int more = 0, rc, r;

	r = vasd_state_new(&s);
	if (r < 0)
		return r;
	r = replay_start(l, s, &cp, NULL);
	if (r < 0)
		return r;
	r = ledger_query_int(l, "SELECT coalesce(min(position), 0) FROM events", &first);
	if (r >= 0)
		r = ledger_query_int(l, "SELECT coalesce(max(position), 0) FROM events", &last);
	if (r < 0)
		return r;
	/* positions start at 1, even before the first event */
	if (!first)
		first = 1;
	/* the newest event stays: LastPosition names it */
	if (keep_from > last)
		keep_from = last;
	if (keep_from <= first) {
		*ret_first = first;
		*ret_removed = 0;
		return 0;
	}
	if (max_positions > 0 && keep_from - first > max_positions) {
		keep_from = first + max_positions;
		more = 1;
	}

	/* the state the removed events leave; they must replay */
	rp.state = s;
	r = ledger_foreach_event_range(l, first, keep_from, replay_one, &rp);
	free(rp.error);
	if (r == -EBADMSG)
		r = -EUCLEAN;
	if (r < 0)
		return r;

	/* a migration's records are kept (ledger/archive.c) */
	r = ledger_archive_range(l, first, keep_from);
	if (r < 0)
		return r;
	rc = sqlite3_prepare_v2(l->db, "DELETE FROM events WHERE position < ?1",
				-1, &del, NULL);
	if (rc != SQLITE_OK)
		return ledger_errno_from_sqlite(l->db, rc);
	sqlite3_bind_int64(del, 1, keep_from);
	r = ledger_stmt_run(l, del);
	if (r < 0)
		return r;
	removed = sqlite3_changes64(l->db);
	/* the numbers of the migrations removed are never given again */
	r = write_checkpoint(l, s, keep_from, now, cp.events_removed + removed,
			     rp.last_migration > cp.last_migration ?
			     rp.last_migration : cp.last_migration);
	if (r < 0)
		return r;
	*ret_first = keep_from;
	*ret_removed = removed;
	return more;
}

int ledger_compact(struct ledger *l, int64_t keep_from, int64_t max_positions,
		   uint64_t now, int64_t *ret_first, int64_t *ret_removed)
{
	int64_t first = 0, removed = 0;
	int r;

	if (l->mode != LEDGER_READ_WRITE)
		return -EROFS;
	if (l->in_transaction)
		return -EBUSY;
	if (keep_from < 0 || max_positions < 0)
		return -EINVAL;
	r = ledger_stmt_run_plain(l, STMT_BEGIN);
	if (r < 0)
		return r;
	r = compact(l, keep_from, max_positions, now, &first, &removed);
	if (r >= 0) {
		int more = r;

		r = ledger_stmt_run_plain(l, STMT_COMMIT);
		if (r >= 0)
			r = more;
	}
	if (r < 0) {
		/* SQLite may have rolled back already, after an I/O error */
		if (!sqlite3_get_autocommit(l->db))
			ledger_stmt_run_plain(l, STMT_ROLLBACK);
		return r;
	}
	if (ret_first)
		*ret_first = first;
	if (ret_removed)
		*ret_removed = removed;
	return r;
}
