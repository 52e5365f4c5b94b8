// SPDX-License-Identifier: GPL-2.0-only
/*
 * ledger-schema: the forward migrations of the ledger. See ledger/schema.h.
 *
 * Every value is a typed column, NULL where an event's kind has none, so
 * that a replay reads integers and short strings, never parses documents.
 * u64 values (generation, tokens, stream ids) are stored as the int64 with
 * the same bits: SQLite integers are signed, and only equality matters.
 * Event kinds and resync reasons are stored by their stable names
 * (vasd_event_kind_to_string()), and so is the coordinator's what
 * (vasd_coord_what_to_string()); the kernel's enums (window type, state,
 * phase, ...) are uapi values and stored as numbers.
 *
 * (generation, seq) is unique among kernel events only: vasd's resync
 * events name the kernel position they refer to in the same columns, and
 * that may be the position of a stored kernel event (a resync right after
 * it) or of another resync (vasd restarted twice with nothing in between).
 *
 * position is AUTOINCREMENT: SQLite keeps the highest position ever used
 * (sqlite_sequence), so a compaction that deletes events never lets a
 * position be given twice.
 */
#include "ledger/schema.h"
#include "util/macro.h"

/* A window's columns: the projection's and the checkpoint's tables. */
#define WINDOW_COLUMNS				\
	"  id INTEGER PRIMARY KEY,"		\
	"  tgid INTEGER NOT NULL,"		\
	"  pid INTEGER NOT NULL,"		\
	"  comm TEXT NOT NULL,"			\
	"  cop INTEGER NOT NULL,"		\
	"  type INTEGER NOT NULL,"		\
	"  state INTEGER NOT NULL,"		\
	"  reason INTEGER NOT NULL,"		\
	"  opened_at INTEGER NOT NULL"

static const char step_1[] =
	/* Version 1: window events, the windows projection and the cursor. */
	"CREATE TABLE events ("
	"  position INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  kind TEXT NOT NULL,"
	"  generation INTEGER,"
	"  seq INTEGER,"
	"  lost_from INTEGER,"
	"  timestamp INTEGER NOT NULL,"
	"  recorded INTEGER NOT NULL,"
	"  reason TEXT,"
	"  window_id INTEGER,"
	"  window_tgid INTEGER,"
	"  window_pid INTEGER,"
	"  window_comm TEXT,"
	"  window_cop INTEGER,"
	"  window_type INTEGER,"
	"  window_state INTEGER,"
	"  window_reason INTEGER,"
	"  window_opened_at INTEGER"
	") STRICT;"
	"CREATE UNIQUE INDEX events_kernel_seq ON events (generation, seq)"
	"  WHERE kind IN ('window-add', 'window-del', 'window-change');"
	"CREATE TABLE windows ("
	WINDOW_COLUMNS
	") STRICT;"
	"CREATE TABLE cursor ("
	"  one INTEGER PRIMARY KEY CHECK (one = 1),"
	"  generation INTEGER NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  synced INTEGER NOT NULL CHECK (synced IN (0, 1))"
	") STRICT;"
	"INSERT INTO cursor VALUES (1, 0, 0, 0);";

static const char step_2[] =
	/*
	 * Version 2: credits and migrations, as events and projections; the
	 * uniqueness of kernel events covers their kinds too.
	 */
	"ALTER TABLE events ADD COLUMN caps_type INTEGER;"
	"ALTER TABLE events ADD COLUMN caps_total INTEGER;"
	"ALTER TABLE events ADD COLUMN caps_used INTEGER;"
	"ALTER TABLE events ADD COLUMN migration_stream_id INTEGER;"
	"ALTER TABLE events ADD COLUMN migration_phase INTEGER;"
	"ALTER TABLE events ADD COLUMN migration_token INTEGER;"
	"DROP INDEX events_kernel_seq;"
	"CREATE UNIQUE INDEX events_kernel_seq ON events (generation, seq)"
	"  WHERE kind IN ('window-add', 'window-del', 'window-change',"
	"                 'caps-change', 'migration-change');"
	"CREATE TABLE caps ("
	"  type INTEGER PRIMARY KEY,"
	"  total INTEGER NOT NULL,"
	"  used INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE migration ("
	"  one INTEGER PRIMARY KEY CHECK (one = 1),"
	"  stream_id INTEGER NOT NULL,"
	"  phase INTEGER NOT NULL,"
	"  token INTEGER NOT NULL"
	") STRICT;";

