// SPDX-License-Identifier: GPL-2.0-only
/*
 * failslab aimed at the kernel part (the debug kernel, -Dvm_kernel=debug):
 * each path of the family runs with the n-th of its slab allocations
 * failed, for n = 1, 2, ... until the path runs without reaching an n-th
 * one. The count is per thread (/proc/thread-self/fail-nth) and only
 * counts allocations with vas_sim on the stack (failslab's require-start
 * and require-end around the module's text), so what fails is the
 * module's own allocations, the replies and notifications it builds
 * included, and nothing of the test's own system calls.
 *
 * Every failure must come back to the caller as an error and leave the
 * state as it was; a notification lost for want of memory must reach the
 * listeners as ENOBUFS and a gap in the numbering, never as silence (vasd
 * resyncs on either). tools/vm/guest-check then fails the test on any
 * report in the kernel log or a leak kmemleak finds.
 *
 * Skipped (77) on a kernel without failslab: Debian's.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libmnl/libmnl.h>

#include "vmtest.h"

/* far more than any path allocates: a walk that gets here never ends */
#define NTH_MAX 64

static bool is_nomem(int err)
{
	return err == -ENOMEM || err == -ENOBUFS;
}

/*
 * The events group's listener. Every notification takes a number whether
 * it goes out or not, so a lost one shows as a gap; a gap must come with
 * ENOBUFS. Reads up to the seq the family is at now.
 */
static struct vt_nl *ev;
static uint64_t ev_seq;
static unsigned int ev_lost;

static uint64_t family_seq(void)
{
	struct vt_reply *r = calloc(1, sizeof(*r));
	struct vt_nl *nl = vt_nl_new();
	uint64_t seq;

	TEST_ASSERT(r);
	TEST_ASSERT_ERR(0, vt_simple(nl, VAS_CMD_CAPS_GET, true, r));
	TEST_ASSERT(r->n > 0 && r->msgs[0].has_ids);
	seq = r->msgs[0].seq;
	vt_nl_free(nl);
	free(r);
	return seq;
}

static int window_open(void);

static void events_drain(void)
{
	unsigned int enobufs = 0, gaps = 0;
	struct vt_msg m;
	uint64_t now;
	int r, fd;

	/* a barrier that fails nothing: the last events are there */
	fd = window_open();
	TEST_ASSERTF(fd >= 0, "window open: %s", strerror(-fd));
	close(fd);
	now = family_seq();

	while (ev_seq < now) {
		r = vt_event_wait(ev, &m, 10000);
		if (r == -ENOBUFS) {
			enobufs++;
			continue;
		}
		TEST_ASSERTF(r == 1, "no event up to seq %" PRIu64
			     " (at %" PRIu64 "): %d", now, ev_seq, r);
		TEST_ASSERTF(m.seq > ev_seq, "seq %" PRIu64 " after %" PRIu64,
			     m.seq, ev_seq);
		if (m.seq != ev_seq + 1)
			gaps++;
		ev_seq = m.seq;
	}
	/* the last one, the barrier's, was sent by no failing path */
	TEST_ASSERT_EQ(now, ev_seq);
	TEST_ASSERTF(!gaps || enobufs, "%u gaps in the seq without ENOBUFS",
		     gaps);
	ev_lost += enobufs;
}

static unsigned int windows_listed(void)
{
	struct vt_reply *r = calloc(1, sizeof(*r));
	struct vt_nl *nl = vt_nl_new();
	unsigned int n;

	TEST_ASSERT(r);
	TEST_ASSERT_ERR(0, vt_simple(nl, VAS_CMD_WINDOW_GET, true, r));
	n = (unsigned int)r->n;
	vt_nl_free(nl);
	free(r);
	return n;
}

