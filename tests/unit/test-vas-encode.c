// SPDX-License-Identifier: GPL-2.0-only
/*
 * vas_encode_*(): every message the kernel sends is encoded and decoded back
 * with vas_msg_decode(); the bytes are compared with a message built by hand
 * the way kernel/vas-events.c builds it; short buffers fail without a byte
 * written past their end.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>

#include "netlink/vas-encode.h"
#include "netlink/vas-msg.h"
#include "util/macro.h"
#include "test.h"
#include "test-fixtures.h"

#define FAMILY_ID 0x1a
#define GEN 0x8c3f0a1b2c3d4e5fULL

/* 8-byte aligned, as a socket buffer is */
static union {
	uint64_t align;
	uint8_t bytes[4096];
} buf, ref;

static const struct vas_caps test_caps = {
	.type = VAS_WIN_TYPE_DEFAULT,
	.total = 32,
	.used = 7,
};

static const struct vas_migration test_migration = {
	.stream_id = 0xfedcba9876543210ULL,
	.phase = VAS_MIGRATION_PHASE_SUSPENDED,
	.token = 0x1122334455667788ULL,
};

static struct vas_msg test_msg(uint8_t cmd)
{
	return (struct vas_msg) {
		.cmd = cmd,
		.generation = GEN,
		.seq = 4242,
		.timestamp = TS,
		.window = sample_window,
		.caps = test_caps,
		.migration = test_migration,
	};
}

struct kind {
	uint8_t cmd;
	unsigned int has;
};

#define IDS (VAS_MSG_HAS_GENERATION | VAS_MSG_HAS_SEQ)
#define NTF (IDS | VAS_MSG_HAS_TIMESTAMP)

/* Every message the kernel sends, and what it carries (docs/netlink.md). */
static const struct kind kinds[] = {
	{ VAS_CMD_WINDOW_GET, IDS | VAS_MSG_HAS_WINDOW },
	{ VAS_CMD_WINDOW_ADD_NTF, NTF | VAS_MSG_HAS_WINDOW },
	{ VAS_CMD_WINDOW_DEL_NTF, NTF | VAS_MSG_HAS_WINDOW },
	{ VAS_CMD_WINDOW_CHANGE_NTF, NTF | VAS_MSG_HAS_WINDOW },
	{ VAS_CMD_CAPS_GET, IDS | VAS_MSG_HAS_CAPS },
	{ VAS_CMD_CAPS_CHANGE_NTF, NTF | VAS_MSG_HAS_CAPS },
	{ VAS_CMD_MIGRATION_GET, IDS | VAS_MSG_HAS_MIGRATION },
	{ VAS_CMD_MIGRATION_CHANGE_NTF, NTF | VAS_MSG_HAS_MIGRATION },
};

static void check_window(const struct vas_window *a, const struct vas_window *b)
{
	ASSERT_UINT_EQ(a->id, b->id);
	ASSERT_UINT_EQ(a->tgid, b->tgid);
	ASSERT_UINT_EQ(a->pid, b->pid);
	ASSERT_STR_EQ(a->comm, b->comm);
	ASSERT_UINT_EQ(a->cop, b->cop);
	ASSERT_UINT_EQ(a->type, b->type);
	ASSERT_UINT_EQ(a->state, b->state);
	ASSERT_UINT_EQ(a->reason, b->reason);
	ASSERT_UINT_EQ(a->opened_at, b->opened_at);
	ASSERT_UINT_EQ(a->uid, b->uid);
}

