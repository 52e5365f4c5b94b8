// SPDX-License-Identifier: GPL-2.0-only
/*
 * vas_msg_decode(): messages are built in memory with libmnl the way the
 * kernel builds them (pad attributes before u64s, NLA_F_NESTED on nests),
 * decoded, and broken in every way the decoder must notice.
 */
#include <errno.h>
#include <stdint.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>

#include "netlink/vas-format.h"
#include "netlink/vas-msg.h"
#include "test.h"
#include "test-fixtures.h"

/* Any id at or above NLMSG_MIN_TYPE: the kernel picks the family's. */
#define FAMILY_ID 0x1b

#define GEN 0x8c3f0a1b2c3d4e5fULL

/* 8-byte aligned, as a socket buffer is, so the pads land as in the kernel */
static union {
	struct nlmsghdr nlh;
	uint64_t align;
	uint8_t bytes[4096];
} buf;

static struct nlmsghdr *msg_begin(uint8_t cmd)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	memset(&buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf.bytes);
	nlh->nlmsg_type = FAMILY_ID;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = VAS_FAMILY_VERSION;
	return nlh;
}

/* nla_put_u64_64bit(): a zero-length pad first if the value would not be aligned */
static void put_u64(struct nlmsghdr *nlh, uint16_t type, uint16_t pad,
		    uint64_t v)
{
	uintptr_t tail = (uintptr_t)mnl_nlmsg_get_payload_tail(nlh);

	if ((tail + MNL_ATTR_HDRLEN) % 8)
		mnl_attr_put(nlh, pad, 0, NULL);
	mnl_attr_put_u64(nlh, type, v);
}

static void put_ids(struct nlmsghdr *nlh, uint64_t seq, int with_ts)
{
	put_u64(nlh, VAS_A_GENERATION, VAS_A_PAD, GEN);
	put_u64(nlh, VAS_A_SEQ, VAS_A_PAD, seq);
	if (with_ts)
		put_u64(nlh, VAS_A_TIMESTAMP, VAS_A_PAD, TS);
}

/* Everything of a window but the attribute "skip" (0: none), unnested. */
static void put_window_attrs(struct nlmsghdr *nlh, const struct vas_window *w,
			     uint16_t skip)
{
	if (skip != VAS_A_WINDOW_ID)
		mnl_attr_put_u32(nlh, VAS_A_WINDOW_ID, w->id);
	if (skip != VAS_A_WINDOW_TGID)
		mnl_attr_put_u32(nlh, VAS_A_WINDOW_TGID, w->tgid);
	if (skip != VAS_A_WINDOW_PID)
		mnl_attr_put_u32(nlh, VAS_A_WINDOW_PID, w->pid);
	if (skip != VAS_A_WINDOW_COMM)
		mnl_attr_put_strz(nlh, VAS_A_WINDOW_COMM, w->comm);
	if (skip != VAS_A_WINDOW_COP)
		mnl_attr_put_u32(nlh, VAS_A_WINDOW_COP, w->cop);
	if (skip != VAS_A_WINDOW_TYPE)
		mnl_attr_put_u32(nlh, VAS_A_WINDOW_TYPE, w->type);
	if (skip != VAS_A_WINDOW_STATE)
		mnl_attr_put_u32(nlh, VAS_A_WINDOW_STATE, w->state);
	if (skip != VAS_A_WINDOW_REASON)
		mnl_attr_put_u32(nlh, VAS_A_WINDOW_REASON, w->reason);
	if (skip != VAS_A_WINDOW_OPENED_AT)
		put_u64(nlh, VAS_A_WINDOW_OPENED_AT, VAS_A_WINDOW_PAD,
			w->opened_at);
	/* as a kernel before it: an unknown uid is not sent */
	if (skip != VAS_A_WINDOW_UID && w->uid != VAS_UID_UNKNOWN)
		mnl_attr_put_u32(nlh, VAS_A_WINDOW_UID, w->uid);
}

static void put_window_but(struct nlmsghdr *nlh, const struct vas_window *w,
			   uint16_t skip)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, VAS_A_WINDOW);

	put_window_attrs(nlh, w, skip);
	mnl_attr_nest_end(nlh, nest);
}

static void put_window(struct nlmsghdr *nlh, const struct vas_window *w)
{
	put_window_but(nlh, w, 0);
}

