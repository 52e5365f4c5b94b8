// SPDX-License-Identifier: GPL-2.0-only
/*
 * vasclient_start_thread(): a thread of the library's own runs the client,
 * for an application without an event loop to plug it into. One thread
 * for every such client of the process: a migration wakes it once for all
 * of them, not once a client. It exists while one client uses it, blocks
 * every signal (they stay the application's), and waits in epoll on the
 * clients' bus connections and on an eventfd that the other threads write
 * to when they changed what it should wait for (vasclient_drained() sent
 * an Inhibit, a client came or goes).
 *
 * epoll, not poll(): a migration's signal reaches the clients one at a
 * time, as the bus writes them, and a thread that keeps up wakes once a
 * client. poll() would hand the kernel every connection again at each of
 * those wakes, and the set be rebuilt under every client's mutex: the
 * work of a signal grew with the square of the clients. Here a wake costs
 * what is ready: a client is looked at again (its events and timeout)
 * after it was processed, and all of them only when the eventfd says that
 * another thread changed one.
 *
 * Locks: loop_lock, then a client's; never the other way round. The thread
 * runs vasclient_process() holding neither, so that callbacks may start
 * other clients; unref waits until the thread is done with its client.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
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
static int loop_epoll = -1;
/* On the thread: a client changed from within its own loop (a callback), so
 * every client is looked at again before the next wait, without the eventfd. */
static __thread bool on_loop_thread, loop_rescan;

/* With c->lock held. The eventfd outlives every client that may write it. */
void vasclient_wake(struct vasclient *c)
{
	uint64_t one = 1;

	if (!c->threaded)
		return;
	if (on_loop_thread) {
		loop_rescan = true;
		return;
	}
	/* a full counter wakes the thread as well */
	if (c->wake_fd >= 0 && write(c->wake_fd, &one, sizeof(one)) < 0)
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

/*
 * With c->lock held, on the thread or with loop_lock held: the bus's fd out
 * of the epoll set while it is still open (closed, it could be another
 * client's by now; a forked child's copy would keep it in the set).
 */
void vasclient_thread_unwatch(struct vasclient *c)
{
	if (c->watched_fd < 0)
		return;
	epoll_ctl(loop_epoll, EPOLL_CTL_DEL, c->watched_fd, NULL);
	c->watched_fd = -1;
}

/* With c->lock held, on the thread: what to wait for on c's behalf. */
static void watch(struct vasclient *c)
{
	struct epoll_event ev = { .data.ptr = c };
	uint64_t t = UINT64_MAX;
	int fd = c->bus ? sd_bus_get_fd(c->bus) : -1;
	int events, op;

	if (fd != c->watched_fd)
		vasclient_thread_unwatch(c);
	if (fd < 0) {
		c->due = UINT64_MAX;
		return;
	}
	events = sd_bus_get_events(c->bus);
	/* POLLIN and POLLOUT are EPOLLIN and EPOLLOUT */
	ev.events = events > 0 ? (uint32_t)events : 0;
	if (sd_bus_get_timeout(c->bus, &t) < 0)
		t = UINT64_MAX;
	if (c->retry_at && c->retry_at < t)
		t = c->retry_at;
	c->due = t;
	if (c->watched_fd >= 0 && ev.events == c->watched_events)
		return;
	op = c->watched_fd >= 0 ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(loop_epoll, op, fd, &ev) < 0) {
		/* no memory for the entry: come back to it soon */
		uint64_t soon = now_usec() + 10 * 1000;

		if (soon < c->due)
			c->due = soon;
		return;
	}
	c->watched_fd = fd;
	c->watched_events = ev.events;
}

/* On the thread, without a lock: process c unless it left meanwhile. */
static void run_client(struct vasclient *c)
{
	pthread_mutex_lock(&loop_lock);
	if (loop_stop || !loop_has(c)) {
		pthread_mutex_unlock(&loop_lock);
		return;
	}
	loop_busy = c;
	pthread_mutex_unlock(&loop_lock);

	vasclient_process(c);
	pthread_mutex_lock(&c->lock);
	watch(c);
	pthread_mutex_unlock(&c->lock);

	pthread_mutex_lock(&loop_lock);
	loop_busy = NULL;
	pthread_cond_broadcast(&loop_idle);
	pthread_mutex_unlock(&loop_lock);
}

