// SPDX-License-Identifier: GPL-2.0-only
/*
 * /org/vasd1/window/<id>, org.vasd1.Window: one object per window of the
 * ledger, found in the state on demand (a fallback vtable and a node
 * enumerator, no object per window), announced through the ObjectManager
 * on /org/vasd1.
 *
 * The announcements carry the window as its event left it, not as the
 * state holds it at COMMIT: a transaction may add and remove the same
 * window, and each client still sees both.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/internal.h"
#include "log.h"

const char *bus_window_path(uint32_t id, char buf[static BUS_WINDOW_PATH_MAX])
{
	snprintf(buf, BUS_WINDOW_PATH_MAX, VASD_BUS_WINDOW_PREFIX "/%u", id);
	return buf;
}

/* The id of a window path: decimal, no sign, no leading zero. */
static int window_id_from_path(const char *path, uint32_t *ret)
{
	const char *p;
	unsigned long v;
	char *end;

	if (strncmp(path, VASD_BUS_WINDOW_PREFIX "/", sizeof(VASD_BUS_WINDOW_PREFIX)) != 0)
		return -EINVAL;
	p = path + sizeof(VASD_BUS_WINDOW_PREFIX);
	if (p[0] < '0' || p[0] > '9' || (p[0] == '0' && p[1]))
		return -EINVAL;
	errno = 0;
	v = strtoul(p, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

static int find_window(sd_bus *bus, const char *path, const char *interface,
		       void *userdata, void **ret_found, sd_bus_error *error)
{
	const struct vas_window *w;
	uint32_t id;

	if (window_id_from_path(path, &id) < 0)
		return 0;
	w = vasd_state_window(bus_state(userdata), id);
	if (!w)
		return 0;
	/* valid until the state next changes: not within this call */
	*ret_found = (void *)w;
	return 1;
}

static int enumerate_windows(sd_bus *bus, const char *path, void *userdata,
			     char ***ret_nodes, sd_bus_error *error)
{
	const struct vasd_state *s = bus_state(userdata);
	size_t n = vasd_state_n_windows(s), i = 0, cursor = 0;
	const struct vas_window *w;
	char **nodes;

	nodes = calloc(n + 1, sizeof(*nodes));
	if (!nodes)
		return -ENOMEM;
	while (i < n && (w = vasd_state_next_window(s, &cursor))) {
		char buf[BUS_WINDOW_PATH_MAX];

		nodes[i] = strdup(bus_window_path(w->id, buf));
		if (!nodes[i]) {
			while (i)
				free(nodes[--i]);
			free(nodes);
			return -ENOMEM;
		}
		i++;
	}
	*ret_nodes = nodes;
	return 0;
}

static int append_property(sd_bus_message *reply, const char *property,
			   const struct vas_window *w)
{
	char comm[BUS_COMM_MAX];

	if (strcmp(property, "Id") == 0)
		return sd_bus_message_append(reply, "u", w->id);
	if (strcmp(property, "Owner") == 0)
		return sd_bus_message_append(reply, "u", w->tgid);
	if (strcmp(property, "Pid") == 0)
		return sd_bus_message_append(reply, "u", w->pid);
	if (strcmp(property, "Comm") == 0)
		return sd_bus_message_append(reply, "s", bus_escape_comm(w->comm, comm));
	if (strcmp(property, "Cop") == 0)
		return sd_bus_message_append(reply, "s", bus_enum_name(vas_cop_to_string(w->cop)));
	if (strcmp(property, "Type") == 0)
		return sd_bus_message_append(reply, "s", bus_enum_name(vas_win_type_to_string(w->type)));
	if (strcmp(property, "State") == 0)
		return sd_bus_message_append(reply, "s", bus_enum_name(vas_win_state_to_string(w->state)));
	if (strcmp(property, "Reason") == 0)
		return sd_bus_message_append(reply, "s", bus_enum_name(vas_suspend_reason_to_string(w->reason)));
	if (strcmp(property, "OpenedAt") == 0)
		return sd_bus_message_append(reply, "t", w->opened_at);
	/* VAS_UID_UNKNOWN, 4294967295, when not known */
	if (strcmp(property, "Uid") == 0)
		return sd_bus_message_append(reply, "u", w->uid);
	return -ENOENT;
}

static int get_property(sd_bus *bus, const char *path, const char *interface,
			const char *property, sd_bus_message *reply,
			void *userdata, sd_bus_error *error)
{
	return append_property(reply, property, userdata);
}

static const sd_bus_vtable window_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Id", "u", get_property, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Owner", "u", get_property, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Pid", "u", get_property, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Comm", "s", get_property, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Cop", "s", get_property, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Type", "s", get_property, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("State", "s", get_property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Reason", "s", get_property, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("OpenedAt", "t", get_property, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Uid", "u", get_property, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END
};

static const struct {
	const char *name;
	const char *signature;
	bool changes;			/* State and Reason: window-change */
} window_properties[] = {
	{ "Id", "u", false },
	{ "Owner", "u", false },
	{ "Pid", "u", false },
	{ "Comm", "s", false },
	{ "Cop", "s", false },
	{ "Type", "s", false },
	{ "State", "s", true },
	{ "Reason", "s", true },
	{ "OpenedAt", "t", false },
	{ "Uid", "u", false },
};

/* What sd-bus lists for an object besides its own interfaces (GetManagedObjects). */
static const char *const standard_interfaces[] = {
	"org.freedesktop.DBus.Peer",
	"org.freedesktop.DBus.Introspectable",
	"org.freedesktop.DBus.Properties",
};

/* a{sv}: all properties, or only those a window-change changes */
static int append_properties(sd_bus_message *m, const struct vas_window *w,
			     bool only_changing)
{
	int r;

	r = sd_bus_message_open_container(m, 'a', "{sv}");
	for (size_t i = 0; i < ELEMENTSOF(window_properties) && r >= 0; i++) {
		if (only_changing && !window_properties[i].changes)
			continue;
		r = sd_bus_message_open_container(m, 'e', "sv");
		if (r >= 0)
			r = sd_bus_message_append(m, "s", window_properties[i].name);
		if (r >= 0)
			r = sd_bus_message_open_container(m, 'v', window_properties[i].signature);
		if (r >= 0)
			r = append_property(m, window_properties[i].name, w);
		if (r >= 0)
			r = sd_bus_message_close_container(m);
		if (r >= 0)
			r = sd_bus_message_close_container(m);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	return r;
}

static int window_added(struct vasd_bus *b, const struct vas_window *w)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	char path[BUS_WINDOW_PATH_MAX];
	int r;

	r = sd_bus_message_new_signal(b->bus, &m, VASD_BUS_PATH,
				      "org.freedesktop.DBus.ObjectManager",
				      "InterfacesAdded");
	if (r >= 0)
		r = sd_bus_message_append(m, "o", bus_window_path(w->id, path));
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "{sa{sv}}");
	for (size_t i = 0; i < ELEMENTSOF(standard_interfaces) && r >= 0; i++)
		r = sd_bus_message_append(m, "{sa{sv}}", standard_interfaces[i], 0);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'e', "sa{sv}");
	if (r >= 0)
		r = sd_bus_message_append(m, "s", VASD_BUS_WINDOW_INTERFACE);
	if (r >= 0)
		r = append_properties(m, w, false);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r < 0)
		return r;
	return sd_bus_send(b->bus, m, NULL);
}

