// SPDX-License-Identifier: GPL-2.0-only
/*
 * vasclient_start_thread(): a thread of the library's own runs the client,
 * for an application without an event loop to plug it into. One thread
 * for every such client of the process: a migration wakes it once for all
 * of them, not once a client. It exists while one client uses it, blocks
 * every signal (they stay the application's), and waits on the clients'
 * bus connections and on an eventfd that the other threads write to when
 * they changed what it should wait for (vasclient_drained() sent an
 * Inhibit, a client came or goes).
 *
 * Locks: loop_lock, then a client's; never the other way round. The thread
 * runs vasclient_process() holding neither, so that callbacks may start
 * other clients; unref waits until the thread is done with its client.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static pthread_mutex_t loop_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t loop_idle = PTHREAD_COND_INITIALIZER;
static struct vasclient **loop_clients;
static size_t n_loop_clients, loop_clients_size;
static struct vasclient *loop_busy;	/* the client the thread processes */
static bool loop_running, loop_stop;
static pthread_t loop_thread;
static int loop_wake = -1;
/* the thread's poll set: here, not on its stack, so that a child of fork()
 * (where the thread is not) still reaches it */
static struct pollfd *loop_polls;
static struct watch {
	struct vasclient *c;
	uint64_t deadline;
} *loop_watches;
static size_t loop_polls_size;

