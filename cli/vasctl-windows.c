// SPDX-License-Identifier: GPL-2.0-only
/* vasctl windows: ListWindows, as a table or as JSON. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json.h>

#include "util/human.h"
#include "util/macro.h"
#include "util/table.h"
#include "vasctl-bus.h"
#include "vasctl-json.h"
#include "vasctl.h"

struct window {
	uint32_t id, tgid, pid;
	const char *comm, *cop, *type, *state, *reason, *path;
	uint64_t opened_at;
};

static void windows_usage(FILE *f)
{
	fputs("Usage: vasctl windows [--json]\n"
	      "\n"
	      "List the windows vasd's ledger holds, by id: type, state, why\n"
	      "suspended, the owner (thread and process, command name) and when\n"
	      "it was opened.\n"
	      "\n"
	      "Options:\n"
	      "     --json   Print one JSON array (proto/vasctl-json.md)\n"
	      "  -h --help   Show this help\n", f);
}

static struct json_object *window_json(const struct window *w)
{
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
	json_object_object_add(o, "object_path", json_object_new_string(w->path));
	return o;
}

static int window_row(struct table *t, const struct window *w, uint64_t now)
{
	const char *color = strcmp(w->state, "active") == 0 ? ANSI_GREEN : ANSI_YELLOW;
	char opened[HUMAN_TIMESTAMP_MAX], age[HUMAN_TIMESPAN_MAX];
	int r;

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
		r = table_add(t, w->comm, NULL);
	if (r >= 0 && !human_timestamp(opened, w->opened_at, false, false))
		snprintf(opened, sizeof(opened), "-");
	if (r >= 0)
		r = table_add(t, opened, NULL);
	if (r >= 0)
		r = table_add(t, human_age(age, now, w->opened_at), NULL);
	return r;
}

static const struct table_column columns[] = {
	{ "ID", TABLE_RIGHT },
	{ "TYPE", TABLE_LEFT },
	{ "STATE", TABLE_LEFT },
	{ "REASON", TABLE_LEFT },
	{ "PID", TABLE_RIGHT },
	{ "TGID", TABLE_RIGHT },
	{ "COMM", TABLE_LEFT },
	{ "OPENED", TABLE_LEFT },
	{ "AGE", TABLE_RIGHT },
};

struct output {
	bool json;
	struct json_object *array;
	struct table *table;
	uint64_t now;
	unsigned int n, suspended;
};

static int read_windows(sd_bus_message *reply, struct output *out)
{
	struct window w;
	int r;

	r = sd_bus_message_enter_container(reply, 'a', "(uuusssssto)");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_read(reply, "(uuusssssto)", &w.id, &w.tgid,
					&w.pid, &w.comm, &w.cop, &w.type,
					&w.state, &w.reason, &w.opened_at,
					&w.path)) > 0) {
		out->n++;
		if (strcmp(w.state, "active") != 0)
			out->suspended++;
		if (out->json) {
			struct json_object *o = window_json(&w);

			if (!o || json_object_array_add(out->array, o) < 0) {
				json_object_put(o);
				return -ENOMEM;
			}
		} else {
			r = window_row(out->table, &w, out->now);
			if (r < 0)
				return r;
		}
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(reply);
}

static int print_table(const struct output *out)
{
	_cleanup_(freep) char *text = NULL;
	int r;

	if (out->n == 0)
		return puts("No windows.") == EOF ? -EIO : 0;
	r = table_format(out->table, vasctl_color(), &text);
	if (r < 0)
		return r;
	if (printf("%s\n%u windows listed (%u suspended).\n", text, out->n,
		   out->suspended) < 0)
		return -EIO;
	return 0;
}

int vasctl_windows(int argc, char **argv)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(table_freep) struct table *table = NULL;
	struct output out = { .array = NULL };
	struct timespec ts;
	int r;

	r = vasctl_parse_json_only(argc, argv, windows_usage, &out.json);
	if (r >= 0)
		return r;
	r = vasctl_bus_open("windows", &bus);
	if (r != VASCTL_EXIT_OK)
		return r;
	r = vasctl_bus_call(bus, VASD_BUS_PATH, VASD_BUS_MANAGER_INTERFACE,
			    "ListWindows", &error, &reply, NULL);
	if (r < 0)
		return vasctl_bus_fail(bus, "windows", "cannot list the windows",
				       r, &error);

	clock_gettime(CLOCK_REALTIME, &ts);
	out.now = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
	if (out.json)
		out.array = json_object_new_array();
	else
		out.table = table = table_new(columns, ELEMENTSOF(columns));
	if (!out.array && !out.table) {
		vasctl_error("windows: out of memory");
		return VASCTL_EXIT_FAILURE;
	}
	r = read_windows(reply, &out);
	if (r < 0) {
		json_object_put(out.array);
		vasctl_error("windows: cannot read vasd's reply: %s", strerror(-r));
		return VASCTL_EXIT_FAILURE;
	}
	if (out.json) {
		r = vasctl_json_print(out.array);
		json_object_put(out.array);
	} else {
		r = print_table(&out);
	}
	return vasctl_finish_output("windows", r);
}
