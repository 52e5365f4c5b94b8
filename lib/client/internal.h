/* SPDX-License-Identifier: GPL-2.0-only */
/* libvasclient's insides, shared by its files; nothing here is exported. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

#include "vasclient.h"

struct notice {
	enum {
		NOTICE_EVENT,
		NOTICE_DRAIN,
		NOTICE_RESUME,
	} kind;
	enum vasclient_event event;
	char *detail;
	uint64_t value;
};

struct vasclient {
	/* taken by every public function; never held across a callback */
	pthread_mutex_t lock;
	pid_t pid;		/* the process that made it: another one is a child */
	bool forked;		/* the atfork child handler ran on this copy */

	char *who;
	char *why;
	enum vasclient_mode mode;
	vasclient_drain_fn drain;
	vasclient_resume_fn resume;
	vasclient_event_fn event;
	void *userdata;

	sd_bus *bus;
	bool started;
	bool subscribed;	/* the bus confirmed both matches */
	enum vasclient_state state;
	bool resume_pending;	/* the migration ended while we drained */
	bool lock_again;	/* the Inhibit call pending follows a migration */
	sd_bus_slot *inhibit_call;
	sd_bus_slot *phase_call;
	sd_bus_slot *state_call;
	int lock_fd;
	uint64_t retry_at;	/* CLOCK_MONOTONIC usec of the next Inhibit; 0: none */
	unsigned int refusals;	/* in a row: the backoff's exponent */
	uint64_t rand;		/* the jitter's state (xorshift) */
	char *migration;	/* the name of the migration we drain for */

	/* callbacks to make, in order, without the lock */
	struct notice *notices;
	size_t n_notices;
	size_t notices_size;
	bool delivering;	/* a thread makes them: others leave them to it */

	/* vasclient_start_thread(): thread.c's loop runs it */
	bool threaded;
	int wake_fd;		/* the loop's eventfd: it looks again */
	int watched_fd;		/* the bus's fd in the loop's epoll set; -1: none */
	uint32_t watched_events;
	uint64_t due;		/* the loop's copy of the timeout (the loop's own) */

	/* atfork.c's list of every client of the process */
	struct vasclient *registry_prev, *registry_next;
};

/* backoff.c: the delay before the nth Inhibit in a row that failed, in usec */
uint64_t vasclient_backoff_usec(unsigned int n, uint64_t random);

/* atfork.c: the clients whose locks a child must not keep */
int vasclient_register(struct vasclient *c);
void vasclient_unregister(struct vasclient *c);

/* thread.c: one thread for every client of vasclient_start_thread() */
int vasclient_thread_start(struct vasclient *c);
void vasclient_thread_stop(struct vasclient *c);
void vasclient_wake(struct vasclient *c);
void vasclient_thread_unwatch(struct vasclient *c);
void vasclient_thread_before_fork(void);
void vasclient_thread_after_fork_parent(void);
void vasclient_thread_after_fork_child(void);

/* client.c, with c->lock held */
void vasclient_close_lock(struct vasclient *c);
