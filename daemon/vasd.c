// SPDX-License-Identifier: GPL-2.0-only
/*
 * vasd: the VAS window ledger daemon. main() parses the options, opens the
 * ledger, and runs one libevent loop with the ingest of kernel events,
 * the migration coordinator, the bus service, signals and the systemd
 * notifications (READY once the
 * first resync is committed and org.vasd1 is ours, STATUS after
 * transactions, at most every STATUS_INTERVAL_MS, WATCHDOG when asked).
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statvfs.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "bus/bus.h"
#include "core/state.h"
#include "ledger/ledger.h"
#include "util/human.h"
#include "util/macro.h"
#include "coordinator.h"
#include "ingest.h"
#include "kernel-source.h"
#include "log.h"
#include "message-ids.h"
#include "retention.h"

enum {
	EXIT_RUNTIME = 1,	/* a runtime failure; systemd restarts us */
	EXIT_USAGE = 2,
	EXIT_LEDGER_REFUSED = 3,/* not ours, damaged or newer: never touched */
	EXIT_LEDGER_LOCKED = 4,	/* another vasd holds it: never touched */
	EXIT_LEDGER_UNSAFE = 5,	/* a symlink, not a regular file */
};

/*
 * sd_notify() blocks when the notify socket is full: a STATUS per
 * transaction at thousands of transactions a second would make vasd wait
 * on its supervisor. The latest status goes out once per interval.
 */
#define STATUS_INTERVAL_MS 100

/*
 * InhibitDelayMaxUSec: below the kernel part's coord_timeout_ms (5 s), so
 * that the ack of a kernel-driven migration comes before the kernel stops
 * waiting for it (docs/migration.md).
 */
#define INHIBIT_DELAY_MAX_USEC_DEFAULT (4 * 1000 * 1000)
#define INHIBIT_DELAY_MAX_USEC_MAX (3600ULL * 1000 * 1000)

/*
 * A user's locks: the 16 a connection may hold times a few processes,
 * well below vasd's 4096 (docs/bus.md), so that no one user can take them
 * all from the others.
 */
#define LOCKS_PER_USER_DEFAULT 64

/*
 * --ledger-max-use's default, as journald's SystemMaxUse=: a tenth of the
 * ledger's file system, at most 4 GiB.
 */
#define LEDGER_MAX_USE_CAP (INT64_C(4) << 30)

struct options {
	char *database;
	struct ingest_config ingest;
	uint64_t inhibit_delay_max_usec;
	struct vasd_bus_config bus;
	struct retention_limits retention;
	bool max_use_set;
	bool no_bus;
};

struct daemon {
	struct event_base *base;
	struct ingest *ingest;
	struct coordinator *coordinator;
	struct retention *retention;
	struct vasd_bus *bus;		/* NULL with --no-bus */
	struct event *sigterm, *sigint, *sighup, *watchdog, *status;
	bool synced;			/* the first resync is committed, or there is no kernel */
	bool named;			/* org.vasd1 is ours, or there is no bus */
	bool started;			/* ingest and coordinator started: the ledger is written */
	int start_error;
	bool ready;
	uint64_t status_events;
};

