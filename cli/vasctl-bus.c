// SPDX-License-Identifier: GPL-2.0-only
/*
 * vasctl's side of org.vasd1. See vasctl-bus.h.
 *
 * vasctl reports a vasd that is not running rather than starting it: the
 * system bus would otherwise activate vasd (systemd/org.vasd1.service) for
 * a mere look, and a script could not tell "not running" from "running".
 */
#include <errno.h>
#include <stdio.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/event-fields.h"
#include "util/alloc.h"
#include "util/macro.h"
#include "util/time-util.h"
#include "vasctl-bus.h"
#include "vasctl-json.h"
#include "vasctl.h"

#define VASD_ERROR_LEDGER "org.vasd1.Error.LedgerFailed"

const struct vasctl_prop vasctl_manager_props[] = {
	{ "State", "state", "s", VASCTL_PROP_PLAIN },
	{ "KernelAttached", "kernel_attached", "b", VASCTL_PROP_PLAIN },
	{ "KernelSource", "kernel_source", "s", VASCTL_PROP_PLAIN },
	{ "ObservedMissed", "observed_missed", "t", VASCTL_PROP_PLAIN },
	{ "Generation", "generation", "t", VASCTL_PROP_HEX },
	{ "Seq", "seq", "t", VASCTL_PROP_PLAIN },
	{ "FirstPosition", "first_position", "x", VASCTL_PROP_PLAIN },
	{ "LastPosition", "last_position", "x", VASCTL_PROP_PLAIN },
	{ "Windows", "windows", "u", VASCTL_PROP_PLAIN },
	{ "WindowsActive", "windows_active", "u", VASCTL_PROP_PLAIN },
	{ "WindowsSuspended", "windows_suspended", "u", VASCTL_PROP_PLAIN },
	{ "CreditsDefault", "credits_default", "(uu)", VASCTL_PROP_CREDITS },
	{ "CreditsQos", "credits_qos", "(uu)", VASCTL_PROP_CREDITS },
	{ "MigrationPhase", "migration_phase", "s", VASCTL_PROP_PLAIN },
	{ "MigrationStream", "migration_stream", "t", VASCTL_PROP_PLAIN },
	{ "MigrationName", "migration_name", "s", VASCTL_PROP_PLAIN },
	{ "MigrationState", "migration_state", "s", VASCTL_PROP_PLAIN },
	{ "MigrationAnomalies", "migration_anomalies", "u", VASCTL_PROP_PLAIN },
	{ "InhibitDelayMaxUSec", "inhibit_delay_max_usec", "t", VASCTL_PROP_PLAIN },
};
const size_t vasctl_n_manager_props = ELEMENTSOF(vasctl_manager_props);

/* The names of proto/ledger-export.md's window object. */
const struct vasctl_prop vasctl_window_props[] = {
	{ "Id", "id", "u", VASCTL_PROP_PLAIN },
	{ "Owner", "tgid", "u", VASCTL_PROP_PLAIN },
	{ "Pid", "pid", "u", VASCTL_PROP_PLAIN },
	{ "Comm", "comm", "s", VASCTL_PROP_PLAIN },
	{ "Cop", "cop", "s", VASCTL_PROP_PLAIN },
	{ "Type", "type", "s", VASCTL_PROP_PLAIN },
	{ "State", "state", "s", VASCTL_PROP_PLAIN },
	{ "Reason", "reason", "s", VASCTL_PROP_PLAIN },
	{ "OpenedAt", "opened_at", "t", VASCTL_PROP_PLAIN },
	{ "Uid", "uid", "u", VASCTL_PROP_UID },
};
const size_t vasctl_n_window_props = ELEMENTSOF(vasctl_window_props);

static const char *system_bus_address(void)
{
	const char *a = getenv("DBUS_SYSTEM_BUS_ADDRESS");

	return a && *a ? a : "unix:path=/run/dbus/system_bus_socket";
}

static void say_not_running(void)
{
	vasctl_error("vasd is not running (%s has no owner on the system bus)",
		     VASD_BUS_NAME);
}

