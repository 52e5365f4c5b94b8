// SPDX-License-Identifier: GPL-2.0-only
/*
 * vasclient_start_thread(): a thread of the library's own runs the client,
 * for an application without an event loop to plug it into. It waits on
 * the bus connection and on an eventfd that the other threads write to
 * when they changed what it should wait for (vasclient_drained() sent an
 * Inhibit, unref wants it gone). It blocks every signal: they stay the
 * application's.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

void vasclient_wake(struct vasclient *c)
{
	uint64_t one = 1;

	/* a full counter wakes the thread as well */
	if (c->threaded && c->wake_fd >= 0 && write(c->wake_fd, &one, sizeof(one)) < 0)
		return;
}

static int timeout_ms(uint64_t deadline)
{
	struct timespec ts;
	uint64_t now;

	if (deadline == UINT64_MAX)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	if (deadline <= now)
		return 0;
	/* round up: waking early only to wait again costs a turn */
	deadline = (deadline - now + 999) / 1000;
	return deadline > INT32_MAX ? INT32_MAX : (int)deadline;
}

static void *run(void *userdata)
{
	struct vasclient *c = userdata;
	struct pollfd p[2];
	uint64_t deadline, count;
	nfds_t n;
	int r;

	for (;;) {
		pthread_mutex_lock(&c->lock);
		if (c->stopping) {
			pthread_mutex_unlock(&c->lock);
			break;
		}
		p[0] = (struct pollfd){ .fd = c->wake_fd, .events = POLLIN };
		n = 1;
		deadline = UINT64_MAX;
		if (c->bus) {
			p[1] = (struct pollfd){ .fd = sd_bus_get_fd(c->bus),
						.events = (short)sd_bus_get_events(c->bus) };
			n = 2;
			if (sd_bus_get_timeout(c->bus, &deadline) < 0)
				deadline = UINT64_MAX;
			if (c->retry_at && c->retry_at < deadline)
				deadline = c->retry_at;
		}
		pthread_mutex_unlock(&c->lock);

		r = poll(p, n, timeout_ms(deadline));
		if (r < 0 && errno != EINTR)
			break;
		if (p[0].revents & POLLIN && read(c->wake_fd, &count, sizeof(count)) < 0)
			continue;
		if (n == 2)
			vasclient_process(c);
	}
	return NULL;
}

/* With c->lock held. */
int vasclient_thread_start(struct vasclient *c)
{
	sigset_t all, old;
	int r;

	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->wake_fd < 0)
		return -errno;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = -pthread_create(&c->thread, NULL, run, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		close(c->wake_fd);
		c->wake_fd = -1;
		return r;
	}
	c->threaded = true;
	return 0;
}

void vasclient_thread_stop(struct vasclient *c)
{
	pthread_mutex_lock(&c->lock);
	if (!c->threaded) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	c->stopping = true;
	vasclient_wake(c);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	c->threaded = false;
}
