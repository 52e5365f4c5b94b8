// SPDX-License-Identifier: GPL-2.0-only
/*
 * vasctl log-level [LEVEL]: vasd's org.freedesktop.LogControl1.LogLevel,
 * as `systemctl service-log-level vasd.service` reads and sets it. Setting
 * it is root's: the bus policy and vasd both say so.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <json.h>

#include "util/macro.h"
#include "vasctl-bus.h"
#include "vasctl-json.h"
#include "vasctl.h"

#define VASD_ERROR_ACCESS_DENIED "org.vasd1.Error.AccessDenied"

static void log_level_usage(FILE *f)
{
	fputs("Usage: vasctl log-level [--json] [LEVEL]\n"
	      "\n"
	      "Show vasd's log level, or set it to LEVEL (root only): emerg,\n"
	      "alert, crit, err, warning, notice, info or debug.\n"
	      "\n"
	      "Options:\n"
	      "     --json   Show the level as a JSON object (proto/vasctl-json.md)\n"
	      "  -h --help   Show this help\n", f);
}

static int get_level(sd_bus *bus, bool json)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	const char *level;
	int r;

	r = vasctl_bus_call(bus, VASD_BUS_LOGCONTROL_PATH,
			    "org.freedesktop.DBus.Properties", "Get", &error,
			    &reply, "ss", VASD_BUS_LOGCONTROL_INTERFACE,
			    "LogLevel");
	if (r < 0)
		return vasctl_bus_fail(bus, "log-level",
				       "cannot read the log level", r, &error);
	r = sd_bus_message_read(reply, "v", "s", &level);
	if (r < 0) {
		vasctl_error("log-level: cannot parse vasd's reply: %s",
			     strerror(-r));
		return VASCTL_EXIT_FAILURE;
	}
	if (json) {
		struct json_object *o = json_object_new_object();

		if (!o)
			return vasctl_finish_output("log-level", -ENOMEM);
		json_object_object_add(o, "log_level", json_object_new_string(level));
		r = vasctl_json_print(o);
		json_object_put(o);
	} else if (puts(level) == EOF) {
		r = -EIO;
	}
	return vasctl_finish_output("log-level", r);
}

static int set_level(sd_bus *bus, const char *level)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	int r;

	r = vasctl_bus_call(bus, VASD_BUS_LOGCONTROL_PATH,
			    "org.freedesktop.DBus.Properties", "Set", &error,
			    NULL, "ssv", VASD_BUS_LOGCONTROL_INTERFACE,
			    "LogLevel", "s", level);
	if (r >= 0)
		return VASCTL_EXIT_OK;
	if (sd_bus_error_has_names(&error, SD_BUS_ERROR_ACCESS_DENIED,
				   VASD_ERROR_ACCESS_DENIED)) {
		vasctl_error("log-level: only root may set vasd's log level: %s (%s)",
			     error.message ? error.message : "access denied",
			     error.name);
		return VASCTL_EXIT_FAILURE;
	}
	return vasctl_bus_fail(bus, "log-level", "cannot set the log level", r,
			       &error);
}

int vasctl_log_level(int argc, char **argv)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	const char *level;
	bool json;
	int r;

	r = vasctl_parse_json_args(argc, argv, log_level_usage, 1, &json);
	if (r >= 0)
		return r;
	level = optind < argc ? argv[optind] : NULL;

	r = vasctl_bus_open("log-level", &bus);
	if (r != VASCTL_EXIT_OK)
		return r;
	return level ? set_level(bus, level) : get_level(bus, json);
}