static const char step_3[] =
	/*
	 * Version 3: compaction. The checkpoint is the projection as the
	 * events before its position left it; those events are gone. One
	 * checkpoint at most: a later compaction replaces it. Credits keep
	 * their total only (used follows from the windows, as on loading the
	 * projection).
	 */
	"CREATE TABLE checkpoint ("
	"  one INTEGER PRIMARY KEY CHECK (one = 1),"
	"  position INTEGER NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  events_removed INTEGER NOT NULL,"
	"  generation INTEGER NOT NULL,"
	"  seq INTEGER NOT NULL,"
	"  synced INTEGER NOT NULL CHECK (synced IN (0, 1))"
	") STRICT;"
	"CREATE TABLE checkpoint_windows ("
	WINDOW_COLUMNS
	") STRICT;"
	"CREATE TABLE checkpoint_caps ("
	"  type INTEGER PRIMARY KEY,"
	"  total INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE checkpoint_migration ("
	"  one INTEGER PRIMARY KEY CHECK (one = 1),"
	"  stream_id INTEGER NOT NULL,"
	"  phase INTEGER NOT NULL,"
	"  token INTEGER NOT NULL"
	") STRICT;";

static const char step_4[] =
	/*
	 * Version 4: the migration coordinator's facts (struct vasd_coord;
	 * docs/migration.md). Its kinds existed before but stored only their
	 * kind and times. vasd finds the last migration opened at start
	 * (migration_machine_restore()): the partial index holds only those
	 * rows, so a search is one lookup and the other events cost nothing.
	 * A compaction keeps the highest migration number its events named
	 * in the checkpoint, so that no number is given twice.
	 */
	"ALTER TABLE events ADD COLUMN coord_migration INTEGER;"
	"ALTER TABLE events ADD COLUMN coord_lock INTEGER;"
	"ALTER TABLE events ADD COLUMN coord_since INTEGER;"
	"ALTER TABLE events ADD COLUMN coord_token INTEGER;"
	"ALTER TABLE events ADD COLUMN coord_what TEXT;"
	"ALTER TABLE events ADD COLUMN coord_count INTEGER;"
	"ALTER TABLE events ADD COLUMN coord_total INTEGER;"
	"ALTER TABLE events ADD COLUMN coord_pid INTEGER;"
	"ALTER TABLE events ADD COLUMN coord_uid INTEGER;"
	"ALTER TABLE events ADD COLUMN coord_comm TEXT;"
	"CREATE INDEX events_migration_open ON events (position)"
	"  WHERE kind = 'migration-open';"
	"ALTER TABLE checkpoint ADD COLUMN last_migration INTEGER NOT NULL"
	"  DEFAULT 0;";

static const char step_5[] =
	/*
	 * Version 5: the archive. Retention (daemon/retention.c) and
	 * CompactLedger remove old events, but never a migration's records:
	 * what compaction removes of them is copied here first, row for row,
	 * so that vasctl migration status reads every migration the ledger
	 * ever saw. The columns are the events' in the same order (a unit
	 * test compares them), so that a row moves with SELECT *; position is
	 * the event's, never given again (sqlite_sequence keeps the events').
	 * A later version that adds a column to events adds it here too.
	 */
	"CREATE TABLE archive ("
	"  position INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  generation INTEGER,"
	"  seq INTEGER,"
	"  lost_from INTEGER,"
	"  timestamp INTEGER NOT NULL,"
	"  recorded INTEGER NOT NULL,"
	"  reason TEXT,"
	"  window_id INTEGER,"
	"  window_tgid INTEGER,"
	"  window_pid INTEGER,"
	"  window_comm TEXT,"
	"  window_cop INTEGER,"
	"  window_type INTEGER,"
	"  window_state INTEGER,"
	"  window_reason INTEGER,"
	"  window_opened_at INTEGER,"
	"  caps_type INTEGER,"
	"  caps_total INTEGER,"
	"  caps_used INTEGER,"
	"  migration_stream_id INTEGER,"
	"  migration_phase INTEGER,"
	"  migration_token INTEGER,"
	"  coord_migration INTEGER,"
	"  coord_lock INTEGER,"
	"  coord_since INTEGER,"
	"  coord_token INTEGER,"
	"  coord_what TEXT,"
	"  coord_count INTEGER,"
	"  coord_total INTEGER,"
	"  coord_pid INTEGER,"
	"  coord_uid INTEGER,"
	"  coord_comm TEXT"
	") STRICT;"
	"CREATE INDEX archive_migration_open ON archive (position)"
	"  WHERE kind = 'migration-open';";

static const char step_6[] =
	/*
	 * Version 6: the uid of a window's owner, which the observe source
	 * reads from /proc and the family sends as VAS_A_WINDOW_UID. NULL:
	 * not known (an older kernel, or a row from before this version).
	 * Added to events and archive alike, so that their columns stay the
	 * same in the same order.
	 */
	"ALTER TABLE events ADD COLUMN window_uid INTEGER;"
	"ALTER TABLE archive ADD COLUMN window_uid INTEGER;"
	"ALTER TABLE windows ADD COLUMN uid INTEGER;"
	"ALTER TABLE checkpoint_windows ADD COLUMN uid INTEGER;";

const char *const ledger_schema_steps[] = {
	step_1,
	step_2,
	step_3,
	step_4,
	step_5,
	step_6,
};

const size_t ledger_schema_n_steps = ELEMENTSOF(ledger_schema_steps);
