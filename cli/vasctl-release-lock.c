// SPDX-License-Identifier: GPL-2.0-only
/*
 * vasctl release-lock ID: root ends an inhibitor lock another process
 * holds (Manager.ReleaseLock): the override of a veto, whose line names
 * the lock's id. The bus policy and vasd both keep it root's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/macro.h"
#include "vasctl-bus.h"
#include "vasctl.h"

#define VASD_ERROR_ACCESS_DENIED "org.vasd1.Error.AccessDenied"
#define VASD_ERROR_NO_SUCH_LOCK "org.vasd1.Error.NoSuchLock"

static void release_lock_usage(FILE *f)
{
	fputs("Usage: vasctl release-lock ID\n"
	      "\n"
	      "End inhibitor lock ID as if its holder had closed it (root only):\n"
	      "the way to lift a block lock's veto, whose line names the ID. The\n"
	      "holder is not told; the ledger records the release.\n"
	      "\n"
	      "Options:\n"
	      "  -h --help   Show this help\n", f);
}

int vasctl_release_lock(int argc, char **argv)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	bool json;
	int64_t id;
	int r;

	r = vasctl_parse_json_args(argc, argv, release_lock_usage, 1, &json);
	if (r >= 0)
		return r;
	if (json) {
		vasctl_error("release-lock: --json: the command prints nothing");
		return VASCTL_EXIT_USAGE;
	}
	if (optind >= argc) {
		release_lock_usage(stderr);
		return VASCTL_EXIT_USAGE;
	}
	if (vasctl_parse_number(argv[optind], &id) < 0 || id == 0) {
		vasctl_error("release-lock: '%s' is not a lock id (a number from 1)",
			     argv[optind]);
		return VASCTL_EXIT_USAGE;
	}

	r = vasctl_bus_open("release-lock", &bus);
	if (r != VASCTL_EXIT_OK)
		return r;
	r = vasctl_bus_call(bus, VASD_BUS_PATH, VASD_BUS_MANAGER_INTERFACE,
			    "ReleaseLock", &error, NULL, "t", (uint64_t)id);
	if (r >= 0) {
		printf("Released lock %" PRId64 ".\n", id);
		return vasctl_finish_output("release-lock", 0);
	}
	if (sd_bus_error_has_names(&error, SD_BUS_ERROR_ACCESS_DENIED,
				   VASD_ERROR_ACCESS_DENIED)) {
		vasctl_error("release-lock: only root may release another's lock: %s (%s)",
			     error.message ? error.message : "access denied",
			     error.name);
		return VASCTL_EXIT_FAILURE;
	}
	if (sd_bus_error_has_name(&error, VASD_ERROR_NO_SUCH_LOCK)) {
		vasctl_error("release-lock: %s", error.message);
		return VASCTL_EXIT_FAILURE;
	}
	return vasctl_bus_fail(bus, "release-lock", "cannot release the lock", r,
			       &error);
}
