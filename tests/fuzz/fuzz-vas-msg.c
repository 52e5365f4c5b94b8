// SPDX-License-Identifier: GPL-2.0-only
/*
 * fuzz-vas-msg: libFuzzer target for vas_msg_decode() and vas_format_msg().
 *
 * Besides not crashing and not reading past the input (ASan sees the exact
 * size libFuzzer hands over), every input must keep what vas-msg.h and
 * vas-format.h promise; a broken promise aborts, and libFuzzer saves the
 * input. Built with clang by tests/fuzz/meson.build; to fuzz longer than
 * the test does, e.g.:
 *   build/tests/fuzz/fuzz-vas-msg -max_len=4096 -max_total_time=600 \
 *     -seed_inputs=@build/tests/fuzz/corpus-vas-msg.list DIR
 * where DIR is a directory that keeps what the run finds.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "netlink/vas-format.h"
#include "netlink/vas-msg.h"
#include "util/macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(expr) do {						\
		if (!(expr)) {						\
			fprintf(stderr, "%s:%d: broken: %s\n",		\
				__FILE__, __LINE__, #expr);		\
			abort();					\
		}							\
	} while (0)

#define HAS_ALL (VAS_MSG_HAS_GENERATION | VAS_MSG_HAS_SEQ |		\
		 VAS_MSG_HAS_TIMESTAMP | VAS_MSG_HAS_WINDOW |		\
		 VAS_MSG_HAS_CAPS | VAS_MSG_HAS_MIGRATION |		\
		 VAS_MSG_HAS_TOKEN)

/* What each command the kernel sends must carry (docs/netlink.md). */
static unsigned int required_has(uint8_t cmd)
{
	const unsigned int ids = VAS_MSG_HAS_GENERATION | VAS_MSG_HAS_SEQ;
	const unsigned int ntf = ids | VAS_MSG_HAS_TIMESTAMP;

	switch (cmd) {
	case VAS_CMD_WINDOW_GET:
		return ids | VAS_MSG_HAS_WINDOW;
	case VAS_CMD_WINDOW_ADD_NTF:
	case VAS_CMD_WINDOW_DEL_NTF:
	case VAS_CMD_WINDOW_CHANGE_NTF:
		return ntf | VAS_MSG_HAS_WINDOW;
	case VAS_CMD_CAPS_GET:
		return ids | VAS_MSG_HAS_CAPS;
	case VAS_CMD_CAPS_CHANGE_NTF:
		return ntf | VAS_MSG_HAS_CAPS;
	case VAS_CMD_MIGRATION_GET:
		return ids | VAS_MSG_HAS_MIGRATION;
	case VAS_CMD_MIGRATION_CHANGE_NTF:
		return ntf | VAS_MSG_HAS_MIGRATION;
	default:
		/* the decoder accepts no other command */
		CHECK(!"a command the kernel does not send was decoded");
		return 0;
	}
}

static int is_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

static int msg_equal(const struct vas_msg *a, const struct vas_msg *b)
{
	return a->cmd == b->cmd && a->nlmsg_flags == b->nlmsg_flags &&
	       a->has == b->has && a->generation == b->generation &&
	       a->seq == b->seq && a->timestamp == b->timestamp &&
	       a->token == b->token &&
	       a->window.id == b->window.id &&
	       a->window.tgid == b->window.tgid &&
	       a->window.pid == b->window.pid &&
	       strcmp(a->window.comm, b->window.comm) == 0 &&
	       a->window.cop == b->window.cop &&
	       a->window.type == b->window.type &&
	       a->window.state == b->window.state &&
	       a->window.reason == b->window.reason &&
	       a->window.opened_at == b->window.opened_at &&
	       a->caps.type == b->caps.type &&
	       a->caps.total == b->caps.total &&
	       a->caps.used == b->caps.used &&
	       a->migration.stream_id == b->migration.stream_id &&
	       a->migration.phase == b->migration.phase &&
	       a->migration.token == b->migration.token;
}