static void *run(void *userdata)
{
	struct epoll_event events[64];
	uint64_t count, now;

	on_loop_thread = true;
	loop_rescan = true;
	for (;;) {
		uint64_t deadline = UINT64_MAX;
		int n;

		pthread_mutex_lock(&loop_lock);
		if (loop_stop) {
			pthread_mutex_unlock(&loop_lock);
			break;
		}
		if (loop_rescan) {
			loop_rescan = false;
			for (size_t i = 0; i < n_loop_clients; i++) {
				struct vasclient *c = loop_clients[i];

				pthread_mutex_lock(&c->lock);
				watch(c);
				pthread_mutex_unlock(&c->lock);
			}
		}
		for (size_t i = 0; i < n_loop_clients; i++)
			if (loop_clients[i]->due < deadline)
				deadline = loop_clients[i]->due;
		pthread_mutex_unlock(&loop_lock);

		n = epoll_wait(loop_epoll, events, sizeof(events) / sizeof(events[0]),
			       timeout_ms(deadline, now_usec()));
		/*
		 * Closed: this is a fork child's copy of the thread (a callback
		 * forked), whose clients are dead. It waits for nothing, for
		 * ever, as it did on an empty poll set, rather than spin.
		 */
		if (n < 0 && errno == EBADF)
			for (;;)
				pause();
		if (n < 0)
			n = 0;
		for (int i = 0; i < n; i++) {
			if (events[i].data.ptr) {
				run_client(events[i].data.ptr);
			} else {
				loop_rescan = true;
				if (read(loop_wake, &count, sizeof(count)) < 0)
					continue;
			}
		}

		/* the clients whose time came; the list may change meanwhile */
		now = now_usec();
		if (deadline > now)
			continue;
		for (size_t i = 0;; i++) {
			struct vasclient *c;

			bool due;

			pthread_mutex_lock(&loop_lock);
			c = i < n_loop_clients ? loop_clients[i] : NULL;
			/* c->due is the thread's own; c is not freed while listed */
			due = c && c->due <= now;
			pthread_mutex_unlock(&loop_lock);
			if (!c)
				break;
			if (due)
				run_client(c);
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
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

		loop_wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		loop_epoll = epoll_create1(EPOLL_CLOEXEC);
		if (loop_wake < 0 || loop_epoll < 0 ||
		    epoll_ctl(loop_epoll, EPOLL_CTL_ADD, loop_wake, &ev) < 0) {
			r = -errno;
			goto fail;
		}
		loop_stop = false;
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		r = -pthread_create(&loop_thread, NULL, run, NULL);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (r < 0)
			goto fail;
		loop_running = true;
	}
	loop_clients[n_loop_clients++] = c;
	pthread_mutex_lock(&c->lock);
	c->threaded = true;
	c->wake_fd = loop_wake;
	c->watched_fd = -1;
	c->due = UINT64_MAX;
	vasclient_wake(c);
	pthread_mutex_unlock(&c->lock);
out:
	pthread_mutex_unlock(&loop_lock);
	return r;
fail:
	if (loop_wake >= 0)
		close(loop_wake);
	if (loop_epoll >= 0)
		close(loop_epoll);
	loop_wake = loop_epoll = -1;
	goto out;
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
	vasclient_thread_unwatch(c);
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
	close(loop_epoll);
	loop_wake = loop_epoll = -1;
	loop_running = false;
	loop_stop = false;
	free(loop_clients);
	loop_clients = NULL;
	loop_clients_size = 0;
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
	/* the epoll set is the parent's as well: the child only lets go of it */
	if (loop_wake >= 0)
		close(loop_wake);
	if (loop_epoll >= 0)
		close(loop_epoll);
	loop_wake = loop_epoll = -1;
	pthread_mutex_unlock(&loop_lock);
}
