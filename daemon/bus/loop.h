/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * bus-loop: an sd-bus connection driven by a libevent loop. sd-bus says
 * which fd, which poll events and which absolute CLOCK_MONOTONIC deadline
 * it waits for; the loop watches exactly those and calls sd_bus_process()
 * until it has nothing left (at most a budget of messages, and of time, per
 * loop turn, so a flood of calls cannot starve the kernel's events or
 * delay a signal), then asks sd-bus again. What sd-bus wants changes whenever a message is queued, so code
 * that sends outside sd_bus_process() (a callback of another event) calls
 * bus_loop_rearm() afterwards.
 *
 * Nothing here blocks on the connection.
 */
#pragma once

#include <systemd/sd-bus.h>

#include "util/macro.h"

struct event_base;
struct bus_loop;

/* The connection failed (sd_bus_process() returned error, a negative errno). */
typedef void (*bus_loop_error_fn)(struct bus_loop *l, int error, void *userdata);

int bus_loop_new(struct event_base *base, sd_bus *bus, bus_loop_error_fn fn,
		 void *userdata, struct bus_loop **ret);
struct bus_loop *bus_loop_free(struct bus_loop *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct bus_loop, bus_loop_free)

int bus_loop_rearm(struct bus_loop *l);

/* Told, after each sd_bus_process() that dispatched, how long it took (ns). */
typedef void (*bus_loop_dispatched_fn)(uint64_t elapsed, void *userdata);
void bus_loop_set_dispatched(struct bus_loop *l, bus_loop_dispatched_fn fn,
			     void *userdata);