static void put_caps(struct nlmsghdr *nlh, uint32_t type, uint32_t total,
		     uint32_t used)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, VAS_A_CAPS);

	mnl_attr_put_u32(nlh, VAS_A_CAPS_TYPE, type);
	mnl_attr_put_u32(nlh, VAS_A_CAPS_TOTAL, total);
	mnl_attr_put_u32(nlh, VAS_A_CAPS_USED, used);
	mnl_attr_nest_end(nlh, nest);
}

static void put_migration(struct nlmsghdr *nlh, uint64_t stream,
			  uint32_t phase, uint64_t token)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, VAS_A_MIGRATION);

	put_u64(nlh, VAS_A_MIGRATION_STREAM_ID, VAS_A_MIGRATION_PAD, stream);
	mnl_attr_put_u32(nlh, VAS_A_MIGRATION_PHASE, phase);
	put_u64(nlh, VAS_A_MIGRATION_TOKEN, VAS_A_MIGRATION_PAD, token);
	mnl_attr_nest_end(nlh, nest);
}

static struct nlmsghdr *window_msg(uint8_t cmd)
{
	struct nlmsghdr *nlh = msg_begin(cmd);

	put_ids(nlh, 12, cmd != VAS_CMD_WINDOW_GET);
	put_window(nlh, &sample_window);
	return nlh;
}

/* Decode must fail with r and exactly err, leaving *ret untouched. */
static void expect_fail(const void *p, size_t len, int r, const char *err)
{
	struct vas_msg m, canary;
	const char *e = NULL;

	memset(&m, 0xa5, sizeof(m));
	memcpy(&canary, &m, sizeof(m));
	ASSERT_INT_EQ(vas_msg_decode(p, len, &m, &e), r);
	ASSERT_STR_EQ(e, err);
	ASSERT(memcmp(&m, &canary, sizeof(m)) == 0);
	/* ret_err is optional */
	ASSERT_INT_EQ(vas_msg_decode(p, len, &m, NULL), r);
}

static void expect_msg_fail(const struct nlmsghdr *nlh, const char *err)
{
	expect_fail(nlh, nlh->nlmsg_len, -EBADMSG, err);
}

static void decode_ok(const struct nlmsghdr *nlh, struct vas_msg *m)
{
	const char *e = NULL;
	int r;

	r = vas_msg_decode(nlh, nlh->nlmsg_len, m, &e);
	if (r < 0)
		TEST_FAIL("decode failed: %d %s", r, e);
}

static void test_window_msgs(void)
{
	static const uint8_t cmds[] = {
		VAS_CMD_WINDOW_GET, VAS_CMD_WINDOW_ADD_NTF,
		VAS_CMD_WINDOW_DEL_NTF, VAS_CMD_WINDOW_CHANGE_NTF,
	};

	for (size_t i = 0; i < sizeof(cmds); i++) {
		struct nlmsghdr *nlh = window_msg(cmds[i]);
		unsigned int has = VAS_MSG_HAS_GENERATION | VAS_MSG_HAS_SEQ |
				   VAS_MSG_HAS_WINDOW;
		struct vas_msg m;

		if (cmds[i] != VAS_CMD_WINDOW_GET)
			has |= VAS_MSG_HAS_TIMESTAMP;
		decode_ok(nlh, &m);
		ASSERT_INT_EQ(m.cmd, cmds[i]);
		ASSERT_UINT_EQ(m.has, has);
		ASSERT_UINT_EQ(m.generation, GEN);
		ASSERT_UINT_EQ(m.seq, 12);
		if (has & VAS_MSG_HAS_TIMESTAMP)
			ASSERT_UINT_EQ(m.timestamp, TS);
		ASSERT_UINT_EQ(m.window.id, 3);
		ASSERT_UINT_EQ(m.window.tgid, 812);
		ASSERT_UINT_EQ(m.window.pid, 813);
		ASSERT_STR_EQ(m.window.comm, "nxclient");
		ASSERT_UINT_EQ(m.window.cop, VAS_COP_GZIP);
		ASSERT_UINT_EQ(m.window.type, VAS_WIN_TYPE_QOS);
		ASSERT_UINT_EQ(m.window.state, VAS_WIN_STATE_SUSPENDED);
		ASSERT_UINT_EQ(m.window.reason, VAS_SUSPEND_REASON_MIGRATION);
		ASSERT_UINT_EQ(m.window.opened_at, TS - 5);
		ASSERT_UINT_EQ(m.window.uid, 1001);
	}
}

/* A window change whose window ends with a uid of these bytes (twice: after one). */
static struct nlmsghdr *uid_msg(const void *payload, uint16_t len, bool twice)
{
	struct nlmsghdr *nlh = msg_begin(VAS_CMD_WINDOW_CHANGE_NTF);
	struct nlattr *nest;

