// SPDX-License-Identifier: GPL-2.0-only
/* vas_format_msg(): the exact lines, cut lines, the longest line. */
#include <stdint.h>

#include "netlink/vas-format.h"
#include "test.h"

#define GEN 0x8c3f0a1b2c3d4e5fULL
#define TS 1764331234123456789ULL

static const char *fmt(const struct vas_msg *m)
{
	static char line[VAS_FORMAT_LINE_MAX];
	size_t n = vas_format_msg(line, sizeof(line), m);

	ASSERT_UINT_EQ(n, strlen(line));
	return line;
}

static struct vas_msg window_msg(uint8_t cmd, uint32_t state, uint32_t reason)
{
	struct vas_msg m = {
		.cmd = cmd,
		.has = VAS_MSG_HAS_GENERATION | VAS_MSG_HAS_SEQ |
		       VAS_MSG_HAS_WINDOW,
		.generation = GEN,
		.seq = 12,
		.window = {
			.id = 3,
			.tgid = 812,
			.pid = 813,
			.comm = "nxclient",
			.type = VAS_WIN_TYPE_DEFAULT,
			.state = state,
			.reason = reason,
			.opened_at = TS,
		},
	};

	if (cmd != VAS_CMD_WINDOW_GET) {
		m.has |= VAS_MSG_HAS_TIMESTAMP;
		m.timestamp = TS;
	}
	return m;
}

static void test_window(void)
{
	struct vas_msg m;

	m = window_msg(VAS_CMD_WINDOW_ADD_NTF, VAS_WIN_STATE_ACTIVE,
		       VAS_SUSPEND_REASON_NONE);
	ASSERT_STR_EQ(fmt(&m),
		      "KERNEL[1764331234.123456] window-add      seq=12 gen=8c3f0a1b2c3d4e5f "
		      "id=3 type=default state=active tgid=812 pid=813 comm=nxclient");

	m = window_msg(VAS_CMD_WINDOW_CHANGE_NTF, VAS_WIN_STATE_SUSPENDED,
		       VAS_SUSPEND_REASON_MIGRATION);
	ASSERT_STR_EQ(fmt(&m),
		      "KERNEL[1764331234.123456] window-change   seq=12 gen=8c3f0a1b2c3d4e5f "
		      "id=3 type=default state=suspended reason=migration tgid=812 pid=813 comm=nxclient");

	m = window_msg(VAS_CMD_WINDOW_DEL_NTF, VAS_WIN_STATE_SUSPENDED,
		       VAS_SUSPEND_REASON_CREDITS);
	m.window.type = VAS_WIN_TYPE_QOS;
	ASSERT_STR_EQ(fmt(&m),
		      "KERNEL[1764331234.123456] window-del      seq=12 gen=8c3f0a1b2c3d4e5f "
		      "id=3 type=qos state=suspended reason=credits tgid=812 pid=813 comm=nxclient");

	/* a dump part: no timestamp */
	m = window_msg(VAS_CMD_WINDOW_GET, VAS_WIN_STATE_ACTIVE,
		       VAS_SUSPEND_REASON_NONE);
	ASSERT_STR_EQ(fmt(&m),
		      "KERNEL[snapshot] window          seq=12 gen=8c3f0a1b2c3d4e5f "
		      "id=3 type=default state=active tgid=812 pid=813 comm=nxclient");
}

