// SPDX-License-Identifier: GPL-2.0-only
/*
 * The family and its group resolve through the controller; an
 * unprivileged process can read (dumps, gets) but can neither change
 * anything (GENL_ADMIN_PERM) nor join the events group
 * (GENL_MCAST_CAP_NET_ADMIN), nor get its events by joining the group's
 * number while the family is away.
 */

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmtest.h"

struct family_ctx {
	uint32_t win_id;
	pid_t owner;
};

static void check_reads(struct vt_nl *nl, uint32_t win_id, pid_t owner)
{
	struct vt_reply *r = calloc(1, sizeof(*r));

	TEST_ASSERT(r);
	TEST_ASSERT_ERR(0, vt_simple(nl, VAS_CMD_WINDOW_GET, true, r));
	TEST_ASSERT_EQ(1, r->n);
	TEST_ASSERT_EQ(win_id, r->msgs[0].win.id);

	TEST_ASSERT_ERR(0, vt_window_get(nl, win_id, r));
	TEST_ASSERT_EQ(1, r->n);
	TEST_ASSERT_EQ(owner, r->msgs[0].win.tgid);

	TEST_ASSERT_ERR(0, vt_simple(nl, VAS_CMD_CAPS_GET, true, r));
	TEST_ASSERT_EQ(2, r->n);

	TEST_ASSERT_ERR(0, vt_simple(nl, VAS_CMD_MIGRATION_GET, false, r));
	TEST_ASSERT_EQ(1, r->n);
	TEST_ASSERT(r->msgs[0].has_migration);
	TEST_ASSERT_EQ(VAS_MIGRATION_PHASE_NONE, r->msgs[0].mig.phase);
	free(r);
}

static void unprivileged(void *arg)
{
	const struct family_ctx *ctx = arg;
	struct vt_nl *nl = vt_nl_new();
	struct vt_reply *r = calloc(1, sizeof(*r));

	TEST_ASSERT(r);
	TEST_ASSERT_ERR(-EPERM, vt_nl_join(nl));
	TEST_ASSERT_ERR(-EPERM,
			vt_simple(nl, VAS_CMD_COORD_REGISTER, false, r));
	TEST_ASSERT_ERR(-EPERM,
			vt_simple(nl, VAS_CMD_COORD_UNREGISTER, false, r));
	TEST_ASSERT_ERR(-EPERM, vt_coord_ack(nl, 1, r));
	check_reads(nl, ctx->win_id, ctx->owner);
	printf("family: unprivileged reads work, admin commands and the group give EPERM\n");
	free(r);
	vt_nl_free(nl);
}

/* The running kernel is @major.@minor or newer. */
static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma, mi;

	TEST_ASSERT(uname(&u) == 0);
	TEST_ASSERT(sscanf(u.release, "%d.%d", &ma, &mi) == 2);
	return ma > major || (ma == major && mi >= minor);
}

enum { PREJOIN_NOTHING, PREJOIN_FAILED, PREJOIN_RECEIVED };

/* As nobody: joins @group, then reports whether anything came. */
static noreturn void prejoin_child(uint32_t group, int go, int done)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char c, buf[8192];
	int fd, joined;
	ssize_t n;

	TEST_ASSERT(setgroups(0, NULL) == 0 && setgid(65534) == 0 &&
		    setuid(65534) == 0);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	TEST_ASSERT(fd >= 0);
	TEST_ASSERT(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	joined = setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
			    sizeof(group)) ? -errno : 0;
	TEST_ASSERT(write(go, &joined, sizeof(joined)) == sizeof(joined));
	TEST_ASSERT(read(done, &c, 1) == 1);
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && errno == EAGAIN)
		_exit(PREJOIN_NOTHING);
	_exit(n >= 0 ? PREJOIN_RECEIVED : PREJOIN_FAILED);
}

/*
 * genetlink checks the group's permission when a socket joins, and only
 * when a family owns the group then: nobody may join the group's number
 * while the family is away (family=N) and still be a member when it comes
 * back with the same number. It must get no event all the same. The family
 * filters its events on v6.8+; older kernels have no filtered multicast,
 * the gap there is genetlink's, and this says so instead of failing.
 */