	put_ids(nlh, 3, 1);
	nest = mnl_attr_nest_start(nlh, VAS_A_WINDOW);
	put_window_attrs(nlh, &sample_window, twice ? 0 : VAS_A_WINDOW_UID);
	mnl_attr_put(nlh, VAS_A_WINDOW_UID, len, payload);
	mnl_attr_nest_end(nlh, nest);
	return nlh;
}

/* VAS_A_WINDOW_UID: optional (added after the others), a u32 when there. */
static void test_window_uid(void)
{
	struct vas_window w = sample_window;
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	struct vas_msg m;
	uint16_t u16 = 7;
	uint32_t u32 = 1001;

	/* a kernel that does not send it: not known, and nothing else lost */
	nlh = msg_begin(VAS_CMD_WINDOW_ADD_NTF);
	put_ids(nlh, 3, 1);
	put_window_but(nlh, &sample_window, VAS_A_WINDOW_UID);
	decode_ok(nlh, &m);
	ASSERT_UINT_EQ(m.window.uid, VAS_UID_UNKNOWN);
	ASSERT_UINT_EQ(m.window.opened_at, TS - 5);
	ASSERT_STR_EQ(m.window.comm, "nxclient");

	/* root's is 0, not "not known" */
	w.uid = 0;
	nlh = msg_begin(VAS_CMD_WINDOW_GET);
	put_ids(nlh, 3, 0);
	put_window(nlh, &w);
	decode_ok(nlh, &m);
	ASSERT_UINT_EQ(m.window.uid, 0);

	/* the kernel's INVALID_UID sent as it is reads as not known too */
	nlh = msg_begin(VAS_CMD_WINDOW_GET);
	put_ids(nlh, 3, 0);
	nest = mnl_attr_nest_start(nlh, VAS_A_WINDOW);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_ID, 1);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_TGID, 2);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_PID, 3);
	mnl_attr_put_strz(nlh, VAS_A_WINDOW_COMM, "x");
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_COP, 0);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_TYPE, 0);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_STATE, 0);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_REASON, 0);
	put_u64(nlh, VAS_A_WINDOW_OPENED_AT, VAS_A_WINDOW_PAD, 1);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_UID, UINT32_MAX);
	mnl_attr_nest_end(nlh, nest);
	decode_ok(nlh, &m);
	ASSERT_UINT_EQ(m.window.uid, VAS_UID_UNKNOWN);

	/* malformed: a u16, a u64, empty, given twice */
	expect_msg_fail(uid_msg(&u16, sizeof(u16), false),
			"VAS_A_WINDOW_UID: wrong size");
	expect_msg_fail(uid_msg(&w.opened_at, sizeof(w.opened_at), false),
			"VAS_A_WINDOW_UID: wrong size");
	expect_msg_fail(uid_msg(NULL, 0, false), "VAS_A_WINDOW_UID: wrong size");
	expect_msg_fail(uid_msg(&u32, sizeof(u32), true),
			"VAS_A_WINDOW_UID: given twice");
}

static void test_caps_msgs(void)
{
	struct nlmsghdr *nlh;
	struct vas_msg m;

	nlh = msg_begin(VAS_CMD_CAPS_GET);
	put_ids(nlh, 7, 0);
	put_caps(nlh, VAS_WIN_TYPE_DEFAULT, 8, 3);
	nlh->nlmsg_flags = NLM_F_MULTI;
	decode_ok(nlh, &m);
	ASSERT_INT_EQ(m.cmd, VAS_CMD_CAPS_GET);
	ASSERT_UINT_EQ(m.has, VAS_MSG_HAS_GENERATION | VAS_MSG_HAS_SEQ |
			      VAS_MSG_HAS_CAPS);
	ASSERT_UINT_EQ(m.nlmsg_flags, NLM_F_MULTI);
	ASSERT_UINT_EQ(m.seq, 7);
	ASSERT_UINT_EQ(m.caps.type, VAS_WIN_TYPE_DEFAULT);
	ASSERT_UINT_EQ(m.caps.total, 8);
	ASSERT_UINT_EQ(m.caps.used, 3);

	nlh = msg_begin(VAS_CMD_CAPS_CHANGE_NTF);
	put_ids(nlh, 8, 1);
	put_caps(nlh, VAS_WIN_TYPE_QOS, 2, 1);
	decode_ok(nlh, &m);
	ASSERT_INT_EQ(m.cmd, VAS_CMD_CAPS_CHANGE_NTF);
	ASSERT_UINT_EQ(m.has, VAS_MSG_HAS_GENERATION | VAS_MSG_HAS_SEQ |
			      VAS_MSG_HAS_TIMESTAMP | VAS_MSG_HAS_CAPS);
	ASSERT_UINT_EQ(m.caps.type, VAS_WIN_TYPE_QOS);
	ASSERT_UINT_EQ(m.caps.total, 2);
	ASSERT_UINT_EQ(m.caps.used, 1);
}

