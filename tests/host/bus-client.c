// SPDX-License-Identifier: GPL-2.0-only
/*
 * bus-client: what busctl cannot do for the bus tests.
 *
 *   bus-client inhibit N MODE [WHO WHY COMM]
 *                               takes N inhibitor locks and holds their fds;
 *                               prints one line per call ("ok" or the error
 *                               name), then "held K". Reads commands from
 *                               stdin: "close" closes the oldest fd held
 *                               and prints "closed"; EOF exits. WHO and WHY
 *                               are the lock's ("bus-client", "testing"
 *                               when not given); COMM is set as the
 *                               process's name (prctl PR_SET_NAME) first.
 *   bus-client churn SECONDS    takes a delay lock and closes it at once,
 *                               again and again for SECONDS; prints
 *                               "taken K refused R rate F": R refusals
 *                               (TooManyInhibitors), F of them for the
 *                               rate of a uid's locks.
 *   bus-client vanish           sends a call of every kind (Manager's
 *                               methods, GetAll, GetManagedObjects,
 *                               Introspect, Ping) and disconnects without
 *                               waiting for the replies.
 *   bus-client calls N          N rounds of Ping, GetAll, ListWindows and
 *                               ReadEvents, each waiting for its reply;
 *                               prints "ok N", or the first error and
 *                               exits 1.
 *   bus-client follow MODE MS   a client as a migration wants it: takes one
 *                               MODE lock ("held"), prints every
 *                               PrepareForMigration ("prepare true|false
 *                               NAME") and closes its fd MS ms after a true
 *                               ("closed"; never when MS is -1). stdin:
 *                               "close" closes it now; EOF exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "util/macro.h"

#define DEST "org.vasd1"
#define PATH "/org/vasd1"
#define IFACE "org.vasd1.Manager"
#define CALL_TIMEOUT_USEC (300 * 1000 * 1000ull)

static int inhibit(sd_bus *bus, unsigned int n, const char *mode,
		   const char *who, const char *why)
{
	int *fds = calloc(n ? n : 1, sizeof(*fds));
	unsigned int held = 0, next = 0;
	char line[64];

	if (!fds)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
		int fd, r;

		r = sd_bus_call_method(bus, DEST, PATH, IFACE, "Inhibit", &error,
				       &reply, "ssss", "migration", who, why, mode);
		if (r < 0) {
			printf("%s %s\n", error.name ? error.name : strerror(-r),
			       error.message ? error.message : "");
			continue;
		}
		r = sd_bus_message_read(reply, "h", &fd);
		if (r < 0)
			return r;
		fds[held++] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		printf("ok\n");
	}
	printf("held %u\n", held);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (strcmp(line, "close\n") == 0 && next < held) {
			close(fds[next++]);
			printf("closed\n");
			fflush(stdout);
		}
	}
	free(fds);
	return 0;
}

/* Take and drop locks for seconds, or until max are taken (0: no max). */
static int churn(sd_bus *bus, double seconds, unsigned long max)
{
	struct timespec ts;
	double start, now;
	unsigned long taken = 0, refused = 0, rate = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	start = now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	while (now - start < seconds && (!max || taken < max)) {
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
		int fd, r;

		r = sd_bus_call_method(bus, DEST, PATH, IFACE, "Inhibit", &error,
				       &reply, "ssss", "migration", "churn", "again",
				       "delay");
		if (r >= 0 && sd_bus_message_read(reply, "h", &fd) >= 0) {
			taken++;	/* the reply's fd goes with the reply */
		} else if (sd_bus_error_has_name(&error, "org.vasd1.Error.TooManyInhibitors")) {
			/* else a client's 16, vasd not yet seeing the last close */
			refused++;
			rate += error.message && strstr(error.message, "faster than");
		} else {
			printf("Inhibit: %s %s\n", error.name ? error.name : strerror(-r),
			       error.message ? error.message : "");
			return r < 0 ? r : -EIO;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	}
	printf("taken %lu refused %lu rate %lu\n", taken, refused, rate);
	return 0;
}

static int vanish(sd_bus *bus)
{
	int r;

	r = sd_bus_call_method_async(bus, NULL, DEST, PATH, IFACE, "Inhibit",
				     NULL, NULL, "ssss", "migration", "vanish",
				     "gone before the reply", "delay");
	if (r >= 0)
		r = sd_bus_call_method_async(bus, NULL, DEST, PATH, IFACE,
					     "ListWindows", NULL, NULL, "");
	if (r >= 0)
		r = sd_bus_call_method_async(bus, NULL, DEST, PATH, IFACE,
					     "ReadEvents", NULL, NULL, "xu",
					     (int64_t)0, (uint32_t)1000);
	if (r >= 0)
		r = sd_bus_call_method_async(bus, NULL, DEST, PATH, IFACE,
					     "ListInhibitors", NULL, NULL, "");
	if (r >= 0)
		r = sd_bus_call_method_async(bus, NULL, DEST, PATH, IFACE,
					     "CompactLedger", NULL, NULL, "x",
					     (int64_t)0);
	if (r >= 0)
		r = sd_bus_call_method_async(bus, NULL, DEST, PATH,
					     "org.freedesktop.DBus.Properties",
					     "GetAll", NULL, NULL, "s", IFACE);
	if (r >= 0)
		r = sd_bus_call_method_async(bus, NULL, DEST, PATH,
					     "org.freedesktop.DBus.ObjectManager",
					     "GetManagedObjects", NULL, NULL, "");
	if (r >= 0)
		r = sd_bus_call_method_async(bus, NULL, DEST, PATH,
					     "org.freedesktop.DBus.Introspectable",
					     "Introspect", NULL, NULL, "");
	if (r >= 0)
		r = sd_bus_call_method_async(bus, NULL, DEST, PATH,
					     "org.freedesktop.DBus.Peer", "Ping",
					     NULL, NULL, "");
	if (r >= 0)
		r = sd_bus_flush(bus);
	return r;
}

static int call(sd_bus *bus, const char *interface, const char *member,
		const char *types, ...)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	va_list ap;
	int r;

	r = sd_bus_message_new_method_call(bus, &m, DEST, PATH, interface, member);
	if (r >= 0 && types) {
		va_start(ap, types);
		r = sd_bus_message_appendv(m, types, ap);
		va_end(ap);
	}
	/* vasd may be under valgrind, behind other clients' big replies */
	if (r >= 0)
		r = sd_bus_call(bus, m, CALL_TIMEOUT_USEC, &error, &reply);
	if (r < 0)
		printf("%s: %s %s\n", member, error.name ? error.name : strerror(-r),
		       error.message ? error.message : "");
	return r;
}