static int window_removed(struct vasd_bus *b, const struct vas_window *w)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	char path[BUS_WINDOW_PATH_MAX];
	int r;

	r = sd_bus_message_new_signal(b->bus, &m, VASD_BUS_PATH,
				      "org.freedesktop.DBus.ObjectManager",
				      "InterfacesRemoved");
	if (r >= 0)
		r = sd_bus_message_append(m, "oas", bus_window_path(w->id, path),
					  ELEMENTSOF(standard_interfaces) + 1,
					  standard_interfaces[0], standard_interfaces[1],
					  standard_interfaces[2], VASD_BUS_WINDOW_INTERFACE);
	if (r < 0)
		return r;
	return sd_bus_send(b->bus, m, NULL);
}

static int window_changed(struct vasd_bus *b, const struct vas_window *w)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	char path[BUS_WINDOW_PATH_MAX];
	int r;

	r = sd_bus_message_new_signal(b->bus, &m, bus_window_path(w->id, path),
				      "org.freedesktop.DBus.Properties",
				      "PropertiesChanged");
	if (r >= 0)
		r = sd_bus_message_append(m, "s", VASD_BUS_WINDOW_INTERFACE);
	if (r >= 0)
		r = append_properties(m, w, true);
	if (r >= 0)
		r = sd_bus_message_append(m, "as", 0);
	if (r < 0)
		return r;
	return sd_bus_send(b->bus, m, NULL);
}

int bus_window_announce(struct vasd_bus *b, const struct ingest_window_event *w)
{
	int r;

	switch (w->change) {
	case INGEST_WINDOW_ADDED:
		r = window_added(b, &w->window);
		break;
	case INGEST_WINDOW_REMOVED:
		r = window_removed(b, &w->window);
		break;
	default:
		r = window_changed(b, &w->window);
		break;
	}
	if (r < 0)
		log_warning_errno(r, "Failed to announce window %u: %s",
				  w->window.id, strerror(-r));
	return r;
}

int bus_window_install(struct vasd_bus *b, sd_bus *bus)
{
	int r;

	r = sd_bus_add_fallback_vtable(bus, NULL, VASD_BUS_WINDOW_PREFIX,
				       VASD_BUS_WINDOW_INTERFACE, window_vtable,
				       find_window, b);
	if (r < 0)
		return r;
	return sd_bus_add_node_enumerator(bus, NULL, VASD_BUS_WINDOW_PREFIX,
					  enumerate_windows, b);
}
