/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Many sd-bus connections on one epoll set, for the programs that play a
 * crowd of bus clients (tests/host/delay-clients, bench/signal-fanout).
 */
#pragma once

#include <stdint.h>

#include <systemd/sd-bus.h>

/*
 * Dispatch what bus holds already read, then make epoll_fd watch for what
 * bus waits for (POLLOUT only while it has output queued). *events is
 * what the set watches for this connection now; the epoll entry's data is
 * left as it is. Returns 0 or a negative errno.
 */
int bus_epoll_rearm(int epoll_fd, sd_bus *bus, void *data, uint32_t *events);