static int calls(sd_bus *bus, unsigned int n)
{
	int r = 0;

	for (unsigned int i = 0; i < n && r >= 0; i++) {
		r = call(bus, "org.freedesktop.DBus.Peer", "Ping", NULL);
		if (r >= 0)
			r = call(bus, "org.freedesktop.DBus.Properties", "GetAll",
				 "s", IFACE);
		if (r >= 0)
			r = call(bus, IFACE, "ListWindows", NULL);
		if (r >= 0)
			r = call(bus, IFACE, "ReadEvents", "xu", (int64_t)0,
				 (uint32_t)100);
	}
	if (r >= 0)
		printf("ok %u\n", n);
	return r;
}

struct follower {
	sd_event *event;
	int fd;				/* the lock; -1 once closed */
	long delay_ms;
	sd_event_source *timer;
};

static void follower_close(struct follower *f)
{
	if (f->fd < 0)
		return;
	close(f->fd);
	f->fd = -1;
	printf("closed\n");
	fflush(stdout);
}

static int on_close_timer(sd_event_source *s, uint64_t usec, void *userdata)
{
	follower_close(userdata);
	return 0;
}

static int on_prepare(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct follower *f = userdata;
	const char *name;
	int active, r;

	r = sd_bus_message_read(m, "bs", &active, &name);
	if (r < 0)
		return r;
	printf("prepare %s %s\n", active ? "true" : "false", name);
	fflush(stdout);
	if (!active || f->delay_ms < 0 || f->fd < 0 || f->timer)
		return 0;
	/* draining takes this long; then the close is the ack */
	return sd_event_add_time_relative(f->event, &f->timer, CLOCK_MONOTONIC,
					  (uint64_t)f->delay_ms * 1000, 0,
					  on_close_timer, f);
}

