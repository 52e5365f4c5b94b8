// SPDX-License-Identifier: GPL-2.0-only
/*
 * signal-fanout: N clients, each its own connection to the system bus
 * ($DBUS_SYSTEM_BUS_ADDRESS), subscribed to org.vasd1's
 * PrepareForMigration; driven by bench/signal-fanout.py, which starts the
 * private bus, the fake kernel and vasd, and makes the migrations.
 *
 *   signal-fanout N ROUNDS
 *
 * Each round: every client sends vasd a Ping at once and the time until
 * the last reply is in is the floor; then the client prints "ready", the
 * driver makes the fake kernel migrate, and every client waits for
 * PrepareForMigration(true) and (false). It prints, per round:
 *   round R: ping NS; true first RT last RT spread NS; false last RT
 * (RT: CLOCK_REALTIME ns of a receipt, to compare with the kernel's
 * timestamp of the migration; NS: durations, CLOCK_MONOTONIC). One
 * process, one epoll set, sd_bus_process() per ready connection: the
 * Pings' replies and the signals cost the clients the same.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
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

#define TIMEOUT_MS 60000

struct client {
	sd_bus *bus;
	uint32_t events;	/* what epoll watches */
	struct fanout *f;
};

struct fanout {
	struct client *clients;
	size_t n;
	int epoll_fd;
	size_t n_replies;
	size_t n_true, n_false;
	uint64_t last_reply;	/* monotonic */
	uint64_t true_first_rt, true_last_rt, false_last_rt;
	uint64_t true_first, true_last;	/* monotonic */
};

static void die(const char *what, int r)
{
	fprintf(stderr, "signal-fanout: %s: %s\n", what, strerror(-r));
	exit(EXIT_FAILURE);
}

static void rearm(struct fanout *f, struct client *c)
{
	int r = bus_epoll_rearm(f->epoll_fd, c->bus, c, &c->events);

	if (r < 0)
		die("rearming a connection", r);
}

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct fanout *f = ((struct client *)userdata)->f;
	uint64_t rt = now_ns(CLOCK_REALTIME), mono = now_ns(CLOCK_MONOTONIC);
	const char *name;
	int active, r;

	r = sd_bus_message_read(m, "bs", &active, &name);
	if (r < 0)
		die("PrepareForMigration", r);
	if (active) {
		if (!f->n_true++) {
			f->true_first_rt = rt;
			f->true_first = mono;
		}
		f->true_last_rt = rt;
		f->true_last = mono;
	} else {
		f->n_false++;
		f->false_last_rt = rt;
	}
	return 0;
}

static int on_pong(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct fanout *f = ((struct client *)userdata)->f;

	if (sd_bus_message_is_method_error(m, NULL))
		die("Ping", -sd_bus_message_get_errno(m));
	f->n_replies++;
	f->last_reply = now_ns(CLOCK_MONOTONIC);
	return 0;
}

/* Run the clients until done(f) or the timeout. */
static void run(struct fanout *f, bool (*done)(const struct fanout *f))
{
	struct epoll_event events[64];
	uint64_t deadline = now_ns(CLOCK_MONOTONIC) + (uint64_t)TIMEOUT_MS * 1000000;

	while (!done(f)) {
		int n = epoll_wait(f->epoll_fd, events, ELEMENTSOF(events), 1000);

		if (n < 0 && errno != EINTR)
			die("epoll_wait", -errno);
		if (now_ns(CLOCK_MONOTONIC) > deadline) {
			fprintf(stderr, "signal-fanout: timed out: %zu replies, %zu true, %zu false\n",
				f->n_replies, f->n_true, f->n_false);
			exit(EXIT_FAILURE);
		}
		for (int i = 0; i < n; i++) {
			struct client *c = events[i].data.ptr;
			int r;

			while ((r = sd_bus_process(c->bus, NULL)) > 0)
				;
			if (r < 0)
				die("sd_bus_process", r);
			rearm(f, c);
		}
	}
}

static bool pings_done(const struct fanout *f)
{
	return f->n_replies == f->n;
}

static bool signals_done(const struct fanout *f)
{
	return f->n_true == f->n && f->n_false == f->n;
}

static void connect_clients(struct fanout *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct client *c = &f->clients[i];
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
		const char *unique;
		int r;

		c->f = f;
		r = sd_bus_open_system(&c->bus);
		if (r < 0)
			die("connect", r);
		/* waits for Hello: the bus counts connections not yet through it */
		r = sd_bus_get_unique_name(c->bus, &unique);
		if (r < 0)
			die("Hello", r);
		r = sd_bus_match_signal(c->bus, NULL, "org.vasd1", "/org/vasd1",
					"org.vasd1.Manager", "PrepareForMigration",
					on_signal, c);
		if (r < 0)
			die("AddMatch", r);
		if (epoll_ctl(f->epoll_fd, EPOLL_CTL_ADD, sd_bus_get_fd(c->bus), &ev) < 0)
			die("epoll_ctl", -errno);
		c->events = EPOLLIN;
		rearm(f, c);
	}
}

static uint64_t ping_all(struct fanout *f)
{
	uint64_t t0;

	f->n_replies = 0;
	t0 = now_ns(CLOCK_MONOTONIC);
	for (size_t i = 0; i < f->n; i++) {
		struct client *c = &f->clients[i];
		int r;

		r = sd_bus_call_method_async(c->bus, NULL, "org.vasd1", "/org/vasd1",
					     "org.freedesktop.DBus.Peer", "Ping",
					     on_pong, c, "");
		if (r < 0)
			die("Ping", r);
		rearm(f, c);
	}
	run(f, pings_done);
	return f->last_reply - t0;
}

int main(int argc, char **argv)
{
	struct fanout f = { .n = 0 };
	struct rlimit rl;
	unsigned long rounds;
	char line[64];

	if (argc != 3) {
		fprintf(stderr, "Usage: signal-fanout N ROUNDS\n");
		return 2;
	}
	f.n = strtoul(argv[1], NULL, 10);
	rounds = strtoul(argv[2], NULL, 10);
	if (f.n < 1 || rounds < 1) {
		fprintf(stderr, "signal-fanout: N and ROUNDS are 1 or more\n");
		return 2;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		die("getrlimit", -errno);
	if (rl.rlim_cur < f.n + 64) {
		rl.rlim_cur = f.n + 64;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			die("RLIMIT_NOFILE", -errno);
	}
	f.clients = calloc(f.n, sizeof(*f.clients));
	f.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (!f.clients || f.epoll_fd < 0)
		die("setup", -ENOMEM);
	connect_clients(&f);
	printf("connected %zu\n", f.n);
	fflush(stdout);

	for (unsigned long r = 1; r <= rounds; r++) {
		uint64_t ping = ping_all(&f);

		f.n_true = f.n_false = 0;
		printf("ready\n");
		fflush(stdout);
		run(&f, signals_done);
		printf("round %lu: ping %" PRIu64 "; true first %" PRIu64 " last %" PRIu64
		       " spread %" PRIu64 "; false last %" PRIu64 "\n",
		       r, ping, f.true_first_rt, f.true_last_rt,
		       f.true_last - f.true_first, f.false_last_rt);
		fflush(stdout);
		/* the driver says when the next round may start */
		if (!fgets(line, sizeof(line), stdin))
			break;
	}
	for (size_t i = 0; i < f.n; i++)
		sd_bus_flush_close_unref(f.clients[i].bus);
	free(f.clients);
	close(f.epoll_fd);
	return 0;
}
