// SPDX-License-Identifier: GPL-2.0-only
/*
 * bus-latency: round trips to vasd on the system bus ($DBUS_SYSTEM_BUS_ADDRESS:
 * the private bus bench/bus-latency.py starts), against the floor measured
 * in the same run on the same connection: org.freedesktop.DBus.Peer.Ping,
 * which sd-bus answers inside vasd without reaching vasd's code.
 *
 *   bus-latency N_CALLS N_LIST
 *
 * Ping and the Manager's GetAll alternate, N_CALLS each, after a warm-up;
 * then ListWindows N_LIST times, each after a Ping. Every call waits for
 * its reply (sd_bus_call()), read whole. Percentiles are of each call's
 * CLOCK_MONOTONIC time. The last line:
 *   bus-latency: ratio X (GetAll p99 over Ping p99)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-bus.h>

#include "util/macro.h"
#include "util/time-util.h"

#define DEST	"org.vasd1"
#define PATH	"/org/vasd1"
#define IFACE	"org.vasd1.Manager"
#define WARMUP	200

enum call {
	CALL_PING,
	CALL_GET_ALL,
	CALL_LIST_WINDOWS,
	_CALL_MAX,
};

static const char *const call_names[_CALL_MAX] = {
	[CALL_PING] = "Ping",
	[CALL_GET_ALL] = "GetAll",
	[CALL_LIST_WINDOWS] = "ListWindows",
};

static void die(const char *what, int r)
{
	fprintf(stderr, "bus-latency: %s: %s\n", what, strerror(-r));
	exit(EXIT_FAILURE);
}

/* ListWindows' reply: how many windows. */
static size_t count_windows(sd_bus_message *reply)
{
	size_t n = 0;
	int r;

	r = sd_bus_message_enter_container(reply, 'a', "(uuusssssto)");
	while (r >= 0 && (r = sd_bus_message_skip(reply, "(uuusssssto)")) > 0)
		n++;
	if (r < 0)
		die("ListWindows' reply", r);
	return n;
}

/* One round trip; its time in ns; *ret_windows what ListWindows listed. */
static uint64_t call(sd_bus *bus, enum call c, size_t *ret_windows)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	uint64_t t;
	int r;

	switch (c) {
	case CALL_PING:
		r = sd_bus_message_new_method_call(bus, &m, DEST, PATH,
						   "org.freedesktop.DBus.Peer", "Ping");
		break;
	case CALL_GET_ALL:
		r = sd_bus_message_new_method_call(bus, &m, DEST, PATH,
						   "org.freedesktop.DBus.Properties", "GetAll");
		if (r >= 0)
			r = sd_bus_message_append(m, "s", IFACE);
		break;
	default:
		r = sd_bus_message_new_method_call(bus, &m, DEST, PATH, IFACE,
						   "ListWindows");
		break;
	}
	if (r < 0)
		die("new method call", r);
	t = now_ns(CLOCK_MONOTONIC);
	r = sd_bus_call(bus, m, 0, &error, &reply);
	t = now_ns(CLOCK_MONOTONIC) - t;
	if (r < 0) {
		fprintf(stderr, "bus-latency: %s: %s: %s\n", call_names[c],
			error.name ? error.name : strerror(-r),
			error.message ? error.message : "");
		exit(EXIT_FAILURE);
	}
	if (ret_windows)
		*ret_windows = count_windows(reply);
	return t;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct percentiles {
	double p50, p99, max;	/* us */
};

static struct percentiles percentiles(uint64_t *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return (struct percentiles) {
		.p50 = (double)v[n / 2] / 1000,
		.p99 = (double)v[n * 99 / 100] / 1000,
		.max = (double)v[n - 1] / 1000,
	};
}

static void print(const char *name, const struct percentiles *p, size_t n)
{
	printf("%-12s p50 %7.1f us, p99 %7.1f us, max %8.1f us (%zu calls)\n",
	       name, p->p50, p->p99, p->max, n);
}

int main(int argc, char **argv)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	struct percentiles ping, get_all, list, ping_list;
	uint64_t *t[_CALL_MAX], *t_ping_list;
	size_t n_calls, n_list, windows = 0;
	int r;

	if (argc != 3) {
		fprintf(stderr, "Usage: bus-latency N_CALLS N_LIST\n");
		return 2;
	}
	n_calls = strtoul(argv[1], NULL, 10);
	n_list = strtoul(argv[2], NULL, 10);
	if (n_calls < 100 || n_list < 1) {
		fprintf(stderr, "bus-latency: N_CALLS >= 100, N_LIST >= 1\n");
		return 2;
	}

	r = sd_bus_open_system(&bus);
	if (r < 0)
		die("connect", r);
	for (int c = 0; c < _CALL_MAX; c++) {
		t[c] = calloc(n_calls, sizeof(uint64_t));
		if (!t[c])
			die("calloc", -ENOMEM);
	}
	t_ping_list = calloc(n_list, sizeof(uint64_t));
	if (!t_ping_list)
		die("calloc", -ENOMEM);

	for (int i = 0; i < WARMUP; i++) {
		call(bus, CALL_PING, NULL);
		call(bus, CALL_GET_ALL, NULL);
	}
	call(bus, CALL_LIST_WINDOWS, NULL);

	/* alternate, so that neither has the quieter moments */
	for (size_t i = 0; i < n_calls; i++) {
		if (i % 2) {
			t[CALL_PING][i] = call(bus, CALL_PING, NULL);
			t[CALL_GET_ALL][i] = call(bus, CALL_GET_ALL, NULL);
		} else {
			t[CALL_GET_ALL][i] = call(bus, CALL_GET_ALL, NULL);
			t[CALL_PING][i] = call(bus, CALL_PING, NULL);
		}
	}
	for (size_t i = 0; i < n_list; i++) {
		t_ping_list[i] = call(bus, CALL_PING, NULL);
		t[CALL_LIST_WINDOWS][i] = call(bus, CALL_LIST_WINDOWS,
					       i ? NULL : &windows);
	}

	ping = percentiles(t[CALL_PING], n_calls);
	get_all = percentiles(t[CALL_GET_ALL], n_calls);
	list = percentiles(t[CALL_LIST_WINDOWS], n_list);
	ping_list = percentiles(t_ping_list, n_list);
	print("Ping", &ping, n_calls);
	print("GetAll", &get_all, n_calls);
	print("Ping", &ping_list, n_list);
	print("ListWindows", &list, n_list);
	printf("ListWindows: %zu windows a reply\n", windows);
	printf("bus-latency: ratio %.2f (GetAll p50 over Ping p50)\n",
	       get_all.p50 / ping.p50);
	printf("bus-latency: ratio %.1f (ListWindows p99 over Ping p99, the same run)\n",
	       list.p99 / ping_list.p99);
	printf("bus-latency: ratio %.2f (GetAll p99 over Ping p99)\n",
	       get_all.p99 / ping.p99);
	for (int c = 0; c < _CALL_MAX; c++)
		free(t[c]);
	free(t_ping_list);
	return 0;
}
