// SPDX-License-Identifier: GPL-2.0-only
/*
 * vas-client: a reference client of vasd, using the migration protocol the
 * way a library such as libnxz should (README.md, "Writing a client of
 * vasd"). Written to be read and copied from.
 *
 * What one client does:
 *
 *   1. Open a VAS window as libnxz does: open /dev/crypto/nx-gzip,
 *      ioctl(VAS_TX_WIN_OPEN), mmap the paste page.
 *   2. Connect to the system bus and subscribe to vasd's NameOwnerChanged
 *      and to PrepareForMigration; only once the bus confirmed both matches,
 *      take an inhibitor lock: Manager.Inhibit("migration", who, why, mode)
 *      returns a file descriptor. Subscribing first means that no migration
 *      vasd announces while the lock is held goes unheard.
 *   3. PrepareForMigration(true): submit no new work, let the work in flight
 *      finish, then close the lock's fd. Closing it is the answer vasd waits
 *      for (dying closes it too). The paste page is left alone from now on:
 *      the kernel suspends the window and a paste would fail.
 *   4. PrepareForMigration(false) (resumed, or failed: either way over):
 *      take a new lock and carry on with the same window, which the kernel
 *      reopened behind the same mapping.
 *   5. vasd restarted: the lock was a pipe to the old vasd and went with it;
 *      take a new one from the new vasd.
 *   6. vasd refused the lock for now (TooManyInhibitors: the user's, or
 *      vasd's, locks are all taken): try again after 1 s, 2 s, 4 s ... at
 *      most 60 s, each with up to half again at random so that refused
 *      clients do not come back together; a new vasd is tried at once. A
 *      refusal that will not change (AccessDenied: a block lock without the
 *      privilege) is not retried.
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
 * bus connection, lock and window, on one sd_event loop: what a benchmark
 * needs to stand for N processes.
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
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "vas-api.h"

#define NX_GZIP_DEV	"/dev/crypto/nx-gzip"

#define VASD_NAME	"org.vasd1"
#define VASD_PATH	"/org/vasd1"
#define VASD_MANAGER	"org.vasd1.Manager"

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

enum client_state {
	CLIENT_RUNNING,		/* submitting work */
	CLIENT_DRAINING,	/* told of a migration: the work in flight finishes */
	CLIENT_QUIESCED,	/* nothing in flight; waiting for the migration's end */
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
	enum client_state state;
	bool resume_pending;	/* the migration ended while we drained */
	bool ready;		/* held its first lock */
	bool lock_again;	/* the Inhibit call pending follows a migration */
	int window_fd;
	void *paste;
	sd_bus *bus;
	sd_bus_slot *inhibit_call;
	sd_bus_slot *phase_call;	/* Get MigrationPhase (the kernel's) */
	sd_bus_slot *state_call;	/* Get MigrationState (vasd's) */
	sd_event_source *drain;
	sd_event_source *retry;	/* the next Inhibit after a refusal */
	unsigned int refusals;	/* in a row: the backoff's exponent */
	int lock_fd;
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

static void client_release_lock(struct client *c)
{
	if (c->lock_fd < 0)
		return;
	close(c->lock_fd);
	c->lock_fd = -1;
	client_log(c, "lock-released", NULL, NULL);
}

/* Whether this client gives its lock back when told of a migration. */
static bool client_releases(const struct client *c)
{
	return c->app->opts->mode == LOCK_DELAY &&
	       c->app->opts->variant == VARIANT_NORMAL;
}

static void client_resume(struct client *c);
static void client_quiesce(struct client *c);

/*
 * A migration that began before our match was in place was announced to
 * others only: join it as if we had been told. The kernel's phase says so
 * for a migration the kernel began; vasd's state for one drmgr's pre hook
 * began, before the kernel knows of it.
 */
