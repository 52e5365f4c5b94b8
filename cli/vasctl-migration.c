// SPDX-License-Identifier: GPL-2.0-only
/*
 * vasctl migration check|prepare|complete|abort: drmgr's phases, which its
 * hook (cli/50-vasd) brings to vasd's MigrationCheck, MigrationPrepare,
 * MigrationComplete and MigrationAbort; and status, the report of one
 * migration (vasctl-migration-status.c).
 *
 * vasd bounds MigrationPrepare by InhibitDelayMaxUSec; vasctl waits that
 * long and 30 s more (at least a minute), so that it never gives up
 * before vasd answers. The other phases are answered at once.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json.h>

#include "util/human.h"
#include "util/macro.h"
#include "vasctl-bus.h"
#include "vasctl-json.h"
#include "vasctl.h"

#define VASD_ERROR_MIGRATION_VETOED	"org.vasd1.Error.MigrationVetoed"
#define VASD_ERROR_MIGRATION_REFUSED	"org.vasd1.Error.MigrationRefused"

#define PHASE_TIMEOUT_USEC	(30 * USEC_PER_SEC)
#define PREPARE_SLACK_USEC	(30 * USEC_PER_SEC)
#define PREPARE_MIN_USEC	(60 * USEC_PER_SEC)

static const struct phase {
	const char *verb;
	const char *member;
	const char *phase;	/* drmgr's PHASE */
} phases[] = {
	{ "check", "MigrationCheck", "check" },
	{ "prepare", "MigrationPrepare", "pre" },
	{ "complete", "MigrationComplete", "post" },
	{ "abort", "MigrationAbort", "undocheck" },
};

static void migration_usage(FILE *f)
{
	fputs("Usage: vasctl migration check|prepare|complete|abort [--json]\n"
	      "       vasctl migration status [--json] [--database=PATH] [ID]\n"
	      "\n"
	      "Run a phase of a partition migration, as drmgr's hook does, or show\n"
	      "what happened in one.\n"
	      "\n"
	      "Commands:\n"
	      "  check      May a migration start? (PHASE=check; root only)\n"
	      "  prepare    Ask the clients to release their delay locks, and wait\n"
	      "             until they did or InhibitDelayMaxUSec passed (PHASE=pre)\n"
	      "  complete   Close the migration, tell the clients it is over\n"
	      "             (PHASE=post)\n"
	      "  abort      Cancel a migration that was checked (PHASE=undocheck)\n"
	      "  status     The report of migration ID (default: the open one, else\n"
	      "             the last), read from vasd's ledger\n"
	      "\n"
	      "Options:\n"
	      "  -d --database=PATH  status: the ledger (default $STATE_DIRECTORY/ledger.db,\n"
	      "                      else /var/lib/vasd/ledger.db)\n"
	      "     --json           Print one JSON object (proto/vasctl-json.md)\n"
	      "  -h --help           Show this help\n"
	      "\n"
	      "Exit status: 0 success, 1 refused or failed, 2 usage error, 3 vasd is\n"
	      "not running (status: never), 4 the ledger cannot be read, 5 vetoed.\n", f);
}

/* How long vasctl waits for MigrationPrepare: vasd's bound and some. */
static int prepare_timeout(sd_bus *bus, uint64_t *ret)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	uint64_t delay;
	int r;

	r = vasctl_bus_call(bus, VASD_BUS_PATH, "org.freedesktop.DBus.Properties",
			    "Get", &error, &reply, "ss",
			    VASD_BUS_MANAGER_INTERFACE, "InhibitDelayMaxUSec");
	if (r < 0)
		return vasctl_bus_fail(bus, "migration prepare",
				       "cannot read InhibitDelayMaxUSec", r, &error);
	r = sd_bus_message_read(reply, "v", "t", &delay);
	if (r < 0) {
		vasctl_error("migration prepare: cannot parse InhibitDelayMaxUSec: %s",
			     strerror(-r));
		return VASCTL_EXIT_FAILURE;
	}
	delay = delay > UINT64_MAX - PREPARE_SLACK_USEC ? UINT64_MAX :
		delay + PREPARE_SLACK_USEC;
	*ret = delay < PREPARE_MIN_USEC ? PREPARE_MIN_USEC : delay;
	return VASCTL_EXIT_OK;
}

/*
 * vasd's message for the operator, escaped: complete's warns of anomalies
 * (windows the kernel's suspend missed) itself.
 */
