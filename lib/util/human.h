/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * human: sizes, time spans and times as people read them ("3.2M",
 * "1min 30s", "2026-01-02 03:04:05"). Pure: no I/O, no globals; the
 * time of day reads the time zone, as localtime_r() does.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HUMAN_BYTES_MAX 24
#define HUMAN_TIMESPAN_MAX 32
#define HUMAN_TIMESTAMP_MAX 48

#define NSEC_PER_USEC UINT64_C(1000)
#define USEC_PER_SEC UINT64_C(1000000)
#define NSEC_PER_SEC UINT64_C(1000000000)

/* 1023B, 1.0K, 152.3M: binary units, one decimal. */
const char *human_bytes(char buf[static HUMAN_BYTES_MAX], int64_t bytes);

/*
 * The two largest non-zero units of a span of microseconds: "5s",
 * "1min 30s", "2h 5min", "3d 4h", "250ms", "1ms 500us"; "0" for none.
 */
const char *human_timespan(char buf[static HUMAN_TIMESPAN_MAX], uint64_t usec);

/*
 * How long ago then_ns was at now_ns (CLOCK_REALTIME ns), to the second
 * ("3min 2s"), to the millisecond under a second; "0" when then_ns is not
 * in the past.
 */
const char *human_age(char buf[static HUMAN_TIMESPAN_MAX], uint64_t now_ns,
		      uint64_t then_ns);

/*
 * A CLOCK_REALTIME time in ns as "2026-01-02 03:04:05", with usec
 * ".123456" appended; local time, or UTC. NULL when the time cannot be
 * represented.
 */
const char *human_timestamp(char buf[static HUMAN_TIMESTAMP_MAX], uint64_t ns,
			    bool usec, bool utc);

/*
 * A size as people write it: "4096", "512K", "64M", "4G", "1T" (binary
 * units, K = 1024); -EINVAL for anything else or a negative one,
 * -ERANGE past INT64_MAX.
 */
int human_parse_bytes(const char *s, int64_t *ret);

/*
 * A time span as one number and a unit: "90s", "30min", "12h", "7d",
 * "2w", "6month" (30.44 days), "1y" (365.25 days), or plain seconds;
 * -EINVAL for anything else, -ERANGE past UINT64_MAX microseconds.
 */
int human_parse_timespan(const char *s, uint64_t *ret_usec);
