// SPDX-License-Identifier: GPL-2.0-only
/* vasctl windows: ListWindows, as a table or as JSON. */
#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json.h>

#include "util/human.h"
#include "util/macro.h"
#include "util/table.h"
#include "util/time-util.h"
#include "netlink/vas-msg.h"
#include "vasctl-bus.h"
#include "vasctl-json.h"
#include "vasctl-list.h"
#include "vasctl.h"

struct windows;

struct window {
	uint32_t id, tgid, pid;
	const char *comm, *cop, *type, *state, *reason, *path;
	uint64_t opened_at;
	uint32_t uid;			/* VAS_UID_UNKNOWN: not known */
	const struct windows *ws;	/* where the uids are */
};

/* A window's uid: the Uid property of its object (ListWindows has none). */
struct window_uid {
	uint32_t id;
	uint32_t uid;
};

struct windows {
	uint64_t now;			/* at the first row */
	unsigned int suspended;
	struct window_uid *uids;
	size_t n_uids;
};

static void windows_usage(FILE *f)
{
	fputs("Usage: vasctl windows [--json]\n"
	      "\n"
	      "List the windows vasd's ledger holds, by id: type, state, why\n"
	      "suspended, the owner (thread and process, command name, user) and\n"
	      "when it was opened.\n"
	      "\n"
	      "Options:\n"
	      "     --json   Print one JSON array (proto/vasctl-json.md)\n"
	      "  -h --help   Show this help\n", f);
}

static struct json_object *window_json(const void *item)
{
	const struct window *w = item;
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "id", json_object_new_int64(w->id));
	json_object_object_add(o, "tgid", json_object_new_int64(w->tgid));
	json_object_object_add(o, "pid", json_object_new_int64(w->pid));
	json_object_object_add(o, "comm", json_object_new_string(w->comm));
	json_object_object_add(o, "cop", json_object_new_string(w->cop));
	json_object_object_add(o, "type", json_object_new_string(w->type));
	json_object_object_add(o, "state", json_object_new_string(w->state));
	json_object_object_add(o, "reason", json_object_new_string(w->reason));
	json_object_object_add(o, "opened_at", json_object_new_uint64(w->opened_at));
	if (w->uid != VAS_UID_UNKNOWN)
		json_object_object_add(o, "uid", json_object_new_int64(w->uid));
	json_object_object_add(o, "object_path", json_object_new_string(w->path));
	return o;
}

static const struct table_column columns[] = {
	{ "ID", TABLE_RIGHT },
	{ "TYPE", TABLE_LEFT },
	{ "STATE", TABLE_LEFT },
	{ "REASON", TABLE_LEFT },
	{ "PID", TABLE_RIGHT },
	{ "TGID", TABLE_RIGHT },
	{ "USER", TABLE_LEFT },
	{ "COMM", TABLE_LEFT },
	{ "OPENED", TABLE_LEFT },
	{ "AGE", TABLE_RIGHT },
};

static int window_read(sd_bus_message *reply, void *item)
{
	struct window *w = item;
	int r;

	r = sd_bus_message_read(reply, "(uuusssssto)", &w->id, &w->tgid,
				&w->pid, &w->comm, &w->cop, &w->type,
				&w->state, &w->reason, &w->opened_at,
				&w->path);
	w->uid = VAS_UID_UNKNOWN;
	for (size_t i = 0; r > 0 && i < w->ws->n_uids; i++)
		if (w->ws->uids[i].id == w->id)
			w->uid = w->ws->uids[i].uid;
	return r;
}

/*
 * The windows' uids, from GetManagedObjects: one call for all. A window
 * added between the two calls has none, and so has each from a vasd
 * before them (no Uid) or whose uid is not known; one that fails leaves
 * every uid not known.
 */
