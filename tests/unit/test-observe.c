// SPDX-License-Identifier: GPL-2.0-only
/*
 * core/observe: the text of /proc and sysfs as the kernel writes it into
 * values, anything else refused; the table keeps a window's id and
 * first-seen time while its handle stays and adopts the ledger's windows
 * after a restart; the snapshot passes vasd_reconcile()'s checks and, once
 * applied, reconciles to nothing; the accounting of notifications against
 * pictures counts missed windows in pairs and carries opens not yet shown.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/observe.h"
#include "core/state-internal.h"
#include "test.h"

#define NOW 1700000000000000000ULL

static void test_credits(void)
{
	uint32_t v = 99;

	ASSERT_INT_EQ(observe_parse_credits("32\n", &v), 0);
	ASSERT_UINT_EQ(v, 32);
	ASSERT_INT_EQ(observe_parse_credits("0\n", &v), 0);
	ASSERT_UINT_EQ(v, 0);
	ASSERT_INT_EQ(observe_parse_credits("2147483647\n", &v), 0);
	ASSERT_UINT_EQ(v, 2147483647u);
	ASSERT_INT_EQ(observe_parse_credits("2147483648\n", &v), -EINVAL);
	ASSERT_INT_EQ(observe_parse_credits("-1\n", &v), -EINVAL);
	ASSERT_INT_EQ(observe_parse_credits("32", &v), -EINVAL);
	ASSERT_INT_EQ(observe_parse_credits("", &v), -EINVAL);
	ASSERT_INT_EQ(observe_parse_credits("3 2\n", &v), -EINVAL);
	ASSERT_INT_EQ(observe_parse_credits("32\n\n", &v), -EINVAL);
}

static void test_stat(void)
{
	/* a comm with spaces and a ')' of its own: fields after the last ')' */
	const char *stat = "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 150 0 0 0 "
			   "0 0 0 0 20 0 1 0 987654 10240000 300 18446744073709551615";
	uint64_t start = 0;

	ASSERT_INT_EQ(observe_parse_stat_start(stat, &start), 0);
	ASSERT_UINT_EQ(start, 987654);
	ASSERT_INT_EQ(observe_parse_stat_start("4242 (x) S 1 2 3", &start), -EINVAL);
	ASSERT_INT_EQ(observe_parse_stat_start("no parenthesis", &start), -EINVAL);
}

static void test_status(void)
{
	uint32_t uid = 0;

	ASSERT_INT_EQ(observe_parse_status_uid("Name:\tnxtest\nUmask:\t0022\nState:\tS (sleeping)\n"
					       "Tgid:\t77\nUid:\t1001\t1002\t1001\t1001\nGid:\t5\t5\t5\t5\n",
					       &uid), 0);
	ASSERT_UINT_EQ(uid, 1001);
	ASSERT_INT_EQ(observe_parse_status_uid("Name:\tx\nGid:\t0\t0\t0\t0\n", &uid), -EINVAL);
	ASSERT_INT_EQ(observe_parse_status_uid("Uid:\tabc\n", &uid), -EINVAL);
}