static void check_decoded(const uint8_t *data, const struct vas_msg *m)
{
	struct nlmsghdr nlh;
	struct genlmsghdr genl;
	size_t comm_len;

	memcpy(&nlh, data, sizeof(nlh));
	memcpy(&genl, data + NLMSG_HDRLEN, sizeof(genl));
	CHECK(nlh.nlmsg_type >= NLMSG_MIN_TYPE);
	CHECK(m->cmd == genl.cmd);
	CHECK(m->nlmsg_flags == nlh.nlmsg_flags);

	CHECK((m->has & ~HAS_ALL) == 0);
	CHECK((m->has & required_has(m->cmd)) == required_has(m->cmd));

	comm_len = strnlen(m->window.comm, VAS_COMM_MAX);
	CHECK(comm_len < VAS_COMM_MAX);
	/* nothing but zeros after the NUL: the rest is never stale */
	CHECK(is_zero(m->window.comm + comm_len, VAS_COMM_MAX - comm_len));

	/* what the message did not carry reads as zero */
	if (!(m->has & VAS_MSG_HAS_GENERATION))
		CHECK(m->generation == 0);
	if (!(m->has & VAS_MSG_HAS_SEQ))
		CHECK(m->seq == 0);
	if (!(m->has & VAS_MSG_HAS_TIMESTAMP))
		CHECK(m->timestamp == 0);
	if (!(m->has & VAS_MSG_HAS_TOKEN))
		CHECK(m->token == 0);
	if (!(m->has & VAS_MSG_HAS_WINDOW))
		CHECK(m->window.id == 0 && m->window.tgid == 0 &&
		      m->window.pid == 0 && m->window.comm[0] == '\0' &&
		      m->window.cop == 0 && m->window.type == 0 &&
		      m->window.state == 0 && m->window.reason == 0 &&
		      m->window.opened_at == 0);
	if (!(m->has & VAS_MSG_HAS_CAPS))
		CHECK(m->caps.type == 0 && m->caps.total == 0 &&
		      m->caps.used == 0);
	if (!(m->has & VAS_MSG_HAS_MIGRATION))
		CHECK(m->migration.stream_id == 0 &&
		      m->migration.phase == 0 && m->migration.token == 0);
}

/* One printable ASCII line, the same however small the buffer. */
static void check_format(const struct vas_msg *m)
{
	char line[VAS_FORMAT_LINE_MAX], cut[VAS_FORMAT_LINE_MAX];
	size_t len, sizes[] = { 1, 2, 17, 0 };

	len = vas_format_msg(line, sizeof(line), m);
	CHECK(len < sizeof(line));
	CHECK(strlen(line) == len);
	for (size_t i = 0; i < len; i++)
		CHECK(line[i] >= ' ' && line[i] < 0x7f);

	sizes[ELEMENTSOF(sizes) - 1] = len;
	for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
		size_t size = sizes[i];
		size_t end = len < size ? len : size - 1;

		memset(cut, 'X', sizeof(cut));
		CHECK(vas_format_msg(cut, size, m) == len);
		CHECK(memchr(cut, '\0', size) == cut + end);
		CHECK(strncmp(cut, line, size - 1) == 0);
		/* nothing written past size */
		CHECK(cut[size] == 'X');
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vas_msg m, again, canary;
	const char *err = NULL;
	uint32_t nlmsg_len;
	int r;

	memset(&m, 0xa5, sizeof(m));
	memcpy(&canary, &m, sizeof(m));
	r = vas_msg_decode(data, size, &m, &err);
	CHECK(vas_msg_decode(data, size, &again, NULL) == r);
	if (r < 0) {
		CHECK(r == -EBADMSG || r == -EOPNOTSUPP);
		CHECK(err && *err);
		CHECK(memcmp(&m, &canary, sizeof(m)) == 0);
		return 0;
	}
	CHECK(r == 0);
	CHECK(msg_equal(&m, &again));

	/* only the message's own bytes count, not what follows it */
	memcpy(&nlmsg_len, data, sizeof(nlmsg_len));
	CHECK(nlmsg_len <= size);
	CHECK(vas_msg_decode(data, nlmsg_len, &again, NULL) == 0);
	CHECK(msg_equal(&m, &again));

	check_decoded(data, &m);
	check_format(&m);
	return 0;
}