static void help(void)
{
	printf("Usage: vasd [OPTIONS]\n"
	       "\n"
	       "Keep the event-sourced ledger of VAS windows, credits and migrations.\n"
	       "\n"
	       "  -d --database=PATH     Ledger file (default: $STATE_DIRECTORY/ledger.db,\n"
	       "                         else /var/lib/vasd/ledger.db)\n"
	       "  -k --kernel=SOURCE     'auto' (default: 'netlink' while the kernel has the vas\n"
	       "                         family, else 'observe'), 'netlink', 'observe' (pictures\n"
	       "                         of sysfs and /proc), or 'unix:PATH' for a test kernel\n"
	       "     --observe-interval=MS\n"
	       "                         observe: MS ms between pictures (default %u; see vasd(8))\n"
	       "     --batch-events=N    At most N events per transaction (default 256)\n"
	       "     --batch-ms=MS       An event waits at most MS ms for its commit (default 10)\n"
	       "     --rcvbuf=BYTES      Events socket receive buffer, K/M/G suffixes (default 8M)\n"
	       "     --inhibit-delay-max=SEC\n"
	       "                         How long a migration waits for delay inhibitors\n"
	       "                         (default 4; keep it below the kernel's ack timeout)\n"
	       "     --block-group=GROUP Members of GROUP may take block locks (which veto\n"
	       "                         migrations), as root may (default: root only)\n"
	       "     --max-locks-per-user=N\n"
	       "                         Inhibitor locks one uid may hold, root not counted\n"
	       "                         (default %u, at most %u)\n"
	       "     --ledger-max-use=SIZE\n"
	       "                         Compact the ledger's oldest events when it uses more\n"
	       "                         (K/M/G/T; default a tenth of its file system, at most\n"
	       "                         4G; 0: never); a migration's records are kept\n"
	       "     --ledger-max-age=SPAN\n"
	       "                         Compact events older than SPAN (like 30d, 12h, 1y;\n"
	       "                         default 0: never); a migration's records are kept\n"
	       "     --private-socket=PATH\n"
	       "                         root's socket beside the bus, for vasctl (default\n"
	       "                         $RUNTIME_DIRECTORY/private, else /run/vasd/private;\n"
	       "                         empty: none)\n"
	       "  -l --log-level=LEVEL   emerg..debug or 0..7 (default info)\n"
	       "     --no-bus            Do not connect to the system bus (no org.vasd1)\n"
	       "  -h --help              Show this help\n"
	       "     --version           Show the version\n"
	       "\n"
	       "See vasd(8).\n", KERNEL_SOURCE_OBSERVE_INTERVAL_MS,
	       LOCKS_PER_USER_DEFAULT, VASD_BUS_LOCKS_MAX);
}

