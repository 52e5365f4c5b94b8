// SPDX-License-Identifier: GPL-2.0-only
/*
 * vasctl ledger verify|export|stats: read vasd's ledger file directly,
 * without vasd. The file is opened read-only: SQLite's WAL lets these run
 * while vasd writes, each seeing one committed snapshot.
 *
 * The JSON that export and stats --json print is described in
 * proto/ledger-export.md.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json.h>

#include "ledger/ledger.h"
#include "util/human.h"
#include "vasctl-json.h"
#include "vasctl.h"

enum ledger_verb {
	VERB_VERIFY,
	VERB_EXPORT,
	VERB_STATS,
	_VERB_MAX,
};

static const char *const verb_names[_VERB_MAX] = {
	[VERB_VERIFY] = "verify",
	[VERB_EXPORT] = "export",
	[VERB_STATS] = "stats",
};

struct args {
	const char *path;
	int64_t from;
	bool has_from;
	bool json;
};

static void ledger_usage(FILE *f)
{
	fputs("Usage: vasctl ledger verify|export|stats [OPTIONS]\n"
	      "\n"
	      "Read vasd's ledger file (read-only; vasd may be running).\n"
	      "\n"
	      "Commands:\n"
	      "  verify                   Replay every event and compare with the stored\n"
	      "                           projection\n"
	      "  export                   Print the events as JSON, one a line\n"
	      "  stats                    Summarize the ledger\n"
	      "\n"
	      "Options:\n"
	      "  -d --database=PATH       The ledger (default $STATE_DIRECTORY/ledger.db,\n"
	      "                           else /var/lib/vasd/ledger.db)\n"
	      "     --from=POSITION       export: start at this position (default: the first)\n"
	      "     --json                stats: print JSON\n"
	      "  -h --help                Show this help\n"
	      "\n"
	      "Exit status: 0 success (verify: the projection equals the replay);\n"
	      "1 verify: they differ, or another failure; 2 usage error;\n"
	      "4 the ledger cannot be opened or read.\n", f);
}

static int open_ledger(const char *path, struct ledger **ret)
{
	char *error = NULL;
	int r;

	r = ledger_open(path, LEDGER_READ_ONLY, ret, &error);
	if (r < 0) {
		vasctl_error("cannot open ledger: %s (%s)", ledger_strerror(r),
			     error ? error : path);
		free(error);
		return VASCTL_EXIT_NO_LEDGER;
	}
	return VASCTL_EXIT_OK;
}

static int finish_output(void)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		vasctl_error("ledger: cannot write the output: %s",
			     strerror(errno));
		return VASCTL_EXIT_FAILURE;
	}
	return VASCTL_EXIT_OK;
}

static int run_verify(struct ledger *l, const char *path)
{
	struct ledger_checkpoint cp = { .position = 0 };
	int64_t replayed = 0;
	char *error = NULL;
	int r;

	r = ledger_verify(l, &replayed, &cp, &error);
	if (r < 0 && r != -EUCLEAN) {
		vasctl_error("ledger verify: cannot read %s: %s", path,
			     strerror(-r));
		return VASCTL_EXIT_NO_LEDGER;
	}
	printf("ledger:   %s (schema version %d)\n", path,
	       ledger_file_version(l));
	if (cp.position)
		printf("history:  from position %" PRId64 ", on a checkpoint of %" PRId64 " compacted events\n",
		       cp.position, cp.events_removed);
	printf("replayed: %" PRId64 " events\n", replayed);
	if (r == 0)
		printf("result:   equal\n");
	else
		printf("result:   differs: %s\n", error ? error : "(no detail)");
	free(error);
	r = r == 0 ? VASCTL_EXIT_OK : VASCTL_EXIT_FAILURE;
	return finish_output() == VASCTL_EXIT_OK ? r : VASCTL_EXIT_FAILURE;
}

/* Tells the ledger's errors from ours: only ours stop with a flag set. */
struct export {
	bool failed;
};

static int export_one(const struct vasd_event *ev, void *userdata)
{
	struct export *ex = userdata;
	struct json_object *o = vasctl_json_event(ev);
	int r;

	r = o ? vasctl_json_print(o) : -ENOMEM;
	json_object_put(o);
	if (r < 0)
		ex->failed = true;
	return r;
}