/* With c->lock held. The eventfd outlives every client that may write it. */
void vasclient_wake(struct vasclient *c)
{
	uint64_t one = 1;

	/* a full counter wakes the thread as well */
	if (c->threaded && c->wake_fd >= 0 && write(c->wake_fd, &one, sizeof(one)) < 0)
		return;
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int timeout_ms(uint64_t deadline, uint64_t now)
{
	if (deadline == UINT64_MAX)
		return -1;
	if (deadline <= now)
		return 0;
	/* round up: waking early only to wait again costs a turn */
	deadline = (deadline - now + 999) / 1000;
	return deadline > INT32_MAX ? INT32_MAX : (int)deadline;
}

/* With loop_lock held: whether c is still one of ours. */
static bool loop_has(const struct vasclient *c)
{
	for (size_t i = 0; i < n_loop_clients; i++)
		if (loop_clients[i] == c)
			return true;
	return false;
}

static void *run(void *userdata)
{
	struct pollfd *p;
	struct watch *w;
	size_t n;
	uint64_t count;

	for (;;) {
		uint64_t deadline = UINT64_MAX;

		pthread_mutex_lock(&loop_lock);
		if (loop_stop) {
			pthread_mutex_unlock(&loop_lock);
			break;
		}
		if (loop_polls_size < n_loop_clients + 1) {
			size_t want = n_loop_clients + 1;
			struct pollfd *np = realloc(loop_polls, want * sizeof(*np));
			struct watch *nw = np ? realloc(loop_watches, want * sizeof(*nw)) : NULL;

			if (np)
				loop_polls = np;
			if (nw) {
				loop_watches = nw;
				loop_polls_size = want;
			}
		}
		if (loop_polls_size == 0) {
			/* no memory for even the eventfd's entry: try again soon */
			struct timespec soon = { 0, 10 * 1000 * 1000 };

			pthread_mutex_unlock(&loop_lock);
			nanosleep(&soon, NULL);
			continue;
		}
		p = loop_polls;
		w = loop_watches;
		p[0] = (struct pollfd){ .fd = loop_wake, .events = POLLIN };
		n = 1;
		for (size_t i = 0; i < n_loop_clients && n < loop_polls_size; i++) {
			struct vasclient *c = loop_clients[i];
			uint64_t t = UINT64_MAX;

			pthread_mutex_lock(&c->lock);
			if (c->bus) {
				p[n] = (struct pollfd){ .fd = sd_bus_get_fd(c->bus),
							.events = (short)sd_bus_get_events(c->bus) };
				if (sd_bus_get_timeout(c->bus, &t) < 0)
					t = UINT64_MAX;
				if (c->retry_at && c->retry_at < t)
					t = c->retry_at;
				w[n] = (struct watch){ .c = c, .deadline = t };
				if (t < deadline)
					deadline = t;
				n++;
			}
			pthread_mutex_unlock(&c->lock);
		}
		pthread_mutex_unlock(&loop_lock);

		if (poll(p, n, timeout_ms(deadline, now_usec())) < 0 && errno != EINTR)
			continue;
		if (p[0].revents & POLLIN && read(loop_wake, &count, sizeof(count)) < 0)
			continue;

		/* the clients whose connection is ready, or whose time came */
		uint64_t now = now_usec();
		for (size_t i = 1; i < n; i++) {
			if (!p[i].revents && w[i].deadline > now)
				continue;
			pthread_mutex_lock(&loop_lock);
			if (loop_stop || !loop_has(w[i].c)) {
				pthread_mutex_unlock(&loop_lock);
				continue;
			}
			loop_busy = w[i].c;
			pthread_mutex_unlock(&loop_lock);

			vasclient_process(w[i].c);

			pthread_mutex_lock(&loop_lock);
			loop_busy = NULL;
			pthread_cond_broadcast(&loop_idle);
			pthread_mutex_unlock(&loop_lock);
		}
	}
	return NULL;
}

/* Without c->lock held (loop_lock comes first). */
int vasclient_thread_start(struct vasclient *c)
{
	sigset_t all, old;
	int r = 0;

	pthread_mutex_lock(&loop_lock);
	/* the last client's unref is stopping the thread: a new one follows */
	while (loop_running && loop_stop)
		pthread_cond_wait(&loop_idle, &loop_lock);
	if (n_loop_clients == loop_clients_size) {
		size_t size = loop_clients_size ? loop_clients_size * 2 : 8;
		struct vasclient **cs = realloc(loop_clients, size * sizeof(*cs));

		if (!cs) {
			r = -ENOMEM;
			goto out;
		}
		loop_clients = cs;
		loop_clients_size = size;
	}
	if (!loop_running) {
		loop_wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (loop_wake < 0) {
			r = -errno;
			goto out;
		}
		loop_stop = false;
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		r = -pthread_create(&loop_thread, NULL, run, NULL);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (r < 0) {
			close(loop_wake);
			loop_wake = -1;
			goto out;
		}
		loop_running = true;
	}
	loop_clients[n_loop_clients++] = c;
	pthread_mutex_lock(&c->lock);
	c->threaded = true;
	c->wake_fd = loop_wake;
	vasclient_wake(c);
	pthread_mutex_unlock(&c->lock);
out:
	pthread_mutex_unlock(&loop_lock);
	return r;
}

/* Not from the thread itself (a callback): it would wait for itself. */
void vasclient_thread_stop(struct vasclient *c)
{
	bool last;

	pthread_mutex_lock(&loop_lock);
	if (!loop_has(c)) {
		pthread_mutex_unlock(&loop_lock);
		return;
	}
	for (size_t i = 0; i < n_loop_clients; i++)
		if (loop_clients[i] == c) {
			loop_clients[i] = loop_clients[--n_loop_clients];
			break;
		}
	while (loop_busy == c)
		pthread_cond_wait(&loop_idle, &loop_lock);
	pthread_mutex_lock(&c->lock);
	c->threaded = false;
	c->wake_fd = -1;
	pthread_mutex_unlock(&c->lock);
	last = n_loop_clients == 0;
	if (last) {
		uint64_t one = 1;

		loop_stop = true;
		if (write(loop_wake, &one, sizeof(one)) < 0)
			loop_stop = true;
	}
	pthread_mutex_unlock(&loop_lock);
	if (!last)
		return;
	pthread_join(loop_thread, NULL);
	pthread_mutex_lock(&loop_lock);
	close(loop_wake);
	loop_wake = -1;
	loop_running = false;
	loop_stop = false;
	free(loop_clients);
	loop_clients = NULL;
	loop_clients_size = 0;
	free(loop_polls);
	free(loop_watches);
	loop_polls = NULL;
	loop_watches = NULL;
	loop_polls_size = 0;
	/* a client started meanwhile waited for this: it makes a new thread */
	pthread_cond_broadcast(&loop_idle);
	pthread_mutex_unlock(&loop_lock);
}

/* atfork.c: the order of the locks across fork() */
void vasclient_thread_before_fork(void)
{
	pthread_mutex_lock(&loop_lock);
}

void vasclient_thread_after_fork_parent(void)
{
	pthread_mutex_unlock(&loop_lock);
}

/* The thread is not in the child: its clients are dead there (-ECHILD). */
void vasclient_thread_after_fork_child(void)
{
	n_loop_clients = 0;
	loop_busy = NULL;
	loop_running = false;
	if (loop_wake >= 0) {
		close(loop_wake);
		loop_wake = -1;
	}
	pthread_mutex_unlock(&loop_lock);
}
