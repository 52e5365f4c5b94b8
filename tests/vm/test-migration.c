// SPDX-License-Identifier: GPL-2.0-only
/*
 * A migration through debugfs, with default and QoS windows open: the
 * phases and the per-window suspend/resume events come in the order
 * pseries_migrate_partition() runs them, with one stream id and the
 * PREPARE token; paste pages fault while suspended; opens in the middle get
 * EBUSY, and so does a second migration.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "vmtest.h"

#define NDEF 3
#define NQOS 2
#define NWIN (NDEF + NQOS)

struct win {
	int fd;
	void *paste;
	uint32_t id;
	uint32_t type;
};

static struct win wins[NWIN];
static struct vt_nl *ev;
static uint64_t last_seq;

static void next_event(uint8_t cmd, struct vt_msg *m)
{
	vt_event_next(ev, cmd, 5000, &last_seq, m);
}

static void expect_phase(uint32_t phase, uint64_t stream, uint64_t token)
{
	struct vt_msg m;

	next_event(VAS_CMD_MIGRATION_CHANGE_NTF, &m);
	TEST_ASSERT(m.has_migration);
	TEST_ASSERTF(m.mig.phase == phase, "phase %s, expected %s",
		     vt_phase_name(m.mig.phase), vt_phase_name(phase));
	TEST_ASSERT_EQ(stream, m.mig.stream_id);
	TEST_ASSERT_EQ(token, m.mig.token);
}

/* One change event per window, each window once, in any order. */
static void expect_changes(uint32_t state, uint32_t reason)
{
	bool seen[NWIN] = { false };
	struct vt_msg m;
	int i, j;

	for (i = 0; i < NWIN; i++) {
		next_event(VAS_CMD_WINDOW_CHANGE_NTF, &m);
		TEST_ASSERT_EQ(state, m.win.state);
		TEST_ASSERT_EQ(reason, m.win.reason);
		for (j = 0; j < NWIN; j++)
			if (wins[j].id == m.win.id)
				break;
		TEST_ASSERTF(j < NWIN && !seen[j],
			     "change of window %u: unknown or twice",
			     m.win.id);
		TEST_ASSERT_EQ(wins[j].type, m.win.type);
		seen[j] = true;
	}
}

/* PREPARE starts the sequence; returns its token. */
static uint64_t expect_prepare(uint64_t stream)
{
	struct vt_msg m;

	next_event(VAS_CMD_MIGRATION_CHANGE_NTF, &m);
	TEST_ASSERT_EQ(VAS_MIGRATION_PHASE_PREPARE, m.mig.phase);
	TEST_ASSERT_EQ(stream, m.mig.stream_id);
	TEST_ASSERT(m.mig.token != 0);
	return m.mig.token;
}

