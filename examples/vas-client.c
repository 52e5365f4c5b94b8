// SPDX-License-Identifier: GPL-2.0-only
/*
 * vas-client: a reference client of vasd, using the migration protocol the
 * way a library such as libnxz should (README.md, "Writing a client of
 * vasd"), through libvasclient (lib/client/vasclient.h), on an sd_event
 * loop of its own. Written to be read and copied from.
 *
 * What one client does (steps 2 and 4 to 6 are the library's):
 *
 *   1. Open a VAS window as libnxz does: open /dev/crypto/nx-gzip,
 *      ioctl(VAS_TX_WIN_OPEN), mmap the paste page.
 *   2. Connect to the system bus and subscribe to vasd's NameOwnerChanged
 *      and to PrepareForMigration; only once the bus confirmed both matches,
 *      take an inhibitor lock: Manager.Inhibit("migration", who, why, mode)
 *      returns a file descriptor. Subscribing first means that no migration
 *      vasd announces while the lock is held goes unheard.
 *   3. PrepareForMigration(true): the library calls client_drain(): submit
 *      no new work, let the work in flight finish (--work-ms), then say
 *      vasclient_drained(), and the library closes the lock's fd. Closing it
 *      is the answer vasd waits for (dying closes it too). The paste page is
 *      left alone from now on: the kernel suspends the window and a paste
 *      would fail.
 *   4. PrepareForMigration(false) (resumed, or failed: either way over):
 *      take a new lock; client_resume() carries on with the same window,
 *      which the kernel reopened behind the same mapping.
 *   5. vasd restarted: the lock was a pipe to the old vasd and went with it;
 *      take a new one from the new vasd.
 *   6. vasd refused the lock for now (TooManyInhibitors: the user's, or
 *      vasd's, locks are all taken) or is not there: try again after 1 s,
 *      2 s, 4 s ... at most 60 s, each with up to half again at random so
 *      that refused clients do not come back together; a new vasd is tried
 *      at once. A refusal that will not change (AccessDenied: a block lock
 *      without the privilege) is not retried.
 *
 * A "block" lock vetoes migrations that drmgr's check hook asks about; its
 * holder keeps it through a migration it could not stop (one the kernel
 * started), and still stops pasting meanwhile.
 *
 * Variants for tests: "never-release" drains but keeps its delay lock
 * (vasd waits InhibitDelayMaxUSec for it, then goes on); "die-while-preparing"
 * is killed when its work has drained, lock still held.
 *
 * Several clients may run in one process (--clients N), each with its own
 * bus connection (a libvasclient client), lock and window, on one sd_event
 * loop: what a benchmark needs to stand for N processes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <systemd/sd-event.h>
#include <vasclient.h>

#include "vas-api.h"

#define NX_GZIP_DEV	"/dev/crypto/nx-gzip"

#define ELEMENTSOF(x)	(sizeof(x) / sizeof((x)[0]))

#define CLIENTS_MAX	100000
#define WORK_MS_MAX	3600000

enum lock_mode {
	LOCK_DELAY,
	LOCK_BLOCK,
};

enum variant {
	VARIANT_NORMAL,
	VARIANT_NEVER_RELEASE,
	VARIANT_DIE_WHILE_PREPARING,
};

static const char *const lock_mode_names[] = {
	[LOCK_DELAY] = "delay",
	[LOCK_BLOCK] = "block",
};

static const char *const lock_reasons[] = {
	[LOCK_DELAY] = "finishes its NX GZIP requests before a migration",
	[LOCK_BLOCK] = "must not be migrated while it runs",
};

static const char *const variant_names[] = {
	[VARIANT_NORMAL] = "normal",
	[VARIANT_NEVER_RELEASE] = "never-release",
	[VARIANT_DIE_WHILE_PREPARING] = "die-while-preparing",
};

struct options {
	const char *who;
	enum lock_mode mode;
	enum variant variant;
	bool window;
	uint64_t work_usec;
	const char *log_path;
	int ready_fd;
	unsigned int clients;
};

struct app {
	const struct options *opts;
	sd_event *event;
	int log_fd;
	unsigned int n_ready;
	struct client *clients;
};

struct client {
	struct app *app;
	char *who;
	bool ready;		/* held its first lock */
	int window_fd;
	void *paste;
	vasclient *vc;		/* the lock and what it takes: libvasclient */
	sd_event_source *io;	/* the library's connection */
	sd_event_source *timer;	/* and its timeouts */
	sd_event_source *drain;
};