static void test_migration_msgs(void)
{
	struct nlmsghdr *nlh;
	struct vas_msg m;

	nlh = msg_begin(VAS_CMD_MIGRATION_GET);
	put_ids(nlh, 1, 0);
	put_migration(nlh, 0, VAS_MIGRATION_PHASE_NONE, 0);
	decode_ok(nlh, &m);
	ASSERT_INT_EQ(m.cmd, VAS_CMD_MIGRATION_GET);
	ASSERT_UINT_EQ(m.has, VAS_MSG_HAS_GENERATION | VAS_MSG_HAS_SEQ |
			      VAS_MSG_HAS_MIGRATION);
	ASSERT_UINT_EQ(m.migration.phase, VAS_MIGRATION_PHASE_NONE);

	nlh = msg_begin(VAS_CMD_MIGRATION_CHANGE_NTF);
	put_ids(nlh, 42, 1);
	put_migration(nlh, 4711, VAS_MIGRATION_PHASE_PREPARE,
		      0xfeedfacecafebeefULL);
	decode_ok(nlh, &m);
	ASSERT_INT_EQ(m.cmd, VAS_CMD_MIGRATION_CHANGE_NTF);
	ASSERT_UINT_EQ(m.has, VAS_MSG_HAS_GENERATION | VAS_MSG_HAS_SEQ |
			      VAS_MSG_HAS_TIMESTAMP | VAS_MSG_HAS_MIGRATION);
	ASSERT_UINT_EQ(m.seq, 42);
	ASSERT_UINT_EQ(m.migration.stream_id, 4711);
	ASSERT_UINT_EQ(m.migration.phase, VAS_MIGRATION_PHASE_PREPARE);
	ASSERT_UINT_EQ(m.migration.token, 0xfeedfacecafebeefULL);
}

/* A newer kernel may add attributes anywhere, and values we do not name. */
static void test_forward_compat(void)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	struct vas_msg m;

	nlh = msg_begin(VAS_CMD_WINDOW_ADD_NTF);
	mnl_attr_put_u32(nlh, VAS_A_MAX + 1, 1);
	put_ids(nlh, 5, 1);
	mnl_attr_put_strz(nlh, 200, "future");
	nest = mnl_attr_nest_start(nlh, VAS_A_WINDOW);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_MAX + 1, 99);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_ID, 1);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_TGID, 2);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_PID, 3);
	mnl_attr_put_strz(nlh, VAS_A_WINDOW_COMM, "");
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_COP, 7);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_TYPE, 9);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_STATE, 9);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_REASON, 9);
	/* unaligned u64, no pad: allowed, only likely misaligned */
	mnl_attr_put_u64(nlh, VAS_A_WINDOW_OPENED_AT, 77);
	mnl_attr_put(nlh, 0xffff & NLA_TYPE_MASK, 0, NULL);
	mnl_attr_nest_end(nlh, nest);

	decode_ok(nlh, &m);
	ASSERT_UINT_EQ(m.seq, 5);
	ASSERT_UINT_EQ(m.window.id, 1);
	ASSERT_STR_EQ(m.window.comm, "");
	ASSERT_UINT_EQ(m.window.cop, 7);
	ASSERT_UINT_EQ(m.window.type, 9);
	ASSERT_UINT_EQ(m.window.opened_at, 77);
	ASSERT_UINT_EQ(m.window.uid, VAS_UID_UNKNOWN);

	/* objects the command does not need are decoded, not required */
	nlh = window_msg(VAS_CMD_WINDOW_ADD_NTF);
	put_caps(nlh, VAS_WIN_TYPE_QOS, 4, 4);
	put_u64(nlh, VAS_A_TOKEN, VAS_A_PAD, 17);
	decode_ok(nlh, &m);
	ASSERT_UINT_EQ(m.has, VAS_MSG_HAS_GENERATION | VAS_MSG_HAS_SEQ |
			      VAS_MSG_HAS_TIMESTAMP | VAS_MSG_HAS_WINDOW |
			      VAS_MSG_HAS_CAPS | VAS_MSG_HAS_TOKEN);
	ASSERT_UINT_EQ(m.caps.used, 4);
	ASSERT_UINT_EQ(m.token, 17);

	/* bytes after nlmsg_len belong to the next message */
	nlh = window_msg(VAS_CMD_WINDOW_DEL_NTF);
	ASSERT_INT_EQ(vas_msg_decode(nlh, nlh->nlmsg_len + 64, &m, NULL), 0);
}