static void client_join(struct client *c, sd_bus_message *m)
{
	static const char *const under_way[] = {
		"prepare", "suspending", "suspended",	/* MigrationPhase */
		"quiescing", "quiesced",		/* MigrationState */
	};
	const char *value;

	if (sd_bus_message_is_method_error(m, NULL) ||
	    sd_bus_message_read(m, "v", "s", &value) < 0 ||
	    c->state != CLIENT_RUNNING)
		return;
	for (size_t i = 0; i < ELEMENTSOF(under_way); i++)
		if (strcmp(value, under_way[i]) == 0) {
			client_log(c, "migration-in-progress", "phase",
				   json_object_new_string(value));
			client_quiesce(c);
			return;
		}
}

static int on_phase_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct client *c = userdata;

	c->phase_call = sd_bus_slot_unref(c->phase_call);
	client_join(c, m);
	return 0;
}

static int on_state_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct client *c = userdata;

	c->state_call = sd_bus_slot_unref(c->state_call);
	client_join(c, m);
	return 0;
}

static void client_check_phase(struct client *c)
{
	int r = 0;

	if (!c->phase_call)
		r = sd_bus_call_method_async(c->bus, &c->phase_call, VASD_NAME, VASD_PATH,
					     "org.freedesktop.DBus.Properties", "Get",
					     on_phase_reply, c, "ss", VASD_MANAGER,
					     "MigrationPhase");
	if (r >= 0 && !c->state_call)
		r = sd_bus_call_method_async(c->bus, &c->state_call, VASD_NAME, VASD_PATH,
					     "org.freedesktop.DBus.Properties", "Get",
					     on_state_reply, c, "ss", VASD_MANAGER,
					     "MigrationState");
	if (r < 0)
		client_log_error(c, "phase-check-failed", r);
}

static void client_take_lock(struct client *c, bool again);

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct client *c = userdata;

	c->retry = sd_event_source_unref(c->retry);
	/* a migration announced meanwhile: its end takes the lock */
	if (c->state == CLIENT_RUNNING)
		client_take_lock(c, false);
	return 0;
}

#define RETRY_FIRST_USEC (1000 * 1000ULL)
#define RETRY_MAX_USEC (60 * 1000 * 1000ULL)

/* The backoff after the nth refusal in a row, before its jitter. */
static uint64_t retry_delay(unsigned int n)
{
	uint64_t d = RETRY_FIRST_USEC;

	while (n-- > 1 && d < RETRY_MAX_USEC)
		d *= 2;
	return d < RETRY_MAX_USEC ? d : RETRY_MAX_USEC;
}

static void client_retry_later(struct client *c)
{
	uint64_t d = retry_delay(++c->refusals);
	int r;

	d += (uint64_t)random() % (d / 2 + 1);
	c->retry = sd_event_source_unref(c->retry);
	r = sd_event_add_time_relative(c->app->event, &c->retry, CLOCK_MONOTONIC,
				       d, 0, on_retry, c);
	if (r < 0) {
		client_log_error(c, "retry-timer-failed", r);
		return;
	}
	client_log(c, "inhibit-retry", "after_ms",
		   json_object_new_int64((int64_t)(d / 1000)));
}

static int on_inhibit_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct client *c = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);
	bool again = c->lock_again;
	int fd, r;

	c->inhibit_call = sd_bus_slot_unref(c->inhibit_call);
	c->lock_again = false;
	if (e) {
		/*
		 * vasd is not running (ServiceUnknown), or refused the lock.
		 * Carry on uncoordinated meanwhile: the accelerator works
		 * without vasd. NameOwnerChanged says when a new vasd is
		 * there; a full vasd is asked again later.
		 */
		client_log(c, "inhibit-failed", "error", json_object_new_string(e->name));
		if (sd_bus_error_has_name(e, "org.vasd1.Error.TooManyInhibitors"))
			client_retry_later(c);
		return 0;
	}
	c->refusals = 0;
	r = sd_bus_message_read(m, "h", &fd);
	if (r >= 0) {
		/* the message owns fd and closes it when freed: keep a copy */
		c->lock_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (c->lock_fd < 0)
			r = -errno;
	}
	if (r < 0) {
		client_log_error(c, "inhibit-failed", r);
		return 0;
	}
	client_log(c, again ? "lock-taken-again" : "lock-taken", "mode",
		   json_object_new_string(lock_mode_names[c->app->opts->mode]));
	if (!c->ready) {
		c->ready = true;
		if (++c->app->n_ready == c->app->opts->clients)
			app_ready(c->app);
	}
	/* the answer came after a migration was announced and drained */
	if (c->state == CLIENT_QUIESCED && client_releases(c))
		client_release_lock(c);
	/* after a resume we know where things stand; after a (re)start, ask */
	if (!again)
		client_check_phase(c);
	return 0;
}