static size_t page_size;

/*
 * The paste page of a suspended window faults. On POWER the kernel's fault
 * handler (vas_mmap_fault() in arch/powerpc/platforms/book3s/vas-api.c)
 * turns that into a failed paste (do_fail_paste() steps over the paste
 * instruction with CR0 cleared, as when the paste was not accepted), and
 * libnxz sees an ordinary paste failure, which it retries with a backoff. The simulation runs on machines without a paste
 * instruction and raises SIGBUS instead; this client catches the SIGBUS of
 * its own paste and maps it to the same "paste failed" result. Any other
 * SIGBUS is a bug and kills the process as usual.
 *
 * During a migration nothing pastes at all (vasd said so first), so the
 * fault is only met when a window is suspended without a migration (DLPAR
 * took the credits) or is still suspended when a migration ends.
 */
static sigjmp_buf paste_fault;
static void *volatile paste_pending;

static void on_sigbus(int sig, siginfo_t *si, void *ucontext)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	char *page = paste_pending;

	if (page && si->si_code > 0 &&
	    (char *)si->si_addr >= page && (char *)si->si_addr < page + page_size)
		siglongjmp(paste_fault, 1);
	/* not our paste: die of it, delivered again once the handler returns */
	sigaction(SIGBUS, &dfl, NULL);
	raise(SIGBUS);
}

/* Stands in for a paste of a CRB: true when the window took it. */
static bool paste(void *page)
{
	if (sigsetjmp(paste_fault, 1)) {
		paste_pending = NULL;
		return false;
	}
	paste_pending = page;
	*(volatile unsigned char *)page = 0;
	paste_pending = NULL;
	return true;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * One JSON line per step, written with one write() on an O_APPEND file, so
 * that clients in several processes may share the log. value (owned) is
 * added as key when key is not NULL. A log that cannot be written loses the
 * line; the client goes on.
 */
static void client_log(struct client *c, const char *step, const char *key,
		       struct json_object *value)
{
	int64_t ns = now_ns();
	struct json_object *o = json_object_new_object();
	const char *s;
	char *line;
	int n;

	if (!o) {
		json_object_put(value);
		return;
	}
	json_object_object_add(o, "time", json_object_new_int64(ns));
	json_object_object_add(o, "who", json_object_new_string(c->who));
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	json_object_object_add(o, "step", json_object_new_string(step));
	if (key)
		json_object_object_add(o, key, value);
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	n = s ? asprintf(&line, "%s\n", s) : -1;
	if (n > 0) {
		if (write(c->app->log_fd, line, (size_t)n) != n)
			fprintf(stderr, "vas-client: %s: cannot write the log\n", c->who);
		free(line);
	}
	json_object_put(o);
}

static void client_log_error(struct client *c, const char *step, int error)
{
	client_log(c, step, "error", json_object_new_string(strerror(-error)));
}

static void client_paste(struct client *c)
{
	if (!c->paste)
		return;
	client_log(c, paste(c->paste) ? "window-paste-ok" : "window-paste-failed",
		   NULL, NULL);
}

static void app_ready(struct app *a)
{
	if (a->opts->ready_fd < 0) {
		printf("ready\n");
		fflush(stdout);
		return;
	}
	if (write(a->opts->ready_fd, "ready\n", 6) != 6)
		fprintf(stderr, "vas-client: cannot write to the ready fd: %s\n", strerror(errno));
	close(a->opts->ready_fd);
}

static void client_log_event(vasclient *vc, enum vasclient_event event, const char *detail,
			     uint64_t value, void *userdata)
{
	struct client *c = userdata;
	const char *step = vasclient_event_name(event);
	const char *key = NULL;

	switch (event) {
	case VASCLIENT_LOCK_TAKEN:
	case VASCLIENT_LOCK_TAKEN_AGAIN:
		key = "mode";
		break;
	case VASCLIENT_PREPARE_RECEIVED:
	case VASCLIENT_RESUME_RECEIVED:
		key = "migration";
		break;
	case VASCLIENT_MIGRATION_IN_PROGRESS:
		key = "phase";
		break;
	case VASCLIENT_VASD_GONE:
	case VASCLIENT_VASD_STARTED:
		key = "owner";
		break;
	case VASCLIENT_INHIBIT_FAILED:
		/* a D-Bus error's name, or a local errno */
		client_log(c, step, "error",
			   json_object_new_string(detail ? detail : strerror((int)value)));
		return;
	case VASCLIENT_INHIBIT_RETRY:
		client_log(c, step, "after_ms", json_object_new_int64((int64_t)(value / 1000)));
		return;
	case VASCLIENT_CLIENT_ERROR:
		if (detail && strcmp(detail, "subscribe") == 0) {
			/* without the match nothing is coordinated: stop */
			fprintf(stderr, "vas-client: %s: cannot subscribe to PrepareForMigration\n",
				c->who);
			sd_event_exit(c->app->event, EXIT_FAILURE);
		}
		client_log(c, detail ? detail : "client-error", "error",
			   json_object_new_string(strerror((int)value)));
		return;
	default:
		break;
	}
	client_log(c, step ? step : "unknown-event", key,
		   key && detail ? json_object_new_string(detail) : NULL);
	if (event == VASCLIENT_LOCK_TAKEN && !c->ready) {
		c->ready = true;
		if (++c->app->n_ready == c->app->opts->clients)
			app_ready(c->app);
	}
}

static int on_drained(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct client *c = userdata;

	c->drain = sd_event_source_unref(c->drain);
	client_log(c, "drained", NULL, NULL);
	if (c->app->opts->variant == VARIANT_DIE_WHILE_PREPARING) {
		client_log(c, "dying", NULL, NULL);
		raise(SIGKILL);
	}
	/* the library releases the lock (unless the mode keeps it) */
	vasclient_drained(c->vc);
	return 0;
}

/*
 * Stop submitting and let the work in flight finish. For libnxz that is:
 * new deflate/inflate calls wait (or take the software path), and the
 * requests already pasted complete (their CSBs are written); here the work
 * in flight takes --work-ms. The paste page is not touched from now on.
 */
static enum vasclient_drain client_drain(vasclient *vc, const char *migration, void *userdata)
{
	struct client *c = userdata;
	int r;

	c->drain = sd_event_source_unref(c->drain);
	r = sd_event_add_time_relative(c->app->event, &c->drain, CLOCK_MONOTONIC,
				       c->app->opts->work_usec, 1000, on_drained, c);
	if (r < 0) {
		/* cannot wait: treat the work as drained now, vasd must hear */
		client_log_error(c, "drain-timer-failed", r);
		client_log(c, "drained", NULL, NULL);
		return VASCLIENT_DRAINED;
	}
	return VASCLIENT_DRAIN_LATER;
}

/* The migration is over: the window is back behind the same mapping. */
static void client_resume(vasclient *vc, const char *migration, void *userdata)
{
	client_paste(userdata);
}

/*
 * The library's connection in our sd_event loop: before each wait, what to
 * wait for on its fd and until when (the bus's timeouts, its retries).
 */
static int client_process(struct client *c)
{
	if (vasclient_process(c->vc) < 0) {
		/* without the bus nothing is coordinated: stop (libnxz would go on) */
		fprintf(stderr, "vas-client: %s: the bus connection is gone\n", c->who);
		return sd_event_exit(c->app->event, EXIT_FAILURE);
	}
	return 0;
}

static int on_client_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	return client_process(userdata);
}