static void test_bad_headers(void)
{
	struct nlmsghdr *nlh;

	nlh = window_msg(VAS_CMD_WINDOW_ADD_NTF);
	expect_fail(NULL, 100, -EBADMSG, "truncated netlink header");
	expect_fail(nlh, 0, -EBADMSG, "truncated netlink header");
	expect_fail(nlh, sizeof(*nlh) - 1, -EBADMSG,
		    "truncated netlink header");
	expect_fail(nlh, nlh->nlmsg_len - 1, -EBADMSG,
		    "nlmsg_len beyond the buffer");

	nlh->nlmsg_len = sizeof(*nlh) - 1;
	expect_fail(nlh, 4096, -EBADMSG,
		    "nlmsg_len shorter than the netlink header");

	nlh = window_msg(VAS_CMD_WINDOW_ADD_NTF);
	nlh->nlmsg_type = NLMSG_ERROR;
	expect_msg_fail(nlh, "netlink control message, not a family message");

	nlh = window_msg(VAS_CMD_WINDOW_ADD_NTF);
	nlh->nlmsg_len = NLMSG_HDRLEN + 3;
	expect_msg_fail(nlh, "truncated generic netlink header");
}

static void test_bad_cmds(void)
{
	struct nlmsghdr *nlh;

	nlh = window_msg(0);
	expect_fail(nlh, nlh->nlmsg_len, -EOPNOTSUPP, "unknown command");
	nlh = window_msg(VAS_CMD_MAX + 1);
	expect_fail(nlh, nlh->nlmsg_len, -EOPNOTSUPP, "unknown command");
	nlh = window_msg(VAS_CMD_COORD_ACK);
	expect_fail(nlh, nlh->nlmsg_len, -EOPNOTSUPP,
		    "command is a request, the kernel never sends it");

	/* the right attributes for the wrong command */
	nlh = msg_begin(VAS_CMD_CAPS_CHANGE_NTF);
	put_ids(nlh, 3, 1);
	put_window(nlh, &sample_window);
	expect_msg_fail(nlh, "VAS_A_CAPS: missing");
}