/* again: the lock follows a migration (the log tells them apart) */
static void client_take_lock(struct client *c, bool again)
{
	enum lock_mode mode = c->app->opts->mode;
	int r;

	/* one call at a time; NameOwnerChanged cancels one sent to an old vasd */
	if (c->inhibit_call || c->lock_fd >= 0)
		return;
	c->retry = sd_event_source_unref(c->retry);
	r = sd_bus_call_method_async(c->bus, &c->inhibit_call, VASD_NAME, VASD_PATH,
				     VASD_MANAGER, "Inhibit", on_inhibit_reply, c,
				     "ssss", "migration", c->who, lock_reasons[mode],
				     lock_mode_names[mode]);
	if (r < 0)
		client_log_error(c, "inhibit-failed", r);
	else
		c->lock_again = again;
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
	if (client_releases(c))
		client_release_lock(c);
	c->state = CLIENT_QUIESCED;
	if (c->resume_pending)
		client_resume(c);
	return 0;
}

/*
 * Stop submitting and let the work in flight finish. For libnxz that is:
 * new deflate/inflate calls wait (or take the software path), and the
 * requests already pasted complete (their CSBs are written); here the work
 * in flight takes --work-ms. The paste page is not touched from now on.
 */
static void client_quiesce(struct client *c)
{
	int r;

	c->state = CLIENT_DRAINING;
	c->resume_pending = false;
	r = sd_event_add_time_relative(c->app->event, &c->drain, CLOCK_MONOTONIC,
				       c->app->opts->work_usec, 1000, on_drained, c);
	if (r < 0) {
		/* cannot wait: treat the work as drained now, vasd must hear */
		client_log_error(c, "drain-timer-failed", r);
		on_drained(NULL, 0, c);
	}
}

/* The migration is over: the window is back behind the same mapping. */
static void client_resume(struct client *c)
{
	c->resume_pending = false;
	c->state = CLIENT_RUNNING;
	client_take_lock(c, true);
	client_paste(c);
}

static int on_prepare_for_migration(sd_bus_message *m, void *userdata,
				    sd_bus_error *ret_error)
{
	struct client *c = userdata;
	const char *name;
	int active, r;

	r = sd_bus_message_read(m, "bs", &active, &name);
	if (r < 0) {
		client_log_error(c, "bad-signal", r);
		return 0;
	}
	client_log(c, active ? "prepare-received" : "resume-received", "migration",
		   json_object_new_string(name));
	if (active) {
		if (c->state == CLIENT_RUNNING)
			client_quiesce(c);
		else
			c->resume_pending = false;
	} else if (c->state == CLIENT_QUIESCED) {
		client_resume(c);
	} else if (c->state == CLIENT_DRAINING) {
		/* finish the drain and give the lock back first */
		c->resume_pending = true;
	}
	return 0;
}

/*
 * vasd came or went. Its locks are pipes it holds the read end of: when it
 * exits they are gone, whatever we hold. A new vasd knows of no lock.
 */
