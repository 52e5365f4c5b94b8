// SPDX-License-Identifier: GPL-2.0-only
/*
 * The migration coordinator: one socket at a time; a migration waits after
 * PREPARE for its ack with the right token, proceeds at once when acked or
 * when the coordinator's socket closes, and after coord_timeout_ms when
 * nobody answers.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "vmtest.h"

static struct vt_nl *ev;

static uint64_t expect_prepare(uint64_t stream)
{
	struct vt_msg m;

	vt_event_expect(ev, VAS_CMD_MIGRATION_CHANGE_NTF, 5000, &m);
	TEST_ASSERTF(m.mig.phase == VAS_MIGRATION_PHASE_PREPARE,
		     "phase %s, expected PREPARE", vt_phase_name(m.mig.phase));
	TEST_ASSERT_EQ(stream, m.mig.stream_id);
	TEST_ASSERT(m.mig.token);
	return m.mig.token;
}

/* The rest of a migration without windows: SUSPENDING .. COMPLETED. */
static void expect_rest(uint64_t stream)
{
	static const uint32_t phases[] = {
		VAS_MIGRATION_PHASE_SUSPENDING,
		VAS_MIGRATION_PHASE_SUSPENDED,
		VAS_MIGRATION_PHASE_RESUMED,
		VAS_MIGRATION_PHASE_COMPLETED,
	};
	struct vt_msg m;
	size_t i;

	for (i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		vt_event_expect(ev, VAS_CMD_MIGRATION_CHANGE_NTF, 15000, &m);
		TEST_ASSERTF(m.mig.phase == phases[i], "phase %s, expected %s",
			     vt_phase_name(m.mig.phase),
			     vt_phase_name(phases[i]));
		TEST_ASSERT_EQ(stream, m.mig.stream_id);
	}
}

int main(void)
{
	struct vt_reply *r = calloc(1, sizeof(*r));
	struct vt_nl *a, *b;
	struct vt_migration mig;
	double took, closed_ms;
	uint64_t token;

	TEST_ASSERT(r);
	vt_setup(NULL);
	a = vt_nl_new();
	b = vt_nl_new();
	ev = vt_nl_new();
	TEST_ASSERT_ERR(0, vt_nl_join(ev));
	vt_nl_ext_ack(a);

	/* One coordinator; only it may ack or unregister. */
	TEST_ASSERT_ERR(0, vt_simple(a, VAS_CMD_COORD_REGISTER, false, r));
	TEST_ASSERT_ERR(0, vt_simple(a, VAS_CMD_COORD_REGISTER, false, r));
	TEST_ASSERT_ERR(-EBUSY, vt_simple(b, VAS_CMD_COORD_REGISTER, false, r));
	TEST_ASSERT_ERR(-EACCES, vt_coord_ack(b, 1, r));
	TEST_ASSERT_ERR(-ENOENT,
			vt_simple(b, VAS_CMD_COORD_UNREGISTER, false, r));
	TEST_ASSERT_ERR(-ENOENT, vt_coord_ack(a, 1, r));
	printf("coordinator: registered; a second socket gets EBUSY\n");

	/* Acked: waits for the ack, then goes on at once. */
	vt_param_write("coord_timeout_ms", "3000");
	vt_migrate_start(&mig, 100);
	token = expect_prepare(mig.stream);
	vt_event_none(ev, 300);
	TEST_ASSERT_ERR(-ESTALE, vt_coord_ack(a, token + 1, r));
	TEST_ASSERTF(r->has_extack_msg, "ESTALE without an extack message");
	TEST_ASSERT_ERR(0, vt_coord_ack(a, token, r));
	TEST_ASSERT_ERR(-ENOENT, vt_coord_ack(a, token, r));
	expect_rest(mig.stream);
	took = vt_migrate_join(&mig);
	TEST_ASSERTF(took < 1500, "acked migration took %.0f ms (timeout 3000)",
		     took);
	printf("coordinator: wrong token ESTALE; acked migration took %.0f ms (timeout 3000 ms)\n",
	       took);

	/* Not acked: proceeds when the bound passes. */
	vt_param_write("coord_timeout_ms", "500");
	vt_migrate_start(&mig, 101);
	token = expect_prepare(mig.stream);
	expect_rest(mig.stream);
	took = vt_migrate_join(&mig);
	TEST_ASSERTF(took >= 490 && took < 3000,
		     "unacked migration took %.0f ms (timeout 500)", took);
	TEST_ASSERT_ERR(-ENOENT, vt_coord_ack(a, token, r));
	printf("coordinator: unacked migration proceeded after %.0f ms (timeout 500 ms)\n",
	       took);

	/* The coordinator's socket closes while a migration waits. */
	vt_param_write("coord_timeout_ms", "10000");
	vt_migrate_start(&mig, 102);
	expect_prepare(mig.stream);
	vt_event_none(ev, 100);
	closed_ms = vt_now_ms();
	vt_nl_free(a);
	expect_rest(mig.stream);
	took = vt_migrate_join(&mig);
	TEST_ASSERTF(mig.end_ms - closed_ms < 1000,
		     "migration went on %.0f ms after the coordinator closed",
		     mig.end_ms - closed_ms);
	printf("coordinator: socket closed while waiting, migration went on after %.0f ms\n",
	       mig.end_ms - closed_ms);

	/* The place is free again; without a coordinator nothing waits. */
	TEST_ASSERT_ERR(0, vt_simple(b, VAS_CMD_COORD_REGISTER, false, r));
	TEST_ASSERT_ERR(0, vt_simple(b, VAS_CMD_COORD_UNREGISTER, false, r));
	TEST_ASSERT_ERR(-ENOENT,
			vt_simple(b, VAS_CMD_COORD_UNREGISTER, false, r));
	vt_migrate_start(&mig, 103);
	expect_prepare(mig.stream);
	expect_rest(mig.stream);
	took = vt_migrate_join(&mig);
	TEST_ASSERTF(took < 5000, "migration without coordinator: %.0f ms",
		     took);
	vt_param_write("coord_timeout_ms", "5000");

	vt_nl_free(ev);
	vt_nl_free(b);
	free(r);
	vt_teardown();
	printf("coordinator: ok\n");
	return 0;
}