static void test_comm_link_maps(void)
{
	char comm[VAS_COMM_MAX];
	const char *maps =
		"5581c2a1e000-5581c2a20000 r--p 00000000 fe:01 1311 /usr/bin/nxtest\n"
		"7f2a1c000000-7f2a1c001000 rw-s 00000000 00:05 97 /dev/crypto/nx-gzip\n"
		"7f2a1c001000-7f2a1c002000 rw-s 00001000 00:05 97                         /dev/crypto/nx-gzip\n"
		"7f2a1c002000-7f2a1c003000 rw-s 00000000 00:05 98 /dev/crypto/nx-gzip (deleted)\n"
		"7f2a1c003000-7f2a1c004000 rw-p 00000000 00:00 0 \n"
		"7f2a1c004000-7f2a1c005000 rw-p 00000000 00:00 0 [heap]\n"
		"7f2a1c005000-7f2a1c006000 r--p 00000000 fe:01 12 /tmp/dev/crypto/nx-gzip\n"
		"7f2a1c006000-7f2a1c007000 rw-s 00000000 00:05 97 /dev/crypto/nx-gzip";

	observe_parse_comm("nxtest\n", comm);
	ASSERT_STR_EQ(comm, "nxtest");
	observe_parse_comm("a-name-longer-than-sixteen\n", comm);
	ASSERT_STR_EQ(comm, "a-name-longer-t");
	ASSERT(observe_link_is_device("/dev/crypto/nx-gzip"));
	ASSERT(!observe_link_is_device("/dev/crypto/nx-gzip (deleted)"));
	ASSERT(!observe_link_is_device("socket:[1234]"));
	ASSERT_UINT_EQ(observe_count_maps(maps), 3);
	ASSERT_UINT_EQ(observe_count_maps(""), 0);
}

static struct observe_handle handle(uint32_t tgid, uint64_t start, int32_t fd,
				    const char *comm)
{
	struct observe_handle h = { .tgid = tgid, .start = start, .fd = fd,
				    .uid = tgid + 1000 };

	observe_parse_comm(comm, h.comm);
	return h;
}

static const struct observe_known *find(const struct observe_table *t,
					uint32_t tgid, int32_t fd)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].window.tgid == tgid && t->v[i].fd == fd)
			return &t->v[i];
	return NULL;
}

static void test_table(void)
{
	struct observe_table t = { .next_id = 1 };
	struct observe_handle h[4];
	uint32_t added, removed, id_a, id_b;

	h[0] = handle(300, 50, 7, "b");
	h[1] = handle(100, 10, 3, "a");
	ASSERT_INT_EQ(observe_table_update(&t, h, 2, NOW, &added, &removed), 0);
	ASSERT_UINT_EQ(added, 2);
	ASSERT_UINT_EQ(removed, 0);
	/* ids in (tgid, start, fd) order, whatever order /proc gave */
	id_a = find(&t, 100, 3)->window.id;
	id_b = find(&t, 300, 7)->window.id;
	ASSERT_UINT_EQ(id_a, 1);
	ASSERT_UINT_EQ(id_b, 2);
	ASSERT_UINT_EQ(find(&t, 100, 3)->window.opened_at, NOW);
	ASSERT_UINT_EQ(find(&t, 100, 3)->window.pid, 100);
	ASSERT_UINT_EQ(find(&t, 100, 3)->uid, 1100);
	/* the window carries its owner's uid, as the ledger records it */
	ASSERT_UINT_EQ(find(&t, 100, 3)->window.uid, 1100);
	ASSERT_UINT_EQ(find(&t, 300, 7)->window.uid, 1300);
	ASSERT_STR_EQ(find(&t, 300, 7)->window.comm, "b");

	/* the same handles later: nothing changes, ids and times stay */
	ASSERT_INT_EQ(observe_table_update(&t, h, 2, NOW + 5, &added, &removed), 0);
	ASSERT_UINT_EQ(added + removed, 0);
	ASSERT_UINT_EQ(find(&t, 100, 3)->window.id, id_a);
	ASSERT_UINT_EQ(find(&t, 100, 3)->window.opened_at, NOW);

	/* a reused pid (another start time) on the same fd is another window */
	h[1] = handle(100, 11, 3, "a");
	h[2] = handle(300, 50, 8, "b");
	ASSERT_INT_EQ(observe_table_update(&t, h, 3, NOW + 9, &added, &removed), 0);
	ASSERT_UINT_EQ(added, 2);
	ASSERT_UINT_EQ(removed, 1);
	ASSERT_UINT_EQ(find(&t, 100, 3)->window.id, 3);
	ASSERT_UINT_EQ(find(&t, 100, 3)->window.opened_at, NOW + 9);
	ASSERT_UINT_EQ(find(&t, 300, 7)->window.id, id_b);
	ASSERT_UINT_EQ(find(&t, 300, 8)->window.id, 4);

	ASSERT_INT_EQ(observe_table_update(&t, NULL, 0, NOW, &added, &removed), 0);
	ASSERT_UINT_EQ(added, 0);
	ASSERT_UINT_EQ(removed, 3);
	ASSERT_UINT_EQ(t.n, 0);
	observe_table_done(&t);
}