static int on_name_owner_changed(sd_bus_message *m, void *userdata,
				 sd_bus_error *ret_error)
{
	struct client *c = userdata;
	const char *name, *old_owner, *new_owner;
	int r;

	r = sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner);
	if (r < 0) {
		client_log_error(c, "bad-signal", r);
		return 0;
	}
	if (*old_owner) {
		client_log(c, "vasd-gone", "owner", json_object_new_string(old_owner));
		c->inhibit_call = sd_bus_slot_unref(c->inhibit_call);
		c->phase_call = sd_bus_slot_unref(c->phase_call);
		c->state_call = sd_bus_slot_unref(c->state_call);
		if (c->lock_fd >= 0) {
			close(c->lock_fd);
			c->lock_fd = -1;
			client_log(c, "lock-lost", NULL, NULL);
		}
	}
	if (*new_owner) {
		client_log(c, "vasd-started", "owner", json_object_new_string(new_owner));
		/*
		 * While a migration is on, wait for its end instead: a lock
		 * taken now would not be waited for, and the new vasd tells
		 * the clients again (docs/migration.md, "Restart").
		 */
		if (c->state == CLIENT_RUNNING)
			client_take_lock(c, false);
	}
	return 0;
}

static int on_match_installed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct client *c = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);

	if (e) {
		fprintf(stderr, "vas-client: %s: cannot subscribe to PrepareForMigration: %s\n",
			c->who, e->message ? e->message : e->name);
		return sd_event_exit(c->app->event, EXIT_FAILURE);
	}
	client_take_lock(c, false);
	return 0;
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

/*
 * Both matches are asked for at once; the bus answers AddMatch in order, so
 * the second answer means both hold. A failure of the first ends the
 * connection (sd-bus does so without an install callback), and the client.
 */
static int client_subscribe(struct client *c)
{
	int r;

	r = sd_bus_add_match_async(c->bus, NULL,
				   "type='signal',sender='org.freedesktop.DBus',"
				   "path='/org/freedesktop/DBus',"
				   "interface='org.freedesktop.DBus',"
				   "member='NameOwnerChanged',arg0='" VASD_NAME "'",
				   on_name_owner_changed, NULL, c);
	if (r < 0)
		return r;
	return sd_bus_match_signal_async(c->bus, NULL, VASD_NAME, VASD_PATH,
					 VASD_MANAGER, "PrepareForMigration",
					 on_prepare_for_migration, on_match_installed, c);
}

static int client_start(struct client *c)
{
	int r;

	if (c->app->opts->window) {
		r = client_open_window(c);
		if (r < 0) {
			fprintf(stderr, "vas-client: %s: cannot open a window on %s: %s\n",
				c->who, NX_GZIP_DEV, strerror(-r));
			return r;
		}
	}
	r = sd_bus_open_system_with_description(&c->bus, c->who);
	if (r >= 0)
		/* without the bus nothing is coordinated: stop (libnxz would go on) */
		r = sd_bus_set_exit_on_disconnect(c->bus, true);
	if (r >= 0)
		r = sd_bus_attach_event(c->bus, c->app->event, SD_EVENT_PRIORITY_NORMAL);
	if (r >= 0)
		r = client_subscribe(c);
	if (r < 0)
		fprintf(stderr, "vas-client: %s: cannot connect to the system bus: %s\n",
			c->who, strerror(-r));
	return r;
}

static void client_stop(struct client *c, int status)
{
	c->drain = sd_event_source_unref(c->drain);
	c->retry = sd_event_source_unref(c->retry);
	c->inhibit_call = sd_bus_slot_unref(c->inhibit_call);
	c->phase_call = sd_bus_slot_unref(c->phase_call);
	c->state_call = sd_bus_slot_unref(c->state_call);
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	if (c->paste)
		munmap(c->paste, page_size);
	if (c->window_fd >= 0)
		close(c->window_fd);
	c->bus = sd_bus_flush_close_unref(c->bus);
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
	/* the retries' jitter: differs between processes */
	srandom((unsigned int)getpid() ^ (unsigned int)now_ns());
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
		c->lock_fd = -1;
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
