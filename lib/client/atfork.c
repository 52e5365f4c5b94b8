// SPDX-License-Identifier: GPL-2.0-only
/*
 * Keep the locks out of child processes. A lock is the write end of a pipe
 * whose reader is vasd: a copy held by a child holds the lock as long as
 * the child lives, and vasd would wait for it in every migration. The fd is
 * close-on-exec, for exec(); for a fork() without exec the child handler
 * closes the child's copy. An application does not control every fork()
 * (a library's, system(), a shell-out), hence pthread_atfork().
 *
 * The library thread's lock (thread.c), the registry's and each client's
 * mutex are taken before the fork, in the order the library takes them, so that no fork happens
 * while a thread is between receiving the lock's fd from the bus and
 * keeping it: sd_bus_process() reads one message and dispatches it in the
 * same call, under the client's mutex.
 */
#include <pthread.h>
#include <unistd.h>

#include "internal.h"

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vasclient *registry;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static int atfork_error;

static void before_fork(void)
{
	vasclient_thread_before_fork();
	pthread_mutex_lock(&registry_lock);
	for (struct vasclient *c = registry; c; c = c->registry_next)
		pthread_mutex_lock(&c->lock);
}

static void after_fork_parent(void)
{
	for (struct vasclient *c = registry; c; c = c->registry_next)
		pthread_mutex_unlock(&c->lock);
	pthread_mutex_unlock(&registry_lock);
	vasclient_thread_after_fork_parent();
}

/* Only close(): the child may be about to exec, or be a signal-safe spot. */
static void after_fork_child(void)
{
	for (struct vasclient *c = registry; c; c = c->registry_next) {
		if (c->lock_fd >= 0) {
			close(c->lock_fd);
			c->lock_fd = -1;
		}
		c->forked = true;
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_unlock(&registry_lock);
	vasclient_thread_after_fork_child();
}

static void install_atfork(void)
{
	atfork_error = -pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}

int vasclient_register(struct vasclient *c)
{
	pthread_once(&atfork_once, install_atfork);
	if (atfork_error < 0)
		return atfork_error;
	pthread_mutex_lock(&registry_lock);
	c->registry_prev = NULL;
	c->registry_next = registry;
	if (registry)
		registry->registry_prev = c;
	registry = c;
	pthread_mutex_unlock(&registry_lock);
	return 0;
}

void vasclient_unregister(struct vasclient *c)
{
	pthread_mutex_lock(&registry_lock);
	if (c->registry_prev)
		c->registry_prev->registry_next = c->registry_next;
	else if (registry == c)
		registry = c->registry_next;
	if (c->registry_next)
		c->registry_next->registry_prev = c->registry_prev;
	c->registry_prev = c->registry_next = NULL;
	pthread_mutex_unlock(&registry_lock);
}