static void test_bad_attrs(void)
{
	struct nlmsghdr *nlh;
	struct nlattr *a, *nest;
	static const char garbage[] = { 0x07, 0x00, 0x02, 0x00, 0x41, 0x42 };

	/* attribute length beyond the message */
	nlh = window_msg(VAS_CMD_WINDOW_ADD_NTF);
	a = mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_put_u32(nlh, VAS_A_MAX + 1, 0);
	a->nla_len = 64;
	expect_msg_fail(nlh, "attribute length out of bounds");

	/* attribute length shorter than its own header */
	nlh = window_msg(VAS_CMD_WINDOW_ADD_NTF);
	a = mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_put_u32(nlh, VAS_A_MAX + 1, 0);
	a->nla_len = 2;
	expect_msg_fail(nlh, "attribute length out of bounds");

	/* bytes left over that cannot hold an attribute header */
	nlh = window_msg(VAS_CMD_WINDOW_ADD_NTF);
	nlh->nlmsg_len += 2;
	expect_msg_fail(nlh, "truncated attribute header");

	/* u64 sent as u32, u32 sent as u64 */
	nlh = msg_begin(VAS_CMD_WINDOW_ADD_NTF);
	put_u64(nlh, VAS_A_GENERATION, VAS_A_PAD, GEN);
	mnl_attr_put_u32(nlh, VAS_A_SEQ, 1);
	expect_msg_fail(nlh, "VAS_A_SEQ: wrong size");

	nlh = msg_begin(VAS_CMD_WINDOW_ADD_NTF);
	put_ids(nlh, 1, 1);
	nest = mnl_attr_nest_start(nlh, VAS_A_WINDOW);
	mnl_attr_put_u64(nlh, VAS_A_WINDOW_ID, 1);
	mnl_attr_nest_end(nlh, nest);
	expect_msg_fail(nlh, "VAS_A_WINDOW_ID: wrong size");

	nlh = msg_begin(VAS_CMD_MIGRATION_CHANGE_NTF);
	put_ids(nlh, 1, 1);
	nest = mnl_attr_nest_start(nlh, VAS_A_MIGRATION);
	mnl_attr_put_u32(nlh, VAS_A_MIGRATION_TOKEN, 1);
	mnl_attr_nest_end(nlh, nest);
	expect_msg_fail(nlh, "VAS_A_MIGRATION_TOKEN: wrong size");

	nlh = msg_begin(VAS_CMD_CAPS_CHANGE_NTF);
	put_ids(nlh, 1, 1);
	nest = mnl_attr_nest_start(nlh, VAS_A_CAPS);
	mnl_attr_put_u8(nlh, VAS_A_CAPS_USED, 1);
	mnl_attr_nest_end(nlh, nest);
	expect_msg_fail(nlh, "VAS_A_CAPS_USED: wrong size");

	/* a nest holding garbage */
	nlh = msg_begin(VAS_CMD_WINDOW_ADD_NTF);
	put_ids(nlh, 1, 1);
	mnl_attr_put(nlh, VAS_A_WINDOW, sizeof(garbage), garbage);
	expect_msg_fail(nlh, "VAS_A_WINDOW: attribute length out of bounds");

	nlh = msg_begin(VAS_CMD_CAPS_GET);
	put_ids(nlh, 1, 0);
	mnl_attr_put(nlh, VAS_A_CAPS, 2, garbage);
	expect_msg_fail(nlh, "VAS_A_CAPS: truncated attribute header");

	/* an empty nest has nothing the object needs */
	nlh = msg_begin(VAS_CMD_MIGRATION_GET);
	put_ids(nlh, 1, 0);
	mnl_attr_nest_end(nlh, mnl_attr_nest_start(nlh, VAS_A_MIGRATION));
	expect_msg_fail(nlh, "VAS_A_MIGRATION_STREAM_ID: missing");

	/* the same attribute twice */
	nlh = window_msg(VAS_CMD_WINDOW_ADD_NTF);
	put_u64(nlh, VAS_A_SEQ, VAS_A_PAD, 13);
	expect_msg_fail(nlh, "VAS_A_SEQ: given twice");

	nlh = msg_begin(VAS_CMD_WINDOW_ADD_NTF);
	put_ids(nlh, 1, 1);
	nest = mnl_attr_nest_start(nlh, VAS_A_WINDOW);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_STATE, 0);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_STATE, 1);
	mnl_attr_nest_end(nlh, nest);
	expect_msg_fail(nlh, "VAS_A_WINDOW_STATE: given twice");
}

static void test_comm(void)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	struct vas_window w = sample_window;
	struct vas_msg m;

	/* without its NUL */
	nlh = msg_begin(VAS_CMD_WINDOW_ADD_NTF);
	put_ids(nlh, 1, 1);
	nest = mnl_attr_nest_start(nlh, VAS_A_WINDOW);
	mnl_attr_put(nlh, VAS_A_WINDOW_COMM, 4, "abcd");
	mnl_attr_nest_end(nlh, nest);
	expect_msg_fail(nlh, "VAS_A_WINDOW_COMM: not NUL-terminated");

	nlh = msg_begin(VAS_CMD_WINDOW_ADD_NTF);
	put_ids(nlh, 1, 1);
	nest = mnl_attr_nest_start(nlh, VAS_A_WINDOW);
	mnl_attr_put(nlh, VAS_A_WINDOW_COMM, 0, NULL);
	mnl_attr_nest_end(nlh, nest);
	expect_msg_fail(nlh, "VAS_A_WINDOW_COMM: not NUL-terminated");

	/* 16 characters do not fit TASK_COMM_LEN */
	nlh = msg_begin(VAS_CMD_WINDOW_ADD_NTF);
	put_ids(nlh, 1, 1);
	nest = mnl_attr_nest_start(nlh, VAS_A_WINDOW);
	mnl_attr_put_strz(nlh, VAS_A_WINDOW_COMM, "0123456789abcdef");
	mnl_attr_nest_end(nlh, nest);
	expect_msg_fail(nlh, "VAS_A_WINDOW_COMM: longer than 15 characters");

	/* 15 do */
	memcpy(w.comm, "0123456789abcde", 16);
	nlh = msg_begin(VAS_CMD_WINDOW_ADD_NTF);
	put_ids(nlh, 1, 1);
	put_window(nlh, &w);
	decode_ok(nlh, &m);
	ASSERT_STR_EQ(m.window.comm, "0123456789abcde");

	/* a payload longer than the string: the string ends at its NUL */
	nlh = msg_begin(VAS_CMD_WINDOW_ADD_NTF);
	put_ids(nlh, 1, 1);
	nest = mnl_attr_nest_start(nlh, VAS_A_WINDOW);
	mnl_attr_put(nlh, VAS_A_WINDOW_COMM, 24, "short\0after the end....");
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_ID, 1);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_TGID, 1);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_PID, 1);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_COP, 0);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_TYPE, 0);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_STATE, 0);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_REASON, 0);
	put_u64(nlh, VAS_A_WINDOW_OPENED_AT, VAS_A_WINDOW_PAD, 1);
	mnl_attr_nest_end(nlh, nest);
	decode_ok(nlh, &m);
	ASSERT_STR_EQ(m.window.comm, "short");
}

