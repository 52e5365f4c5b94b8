// SPDX-License-Identifier: GPL-2.0-only
/*
 * drmgr's migration phases on org.vasd1.Manager (DESIGN.md §1, §6): the
 * hook (vasctl) calls MigrationCheck, MigrationPrepare, MigrationComplete
 * or MigrationAbort, as root (the policy, and the uid the bus gives); the
 * coordinator (coordinator.h) decides and answers, at once or when the
 * wait for the clients ends. The call is kept, referenced, until then; a
 * caller gone meanwhile gets a reply nobody reads.
 *
 * The coordinator's PrepareForMigration goes out from here too: one source
 * for that signal.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus/internal.h"
#include "util/list.h"
#include "log.h"

struct bus_hook_call {
	LIST_FIELDS(struct bus_hook_call, hook_calls);
	uint64_t id;
	sd_bus_message *call;
};

static const struct {
	const char *member;
	uint32_t phase;
} phases[] = {
	{ "MigrationCheck", VASD_HOOK_CHECK },
	{ "MigrationAbort", VASD_HOOK_UNDOCHECK },
	{ "MigrationPrepare", VASD_HOOK_PRE },
	{ "MigrationComplete", VASD_HOOK_POST },
};

static struct bus_hook_call *call_find(struct vasd_bus *b, uint64_t id)
{
	LIST_FOREACH(hook_calls, h, b->hook_calls)
		if (h->id == id)
			return h;
	return NULL;
}

static void call_free(struct vasd_bus *b, struct bus_hook_call *h)
{
	LIST_REMOVE(hook_calls, b->hook_calls, h);
	sd_bus_message_unref(h->call);
	free(h);
}

static int hook_as(struct vasd_bus *b, sd_bus_message *m,
		   const struct bus_caller *caller, sd_bus_error *error)
{
	const char *member = sd_bus_message_get_member(m);
	char comm[VAS_COMM_MAX];
	struct bus_hook_call *h;
	uint32_t phase = _VASD_HOOK_PHASE_MAX;
	uint64_t id;
	int r;
	uid_t uid = caller->uid;
	pid_t pid = caller->pid;

	if (uid != 0)
		return sd_bus_error_setf(error, VASD_ERROR_ACCESS_DENIED,
					 "Only root may run the migration phases (the caller is uid %u)",
					 (unsigned int)uid);
	for (size_t i = 0; i < ELEMENTSOF(phases); i++)
		if (strcmp(member, phases[i].member) == 0)
			phase = phases[i].phase;
	bus_comm_of(pid, comm);

	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->id = id = ++b->last_call;
	h->call = sd_bus_message_ref(m);
	LIST_PREPEND(hook_calls, b->hook_calls, h);

	r = coordinator_hook(b->coordinator, phase, id, (uint32_t)pid,
			     (uint32_t)uid, comm);
	/* an error comes before any reply; the call is still ours then */
	h = call_find(b, id);
	if (r >= 0 || !h)
		return 0;
	call_free(b, h);
	if (r == -EBUSY)
		return sd_bus_error_setf(error, VASD_ERROR_MIGRATION_REFUSED,
					 "vasd is still starting: its ledger is not restored yet; try again");
	return sd_bus_error_setf(error, VASD_ERROR_LEDGER,
				 "vasd cannot record the migration phase in its ledger: %s",
				 strerror(-r));
}

int bus_method_migration(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	return bus_query_sender(userdata, m, hook_as);
}

static void on_signal(struct coordinator *c, bool active, const char *name,
		      void *userdata)
{
	struct vasd_bus *b = userdata;
	int r;

	r = sd_bus_emit_signal(b->bus, VASD_BUS_PATH, VASD_BUS_MANAGER_INTERFACE,
			       "PrepareForMigration", "bs", (int)active, name);
	if (r < 0)
		log_warning_errno(r, "Failed to send PrepareForMigration: %s", strerror(-r));
	bus_sent(b);
}

static void on_reply(struct coordinator *c, uint64_t call,
		     enum migration_reply result, const char *migration,
		     const char *message, void *userdata)
{
	struct vasd_bus *b = userdata;
	struct bus_hook_call *h = call_find(b, call);
	int r;

	if (!h)
		return;
	switch (result) {
	case MIGRATION_REPLY_OK:
		r = sd_bus_reply_method_return(h->call, "ss", migration, message);
		break;
	case MIGRATION_REPLY_VETO:
		r = sd_bus_reply_method_errorf(h->call, VASD_ERROR_MIGRATION_VETOED,
					       "%s", message);
		break;
	default:
		r = sd_bus_reply_method_errorf(h->call, VASD_ERROR_MIGRATION_REFUSED,
					       "%s", message);
		break;
	}
	/* the hook's vasctl may have given up: nobody to tell */
	if (r < 0)
		log_debug_errno(r, "Could not answer %s: %s",
				sd_bus_message_get_member(h->call), strerror(-r));
	call_free(b, h);
	bus_sent(b);
}

static void on_changed(struct coordinator *c, void *userdata)
{
	struct vasd_bus *b = userdata;

	bus_manager_announce(b);
	bus_sent(b);
}

static const struct coordinator_ops ops = {
	.signal = on_signal,
	.reply = on_reply,
	.changed = on_changed,
};

void bus_migration_install(struct vasd_bus *b)
{
	coordinator_set_ops(b->coordinator, &ops, b);
}

void bus_migration_free(struct vasd_bus *b)
{
	coordinator_set_ops(b->coordinator, NULL, NULL);
	while (b->hook_calls) {
		sd_bus_reply_method_errorf(b->hook_calls->call, VASD_ERROR_MIGRATION_REFUSED,
					   "vasd stopped before the phase was over; the migration stays in its ledger and goes on when vasd starts again");
		call_free(b, b->hook_calls);
	}
}
