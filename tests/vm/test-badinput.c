// SPDX-License-Identifier: GPL-2.0-only
/*
 * Bad input, through netlink (strict validation, extack messages, unknown
 * commands) and through the window uapi (ioctl attributes, mmap), is
 * refused with the documented errno, leaves no trace in the events and
 * no report in the kernel log.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "vmtest.h"

static struct vt_reply reply;

/* @nlh must fail with @err and an extack message containing @needle. */
static void refused(struct vt_nl *nl, struct nlmsghdr *nlh, int err,
		    const char *what, const char *needle)
{
	int got = vt_transact(nl, nlh, &reply);

	TEST_ASSERTF(got == err, "%s: %d (%s), expected %d (%s)", what, got,
		     strerror(-got), err, strerror(-err));
	TEST_ASSERTF(reply.n == 0, "%s: %zu replies", what, reply.n);
	if (needle)
		TEST_ASSERTF(reply.has_extack_msg &&
			     strstr(reply.extack_msg, needle),
			     "%s: extack message '%s' lacks '%s'", what,
			     reply.has_extack_msg ? reply.extack_msg : "(none)",
			     needle);
	printf("badinput: %-40s %s%s%s%s\n", what, strerror(-got),
	       reply.has_extack_msg ? " (\"" : "",
	       reply.has_extack_msg ? reply.extack_msg : "",
	       reply.has_extack_msg ? "\")" : "");
}

static void netlink_input(struct vt_nl *nl)
{
	char buf[VT_BUF];
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;
	struct nlattr *nest;

	nlh = vt_req(nl, buf, VAS_CMD_WINDOW_GET, false);
	refused(nl, nlh, -EINVAL, "WINDOW_GET without WINDOW", "WINDOW");

	nlh = vt_req(nl, buf, VAS_CMD_WINDOW_GET, false);
	nest = mnl_attr_nest_start(nlh, VAS_A_WINDOW);
	mnl_attr_nest_end(nlh, nest);
	refused(nl, nlh, -EINVAL, "WINDOW_GET without WINDOW_ID", "WINDOW_ID");

	nlh = vt_req(nl, buf, VAS_CMD_WINDOW_GET, false);
	nest = mnl_attr_nest_start(nlh, VAS_A_WINDOW);
	mnl_attr_put_u16(nlh, VAS_A_WINDOW_ID, 1);
	mnl_attr_nest_end(nlh, nest);
	refused(nl, nlh, -EINVAL, "WINDOW_ID of 2 bytes", "");

	nlh = vt_req(nl, buf, VAS_CMD_WINDOW_GET, false);
	nest = mnl_attr_nest_start(nlh, VAS_A_WINDOW);
	mnl_attr_put_u64(nlh, VAS_A_WINDOW_ID, 1);
	mnl_attr_nest_end(nlh, nest);
	refused(nl, nlh, -EINVAL, "WINDOW_ID of 8 bytes", "");

	nlh = vt_req(nl, buf, VAS_CMD_WINDOW_GET, false);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW, 1);
	refused(nl, nlh, -EINVAL, "WINDOW not a nest", "");

	nlh = vt_req(nl, buf, VAS_CMD_COORD_ACK, false);
	mnl_attr_put_u32(nlh, VAS_A_TOKEN, 1);
	refused(nl, nlh, -EINVAL, "TOKEN of 4 bytes", "");

	nlh = vt_req(nl, buf, VAS_CMD_COORD_ACK, false);
	refused(nl, nlh, -EINVAL, "COORD_ACK without TOKEN", "TOKEN");

	nlh = vt_req(nl, buf, VAS_CMD_CAPS_GET, false);
	nest = mnl_attr_nest_start(nlh, VAS_A_CAPS);
	mnl_attr_put_u32(nlh, VAS_A_CAPS_TYPE, VAS_WIN_TYPE_QOS + 1);
	mnl_attr_nest_end(nlh, nest);
	/* a range check of the policy (NLA_POLICY_MAX) answers ERANGE */
	refused(nl, nlh, -ERANGE, "CAPS_TYPE out of range", "range");

	nlh = vt_req(nl, buf, VAS_CMD_WINDOW_GET, false);
	nest = mnl_attr_nest_start(nlh, VAS_A_WINDOW);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_ID, 1);
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_put_u32(nlh, 100, 1);
	refused(nl, nlh, -EINVAL, "unknown top-level attribute", "");

	nlh = vt_req(nl, buf, VAS_CMD_WINDOW_GET, false);
	nest = mnl_attr_nest_start(nlh, VAS_A_WINDOW);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_ID, 1);
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_put_u64(nlh, VAS_A_SEQ, 1);
	refused(nl, nlh, -EINVAL, "attribute the command does not take", "");

	nlh = vt_req(nl, buf, VAS_CMD_WINDOW_GET, false);
	nest = mnl_attr_nest_start(nlh, VAS_A_WINDOW);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_ID, 1);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_TGID, 1);
	mnl_attr_nest_end(nlh, nest);
	refused(nl, nlh, -EINVAL, "unknown attribute in WINDOW", "");

	nlh = vt_req(nl, buf, VAS_CMD_WINDOW_GET, false);
	nest = mnl_attr_nest_start(nlh, VAS_A_WINDOW);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_ID, 12345);
	mnl_attr_nest_end(nlh, nest);
	refused(nl, nlh, -ENOENT, "WINDOW_GET of an unknown id", NULL);

	/* genetlink answers EOPNOTSUPP for a command without a handler. */
	nlh = vt_req(nl, buf, 200, false);
	refused(nl, nlh, -EOPNOTSUPP, "unknown command 200", NULL);
	nlh = vt_req(nl, buf, VAS_CMD_WINDOW_ADD_NTF, false);
	refused(nl, nlh, -EOPNOTSUPP, "notification sent as a request", NULL);
	nlh = vt_req(nl, buf, VAS_CMD_MIGRATION_GET, true);
	refused(nl, nlh, -EOPNOTSUPP, "dump of MIGRATION_GET (do only)", NULL);

	/* The family's header must still be there. */
	nlh = vt_req(nl, buf, VAS_CMD_MIGRATION_GET, false);
	genl = mnl_nlmsg_get_payload(nlh);
	TEST_ASSERT(genl->cmd == VAS_CMD_MIGRATION_GET);
	nlh->nlmsg_len = mnl_nlmsg_size(0);
	refused(nl, nlh, -EINVAL, "request without a genl header", NULL);
}