/* Where the history starts, when compacted and from reaches back to it. */
static int export_checkpoint(struct ledger *l, int64_t from, struct export *ex)
{
	struct ledger_checkpoint cp;
	struct json_object *o;
	int r;

	r = ledger_get_checkpoint(l, &cp);
	if (r == -ENODATA || (r >= 0 && from > cp.position))
		return 0;
	if (r < 0)
		return r;
	o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "kind", json_object_new_string("checkpoint"));
	json_object_object_add(o, "first_position",
			       json_object_new_int64(cp.position));
	json_object_object_add(o, "timestamp",
			       json_object_new_uint64(cp.created));
	json_object_object_add(o, "events_removed",
			       json_object_new_int64(cp.events_removed));
	json_object_object_add(o, "last_migration",
			       json_object_new_uint64(cp.last_migration));
	r = vasctl_json_print(o);
	json_object_put(o);
	if (r < 0)
		ex->failed = true;
	return r;
}

static int run_export(struct ledger *l, const char *path, int64_t from)
{
	struct export ex = { .failed = false };
	int r;

	/* the checkpoint and the events of one snapshot */
	r = ledger_read_begin(l);
	if (r >= 0)
		r = export_checkpoint(l, from, &ex);
	if (r >= 0)
		r = ledger_foreach_event(l, from, export_one, &ex);
	ledger_read_end(l);
	if (r < 0 && ex.failed) {
		vasctl_error("ledger export: cannot write the output: %s",
			     strerror(-r));
		return VASCTL_EXIT_FAILURE;
	}
	if (r < 0) {
		vasctl_error("ledger export: cannot read %s: %s", path,
			     r == -EBADMSG ?
			     "an event of a kind this vasctl does not know" :
			     strerror(-r));
		return VASCTL_EXIT_NO_LEDGER;
	}
	return finish_output();
}

static void print_stats_text(const struct ledger_stats *st, const char *path)
{
	char file[HUMAN_BYTES_MAX], wal[HUMAN_BYTES_MAX], used[HUMAN_BYTES_MAX];

	human_bytes(file, st->file_bytes);
	human_bytes(wal, st->wal_bytes);
	human_bytes(used, st->used_bytes);
	printf("Ledger:   %s\n"
	       "Schema:   version %d\n", path, st->schema_version);
	if (st->n_events)
		printf("Events:   %" PRId64 " (positions %" PRId64 "..%" PRId64 ")\n",
		       st->n_events, st->first_position, st->last_position);
	else
		printf("Events:   0\n");
	for (int k = 0; k < _VASD_EVENT_KIND_MAX; k++)
		if (st->n_events_by_kind[k])
			printf("          %-22s %" PRId64 "\n",
			       vasd_event_kind_to_string(k),
			       st->n_events_by_kind[k]);
	printf("Resyncs:  %" PRId64 "\n"
	       "Windows:  %" PRId64 "\n"
	       "Cursor:   generation %016" PRIx64 ", seq %" PRIu64 ", %s\n"
	       "Archive:  %" PRId64 " migration records kept from compacted history\n"
	       "Size:     %s (%s in use), WAL %s\n",
	       st->n_resyncs, st->n_windows, st->generation, st->seq,
	       st->synced ? "synced" : "not synced", st->n_archived, file, used,
	       wal);
}

static struct json_object *json_stats(const struct ledger_stats *st,
				      const char *path)
{
	struct json_object *o = json_object_new_object();
	struct json_object *kinds = json_object_new_object();
	struct json_object *cursor = json_object_new_object();

	for (int k = 0; k < _VASD_EVENT_KIND_MAX; k++)
		json_object_object_add(kinds, vasd_event_kind_to_string(k),
				       json_object_new_int64(st->n_events_by_kind[k]));
	json_object_object_add(cursor, "generation", vasctl_json_hex(st->generation));
	json_object_object_add(cursor, "seq", json_object_new_uint64(st->seq));
	json_object_object_add(cursor, "synced",
			       json_object_new_boolean(st->synced));

	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "schema_version",
			       json_object_new_int(st->schema_version));
	json_object_object_add(o, "events", json_object_new_int64(st->n_events));
	json_object_object_add(o, "first_position",
			       json_object_new_int64(st->first_position));
	json_object_object_add(o, "last_position",
			       json_object_new_int64(st->last_position));
	json_object_object_add(o, "events_by_kind", kinds);
	json_object_object_add(o, "resyncs", json_object_new_int64(st->n_resyncs));
	json_object_object_add(o, "windows", json_object_new_int64(st->n_windows));
	json_object_object_add(o, "cursor", cursor);
	json_object_object_add(o, "file_bytes",
			       json_object_new_int64(st->file_bytes));
	json_object_object_add(o, "wal_bytes",
			       json_object_new_int64(st->wal_bytes));
	json_object_object_add(o, "used_bytes",
			       json_object_new_int64(st->used_bytes));
	json_object_object_add(o, "archived",
			       json_object_new_int64(st->n_archived));
	return o;
}

