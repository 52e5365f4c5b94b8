// SPDX-License-Identifier: GPL-2.0-only
/*
 * vasctl events: the ledger's events through ReadEvents, a page (at most
 * 1000 events) a call. With --follow it then waits for vasd to announce a
 * new LastPosition (PropertiesChanged, sent after each COMMIT) and reads
 * on from where it was; it never polls. The matches are in place before
 * the first read, so an event committed meanwhile wakes it. When vasd
 * stops and comes back, its ledger's positions go on where they were, and
 * so does --follow.
 *
 * --json prints each event as `vasctl ledger export` does, byte for byte:
 * the same fields (vasd's a{sv}, proto/ledger-export.md) in the same order.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json.h>

#include "core/event-fields.h"
#include "util/human.h"
#include "util/macro.h"
#include "vasctl-bus.h"
#include "vasctl-json.h"
#include "vasctl.h"

/* ReadEvents returns at most this many a call. */
#define PAGE_MAX 1000

struct events {
	sd_bus *bus;
	bool json;
	bool follow;
	int64_t next;		/* the position to read next */
	uint64_t limit;		/* 0: none */
	uint64_t printed;
	bool wake;		/* LastPosition moved, or vasd is back */
};

static void events_usage(FILE *f)
{
	fputs("Usage: vasctl events [OPTIONS]\n"
	      "\n"
	      "Print the events of vasd's ledger in the order of their positions,\n"
	      "one a line: position, time, kind and what it carries.\n"
	      "\n"
	      "Options:\n"
	      "  -s --since=POSITION   Start at this position (default: the first; with\n"
	      "                        --follow: the next event to be committed)\n"
	      "  -f --follow           Then print new events as vasd commits them, until\n"
	      "                        interrupted\n"
	      "  -n --limit=N          Print at most N events, then exit\n"
	      "     --json             One JSON object a line, as `vasctl ledger export`\n"
	      "                        prints them (proto/ledger-export.md)\n"
	      "  -h --help             Show this help\n", f);
}

/*
 * KEY=value for each field, the objects' fields inline; what every line
 * would repeat (cop, a window's opened_at, reason=none) is left out, as
 * `vasctl monitor --kernel` leaves it out.
 */
static void print_fields(struct json_object *o, bool nested, int *pad)
{
	VASCTL_JSON_FOREACH(o, it, end) {
		const char *key = json_object_iter_peek_name(&it);
		struct json_object *v = json_object_iter_peek_value(&it);
		if (!nested && (strcmp(key, "position") == 0 ||
				strcmp(key, "kind") == 0 ||
				strcmp(key, "timestamp") == 0 ||
				strcmp(key, "recorded") == 0))
			continue;
		if (json_object_is_type(v, json_type_object)) {
			print_fields(v, true, pad);
			continue;
		}
		if (nested && (strcmp(key, "cop") == 0 ||
			       strcmp(key, "opened_at") == 0 ||
			       (strcmp(key, "reason") == 0 &&
				strcmp(json_object_get_string(v), "none") == 0)))
			continue;
		/* the kind's column is padded only when fields follow */
		printf("%*s %s=", *pad, "",
		       strcmp(key, "generation") == 0 ? "gen" : key);
		*pad = 0;
		vasctl_print_value(v);
	}
}

static int print_human(struct json_object *o)
{
	struct json_object *position, *kind, *timestamp;
	char when[HUMAN_TIMESTAMP_MAX];
	int pad;

	json_object_object_get_ex(o, "position", &position);
	json_object_object_get_ex(o, "kind", &kind);
	json_object_object_get_ex(o, "timestamp", &timestamp);
	if (!human_timestamp(when, json_object_get_uint64(timestamp), true, false))
		snprintf(when, sizeof(when), "-");
	printf("%6" PRId64 " %s %s", json_object_get_int64(position), when,
	       json_object_get_string(kind));
	pad = 20 - (int)strlen(json_object_get_string(kind));
	pad = pad < 0 ? 0 : pad;
	print_fields(o, false, &pad);
	return putchar('\n') == EOF ? -EIO : 0;
}

static void move_field(struct json_object *to, struct json_object *from,
		       const char *key)
{
	struct json_object *v;

	if (json_object_object_get_ex(from, key, &v)) {
		json_object_object_add(to, key, json_object_get(v));
		json_object_object_del(from, key);
	}
}

/*
 * One (xstta{sv}) as ledger export prints it: position, kind, the event's
 * own fields (core/event-fields.h), then the objects the kind carries.
 */