static int print_result(const struct phase *p, const char *migration,
			const char *message, bool json)
{
	struct json_object *o;
	int r;

	if (!json)
		return vasctl_print_escaped(stdout, "%s", message) < 0 ||
		       putchar('\n') == EOF ? -EIO : 0;
	o = json_object_new_object();
	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "migration", json_object_new_string(migration));
	json_object_object_add(o, "message", json_object_new_string(message));
	json_object_object_add(o, "phase", json_object_new_string(p->phase));
	r = vasctl_json_print(o);
	json_object_put(o);
	return r;
}

static int run_phase(const struct phase *p, bool json)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	const char *migration, *message;
	uint64_t timeout = PHASE_TIMEOUT_USEC;
	char name[32], what[64];
	int r;

	snprintf(name, sizeof(name), "migration %s", p->verb);
	snprintf(what, sizeof(what), "%s failed", p->member);
	r = vasctl_bus_open(name, &bus);
	if (r != VASCTL_EXIT_OK)
		return r;
	if (strcmp(p->phase, "pre") == 0) {
		r = prepare_timeout(bus, &timeout);
		if (r != VASCTL_EXIT_OK)
			return r;
	}
	r = vasctl_bus_new_call(bus, VASD_BUS_PATH, VASD_BUS_MANAGER_INTERFACE,
				p->member, &call);
	if (r >= 0)
		r = sd_bus_call(bus, call, timeout, &error, &reply);
	/*
	 * vasd's own one-line answer, for the operator; escaped, as it
	 * repeats a lock holder's who and why
	 */
	if (sd_bus_error_has_name(&error, VASD_ERROR_MIGRATION_VETOED)) {
		vasctl_print_escaped(stderr, "%s", error.message);
		fputc('\n', stderr);
		return VASCTL_EXIT_VETOED;
	}
	if (sd_bus_error_has_name(&error, VASD_ERROR_MIGRATION_REFUSED)) {
		vasctl_print_escaped(stderr, "%s", error.message);
		fputc('\n', stderr);
		return VASCTL_EXIT_FAILURE;
	}
	if (r < 0)
		return vasctl_bus_fail(bus, name, what, r, &error);
	r = sd_bus_message_read(reply, "ss", &migration, &message);
	if (r < 0) {
		vasctl_error("migration %s: cannot parse vasd's reply: %s",
			     p->verb, strerror(-r));
		return VASCTL_EXIT_FAILURE;
	}
	r = print_result(p, migration, message, json);
	return vasctl_finish_output(name, r);
}

static int parse_id(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (*s < '1' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

int vasctl_migration(int argc, char **argv)
{
	enum { ARG_JSON = 0x100 };
	static const struct option options[] = {
		{ "json", no_argument, NULL, ARG_JSON },
		{ "database", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *database = NULL, *verb;
	uint64_t id = 0;
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, "d:h", options, NULL)) >= 0) {
		switch (c) {
		case ARG_JSON:
			json = true;
			break;
		case 'd':
			database = optarg;
			break;
		case 'h':
			migration_usage(stdout);
			return VASCTL_EXIT_OK;
		default:
			migration_usage(stderr);
			return VASCTL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		vasctl_error("migration: no command given");
		migration_usage(stderr);
		return VASCTL_EXIT_USAGE;
	}
	verb = argv[optind++];

	if (strcmp(verb, "status") == 0) {
		if (optind < argc && parse_id(argv[optind++], &id) < 0) {
			vasctl_error("migration status: '%s' is not a migration number (1, 2, ...)",
				     argv[optind - 1]);
			return VASCTL_EXIT_USAGE;
		}
		if (optind < argc) {
			vasctl_error("migration status: unexpected argument '%s'",
				     argv[optind]);
			migration_usage(stderr);
			return VASCTL_EXIT_USAGE;
		}
		return vasctl_migration_status(database, id, json);
	}

	for (size_t i = 0; i < ELEMENTSOF(phases); i++) {
		if (strcmp(verb, phases[i].verb) != 0)
			continue;
		if (optind < argc || database) {
			vasctl_error("migration %s: unexpected %s", verb,
				     database ? "--database" : argv[optind]);
			migration_usage(stderr);
			return VASCTL_EXIT_USAGE;
		}
		return run_phase(&phases[i], json);
	}
	vasctl_error("migration: unknown command '%s'", verb);
	migration_usage(stderr);
	return VASCTL_EXIT_USAGE;
}
