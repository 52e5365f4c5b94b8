// SPDX-License-Identifier: GPL-2.0-only
/* human: sizes, spans, ages and times, at their edges. */
#include <errno.h>
#include <stdint.h>

#include "util/human.h"
#include "test.h"

static void test_bytes(void)
{
	char buf[HUMAN_BYTES_MAX];

	ASSERT_STR_EQ(human_bytes(buf, 0), "0B");
	ASSERT_STR_EQ(human_bytes(buf, 1023), "1023B");
	ASSERT_STR_EQ(human_bytes(buf, 1024), "1.0K");
	ASSERT_STR_EQ(human_bytes(buf, 3395584), "3.2M");
	ASSERT_STR_EQ(human_bytes(buf, 1024LL * 1024 * 1024 * 5), "5.0G");
	ASSERT_STR_EQ(human_bytes(buf, INT64_MAX), "8.0E");
}

static void test_timespan(void)
{
	char buf[HUMAN_TIMESPAN_MAX];

	ASSERT_STR_EQ(human_timespan(buf, 0), "0");
	ASSERT_STR_EQ(human_timespan(buf, 1), "1us");
	ASSERT_STR_EQ(human_timespan(buf, 1500), "1ms 500us");
	ASSERT_STR_EQ(human_timespan(buf, 250000), "250ms");
	ASSERT_STR_EQ(human_timespan(buf, 5000000), "5s");
	ASSERT_STR_EQ(human_timespan(buf, 1500000), "1s 500ms");
	ASSERT_STR_EQ(human_timespan(buf, 90 * USEC_PER_SEC), "1min 30s");
	/* two units at most, and adjacent ones: the rest is cut */
	ASSERT_STR_EQ(human_timespan(buf, 3723 * USEC_PER_SEC + 17), "1h 2min");
	ASSERT_STR_EQ(human_timespan(buf, 7205 * USEC_PER_SEC), "2h");
	ASSERT_STR_EQ(human_timespan(buf, (3 * 86400 + 4 * 3600) * USEC_PER_SEC),
		      "3d 4h");
	ASSERT_STR_EQ(human_timespan(buf, 8 * 86400 * USEC_PER_SEC), "1w 1d");
	ASSERT_STR_EQ(human_timespan(buf, UINT64_MAX), "584542y");
}

static void test_age(void)
{
	char buf[HUMAN_TIMESPAN_MAX];
	uint64_t now = 1764331234123456789ULL;

	ASSERT_STR_EQ(human_age(buf, now, now), "0");
	ASSERT_STR_EQ(human_age(buf, now, now + 1), "0");
	ASSERT_STR_EQ(human_age(buf, now, now - 1234567), "1ms");
	ASSERT_STR_EQ(human_age(buf, now, now - 182 * NSEC_PER_SEC - 999999),
		      "3min 2s");
	ASSERT_STR_EQ(human_age(buf, now, 0), "55y 10month");
}

static void test_timestamp(void)
{
	char buf[HUMAN_TIMESTAMP_MAX];

	ASSERT_STR_EQ(human_timestamp(buf, 1764331234123456789ULL, false, true),
		      "2025-11-28 12:00:34");
	ASSERT_STR_EQ(human_timestamp(buf, 1764331234123456789ULL, true, true),
		      "2025-11-28 12:00:34.123456");
	ASSERT_STR_EQ(human_timestamp(buf, 0, true, true),
		      "1970-01-01 00:00:00.000000");
	ASSERT_STR_EQ(human_timestamp(buf, UINT64_MAX, false, true),
		      "2554-07-21 23:34:33");
}

static void test_parse(void)
{
	int64_t b = -1;
	uint64_t u = 1;

	ASSERT_INT_EQ(human_parse_bytes("4096", &b), 0);
	ASSERT_INT_EQ(b, 4096);
	ASSERT_INT_EQ(human_parse_bytes("512K", &b), 0);
	ASSERT_INT_EQ(b, 512 * 1024);
	ASSERT_INT_EQ(human_parse_bytes("64M", &b), 0);
	ASSERT_INT_EQ(b, 64 << 20);
	ASSERT_INT_EQ(human_parse_bytes("64MiB", &b), 0);
	ASSERT_INT_EQ(b, 64 << 20);
	ASSERT_INT_EQ(human_parse_bytes("4g", &b), 0);
	ASSERT_INT_EQ(b, INT64_C(4) << 30);
	ASSERT_INT_EQ(human_parse_bytes("0", &b), 0);
	ASSERT_INT_EQ(b, 0);
	ASSERT_INT_EQ(human_parse_bytes("", &b), -EINVAL);
	ASSERT_INT_EQ(human_parse_bytes("-1", &b), -EINVAL);
	ASSERT_INT_EQ(human_parse_bytes("1X", &b), -EINVAL);
	ASSERT_INT_EQ(human_parse_bytes("1M ", &b), -EINVAL);
	ASSERT_INT_EQ(human_parse_bytes("9000000T", &b), -ERANGE);
	ASSERT_INT_EQ(human_parse_bytes("99999999999999999999", &b), -ERANGE);

	ASSERT_INT_EQ(human_parse_timespan("90", &u), 0);
	ASSERT_UINT_EQ(u, 90 * USEC_PER_SEC);
	ASSERT_INT_EQ(human_parse_timespan("30min", &u), 0);
	ASSERT_UINT_EQ(u, 1800 * USEC_PER_SEC);
	ASSERT_INT_EQ(human_parse_timespan("7d", &u), 0);
	ASSERT_UINT_EQ(u, 7 * 86400 * USEC_PER_SEC);
	ASSERT_INT_EQ(human_parse_timespan("1y", &u), 0);
	ASSERT_UINT_EQ(u, 31557600 * USEC_PER_SEC);
	ASSERT_INT_EQ(human_parse_timespan("3 d", &u), -EINVAL);
	ASSERT_INT_EQ(human_parse_timespan("d", &u), -EINVAL);
	ASSERT_INT_EQ(human_parse_timespan("1m", &u), -EINVAL);
	ASSERT_INT_EQ(human_parse_timespan("-1h", &u), -EINVAL);
	ASSERT_INT_EQ(human_parse_timespan("99999999999999y", &u), -ERANGE);
}

int main(void)
{
	test_parse();
	test_bytes();
	test_timespan();
	test_age();
	test_timestamp();
	return 0;
}