static int read_event(sd_bus_message *m, struct json_object **ret)
{
	const struct vasd_field_object *own = &vasd_event_objects[VASD_OBJECT_EVENT];
	struct json_object *o, *fields;
	struct vasd_event head;
	const char *kind;
	uint64_t timestamp, recorded;
	int64_t position;
	int r;

	r = sd_bus_message_enter_container(m, 'r', "xstta{sv}");
	if (r <= 0)
		return r;
	r = sd_bus_message_read(m, "xstt", &position, &kind, &timestamp,
				&recorded);
	if (r < 0)
		return r;
	r = vasctl_bus_read_dict(m, &fields);
	if (r < 0)
		return r;
	r = sd_bus_message_exit_container(m);
	o = json_object_new_object();
	if (r < 0 || !o) {
		json_object_put(fields);
		json_object_put(o);
		return r < 0 ? r : -ENOMEM;
	}
	json_object_object_add(o, "position", json_object_new_int64(position));
	json_object_object_add(o, "kind", json_object_new_string(kind));
	/* the event's own fields in the table's order; the head's in place */
	head = (struct vasd_event) { .timestamp = timestamp, .recorded = recorded };
	for (size_t j = 0; j < own->n_fields; j++) {
		const struct vasd_field *f = &own->fields[j];

		if (f->head)
			json_object_object_add(o, f->name,
					       json_object_new_uint64(vasd_field_u64(f, &head)));
		else
			move_field(o, fields, f->name);
	}
	VASCTL_JSON_FOREACH(fields, it, end)
		json_object_object_add(o, json_object_iter_peek_name(&it),
				       json_object_get(json_object_iter_peek_value(&it)));
	json_object_put(fields);
	*ret = o;
	return 1;
}

static bool limit_reached(const struct events *ev)
{
	return ev->limit && ev->printed >= ev->limit;
}

/*
 * Read and print from ev->next until the ledger has no more (or the limit
 * is reached). An exit code; with --follow, a vasd gone meanwhile is not
 * an error: its return wakes us.
 */
static int drain(struct events *ev)
{
	while (!limit_reached(ev)) {
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
		uint64_t want = PAGE_MAX;
		uint32_t n = 0;
		int64_t next;
		int r;

		if (ev->limit && ev->limit - ev->printed < want)
			want = ev->limit - ev->printed;
		r = vasctl_bus_call(ev->bus, VASD_BUS_PATH,
				    VASD_BUS_MANAGER_INTERFACE, "ReadEvents",
				    &error, &reply, "xu", ev->next, (uint32_t)want);
		if (r < 0 && ev->follow && vasctl_bus_error_is_gone(&error))
			return VASCTL_EXIT_OK;
		if (r < 0)
			return vasctl_bus_fail(ev->bus, "events",
					       "cannot read the events", r, &error);

		r = sd_bus_message_enter_container(reply, 'a', "(xstta{sv})");
		for (;;) {
			struct json_object *o = NULL;

			if (r >= 0)
				r = read_event(reply, &o);
			if (r <= 0)
				break;
			r = ev->json ? vasctl_json_print(o) : print_human(o);
			json_object_put(o);
			if (r < 0)
				return vasctl_finish_output("events", r);
			n++;
			ev->printed++;
		}
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
		if (r >= 0)
			r = sd_bus_message_read(reply, "x", &next);
		if (r < 0) {
			vasctl_error("events: cannot parse vasd's reply: %s",
				     strerror(-r));
			return VASCTL_EXIT_FAILURE;
		}
		ev->next = next;
		if (fflush(stdout) == EOF)
			return vasctl_finish_output("events", -errno);
		/* a short page is the ledger's end */
		if (n < want)
			break;
	}
	return VASCTL_EXIT_OK;
}

static int on_manager_changed(sd_bus_message *m, void *userdata,
			      sd_bus_error *error)
{
	struct events *ev = userdata;
	struct json_object *changed = json_object_new_object();
	const char *interface;
	int r;

	/* reading once too often is harmless; missing a wake-up is not */
	if (!changed) {
		ev->wake = true;
		return 0;
	}
	r = sd_bus_message_read(m, "s", &interface);
	if (r >= 0)
		r = vasctl_bus_read_props(m, vasctl_manager_props,
					  vasctl_n_manager_props, changed);
	if (r < 0 || json_object_object_get_ex(changed, "last_position", NULL))
		ev->wake = true;
	json_object_put(changed);
	return 0;
}

static int on_owner_changed(sd_bus_message *m, void *userdata,
			    sd_bus_error *error)
{
	struct events *ev = userdata;
	const char *name, *old, *new;

	if (sd_bus_message_read(m, "sss", &name, &old, &new) >= 0 && *new)
		ev->wake = true;
	return 0;
}

