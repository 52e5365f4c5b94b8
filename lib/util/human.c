// SPDX-License-Identifier: GPL-2.0-only
/* human: values as people read them. See human.h. */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "util/human.h"
#include "util/macro.h"

const char *human_bytes(char buf[static HUMAN_BYTES_MAX], int64_t bytes)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	size_t i = 0;

	if (bytes < 1024) {
		snprintf(buf, HUMAN_BYTES_MAX, "%" PRId64 "B", bytes);
		return buf;
	}
	v /= 1024;
	while (v >= 1024 && i + 1 < sizeof(units) - 1) {
		v /= 1024;
		i++;
	}
	snprintf(buf, HUMAN_BYTES_MAX, "%.1f%c", v, units[i]);
	return buf;
}

const char *human_timespan(char buf[static HUMAN_TIMESPAN_MAX], uint64_t usec)
{
	static const struct {
		const char *suffix;
		uint64_t usec;
	} units[] = {
		{ "y", 31557600ULL * USEC_PER_SEC },	/* 365.25 days, as systemd has it */
		{ "month", 2629800ULL * USEC_PER_SEC },
		{ "w", 7 * 86400ULL * USEC_PER_SEC },
		{ "d", 86400ULL * USEC_PER_SEC },
		{ "h", 3600ULL * USEC_PER_SEC },
		{ "min", 60ULL * USEC_PER_SEC },
		{ "s", USEC_PER_SEC },
		{ "ms", 1000ULL },
		{ "us", 1ULL },
	};
	size_t len = 0, shown = 0;

	if (usec == 0) {
		snprintf(buf, HUMAN_TIMESPAN_MAX, "0");
		return buf;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < ELEMENTSOF(units) && shown < 2 && usec; i++) {
		uint64_t n = usec / units[i].usec;

		if (!n) {
			/* "2h 5s" would skip a unit: two adjacent ones or one */
			if (shown)
				break;
			continue;
		}
		usec %= units[i].usec;
		len += (size_t)snprintf(buf + len, HUMAN_TIMESPAN_MAX - len,
					"%s%" PRIu64 "%s", shown ? " " : "", n,
					units[i].suffix);
		shown++;
	}
	return buf;
}

const char *human_age(char buf[static HUMAN_TIMESPAN_MAX], uint64_t now_ns,
		      uint64_t then_ns)
{
	uint64_t usec;

	if (then_ns >= now_ns)
		return human_timespan(buf, 0);
	usec = (now_ns - then_ns) / NSEC_PER_USEC;
	if (usec >= USEC_PER_SEC)
		usec -= usec % USEC_PER_SEC;
	else
		usec -= usec % 1000;
	return human_timespan(buf, usec);
}

const char *human_timestamp(char buf[static HUMAN_TIMESTAMP_MAX], uint64_t ns,
			    bool usec, bool utc)
{
	time_t sec = (time_t)(ns / NSEC_PER_SEC);
	size_t n;
	struct tm tm;

	if ((uint64_t)sec != ns / NSEC_PER_SEC)
		return NULL;
	if (!(utc ? gmtime_r(&sec, &tm) : localtime_r(&sec, &tm)))
		return NULL;
	n = strftime(buf, HUMAN_TIMESTAMP_MAX, "%Y-%m-%d %H:%M:%S", &tm);
	if (n == 0)
		return NULL;
	if (usec)
		snprintf(buf + n, HUMAN_TIMESTAMP_MAX - n, ".%06" PRIu64,
			 ns % NSEC_PER_SEC / NSEC_PER_USEC);
	return buf;
}
