/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libvasclient: take part in vasd's migration protocol (README.md, "Writing
 * a client of vasd") without writing it again.
 *
 * A client holds one inhibitor lock of vasd's (org.vasd1.Manager.Inhibit)
 * on a bus connection of its own. The library:
 *   - subscribes to PrepareForMigration and to vasd's NameOwnerChanged, and
 *     takes the lock only once the bus confirmed both matches;
 *   - joins a migration that began before the match (the MigrationPhase and
 *     MigrationState properties) as if it had been told;
 *   - on PrepareForMigration(true) calls the drain callback, and releases
 *     the lock once the application says it drained (at once when the
 *     callback says nothing is in flight);
 *   - on PrepareForMigration(false) takes a new lock, and calls the resume
 *     callback;
 *   - when vasd exits, drops the lock that died with it and takes one from
 *     the next vasd (during a migration, once that migration ends);
 *   - when vasd is absent or refuses the lock for now (TooManyInhibitors),
 *     carries on without one and tries again after 1 s, 2 s, 4 s ... 60 s,
 *     each with up to half again at random, and at once when a vasd starts;
 *   - keeps the lock out of child processes: close-on-exec, and closed in
 *     the child of fork() (pthread_atfork), so that no child holds it.
 *
 * Without vasd (or without a bus) the application works as before,
 * uncoordinated: no call of the library blocks on vasd.
 *
 * Two ways to run a client:
 *   - in the application's own event loop: vasclient_start(), then wait for
 *     vasclient_get_events() on vasclient_get_fd() or until
 *     vasclient_get_timeout(), and call vasclient_process(); ask the
 *     events and the timeout again before every wait;
 *   - on a thread of the library's own: vasclient_start_thread(). One
 *     thread runs every such client of the process, while there is one; it
 *     blocks every signal.
 *
 * Thread safety: every function may be called from any thread, at the same
 * time as any other on the same client, except vasclient_unref() (not while
 * another thread uses the client, nor from a callback). Callbacks are
 * called without any lock of the library's held, one at a time for a
 * client and in the order of the events, from the thread that runs
 * vasclient_process() (the library's thread with vasclient_start_thread())
 * or vasclient_drained(); they may call any function but vasclient_unref().
 * So do not call vasclient_drained() (nor vasclient_process()) holding a
 * lock of your own that a callback takes: the callback would wait for it.
 *
 * After fork(), the child's copy of a client holds no lock and no
 * connection: every call but vasclient_unref() returns -ECHILD there (the
 * library's fork handler marks it; a child of _Fork() or a bare clone(),
 * which runs no handler, may not call the library at all). A
 * child that goes on using the accelerator (libnxz reopens its window
 * after a fork) unrefs that copy and makes a client of its own.
 *
 * Loaded with dlopen() (no link-time dependency): look the functions up
 * with dlvsym(handle, name, "VASCLIENT_0"); dlclose() takes the library's
 * fork handlers with it.
 *
 * Errors are negative errno values.
 */
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vasclient vasclient;

enum vasclient_mode {
	/* released for every migration: the client drains first */
	VASCLIENT_DELAY,
	/* vetoes migrations at drmgr's check; kept through one it could not stop */
	VASCLIENT_BLOCK,
	/*
	 * A delay lock the client never gives back: a misbehaving client, for
	 * tests of vasd's InhibitDelayMaxUSec only.
	 */
	VASCLIENT_DELAY_NEVER_RELEASE,
};

enum vasclient_state {
	VASCLIENT_RUNNING,	/* no migration: submit work */
	VASCLIENT_DRAINING,	/* a migration: submit nothing, finish what is in flight */
	VASCLIENT_QUIESCED,	/* drained: nothing may be submitted until the resume */
};

/* What the drain callback answers. */
enum vasclient_drain {
	VASCLIENT_DRAINED,	/* nothing in flight: release now */
	VASCLIENT_DRAIN_LATER,	/* vasclient_drained() follows */
};

/* What happened, for the event callback (a log, a test). */
enum vasclient_event {
	VASCLIENT_LOCK_TAKEN,		/* first lock, or after vasd (re)started */
	VASCLIENT_LOCK_TAKEN_AGAIN,	/* after a migration */
	VASCLIENT_LOCK_RELEASED,	/* given back: drained */
	VASCLIENT_LOCK_LOST,		/* vasd exited, the lock with it */
	VASCLIENT_PREPARE_RECEIVED,	/* detail: the migration's name */
	VASCLIENT_RESUME_RECEIVED,	/* detail: the migration's name */
	VASCLIENT_MIGRATION_IN_PROGRESS, /* joined one; detail: the phase or state */
	VASCLIENT_INHIBIT_FAILED,	/* detail: the D-Bus error's name, or NULL and value: errno */
	VASCLIENT_INHIBIT_RETRY,	/* value: microseconds until the next Inhibit */
	VASCLIENT_VASD_GONE,		/* detail: its unique name */
	VASCLIENT_VASD_STARTED,		/* detail: its unique name */
	VASCLIENT_CLIENT_ERROR,		/* a local failure; detail: what, value: errno */
};

/* Returns VASCLIENT_DRAINED or VASCLIENT_DRAIN_LATER. */
typedef enum vasclient_drain (*vasclient_drain_fn)(vasclient *c, const char *migration,
						   void *userdata);
/* The migration is over and the client drained: submit again. */
typedef void (*vasclient_resume_fn)(vasclient *c, const char *migration, void *userdata);
/* detail is valid during the call only; NULL when there is none. */
typedef void (*vasclient_event_fn)(vasclient *c, enum vasclient_event event,
				   const char *detail, uint64_t value, void *userdata);

/*
 * A client whose lock says who and why (ListInhibitors, the operator's
 * veto message). Nothing happens until vasclient_start*().
 */
int vasclient_new(vasclient **ret, const char *who, const char *why, enum vasclient_mode mode);
/* Frees the client and closes its lock, its connection and its thread. NULL is fine. */
vasclient *vasclient_unref(vasclient *c);

/* Before vasclient_start*(): any of the callbacks may be NULL (no drain callback: drained at once). */
int vasclient_set_callbacks(vasclient *c, vasclient_drain_fn drain, vasclient_resume_fn resume,
			    vasclient_event_fn event, void *userdata);

/* Connects to the system bus ($DBUS_SYSTEM_BUS_ADDRESS) and subscribes. */
int vasclient_start(vasclient *c);
/* vasclient_start(), and a thread of the library's own runs the client. */
int vasclient_start_thread(vasclient *c);

/* The application's own event loop (not with vasclient_start_thread()). */
int vasclient_get_fd(vasclient *c);
/* poll() events (POLLIN, POLLOUT) to wait for on the fd */
int vasclient_get_events(vasclient *c);
/* *usec: CLOCK_MONOTONIC time to call vasclient_process() at the latest; UINT64_MAX: none */
int vasclient_get_timeout(vasclient *c, uint64_t *usec);
/* Does whatever is due; never blocks. -ENOTCONN: the bus is gone, the client holds no lock. */
int vasclient_process(vasclient *c);

/* The work in flight drained since the drain callback: release the lock. */
int vasclient_drained(vasclient *c);

/* enum vasclient_state; whether the application may submit work now */
int vasclient_get_state(vasclient *c);
/* 1 while the client holds a lock of vasd's, 0 when not */
int vasclient_has_lock(vasclient *c);

/* "lock-taken", "prepare-received", ...: names for logs; NULL if unknown */
const char *vasclient_event_name(enum vasclient_event event);

#ifdef __cplusplus
}
#endif
