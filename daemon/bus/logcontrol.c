// SPDX-License-Identifier: GPL-2.0-only
/*
 * org.freedesktop.LogControl1 on /org/freedesktop/LogControl1, as systemd's
 * daemons have it (systemctl service-log-level vasd debug). vasd logs to
 * standard error, or to the journal when standard error is its stream
 * (log.h): LogTarget is "console" or "journal", and only that.
 *
 * Setting a property is root's: the policy says so, and vasd checks the
 * caller's uid itself. That takes a question to the bus, so Set is taken
 * before sd-bus's own dispatch (an object callback runs first) and
 * answered when the bus has said who called.
 */
#include <errno.h>
#include <string.h>

#include "bus/internal.h"
#include "log.h"

#define LOGCONTROL_PATH		"/org/freedesktop/LogControl1"
#define LOGCONTROL_INTERFACE	"org.freedesktop.LogControl1"

static int get_log_level(sd_bus *bus, const char *path, const char *interface,
			 const char *property, sd_bus_message *reply,
			 void *userdata, sd_bus_error *error)
{
	return sd_bus_message_append(reply, "s", log_level_to_string(log_get_max_level()));
}

static int get_constant(sd_bus *bus, const char *path, const char *interface,
			const char *property, sd_bus_message *reply,
			void *userdata, sd_bus_error *error)
{
	return sd_bus_message_append(reply, "s", strcmp(property, "LogTarget") == 0 ?
				     log_target() : "vasd");
}

/* Only reached if on_message() let a Set through, which it does not. */
static int refuse_set(sd_bus *bus, const char *path, const char *interface,
		      const char *property, sd_bus_message *value,
		      void *userdata, sd_bus_error *error)
{
	return sd_bus_error_setf(error, VASD_ERROR_ACCESS_DENIED,
				 "Setting %s was not authorized", property);
}

static int set_as(struct vasd_bus *b, sd_bus_message *m,
		  const struct bus_caller *caller, sd_bus_error *error)
{
	const char *interface, *property, *value;
	uid_t uid = caller->uid;
	pid_t pid = caller->pid;
	int r, level;

	r = sd_bus_message_rewind(m, true);
	if (r >= 0)
		r = sd_bus_message_read(m, "ss", &interface, &property);
	if (r < 0)
		return r;
	if (uid != 0)
		return sd_bus_error_setf(error, VASD_ERROR_ACCESS_DENIED,
					 "Only root may change vasd's %s (the caller is uid %u)",
					 property, (unsigned int)uid);
	r = sd_bus_message_read(m, "v", "s", &value);
	if (r < 0)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "%s is a string", property);
	if (strcmp(property, "LogTarget") == 0) {
		if (strcmp(value, log_target()) != 0)
			return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
						 "vasd logs where its standard error goes: LogTarget is '%s', not '%s'",
						 log_target(), value);
		return sd_bus_reply_method_return(m, NULL);
	}
	level = log_level_from_string(value);
	if (level < 0)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "Unknown log level '%s': expected emerg, alert, crit, err, warning, notice, info or debug",
					 value);
	log_set_max_level(level);
	log_info("Log level set to %s (by pid %d)", log_level_to_string(level), (int)pid);
	r = sd_bus_reply_method_return(m, NULL);
	if (r < 0)
		return r;
	sd_bus_emit_properties_changed(b->bus, LOGCONTROL_PATH, LOGCONTROL_INTERFACE,
				       "LogLevel", NULL);
	return 0;
}

static int on_message(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	const char *interface, *property;
	int r;

	if (!sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Properties", "Set"))
		return 0;
	r = sd_bus_message_read(m, "ss", &interface, &property);
	if (r < 0 || strcmp(interface, LOGCONTROL_INTERFACE) != 0 ||
	    (strcmp(property, "LogLevel") != 0 && strcmp(property, "LogTarget") != 0)) {
		/* sd-bus answers the rest (bad arguments, unknown, read-only) */
		sd_bus_message_rewind(m, true);
		return 0;
	}
	return bus_query_sender(userdata, m, set_as);
}

static const sd_bus_vtable logcontrol_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_WRITABLE_PROPERTY("LogLevel", "s", get_log_level, refuse_set, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_WRITABLE_PROPERTY("LogTarget", "s", get_constant, refuse_set, 0, 0),
	SD_BUS_PROPERTY("SyslogIdentifier", "s", get_constant, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END
};

int bus_logcontrol_install(struct vasd_bus *b, sd_bus *bus)
{
	int r;

	r = sd_bus_add_object(bus, NULL, LOGCONTROL_PATH, on_message, b);
	if (r < 0)
		return r;
	return sd_bus_add_object_vtable(bus, NULL, LOGCONTROL_PATH,
					LOGCONTROL_INTERFACE, logcontrol_vtable, b);
}