static void test_caps_and_migration(void)
{
	struct vas_msg m = {
		.cmd = VAS_CMD_CAPS_CHANGE_NTF,
		.has = VAS_MSG_HAS_GENERATION | VAS_MSG_HAS_SEQ |
		       VAS_MSG_HAS_TIMESTAMP | VAS_MSG_HAS_CAPS,
		.generation = 1,
		.seq = 99,
		.timestamp = 5000,	/* 5 us after the epoch */
		.caps = { .type = VAS_WIN_TYPE_QOS, .total = 8, .used = 3 },
	};

	ASSERT_STR_EQ(fmt(&m),
		      "KERNEL[0.000005] credits-change  seq=99 gen=0000000000000001 "
		      "type=qos total=8 used=3");

	m.cmd = VAS_CMD_CAPS_GET;
	m.has &= ~(unsigned int)VAS_MSG_HAS_TIMESTAMP;
	ASSERT_STR_EQ(fmt(&m),
		      "KERNEL[snapshot] credits         seq=99 gen=0000000000000001 "
		      "type=qos total=8 used=3");

	m = (struct vas_msg){
		.cmd = VAS_CMD_MIGRATION_CHANGE_NTF,
		.has = VAS_MSG_HAS_GENERATION | VAS_MSG_HAS_SEQ |
		       VAS_MSG_HAS_TIMESTAMP | VAS_MSG_HAS_MIGRATION,
		.generation = GEN,
		.seq = 13,
		.timestamp = TS,
		.migration = {
			.stream_id = 42,
			.phase = VAS_MIGRATION_PHASE_PREPARE,
			.token = 0xfeedfacecafebeefULL,
		},
	};
	ASSERT_STR_EQ(fmt(&m),
		      "KERNEL[1764331234.123456] migration-phase seq=13 gen=8c3f0a1b2c3d4e5f "
		      "stream=42 phase=prepare token=feedfacecafebeef");

	m.cmd = VAS_CMD_MIGRATION_GET;
	m.has &= ~(unsigned int)VAS_MSG_HAS_TIMESTAMP;
	m.migration = (struct vas_migration){ .phase = VAS_MIGRATION_PHASE_NONE };
	ASSERT_STR_EQ(fmt(&m),
		      "KERNEL[snapshot] migration       seq=13 gen=8c3f0a1b2c3d4e5f "
		      "stream=0 phase=none token=0000000000000000");
}

/* Values a newer kernel may send show as numbers; comm cannot break the line. */
static void test_unknown_and_escapes(void)
{
	struct vas_msg m = window_msg(VAS_CMD_WINDOW_CHANGE_NTF, 7, 9);

	m.window.type = 5;
	memcpy(m.window.comm, "a b\\c\x01\x7f\xc3\xa9", 10);
	ASSERT_STR_EQ(fmt(&m),
		      "KERNEL[1764331234.123456] window-change   seq=12 gen=8c3f0a1b2c3d4e5f "
		      "id=3 type=5 state=7 reason=9 tgid=812 pid=813 "
		      "comm=a\\x20b\\x5cc\\x01\\x7f\\xc3\\xa9");

	m = (struct vas_msg){ .cmd = VAS_CMD_COORD_UNREGISTER };
	ASSERT_STR_EQ(fmt(&m), "KERNEL[snapshot] coord-unregister");
	m = (struct vas_msg){ .cmd = 200 };
	ASSERT_STR_EQ(fmt(&m), "KERNEL[snapshot] cmd-200        ");
}

/* snprintf semantics: the full length is returned, the line cut and NUL-terminated. */
static void test_truncation(void)
{
	struct vas_msg m = window_msg(VAS_CMD_WINDOW_ADD_NTF,
				      VAS_WIN_STATE_ACTIVE,
				      VAS_SUSPEND_REASON_NONE);
	char full[VAS_FORMAT_LINE_MAX], cut[12];
	size_t n = vas_format_msg(full, sizeof(full), &m);

	ASSERT_UINT_EQ(vas_format_msg(cut, sizeof(cut), &m), n);
	ASSERT_STR_EQ(cut, "KERNEL[1764");
	ASSERT_UINT_EQ(vas_format_msg(NULL, 0, &m), n);
	cut[0] = 'x';
	ASSERT_UINT_EQ(vas_format_msg(cut, 1, &m), n);
	ASSERT_UINT_EQ(cut[0], '\0');
}

/* Every field present, every number at its widest, comm all escapes. */
static void test_longest(void)
{
	struct vas_msg m = {
		.cmd = VAS_CMD_COORD_UNREGISTER,
		.has = ~0u,
		.generation = UINT64_MAX,
		.seq = UINT64_MAX,
		.timestamp = UINT64_MAX,
		.token = UINT64_MAX,
		.window = {
			.id = UINT32_MAX, .tgid = UINT32_MAX,
			.pid = UINT32_MAX, .type = UINT32_MAX,
			.state = UINT32_MAX, .reason = UINT32_MAX,
		},
		.caps = { UINT32_MAX, UINT32_MAX, UINT32_MAX },
		.migration = { UINT64_MAX, UINT32_MAX, UINT64_MAX },
	};

	memset(m.window.comm, 0x01, VAS_COMM_MAX - 1);
	ASSERT(vas_format_msg(NULL, 0, &m) < VAS_FORMAT_LINE_MAX);
}

int main(void)
{
	test_window();
	test_caps_and_migration();
	test_unknown_and_escapes();
	test_truncation();
	test_longest();
	return EXIT_SUCCESS;
}