static void prejoined_nobody(void)
{
	int go[2], done[2], joined, status, fd;
	struct vt_nl *nl, *ev;
	uint32_t group;
	struct vt_msg m;
	pid_t pid;

	nl = vt_nl_new();
	group = vt_nl_group(nl);
	vt_nl_free(nl);
	vt_param_write("family", "N");

	TEST_ASSERT(pipe(go) == 0 && pipe(done) == 0);
	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0);
	if (!pid)
		prejoin_child(group, go[1], done[0]);
	TEST_ASSERT(read(go[0], &joined, sizeof(joined)) == sizeof(joined));

	vt_param_write("family", "Y");
	ev = vt_nl_new();
	TEST_ASSERT_ERR(0, vt_nl_join(ev));
	TEST_ASSERTF(vt_nl_group(ev) == group,
		     "the group came back as %u, not %u: nothing tested",
		     vt_nl_group(ev), group);
	fd = vt_win_open(0);
	TEST_ASSERT_ERR(0, fd < 0 ? fd : 0);
	vt_event_expect(ev, VAS_CMD_WINDOW_ADD_NTF, 2000, &m);
	close(fd);
	/* sent after the ADD's multicast returned, to every member */
	vt_event_expect(ev, VAS_CMD_WINDOW_DEL_NTF, 2000, &m);
	TEST_ASSERT(write(done[1], "x", 1) == 1);
	TEST_ASSERT(waitpid(pid, &status, 0) == pid);
	TEST_ASSERTF(WIFEXITED(status) && WEXITSTATUS(status) != PREJOIN_FAILED,
		     "the pre-joined child failed (status 0x%x)", status);
	if (WEXITSTATUS(status) == PREJOIN_RECEIVED) {
		TEST_ASSERTF(!kernel_at_least(6, 8),
			     "nobody joined group %u while the family was away and got its events",
			     group);
		printf("family: before v6.8 nobody who joined group %u while the family was away gets its events (genetlink's gap)\n",
		       group);
	} else {
		printf("family: nobody who joined group %u while the family was away (join: %s) gets no event\n",
		       group, joined ? strerror(-joined) : "0");
	}
	close(go[0]);
	close(go[1]);
	close(done[0]);
	close(done[1]);
	vt_nl_free(ev);
}

int main(void)
{
	struct family_ctx ctx;
	struct vt_reply *r = calloc(1, sizeof(*r));
	struct vt_nl *nl, *ev;
	struct vt_msg m;
	int fd;

	TEST_ASSERT(r);
	vt_setup(NULL);

	nl = vt_nl_new();
	ev = vt_nl_new();
	printf("family: %s id %u\n", VAS_FAMILY_NAME, vt_nl_family(nl));
	TEST_ASSERT_ERR(0, vt_nl_join(ev));

	fd = vt_win_open(0);
	TEST_ASSERT_ERR(0, fd < 0 ? fd : 0);
	vt_event_expect(ev, VAS_CMD_WINDOW_ADD_NTF, 2000, &m);
	ctx.win_id = m.win.id;
	ctx.owner = getpid();

	check_reads(nl, ctx.win_id, ctx.owner);
	TEST_ASSERT_ERR(0, vt_simple(nl, VAS_CMD_COORD_REGISTER, false, r));
	TEST_ASSERT_ERR(0, vt_simple(nl, VAS_CMD_COORD_UNREGISTER, false, r));

	vt_run_unprivileged(unprivileged, &ctx);

	close(fd);
	vt_event_expect(ev, VAS_CMD_WINDOW_DEL_NTF, 2000, &m);
	TEST_ASSERT_EQ(ctx.win_id, m.win.id);

	vt_nl_free(ev);
	vt_nl_free(nl);
	prejoined_nobody();
	free(r);
	vt_teardown();
	printf("family: ok\n");
	return 0;
}
