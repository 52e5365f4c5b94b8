// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include <event2/event.h>

#include "bus/loop.h"

/*
 * Messages one loop turn handles before the kernel's events get a turn,
 * and the time after which it stops early (one dispatch is not cut: a
 * GetManagedObjects of 10k windows takes a third of a second).
 */
#define PROCESS_BUDGET 64
#define PROCESS_BUDGET_USEC (20 * 1000)

struct bus_loop {
	struct event_base *base;
	sd_bus *bus;
	struct event *io;
	struct event *timer;
	short io_events;		/* what io watches; 0: not added */
	bus_loop_error_fn error_fn;
	void *userdata;
	bus_loop_dispatched_fn dispatched_fn;
	void *dispatched_userdata;
	bool failed;
};

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void failed(struct bus_loop *l, int error)
{
	if (l->failed)
		return;
	l->failed = true;
	event_del(l->io);
	event_del(l->timer);
	if (l->error_fn)
		l->error_fn(l, error, l->userdata);
}

static void on_event(evutil_socket_t fd, short what, void *userdata);

int bus_loop_rearm(struct bus_loop *l)
{
	uint64_t deadline, now;
	short events = 0;
	int r;

	if (l->failed)
		return -ENOTCONN;
	r = sd_bus_get_events(l->bus);
	if (r < 0)
		goto fail;
	if (r & POLLIN)
		events |= EV_READ;
	if (r & POLLOUT)
		events |= EV_WRITE;
	if (events != l->io_events) {
		/* event_assign() on a pending event is undefined: take it out first */
		event_del(l->io);
		event_assign(l->io, l->base, sd_bus_get_fd(l->bus),
			     events | EV_PERSIST, on_event, l);
		if (events && event_add(l->io, NULL) < 0) {
			r = -ENOMEM;
			goto fail;
		}
		l->io_events = events;
	}

	r = sd_bus_get_timeout(l->bus, &deadline);
	if (r < 0)
		goto fail;
	if (deadline == UINT64_MAX) {
		event_del(l->timer);
	} else {
		uint64_t rel;
		struct timeval tv;

		now = now_usec();
		rel = deadline > now ? deadline - now : 0;
		tv.tv_sec = (time_t)(rel / 1000000);
		tv.tv_usec = (suseconds_t)(rel % 1000000);
		if (evtimer_add(l->timer, &tv) < 0) {
			r = -ENOMEM;
			goto fail;
		}
	}
	return 0;
fail:
	failed(l, r);
	return r;
}

static void on_event(evutil_socket_t fd, short what, void *userdata)
{
	struct bus_loop *l = userdata;
	uint64_t start = now_usec(), before = start, after;
	int r = 0;

	for (int i = 0; i < PROCESS_BUDGET; i++) {
		r = sd_bus_process(l->bus, NULL);
		after = now_usec();
		if (r > 0 && l->dispatched_fn)
			l->dispatched_fn((after - before) * 1000, l->dispatched_userdata);
		before = after;
		if (r <= 0 || after - start >= PROCESS_BUDGET_USEC)
			break;
	}
	if (r < 0) {
		failed(l, r);
		return;
	}
	/* with messages left over, sd_bus_get_timeout() says "now" */
	bus_loop_rearm(l);
}

int bus_loop_new(struct event_base *base, sd_bus *bus, bus_loop_error_fn fn,
		 void *userdata, struct bus_loop **ret)
{
	_cleanup_(bus_loop_freep) struct bus_loop *l = NULL;
	int fd, r;

	fd = sd_bus_get_fd(bus);
	if (fd < 0)
		return fd;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->base = base;
	l->bus = sd_bus_ref(bus);
	l->io = event_new(base, fd, EV_PERSIST, on_event, l);
	l->timer = evtimer_new(base, on_event, l);
	if (!l->io || !l->timer)
		return -ENOMEM;
	r = bus_loop_rearm(l);
	if (r < 0)
		return r;
	/* set only now: a failure above is returned, not reported */
	l->error_fn = fn;
	l->userdata = userdata;
	*ret = l;
	l = NULL;
	return 0;
}

void bus_loop_set_dispatched(struct bus_loop *l, bus_loop_dispatched_fn fn,
			     void *userdata)
{
	l->dispatched_fn = fn;
	l->dispatched_userdata = userdata;
}

struct bus_loop *bus_loop_free(struct bus_loop *l)
{
	if (!l)
		return NULL;
	if (l->io)
		event_free(l->io);
	if (l->timer)
		event_free(l->timer);
	sd_bus_unref(l->bus);
	free(l);
	return NULL;
}