static void test_missing(void)
{
	static const struct {
		uint16_t attr;
		const char *err;
	} window_attrs[] = {
		{ VAS_A_WINDOW_ID, "VAS_A_WINDOW_ID: missing" },
		{ VAS_A_WINDOW_TGID, "VAS_A_WINDOW_TGID: missing" },
		{ VAS_A_WINDOW_PID, "VAS_A_WINDOW_PID: missing" },
		{ VAS_A_WINDOW_COMM, "VAS_A_WINDOW_COMM: missing" },
		{ VAS_A_WINDOW_COP, "VAS_A_WINDOW_COP: missing" },
		{ VAS_A_WINDOW_TYPE, "VAS_A_WINDOW_TYPE: missing" },
		{ VAS_A_WINDOW_STATE, "VAS_A_WINDOW_STATE: missing" },
		{ VAS_A_WINDOW_REASON, "VAS_A_WINDOW_REASON: missing" },
		{ VAS_A_WINDOW_OPENED_AT, "VAS_A_WINDOW_OPENED_AT: missing" },
	};
	struct nlmsghdr *nlh;

	for (size_t i = 0; i < sizeof(window_attrs) / sizeof(window_attrs[0]); i++) {
		nlh = msg_begin(VAS_CMD_WINDOW_CHANGE_NTF);
		put_ids(nlh, 1, 1);
		put_window_but(nlh, &sample_window, window_attrs[i].attr);
		expect_msg_fail(nlh, window_attrs[i].err);
	}

	/* a notification without its timestamp */
	nlh = msg_begin(VAS_CMD_WINDOW_ADD_NTF);
	put_ids(nlh, 1, 0);
	put_window(nlh, &sample_window);
	expect_msg_fail(nlh, "VAS_A_TIMESTAMP: missing");

	nlh = msg_begin(VAS_CMD_WINDOW_GET);
	put_u64(nlh, VAS_A_SEQ, VAS_A_PAD, 1);
	put_window(nlh, &sample_window);
	expect_msg_fail(nlh, "VAS_A_GENERATION: missing");

	nlh = msg_begin(VAS_CMD_WINDOW_GET);
	put_u64(nlh, VAS_A_GENERATION, VAS_A_PAD, GEN);
	put_window(nlh, &sample_window);
	expect_msg_fail(nlh, "VAS_A_SEQ: missing");

	nlh = msg_begin(VAS_CMD_WINDOW_DEL_NTF);
	put_ids(nlh, 1, 1);
	expect_msg_fail(nlh, "VAS_A_WINDOW: missing");

	nlh = msg_begin(VAS_CMD_MIGRATION_CHANGE_NTF);
	put_ids(nlh, 1, 1);
	expect_msg_fail(nlh, "VAS_A_MIGRATION: missing");
}

/*
 * Every shorter length of a valid message fails, and reads nothing past
 * it: the copy is exactly that long, so ASan or valgrind sees any overrun.
 */
static void test_truncations(void)
{
	struct nlmsghdr *nlh = window_msg(VAS_CMD_WINDOW_ADD_NTF);
	uint32_t len = nlh->nlmsg_len;
	struct vas_msg m;

	for (uint32_t cut = 0; cut < len; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);

		ASSERT(copy);
		memcpy(copy, nlh, cut);
		if (cut >= sizeof(*nlh)) {
			uint32_t l = cut;

			/* as if the message ended there */
			memcpy(copy, &l, sizeof(l));
		}
		ASSERT_INT_EQ(vas_msg_decode(copy, cut, &m, NULL), -EBADMSG);
		free(copy);
	}
}

/*
 * A deterministic mutation run: corrupt bytes of valid messages and decode
 * an exact-size copy. Nothing may crash or read out of bounds, and what
 * decodes must format within VAS_FORMAT_LINE_MAX.
 */
