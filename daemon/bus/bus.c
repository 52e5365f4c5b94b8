// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "bus/internal.h"
#include "bus/loop.h"
#include "ledger/ledger.h"
#include "util/time-util.h"
#include "log.h"

/* RequestName's replies (D-Bus specification) */
#define REQUEST_NAME_PRIMARY_OWNER	1
#define REQUEST_NAME_ALREADY_OWNER	4

const struct vasd_state *bus_state(const struct vasd_bus *b)
{
	return ingest_state(b->ingest);
}

void bus_fail(struct vasd_bus *b, int error)
{
	if (!b->exit_error)
		b->exit_error = error;
	event_base_loopbreak(b->base);
}

void bus_sent(struct vasd_bus *b)
{
	bus_loop_rearm(b->loop);
	bus_private_sent(b);
}

const char *bus_escape_comm(const char *comm, char buf[static BUS_COMM_MAX])
{
	size_t o = 0;

	for (size_t i = 0; i < VAS_COMM_MAX && comm[i]; i++) {
		unsigned char c = (unsigned char)comm[i];

		if (c < 0x20 || c >= 0x7f || c == '\\')
			o += (size_t)snprintf(buf + o, BUS_COMM_MAX - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

/* For values apply() let through but this build has no name for. */
const char *bus_enum_name(const char *name)
{
	return name ? name : "unknown";
}

static void on_loop_error(struct bus_loop *l, int error, void *userdata)
{
	struct vasd_bus *b = userdata;

	log_error_errno(error, "Lost the connection to the system bus: %s; exiting", strerror(-error));
	bus_fail(b, error);
}

static void on_committed(struct ingest *in, const struct ingest_window_event *windows,
			 size_t n_windows, void *userdata)
{
	struct vasd_bus *b = userdata;

	b->last_position = ledger_last_position(b->ledger);
	for (size_t i = 0; i < n_windows; i++)
		if (bus_window_announce(b, &windows[i]) < 0)
			break;
	bus_manager_announce(b);
	bus_sent(b);
}

static void on_attach_changed(struct ingest *in, void *userdata)
{
	struct vasd_bus *b = userdata;

	bus_manager_announce(b);
	bus_sent(b);
}

static const struct ingest_observer observer = {
	.committed = on_committed,
	.attach_changed = on_attach_changed,
};

static int on_name_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct vasd_bus *b = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);
	uint32_t reply;
	int r;

	if (e) {
		r = -sd_bus_message_get_errno(m);
		log_error("The bus refused the name %s: %s: %s; exiting",
			  VASD_BUS_NAME, e->name, e->message ? e->message : "");
		bus_fail(b, r < 0 ? r : -EACCES);
		return 0;
	}
	r = sd_bus_message_read(m, "u", &reply);
	if (r < 0 || (reply != REQUEST_NAME_PRIMARY_OWNER &&
		      reply != REQUEST_NAME_ALREADY_OWNER)) {
		log_error("The name %s is taken (another vasd runs on this bus); exiting",
			  VASD_BUS_NAME);
		bus_fail(b, -EEXIST);
		return 0;
	}
	log_info("Acquired %s on the system bus", VASD_BUS_NAME);
	b->name_acquired = true;
	/*
	 * only now: a vasd that cannot have the name never touches the
	 * socket of the one that has it. Without it root uses the bus.
	 */
	if (b->config.private_socket && *b->config.private_socket &&
	    bus_private_new(b, b->config.private_socket) < 0) {
		log_warning("Serving root on the system bus only (no private socket %s)",
			    b->config.private_socket);
		bus_private_free(b);
	}
	if (b->name_fn)
		b->name_fn(b, b->name_userdata);
	return 0;
}

static void on_dispatched(uint64_t elapsed, void *userdata)
{
	struct vasd_bus *b = userdata;

	bus_admission_charge(b->admission, elapsed);
}

int vasd_bus_new(struct event_base *base, struct ingest *in,
		 struct ledger *ledger, struct coordinator *c,
		 const struct vasd_bus_config *config, vasd_bus_name_fn name_fn,
		 void *userdata, struct vasd_bus **ret)
{
	_cleanup_(vasd_bus_freep) struct vasd_bus *b = NULL;
	struct ledger_checkpoint cp;
	int r;

	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->base = base;
	b->ingest = in;
	b->ledger = ledger;
	b->name_fn = name_fn;
	b->name_userdata = userdata;
	b->coordinator = c;
	b->inhibit_delay_max_usec = config->inhibit_delay_max_usec;
	b->config = *config;
	b->last_position = ledger_last_position(ledger);
	b->first_position = ledger_get_checkpoint(ledger, &cp) >= 0 ? cp.position : 1;

	r = sd_bus_open_system_with_description(&b->bus, "vasd");
	if (r < 0)
		return log_error_errno(r, "Failed to connect to the system bus: %s (--no-bus runs without it)", strerror(-r));

	r = bus_manager_install(b, b->bus);
	if (r >= 0)
		r = bus_window_install(b, b->bus);
	if (r >= 0)
		r = bus_logcontrol_install(b, b->bus);
	if (r < 0)
		return log_error_errno(r, "Failed to publish the bus objects: %s", strerror(-r));

	/* nothing queued with DoNotQueue: another owner is an error at once */
	r = sd_bus_request_name_async(b->bus, NULL, VASD_BUS_NAME, 0,
				      on_name_reply, b);
	if (r < 0)
		return log_error_errno(r, "Failed to request %s: %s", VASD_BUS_NAME, strerror(-r));

	r = bus_admission_new(b, &b->admission);
	if (r < 0)
		return log_error_errno(r, "Failed to set up the admission of calls: %s", strerror(-r));
	r = bus_loop_new(base, b->bus, on_loop_error, b, &b->loop);
	if (r < 0)
		return log_error_errno(r, "Failed to watch the bus connection: %s", strerror(-r));
	bus_loop_set_dispatched(b->loop, on_dispatched, b);

	bus_manager_props_get(b, &b->announced);
	ingest_set_observer(in, &observer, b);
	bus_migration_install(b);
	*ret = b;
	b = NULL;
	return 0;
}

/* While vasd stops: a call is answered at once, and nothing is run. */
static int refuse_while_stopping(sd_bus_message *m, void *userdata,
				 sd_bus_error *error)
{
	if (!sd_bus_message_is_method_call(m, NULL, NULL))
		return 1;
	sd_bus_reply_method_errorf(m, SD_BUS_ERROR_NO_SERVER, "vasd is stopping");
	return 1;
}

/*
 * Send what is queued (the last PropertiesChanged, "stopping", is worth
 * its wait), for FLUSH_BOUND_USEC at most: sd_bus_flush() waits for as
 * long as the bus does not read, and a bus busy with clients that read
 * nothing once kept vasd from stopping until they went (issue 13). What is
 * left after the bound is dropped with the connection.
 */
#define FLUSH_BOUND_USEC (2 * 1000 * 1000ULL)

static void flush_bounded(sd_bus *bus)
{
	uint64_t start = now_ns(CLOCK_MONOTONIC) / 1000, n = 0;

	if (sd_bus_add_filter(bus, NULL, refuse_while_stopping, NULL) < 0)
		return;
	for (;;) {
		uint64_t now = now_ns(CLOCK_MONOTONIC) / 1000;
		struct pollfd p = { .fd = sd_bus_get_fd(bus), .events = POLLOUT };

		if (sd_bus_get_n_queued_write(bus, &n) < 0 || n == 0 ||
		    now - start >= FLUSH_BOUND_USEC || p.fd < 0)
			break;
		if (poll(&p, 1, (int)((FLUSH_BOUND_USEC - (now - start)) / 1000 + 1)) < 0 &&
		    errno != EINTR)
			break;
		/* writes what the socket takes; a call read meanwhile is refused */
		if (sd_bus_process(bus, NULL) < 0)
			break;
	}
	if (n > 0)
		log_warning("Stopping with %llu bus messages unsent: the bus did not take them within %llu s",
			    (unsigned long long)n,
			    (unsigned long long)(FLUSH_BOUND_USEC / 1000000));
}

struct vasd_bus *vasd_bus_free(struct vasd_bus *b)
{
	if (!b)
		return NULL;
	if (b->ingest)
		ingest_set_observer(b->ingest, NULL, NULL);
	bus_migration_free(b);
	bus_inhibitors_free(b);
	bus_compactions_free(b);
	bus_private_free(b);
	bus_loop_free(b->loop);
	b->admission = bus_admission_free(b->admission);
	if (b->bus)
		flush_bounded(b->bus);
	sd_bus_close_unref(b->bus);
	free(b);
	return NULL;
}

void vasd_bus_set_phase(struct vasd_bus *b, enum vasd_bus_phase phase)
{
	b->phase = phase;
	bus_manager_announce(b);
	bus_sent(b);
}

int vasd_bus_exit_error(const struct vasd_bus *b)
{
	return b->exit_error;
}
