// SPDX-License-Identifier: GPL-2.0-only
/*
 * vasctl metrics: vasd's ledger in Prometheus's text exposition format
 * (version 0.0.4), for node_exporter's textfile collector. Read from the
 * ledger file, read-only, like the ledger commands: it works whether vasd
 * runs or not, and needs no bus. --output writes the file atomically
 * (a temporary file in the same directory, fsync, rename), so the
 * collector never reads half of it.
 *
 * The numbers are of one snapshot of the ledger: the projection (windows,
 * credits, the kernel's cursor) and a fold over the events it holds
 * (migrations, locks, anomalies, resyncs). Counters count the events the
 * ledger holds; a compaction removes events, which Prometheus takes as a
 * counter reset. docs/fleet.md lists the families and alerts on them.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/fsuid.h>
#include <sys/stat.h>

#include "core/state.h"
#include "ledger/ledger.h"
#include "netlink/vas-msg.h"
#include "util/macro.h"
#include "vasctl.h"

/* The most locks followed at once (vasd's --max-locks-per-user bounds far below). */
#define METRICS_LOCKS_MAX 65536

struct held_lock {
	uint64_t id;
	int mode;
};

/* What the fold over the events gathers. */
struct metrics {
	int64_t outcomes[_VASD_OUTCOME_MAX];
	int64_t coord_errors[_VASD_COORD_ERROR_MAX];
	int64_t resyncs[_VASD_RESYNC_REASON_MAX];
	int64_t anomalies, lock_timeouts, vetoes;
	bool migration_open, has_blackout;
	uint64_t last_blackout_ns;
	/* the locks taken since vasd last started, not released */
	struct held_lock *locks;
	size_t n_locks, n_locks_alloc;
};

static void metrics_done(struct metrics *m)
{
	free(m->locks);
}

static void lock_released(struct metrics *m, uint64_t id)
{
	for (size_t i = 0; i < m->n_locks; i++)
		if (m->locks[i].id == id) {
			m->locks[i] = m->locks[--m->n_locks];
			return;
		}
}

static int lock_taken(struct metrics *m, uint64_t id, int mode)
{
	struct held_lock *l;

	if (m->n_locks >= METRICS_LOCKS_MAX)
		return 0;
	l = array_grow(m->locks, &m->n_locks_alloc, m->n_locks, sizeof(*l));
	if (!l)
		return -ENOMEM;
	m->locks = l;
	m->locks[m->n_locks++] = (struct held_lock) { .id = id, .mode = mode };
	return 0;
}

/* One event into the metrics: pure but for the lock array's memory. */
static int metrics_fold(const struct vasd_event *ev, void *userdata)
{
	struct metrics *m = userdata;
	const struct vasd_coord *k = &ev->coord;

	switch (ev->kind) {
	case VASD_EVENT_DAEMON_START:
	case VASD_EVENT_DAEMON_STOP:
		/* a lock is a file descriptor of vasd's: none outlives it */
		m->n_locks = 0;
		break;
	case VASD_EVENT_INHIBITOR_TAKE:
		return lock_taken(m, k->lock, (int)k->what);
	case VASD_EVENT_INHIBITOR_RELEASE:
		lock_released(m, k->lock);
		break;
	case VASD_EVENT_MIGRATION_OPEN:
		m->migration_open = true;
		break;
	case VASD_EVENT_MIGRATION_CLOSE:
		m->migration_open = false;
		if (k->what < _VASD_OUTCOME_MAX)
			m->outcomes[k->what]++;
		break;
	case VASD_EVENT_MIGRATION_VETO:
		m->vetoes++;
		break;
	case VASD_EVENT_MIGRATION_TIMEOUT:
		m->lock_timeouts++;
		break;
	case VASD_EVENT_MIGRATION_ANOMALY:
		m->anomalies++;
		break;
	case VASD_EVENT_MIGRATION_ERROR:
		if (k->what < _VASD_COORD_ERROR_MAX)
			m->coord_errors[k->what]++;
		break;
	case VASD_EVENT_MIGRATION_BLACKOUT:
		if (ev->timestamp >= k->since) {
			m->has_blackout = true;
			m->last_blackout_ns = ev->timestamp - k->since;
		}
		break;
	case VASD_EVENT_RESYNC_BEGIN:
		if (ev->reason < _VASD_RESYNC_REASON_MAX)
			m->resyncs[ev->reason]++;
		break;
	default:
		break;
	}
	return 0;
}

