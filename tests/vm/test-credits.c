// SPDX-License-Identifier: GPL-2.0-only
/*
 * Credits: exhaustion gives EINVAL; a DLPAR decrease suspends the newest
 * windows first (WINDOW_CHANGE, reason credits, then CAPS_CHANGE) and their
 * paste page raises SIGBUS; an increase resumes the oldest suspended ones
 * first and the page works again.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "vmtest.h"

#define CREDITS 4

struct win {
	int fd;
	void *paste;
	uint32_t id;
};

static struct vt_nl *ev;
static uint64_t last_seq;

static void next_event(uint8_t cmd, struct vt_msg *m)
{
	vt_event_next(ev, cmd, 2000, &last_seq, m);
}

static void expect_change(const struct win *w, uint32_t state,
			  uint32_t reason)
{
	struct vt_msg m;

	next_event(VAS_CMD_WINDOW_CHANGE_NTF, &m);
	TEST_ASSERT_EQ(w->id, m.win.id);
	TEST_ASSERT_EQ(state, m.win.state);
	TEST_ASSERT_EQ(reason, m.win.reason);
}

static void expect_caps(uint32_t total, uint32_t used)
{
	struct vt_msg m;

	next_event(VAS_CMD_CAPS_CHANGE_NTF, &m);
	TEST_ASSERT(m.has_caps);
	TEST_ASSERT_EQ(VAS_WIN_TYPE_DEFAULT, m.caps.type);
	TEST_ASSERT_EQ(total, m.caps.total);
	TEST_ASSERT_EQ(used, m.caps.used);
}

static void set_credits(unsigned int n)
{
	TEST_ASSERT_ERR(0, vt_debugfs_write("credits_default", "%u", n));
	TEST_ASSERT_EQ(n, vt_debugfs_read_u64("credits_default"));
}

static void caps_are(struct vt_nl *nl, uint32_t total, uint32_t used)
{
	char buf[VT_BUF];
	struct vt_reply *r = calloc(1, sizeof(*r));
	struct nlmsghdr *nlh = vt_req(nl, buf, VAS_CMD_CAPS_GET, false);
	struct nlattr *nest;

	TEST_ASSERT(r);
	nest = mnl_attr_nest_start(nlh, VAS_A_CAPS);
	mnl_attr_put_u32(nlh, VAS_A_CAPS_TYPE, VAS_WIN_TYPE_DEFAULT);
	mnl_attr_nest_end(nlh, nest);
	TEST_ASSERT_ERR(0, vt_transact(nl, nlh, r));
	TEST_ASSERT_EQ(1, r->n);
	TEST_ASSERT_EQ(total, r->msgs[0].caps.total);
	TEST_ASSERT_EQ(used, r->msgs[0].caps.used);
	free(r);
}

static void window_is(struct vt_nl *nl, const struct win *w, uint32_t state,
		      uint32_t reason)
{
	struct vt_reply *r = calloc(1, sizeof(*r));

	TEST_ASSERT(r);
	TEST_ASSERT_ERR(0, vt_window_get(nl, w->id, r));
	TEST_ASSERT_EQ(state, r->msgs[0].win.state);
	TEST_ASSERT_EQ(reason, r->msgs[0].win.reason);
	free(r);
}

int main(void)
{
	struct win wins[CREDITS];
	struct vt_nl *nl;
	struct vt_msg m;
	int i, fd;

	vt_setup("default_credits=4");
	nl = vt_nl_new();
	ev = vt_nl_new();
	TEST_ASSERT_ERR(0, vt_nl_join(ev));
	TEST_ASSERT_EQ(CREDITS, vt_debugfs_read_u64("credits_default"));

	for (i = 0; i < CREDITS; i++) {
		wins[i].fd = vt_win_open(0);
		TEST_ASSERT_ERR(0, wins[i].fd < 0 ? wins[i].fd : 0);
		next_event(VAS_CMD_WINDOW_ADD_NTF, &m);
		wins[i].id = m.win.id;
		wins[i].paste = vt_win_map(wins[i].fd);
		TEST_ASSERT(vt_paste(wins[i].paste));
	}
	TEST_ASSERT_ERR(-EINVAL, vt_win_open(0));
	vt_event_none(ev, 50);
	caps_are(nl, CREDITS, CREDITS);
	/* QoS credits are counted apart. */
	fd = vt_win_open(VAS_TX_WIN_FLAG_QOS_CREDIT);
	TEST_ASSERT_ERR(0, fd < 0 ? fd : 0);
	close(fd);
	next_event(VAS_CMD_WINDOW_ADD_NTF, &m);
	next_event(VAS_CMD_WINDOW_DEL_NTF, &m);
	printf("credits: %d windows open, one more gives EINVAL\n", CREDITS);

	/* Two credits fewer: the two newest windows go, newest first. */
	set_credits(2);
	expect_change(&wins[3], VAS_WIN_STATE_SUSPENDED,
		      VAS_SUSPEND_REASON_CREDITS);
	expect_change(&wins[2], VAS_WIN_STATE_SUSPENDED,
		      VAS_SUSPEND_REASON_CREDITS);
	expect_caps(2, 2);
	caps_are(nl, 2, 2);
	window_is(nl, &wins[3], VAS_WIN_STATE_SUSPENDED,
		  VAS_SUSPEND_REASON_CREDITS);
	window_is(nl, &wins[0], VAS_WIN_STATE_ACTIVE, VAS_SUSPEND_REASON_NONE);
	TEST_ASSERT(vt_paste(wins[0].paste));
	TEST_ASSERT(vt_paste(wins[1].paste));
	TEST_ASSERTF(!vt_paste(wins[2].paste), "suspended paste page works");
	TEST_ASSERTF(!vt_paste(wins[3].paste), "suspended paste page works");
	printf("credits: 4 -> 2 suspended the two newest windows, their pages raise SIGBUS\n");

	/* One more credit: the oldest suspended window comes back. */
	set_credits(3);
	expect_change(&wins[2], VAS_WIN_STATE_ACTIVE, VAS_SUSPEND_REASON_NONE);
	expect_caps(3, 3);
	TEST_ASSERT(vt_paste(wins[2].paste));
	TEST_ASSERTF(!vt_paste(wins[3].paste), "suspended paste page works");

	set_credits(4);
	expect_change(&wins[3], VAS_WIN_STATE_ACTIVE, VAS_SUSPEND_REASON_NONE);
	expect_caps(4, 4);
	caps_are(nl, 4, 4);
	for (i = 0; i < CREDITS; i++)
		TEST_ASSERT(vt_paste(wins[i].paste));
	printf("credits: 2 -> 3 -> 4 resumed them oldest first, pages work again\n");

	/* A suspended window closed by its owner frees nothing to resume. */
	set_credits(3);
	expect_change(&wins[3], VAS_WIN_STATE_SUSPENDED,
		      VAS_SUSPEND_REASON_CREDITS);
	expect_caps(3, 3);
	vt_win_unmap(wins[3].paste);
	close(wins[3].fd);
	next_event(VAS_CMD_WINDOW_DEL_NTF, &m);
	TEST_ASSERT_EQ(wins[3].id, m.win.id);
	TEST_ASSERT_EQ(VAS_WIN_STATE_SUSPENDED, m.win.state);
	set_credits(4);
	expect_caps(4, 3);
	vt_event_none(ev, 50);

	for (i = 0; i < CREDITS - 1; i++) {
		vt_win_unmap(wins[i].paste);
		close(wins[i].fd);
		next_event(VAS_CMD_WINDOW_DEL_NTF, &m);
		TEST_ASSERT_EQ(wins[i].id, m.win.id);
	}
	caps_are(nl, 4, 0);

	vt_nl_free(ev);
	vt_nl_free(nl);
	vt_teardown();
	printf("credits: ok\n");
	return 0;
}
