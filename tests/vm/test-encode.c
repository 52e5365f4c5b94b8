// SPDX-License-Identifier: GPL-2.0-only
/*
 * lib/netlink/vas-encode writes the kernel's bytes: every message the kernel part
 * sends here (window add, change, del; caps change; every migration phase;
 * window and caps dump parts; the migration get reply) is decoded with
 * vas_msg_decode() and encoded again with its header, and the two must be
 * equal byte for byte. This is what lets the fake kernel of the host tests
 * stand in for the kernel.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>

#include "netlink/vas-encode.h"
#include "netlink/vas-msg.h"
#include "vmtest.h"

static unsigned int n_checked;
static unsigned int kinds;	/* bit per command seen */

static void check_datagram(const void *buf, size_t len)
{
	const struct nlmsghdr *nlh;
	int left = (int)len;

	for (nlh = buf; mnl_nlmsg_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left)) {
		static union {
			uint64_t align;
			uint8_t bytes[VAS_ENCODE_MSG_MAX];
		} out;
		const struct vas_encode_frame f = {
			.type = nlh->nlmsg_type,
			.flags = nlh->nlmsg_flags,
			.seq = nlh->nlmsg_seq,
			.portid = nlh->nlmsg_pid,
		};
		const char *err = NULL;
		struct vas_msg m;
		int n;

		if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
			continue;	/* NLMSG_DONE, acks */
		TEST_ASSERTF(vas_msg_decode(nlh, nlh->nlmsg_len, &m, &err) == 0,
			     "decode: %s", err);
		n = vas_encode_msg(out.bytes, sizeof(out.bytes), &f, &m);
		TEST_ASSERTF(n == (int)nlh->nlmsg_len &&
			     memcmp(out.bytes, nlh, (size_t)n) == 0,
			     "%s: encoded %d bytes unlike the kernel's %u",
			     vas_cmd_to_string(m.cmd), n, nlh->nlmsg_len);
		n_checked++;
		kinds |= 1u << m.cmd;
	}
}

/* Everything the socket has within @timeout_ms of quiet. */
static void read_all(int fd, int timeout_ms)
{
	char *buf = malloc(VT_BUF * 4);

	TEST_ASSERT(buf);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, timeout_ms) <= 0)
			break;
		n = recv(fd, buf, VT_BUF * 4, 0);
		TEST_ASSERTF(n > 0, "recv: %s", n < 0 ? strerror(errno) : "EOF");
		check_datagram(buf, (size_t)n);
	}
	free(buf);
}

static void get(struct vt_nl *nl, uint8_t cmd, bool dump)
{
	char req[VT_BUF];
	struct nlmsghdr *nlh = vt_req(nl, req, cmd, dump);

	TEST_ASSERT(send(vt_nl_fd(nl), nlh, nlh->nlmsg_len, 0) ==
		    (ssize_t)nlh->nlmsg_len);
	read_all(vt_nl_fd(nl), 300);
}

int main(void)
{
	static const uint8_t all[] = {
		VAS_CMD_WINDOW_GET, VAS_CMD_WINDOW_ADD_NTF,
		VAS_CMD_WINDOW_DEL_NTF, VAS_CMD_WINDOW_CHANGE_NTF,
		VAS_CMD_CAPS_GET, VAS_CMD_CAPS_CHANGE_NTF,
		VAS_CMD_MIGRATION_GET, VAS_CMD_MIGRATION_CHANGE_NTF,
	};
	struct vt_nl *ev, *nl;
	int fd[3];

	vt_setup(NULL);
	ev = vt_nl_new();
	nl = vt_nl_new();
	TEST_ASSERT_ERR(0, vt_nl_join(ev));

	fd[0] = vt_win_open(0);
	fd[1] = vt_win_open(VAS_TX_WIN_FLAG_QOS_CREDIT);
	fd[2] = vt_win_open(0);
	TEST_ASSERT_ERR(0, vt_debugfs_write("credits_default", "1"));
	TEST_ASSERT_ERR(0, vt_debugfs_write("credits_default", "32"));
	TEST_ASSERT_ERR(0, vt_migrate(77));
	close(fd[2]);
	read_all(vt_nl_fd(ev), 300);

	get(nl, VAS_CMD_WINDOW_GET, true);
	get(nl, VAS_CMD_CAPS_GET, true);
	get(nl, VAS_CMD_MIGRATION_GET, false);

	for (size_t i = 0; i < sizeof(all); i++)
		TEST_ASSERTF(kinds & (1u << all[i]), "no %s seen",
			     vas_cmd_to_string(all[i]));

	close(fd[0]);
	close(fd[1]);
	vt_nl_free(ev);
	vt_nl_free(nl);
	vt_teardown();
	printf("encode: %u messages of the kernel encoded byte for byte\n",
	       n_checked);
	return 0;
}