static int on_client_time(sd_event_source *s, uint64_t usec, void *userdata)
{
	return client_process(userdata);
}

static int on_client_prepare(sd_event_source *s, void *userdata)
{
	struct client *c = userdata;
	uint64_t until;
	int events, r;

	events = vasclient_get_events(c->vc);
	r = events < 0 ? events : sd_event_source_set_io_events(c->io, (uint32_t)events);
	if (r >= 0)
		r = vasclient_get_timeout(c->vc, &until);
	if (r >= 0 && until != UINT64_MAX)
		r = sd_event_source_set_time(c->timer, until);
	if (r >= 0)
		r = sd_event_source_set_enabled(c->timer, until == UINT64_MAX ?
						SD_EVENT_OFF : SD_EVENT_ONESHOT);
	return r;
}

static int client_open_window(struct client *c)
{
	struct vas_tx_win_open_attr attr = { .version = 1, .vas_id = -1 };
	void *p;

	c->window_fd = open(NX_GZIP_DEV, O_RDWR | O_CLOEXEC);
	if (c->window_fd < 0)
		return -errno;
	if (ioctl(c->window_fd, VAS_TX_WIN_OPEN, &attr) < 0)
		return -errno;
	p = mmap(NULL, page_size, PROT_WRITE, MAP_SHARED, c->window_fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	c->paste = p;
	client_log(c, "window-opened", "device", json_object_new_string(NX_GZIP_DEV));
	client_paste(c);
	return 0;
}

static enum vasclient_mode client_lock_mode(const struct options *opts)
{
	if (opts->mode == LOCK_BLOCK)
		return VASCLIENT_BLOCK;
	return opts->variant == VARIANT_NEVER_RELEASE ? VASCLIENT_DELAY_NEVER_RELEASE :
							 VASCLIENT_DELAY;
}

static int client_start(struct client *c)
{
	const struct options *opts = c->app->opts;
	int fd, r;

	if (opts->window) {
		r = client_open_window(c);
		if (r < 0) {
			fprintf(stderr, "vas-client: %s: cannot open a window on %s: %s\n",
				c->who, NX_GZIP_DEV, strerror(-r));
			return r;
		}
	}
	r = vasclient_new(&c->vc, c->who, lock_reasons[opts->mode], client_lock_mode(opts));
	if (r >= 0)
		r = vasclient_set_callbacks(c->vc, client_drain, client_resume, client_log_event, c);
	if (r >= 0)
		r = vasclient_start(c->vc);
	fd = r >= 0 ? vasclient_get_fd(c->vc) : r;
	r = fd;
	if (r >= 0)
		r = sd_event_add_io(c->app->event, &c->io, fd, EPOLLIN, on_client_io, c);
	if (r >= 0)
		r = sd_event_add_time(c->app->event, &c->timer, CLOCK_MONOTONIC, UINT64_MAX, 0,
				      on_client_time, c);
	if (r >= 0)
		r = sd_event_source_set_prepare(c->io, on_client_prepare);
	if (r < 0)
		fprintf(stderr, "vas-client: %s: cannot connect to the system bus: %s\n",
			c->who, strerror(-r));
	return r;
}

static void client_stop(struct client *c, int status)
{
	c->drain = sd_event_source_unref(c->drain);
	c->io = sd_event_source_unref(c->io);
	c->timer = sd_event_source_unref(c->timer);
	/* closes the lock and the connection */
	c->vc = vasclient_unref(c->vc);
	if (c->paste)
		munmap(c->paste, page_size);
	if (c->window_fd >= 0)
		close(c->window_fd);
	if (c->who)
		client_log(c, "exit", "status", json_object_new_int(status));
	free(c->who);
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si,
			  void *userdata)
{
	return sd_event_exit(sd_event_source_get_event(s), EXIT_SUCCESS);
}

/* Each client holds a bus connection, a lock and maybe a window. */
static void raise_fd_limit(unsigned int clients)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)clients * 3 + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		fprintf(stderr, "vas-client: cannot raise the open files limit: %s\n", strerror(errno));
}