static int open_private(sd_bus **ret)
{
	const char *path = getenv("VASD_PRIVATE_SOCKET");
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(freep) char *address = NULL;
	int r;

	if (!path || !*path)
		path = "/run/vasd/private";
	if (geteuid() != 0 || access(path, F_OK) < 0)
		return -ENOENT;
	if (asprintf(&address, "unix:path=%s", path) < 0)
		return -ENOMEM;
	r = sd_bus_new(&bus);
	if (r >= 0)
		r = sd_bus_set_address(bus, address);
	if (r >= 0)
		r = sd_bus_start(bus);
	if (r < 0)
		return r;
	*ret = bus;
	bus = NULL;
	return 0;
}

int vasctl_bus_open(const char *verb, sd_bus **ret)
{
	/* a socket left by a vasd that is gone refuses: the bus says more */
	if (open_private(ret) >= 0)
		return VASCTL_EXIT_OK;
	return vasctl_bus_open_system(verb, ret);
}

int vasctl_bus_open_system(const char *verb, sd_bus **ret)
{
	sd_bus *bus = NULL;
	int r;

	r = sd_bus_open_system(&bus);
	if (r == -ENOENT || r == -ECONNREFUSED) {
		vasctl_error("vasd is not running (no system bus at %s: %s)",
			     system_bus_address(), strerror(-r));
		return VASCTL_EXIT_NOT_RUNNING;
	}
	if (r < 0) {
		vasctl_error("%s: cannot connect to the system bus at %s: %s",
			     verb, system_bus_address(), strerror(-r));
		return VASCTL_EXIT_FAILURE;
	}
	*ret = bus;
	return VASCTL_EXIT_OK;
}

int vasctl_bus_new_call(sd_bus *bus, const char *path, const char *interface,
			const char *member, sd_bus_message **ret)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	int r;

	r = sd_bus_message_new_method_call(bus, &m, VASD_BUS_NAME, path,
					   interface, member);
	if (r < 0)
		return r;
	r = sd_bus_message_set_auto_start(m, 0);
	if (r < 0)
		return r;
	*ret = m;
	m = NULL;
	return 0;
}

int vasctl_bus_call(sd_bus *bus, const char *path, const char *interface,
		    const char *member, sd_bus_error *error,
		    sd_bus_message **reply, const char *types, ...)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	va_list ap;
	int r;

	r = vasctl_bus_new_call(bus, path, interface, member, &m);
	if (r < 0)
		return r;
	if (types) {
		va_start(ap, types);
		r = sd_bus_message_appendv(m, types, ap);
		va_end(ap);
		if (r < 0)
			return r;
	}
	return sd_bus_call(bus, m, 0, error, reply);
}

int vasctl_bus_vasd_present(sd_bus *bus)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int r, has;

	/* vasd's private socket: vasd is there while the connection is */
	if (sd_bus_is_bus_client(bus) == 0)
		return sd_bus_is_open(bus) > 0;

	r = sd_bus_call_method(bus, "org.freedesktop.DBus",
			       "/org/freedesktop/DBus", "org.freedesktop.DBus",
			       "NameHasOwner", NULL, &reply, "s", VASD_BUS_NAME);
	if (r < 0)
		return r;
	r = sd_bus_message_read(reply, "b", &has);
	if (r < 0)
		return r;
	return has ? 1 : 0;
}

int vasctl_bus_error_is_gone(const sd_bus_error *error)
{
	return sd_bus_error_has_names(error, SD_BUS_ERROR_NAME_HAS_NO_OWNER,
				      SD_BUS_ERROR_SERVICE_UNKNOWN,
				      SD_BUS_ERROR_NO_REPLY);
}

int vasctl_bus_fail(sd_bus *bus, const char *verb, const char *what, int r,
		    const sd_bus_error *error)
{
	bool set = sd_bus_error_is_set(error);

	/* NoReply is also a vasd that hangs: only its absence is "not running" */
	if (vasctl_bus_error_is_gone(error) &&
	    (!sd_bus_error_has_name(error, SD_BUS_ERROR_NO_REPLY) ||
	     vasctl_bus_vasd_present(bus) == 0)) {
		say_not_running();
		return VASCTL_EXIT_NOT_RUNNING;
	}
	if (set)
		vasctl_error("%s: %s: %s (%s)", verb, what,
			     error->message ? error->message : "no message",
			     error->name);
	else
		vasctl_error("%s: %s: %s", verb, what, strerror(-r));
	if (sd_bus_error_has_name(error, VASD_ERROR_LEDGER))
		return VASCTL_EXIT_NO_LEDGER;
	return VASCTL_EXIT_FAILURE;
}

