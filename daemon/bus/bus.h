/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bus: vasd on the system bus as org.vasd1 (DESIGN.md §5; the interfaces
 * are proto/org.vasd1.xml, documented in docs/bus.md). It publishes what
 * the ledger holds, told by ingest after each COMMIT, never before.
 *
 * The connection runs on vasd's libevent loop (bus/loop.h) and never
 * blocks: the name and the callers' credentials are asked asynchronously.
 */
#pragma once

#include "util/macro.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct coordinator;
struct event_base;
struct ingest;
struct ledger;
struct vasd_bus;

/* What the Manager's State property says, besides the kernel's presence. */
enum vasd_bus_phase {
	VASD_BUS_STARTING,		/* "starting": not READY yet */
	VASD_BUS_READY,			/* "running" or "waiting-for-kernel" */
	VASD_BUS_STOPPING,		/* "stopping" */
};

/* The bus confirmed that vasd owns org.vasd1. */
typedef void (*vasd_bus_name_fn)(struct vasd_bus *b, void *userdata);

/* The inhibitor locks vasd holds at most, each a file descriptor of its own. */
#define VASD_BUS_LOCKS_MAX 4096

/* What the administrator chose (vasd's options). */
struct vasd_bus_config {
	/* InhibitDelayMaxUSec, the coordinator's bound */
	uint64_t inhibit_delay_max_usec;
	/* --block-group: its members may take block locks, as root may */
	bool have_block_gid;
	gid_t block_gid;
	/* --max-locks-per-user: a uid's locks, root's not counted */
	unsigned int locks_per_user;
	/* --private-socket: root's socket beside the bus (bus/private.c); NULL: none */
	const char *private_socket;
};

/*
 * Connect to the system bus (sd_bus_open_system(): $DBUS_SYSTEM_BUS_ADDRESS
 * or the well-known socket), publish the objects, observe in, serve the
 * coordinator c (its signals, the hooks' calls and replies, the locks),
 * and request org.vasd1; name_fn runs once it is ours. Call before
 * ingest_start(), so the name is requested before READY=1. Failures
 * afterwards (the name is refused or taken, the connection is lost) are
 * logged and end the loop: vasd_bus_exit_error() tells.
 */
int vasd_bus_new(struct event_base *base, struct ingest *in,
		 struct ledger *ledger, struct coordinator *c,
		 const struct vasd_bus_config *config, vasd_bus_name_fn name_fn,
		 void *userdata, struct vasd_bus **ret);
/* Sends what is queued (the last signals), then disconnects. */
struct vasd_bus *vasd_bus_free(struct vasd_bus *b);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct vasd_bus, vasd_bus_free)

void vasd_bus_set_phase(struct vasd_bus *b, enum vasd_bus_phase phase);
/* Retention compacted the ledger: FirstPosition is first now. */
void vasd_bus_history_moved(struct vasd_bus *b, int64_t first);
/* 0 while the bus is fine; the -errno that ended the loop otherwise. */
int vasd_bus_exit_error(const struct vasd_bus *b);