/* Every u64 payload 8-byte aligned (pad64), or no pad attribute at all. */
static void check_layout(const struct nlattr *first, size_t len, bool pad64,
			 bool nested)
{
	const uint8_t *p = (const uint8_t *)first;

	while (len >= MNL_ATTR_HDRLEN) {
		const struct nlattr *a = (const struct nlattr *)p;
		uint16_t type = mnl_attr_get_type(a);
		size_t step = MNL_ALIGN(a->nla_len);

		ASSERT(a->nla_len >= MNL_ATTR_HDRLEN && a->nla_len <= len);
		if (mnl_attr_get_payload_len(a) == 8)
			ASSERT(!pad64 ||
			       (uintptr_t)mnl_attr_get_payload(a) % 8 == 0);
		if (mnl_attr_get_payload_len(a) == 0)
			ASSERT(pad64);	/* only a pad is empty */
		if (!nested && (type == VAS_A_WINDOW || type == VAS_A_CAPS ||
				type == VAS_A_MIGRATION)) {
			ASSERT(a->nla_type & NLA_F_NESTED);
			check_layout(mnl_attr_get_payload(a),
				     mnl_attr_get_payload_len(a), pad64, true);
		}
		p += step;
		len -= step < len ? step : len;
	}
	ASSERT_UINT_EQ(len, 0);
}

static int encode(size_t offset, const struct vas_encode_frame *f,
		  const struct vas_msg *m, struct vas_msg *ret)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)(buf.bytes + offset);
	const struct genlmsghdr *genl;
	const char *err = NULL;
	int len, r;

	memset(&buf, 0x5a, sizeof(buf));
	len = vas_encode_msg(buf.bytes + offset, sizeof(buf) - offset, f, m);
	ASSERT(len > 0);
	ASSERT_INT_EQ(len % 4, 0);
	ASSERT(len <= VAS_ENCODE_MSG_MAX);
	ASSERT_UINT_EQ(nlh->nlmsg_len, len);
	ASSERT_UINT_EQ(nlh->nlmsg_type, f->type);
	ASSERT_UINT_EQ(nlh->nlmsg_flags, f->flags);
	ASSERT_UINT_EQ(nlh->nlmsg_seq, f->seq);
	ASSERT_UINT_EQ(nlh->nlmsg_pid, f->portid);
	genl = mnl_nlmsg_get_payload(nlh);
	ASSERT_UINT_EQ(genl->cmd, m->cmd);
	ASSERT_UINT_EQ(genl->version, VAS_FAMILY_VERSION);
	ASSERT_UINT_EQ(genl->reserved, 0);
	check_layout(mnl_nlmsg_get_payload_offset(nlh, GENL_HDRLEN),
		     (size_t)len - NLMSG_HDRLEN - GENL_HDRLEN, f->pad64, false);
	/* the padding after the last attribute belongs to the message */
	ASSERT(buf.bytes[offset + (size_t)len] == 0x5a);

	r = vas_msg_decode(nlh, (size_t)len, ret, &err);
	if (r < 0)
		TEST_FAIL("decode: %d %s", r, err);
	return len;
}

static void test_round_trip(void)
{
	for (size_t k = 0; k < ELEMENTSOF(kinds); k++)
		for (int pad64 = 0; pad64 <= 1; pad64++)
			for (size_t offset = 0; offset <= 4; offset += 4) {
				const struct vas_encode_frame f = {
					.type = FAMILY_ID,
					.flags = kinds[k].cmd % 2 ?
						 NLM_F_MULTI | NLM_F_DUMP_INTR : 0,
					.seq = 77,
					.portid = 1234,
					.pad64 = pad64,
				};
				struct vas_msg in = test_msg(kinds[k].cmd), out;

				encode(offset, &f, &in, &out);
				ASSERT_UINT_EQ(out.cmd, in.cmd);
				ASSERT_UINT_EQ(out.nlmsg_flags, f.flags);
				ASSERT_UINT_EQ(out.has, kinds[k].has);
				ASSERT_UINT_EQ(out.generation, GEN);
				ASSERT_UINT_EQ(out.seq, 4242);
				ASSERT_UINT_EQ(out.timestamp,
					       out.has & VAS_MSG_HAS_TIMESTAMP ?
					       TS : 0);
				if (out.has & VAS_MSG_HAS_WINDOW)
					check_window(&out.window, &sample_window);
				if (out.has & VAS_MSG_HAS_CAPS) {
					ASSERT_UINT_EQ(out.caps.type, test_caps.type);
					ASSERT_UINT_EQ(out.caps.total, 32);
					ASSERT_UINT_EQ(out.caps.used, 7);
				}
				if (out.has & VAS_MSG_HAS_MIGRATION) {
					ASSERT_UINT_EQ(out.migration.stream_id,
						       test_migration.stream_id);
					ASSERT_UINT_EQ(out.migration.phase,
						       test_migration.phase);
					ASSERT_UINT_EQ(out.migration.token,
						       test_migration.token);
				}
			}
}

