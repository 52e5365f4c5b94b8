// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>

#include "bus-epoll.h"

int bus_epoll_rearm(int epoll_fd, sd_bus *bus, void *data, uint32_t *events)
{
	struct epoll_event ev = { .data.ptr = data };
	int r;

	/* no POLLIN: sd-bus holds messages read but not dispatched yet */
	while ((r = sd_bus_get_events(bus)) >= 0 && !(r & POLLIN)) {
		r = sd_bus_process(bus, NULL);
		if (r <= 0)
			break;
	}
	if (r < 0)
		return r;
	r = sd_bus_get_events(bus);
	if (r < 0)
		return r;
	ev.events = (r & POLLIN ? EPOLLIN : 0) | (r & POLLOUT ? EPOLLOUT : 0);
	if (ev.events == *events)
		return 0;
	if (epoll_ctl(epoll_fd, EPOLL_CTL_MOD, sd_bus_get_fd(bus), &ev) < 0)
		return -errno;
	*events = ev.events;
	return 0;
}