static int add_matches(struct events *ev)
{
	int r;

	r = sd_bus_add_match(ev->bus, NULL,
			     "type='signal',sender='" VASD_BUS_NAME "',"
			     "path='" VASD_BUS_PATH "',"
			     "interface='org.freedesktop.DBus.Properties',"
			     "member='PropertiesChanged',"
			     "arg0='" VASD_BUS_MANAGER_INTERFACE "'",
			     on_manager_changed, ev);
	if (r >= 0)
		r = sd_bus_add_match(ev->bus, NULL,
				     "type='signal',sender='org.freedesktop.DBus',"
				     "interface='org.freedesktop.DBus',"
				     "member='NameOwnerChanged',"
				     "arg0='" VASD_BUS_NAME "'",
				     on_owner_changed, ev);
	if (r < 0)
		vasctl_error("events: cannot subscribe to vasd's signals: %s",
			     strerror(-r));
	return r;
}

/* --follow without --since: what is committed from now on. */
static int start_at_end(struct events *ev)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int64_t last;
	int r;

	r = vasctl_bus_call(ev->bus, VASD_BUS_PATH,
			    "org.freedesktop.DBus.Properties", "Get", &error,
			    &reply, "ss", VASD_BUS_MANAGER_INTERFACE,
			    "LastPosition");
	if (r < 0)
		return vasctl_bus_fail(ev->bus, "events",
				       "cannot read the last position", r, &error);
	r = sd_bus_message_read(reply, "v", "x", &last);
	if (r < 0) {
		vasctl_error("events: cannot parse vasd's reply: %s", strerror(-r));
		return VASCTL_EXIT_FAILURE;
	}
	ev->next = last + 1;
	return VASCTL_EXIT_OK;
}

static int follow(struct events *ev)
{
	int sfd, r;

	sfd = vasctl_block_signals();
	if (sfd < 0) {
		vasctl_error("events: cannot set up signals: %s", strerror(-sfd));
		return VASCTL_EXIT_FAILURE;
	}
	for (;;) {
		if (ev->wake) {
			ev->wake = false;
			r = drain(ev);
			if (r != VASCTL_EXIT_OK || limit_reached(ev))
				break;
		}
		r = sd_bus_process(ev->bus, NULL);
		if (r > 0)
			continue;
		if (r >= 0)
			r = vasctl_bus_wait(ev->bus, sfd);
		if (r < 0) {
			vasctl_error("events: lost the system bus: %s", strerror(-r));
			r = VASCTL_EXIT_FAILURE;
			break;
		}
		if (r > 0) {
			r = VASCTL_EXIT_OK;
			break;
		}
	}
	close(sfd);
	return r;
}

int vasctl_events(int argc, char **argv)
{
	enum { ARG_JSON = 0x100 };
	static const struct option options[] = {
		{ "since", required_argument, NULL, 's' },
		{ "follow", no_argument, NULL, 'f' },
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, ARG_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	struct events ev = { .next = 0 };
	bool since = false;
	int64_t v;
	int c, r;

	while ((c = getopt_long(argc, argv, "s:fn:h", options, NULL)) >= 0) {
		switch (c) {
		case 's':
			if (vasctl_parse_number(optarg, &ev.next) < 0) {
				vasctl_error("events: invalid position '%s'", optarg);
				return VASCTL_EXIT_USAGE;
			}
			since = true;
			break;
		case 'f':
			ev.follow = true;
			break;
		case 'n':
			if (vasctl_parse_number(optarg, &v) < 0 || v == 0) {
				vasctl_error("events: invalid limit '%s' (1 or more)",
					     optarg);
				return VASCTL_EXIT_USAGE;
			}
			ev.limit = (uint64_t)v;
			break;
		case ARG_JSON:
			ev.json = true;
			break;
		case 'h':
			events_usage(stdout);
			return VASCTL_EXIT_OK;
		default:
			events_usage(stderr);
			return VASCTL_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		vasctl_error("events: unexpected argument '%s'", argv[optind]);
		events_usage(stderr);
		return VASCTL_EXIT_USAGE;
	}

	r = vasctl_bus_open_system("events", &bus);
	if (r != VASCTL_EXIT_OK)
		return r;
	ev.bus = bus;
	if (ev.follow) {
		if (add_matches(&ev) < 0)
			return VASCTL_EXIT_FAILURE;
		if (!since) {
			r = start_at_end(&ev);
			if (r != VASCTL_EXIT_OK)
				return r;
		} else {
			r = vasctl_bus_check_running(bus, "events");
			if (r != VASCTL_EXIT_OK)
				return r;
		}
	}
	r = drain(&ev);
	if (r != VASCTL_EXIT_OK || !ev.follow || limit_reached(&ev))
		return r;
	return follow(&ev);
}