/* nla_put_u64_64bit(), by hand: a pad first when the payload would not be aligned */
static void ref_u64(struct nlmsghdr *nlh, uint16_t type, uint16_t pad,
		    uint64_t v, bool pad64)
{
	uintptr_t tail = (uintptr_t)mnl_nlmsg_get_payload_tail(nlh);

	if (pad64 && (tail + MNL_ATTR_HDRLEN) % 8)
		mnl_attr_put(nlh, pad, 0, &v);
	mnl_attr_put_u64(nlh, type, v);
}

/* WINDOW_CHANGE_NTF as vas_ntf_begin() and vas_put_window() write it. */
static struct nlmsghdr *ref_window_ntf(bool pad64)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;
	struct nlattr *nest;

	memset(&ref, 0, sizeof(ref));
	nlh = mnl_nlmsg_put_header(ref.bytes);
	nlh->nlmsg_type = FAMILY_ID;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = VAS_CMD_WINDOW_CHANGE_NTF;
	genl->version = VAS_FAMILY_VERSION;
	ref_u64(nlh, VAS_A_GENERATION, VAS_A_PAD, GEN, pad64);
	ref_u64(nlh, VAS_A_SEQ, VAS_A_PAD, 4242, pad64);
	ref_u64(nlh, VAS_A_TIMESTAMP, VAS_A_PAD, TS, pad64);
	nest = mnl_attr_nest_start(nlh, VAS_A_WINDOW);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_ID, sample_window.id);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_TGID, sample_window.tgid);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_PID, sample_window.pid);
	mnl_attr_put_strz(nlh, VAS_A_WINDOW_COMM, sample_window.comm);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_COP, sample_window.cop);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_TYPE, sample_window.type);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_STATE, sample_window.state);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_REASON, sample_window.reason);
	ref_u64(nlh, VAS_A_WINDOW_OPENED_AT, VAS_A_WINDOW_PAD,
		sample_window.opened_at, pad64);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_UID, sample_window.uid);
	mnl_attr_nest_end(nlh, nest);
	return nlh;
}

static void test_bytes(void)
{
	for (int pad64 = 0; pad64 <= 1; pad64++) {
		const struct vas_encode_frame f = {
			.type = FAMILY_ID,
			.pad64 = pad64,
		};
		struct vas_msg in = test_msg(VAS_CMD_WINDOW_CHANGE_NTF);
		struct nlmsghdr *want = ref_window_ntf(pad64);
		int len;

		memset(&buf, 0, sizeof(buf));
		len = vas_encode_msg(buf.bytes, sizeof(buf), &f, &in);
		ASSERT_UINT_EQ(len, want->nlmsg_len);
		ASSERT(memcmp(buf.bytes, ref.bytes, (size_t)len) == 0);
	}
	/* the test window needs pads (before SEQ and TIMESTAMP) */
	ASSERT(ref_window_ntf(true)->nlmsg_len >
	       ref_window_ntf(false)->nlmsg_len);
}

/* Every size short of the message fails, and writes nothing past it. */
static void test_short_buffers(void)
{
	for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
		const struct vas_encode_frame f = {
			.type = FAMILY_ID,
			.pad64 = true,
		};
		struct vas_msg in = test_msg(kinds[k].cmd);
		int len = vas_encode_msg(buf.bytes, sizeof(buf), &f, &in);

		ASSERT(len > 0);
		for (size_t size = 0; size < (size_t)len; size++) {
			memset(&buf, 0xa5, sizeof(buf));
			ASSERT_INT_EQ(vas_encode_msg(buf.bytes, size, &f, &in),
				      -EMSGSIZE);
			for (size_t i = size; i < sizeof(buf); i++)
				ASSERT(buf.bytes[i] == 0xa5);
		}
		ASSERT_INT_EQ(vas_encode_msg(buf.bytes, (size_t)len, &f, &in),
			      len);
	}
}