/* The text format's label value: \, " and newline escaped. */
static void put_label_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*s, f);
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{label="value"} n; label NULL: no label. */
static void sample(FILE *f, const char *name, const char *label,
		   const char *value, int64_t n)
{
	fputs(name, f);
	if (label) {
		fprintf(f, "{%s=\"", label);
		put_label_value(f, value);
		fputs("\"}", f);
	}
	fprintf(f, " %" PRId64 "\n", n);
}

static void print_windows(FILE *f, const struct vasd_state *s)
{
	int64_t n[2][2] = { { 0 } };
	const struct vas_window *w;
	size_t cursor = 0;

	while ((w = vasd_state_next_window(s, &cursor)))
		if (w->type < 2 && w->state < 2)
			n[w->type][w->state]++;
	family(f, "vasd_windows", "gauge", "VAS windows open, by type and state.");
	for (uint32_t t = 0; t < 2; t++)
		for (uint32_t st = 0; st < 2; st++)
			fprintf(f, "vasd_windows{type=\"%s\",state=\"%s\"} %" PRId64 "\n",
				vas_win_type_to_string(t), vas_win_state_to_string(st),
				n[t][st]);
}

static void print_credits(FILE *f, const struct vasd_state *s)
{
	const struct vas_caps *c[2] = {
		vasd_state_caps(s, VAS_WIN_TYPE_DEFAULT),
		vasd_state_caps(s, VAS_WIN_TYPE_QOS),
	};

	family(f, "vasd_credits", "gauge",
	       "The kernel's credits of each window type (DLPAR changes them).");
	for (uint32_t t = 0; t < 2; t++)
		if (c[t])
			sample(f, "vasd_credits", "type", vas_win_type_to_string(t), c[t]->total);
	family(f, "vasd_credits_used", "gauge",
	       "Credits in use: the active windows of each type.");
	for (uint32_t t = 0; t < 2; t++)
		if (c[t])
			sample(f, "vasd_credits_used", "type", vas_win_type_to_string(t), c[t]->used);
}

static void print_metrics(FILE *f, const struct ledger_stats *st,
			  const struct vasd_state *s, const struct metrics *m)
{
	int64_t locks[_VASD_LOCK_MODE_MAX] = { 0 };
	char generation[17];

	family(f, "vasd_ledger_readable", "gauge",
	       "1 when vasctl read vasd's ledger, 0 when it could not (the other families are left out).");
	sample(f, "vasd_ledger_readable", NULL, NULL, 1);
	family(f, "vasd_ledger_bytes", "gauge", "The ledger's size: its file and its write-ahead log.");
	sample(f, "vasd_ledger_bytes", "file", "db", st->file_bytes);
	sample(f, "vasd_ledger_bytes", "file", "wal", st->wal_bytes);
	family(f, "vasd_ledger_position", "gauge", "The position of the ledger's last event.");
	sample(f, "vasd_ledger_position", NULL, NULL, st->last_position);
	family(f, "vasd_ledger_first_position", "gauge",
	       "The position of the ledger's first event (compaction moves it).");
	sample(f, "vasd_ledger_first_position", NULL, NULL, st->first_position);
	family(f, "vasd_ledger_events", "gauge", "The events the ledger holds.");
	sample(f, "vasd_ledger_events", NULL, NULL, st->n_events);

	snprintf(generation, sizeof(generation), "%016" PRIx64, st->generation);
	family(f, "vasd_kernel_info", "gauge",
	       "The kernel part's instance the ledger follows (its generation), as a label; always 1.");
	sample(f, "vasd_kernel_info", "generation", generation, 1);
	family(f, "vasd_kernel_seq", "gauge", "The kernel's last event the ledger holds (its seq).");
	sample(f, "vasd_kernel_seq", NULL, NULL, (int64_t)st->seq);
	family(f, "vasd_kernel_synced", "gauge",
	       "1 when the ledger is consistent with the kernel (a resync ended), else 0.");
	sample(f, "vasd_kernel_synced", NULL, NULL, st->synced);

	print_windows(f, s);
	print_credits(f, s);

	family(f, "vasd_migrations_total", "counter", "Migrations closed, by outcome.");
	for (int i = 0; i < _VASD_OUTCOME_MAX; i++)
		sample(f, "vasd_migrations_total", "outcome",
		       vasd_coord_what_to_string(VASD_EVENT_MIGRATION_CLOSE, (uint32_t)i),
		       m->outcomes[i]);
	family(f, "vasd_migration_open", "gauge", "1 while a migration is open, else 0.");
	sample(f, "vasd_migration_open", NULL, NULL, m->migration_open);
	family(f, "vasd_migration_vetoes_total", "counter", "Migration checks vasd refused.");
	sample(f, "vasd_migration_vetoes_total", NULL, NULL, m->vetoes);
	family(f, "vasd_migration_errors_total", "counter",
	       "Kernel migration events that did not fit vasd's migration, by kind.");
	for (int i = 0; i < _VASD_COORD_ERROR_MAX; i++)
		sample(f, "vasd_migration_errors_total", "error",
		       vasd_coord_what_to_string(VASD_EVENT_MIGRATION_ERROR, (uint32_t)i),
		       m->coord_errors[i]);
	family(f, "vasd_migration_anomalies_total", "counter",
	       "Windows found active although the kernel suspended every window.");
	sample(f, "vasd_migration_anomalies_total", NULL, NULL, m->anomalies);
	if (m->has_blackout) {
		family(f, "vasd_migration_last_blackout_seconds", "gauge",
		       "How long the clients were told to stay away in the last migration.");
		fprintf(f, "vasd_migration_last_blackout_seconds %" PRIu64 ".%06" PRIu64 "\n",
			m->last_blackout_ns / 1000000000u,
			m->last_blackout_ns % 1000000000u / 1000u);
	}

	for (size_t i = 0; i < m->n_locks; i++)
		if (m->locks[i].mode >= 0 && m->locks[i].mode < _VASD_LOCK_MODE_MAX)
			locks[m->locks[i].mode]++;
	family(f, "vasd_inhibitor_locks", "gauge",
	       "Inhibitor locks held, by mode (as the ledger has them since vasd last started).");
	for (int i = 0; i < _VASD_LOCK_MODE_MAX; i++)
		sample(f, "vasd_inhibitor_locks", "mode", vasd_lock_mode_to_string(i), locks[i]);
	family(f, "vasd_inhibitor_lock_timeouts_total", "counter",
	       "Delay locks not released within vasd's bound during a migration.");
	sample(f, "vasd_inhibitor_lock_timeouts_total", NULL, NULL, m->lock_timeouts);

	family(f, "vasd_resyncs_total", "counter",
	       "Resyncs of the ledger with the kernel, by reason.");
	for (int i = 0; i < _VASD_RESYNC_REASON_MAX; i++)
		sample(f, "vasd_resyncs_total", "reason", vasd_resync_reason_to_string(i),
		       m->resyncs[i]);
}

