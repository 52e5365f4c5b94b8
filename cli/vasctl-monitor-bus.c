// SPDX-License-Identifier: GPL-2.0-only
/*
 * vasctl monitor (without --kernel): vasd's signals as they come, one
 * decoded line each, until SIGINT or SIGTERM. vasd sends them after each
 * COMMIT (docs/bus.md), so what this prints is what the ledger holds.
 *
 * The signals carry no time: a line's is when vasctl received it. The
 * matches are added before vasd's presence is checked, so nothing sent
 * after a successful start is missed; vasd leaving and coming back is a
 * line of its own, and monitoring goes on.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json.h>

#include "util/human.h"
#include "util/macro.h"
#include "util/time-util.h"
#include "vasctl-bus.h"
#include "vasctl-json.h"
#include "vasctl.h"

struct monitor {
	bool json;
	int error;		/* of writing: stop */
};

/* A new line's object: when and what. */
static struct json_object *line_new(const char *event)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "time",
			       json_object_new_uint64(now_ns(CLOCK_REALTIME)));
	json_object_object_add(o, "event", json_object_new_string(event));
	return o;
}

/*
 * KEY=value for each field; an object's fields inline, credits as
 * USED/TOTAL; a window's cop, opened_at and reason=none left out, as the
 * kernel's lines leave them out. The event's column is padded (*pad)
 * only when a field follows.
 */
static void print_fields(struct json_object *o, int *pad)
{
	VASCTL_JSON_FOREACH(o, it, end) {
		const char *key = json_object_iter_peek_name(&it);
		struct json_object *v = json_object_iter_peek_value(&it);
		struct json_object *total, *used;

		if (strcmp(key, "time") == 0 || strcmp(key, "event") == 0 ||
		    strcmp(key, "cop") == 0 || strcmp(key, "opened_at") == 0)
			continue;
		if (strcmp(key, "reason") == 0 &&
		    strcmp(json_object_get_string(v), "none") == 0)
			continue;
		if (json_object_is_type(v, json_type_object) &&
		    json_object_object_get_ex(v, "total", &total) &&
		    json_object_object_get_ex(v, "used", &used)) {
			printf("%*s %s=%" PRId64 "/%" PRId64, *pad, "", key,
			       json_object_get_int64(used),
			       json_object_get_int64(total));
			*pad = 0;
		} else if (json_object_is_type(v, json_type_object)) {
			print_fields(v, pad);
		} else {
			printf("%*s %s=", *pad, "", key);
			*pad = 0;
			vasctl_print_value(v);
		}
	}
}

/* Print the line (and drop o). */
static void emit(struct monitor *mon, struct json_object *o)
{
	struct json_object *time, *event;
	uint64_t ns;
	int pad, r;

	if (!o) {
		mon->error = -ENOMEM;
		return;
	}
	if (mon->json) {
		r = vasctl_json_print(o);
	} else {
		json_object_object_get_ex(o, "time", &time);
		json_object_object_get_ex(o, "event", &event);
		ns = json_object_get_uint64(time);
		printf("VASD[%" PRIu64 ".%06" PRIu64 "] %s", ns / NSEC_PER_SEC,
		       ns % NSEC_PER_SEC / NSEC_PER_USEC,
		       json_object_get_string(event));
		pad = 15 - (int)strlen(json_object_get_string(event));
		pad = pad < 0 ? 0 : pad;
		print_fields(o, &pad);
		r = putchar('\n') == EOF ? -EIO : 0;
	}
	json_object_put(o);
	if (r >= 0 && fflush(stdout) == EOF)
		r = -errno;
	if (r < 0)
		mon->error = r;
}

/* A line of event about window w, which it takes. */
static void emit_window(struct monitor *mon, const char *event,
			struct json_object *w)
{
	struct json_object *o = line_new(event);

	if (o)
		json_object_object_add(o, "window", w);
	else
		json_object_put(w);
	emit(mon, o);
}

/* A window object of what is known so far: its id. */
static struct json_object *window_new(const char *path)
{
	struct json_object *w;
	uint32_t id;

	if (vasctl_bus_window_id(path, &id) < 0)
		return NULL;
	w = json_object_new_object();
	if (w)
		json_object_object_add(w, "id", json_object_new_int64(id));
	return w;
}

static int on_properties_changed(sd_bus_message *m, void *userdata,
				 sd_bus_error *error)
{
	struct monitor *mon = userdata;
	const char *path = sd_bus_message_get_path(m), *interface;
	struct json_object *o = NULL, *changed;
	int r;

	r = sd_bus_message_read(m, "s", &interface);
	if (r < 0)
		return 0;
	if (strcmp(interface, VASD_BUS_MANAGER_INTERFACE) == 0) {
		changed = json_object_new_object();
		if (!changed) {
			mon->error = -ENOMEM;
			return 0;
		}
		r = vasctl_bus_read_props(m, vasctl_manager_props,
					  vasctl_n_manager_props, changed);
		/* only properties this vasctl does not know: nothing to say */
		if (r < 0 || json_object_object_length(changed) == 0) {
			json_object_put(changed);
			return 0;
		}
		o = line_new("manager-change");
		if (o)
			json_object_object_add(o, "changed", json_object_get(changed));
		json_object_put(changed);
	} else if (strcmp(interface, VASD_BUS_WINDOW_INTERFACE) == 0) {
		changed = window_new(path);
		if (!changed)
			return 0;
		r = vasctl_bus_read_props(m, vasctl_window_props,
					  vasctl_n_window_props, changed);
		if (r >= 0) {
			o = line_new("window-change");
			if (o)
				json_object_object_add(o, "window",
						       json_object_get(changed));
		}
		json_object_put(changed);
	} else if (strcmp(interface, VASD_BUS_LOGCONTROL_INTERFACE) == 0) {
		static const struct vasctl_prop log_level[] = {
			{ "LogLevel", "log_level", "s", VASCTL_PROP_PLAIN },
		};

		o = line_new("log-level");
		if (!o) {
			mon->error = -ENOMEM;
			return 0;
		}
		r = vasctl_bus_read_props(m, log_level, ELEMENTSOF(log_level), o);
		if (r < 0 || !json_object_object_get_ex(o, "log_level", NULL)) {
			json_object_put(o);
			return 0;
		}
	} else {
		return 0;
	}
	if (r >= 0)
		emit(mon, o);
	return 0;
}