static void test_not_sent(void)
{
	static const uint8_t cmds[] = {
		0, VAS_CMD_COORD_REGISTER, VAS_CMD_COORD_UNREGISTER,
		VAS_CMD_COORD_ACK, VAS_CMD_MAX + 1, 200,
	};
	const struct vas_encode_frame f = { .type = FAMILY_ID };

	for (size_t i = 0; i < ELEMENTSOF(cmds); i++) {
		struct vas_msg in = test_msg(cmds[i]);

		ASSERT_INT_EQ(vas_encode_msg(buf.bytes, sizeof(buf), &f, &in),
			      -EOPNOTSUPP);
	}
}

/* The kernel truncates a comm to 15 characters (strscpy into TASK_COMM_LEN). */
static void test_comm(void)
{
	const struct vas_encode_frame f = { .type = FAMILY_ID };
	struct vas_msg in = test_msg(VAS_CMD_WINDOW_ADD_NTF), out;

	memset(in.window.comm, 'x', sizeof(in.window.comm));
	encode(0, &f, &in, &out);
	ASSERT_STR_EQ(out.window.comm, "xxxxxxxxxxxxxxx");

	in.window.comm[0] = '\0';
	encode(0, &f, &in, &out);
	ASSERT_STR_EQ(out.window.comm, "");
}

static void test_done(void)
{
	const struct vas_encode_frame f = {
		.flags = NLM_F_MULTI | NLM_F_DUMP_INTR,
		.seq = 9,
		.portid = 4,
	};
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf.bytes;
	int err;

	ASSERT_INT_EQ(vas_encode_done(buf.bytes, sizeof(buf), &f, 0),
		      NLMSG_HDRLEN + sizeof(int));
	ASSERT_UINT_EQ(nlh->nlmsg_len, NLMSG_HDRLEN + sizeof(int));
	ASSERT_UINT_EQ(nlh->nlmsg_type, NLMSG_DONE);
	ASSERT_UINT_EQ(nlh->nlmsg_flags, NLM_F_MULTI | NLM_F_DUMP_INTR);
	ASSERT_UINT_EQ(nlh->nlmsg_seq, 9);
	ASSERT_UINT_EQ(nlh->nlmsg_pid, 4);
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	ASSERT_INT_EQ(err, 0);

	ASSERT(vas_encode_done(buf.bytes, sizeof(buf), &f, -EINTR) > 0);
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	ASSERT_INT_EQ(err, -EINTR);

	for (size_t size = 0; size < NLMSG_HDRLEN + sizeof(int); size++)
		ASSERT_INT_EQ(vas_encode_done(buf.bytes, size, &f, 0),
			      -EMSGSIZE);
}

static int extack_cb(const struct nlattr *a, void *data)
{
	const char **ret = data;

	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		*ret = mnl_attr_get_str(a);
	return MNL_CB_OK;
}

