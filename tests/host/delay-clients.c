// SPDX-License-Identifier: GPL-2.0-only
/*
 * delay-clients: N clients in one process, each its own connection to the
 * system bus ($DBUS_SYSTEM_BUS_ADDRESS) holding one delay inhibitor lock of
 * org.vasd1; for the 1000-client migration test and bench/quiesce.
 *
 *   delay-clients N [T JOB_US GAP_US]
 *
 * T: each client has T worker threads of an application's (bench/
 * client-drain's floor: the same application load as vasclient-test's),
 * each in a loop of a job JOB_US in flight and a pause of GAP_US, that stop
 * at PrepareForMigration(true) and go on at (false). They take no part in
 * the release: the client closes its lock at once, in flight or not.
 *
 * Each client behaves as a migration wants it (bus-client follow with no
 * delay): on PrepareForMigration(true) it closes its lock at once, on
 * (false) it takes a new one. It prints:
 *   held N                 every client holds a lock (at the start, and
 *                          again once a migration's clients took new ones)
 *   released NAME K        every client heard (true, NAME); K closed theirs
 *   resumed NAME           every client heard (false, NAME)
 * and reads commands from stdin (EOF exits):
 *   never K                from now on the last K clients never release
 *   ping                   every client sends vasd a Ping at once; prints
 *                          "ping NS", first sent to last reply
 *   migrate                as root's hook would, on a connection of its
 *                          own: MigrationCheck, MigrationPrepare, and once
 *                          every client heard true, MigrationComplete;
 *                          prints "pre NS NAME MESSAGE" (NS: the call to
 *                          its reply) and, when every client holds a lock
 *                          again, "post NAME MESSAGE"
 * NS: CLOCK_MONOTONIC nanoseconds. One epoll set, sd_bus_process() per
 * ready connection, as bench/signal-fanout.c: a Ping's reply and a
 * signal cost the clients the same.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "bus-epoll.h"

#include "util/macro.h"
#include "util/time-util.h"

#define DEST "org.vasd1"
#define PATH "/org/vasd1"
#define IFACE "org.vasd1.Manager"
#define CALL_TIMEOUT_USEC (300 * 1000 * 1000ull)
#define NAME_MAX_LEN 32

struct client {
	sd_bus *bus;
	uint32_t events;	/* what epoll watches */
	struct crowd *cr;
	int fd;			/* the lock; -1 while none is held */
	bool never;		/* does not release */

	/* the application's worker threads (T), as vasclient-test's */
	pthread_mutex_t lock;
	pthread_cond_t resumed;
	bool stopped;		/* between (true) and (false): no new job */
	bool quit;
	pthread_t *workers;
};

static unsigned long n_threads, job_usec, gap_usec;

static void set_stopped(struct client *c, bool stopped)
{
	if (!n_threads)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopped = stopped;
	pthread_cond_broadcast(&c->resumed);
	pthread_mutex_unlock(&c->lock);
}

/* vasclient-test's worker without the library: a job, then a pause. */
static void *worker(void *userdata)
{
	struct client *c = userdata;
	struct timespec job = { job_usec / 1000000, job_usec % 1000000 * 1000 };
	struct timespec gap = { gap_usec / 1000000, gap_usec % 1000000 * 1000 };

	for (;;) {
		pthread_mutex_lock(&c->lock);
		while (c->stopped && !c->quit)
			pthread_cond_wait(&c->resumed, &c->lock);
		if (c->quit) {
			pthread_mutex_unlock(&c->lock);
			return NULL;
		}
		pthread_mutex_unlock(&c->lock);
		if (job_usec)
			nanosleep(&job, NULL);
		if (gap_usec)
			nanosleep(&gap, NULL);
	}
}

enum step {
	STEP_IDLE,
	STEP_PING,
	STEP_CHECK,
	STEP_PRE,		/* pre answered, or clients still hearing true */
	STEP_POST,
};

struct crowd {
	struct client *clients;
	size_t n;
	struct client hook;	/* root's phases */
	int epoll_fd;

	size_t n_held, n_true, n_released, n_false, n_replies;
	bool announced_held;
	unsigned long heard_true, heard_false;	/* rounds every client heard */
	char name[NAME_MAX_LEN];	/* of the last PrepareForMigration */