static int on_interfaces_added(sd_bus_message *m, void *userdata,
			       sd_bus_error *error)
{
	struct monitor *mon = userdata;
	struct json_object *w = NULL;
	const char *path;
	int r;

	r = sd_bus_message_read(m, "o", &path);
	if (r >= 0)
		w = window_new(path);
	if (!w)
		return 0;
	r = vasctl_bus_read_window(m, w);
	if (r < 0) {
		json_object_put(w);
		return 0;
	}
	emit_window(mon, "window-add", w);
	return 0;
}

static int on_interfaces_removed(sd_bus_message *m, void *userdata,
				 sd_bus_error *error)
{
	struct monitor *mon = userdata;
	struct json_object *w;
	const char *path;

	if (sd_bus_message_read(m, "o", &path) < 0)
		return 0;
	w = window_new(path);
	if (!w)
		return 0;
	emit_window(mon, "window-remove", w);
	return 0;
}

static int on_prepare_for_migration(sd_bus_message *m, void *userdata,
				    sd_bus_error *error)
{
	struct monitor *mon = userdata;
	const char *migration;
	struct json_object *o;
	int active;

	if (sd_bus_message_read(m, "bs", &active, &migration) < 0)
		return 0;
	o = line_new("prepare-for-migration");
	if (o) {
		json_object_object_add(o, "active", json_object_new_boolean(active));
		json_object_object_add(o, "migration",
				       json_object_new_string(migration));
	}
	emit(mon, o);
	return 0;
}

static int on_owner_changed(sd_bus_message *m, void *userdata,
			    sd_bus_error *error)
{
	struct monitor *mon = userdata;
	const char *name, *old, *new;
	struct json_object *o;

	if (sd_bus_message_read(m, "sss", &name, &old, &new) < 0)
		return 0;
	if (*new) {
		o = line_new("vasd-appeared");
		if (o)
			json_object_object_add(o, "owner", json_object_new_string(new));
	} else {
		o = line_new("vasd-vanished");
	}
	emit(mon, o);
	return 0;
}

static const struct {
	const char *match;
	sd_bus_message_handler_t handler;
} matches[] = {
	{ "type='signal',sender='" VASD_BUS_NAME "',"
	  "interface='org.freedesktop.DBus.Properties',member='PropertiesChanged'",
	  on_properties_changed },
	{ "type='signal',sender='" VASD_BUS_NAME "',path='" VASD_BUS_PATH "',"
	  "interface='org.freedesktop.DBus.ObjectManager',member='InterfacesAdded'",
	  on_interfaces_added },
	{ "type='signal',sender='" VASD_BUS_NAME "',path='" VASD_BUS_PATH "',"
	  "interface='org.freedesktop.DBus.ObjectManager',member='InterfacesRemoved'",
	  on_interfaces_removed },
	{ "type='signal',sender='" VASD_BUS_NAME "',path='" VASD_BUS_PATH "',"
	  "interface='" VASD_BUS_MANAGER_INTERFACE "',member='PrepareForMigration'",
	  on_prepare_for_migration },
	{ "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',"
	  "member='NameOwnerChanged',arg0='" VASD_BUS_NAME "'",
	  on_owner_changed },
};

static int run(sd_bus *bus, struct monitor *mon, int sfd)
{
	int r;

	for (;;) {
		r = sd_bus_process(bus, NULL);
		if (mon->error < 0)
			return vasctl_finish_output("monitor", mon->error);
		if (r > 0)
			continue;
		if (r >= 0)
			r = vasctl_bus_wait(bus, sfd);
		if (r < 0) {
			vasctl_error("monitor: lost the system bus: %s", strerror(-r));
			return VASCTL_EXIT_FAILURE;
		}
		if (r > 0)
			return VASCTL_EXIT_OK;
	}
}

int vasctl_monitor_bus(bool json)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	struct monitor mon = { .json = json };
	int sfd, r;

	r = vasctl_bus_open_system("monitor", &bus);
	if (r != VASCTL_EXIT_OK)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(matches); i++) {
		r = sd_bus_add_match(bus, NULL, matches[i].match,
				     matches[i].handler, &mon);
		if (r < 0) {
			vasctl_error("monitor: cannot subscribe to vasd's signals: %s",
				     strerror(-r));
			return VASCTL_EXIT_FAILURE;
		}
	}
	r = vasctl_bus_check_running(bus, "monitor");
	if (r != VASCTL_EXIT_OK)
		return r;

	sfd = vasctl_block_signals();
	if (sfd < 0) {
		vasctl_error("monitor: cannot set up signals: %s", strerror(-sfd));
		return VASCTL_EXIT_FAILURE;
	}
	r = run(bus, &mon, sfd);
	close(sfd);
	return r;
}
