/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the parts of the bus service share: names, the service's state, and
 * each part's entry points (bus.c ties them together).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

#include "bus/bus.h"
#include "core/state.h"
#include "coordinator.h"
#include "ingest.h"

#define VASD_BUS_NAME			"org.vasd1"
#define VASD_BUS_PATH			"/org/vasd1"
#define VASD_BUS_WINDOW_PREFIX		"/org/vasd1/window"
#define VASD_BUS_MANAGER_INTERFACE	"org.vasd1.Manager"
#define VASD_BUS_WINDOW_INTERFACE	"org.vasd1.Window"

#define VASD_ERROR_ACCESS_DENIED	"org.vasd1.Error.AccessDenied"
#define VASD_ERROR_TOO_MANY_INHIBITORS	"org.vasd1.Error.TooManyInhibitors"
#define VASD_ERROR_NO_SUCH_LOCK		"org.vasd1.Error.NoSuchLock"
#define VASD_ERROR_BUSY			"org.vasd1.Error.Busy"
#define VASD_ERROR_LEDGER		"org.vasd1.Error.LedgerFailed"
#define VASD_ERROR_NO_CREDENTIALS	"org.vasd1.Error.NoCredentials"
#define VASD_ERROR_COMPACTED		"org.vasd1.Error.Compacted"
#define VASD_ERROR_MIGRATION_VETOED	"org.vasd1.Error.MigrationVetoed"
#define VASD_ERROR_MIGRATION_REFUSED	"org.vasd1.Error.MigrationRefused"

/* "/org/vasd1/window/4294967295" and its NUL */
#define BUS_WINDOW_PATH_MAX (sizeof(VASD_BUS_WINDOW_PREFIX) + 11)
/* comm with every byte as \xHH, and the NUL */
#define BUS_COMM_MAX (VAS_COMM_MAX * 4 + 1)

/* The Manager's properties that change, as last announced. */
struct bus_manager_props {
	const char *state;
	bool kernel_attached;
	const char *kernel_source;
	uint64_t observed_missed;
	uint64_t generation;
	uint64_t seq;
	int64_t first_position;
	int64_t last_position;
	uint32_t windows, windows_active, windows_suspended;
	uint32_t credits[VASD_N_TYPES][2];	/* total, used */
	const char *migration_phase;
	uint64_t migration_stream;
	char migration_name[MIGRATION_NAME_MAX];
	const char *migration_state;
	uint32_t migration_anomalies;
};

struct bus_inhibitor;
struct bus_compaction;
struct bus_admission;
struct share_table;
struct bus_hook_call;
struct bus_private;

struct vasd_bus {
	struct event_base *base;
	sd_bus *bus;
	struct bus_loop *loop;
	struct ingest *ingest;
	struct ledger *ledger;

	enum vasd_bus_phase phase;
	int64_t first_position;		/* of the ledger's history: 1 until compacted */
	int64_t last_position;		/* of the ledger, after the last COMMIT */
	struct bus_manager_props announced;
	uint64_t inhibit_delay_max_usec;	/* the property's storage */
	struct vasd_bus_config config;

	struct bus_inhibitor *inhibitors;	/* list, newest first */
	unsigned int n_inhibitors;
	uint64_t last_lock;		/* the coordinator's lock numbers */
	struct share_table *lock_rate;	/* a uid's Inhibit calls a second */

	struct bus_compaction *compactions;	/* CompactLedger calls going on */
	struct bus_admission *admission;	/* of the expensive calls */
	struct bus_private *private;		/* root's socket; NULL: none */

	struct coordinator *coordinator;
	struct bus_hook_call *hook_calls;	/* Migration* calls not answered yet */
	uint64_t last_call;

	vasd_bus_name_fn name_fn;
	void *name_userdata;
	bool name_acquired;
	int exit_error;
};

/* bus.c */
const struct vasd_state *bus_state(const struct vasd_bus *b);
void bus_fail(struct vasd_bus *b, int error);
/* After a send outside sd_bus_process(). */
void bus_sent(struct vasd_bus *b);
/* comm as a D-Bus string: bytes outside printable ASCII, and '\', as \xHH. */
const char *bus_escape_comm(const char *comm, char buf[static BUS_COMM_MAX]);
const char *bus_enum_name(const char *name);