static int run_stats(struct ledger *l, const char *path, bool json)
{
	struct ledger_stats st;
	int r;

	r = ledger_stats(l, &st);
	if (r < 0) {
		vasctl_error("ledger stats: cannot read %s: %s", path,
			     strerror(-r));
		return VASCTL_EXIT_NO_LEDGER;
	}
	if (json) {
		struct json_object *o = json_stats(&st, path);

		r = o ? vasctl_json_print(o) : -ENOMEM;
		json_object_put(o);
		if (r < 0) {
			vasctl_error("ledger stats: %s", strerror(-r));
			return VASCTL_EXIT_FAILURE;
		}
	} else {
		print_stats_text(&st, path);
	}
	return finish_output();
}

/* An exit code when done (help, usage error), else -1 and *ret_verb. */
static int parse_args(int argc, char **argv, struct args *args,
		      enum ledger_verb *ret_verb)
{
	enum { ARG_FROM = 0x100, ARG_JSON };
	static const struct option options[] = {
		{ "database", required_argument, NULL, 'd' },
		{ "from", required_argument, NULL, ARG_FROM },
		{ "json", no_argument, NULL, ARG_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int verb = -1, c;

	while ((c = getopt_long(argc, argv, "d:h", options, NULL)) >= 0) {
		switch (c) {
		case 'd':
			args->path = optarg;
			break;
		case ARG_FROM:
			if (vasctl_parse_number(optarg, &args->from) < 0) {
				vasctl_error("ledger: invalid position '%s'",
					     optarg);
				return VASCTL_EXIT_USAGE;
			}
			args->has_from = true;
			break;
		case ARG_JSON:
			args->json = true;
			break;
		case 'h':
			ledger_usage(stdout);
			return VASCTL_EXIT_OK;
		default:
			ledger_usage(stderr);
			return VASCTL_EXIT_USAGE;
		}
	}

	if (optind >= argc) {
		vasctl_error("ledger: no command given");
		ledger_usage(stderr);
		return VASCTL_EXIT_USAGE;
	}
	for (int i = 0; i < _VERB_MAX; i++)
		if (strcmp(argv[optind], verb_names[i]) == 0)
			verb = i;
	if (verb < 0) {
		vasctl_error("ledger: unknown command '%s'", argv[optind]);
		ledger_usage(stderr);
		return VASCTL_EXIT_USAGE;
	}
	if (optind + 1 < argc) {
		vasctl_error("ledger %s: unexpected argument '%s'",
			     verb_names[verb], argv[optind + 1]);
		return VASCTL_EXIT_USAGE;
	}
	if (args->has_from && verb != VERB_EXPORT) {
		vasctl_error("ledger %s: --from is for export", verb_names[verb]);
		return VASCTL_EXIT_USAGE;
	}
	if (args->json && verb != VERB_STATS) {
		vasctl_error("ledger %s: --json is for stats (export always prints JSON)",
			     verb_names[verb]);
		return VASCTL_EXIT_USAGE;
	}
	*ret_verb = (enum ledger_verb)verb;
	return -1;
}

int vasctl_ledger(int argc, char **argv)
{
	_cleanup_(ledger_freep) struct ledger *l = NULL;
	_cleanup_(freep) char *default_path = NULL;
	struct args args = { .path = NULL };
	enum ledger_verb verb;
	int r;

	r = parse_args(argc, argv, &args, &verb);
	if (r >= 0)
		return r;
	if (!args.path) {
		if (ledger_default_path(&default_path) < 0) {
			vasctl_error("ledger: out of memory");
			return VASCTL_EXIT_FAILURE;
		}
		args.path = default_path;
	}

	r = open_ledger(args.path, &l);
	if (r != VASCTL_EXIT_OK)
		return r;
	switch (verb) {
	case VERB_VERIFY:
		return run_verify(l, args.path);
	case VERB_EXPORT:
		return run_export(l, args.path, args.from);
	default:
		return run_stats(l, args.path, args.json);
	}
}