static struct vasd_state *applied(struct vasd_state *s,
				  const struct vasd_snapshot *snap,
				  size_t *ret_n)
{
	const struct vasd_event begin = { .reason = VASD_RESYNC_OBSERVED };
	struct vasd_event *ev = NULL;
	size_t n = 0;

	ASSERT_INT_EQ(vasd_reconcile(s, snap, &begin, NOW, &ev, &n), 0);
	for (size_t i = 0; i < n; i++) {
		struct vasd_effect e;

		ASSERT_INT_EQ(vasd_apply(s, &ev[i], &e), VASD_APPLY_APPLIED);
	}
	ASSERT_INT_EQ(ev[0].reason, VASD_RESYNC_OBSERVED);
	ASSERT_UINT_EQ(ev[n - 1].seq, 0);
	ASSERT_UINT_EQ(ev[n - 1].generation, 0);
	free(ev);
	*ret_n = n;
	return s;
}

static void test_snapshot_and_seed(void)
{
	const bool has[VASD_N_TYPES] = { true, true };
	const uint32_t total[VASD_N_TYPES] = { 32, 16 };
	struct observe_table t = { .next_id = 1 }, t2 = { 0 };
	struct observe_handle h[3];
	struct vas_window w[3];
	struct vasd_snapshot snap;
	struct vasd_state *s = NULL;
	uint32_t added, removed;
	size_t n;

	ASSERT_INT_EQ(vasd_state_new(&s), 0);
	h[0] = handle(100, 10, 3, "a");
	h[1] = handle(100, 10, 4, "a");
	h[2] = handle(200, 20, 5, "c");
	ASSERT_INT_EQ(observe_table_update(&t, h, 3, NOW, &added, &removed), 0);
	observe_snapshot(&t, has, total, w, &snap);
	ASSERT_UINT_EQ(snap.n_windows, 3);
	ASSERT_UINT_EQ(snap.caps[VAS_WIN_TYPE_DEFAULT].used, 3);
	ASSERT_UINT_EQ(snap.caps[VAS_WIN_TYPE_QOS].used, 0);
	ASSERT_UINT_EQ(snap.caps[VAS_WIN_TYPE_QOS].total, 16);
	ASSERT_UINT_EQ(snap.generation + snap.seq, 0);
	ASSERT_UINT_EQ(w[2].uid, 1200);
	applied(s, &snap, &n);
	/* begin, 3 adds, 2 credits, end */
	ASSERT_UINT_EQ(n, 7);
	ASSERT_UINT_EQ(vasd_state_n_windows(s), 3);
	applied(s, &snap, &n);
	ASSERT_UINT_EQ(n, 2);

	/* vasd restarts: the ledger's windows are adopted, nothing recorded */
	ASSERT_INT_EQ(observe_table_seed(&t2, s), 0);
	ASSERT_UINT_EQ(t2.next_id, 4);
	h[0] = handle(200, 20, 5, "c");
	h[1] = handle(100, 10, 4, "a");
	h[2] = handle(100, 10, 3, "a");
	ASSERT_INT_EQ(observe_table_update(&t2, h, 3, NOW + 100, &added, &removed), 0);
	ASSERT_UINT_EQ(added + removed, 0);
	observe_snapshot(&t2, has, total, w, &snap);
	applied(s, &snap, &n);
	ASSERT_UINT_EQ(n, 2);

	/* one fewer: one delete */
	ASSERT_INT_EQ(observe_table_update(&t2, h, 2, NOW + 200, &added, &removed), 0);
	ASSERT_UINT_EQ(removed, 1);
	observe_snapshot(&t2, has, total, w, &snap);
	applied(s, &snap, &n);
	ASSERT_UINT_EQ(n, 3);	/* begin, del, end: used follows the windows */
	ASSERT_UINT_EQ(vasd_state_n_windows(s), 2);

	observe_table_done(&t);
	observe_table_done(&t2);
	vasd_state_free(s);
}