static int read_uids(sd_bus_message *m, struct windows *ws)
{
	int r;

	r = sd_bus_message_enter_container(m, 'a', "{oa{sa{sv}}}");
	while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "oa{sa{sv}}")) > 0) {
		struct json_object *o = json_object_new_object(), *id, *uid;

		if (!o)
			return -ENOMEM;
		r = sd_bus_message_skip(m, "o");
		if (r >= 0)
			r = vasctl_bus_read_window(m, o);
		if (r > 0 && json_object_object_get_ex(o, "id", &id) &&
		    json_object_object_get_ex(o, "uid", &uid)) {
			struct window_uid *v = realloc(ws->uids, (ws->n_uids + 1) *
							   sizeof(*v));

			if (!v) {
				json_object_put(o);
				return -ENOMEM;
			}
			ws->uids = v;
			ws->uids[ws->n_uids++] = (struct window_uid) {
				.id = (uint32_t)json_object_get_int64(id),
				.uid = (uint32_t)json_object_get_int64(uid),
			};
		}
		json_object_put(o);
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(m);
	return r;
}

static void windows_more(sd_bus *bus, void *userdata)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	struct windows *ws = userdata;

	if (vasctl_bus_call(bus, VASD_BUS_PATH, "org.freedesktop.DBus.ObjectManager",
			    "GetManagedObjects", NULL, &reply, NULL) < 0 ||
	    read_uids(reply, ws) < 0)
		ws->n_uids = 0;
}

/* The user's name, else the number; "-" when not known. */
static const char *user_name(char *buf, size_t size, uint32_t uid)
{
	struct passwd pw, *found = NULL;
	char pwbuf[4096];

	if (uid == VAS_UID_UNKNOWN)
		return "-";
	if (getpwuid_r((uid_t)uid, &pw, pwbuf, sizeof(pwbuf), &found) == 0 && found)
		snprintf(buf, size, "%s", found->pw_name);
	else
		snprintf(buf, size, "%" PRIu32, uid);
	return buf;
}

/* A row of the table; *userdata counts the suspended ones. */
static int window_row(struct table *t, const void *item, void *userdata)
{
	const struct window *w = item;
	struct windows *ws = userdata;
	const char *color = strcmp(w->state, "active") == 0 ? ANSI_GREEN : ANSI_YELLOW;
	char opened[HUMAN_TIMESTAMP_MAX], age[HUMAN_TIMESPAN_MAX], user[64];
	int r;

	/* ages as of the first row: after vasd answered */
	if (!ws->now)
		ws->now = now_ns(CLOCK_REALTIME);
	ws->suspended += strcmp(w->state, "active") != 0;
	r = table_addf(t, NULL, "%" PRIu32, w->id);
	if (r >= 0)
		r = table_add(t, w->type, NULL);
	if (r >= 0)
		r = table_add(t, w->state, color);
	if (r >= 0)
		r = table_add(t, strcmp(w->reason, "none") == 0 ? "-" : w->reason,
			      strcmp(w->reason, "none") == 0 ? NULL : color);
	if (r >= 0)
		r = table_addf(t, NULL, "%" PRIu32, w->pid);
	if (r >= 0)
		r = table_addf(t, NULL, "%" PRIu32, w->tgid);
	if (r >= 0)
		r = table_add(t, user_name(user, sizeof(user), w->uid), NULL);
	if (r >= 0)
		r = table_add(t, w->comm, NULL);
	if (r >= 0 && !human_timestamp(opened, w->opened_at, false, false))
		snprintf(opened, sizeof(opened), "-");
	if (r >= 0)
		r = table_add(t, opened, NULL);
	if (r >= 0)
		r = table_add(t, human_age(age, ws->now, w->opened_at), NULL);
	return r;
}

static int windows_count(unsigned int n, void *userdata)
{
	const struct windows *ws = userdata;

	return printf("%u windows listed (%u suspended).\n", n, ws->suspended) < 0 ?
		-EIO : 0;
}

static const struct vasctl_list windows_list = {
	.verb = "windows",
	.method = "ListWindows",
	.signature = "(uuusssssto)",
	.columns = columns,
	.n_columns = ELEMENTSOF(columns),
	.none = "No windows.",
	.usage = windows_usage,
	.read = window_read,
	.json = window_json,
	.row = window_row,
	.count = windows_count,
	.more = windows_more,
};

int vasctl_windows(int argc, char **argv)
{
	struct windows ws = { .now = 0 };
	struct window w = { .ws = &ws };
	int r;

	r = vasctl_list(argc, argv, &windows_list, &w, &ws);
	free(ws.uids);
	return r;
}