int vasctl_bus_check_running(sd_bus *bus, const char *verb)
{
	int r = vasctl_bus_vasd_present(bus);

	if (r < 0) {
		vasctl_error("%s: cannot ask the bus whether vasd runs: %s",
			     verb, strerror(-r));
		return VASCTL_EXIT_FAILURE;
	}
	if (r == 0) {
		say_not_running();
		return VASCTL_EXIT_NOT_RUNNING;
	}
	return VASCTL_EXIT_OK;
}

int vasctl_bus_wait(sd_bus *bus, int signal_fd)
{
	int fd = sd_bus_get_fd(bus), events = sd_bus_get_events(bus);
	int timeout = -1, r;
	struct pollfd p[2];
	uint64_t until;

	if (fd < 0)
		return fd;
	if (events < 0)
		return events;
	p[0] = (struct pollfd) { .fd = fd, .events = (short)events };
	p[1] = (struct pollfd) { .fd = signal_fd, .events = POLLIN };
	r = sd_bus_get_timeout(bus, &until);
	if (r < 0)
		return r;
	if (until != UINT64_MAX) {
		/* sd-bus's timeouts are CLOCK_MONOTONIC microseconds */
		uint64_t now = now_ns(CLOCK_MONOTONIC) / 1000;

		timeout = until <= now ? 0 :
			(int)((until - now + 999) / 1000 > INT_MAX ? INT_MAX :
			      (until - now + 999) / 1000);
	}
	if (poll(p, ELEMENTSOF(p), timeout) < 0)
		return errno == EINTR ? 0 : -errno;
	return p[1].revents ? 1 : 0;
}

/*
 * A value of a basic type at m (s, b, u, i, x or t) as JSON; a t as 16
 * hex digits when hex. The caller checked the type.
 */
static int read_basic(sd_bus_message *m, char type, bool hex,
		      struct json_object **ret)
{
	union {
		const char *s;
		int b;
		uint32_t u;
		int32_t i;
		int64_t x;
		uint64_t t;
	} x;
	struct json_object *v;
	int r;

	r = sd_bus_message_read_basic(m, type, &x);
	if (r < 0)
		return r;
	switch (type) {
	case 's':
		v = json_object_new_string(x.s);
		break;
	case 'b':
		v = json_object_new_boolean(x.b);
		break;
	case 'u':
		v = json_object_new_int64(x.u);
		break;
	case 'i':
		v = json_object_new_int64(x.i);
		break;
	case 'x':
		v = json_object_new_int64(x.x);
		break;
	default:	/* t */
		v = hex ? vasctl_json_hex(x.t) : json_object_new_uint64(x.t);
		break;
	}
	if (!v)
		return -ENOMEM;
	*ret = v;
	return 0;
}

/* The value of the variant at m, of prop's signature. */
static int read_prop_value(sd_bus_message *m, const struct vasctl_prop *p,
			   struct json_object **ret)
{
	struct json_object *v;
	uint32_t total, used, uid;
	int r;

	if (p->kind == VASCTL_PROP_UID) {
		r = sd_bus_message_read(m, "u", &uid);
		if (r < 0)
			return r;
		*ret = NULL;
		if (uid != UINT32_MAX) {
			*ret = json_object_new_int64(uid);
			if (!*ret)
				return -ENOMEM;
		}
		return 0;
	}
	if (p->kind != VASCTL_PROP_CREDITS)
		return read_basic(m, p->signature[0], p->kind == VASCTL_PROP_HEX, ret);
	r = sd_bus_message_read(m, "(uu)", &total, &used);
	if (r < 0)
		return r;
	v = json_object_new_object();
	if (!v)
		return -ENOMEM;
	json_object_object_add(v, "total", json_object_new_int64(total));
	json_object_object_add(v, "used", json_object_new_int64(used));
	*ret = v;
	return 0;
}