static void test_mutations(void)
{
	static const uint8_t cmds[] = {
		VAS_CMD_WINDOW_ADD_NTF, VAS_CMD_CAPS_CHANGE_NTF,
		VAS_CMD_MIGRATION_CHANGE_NTF,
	};
	uint64_t rnd = 0x9e3779b97f4a7c15ULL;
	unsigned int decoded = 0;

	for (int round = 0; round < 30000; round++) {
		uint8_t cmd = cmds[round % sizeof(cmds)];
		struct nlmsghdr *nlh = msg_begin(cmd);
		char line[VAS_FORMAT_LINE_MAX];
		struct vas_msg m;
		uint8_t *copy;
		uint32_t len;

		put_ids(nlh, 1, 1);
		if (cmd == VAS_CMD_WINDOW_ADD_NTF)
			put_window(nlh, &sample_window);
		else if (cmd == VAS_CMD_CAPS_CHANGE_NTF)
			put_caps(nlh, 1, 2, 3);
		else
			put_migration(nlh, 1, 2, 3);
		len = nlh->nlmsg_len;

		for (int k = 0; k < 1 + round % 4; k++) {
			/* xorshift64 */
			rnd ^= rnd << 13;
			rnd ^= rnd >> 7;
			rnd ^= rnd << 17;
			/* mostly past the headers, to get deeper */
			if (round % 4 == 0 ||
			    rnd % len >= NLMSG_HDRLEN + GENL_HDRLEN)
				buf.bytes[rnd % len] = (uint8_t)(rnd >> 32);
		}
		copy = malloc(len);
		ASSERT(copy);
		memcpy(copy, buf.bytes, len);
		if (vas_msg_decode(copy, len, &m, NULL) == 0) {
			decoded++;
			ASSERT(vas_format_msg(line, sizeof(line), &m) <
			       sizeof(line));
		}
		free(copy);
	}
	/* the run must reach past the headers to mean anything */
	ASSERT(decoded > 100);
}

static void test_enum_strings(void)
{
	ASSERT_STR_EQ(vas_cmd_to_string(VAS_CMD_WINDOW_ADD_NTF),
		      "window-add-ntf");
	ASSERT_STR_EQ(vas_cmd_to_string(VAS_CMD_COORD_ACK), "coord-ack");
	ASSERT_NULL(vas_cmd_to_string(0));
	ASSERT_NULL(vas_cmd_to_string(VAS_CMD_MAX + 1));
	ASSERT_STR_EQ(vas_cop_to_string(VAS_COP_GZIP), "gzip");
	ASSERT_NULL(vas_cop_to_string(1));
	ASSERT_STR_EQ(vas_win_type_to_string(VAS_WIN_TYPE_QOS), "qos");
	ASSERT_NULL(vas_win_type_to_string(2));
	ASSERT_STR_EQ(vas_win_state_to_string(VAS_WIN_STATE_SUSPENDED),
		      "suspended");
	ASSERT_NULL(vas_win_state_to_string(UINT32_MAX));
	ASSERT_STR_EQ(vas_suspend_reason_to_string(VAS_SUSPEND_REASON_CREDITS),
		      "credits");
	ASSERT_NULL(vas_suspend_reason_to_string(3));
	ASSERT_STR_EQ(vas_migration_phase_to_string(VAS_MIGRATION_PHASE_ABORTED),
		      "aborted");
	ASSERT_NULL(vas_migration_phase_to_string(7));

	ASSERT_INT_EQ(vas_win_type_from_string("default"),
		      VAS_WIN_TYPE_DEFAULT);
	ASSERT_INT_EQ(vas_win_type_from_string("qos"), VAS_WIN_TYPE_QOS);
	ASSERT_INT_EQ(vas_win_type_from_string("QOS"), -EINVAL);
	ASSERT_INT_EQ(vas_win_type_from_string(NULL), -EINVAL);
	for (uint32_t p = 0; vas_migration_phase_to_string(p); p++)
		ASSERT_INT_EQ(vas_migration_phase_from_string(
				      vas_migration_phase_to_string(p)), p);
	ASSERT_INT_EQ(vas_migration_phase_from_string(""), -EINVAL);
}

int main(void)
{
	test_window_msgs();
	test_window_uid();
	test_caps_msgs();
	test_migration_msgs();
	test_forward_compat();
	test_bad_headers();
	test_bad_cmds();
	test_bad_attrs();
	test_comm();
	test_missing();
	test_truncations();
	test_mutations();
	test_enum_strings();
	return EXIT_SUCCESS;
}