int main(void)
{
	struct vt_reply *r = calloc(1, sizeof(*r));
	struct vt_migration mig = { .stream = 42 };
	struct vt_stats st;
	struct vt_nl *nl;
	uint64_t token, token2;
	struct vt_msg m;
	int i;

	TEST_ASSERT(r);
	vt_setup(NULL);
	nl = vt_nl_new();
	ev = vt_nl_new();
	TEST_ASSERT_ERR(0, vt_nl_join(ev));

	for (i = 0; i < NWIN; i++) {
		wins[i].type = i < NDEF ? VAS_WIN_TYPE_DEFAULT :
					  VAS_WIN_TYPE_QOS;
		wins[i].fd = vt_win_open(i < NDEF ? 0 :
					 VAS_TX_WIN_FLAG_QOS_CREDIT);
		TEST_ASSERT_ERR(0, wins[i].fd < 0 ? wins[i].fd : 0);
		next_event(VAS_CMD_WINDOW_ADD_NTF, &m);
		wins[i].id = m.win.id;
		wins[i].paste = vt_win_map(wins[i].fd);
		TEST_ASSERT(vt_paste(wins[i].paste));
	}

	/* A whole migration, read back from the events afterwards. */
	TEST_ASSERT_ERR(0, vt_migrate(mig.stream));
	token = expect_prepare(mig.stream);
	expect_phase(VAS_MIGRATION_PHASE_SUSPENDING, mig.stream, token);
	expect_changes(VAS_WIN_STATE_SUSPENDED, VAS_SUSPEND_REASON_MIGRATION);
	expect_phase(VAS_MIGRATION_PHASE_SUSPENDED, mig.stream, token);
	expect_changes(VAS_WIN_STATE_ACTIVE, VAS_SUSPEND_REASON_NONE);
	expect_phase(VAS_MIGRATION_PHASE_RESUMED, mig.stream, token);
	expect_phase(VAS_MIGRATION_PHASE_COMPLETED, mig.stream, token);
	vt_event_none(ev, 50);
	for (i = 0; i < NWIN; i++)
		TEST_ASSERT(vt_paste(wins[i].paste));

	TEST_ASSERT_ERR(0, vt_simple(nl, VAS_CMD_MIGRATION_GET, false, r));
	TEST_ASSERT_EQ(1, r->n);
	TEST_ASSERT_EQ(mig.stream, r->msgs[0].mig.stream_id);
	TEST_ASSERT_EQ(VAS_MIGRATION_PHASE_COMPLETED, r->msgs[0].mig.phase);
	TEST_ASSERT_EQ(token, r->msgs[0].mig.token);
	TEST_ASSERT_EQ(last_seq, r->msgs[0].seq);
	printf("migration: %d windows, PREPARE..COMPLETED in order, token %" PRIx64 "\n",
	       NWIN, token);

	/* In the middle of a long one: faults, EBUSY opens and migrations. */
	TEST_ASSERT_ERR(0, vt_debugfs_write("pause_ms", "300"));
	vt_migrate_start(&mig, 43);
	token2 = expect_prepare(mig.stream);
	TEST_ASSERT(token2 != token);
	expect_phase(VAS_MIGRATION_PHASE_SUSPENDING, mig.stream, token2);
	expect_changes(VAS_WIN_STATE_SUSPENDED, VAS_SUSPEND_REASON_MIGRATION);
	expect_phase(VAS_MIGRATION_PHASE_SUSPENDED, mig.stream, token2);
	for (i = 0; i < NWIN; i++)
		TEST_ASSERTF(!vt_paste(wins[i].paste),
			     "paste page of window %u works while suspended",
			     wins[i].id);
	TEST_ASSERT_ERR(-EBUSY, vt_win_open(0));
	TEST_ASSERT_ERR(-EBUSY, vt_win_open(VAS_TX_WIN_FLAG_QOS_CREDIT));
	TEST_ASSERT_ERR(-EBUSY, vt_migrate(44));
	TEST_ASSERT_ERR(0, vt_simple(nl, VAS_CMD_MIGRATION_GET, false, r));
	TEST_ASSERT_EQ(VAS_MIGRATION_PHASE_SUSPENDED, r->msgs[0].mig.phase);
	expect_changes(VAS_WIN_STATE_ACTIVE, VAS_SUSPEND_REASON_NONE);
	expect_phase(VAS_MIGRATION_PHASE_RESUMED, mig.stream, token2);
	expect_phase(VAS_MIGRATION_PHASE_COMPLETED, mig.stream, token2);
	vt_migrate_join(&mig);
	for (i = 0; i < NWIN; i++)
		TEST_ASSERT(vt_paste(wins[i].paste));
	vt_event_none(ev, 50);
	printf("migration: during SUSPENDED pages fault, opens and a second migration get EBUSY\n");

	vt_stats_read(&st);
	TEST_ASSERT_EQ(2, st.migrations);
	TEST_ASSERT_EQ(0, st.aborted);
	TEST_ASSERT_EQ(0, st.missed_windows);
	TEST_ASSERT_EQ(NWIN, st.opens);
	TEST_ASSERT_EQ(2, st.open_ebusy);

	for (i = 0; i < NWIN; i++) {
		vt_win_unmap(wins[i].paste);
		close(wins[i].fd);
		next_event(VAS_CMD_WINDOW_DEL_NTF, &m);
		TEST_ASSERT_EQ(VAS_WIN_STATE_ACTIVE, m.win.state);
	}
	TEST_ASSERT_ERR(0, vt_debugfs_write("pause_ms", "10"));

	vt_nl_free(ev);
	vt_nl_free(nl);
	free(r);
	vt_teardown();
	printf("migration: ok\n");
	return 0;
}