static void print_unreadable(FILE *f)
{
	family(f, "vasd_ledger_readable", "gauge",
	       "1 when vasctl read vasd's ledger, 0 when it could not (the other families are left out).");
	sample(f, "vasd_ledger_readable", NULL, NULL, 0);
}

/*
 * Run as root for another's ledger (the timer's service, so that it may
 * write node_exporter's directory), read it as its owner: what SQLite
 * creates beside it (-wal, -shm, when vasd is not running) is then the
 * owner's, as vasd's own would be, and vasd can open it later.
 */
static void as_owner(const char *path, bool *switched)
{
	_cleanup_(freep) char *dir = NULL;
	struct stat st;
	int r;

	*switched = false;
	if (geteuid() != 0)
		return;
	r = stat(path, &st);
	/* without CAP_DAC_*, root cannot look into vasd's 0700 directory: its owner is the ledger's */
	if (r < 0 && errno == EACCES) {
		dir = strdup(path);
		r = dir ? stat(dirname(dir), &st) : -1;
	}
	if (r < 0 || st.st_uid == 0)
		return;
	setfsgid(st.st_gid);
	setfsuid(st.st_uid);
	*switched = (uid_t)setfsuid((uid_t)-1) == st.st_uid;
}

static void as_self(bool switched)
{
	if (!switched)
		return;
	setfsuid(geteuid());
	setfsgid(getegid());
}

