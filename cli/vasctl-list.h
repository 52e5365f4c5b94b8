/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vasctl's lists of vasd's objects (windows, inhibitors): one List*()
 * call on org.vasd1.Manager, whose reply is an array of structs, printed
 * as one JSON array, or as a table with a count line under it.
 */
#pragma once

#include <stddef.h>
#include <stdio.h>
#include <systemd/sd-bus.h>

#include "util/table.h"

struct json_object;

struct vasctl_list {
	const char *verb;		/* the command, "windows", in messages */
	const char *method;		/* "ListWindows" */
	const char *signature;		/* of one element, "(uuusssssto)" */
	const struct table_column *columns;
	size_t n_columns;
	const char *none;		/* printed instead of an empty table */
	void (*usage)(FILE *f);
	/* One element into item, as sd_bus_message_read(): 1, 0 at the end, -errno. */
	int (*read)(sd_bus_message *reply, void *item);
	struct json_object *(*json)(const void *item);
	int (*row)(struct table *t, const void *item, void *userdata);
	/* The line under the table: n rows. -EIO when it cannot be printed. */
	int (*count)(unsigned int n, void *userdata);
	/*
	 * Optional: after the list's call, before its elements are read,
	 * what else the elements need from vasd (a window's uid). A failure
	 * is not the list's: the elements go without.
	 */
	void (*more)(sd_bus *bus, void *userdata);
};

/*
 * The command: its options (--json, --help), the call, the output. item:
 * room for one element; userdata: the row's and the count's. An exit code.
 */
int vasctl_list(int argc, char **argv, const struct vasctl_list *list,
		void *item, void *userdata);