static const struct vasctl_prop *find_prop(const struct vasctl_prop *props,
					   size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(props[i].name, name) == 0)
			return &props[i];
	return NULL;
}

int vasctl_bus_read_props(sd_bus_message *m, const struct vasctl_prop *props,
			  size_t n, struct json_object *o)
{
	int r;

	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		const struct vasctl_prop *p;
		struct json_object *v;
		const char *name, *contents;
		char type;

		r = sd_bus_message_read(m, "s", &name);
		if (r < 0)
			return r;
		p = find_prop(props, n, name);
		r = sd_bus_message_peek_type(m, &type, &contents);
		if (r < 0)
			return r;
		if (!p || strcmp(contents, p->signature) != 0) {
			r = sd_bus_message_skip(m, "v");
		} else {
			r = sd_bus_message_enter_container(m, 'v', contents);
			if (r >= 0)
				r = read_prop_value(m, p, &v);
			if (r >= 0 && v)
				json_object_object_add(o, p->key, v);
			if (r >= 0)
				r = sd_bus_message_exit_container(m);
		}
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

int vasctl_bus_read_window(sd_bus_message *m, struct json_object *o)
{
	const char *interface;
	bool window = false;
	int r;

	r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}");
	while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
		r = sd_bus_message_read(m, "s", &interface);
		if (r >= 0 && strcmp(interface, VASD_BUS_WINDOW_INTERFACE) == 0) {
			r = vasctl_bus_read_props(m, vasctl_window_props,
						  vasctl_n_window_props, o);
			window = true;
		} else if (r >= 0) {
			r = sd_bus_message_skip(m, "a{sv}");
		}
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(m);
	return r < 0 ? r : window;
}

static int read_dict(sd_bus_message *m, const char *object,
		     struct json_object **ret);

/* A value of an event's a{sv}: object names the dict it is in (NULL: the
 * event's own fields); the table of fields says how to print it. */
static int read_dict_value(sd_bus_message *m, const char *object,
			   const char *key, struct json_object **ret)
{
	const struct vasd_field *f;
	const char *contents;
	char type;
	int r;

	r = sd_bus_message_peek_type(m, &type, &contents);
	if (r < 0)
		return r;
	if (type && strchr("sbuixt", type)) {
		f = vasd_event_field(object, key);
		return read_basic(m, type, f && f->type == VASD_FIELD_ID64, ret);
	}
	if (type == 'a' && strcmp(contents, "{sv}") == 0 && !object)
		return read_dict(m, key, ret);
	*ret = NULL;
	return sd_bus_message_skip(m, NULL);
}

int vasctl_bus_read_dict(sd_bus_message *m, struct json_object **ret)
{
	return read_dict(m, NULL, ret);
}

static int read_dict(sd_bus_message *m, const char *object,
		     struct json_object **ret)
{
	struct json_object *o = json_object_new_object();
	int r;

	if (!o)
		return -ENOMEM;
	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		struct json_object *v = NULL;
		const char *key, *contents;
		char type;

		r = sd_bus_message_read(m, "s", &key);
		if (r >= 0)
			r = sd_bus_message_peek_type(m, &type, &contents);
		if (r >= 0)
			r = sd_bus_message_enter_container(m, 'v', contents);
		if (r >= 0)
			r = read_dict_value(m, object, key, &v);
		if (r >= 0 && v)
			json_object_object_add(o, key, v);
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(m);
	if (r < 0) {
		json_object_put(o);
		return r;
	}
	*ret = o;
	return 0;
}

int vasctl_bus_window_id(const char *path, uint32_t *ret)
{
	size_t prefix = strlen(VASD_BUS_WINDOW_PREFIX);
	unsigned long v;
	char *end;

	if (strncmp(path, VASD_BUS_WINDOW_PREFIX, prefix) != 0 ||
	    path[prefix] < '0' || path[prefix] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(path + prefix, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}
