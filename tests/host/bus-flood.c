// SPDX-License-Identifier: GPL-2.0-only
/*
 * bus-flood: a hostile client of vasd for the tests (issue 13, finding 1).
 *
 *   bus-flood CONNS CALLS KIND...
 *
 * Opens CONNS connections to the system bus and on each sends CALLS calls
 * to vasd, round-robin over the KINDs, without ever reading a reply:
 *   list      Manager.ListWindows
 *   objects   ObjectManager.GetManagedObjects
 *   events    Manager.ReadEvents(0, 1000)
 *   getall    Properties.GetAll(Manager)
 *   signals   (no call) subscribes to every signal vasd sends, and reads
 *             none of them
 * Prints "sent N" (calls the connections took) once all are written to the
 * bus, then holds the connections, reading nothing, until standard input
 * closes; with BUS_FLOOD_SUSTAIN=1 in the environment it goes on sending
 * meanwhile, a call of each KIND on each connection a round (a sustained
 * flood: see docs/bus.md for what it does to root's calls).
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#define DEST "org.vasd1"
#define PATH "/org/vasd1"
#define IFACE "org.vasd1.Manager"

static int send_kind(sd_bus *bus, const char *kind)
{
	sd_bus_message *m = NULL;
	int r;

	if (strcmp(kind, "list") == 0)
		r = sd_bus_message_new_method_call(bus, &m, DEST, PATH, IFACE,
						   "ListWindows");
	else if (strcmp(kind, "objects") == 0)
		r = sd_bus_message_new_method_call(bus, &m, DEST, PATH,
						   "org.freedesktop.DBus.ObjectManager",
						   "GetManagedObjects");
	else if (strcmp(kind, "events") == 0) {
		r = sd_bus_message_new_method_call(bus, &m, DEST, PATH, IFACE,
						   "ReadEvents");
		if (r >= 0)
			r = sd_bus_message_append(m, "xu", (int64_t)0, (uint32_t)1000);
	} else if (strcmp(kind, "getall") == 0) {
		r = sd_bus_message_new_method_call(bus, &m, DEST, PATH,
						   "org.freedesktop.DBus.Properties",
						   "GetAll");
		if (r >= 0)
			r = sd_bus_message_append(m, "s", IFACE);
	} else {
		return -EINVAL;
	}
	if (r >= 0)
		r = sd_bus_send(bus, m, NULL);
	sd_bus_message_unref(m);
	return r;
}

int main(int argc, char **argv)
{
	unsigned long conns, calls, sent = 0;
	sd_bus **buses;
	char buf[64];
	int r;

	if (argc < 4) {
		fprintf(stderr, "Usage: bus-flood CONNS CALLS KIND...\n");
		return 2;
	}
	conns = strtoul(argv[1], NULL, 10);
	calls = strtoul(argv[2], NULL, 10);
	buses = calloc(conns, sizeof(*buses));
	if (!buses)
		return 1;
	for (unsigned long c = 0; c < conns; c++) {
		r = sd_bus_open_system(&buses[c]);
		if (r < 0) {
			fprintf(stderr, "bus-flood: connection %lu: %s\n", c, strerror(-r));
			return 1;
		}
		for (int k = 3; k < argc; k++)
			if (strcmp(argv[k], "signals") == 0) {
				r = sd_bus_add_match(buses[c], NULL,
						     "type='signal',sender='" DEST "'",
						     NULL, NULL);
				if (r < 0) {
					fprintf(stderr, "bus-flood: AddMatch: %s\n", strerror(-r));
					return 1;
				}
			}
	}
	for (unsigned long i = 0; i < calls; i++)
		for (unsigned long c = 0; c < conns; c++) {
			const char *kind = argv[3 + (int)((i + c) % (unsigned long)(argc - 3))];

			if (strcmp(kind, "signals") == 0)
				continue;
			r = send_kind(buses[c], kind);
			if (r < 0) {
				fprintf(stderr, "bus-flood: send: %s\n", strerror(-r));
				return 1;
			}
			sent++;
		}
	for (unsigned long c = 0; c < conns; c++) {
		r = sd_bus_flush(buses[c]);
		if (r < 0) {
			fprintf(stderr, "bus-flood: flush: %s\n", strerror(-r));
			return 1;
		}
	}
	printf("sent %lu\n", sent);
	fflush(stdout);
	for (;;) {
		struct pollfd in = { .fd = STDIN_FILENO, .events = POLLIN };
		bool hold = getenv("BUS_FLOOD_SUSTAIN") == NULL;

		if (poll(&in, 1, hold ? -1 : 0) > 0 &&
		    read(STDIN_FILENO, buf, sizeof(buf)) <= 0)
			return 0;
		if (hold)
			continue;
		/* more of the same, read nothing; a refused send ends nothing */
		for (unsigned long c = 0; c < conns; c++) {
			for (int k = 3; k < argc; k++)
				if (strcmp(argv[k], "signals") != 0)
					(void)send_kind(buses[c], argv[k]);
			(void)sd_bus_flush(buses[c]);
		}
	}
}