static void test_account(void)
{
	uint64_t missed, pending;

	observe_account(2, 1, 2, 1, &missed, &pending);
	ASSERT_UINT_EQ(missed + pending, 0);
	/* opened and closed between two pictures */
	observe_account(3, 2, 1, 0, &missed, &pending);
	ASSERT_UINT_EQ(missed, 2);
	ASSERT_UINT_EQ(pending, 0);
	/* an open whose file is not in the table yet */
	observe_account(1, 0, 0, 0, &missed, &pending);
	ASSERT_UINT_EQ(missed, 0);
	ASSERT_UINT_EQ(pending, 1);
	/* a forked child's windows come without an open */
	observe_account(0, 0, 2, 0, &missed, &pending);
	ASSERT_UINT_EQ(missed + pending, 0);
	observe_account(0, 5, 0, 0, &missed, &pending);
	ASSERT_UINT_EQ(missed + pending, 0);
}

static void test_holders(void)
{
	struct observe_handle h[3] = {
		handle(300, 1, 3, "z"), handle(100, 1, 3, "a"),
		handle(300, 1, 4, "z"),
	};
	const uint32_t tgids[] = { 100, 300 }, mapped[] = { 0, 2 };
	struct observe_holder *v = NULL;
	size_t n = 0;

	ASSERT_INT_EQ(observe_holders(h, 3, tgids, mapped, 2, &v, &n), 0);
	ASSERT_UINT_EQ(n, 2);
	ASSERT_UINT_EQ(v[0].tgid, 100);
	ASSERT_UINT_EQ(v[0].windows, 1);
	ASSERT_UINT_EQ(v[0].mapped, 0);
	ASSERT_UINT_EQ(v[1].tgid, 300);
	ASSERT_UINT_EQ(v[1].windows, 2);
	ASSERT_UINT_EQ(v[1].mapped, 2);
	ASSERT_UINT_EQ(v[1].uid, 1300);
	ASSERT_STR_EQ(v[1].comm, "z");
	free(v);
}

static void test_uncoordinated(void)
{
	struct observe_holder h[3] = {
		{ .tgid = 100, .windows = 2, .comm = "nxtest" },
		{ .tgid = 200, .windows = 1, .comm = "locked" },
		{ .tgid = 300, .windows = 1, .comm = "b\\ad\xff" },
	};
	const uint32_t locks[] = { 200, 999 };
	char *line = NULL;

	ASSERT_INT_EQ(observe_uncoordinated(h, 3, locks, 2, &line), 0);
	ASSERT_STR_EQ(line, "uncoordinated: 100 nxtest (2 windows), 300 b\\x5cad\\xff (1 window)");
	free(line);
	ASSERT_INT_EQ(observe_uncoordinated(h + 1, 1, locks, 2, &line), 0);
	ASSERT_NULL(line);
	ASSERT_INT_EQ(observe_uncoordinated(NULL, 0, NULL, 0, &line), 0);
	ASSERT_NULL(line);
	/* the records the coordinator makes go by the same test */
	ASSERT(!observe_holder_locked(&h[0], locks, 2));
	ASSERT(observe_holder_locked(&h[1], locks, 2));
	ASSERT(!observe_holder_locked(&h[1], locks, 0));
}

int main(void)
{
	test_credits();
	test_stat();
	test_status();
	test_comm_link_maps();
	test_table();
	test_snapshot_and_seed();
	test_account();
	test_holders();
	test_uncoordinated();
	return 0;
}