static int parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_size(const char *s, int *ret)
{
	int64_t v;

	if (human_parse_bytes(s, &v) < 0 || v > INT_MAX)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

/* Seconds, with up to 6 decimals: "4", "0.5"; more than 0. */
static int parse_seconds(const char *s, uint64_t max_usec, uint64_t *ret_usec)
{
	unsigned long long whole;
	uint64_t usec, scale = 100000;
	char *end;

	errno = 0;
	whole = strtoull(s, &end, 10);
	if (errno || end == s || s[0] == '-' || whole > max_usec / 1000000)
		return -EINVAL;
	usec = (uint64_t)whole * 1000000;
	if (*end == '.') {
		for (end++; *end >= '0' && *end <= '9' && scale; end++, scale /= 10)
			usec += (uint64_t)(*end - '0') * scale;
	}
	if (*end || usec == 0 || usec > max_usec)
		return -EINVAL;
	*ret_usec = usec;
	return 0;
}

/* A group's name, or its number. -ESRCH: no such group. */
static int parse_group(const char *s, gid_t *ret)
{
	struct group grp, *found = NULL;
	unsigned long v;
	char buf[4096];
	int r;

	if (parse_uint(s, UINT32_MAX - 1, &v) >= 0) {
		*ret = (gid_t)v;
		return 0;
	}
	r = getgrnam_r(s, &grp, buf, sizeof(buf), &found);
	if (r != 0)
		return -r;
	if (!found)
		return -ESRCH;
	*ret = found->gr_gid;
	return 0;
}

/*
 * root's socket in the unit's RuntimeDirectory= (the first of
 * $RUNTIME_DIRECTORY), else where that would be.
 */
static const char *default_private_socket(void)
{
	static char path[108];
	const char *dir = getenv("RUNTIME_DIRECTORY");
	size_t n;

	if (!dir || !*dir)
		return "/run/vasd/private";
	n = strcspn(dir, ":");
	if (n + sizeof("/private") > sizeof(path))
		return "/run/vasd/private";
	snprintf(path, sizeof(path), "%.*s/private", (int)n, dir);
	return path;
}

/* 0: run; 1: exit 0 (--help); <0: usage error, already reported. */
static int parse_argv(int argc, char **argv, struct options *o)
{
	enum {
		ARG_VERSION = 0x100,
		ARG_BATCH_EVENTS,
		ARG_BATCH_MS,
		ARG_RCVBUF,
		ARG_INHIBIT_DELAY_MAX,
		ARG_BLOCK_GROUP,
		ARG_MAX_LOCKS_PER_USER,
		ARG_LEDGER_MAX_USE,
		ARG_LEDGER_MAX_AGE,
		ARG_PRIVATE_SOCKET,
		ARG_NO_BUS,
		ARG_OBSERVE_INTERVAL,
	};
	static const struct option options[] = {
		{ "database", required_argument, NULL, 'd' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "observe-interval", required_argument, NULL, ARG_OBSERVE_INTERVAL },
		{ "batch-events", required_argument, NULL, ARG_BATCH_EVENTS },
		{ "batch-ms", required_argument, NULL, ARG_BATCH_MS },
		{ "rcvbuf", required_argument, NULL, ARG_RCVBUF },
		{ "inhibit-delay-max", required_argument, NULL, ARG_INHIBIT_DELAY_MAX },
		{ "block-group", required_argument, NULL, ARG_BLOCK_GROUP },
		{ "max-locks-per-user", required_argument, NULL, ARG_MAX_LOCKS_PER_USER },
		{ "ledger-max-use", required_argument, NULL, ARG_LEDGER_MAX_USE },
		{ "ledger-max-age", required_argument, NULL, ARG_LEDGER_MAX_AGE },
		{ "private-socket", required_argument, NULL, ARG_PRIVATE_SOCKET },
		{ "log-level", required_argument, NULL, 'l' },
		{ "no-bus", no_argument, NULL, ARG_NO_BUS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{ 0 },
	};
	unsigned long v;
	int c, r;

	while ((c = getopt_long(argc, argv, "d:k:l:h", options, NULL)) >= 0) {
		switch (c) {
		case 'd':
			free(o->database);
			o->database = strdup(optarg);
			if (!o->database)
				return log_error_errno(-ENOMEM, "Out of memory");
			break;
		case 'k':
			if (strcmp(optarg, "netlink") != 0 &&
			    strcmp(optarg, "auto") != 0 &&
			    strcmp(optarg, "observe") != 0 &&
			    (strncmp(optarg, "unix:", 5) != 0 || !optarg[5])) {
				log_error("--kernel: expected 'auto', 'netlink', 'observe' or 'unix:PATH', got '%s'", optarg);
				return -EINVAL;
			}
			o->ingest.kernel = optarg;
			break;
		case ARG_BATCH_EVENTS:
			if (parse_uint(optarg, 1000000, &v) < 0 || v < 1) {
				log_error("--batch-events: expected 1..1000000, got '%s'", optarg);
				return -EINVAL;
			}
			o->ingest.batch_events = (unsigned int)v;
			break;
		case ARG_OBSERVE_INTERVAL:
			if (parse_uint(optarg, 3600000, &v) < 0 || v < 100) {
				log_error("--observe-interval: expected 100..3600000, got '%s'", optarg);
				return -EINVAL;
			}
			o->ingest.observe_interval_ms = (unsigned int)v;
			break;
		case ARG_BATCH_MS:
			if (parse_uint(optarg, 60000, &v) < 0) {
				log_error("--batch-ms: expected 0..60000, got '%s'", optarg);
				return -EINVAL;
			}
			o->ingest.batch_ms = (unsigned int)v;
			break;
		case ARG_RCVBUF:
			if (parse_size(optarg, &o->ingest.rcvbuf) < 0) {
				log_error("--rcvbuf: expected a size like 8M, got '%s'", optarg);
				return -EINVAL;
			}
			break;
		case ARG_INHIBIT_DELAY_MAX:
			if (parse_seconds(optarg, INHIBIT_DELAY_MAX_USEC_MAX,
					  &o->inhibit_delay_max_usec) < 0) {
				log_error("--inhibit-delay-max: expected seconds, more than 0 and at most 3600 (like 4 or 0.5), got '%s'",
					  optarg);
				return -EINVAL;
			}
			break;
		case ARG_BLOCK_GROUP:
			r = parse_group(optarg, &o->bus.block_gid);
			if (r < 0) {
				log_error("--block-group: %s: %s", optarg,
					  r == -ESRCH ? "no such group" : strerror(-r));
				return -EINVAL;
			}
			o->bus.have_block_gid = true;
			break;
		case ARG_MAX_LOCKS_PER_USER:
			if (parse_uint(optarg, VASD_BUS_LOCKS_MAX, &v) < 0 || v == 0) {
				log_error("--max-locks-per-user: expected 1..%u, got '%s'",
					  VASD_BUS_LOCKS_MAX, optarg);
				return -EINVAL;
			}
			o->bus.locks_per_user = (unsigned int)v;
			break;
		case ARG_LEDGER_MAX_USE:
			if (human_parse_bytes(optarg, &o->retention.max_use) < 0) {
				log_error("--ledger-max-use: expected a size like 512M or 4G, or 0, got '%s'",
					  optarg);
				return -EINVAL;
			}
			o->max_use_set = true;
			break;
		case ARG_PRIVATE_SOCKET:
			o->bus.private_socket = optarg;
			break;
		case ARG_LEDGER_MAX_AGE: {
			uint64_t usec;

			if (human_parse_timespan(optarg, &usec) < 0 ||
			    usec > UINT64_MAX / 1000) {
				log_error("--ledger-max-age: expected a span like 30d, 12h or 1y, or 0, got '%s'",
					  optarg);
				return -EINVAL;
			}
			o->retention.max_age = usec * 1000;
			break;
		}
		case 'l':
			r = log_level_from_string(optarg);
			if (r < 0) {
				log_error("--log-level: expected emerg..debug or 0..7, got '%s'", optarg);
				return -EINVAL;
			}
			log_set_max_level(r);
			break;
		case ARG_NO_BUS:
			o->no_bus = true;
			break;
		case 'h':
			help();
			return 1;
		case ARG_VERSION:
			printf("vasd %s\n", PROJECT_VERSION);
			return 1;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc) {
		log_error("Unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	if (!o->bus.private_socket)
		o->bus.private_socket = default_private_socket();
	if (!o->database)
		return ledger_default_path(&o->database);
	return 0;
}

static void notify_status(struct daemon *d)
{
	const struct vasd_state *s = ingest_state(d->ingest);
	struct ingest_stats st;

	ingest_get_stats(d->ingest, &st);
	if (!ingest_attached(d->ingest)) {
		sd_notifyf(0, "STATUS=Waiting for the kernel part; %zu windows in the ledger",
			   vasd_state_n_windows(s));
		return;
	}
	if (strcmp(ingest_source_name(d->ingest), "observe") == 0) {
		sd_notifyf(0, "STATUS=Observing a kernel without the vas family: %zu windows, %llu events, %llu missed between pictures",
			   vasd_state_n_windows(s), (unsigned long long)st.events,
			   (unsigned long long)ingest_observed_missed(d->ingest));
		return;
	}
	sd_notifyf(0, "STATUS=Following generation %016llx at seq %llu: %zu windows (%zu suspended), %llu events, %llu resyncs",
		   (unsigned long long)vasd_state_generation(s),
		   (unsigned long long)vasd_state_seq(s),
		   vasd_state_n_windows(s),
		   vasd_state_n_windows_in(s, VAS_WIN_STATE_SUSPENDED),
		   (unsigned long long)st.events,
		   (unsigned long long)st.resyncs);
}

static void maybe_ready(struct daemon *d)
{
	if (d->ready || !d->synced || !d->named)
		return;
	d->ready = true;
	sd_notify(0, "READY=1");
	log_info("Ready");
	if (d->bus)
		vasd_bus_set_phase(d->bus, VASD_BUS_READY);
}

static void on_status_timer(evutil_socket_t fd, short what, void *userdata)
{
	notify_status(userdata);
}

static void on_commit(struct ingest *in, bool first, void *userdata)
{
	struct daemon *d = userdata;
	struct timeval tv = { 0, STATUS_INTERVAL_MS * 1000 };

	if (first) {
		d->synced = true;
		maybe_ready(d);
		notify_status(d);
		return;
	}
	retention_committed(d->retention);
	if (!evtimer_pending(d->status, NULL))
		evtimer_add(d->status, &tv);
}

static void on_history_moved(int64_t first, void *userdata)
{
	struct daemon *d = userdata;

	vasd_bus_history_moved(d->bus, first);
}

/* A tenth of the file system the ledger is on, at most 4 GiB. */
static int64_t default_max_use(const char *database)
{
	struct statvfs sv;
	char *dir = strdup(database), *slash;
	int64_t v = LEDGER_MAX_USE_CAP;

	if (!dir)
		return v;
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = 0;
	else if (slash)
		*slash = 0;
	if (statvfs(slash ? dir : ".", &sv) == 0 &&
	    (uint64_t)sv.f_blocks * sv.f_frsize / 10 < (uint64_t)v)
		v = (int64_t)((uint64_t)sv.f_blocks * sv.f_frsize / 10);
	free(dir);
	return v;
}

/*
 * The first writes to the ledger (the start event, the first resync, the
 * coordinator's restore) wait for org.vasd1: a vasd that cannot have the
 * name goes without having written anything.
 */
static int start_writers(struct daemon *d)
{
	int r;

	d->started = true;
	r = ingest_start(d->ingest);
	if (r >= 0)
		r = coordinator_start(d->coordinator);
	if (r < 0)
		return r;
	if (!d->synced && !ingest_attached(d->ingest)) {
		/* nothing to wait for: the ledger is served as it is */
		d->synced = true;
		maybe_ready(d);
		notify_status(d);
	}
	return 0;
}

static void on_bus_name(struct vasd_bus *b, void *userdata)
{
	struct daemon *d = userdata;
	int r;

	d->named = true;
	r = start_writers(d);
	if (r < 0) {
		d->start_error = r;
		event_base_loopbreak(d->base);
		return;
	}
	maybe_ready(d);
}

static void on_signal(evutil_socket_t sig, short what, void *userdata)
{
	struct daemon *d = userdata;

	log_info("Received %s; committing and stopping",
		 sig == SIGTERM ? "SIGTERM" : "SIGINT");
	sd_notify(0, "STOPPING=1");
	if (d->bus)
		vasd_bus_set_phase(d->bus, VASD_BUS_STOPPING);
	event_base_loopbreak(d->base);
}

/*
 * vasd has no configuration file to reload: its options are its command
 * line. SIGHUP (a closed terminal, a stray kill -HUP) is said and
 * ignored, not the death it is by default.
 */
static void on_sighup(evutil_socket_t sig, short what, void *userdata)
{
	log_notice("Received SIGHUP; ignored: vasd has nothing to reload (its options are its command line)");
}

static void on_watchdog(evutil_socket_t fd, short what, void *userdata)
{
	struct daemon *d = userdata;

	sd_notify(0, "WATCHDOG=1");
	/* observe's interval, so an idle vasd wakes for the watchdog alone */
	ingest_tick(d->ingest);
}

static int setup_watchdog(struct daemon *d)
{
	uint64_t usec;
	struct timeval tv;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return 0;
	/* half the interval, as sd_watchdog_enabled(3) advises */
	usec /= 2;
	tv.tv_sec = (time_t)(usec / 1000000);
	tv.tv_usec = (suseconds_t)(usec % 1000000);
	ingest_set_tick(d->ingest, (unsigned int)(usec / 1000));
	d->watchdog = event_new(d->base, -1, EV_PERSIST, on_watchdog, d);
	if (!d->watchdog || event_add(d->watchdog, &tv) < 0)
		return -ENOMEM;
	sd_notify(0, "WATCHDOG=1");
	return 0;
}

static int exit_code_of_open(int r)
{
	switch (r) {
	case -EMEDIUMTYPE:
	case -EUCLEAN:
	case -EPROTONOSUPPORT:
		return EXIT_LEDGER_REFUSED;
	case -EBUSY:
		return EXIT_LEDGER_LOCKED;
	case -ELOOP:
	case -EISDIR:
	case -EBADFD:
		return EXIT_LEDGER_UNSAFE;
	default:
		return EXIT_RUNTIME;
	}
}

/*
 * Every inhibitor lock is a file descriptor (bus/inhibit.c): the soft
 * limit goes up to the hard one, as systemd's daemons do (the unit's
 * LimitNOFILE= gives both, and its seccomp filter refuses setrlimit()).
 * vasd uses no select(), which is what the soft limit of 1024 protects.
 */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_warning_errno(-errno, "Failed to raise the limit of open files to %llu: %s; inhibitor locks may be refused",
				  (unsigned long long)rl.rlim_max, strerror(errno));
}

static int run(struct options *o)
{
	_cleanup_(ledger_freep) struct ledger *ledger = NULL;
	struct daemon d = { 0 };
	struct migration_config mc = {
		.delay_max = o->inhibit_delay_max_usec * 1000,
		.check_expiry = MIGRATION_CHECK_EXPIRY_DEFAULT,
		.post_wait = MIGRATION_POST_WAIT_DEFAULT,
	};
	struct ingest_stats st;
	char *why = NULL;
	int r, rc = EXIT_RUNTIME;

	raise_fd_limit();
	r = ledger_open(o->database, LEDGER_READ_WRITE, &ledger, &why);
	if (r < 0) {
		const struct log_field f[] = {
			LOG_STRING("VASD_LEDGER", o->database),
			LOG_STRING("VASD_REASON", ledger_strerror(r)),
		};

		/* the reason names the file */
		if (why)
			log_struct_errno(LOG_ERR, r, VASD_MESSAGE_LEDGER_REFUSED, f,
					 "Cannot use the ledger: %s: %s",
					 ledger_strerror(r), why);
		else
			log_struct_errno(LOG_ERR, r, VASD_MESSAGE_LEDGER_REFUSED, f,
					 "Cannot use the ledger %s: %s",
					 o->database, ledger_strerror(r));
		if (exit_code_of_open(r) != EXIT_RUNTIME)
			log_error("The file was left untouched; move it away or point --database elsewhere");
		free(why);
		return exit_code_of_open(r);
	}
	if (!o->max_use_set)
		o->retention.max_use = default_max_use(o->database);
	{
		char max[HUMAN_BYTES_MAX], age[HUMAN_TIMESPAN_MAX];

		log_info("Ledger %s (schema %d); retention: at most %s, %s",
			 o->database, ledger_file_version(ledger),
			 o->retention.max_use ? human_bytes(max, o->retention.max_use) : "no size bound",
			 o->retention.max_age ? human_timespan(age, o->retention.max_age / 1000) : "no age bound");
	}

	d.base = event_base_new();
	if (!d.base) {
		log_error_errno(-ENOMEM, "Failed to create the event loop: %s", strerror(ENOMEM));
		return EXIT_RUNTIME;
	}
	r = ingest_new(d.base, ledger, &o->ingest, &d.ingest);
	if (r < 0) {
		log_error_errno(r, "Failed to set up: %s", strerror(-r));
		goto out;
	}
	ingest_set_commit_callback(d.ingest, on_commit, &d);
	r = retention_new(d.base, ledger, &o->retention, on_history_moved, &d,
			  &d.retention);
	if (r < 0) {
		log_error_errno(r, "Failed to set up: %s", strerror(-r));
		goto out;
	}
	r = coordinator_new(d.base, d.ingest, ledger, &mc, &d.coordinator);
	if (r < 0) {
		log_error_errno(r, "Failed to set up the migration coordinator: %s", strerror(-r));
		goto out;
	}

	d.sigterm = evsignal_new(d.base, SIGTERM, on_signal, &d);
	d.sigint = evsignal_new(d.base, SIGINT, on_signal, &d);
	d.sighup = evsignal_new(d.base, SIGHUP, on_sighup, &d);
	d.status = evtimer_new(d.base, on_status_timer, &d);
	if (!d.sigterm || !d.sigint || !d.sighup || !d.status ||
	    evsignal_add(d.sigterm, NULL) < 0 || evsignal_add(d.sigint, NULL) < 0 ||
	    evsignal_add(d.sighup, NULL) < 0 || setup_watchdog(&d) < 0) {
		log_error("Failed to set up signals and the watchdog");
		goto out;
	}

	if (o->no_bus) {
		d.named = true;
		r = start_writers(&d);
		if (r < 0)
			goto out;
	} else {
		struct vasd_bus_config config = o->bus;

		config.inhibit_delay_max_usec = o->inhibit_delay_max_usec;
		r = vasd_bus_new(d.base, d.ingest, ledger, d.coordinator,
				 &config, on_bus_name, &d, &d.bus);
		if (r < 0)
			goto out;
	}

	event_base_dispatch(d.base);

	if (d.start_error < 0)
		goto out;
	if (!d.started) {
		/* stopped, or the name refused, before anything was written */
		if (d.bus && vasd_bus_exit_error(d.bus) < 0)
			goto out;
		log_info("Stopped before org.vasd1 was ours: the ledger was not written");
		rc = 0;
		goto out;
	}
	r = ingest_exit_error(d.ingest);
	if (r < 0 || coordinator_exit_error(d.coordinator) < 0 ||
	    retention_exit_error(d.retention) < 0)
		goto out;
	r = ingest_stop(d.ingest);
	if (r < 0)
		goto out;
	if (d.bus && vasd_bus_exit_error(d.bus) < 0)
		goto out;
	ingest_get_stats(d.ingest, &st);
	log_info("Stopped: %llu events in %llu transactions, %llu resyncs, %llu overruns, %llu malformed, %llu stale; event-to-commit p50 %llu us, p99 %llu us, max %llu us",
		 (unsigned long long)st.events,
		 (unsigned long long)st.transactions,
		 (unsigned long long)st.resyncs,
		 (unsigned long long)st.overruns,
		 (unsigned long long)st.malformed,
		 (unsigned long long)st.stale,
		 (unsigned long long)st.latency_p50_us,
		 (unsigned long long)st.latency_p99_us,
		 (unsigned long long)st.latency_max_us);
	rc = 0;
out:
	if (d.watchdog)
		event_free(d.watchdog);
	if (d.sigterm)
		event_free(d.sigterm);
	if (d.sigint)
		event_free(d.sigint);
	if (d.sighup)
		event_free(d.sighup);
	if (d.status)
		event_free(d.status);
	vasd_bus_free(d.bus);
	retention_free(d.retention);
	coordinator_free(d.coordinator);
	ingest_free(d.ingest);
	event_base_free(d.base);
	return rc;
}

int main(int argc, char **argv)
{
	struct options o = {
		.ingest = {
			.kernel = "auto",
			.observe_interval_ms = KERNEL_SOURCE_OBSERVE_INTERVAL_MS,
			.rcvbuf = 8 << 20,
			.batch_events = 256,
			.batch_ms = 10,
		},
		.inhibit_delay_max_usec = INHIBIT_DELAY_MAX_USEC_DEFAULT,
		.bus.locks_per_user = LOCKS_PER_USER_DEFAULT,
	};
	int r;

	/* a fake kernel that goes away must be an error, not a signal */
	signal(SIGPIPE, SIG_IGN);
	/* until the loop says so (on_sighup), SIGHUP does nothing either */
	signal(SIGHUP, SIG_IGN);
	r = parse_argv(argc, argv, &o);
	if (r != 0) {
		free(o.database);
		return r > 0 ? 0 : EXIT_USAGE;
	}
	r = run(&o);
	free(o.database);
	return r;
}
