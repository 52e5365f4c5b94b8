// SPDX-License-Identifier: GPL-2.0-only
/*
 * vasctl status: org.vasd1.Manager's properties, read in one GetAll so
 * that they come from one moment of vasd.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <json.h>

#include "util/human.h"
#include "util/macro.h"
#include "util/table.h"
#include "vasctl-bus.h"
#include "vasctl-json.h"
#include "vasctl.h"

static void status_usage(FILE *f)
{
	fputs("Usage: vasctl status [--json]\n"
	      "\n"
	      "Show vasd's state: the kernel part it follows, the ledger's first and\n"
	      "last positions, the windows by state, the credits of each window type,\n"
	      "the last migration (the kernel's phase, vasd's coordinator, windows the\n"
	      "kernel's suspend left active), and how long a delay inhibitor may hold one.\n"
	      "\n"
	      "Options:\n"
	      "     --json   Print one JSON object (proto/vasctl-json.md)\n"
	      "  -h --help   Show this help\n", f);
}

static const char *get_string(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return "unknown";
	return json_object_get_string(v);
}

static uint64_t get_u64(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	return json_object_get_uint64(v);
}

struct out {
	bool color;
};

__attribute__((format(printf, 4, 5)))
static void line(const struct out *out, const char *label, const char *color,
		 const char *fmt, ...)
{
	va_list ap;

	printf("%-11s", label);
	if (out->color && color)
		fputs(color, stdout);
	va_start(ap, fmt);
	(void)vasctl_vprint_escaped(stdout, fmt, ap);
	va_end(ap);
	if (out->color && color)
		fputs(ANSI_NORMAL, stdout);
	putchar('\n');
}

static void credits_text(char *buf, size_t size, const char *type,
			 struct json_object *o, const char *key)
{
	struct json_object *c;
	uint64_t total, used;

	if (!json_object_object_get_ex(o, key, &c)) {
		snprintf(buf, size, "%s unknown", type);
		return;
	}
	total = get_u64(c, "total");
	used = get_u64(c, "used");
	snprintf(buf, size, "%s %" PRIu64 "/%" PRIu64 " used", type, used, total);
}

/* The coordinator's migration, and the windows the kernel left active. */
static void migration_human(const struct out *out, struct json_object *o)
{
	const char *name = get_string(o, "migration_name");
	uint64_t anomalies = get_u64(o, "migration_anomalies");

	if (*name)
		line(out, "", ANSI_YELLOW, "vasd: migration %s %s", name,
		     get_string(o, "migration_state"));
	else
		line(out, "", NULL, "vasd: no migration open");
	if (anomalies)
		line(out, "Anomalies:", ANSI_RED,
		     "%" PRIu64 " window%s left active by the kernel's suspend (%s; vasctl migration status)",
		     anomalies, anomalies == 1 ? "" : "s",
		     *name ? "this migration" : "the last migration");
}

static void print_human(struct json_object *o, bool color)
{
	const struct out out = { .color = color };
	const char *state = get_string(o, "state");
	const char *phase = get_string(o, "migration_phase");
	uint64_t suspended = get_u64(o, "windows_suspended");
	char def[64], qos[64], span[HUMAN_TIMESPAN_MAX];
	struct json_object *v;
	bool attached, known;

	line(&out, "State:", strcmp(state, "running") == 0 ? ANSI_GREEN : ANSI_YELLOW,
	     "%s", state);
	attached = json_object_object_get_ex(o, "kernel_attached", &v) &&
		   json_object_get_boolean(v);
	known = get_u64(o, "seq") != 0 ||
		strcmp(get_string(o, "generation"), "0000000000000000") != 0;
	if (attached && strcmp(get_string(o, "kernel_source"), "observe") == 0)
		line(&out, "Kernel:", ANSI_YELLOW,
		     "observed (no vas family: sysfs and /proc at each open and close and every interval); "
		     "cannot see suspensions, credit types, or windows opened and closed between pictures "
		     "(%" PRIu64 " missed)", get_u64(o, "observed_missed"));
	else if (!known)
		line(&out, "Kernel:", attached ? NULL : ANSI_YELLOW, "%s",
		     attached ? "attached" : "not attached");
	else if (attached)
		line(&out, "Kernel:", NULL, "attached, generation %s, seq %" PRIu64,
		     get_string(o, "generation"), get_u64(o, "seq"));
	else
		line(&out, "Kernel:", ANSI_YELLOW,
		     "not attached (the ledger is at generation %s, seq %" PRIu64 ")",
		     get_string(o, "generation"), get_u64(o, "seq"));
	line(&out, "Ledger:", NULL, "positions %" PRId64 "..%" PRId64,
	     (int64_t)get_u64(o, "first_position"),
	     (int64_t)get_u64(o, "last_position"));
	line(&out, "Windows:", suspended ? ANSI_YELLOW : NULL,
	     "%" PRIu64 " (%" PRIu64 " active, %" PRIu64 " suspended)",
	     get_u64(o, "windows"), get_u64(o, "windows_active"), suspended);
	credits_text(def, sizeof(def), "default", o, "credits_default");
	credits_text(qos, sizeof(qos), "qos", o, "credits_qos");
	line(&out, "Credits:", NULL, "%s, %s", def, qos);
	if (strcmp(phase, "none") == 0)
		line(&out, "Migration:", NULL, "none");
	else
		line(&out, "Migration:", NULL, "%s, stream %" PRIu64, phase,
		     get_u64(o, "migration_stream"));
	migration_human(&out, o);
	line(&out, "Inhibit:", NULL, "a delay lock holds a migration for at most %s",
	     human_timespan(span, get_u64(o, "inhibit_delay_max_usec")));
}

int vasctl_status(int argc, char **argv)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	struct json_object *o;
	bool json;
	int r;

	r = vasctl_parse_json_only(argc, argv, status_usage, &json);
	if (r >= 0)
		return r;
	r = vasctl_bus_open("status", &bus);
	if (r != VASCTL_EXIT_OK)
		return r;
	r = vasctl_bus_call(bus, VASD_BUS_PATH, "org.freedesktop.DBus.Properties",
			    "GetAll", &error, &reply, "s",
			    VASD_BUS_MANAGER_INTERFACE);
	if (r < 0)
		return vasctl_bus_fail(bus, "status", "cannot read vasd's state",
				       r, &error);

	o = json_object_new_object();
	if (!o) {
		vasctl_error("status: out of memory");
		return VASCTL_EXIT_FAILURE;
	}
	r = vasctl_bus_read_props(reply, vasctl_manager_props,
				  vasctl_n_manager_props, o);
	if (r < 0) {
		json_object_put(o);
		vasctl_error("status: cannot parse vasd's reply: %s", strerror(-r));
		return VASCTL_EXIT_FAILURE;
	}
	if (json)
		r = vasctl_json_print(o);
	else
		print_human(o, vasctl_color());
	json_object_put(o);
	return vasctl_finish_output("status", r);
}