static void test_error(void)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf.bytes;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	struct nlmsghdr req = {
		.nlmsg_len = 28,
		.nlmsg_type = FAMILY_ID,
		.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
		.nlmsg_seq = 31,
		.nlmsg_pid = 0,
	};
	const char *msg = NULL;
	int len;

	/* an ack */
	len = vas_encode_error(buf.bytes, sizeof(buf), &req, 0, NULL);
	ASSERT_INT_EQ(len, NLMSG_HDRLEN + sizeof(struct nlmsgerr));
	ASSERT_UINT_EQ(nlh->nlmsg_type, NLMSG_ERROR);
	ASSERT_UINT_EQ(nlh->nlmsg_flags, NLM_F_CAPPED);
	ASSERT_UINT_EQ(nlh->nlmsg_seq, 31);
	ASSERT_INT_EQ(e->error, 0);
	ASSERT(memcmp(&e->msg, &req, sizeof(req)) == 0);

	/* an error with its message */
	len = vas_encode_error(buf.bytes, sizeof(buf), &req, -ESTALE,
			       "token does not match");
	ASSERT(len > (int)(NLMSG_HDRLEN + sizeof(struct nlmsgerr)));
	ASSERT_UINT_EQ(nlh->nlmsg_len, len);
	ASSERT_UINT_EQ(nlh->nlmsg_flags, NLM_F_CAPPED | NLM_F_ACK_TLVS);
	ASSERT_INT_EQ(e->error, -ESTALE);
	ASSERT_INT_EQ(mnl_attr_parse(nlh, sizeof(*e), extack_cb, &msg),
		      MNL_CB_OK);
	ASSERT_STR_EQ(msg, "token does not match");

	/* an overrun, answering nothing */
	len = vas_encode_error(buf.bytes, sizeof(buf), NULL, -ENOBUFS, NULL);
	ASSERT_INT_EQ(len, NLMSG_HDRLEN + sizeof(struct nlmsgerr));
	ASSERT_UINT_EQ(nlh->nlmsg_seq, 0);
	ASSERT_UINT_EQ(nlh->nlmsg_pid, 0);
	ASSERT_INT_EQ(e->error, -ENOBUFS);
	ASSERT_UINT_EQ(e->msg.nlmsg_len, 0);

	for (size_t size = 0; size < (size_t)len; size++)
		ASSERT_INT_EQ(vas_encode_error(buf.bytes, size, &req, -EBUSY,
					       NULL), -EMSGSIZE);
	ASSERT_INT_EQ(vas_encode_error(buf.bytes, (size_t)len + 4, &req,
				       -EBUSY, "too long for the room"),
		      -EMSGSIZE);

	/* a message whose padding is not in the room does not fit either */
	len = vas_encode_error(buf.bytes, sizeof(buf), &req, -EBUSY, "odd");
	ASSERT_INT_EQ(len, NLMSG_HDRLEN + sizeof(struct nlmsgerr) + 8);
	for (size_t size = 0; size < (size_t)len; size++) {
		memset(&buf, 0xa5, sizeof(buf));
		ASSERT_INT_EQ(vas_encode_error(buf.bytes, size, &req, -EBUSY,
					       "odd"), -EMSGSIZE);
		for (size_t i = size; i < sizeof(buf); i++)
			ASSERT(buf.bytes[i] == 0xa5);
	}
}

/*
 * Every byte of a message is written, padding included: what was in the
 * buffer before does not show.
 */
static void test_padding(void)
{
	const struct vas_encode_frame f = { .type = FAMILY_ID };
	struct vas_msg in = test_msg(VAS_CMD_WINDOW_ADD_NTF);
	struct nlmsghdr req = { .nlmsg_len = 20 };
	static const char *const extacks[] = { "", "e", "ev", "evt", "odd!" };
	uint8_t first[VAS_ENCODE_ERROR_MAX];
	int len;

	for (size_t n = 0; n < VAS_COMM_MAX; n++) {
		memset(in.window.comm, 0, sizeof(in.window.comm));
		memset(in.window.comm, 'c', n);
		memset(&buf, 0xa5, sizeof(buf));
		len = vas_encode_msg(buf.bytes, sizeof(buf), &f, &in);
		ASSERT(len > 0);
		memcpy(first, buf.bytes, (size_t)len);
		memset(&buf, 0x5a, sizeof(buf));
		ASSERT_INT_EQ(vas_encode_msg(buf.bytes, sizeof(buf), &f, &in),
			      len);
		ASSERT(memcmp(first, buf.bytes, (size_t)len) == 0);
	}

	for (size_t i = 0; i < ELEMENTSOF(extacks); i++) {
		memset(&buf, 0xa5, sizeof(buf));
		len = vas_encode_error(buf.bytes, sizeof(buf), &req, -EBUSY,
				       extacks[i]);
		ASSERT(len > 0);
		memcpy(first, buf.bytes, (size_t)len);
		memset(&buf, 0x5a, sizeof(buf));
		ASSERT_INT_EQ(vas_encode_error(buf.bytes, sizeof(buf), &req,
					       -EBUSY, extacks[i]), len);
		ASSERT(memcmp(first, buf.bytes, (size_t)len) == 0);
	}
}

int main(void)
{
	test_round_trip();
	test_bytes();
	test_short_buffers();
	test_not_sent();
	test_comm();
	test_done();
	test_error();
	test_padding();
	return 0;
}