/* A window: open() of the device, then the ioctl; the window's fd. */
static int window_open(void)
{
	struct vas_tx_win_open_attr attr = {
		.version = 1,
		.vas_id = -1,
	};
	int fd, err;

	fd = open("/dev/crypto/nx-gzip", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = vt_win_ioctl(fd, &attr);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static void walk_window_open(void)
{
	unsigned int n;
	bool fired;
	int fd;

	for (n = 1; n <= NTH_MAX; n++) {
		vt_fail_nth(n);
		fd = window_open();
		fired = vt_fail_nth_fired();
		if (fd >= 0) {
			close(fd);
		} else {
			TEST_ASSERTF(fired, "window open failed unforced: %s",
				     strerror(-fd));
			TEST_ASSERTF(is_nomem(fd), "window open, allocation %u"
				     " failed: %s", n, strerror(-fd));
		}
		/* a failed open leaves no window behind */
		TEST_ASSERT_EQ(0, windows_listed());
		events_drain();
		if (!fired)
			break;
	}
	TEST_ASSERTF(n <= NTH_MAX, "window open still allocating at %u", n);
	printf("window open: %u allocations, each failed cleanly; %u lost"
	       " notifications announced\n", n - 1, ev_lost);
	/* the notification's own allocation was one of them */
	TEST_ASSERTF(ev_lost > 0, "no lost notification was announced");
}

/* A do or dump on a socket of its own; walks until it succeeds. */
static void walk_request(const char *what, uint8_t cmd, bool dump,
			 size_t expect_msgs)
{
	struct vt_reply *r = calloc(1, sizeof(*r));
	char buf[VT_BUF];
	struct vt_nl *nl;
	unsigned int n;
	bool fired;
	int err;

	TEST_ASSERT(r);
	for (n = 1; n <= NTH_MAX; n++) {
		nl = vt_nl_new();
		vt_req(nl, buf, cmd, dump);
		vt_fail_nth(n);
		err = vt_transact_try(nl, (struct nlmsghdr *)buf, r);
		fired = vt_fail_nth_fired();
		vt_nl_free(nl);
		if (!err) {
			TEST_ASSERT_EQ(expect_msgs, r->n);
		} else {
			TEST_ASSERTF(fired, "%s failed unforced: %s", what,
				     strerror(-err));
			TEST_ASSERTF(is_nomem(err), "%s, allocation %u failed:"
				     " %s", what, n, strerror(-err));
		}
		if (!fired)
			break;
	}
	TEST_ASSERTF(n <= NTH_MAX, "%s still allocating at %u", what, n);
	printf("%s: %u allocations, each failed cleanly\n", what, n - 1);
	free(r);
}

/* Registering: a failed one leaves nobody registered. */
static void walk_coord_register(void)
{
	struct vt_reply *r = calloc(1, sizeof(*r));
	struct vt_nl *a, *b;
	char buf[VT_BUF];
	unsigned int n;
	bool fired;
	int err;

	TEST_ASSERT(r);
	for (n = 1; n <= NTH_MAX; n++) {
		a = vt_nl_new();
		b = vt_nl_new();
		vt_req(a, buf, VAS_CMD_COORD_REGISTER, false);
		vt_fail_nth(n);
		err = vt_transact_try(a, (struct nlmsghdr *)buf, r);
		fired = vt_fail_nth_fired();
		if (err) {
			TEST_ASSERTF(fired, "register failed unforced: %s",
				     strerror(-err));
			TEST_ASSERTF(is_nomem(err), "register, allocation %u"
				     " failed: %s", n, strerror(-err));
		}
		/* b may register exactly when a did not */
		TEST_ASSERT_ERR(err ? 0 : -EBUSY,
				vt_simple(b, VAS_CMD_COORD_REGISTER, false, r));
		vt_nl_free(a);
		vt_nl_free(b);
		if (!fired)
			break;
	}
	TEST_ASSERTF(n <= NTH_MAX, "register still allocating at %u", n);
	printf("coordinator register: %u allocations, each failed cleanly\n",
	       n - 1);
	free(r);
}

/* A migration's PREPARE token, read off a socket of its own. */
static uint64_t prepare_token(struct vt_nl *mon, uint64_t stream)
{
	struct vt_msg m;

	for (;;) {
		vt_event_expect(mon, VAS_CMD_MIGRATION_CHANGE_NTF, 15000, &m);
		if (m.mig.stream_id == stream &&
		    m.mig.phase == VAS_MIGRATION_PHASE_PREPARE)
			return m.mig.token;
	}
}

/*
 * The ack: a failed one changes nothing, so the coordinator acks again
 * and the migration goes on at once rather than after the timeout.
 */
static void walk_coord_ack(void)
{
	struct vt_reply *r = calloc(1, sizeof(*r));
	struct vt_nl *coord, *mon;
	struct vt_migration mig;
	char buf[VT_BUF];
	struct nlmsghdr *nlh;
	unsigned int n;
	uint64_t token;
	bool fired;
	int err;

	TEST_ASSERT(r);
	/* a lost ack would show as a migration held for ten minutes */
	vt_param_write("coord_timeout_ms", "600000");
	for (n = 1; n <= NTH_MAX; n++) {
		coord = vt_nl_new();
		mon = vt_nl_new();
		TEST_ASSERT_ERR(0, vt_nl_join(mon));
		TEST_ASSERT_ERR(0, vt_simple(coord, VAS_CMD_COORD_REGISTER,
					     false, r));
		vt_migrate_start(&mig, 1000 + n);
		token = prepare_token(mon, mig.stream);
		nlh = vt_req(coord, buf, VAS_CMD_COORD_ACK, false);
		mnl_attr_put_u64(nlh, VAS_A_TOKEN, token);
		vt_fail_nth(n);
		err = vt_transact_try(coord, nlh, r);
		fired = vt_fail_nth_fired();
		if (err) {
			TEST_ASSERTF(fired, "ack failed unforced: %s",
				     strerror(-err));
			TEST_ASSERTF(is_nomem(err), "ack, allocation %u failed:"
				     " %s", n, strerror(-err));
			/* not taken: the same token is still awaited */
			TEST_ASSERT_ERR(0, vt_coord_ack(coord, token, r));
		}
		vt_migrate_join(&mig);
		vt_nl_free(mon);
		vt_nl_free(coord);
		if (!fired)
			break;
	}
	TEST_ASSERTF(n <= NTH_MAX, "ack still allocating at %u", n);
	printf("coordinator ack: %u allocations, each failed cleanly\n",
	       n - 1);
	free(r);
}

/*
 * A migration with windows open: its notifications are built in the
 * migrating task. A lost one is announced (events_drain()); the
 * migration itself completes.
 */
static void walk_migration(void)
{
	unsigned int n, lost;
	int fds[2], i, err;
	bool fired;

	/* what the walks before left, an overrun included */
	events_drain();
	lost = ev_lost;
	for (i = 0; i < 2; i++) {
		fds[i] = window_open();
		TEST_ASSERTF(fds[i] >= 0, "window open: %s", strerror(-fds[i]));
	}
	for (n = 1; n <= NTH_MAX; n++) {
		vt_fail_nth(n);
		err = vt_migrate(2000 + n);
		fired = vt_fail_nth_fired();
		TEST_ASSERTF(!err || (fired && is_nomem(err)),
			     "migration, allocation %u failed: %s", n,
			     strerror(-err));
		events_drain();
		if (!fired)
			break;
	}
	TEST_ASSERTF(n <= NTH_MAX, "migration still allocating at %u", n);
	for (i = 0; i < 2; i++)
		close(fds[i]);
	events_drain();
	printf("migration: %u allocations, each failed cleanly; %u lost"
	       " notifications announced\n", n - 1, ev_lost - lost);
	TEST_ASSERTF(ev_lost > lost, "no lost notification was announced");
}

int main(void)
{
	if (!vt_failslab_present()) {
		printf("SKIP: this kernel has no failslab\n");
		return 77;
	}
	vt_setup(NULL);
	vt_failslab_aim();

	ev = vt_nl_new();
	TEST_ASSERT_ERR(0, vt_nl_join(ev));
	ev_seq = family_seq();

	walk_window_open();
	walk_request("CAPS_GET dump", VAS_CMD_CAPS_GET, true, 2);
	walk_request("MIGRATION_GET", VAS_CMD_MIGRATION_GET, false, 1);
	{
		int fds[3], i;

		for (i = 0; i < 3; i++) {
			fds[i] = window_open();
			TEST_ASSERTF(fds[i] >= 0, "window open: %s",
				     strerror(-fds[i]));
		}
		walk_request("WINDOW_GET dump", VAS_CMD_WINDOW_GET, true, 3);
		for (i = 0; i < 3; i++)
			close(fds[i]);
	}
	walk_coord_register();
	walk_coord_ack();
	walk_migration();

	vt_nl_free(ev);
	vt_teardown();
	printf("failslab: every path failed cleanly\n");
	return 0;
}