/* bus/private.c: root's socket beside the bus. */
struct bus_caller;
int bus_private_new(struct vasd_bus *b, const char *path);
void bus_private_free(struct vasd_bus *b);
/* After a send outside sd_bus_process(), for the private connections. */
void bus_private_sent(struct vasd_bus *b);
/* bus is a private connection: its peer, as SO_PEERCRED said. */
bool bus_private_peer(struct vasd_bus *b, sd_bus *bus, struct bus_caller *ret);

/* bus/creds.c: who called, asked from the bus asynchronously. */
#define BUS_CALLER_GIDS_MAX 64
struct bus_caller {
	uid_t uid;
	pid_t pid;			/* 0: the bus does not know it */
	/* UnixGroupIDs: the process's groups as the bus saw them (the first
	 * BUS_CALLER_GIDS_MAX); none when the bus does not say */
	gid_t gids[BUS_CALLER_GIDS_MAX];
	unsigned int n_gids;
};
bool bus_caller_in_group(const struct bus_caller *c, gid_t gid);
typedef int (*bus_creds_fn)(struct vasd_bus *b, sd_bus_message *m,
			    const struct bus_caller *caller, sd_bus_error *error);
/*
 * Ask the bus who sent m, then run fn, which replies to m (or returns an
 * error, which is replied). Returns 1: m is being handled.
 */
int bus_query_sender(struct vasd_bus *b, sd_bus_message *m, bus_creds_fn fn);
/*
 * Ask the bus driver member(name) (GetConnectionCredentials,
 * GetConnectionUnixUser, ...) without waiting: fn gets the reply, destroy
 * frees userdata once the call is over (or at once, when it cannot be
 * sent, with the error returned).
 */
int bus_ask_driver(sd_bus *bus, const char *member, const char *name,
		   sd_bus_message_handler_t fn, void *userdata,
		   sd_bus_destroy_t destroy);
/* The command name of pid, from /proc; "" when it cannot be read (gone). */
void bus_comm_of(pid_t pid, char comm[static VAS_COMM_MAX]);

/* bus/manager.c */
int bus_manager_install(struct vasd_bus *b, sd_bus *bus);
void bus_manager_props_get(struct vasd_bus *b, struct bus_manager_props *ret);
/* Emit PropertiesChanged for what differs from what was announced. */
void bus_manager_announce(struct vasd_bus *b);

/* bus/migration.c: drmgr's phases, and the coordinator's signal and replies */
int bus_method_migration(sd_bus_message *m, void *userdata, sd_bus_error *error);
void bus_migration_install(struct vasd_bus *b);
/* Answers the calls waiting (vasd stops) and lets the coordinator go. */
void bus_migration_free(struct vasd_bus *b);

/* bus/compact.c */
int bus_method_compact_ledger(sd_bus_message *m, void *userdata,
			      sd_bus_error *error);
/* Answers the calls going on (vasd stops) and forgets them. */
void bus_compactions_free(struct vasd_bus *b);

/* bus/window.c */
int bus_window_install(struct vasd_bus *b, sd_bus *bus);
const char *bus_window_path(uint32_t id, char buf[static BUS_WINDOW_PATH_MAX]);
/* InterfacesAdded/Removed or PropertiesChanged for one committed change. */
int bus_window_announce(struct vasd_bus *b, const struct ingest_window_event *w);

/* bus/admission.c: the expensive calls, by the caller's share of vasd */
int bus_admission_new(struct vasd_bus *b, struct bus_admission **ret);
struct bus_admission *bus_admission_free(struct bus_admission *a);
/* The dispatch that just ran took elapsed ns: charged if it was admitted. */
void bus_admission_charge(struct bus_admission *a, uint64_t elapsed);

/* bus/inhibit.c */
int bus_method_inhibit(sd_bus_message *m, void *userdata, sd_bus_error *error);
int bus_method_list_inhibitors(sd_bus_message *m, void *userdata,
			       sd_bus_error *error);
int bus_method_release_lock(sd_bus_message *m, void *userdata,
			    sd_bus_error *error);
void bus_inhibitors_free(struct vasd_bus *b);

/* bus/logcontrol.c: org.freedesktop.LogControl1 */
int bus_logcontrol_install(struct vasd_bus *b, sd_bus *bus);