static int on_stdin(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct follower *f = userdata;
	char line[64];
	ssize_t n;

	n = read(fd, line, sizeof(line) - 1);
	if (n <= 0)
		return sd_event_exit(f->event, 0);
	line[n] = '\0';
	if (strstr(line, "close"))
		follower_close(f);
	return 0;
}

static int follow(sd_bus *bus, const char *mode, long delay_ms)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	struct follower f = { .fd = -1, .delay_ms = delay_ms };
	int fd, r;

	r = sd_event_default(&f.event);
	if (r < 0)
		return r;
	/* subscribed before the lock is taken: no signal can come between */
	r = sd_bus_match_signal(bus, NULL, DEST, PATH, IFACE, "PrepareForMigration",
				on_prepare, &f);
	if (r >= 0)
		r = sd_bus_call_method(bus, DEST, PATH, IFACE, "Inhibit", &error,
				       &reply, "ssss", "migration", "bus-client",
				       "following", mode);
	if (r < 0) {
		printf("%s %s\n", error.name ? error.name : strerror(-r),
		       error.message ? error.message : "");
		sd_event_unref(f.event);
		return r;
	}
	r = sd_bus_message_read(reply, "h", &fd);
	if (r >= 0)
		f.fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	/* the reply's copy of the fd would hold the lock */
	reply = sd_bus_message_unref(reply);
	if (r >= 0)
		r = sd_bus_attach_event(bus, f.event, 0);
	if (r >= 0)
		r = sd_event_add_io(f.event, NULL, STDIN_FILENO, EPOLLIN, on_stdin, &f);
	if (r >= 0) {
		printf("held\n");
		fflush(stdout);
		r = sd_event_loop(f.event);
	}
	sd_bus_detach_event(bus);
	sd_event_source_unref(f.timer);
	if (f.fd >= 0)
		close(f.fd);
	sd_event_unref(f.event);
	return r;
}

int main(int argc, char **argv)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	int r;

	/* named before it connects: what vasd and vasctl read of it */
	if (argc == 7 && prctl(PR_SET_NAME, argv[6]) < 0) {
		fprintf(stderr, "bus-client: prctl: %s\n", strerror(errno));
		return 1;
	}
	r = sd_bus_open_system(&bus);
	if (r < 0) {
		fprintf(stderr, "bus-client: cannot connect: %s\n", strerror(-r));
		return 1;
	}
	if (argc == 4 && strcmp(argv[1], "inhibit") == 0)
		r = inhibit(bus, (unsigned int)strtoul(argv[2], NULL, 10), argv[3],
			    "bus-client", "testing");
	else if (argc == 7 && strcmp(argv[1], "inhibit") == 0)
		r = inhibit(bus, (unsigned int)strtoul(argv[2], NULL, 10), argv[3],
			    argv[4], argv[5]);
	else if (argc == 3 && strcmp(argv[1], "churn") == 0)
		r = churn(bus, strtod(argv[2], NULL), 0);
	else if (argc == 4 && strcmp(argv[1], "churn") == 0)
		r = churn(bus, strtod(argv[2], NULL), strtoul(argv[3], NULL, 10));
	else if (argc == 2 && strcmp(argv[1], "vanish") == 0)
		r = vanish(bus);
	else if (argc == 3 && strcmp(argv[1], "calls") == 0)
		r = calls(bus, (unsigned int)strtoul(argv[2], NULL, 10));
	else if (argc == 4 && strcmp(argv[1], "follow") == 0)
		r = follow(bus, argv[2], strtol(argv[3], NULL, 10));
	else {
		fprintf(stderr, "Usage: bus-client inhibit N MODE | churn SECONDS [MAX] | vanish | calls N | follow MODE MS\n");
		return 2;
	}
	if (r < 0) {
		fprintf(stderr, "bus-client: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}