/* Read the ledger at path into text (malloc'ed): an exit code. */
static int collect(const char *path, char **ret_text, size_t *ret_size)
{
	struct ledger *l = NULL;
	struct vasd_state *s = NULL;
	struct metrics m = { .n_locks = 0 };
	struct ledger_stats st;
	char *error = NULL;
	bool switched;
	FILE *f;
	int r, rc = VASCTL_EXIT_OK;

	f = open_memstream(ret_text, ret_size);
	if (!f) {
		vasctl_error("metrics: out of memory");
		return VASCTL_EXIT_FAILURE;
	}
	as_owner(path, &switched);
	r = ledger_open(path, LEDGER_READ_ONLY, &l, &error);
	if (r < 0) {
		vasctl_error("cannot open ledger: %s (%s)", ledger_strerror(r),
			     error ? error : path);
		free(error);
		rc = VASCTL_EXIT_NO_LEDGER;
		goto out;
	}
	r = vasd_state_new(&s);
	if (r < 0)
		goto fail;
	/* one snapshot: vasd may write meanwhile */
	r = ledger_read_begin(l);
	if (r < 0)
		goto fail;
	r = ledger_stats(l, &st);
	if (r >= 0)
		r = ledger_load_state(l, s);
	if (r >= 0)
		r = ledger_foreach_record(l, 0, metrics_fold, &m);
	ledger_read_end(l);
	if (r < 0)
		goto fail;
	print_metrics(f, &st, s, &m);
	goto out;
fail:
	vasctl_error("metrics: cannot read the ledger %s: %s", path,
		     r == -EBADMSG ? "an event of a kind this vasctl does not know" :
		     strerror(-r));
	rc = r == -ENOMEM ? VASCTL_EXIT_FAILURE : VASCTL_EXIT_NO_LEDGER;
out:
	if (rc == VASCTL_EXIT_NO_LEDGER)
		print_unreadable(f);
	ledger_free(l);
	as_self(switched);
	vasd_state_free(s);
	metrics_done(&m);
	if (fclose(f) != 0) {
		vasctl_error("metrics: out of memory");
		return VASCTL_EXIT_FAILURE;
	}
	return rc;
}

/* text to path atomically: a temporary file beside it, fsync, rename, the directory synced. */
static int write_atomic(const char *path, const char *text, size_t size)
{
	_cleanup_(freep) char *tmp = NULL, *dir_copy = NULL;
	const char *dir;
	int fd, dfd, r = 0;

	dir_copy = strdup(path);
	if (!dir_copy || asprintf(&tmp, "%s.tmp-XXXXXX", path) < 0) {
		tmp = NULL;
		return -ENOMEM;
	}
	dir = dirname(dir_copy);
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	/* node_exporter runs as its own user: the file is for everyone to read */
	if (fchmod(fd, 0644) < 0)
		r = -errno;
	for (size_t done = 0; r == 0 && done < size;) {
		ssize_t n = write(fd, text + done, size - done);

		if (n < 0 && errno != EINTR)
			r = -errno;
		else if (n > 0)
			done += (size_t)n;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	if (fsync(dfd) < 0)
		r = -errno;
	close(dfd);
	return r;
}

static void metrics_usage(FILE *f)
{
	fputs("Usage: vasctl metrics [OPTIONS]\n"
	      "\n"
	      "Print vasd's ledger as Prometheus metrics (text format 0.0.4): windows,\n"
	      "credits, migrations by outcome, inhibitor locks, anomalies, resyncs, the\n"
	      "ledger's size and position, the kernel instance it follows. Read-only;\n"
	      "vasd may be running or not.\n"
	      "\n"
	      "Options:\n"
	      "  -d --database=PATH   The ledger (default $STATE_DIRECTORY/ledger.db,\n"
	      "                       else /var/lib/vasd/ledger.db)\n"
	      "  -o --output=FILE     Write FILE atomically instead of standard output\n"
	      "                       (for node_exporter's textfile collector)\n"
	      "  -h --help            Show this help\n"
	      "\n"
	      "Exit status: 0 success; 1 failure; 2 usage error; 4 the ledger cannot be\n"
	      "opened or read (vasd_ledger_readable 0 is written all the same).\n", f);
}

int vasctl_metrics(int argc, char **argv)
{
	static const struct option options[] = {
		{ "database", required_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_(freep) char *default_path = NULL, *text = NULL;
	const char *path = NULL, *output = NULL;
	size_t size = 0;
	int c, r, rc;

	while ((c = getopt_long(argc, argv, "d:o:h", options, NULL)) >= 0) {
		switch (c) {
		case 'd':
			path = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'h':
			metrics_usage(stdout);
			return VASCTL_EXIT_OK;
		default:
			metrics_usage(stderr);
			return VASCTL_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		vasctl_error("metrics: unexpected argument '%s'", argv[optind]);
		metrics_usage(stderr);
		return VASCTL_EXIT_USAGE;
	}
	if (!path) {
		if (ledger_default_path(&default_path) < 0) {
			vasctl_error("metrics: out of memory");
			return VASCTL_EXIT_FAILURE;
		}
		path = default_path;
	}

	rc = collect(path, &text, &size);
	if (rc == VASCTL_EXIT_FAILURE)
		return rc;
	if (!output) {
		r = fwrite(text, 1, size, stdout) == size ? 0 : -EIO;
		r = vasctl_finish_output("metrics", r);
		return rc != VASCTL_EXIT_OK ? rc : r;
	}
	r = write_atomic(output, text, size);
	if (r < 0) {
		vasctl_error("metrics: cannot write %s: %s", output, strerror(-r));
		return VASCTL_EXIT_FAILURE;
	}
	return rc;
}
