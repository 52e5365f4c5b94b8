/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vasctl's side of org.vasd1 (proto/org.vasd1.xml): the connection, telling
 * "vasd is not running" from other failures, and reading properties and
 * dictionaries into JSON values, the shapes proto/vasctl-json.md names.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <json.h>
#include <systemd/sd-bus.h>

#define VASD_BUS_NAME			"org.vasd1"
#define VASD_BUS_PATH			"/org/vasd1"
#define VASD_BUS_WINDOW_PREFIX		"/org/vasd1/window/"
#define VASD_BUS_MANAGER_INTERFACE	"org.vasd1.Manager"
#define VASD_BUS_WINDOW_INTERFACE	"org.vasd1.Window"
#define VASD_BUS_LOGCONTROL_PATH	"/org/freedesktop/LogControl1"
#define VASD_BUS_LOGCONTROL_INTERFACE	"org.freedesktop.LogControl1"

/*
 * Connect to the system bus ($DBUS_SYSTEM_BUS_ADDRESS, else the standard
 * socket). Messages never start vasd (no auto-start): a vasd that is not
 * running is reported, not activated. Returns an exit code, and has said
 * on stderr, in one line, what went wrong.
 */
/*
 * A connection to vasd: for root, vasd's private socket
 * ($VASD_PRIVATE_SOCKET, else /run/vasd/private) when it answers, where a
 * flood of other users' calls on the bus does not delay root's (docs/bus.md);
 * else the system bus. No signals come over the private socket:
 * vasctl_bus_open_system() is for what follows them.
 */
int vasctl_bus_open(const char *verb, sd_bus **ret);
int vasctl_bus_open_system(const char *verb, sd_bus **ret);

/*
 * A method call to vasd, not sent yet, that never starts vasd: for a call
 * with its own timeout.
 */
int vasctl_bus_new_call(sd_bus *bus, const char *path, const char *interface,
			const char *member, sd_bus_message **ret);

/*
 * A method call to vasd, as sd_bus_call_method() makes it but never
 * starting vasd.
 */
int vasctl_bus_call(sd_bus *bus, const char *path, const char *interface,
		    const char *member, sd_bus_error *error,
		    sd_bus_message **reply, const char *types, ...);

/*
 * The exit code for a call that failed with r and error, said on stderr in
 * one line: VASCTL_EXIT_NOT_RUNNING when org.vasd1 has no owner (also when
 * it left without replying), VASCTL_EXIT_NO_LEDGER when vasd could not read
 * its ledger, else VASCTL_EXIT_FAILURE with the bus's error.
 */
int vasctl_bus_fail(sd_bus *bus, const char *verb, const char *what, int r,
		    const sd_bus_error *error);

/* For the commands that wait for signals: an exit code, said as above. */
int vasctl_bus_check_running(sd_bus *bus, const char *verb);

/* Whether error says that org.vasd1 has no owner, or left without replying. */
int vasctl_bus_error_is_gone(const sd_bus_error *error);

/*
 * Wait until the bus has something to process or signal_fd (from
 * vasctl_block_signals()) is readable: 0, 1 when a signal came, or -errno.
 */
int vasctl_bus_wait(sd_bus *bus, int signal_fd);

/* Whether org.vasd1 has an owner: 1, 0, or -errno. */
int vasctl_bus_vasd_present(sd_bus *bus);

/* How a property's value becomes JSON. */
enum vasctl_prop_kind {
	VASCTL_PROP_PLAIN,	/* s, b, u, t, x as a string, boolean, number */
	VASCTL_PROP_HEX,	/* t: a random identifier, 16 hex digits */
	VASCTL_PROP_CREDITS,	/* (uu): {"total": N, "used": N} */
	VASCTL_PROP_UID,	/* u: a number, left out when 4294967295 (not known) */
};

struct vasctl_prop {
	const char *name;	/* on the bus */
	const char *key;	/* in JSON */
	const char *signature;
	enum vasctl_prop_kind kind;
};

/* org.vasd1.Manager's and org.vasd1.Window's properties. */
extern const struct vasctl_prop vasctl_manager_props[];
extern const size_t vasctl_n_manager_props;
extern const struct vasctl_prop vasctl_window_props[];
extern const size_t vasctl_n_window_props;

/*
 * Read an a{sv} of properties at m into o, each known one under its key.
 * One this vasctl does not know (a newer vasd's), or of another type, is
 * skipped. 0 or -errno.
 */
int vasctl_bus_read_props(sd_bus_message *m, const struct vasctl_prop *props,
			  size_t n, struct json_object *o);

/*
 * Read one object's interfaces at m, an a{sa{sv}} (InterfacesAdded, an
 * element of GetManagedObjects), org.vasd1.Window's properties into o as
 * vasctl_bus_read_props() reads them, the other interfaces skipped. 1 when
 * the object has org.vasd1.Window, 0 when not, or -errno.
 */
int vasctl_bus_read_window(sd_bus_message *m, struct json_object *o);

/*
 * Read an event's a{sv} at m (ReadEvents), its values of basic types and
 * its objects' a{sv}, into a new object; a field the table of an event's
 * fields (core/event-fields.h) calls an identifier becomes 16 hex digits,
 * as proto/ledger-export.md has them. Values of other types are skipped.
 */
int vasctl_bus_read_dict(sd_bus_message *m, struct json_object **ret);

/* The id of a window's object path; -EINVAL for another path. */
int vasctl_bus_window_id(const char *path, uint32_t *ret);