static void ioctl_refused(int fd, struct vas_tx_win_open_attr attr,
			  int err, const char *what)
{
	int got = vt_win_ioctl(fd, &attr);

	TEST_ASSERTF(got == err, "%s: %d (%s), expected %d (%s)", what, got,
		     strerror(-got), err, strerror(-err));
	printf("badinput: %-40s %s\n", what, strerror(-got));
}

static void mmap_refused(int fd, size_t len, int flags, off_t off, int err,
			 const char *what)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, off);

	TEST_ASSERTF(p == MAP_FAILED && errno == -err,
		     "%s: %s, expected %s", what,
		     p == MAP_FAILED ? strerror(errno) : "mapped",
		     strerror(-err));
	printf("badinput: %-40s %s\n", what, strerror(errno));
}

static void uapi_input(struct vt_nl *ev)
{
	const struct vas_tx_win_open_attr good = { .version = 1, .vas_id = -1 };
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct vas_tx_win_open_attr a;
	struct vt_msg m;
	void *paste;
	int fd;

	fd = open("/dev/crypto/nx-gzip", O_RDWR | O_CLOEXEC);
	TEST_ASSERT(fd >= 0);
	mmap_refused(fd, page, MAP_SHARED, 0, -EINVAL, "mmap before the ioctl");

	a = good;
	a.version = 2;
	ioctl_refused(fd, a, -EINVAL, "version 2");
	a.version = 0;
	ioctl_refused(fd, a, -EINVAL, "version 0");
	a = good;
	a.flags = 2;
	ioctl_refused(fd, a, -EINVAL, "unknown flag 0x2");
	a.flags = VAS_TX_WIN_FLAG_QOS_CREDIT | 1ull << 63;
	ioctl_refused(fd, a, -EINVAL, "unknown flag 1<<63");
	a = good;
	a.reserved1 = 1;
	ioctl_refused(fd, a, -EINVAL, "reserved1 set");
	a = good;
	a.reserved2[0] = 1;
	ioctl_refused(fd, a, -EINVAL, "reserved2[0] set");
	a = good;
	a.reserved2[5] = 1ull << 40;
	ioctl_refused(fd, a, -EINVAL, "reserved2[5] set");
	TEST_ASSERTF(ioctl(fd, VAS_TX_WIN_OPEN, NULL) < 0 && errno == EFAULT,
		     "ioctl with a NULL attribute pointer: %s",
		     strerror(errno));
	/* What the real driver answers to a command it does not know. */
	TEST_ASSERTF(ioctl(fd, _IOW('v', 0x21, int), &fd) < 0 &&
		     errno == EINVAL, "unknown ioctl: %s", strerror(errno));
	vt_event_none(ev, 50);

	/* The file is still usable after all that. */
	TEST_ASSERT_ERR(0, vt_win_ioctl(fd, &good));
	vt_event_expect(ev, VAS_CMD_WINDOW_ADD_NTF, 2000, &m);
	ioctl_refused(fd, good, -EEXIST, "second window on one file");
	mmap_refused(fd, page, MAP_PRIVATE, 0, -EINVAL, "MAP_PRIVATE");
	mmap_refused(fd, page, MAP_SHARED, (off_t)page, -EINVAL,
		     "mmap at offset 1 page");
	mmap_refused(fd, 2 * page, MAP_SHARED, 0, -EINVAL, "mmap of 2 pages");
	paste = vt_win_map(fd);
	TEST_ASSERT(vt_paste(paste));
	vt_win_unmap(paste);
	close(fd);
	vt_event_expect(ev, VAS_CMD_WINDOW_DEL_NTF, 2000, &m);
	vt_event_none(ev, 50);
}

int main(void)
{
	struct vt_stats st;
	struct vt_nl *nl, *ev;

	vt_setup(NULL);
	nl = vt_nl_new();
	vt_nl_ext_ack(nl);
	ev = vt_nl_new();
	TEST_ASSERT_ERR(0, vt_nl_join(ev));

	netlink_input(nl);
	vt_event_none(ev, 50);
	uapi_input(ev);

	vt_stats_read(&st);
	TEST_ASSERT_EQ(1, st.opens);
	TEST_ASSERT_EQ(0, st.open_ebusy);

	vt_nl_free(ev);
	vt_nl_free(nl);
	vt_teardown();
	printf("badinput: ok, no kernel log report\n");
	return 0;
}