	enum step step;
	unsigned long step_true, step_false;	/* heard_* when it began */
	uint64_t t0, t1;
	bool answered;
	char *message;
	char answer_name[NAME_MAX_LEN];

	char line[256];
	size_t n_line;
	bool eof;
};

static void die(const char *what, int r)
{
	fprintf(stderr, "delay-clients: %s: %s\n", what, strerror(-r));
	exit(EXIT_FAILURE);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void rearm(struct crowd *cr, struct client *c)
{
	int r = bus_epoll_rearm(cr->epoll_fd, c->bus, c, &c->events);

	if (r < 0)
		die("rearming a connection", r);
}

static void check_reply(sd_bus_message *m, const char *what)
{
	const sd_bus_error *e = sd_bus_message_get_error(m);

	if (!e)
		return;
	fprintf(stderr, "delay-clients: %s: %s: %s\n", what, e->name,
		e->message ? e->message : "");
	exit(EXIT_FAILURE);
}

static int on_inhibit(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct client *c = userdata;
	int fd, r;

	check_reply(m, "Inhibit");
	r = sd_bus_message_read(m, "h", &fd);
	if (r < 0)
		die("Inhibit", r);
	/* the message's copy closes with it */
	c->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (c->fd < 0)
		die("dup", -errno);
	c->cr->n_held++;
	return 0;
}

static void inhibit(struct client *c)
{
	int r;

	r = sd_bus_call_method_async(c->bus, NULL, DEST, PATH, IFACE, "Inhibit",
				     on_inhibit, c, "ssss", "migration",
				     "delay-clients", "testing", "delay");
	if (r < 0)
		die("Inhibit", r);
}

static int on_prepare(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct client *c = userdata;
	struct crowd *cr = c->cr;
	const char *name;
	int active, r;

	r = sd_bus_message_read(m, "bs", &active, &name);
	if (r < 0)
		die("PrepareForMigration", r);
	snprintf(cr->name, sizeof(cr->name), "%s", name);
	set_stopped(c, active);
	if (!active) {
		cr->n_false++;
		if (c->fd < 0)
			inhibit(c);
		return 0;
	}
	cr->n_true++;
	/* drained: the close is the ack */
	if (!c->never && c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
		cr->n_held--;
		cr->n_released++;
	}
	return 0;
}

static int on_pong(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct crowd *cr = ((struct client *)userdata)->cr;

	check_reply(m, "Ping");
	cr->n_replies++;
	cr->t1 = now_ns(CLOCK_MONOTONIC);
	return 0;
}

static void call_phase(struct crowd *cr, const char *method,
		       sd_bus_message_handler_t fn)
{
	int r;

	cr->answered = false;
	cr->t0 = now_ns(CLOCK_MONOTONIC);
	r = sd_bus_call_method_async(cr->hook.bus, NULL, DEST, PATH, IFACE,
				     method, fn, cr, "");
	if (r < 0)
		die(method, r);
	rearm(cr, &cr->hook);
}

static void read_answer(struct crowd *cr, sd_bus_message *m, const char *what)
{
	const char *name, *message;
	int r;

	cr->t1 = now_ns(CLOCK_MONOTONIC);
	check_reply(m, what);
	r = sd_bus_message_read(m, "ss", &name, &message);
	if (r < 0)
		die(what, r);
	free(cr->message);
	cr->message = strdup(message);
	if (!cr->message)
		die(what, -ENOMEM);
	snprintf(cr->answer_name, sizeof(cr->answer_name), "%s", name);
	cr->answered = true;
}

static int on_post(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	read_answer(userdata, m, "MigrationComplete");
	return 0;
}

static int on_pre(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	read_answer(userdata, m, "MigrationPrepare");
	return 0;
}

static int on_check(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct crowd *cr = userdata;

	check_reply(m, "MigrationCheck");
	cr->step = STEP_PRE;
	call_phase(cr, "MigrationPrepare", on_pre);
	return 0;
}

static void ping_all(struct crowd *cr)
{
	cr->step = STEP_PING;
	cr->n_replies = 0;
	cr->t0 = now_ns(CLOCK_MONOTONIC);
	for (size_t i = 0; i < cr->n; i++) {
		struct client *c = &cr->clients[i];
		int r;

		r = sd_bus_call_method_async(c->bus, NULL, DEST, PATH,
					     "org.freedesktop.DBus.Peer", "Ping",
					     on_pong, c, "");
		if (r < 0)
			die("Ping", r);
		rearm(cr, c);
	}
}

static void command(struct crowd *cr, const char *line)
{
	unsigned long k;

	if (cr->step != STEP_IDLE) {
		fprintf(stderr, "delay-clients: '%s' while busy\n", line);
		exit(EXIT_FAILURE);
	}
	if (strcmp(line, "ping") == 0)
		ping_all(cr);
	else if (strcmp(line, "migrate") == 0) {
		cr->step = STEP_CHECK;
		cr->step_true = cr->heard_true;
		cr->step_false = cr->heard_false;
		call_phase(cr, "MigrationCheck", on_check);
	} else if (sscanf(line, "never %lu", &k) == 1 && k <= cr->n) {
		for (size_t i = 0; i < cr->n; i++)
			cr->clients[i].never = i >= cr->n - k;
	} else {
		fprintf(stderr, "delay-clients: unknown command '%s'\n", line);
		exit(EXIT_FAILURE);
	}
}

static void read_stdin(struct crowd *cr)
{
	ssize_t n = read(STDIN_FILENO, cr->line + cr->n_line,
			 sizeof(cr->line) - 1 - cr->n_line);
	char *nl;

	if (n < 0 && errno == EINTR)
		return;
	if (n < 0)
		die("stdin", -errno);
	if (n == 0) {
		cr->eof = true;
		return;
	}
	cr->n_line += (size_t)n;
	cr->line[cr->n_line] = '\0';
	while ((nl = strchr(cr->line, '\n'))) {
		*nl = '\0';
		command(cr, cr->line);
		cr->n_line -= (size_t)(nl + 1 - cr->line);
		memmove(cr->line, nl + 1, cr->n_line + 1);
	}
	if (cr->n_line == sizeof(cr->line) - 1)
		die("stdin", -E2BIG);
}

/* What became true since the last turn: announce it, take the next step. */
static void progress(struct crowd *cr)
{
	if (cr->n_true == cr->n) {
		say("released %s %zu", cr->name, cr->n_released);
		cr->n_true = cr->n_released = 0;
		cr->heard_true++;
	}
	if (cr->n_false == cr->n) {
		say("resumed %s", cr->name);
		cr->n_false = 0;
		cr->heard_false++;
	}
	if (cr->n_held == cr->n && !cr->announced_held) {
		say("held %zu", cr->n);
		cr->announced_held = true;
	} else if (cr->n_held < cr->n)
		cr->announced_held = false;

	switch (cr->step) {
	case STEP_PING:
		if (cr->n_replies < cr->n)
			break;
		say("ping %" PRIu64, cr->t1 - cr->t0);
		cr->step = STEP_IDLE;
		break;
	case STEP_PRE:
		/* post once the clients heard true: they all took part */
		if (!cr->answered || cr->heard_true == cr->step_true)
			break;
		say("pre %" PRIu64 " %s %s", cr->t1 - cr->t0, cr->answer_name,
		    cr->message);
		cr->step = STEP_POST;
		call_phase(cr, "MigrationComplete", on_post);
		break;
	case STEP_POST:
		if (!cr->answered || cr->heard_false == cr->step_false ||
		    !cr->announced_held)
			break;
		say("post %s %s", cr->answer_name, cr->message);
		cr->step = STEP_IDLE;
		break;
	default:
		break;
	}
}

static void run(struct crowd *cr)
{
	struct epoll_event events[64];

	while (!cr->eof) {
		int n = epoll_wait(cr->epoll_fd, events, ELEMENTSOF(events), -1);

		if (n < 0 && errno != EINTR)
			die("epoll_wait", -errno);
		for (int i = 0; i < n; i++) {
			struct client *c = events[i].data.ptr;
			int r;

			if (!c) {
				read_stdin(cr);
				continue;
			}
			while ((r = sd_bus_process(c->bus, NULL)) > 0)
				;
			if (r < 0)
				die("sd_bus_process", r);
			rearm(cr, c);
		}
		progress(cr);
	}
}

static void connect_client(struct crowd *cr, struct client *c, bool subscribe)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
	const char *unique;
	int r;

	c->cr = cr;
	c->fd = -1;
	r = sd_bus_open_system(&c->bus);
	if (r < 0)
		die("connect", r);
	r = sd_bus_set_method_call_timeout(c->bus, CALL_TIMEOUT_USEC);
	if (r < 0)
		die("timeout", r);
	/* waits for Hello: the bus counts connections not yet through it */
	r = sd_bus_get_unique_name(c->bus, &unique);
	if (r < 0)
		die("Hello", r);
	/* subscribed before the lock is taken: no signal can come between */
	if (subscribe) {
		r = sd_bus_match_signal(c->bus, NULL, DEST, PATH, IFACE,
					"PrepareForMigration", on_prepare, c);
		if (r < 0)
			die("AddMatch", r);
	}
	if (epoll_ctl(cr->epoll_fd, EPOLL_CTL_ADD, sd_bus_get_fd(c->bus), &ev) < 0)
		die("epoll_ctl", -errno);
	c->events = EPOLLIN;
}

