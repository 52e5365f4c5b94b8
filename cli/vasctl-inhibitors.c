// SPDX-License-Identifier: GPL-2.0-only
/*
 * vasctl inhibitors: ListInhibitors, as systemd-inhibit --list shows
 * logind's: the holder's user name and command are looked up here, on
 * this machine, and are not part of the JSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <json.h>

#include "util/macro.h"
#include "util/table.h"
#include "vasctl-json.h"
#include "vasctl-list.h"
#include "vasctl.h"

struct inhibitor {
	const char *what, *who, *why, *mode;
	uint32_t uid, pid;
};

static void inhibitors_usage(FILE *f)
{
	fputs("Usage: vasctl inhibitors [--json]\n"
	      "\n"
	      "List the inhibitor locks clients hold on migrations, newest first:\n"
	      "who took it and why, the holder's user and process, and the mode\n"
	      "(delay: a migration waits until it is released, at most\n"
	      "InhibitDelayMaxUSec; block: a migration is refused).\n"
	      "\n"
	      "Options:\n"
	      "     --json   Print one JSON array (proto/vasctl-json.md)\n"
	      "  -h --help   Show this help\n", f);
}

static struct json_object *inhibitor_json(const void *item)
{
	const struct inhibitor *i = item;
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "what", json_object_new_string(i->what));
	json_object_object_add(o, "who", json_object_new_string(i->who));
	json_object_object_add(o, "why", json_object_new_string(i->why));
	json_object_object_add(o, "mode", json_object_new_string(i->mode));
	json_object_object_add(o, "uid", json_object_new_int64(i->uid));
	json_object_object_add(o, "pid", json_object_new_int64(i->pid));
	return o;
}

/* The process's command name, "-" when it is gone or hidden. */
static void pid_comm(uint32_t pid, char *buf, size_t size)
{
	char path[32];
	ssize_t n;
	int fd;

	snprintf(buf, size, "-");
	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0) {
		snprintf(buf, size, "-");
		return;
	}
	/* the kernel's newline ends it; one of the name's own is kept (escaped) */
	if (buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
}

static void uid_name(uint32_t uid, char *buf, size_t size)
{
	struct passwd pw, *found = NULL;
	char scratch[1024];

	if (getpwuid_r((uid_t)uid, &pw, scratch, sizeof(scratch), &found) == 0 &&
	    found)
		snprintf(buf, size, "%s", found->pw_name);
	else
		snprintf(buf, size, "-");
}

static int inhibitor_row(struct table *t, const void *item, void *userdata)
{
	const struct inhibitor *i = item;
	char user[64], comm[64];
	int r;

	uid_name(i->uid, user, sizeof(user));
	pid_comm(i->pid, comm, sizeof(comm));
	r = table_add(t, i->who, NULL);
	if (r >= 0)
		r = table_addf(t, NULL, "%" PRIu32, i->uid);
	if (r >= 0)
		r = table_add(t, user, NULL);
	if (r >= 0)
		r = table_addf(t, NULL, "%" PRIu32, i->pid);
	if (r >= 0)
		r = table_add(t, comm, NULL);
	if (r >= 0)
		r = table_add(t, i->what, NULL);
	if (r >= 0)
		r = table_add(t, i->mode, strcmp(i->mode, "block") == 0 ?
			      ANSI_RED : NULL);
	if (r >= 0)
		r = table_add(t, i->why, NULL);
	return r;
}

static const struct table_column columns[] = {
	{ "WHO", TABLE_LEFT },
	{ "UID", TABLE_RIGHT },
	{ "USER", TABLE_LEFT },
	{ "PID", TABLE_RIGHT },
	{ "COMM", TABLE_LEFT },
	{ "WHAT", TABLE_LEFT },
	{ "MODE", TABLE_LEFT },
	{ "WHY", TABLE_LEFT },
};

static int inhibitor_read(sd_bus_message *reply, void *item)
{
	struct inhibitor *i = item;

	return sd_bus_message_read(reply, "(ssssuu)", &i->what, &i->who,
				   &i->why, &i->mode, &i->uid, &i->pid);
}

static int inhibitors_count(unsigned int n, void *userdata)
{
	return printf("%u inhibitors listed.\n", n) < 0 ? -EIO : 0;
}

static const struct vasctl_list inhibitors_list = {
	.verb = "inhibitors",
	.method = "ListInhibitors",
	.signature = "(ssssuu)",
	.columns = columns,
	.n_columns = ELEMENTSOF(columns),
	.none = "No inhibitors.",
	.usage = inhibitors_usage,
	.read = inhibitor_read,
	.json = inhibitor_json,
	.row = inhibitor_row,
	.count = inhibitors_count,
};

int vasctl_inhibitors(int argc, char **argv)
{
	struct inhibitor i;

	return vasctl_list(argc, argv, &inhibitors_list, &i, NULL);
}