static int app_run(const struct options *opts)
{
	struct app a = { .opts = opts, .log_fd = STDERR_FILENO };
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
	unsigned int started = 0;
	sigset_t mask;
	int r;

	page_size = (size_t)sysconf(_SC_PAGESIZE);
	sigemptyset(&sa.sa_mask);
	/* sd_event takes signals from a signalfd: they must be blocked */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigaction(SIGBUS, &sa, NULL) < 0 || sigprocmask(SIG_BLOCK, &mask, NULL) < 0) {
		fprintf(stderr, "vas-client: cannot set up the signals: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}
	raise_fd_limit(opts->clients);

	if (opts->log_path) {
		a.log_fd = open(opts->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (a.log_fd < 0) {
			fprintf(stderr, "vas-client: %s: %s\n", opts->log_path, strerror(errno));
			return EXIT_FAILURE;
		}
	}
	a.clients = calloc(opts->clients, sizeof(*a.clients));
	r = a.clients ? sd_event_default(&a.event) : -ENOMEM;
	if (r >= 0)
		r = sd_event_add_signal(a.event, NULL, SIGTERM, on_exit_signal, NULL);
	if (r >= 0)
		r = sd_event_add_signal(a.event, NULL, SIGINT, on_exit_signal, NULL);

	for (; r >= 0 && started < opts->clients; started++) {
		struct client *c = &a.clients[started];

		c->app = &a;
		c->window_fd = -1;
		if (opts->clients == 1)
			c->who = strdup(opts->who);
		else if (asprintf(&c->who, "%s-%u", opts->who, started + 1) < 0)
			c->who = NULL;
		r = c->who ? client_start(c) : -ENOMEM;
	}
	if (r >= 0)
		r = sd_event_loop(a.event);
	else if (r == -ENOMEM)
		fprintf(stderr, "vas-client: out of memory\n");
	if (r < 0)
		r = EXIT_FAILURE;

	for (unsigned int i = 0; i < started; i++)
		client_stop(&a.clients[i], r);
	free(a.clients);
	sd_event_unref(a.event);
	if (a.log_fd != STDERR_FILENO)
		close(a.log_fd);
	return r;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vas-client [OPTIONS]\n"
		"A reference client of vasd: opens a VAS window, holds an inhibitor lock,\n"
		"drains and gives it back on PrepareForMigration(true), takes a new one on\n"
		"PrepareForMigration(false), until SIGTERM or SIGINT.\n"
		"  -w, --who NAME        the lock's 'who' (default vas-client; NAME-1.. with --clients)\n"
		"  -m, --mode MODE       delay (default) or block\n"
		"  -V, --variant V       normal (default), never-release, die-while-preparing\n"
		"  -n, --no-window       do not open a window (no " NX_GZIP_DEV ")\n"
		"  -t, --work-ms N       how long the work in flight takes to drain (default 100)\n"
		"  -l, --log FILE        append a JSON line per step to FILE (default: stderr):\n"
		"                        {\"time\": CLOCK_REALTIME ns, \"who\", \"pid\", \"step\", ...}\n"
		"  -r, --ready-fd N      write \"ready\" to fd N and close it once every client\n"
		"                        holds its first lock (default: a line on stdout)\n"
		"  -c, --clients N       run N clients in this process, each with its own bus\n"
		"                        connection, lock and window (default 1)\n"
		"  -h, --help            show this help\n"
		"Exit status: 0 after SIGTERM/SIGINT, 1 on a failure, 2 on bad usage.\n");
}

static int parse_uint(const char *s, unsigned long max, unsigned long *ret)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_name(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "who", required_argument, NULL, 'w' },
		{ "mode", required_argument, NULL, 'm' },
		{ "variant", required_argument, NULL, 'V' },
		{ "no-window", no_argument, NULL, 'n' },
		{ "work-ms", required_argument, NULL, 't' },
		{ "log", required_argument, NULL, 'l' },
		{ "ready-fd", required_argument, NULL, 'r' },
		{ "clients", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct options opts = {
		.who = "vas-client",
		.mode = LOCK_DELAY,
		.variant = VARIANT_NORMAL,
		.window = true,
		.work_usec = 100 * 1000,
		.ready_fd = -1,
		.clients = 1,
	};
	unsigned long v;
	int c, r;

	while ((c = getopt_long(argc, argv, "w:m:V:nt:l:r:c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'w':
			if (!*optarg) {
				fprintf(stderr, "vas-client: --who must not be empty\n");
				return 2;
			}
			opts.who = optarg;
			break;
		case 'm':
			r = parse_name(optarg, lock_mode_names, ELEMENTSOF(lock_mode_names));
			if (r < 0) {
				fprintf(stderr, "vas-client: --mode is delay or block, not '%s'\n", optarg);
				return 2;
			}
			opts.mode = (enum lock_mode)r;
			break;
		case 'V':
			r = parse_name(optarg, variant_names, ELEMENTSOF(variant_names));
			if (r < 0) {
				fprintf(stderr, "vas-client: unknown --variant '%s'\n", optarg);
				return 2;
			}
			opts.variant = (enum variant)r;
			break;
		case 'n':
			opts.window = false;
			break;
		case 't':
			if (parse_uint(optarg, WORK_MS_MAX, &v) < 0) {
				fprintf(stderr, "vas-client: --work-ms takes 0..%d, not '%s'\n",
					WORK_MS_MAX, optarg);
				return 2;
			}
			opts.work_usec = (uint64_t)v * 1000;
			break;
		case 'l':
			opts.log_path = optarg;
			break;
		case 'r':
			if (parse_uint(optarg, INT32_MAX, &v) < 0 ||
			    fcntl((int)v, F_SETFD, FD_CLOEXEC) < 0) {
				fprintf(stderr, "vas-client: --ready-fd '%s' is not an open fd\n", optarg);
				return 2;
			}
			opts.ready_fd = (int)v;
			break;
		case 'c':
			if (parse_uint(optarg, CLIENTS_MAX, &v) < 0 || v == 0) {
				fprintf(stderr, "vas-client: --clients takes 1..%d, not '%s'\n",
					CLIENTS_MAX, optarg);
				return 2;
			}
			opts.clients = (unsigned int)v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	return app_run(&opts);
}
