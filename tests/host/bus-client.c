// SPDX-License-Identifier: GPL-2.0-only
/*
 * bus-client: what busctl cannot do for the bus tests.
 *
 *   bus-client inhibit N MODE   takes N inhibitor locks and holds their fds;
 *                               prints one line per call ("ok" or the error
 *                               name), then "held K". Reads commands from
 *                               stdin: "close" closes the oldest fd held
 *                               and prints "closed"; EOF exits.
 *   bus-client vanish           sends a call of every kind (Manager's
 *                               methods, GetAll, GetManagedObjects,
 *                               Introspect, Ping) and disconnects without
 *                               waiting for the replies.
 *   bus-client calls N          N rounds of Ping, GetAll, ListWindows and
 *                               ReadEvents, each waiting for its reply;
 *                               prints "ok N", or the first error and
 *                               exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "macro.h"

#define DEST "org.vasd1"
#define PATH "/org/vasd1"
#define IFACE "org.vasd1.Manager"

static int inhibit(sd_bus *bus, unsigned int n, const char *mode)
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
				       &reply, "ssss", "migration", "bus-client",
				       "testing", mode);
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
	if (r >= 0)
		r = sd_bus_call(bus, m, 0, &error, &reply);
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

int main(int argc, char **argv)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	int r;

	r = sd_bus_open_system(&bus);
	if (r < 0) {
		fprintf(stderr, "bus-client: cannot connect: %s\n", strerror(-r));
		return 1;
	}
	if (argc == 4 && strcmp(argv[1], "inhibit") == 0)
		r = inhibit(bus, (unsigned int)strtoul(argv[2], NULL, 10), argv[3]);
	else if (argc == 2 && strcmp(argv[1], "vanish") == 0)
		r = vanish(bus);
	else if (argc == 3 && strcmp(argv[1], "calls") == 0)
		r = calls(bus, (unsigned int)strtoul(argv[2], NULL, 10));
	else {
		fprintf(stderr, "Usage: bus-client inhibit N MODE | vanish | calls N\n");
		return 2;
	}
	if (r < 0) {
		fprintf(stderr, "bus-client: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}
