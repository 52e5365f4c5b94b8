// SPDX-License-Identifier: GPL-2.0-only
/*
 * The family and its group resolve through the controller; an
 * unprivileged process can read (dumps, gets) but can neither change
 * anything (GENL_ADMIN_PERM) nor join the events group
 * (GENL_MCAST_CAP_NET_ADMIN).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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
	free(r);
	vt_teardown();
	printf("family: ok\n");
	return 0;
}
