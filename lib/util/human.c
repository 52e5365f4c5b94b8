// SPDX-License-Identifier: GPL-2.0-only
/* human: values as people read them. See human.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int human_parse_bytes(const char *s, int64_t *ret)
{
	static const char units[] = "KMGT";
	unsigned long long v;
	const char *u;
	char *end;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || s[0] == '-' || s[0] == '+' || s[0] == ' ')
		return -EINVAL;
	if (errno)
		return -ERANGE;
	if (*end && (u = strchr(units, *end & ~0x20)) && *u) {
		shift = 10 * (int)(u - units + 1);
		end++;
		/* "64MiB" reads as people mean it */
		if (end[0] == 'i' && end[1] == 'B')
			end += 2;
	}
	if (*end)
		return -EINVAL;
	if (v > (unsigned long long)INT64_MAX >> shift)
		return -ERANGE;
	*ret = (int64_t)(v << shift);
	return 0;
}

int human_parse_timespan(const char *s, uint64_t *ret_usec)
{
	static const struct {
		const char *name;
		uint64_t usec;
	} units[] = {
		{ "", USEC_PER_SEC },
		{ "s", USEC_PER_SEC },
		{ "min", 60 * USEC_PER_SEC },
		{ "h", 3600 * USEC_PER_SEC },
		{ "d", 86400 * USEC_PER_SEC },
		{ "w", 7 * 86400 * USEC_PER_SEC },
		{ "month", 2629800 * USEC_PER_SEC },
		{ "y", 31557600 * USEC_PER_SEC },
	};
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || s[0] == '-' || s[0] == '+' || s[0] == ' ')
		return -EINVAL;
	if (errno)
		return -ERANGE;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].name) != 0)
			continue;
		if (v > UINT64_MAX / units[i].usec)
			return -ERANGE;
		*ret_usec = (uint64_t)v * units[i].usec;
		return 0;
	}
	return -EINVAL;
}
