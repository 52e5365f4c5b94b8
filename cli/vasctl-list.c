// SPDX-License-Identifier: GPL-2.0-only
/* vasctl's lists of vasd's objects. See vasctl-list.h. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <json.h>

#include "util/macro.h"
#include "vasctl-bus.h"
#include "vasctl-json.h"
#include "vasctl-list.h"
#include "vasctl.h"

/* Each element into the array (json) or the table; the count in *n. */
static int read_list(sd_bus_message *reply, const struct vasctl_list *list,
		     void *item, void *userdata, struct json_object *array,
		     struct table *table, unsigned int *n)
{
	int r;

	r = sd_bus_message_enter_container(reply, 'a', list->signature);
	if (r < 0)
		return r;
	while ((r = list->read(reply, item)) > 0) {
		(*n)++;
		if (array) {
			struct json_object *o = list->json(item);

			if (!o || json_object_array_add(array, o) < 0) {
				json_object_put(o);
				return -ENOMEM;
			}
		} else {
			r = list->row(table, item, userdata);
			if (r < 0)
				return r;
		}
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(reply);
}

static int print_table(const struct vasctl_list *list, struct table *table,
		       unsigned int n, void *userdata)
{
	_cleanup_(freep) char *text = NULL;
	int r;

	if (n == 0)
		return puts(list->none) == EOF ? -EIO : 0;
	r = table_format(table, vasctl_color(), &text);
	if (r < 0)
		return r;
	if (printf("%s\n", text) < 0)
		return -EIO;
	return list->count(n, userdata);
}

int vasctl_list(int argc, char **argv, const struct vasctl_list *list,
		void *item, void *userdata)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(table_freep) struct table *table = NULL;
	struct json_object *array = NULL;
	unsigned int n = 0;
	bool json;
	int r;

	r = vasctl_parse_json_only(argc, argv, list->usage, &json);
	if (r >= 0)
		return r;
	r = vasctl_bus_open(list->verb, &bus);
	if (r != VASCTL_EXIT_OK)
		return r;
	r = vasctl_bus_call(bus, VASD_BUS_PATH, VASD_BUS_MANAGER_INTERFACE,
			    list->method, &error, &reply, NULL);
	if (r < 0) {
		char what[64];

		snprintf(what, sizeof(what), "cannot list the %s", list->verb);
		return vasctl_bus_fail(bus, list->verb, what, r, &error);
	}

	if (list->more)
		list->more(bus, userdata);
	if (json)
		array = json_object_new_array();
	else
		table = table_new(list->columns, list->n_columns);
	if (!array && !table) {
		vasctl_error("%s: out of memory", list->verb);
		return VASCTL_EXIT_FAILURE;
	}
	r = read_list(reply, list, item, userdata, array, table, &n);
	if (r < 0) {
		json_object_put(array);
		vasctl_error("%s: cannot read vasd's reply: %s", list->verb,
			     strerror(-r));
		return VASCTL_EXIT_FAILURE;
	}
	if (json) {
		r = vasctl_json_print(array);
		json_object_put(array);
	} else {
		r = print_table(list, table, n, userdata);
	}
	return vasctl_finish_output(list->verb, r);
}