int main(int argc, char **argv)
{
	struct crowd cr = { .n = 0 };
	struct epoll_event ev = { .events = EPOLLIN };
	struct rlimit rl;

	if (argc != 2 && argc != 5) {
		fprintf(stderr, "Usage: delay-clients N [T JOB_US GAP_US]\n");
		return 2;
	}
	cr.n = strtoul(argv[1], NULL, 10);
	if (argc == 5) {
		n_threads = strtoul(argv[2], NULL, 10);
		job_usec = strtoul(argv[3], NULL, 10);
		gap_usec = strtoul(argv[4], NULL, 10);
	}
	if (cr.n < 1) {
		fprintf(stderr, "delay-clients: N is 1 or more\n");
		return 2;
	}
	/* a connection and a lock each */
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("getrlimit", -errno);
	if (rl.rlim_cur < 2 * cr.n + 64) {
		rl.rlim_cur = 2 * cr.n + 64;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			die("RLIMIT_NOFILE", -errno);
	}
	cr.clients = calloc(cr.n, sizeof(*cr.clients));
	cr.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (!cr.clients || cr.epoll_fd < 0)
		die("setup", -ENOMEM);
	if (epoll_ctl(cr.epoll_fd, EPOLL_CTL_ADD, STDIN_FILENO, &ev) < 0)
		die("epoll_ctl", -errno);
	connect_client(&cr, &cr.hook, false);
	for (size_t i = 0; i < cr.n; i++)
		connect_client(&cr, &cr.clients[i], true);
	for (size_t i = 0; i < cr.n; i++) {
		struct client *c = &cr.clients[i];

		inhibit(c);
		rearm(&cr, c);
		if (!n_threads)
			continue;
		pthread_mutex_init(&c->lock, NULL);
		pthread_cond_init(&c->resumed, NULL);
		c->workers = calloc(n_threads, sizeof(*c->workers));
		if (!c->workers)
			die("workers", -ENOMEM);
		for (unsigned long j = 0; j < n_threads; j++)
			if (pthread_create(&c->workers[j], NULL, worker, c) != 0)
				die("workers", -EAGAIN);
	}
	run(&cr);

	for (size_t i = 0; i < cr.n && n_threads; i++) {
		struct client *c = &cr.clients[i];

		pthread_mutex_lock(&c->lock);
		c->quit = true;
		pthread_cond_broadcast(&c->resumed);
		pthread_mutex_unlock(&c->lock);
		for (unsigned long j = 0; j < n_threads; j++)
			pthread_join(c->workers[j], NULL);
		free(c->workers);
	}
	for (size_t i = 0; i < cr.n; i++) {
		if (cr.clients[i].fd >= 0)
			close(cr.clients[i].fd);
		sd_bus_flush_close_unref(cr.clients[i].bus);
	}
	sd_bus_flush_close_unref(cr.hook.bus);
	free(cr.clients);
	free(cr.message);
	close(cr.epoll_fd);
	return 0;
}
