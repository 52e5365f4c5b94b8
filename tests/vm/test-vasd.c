// SPDX-License-Identifier: GPL-2.0-only
/*
 * vasd against the real kernel part: under a workload of windows opened and
 * closed by several processes, a DLPAR credit change and a migration, the
 * ledger's projection equals the kernel's dump and every seq the kernel
 * sent after vasd's first resync is in the ledger, in order, once. The
 * ledger is read with SQLite directly, not through vasd's code. Then a
 * burst into a tiny receive buffer: the loss is recorded and the ledger
 * converges to the dump. On the debug kernel, a notification lost to a
 * failed allocation: vasd resyncs.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmtest.h"
#include "vtdaemon.h"

#define N_CHILDREN 4

static uint64_t kernel_seq(struct vt_nl *nl, uint64_t *ret_generation)
{
	struct vt_reply *r = calloc(1, sizeof(*r));
	uint64_t seq;

	TEST_ASSERT(r);
	TEST_ASSERT_ERR(0, vt_simple(nl, VAS_CMD_CAPS_GET, true, r));
	TEST_ASSERT(r->n == 2 && r->msgs[0].has_ids);
	seq = r->msgs[0].seq;
	*ret_generation = r->msgs[0].generation;
	free(r);
	return seq;
}

/* A process that opens windows, keeps some, and exits holding the others. */
/*
 * A client opens n_open windows, closes the first n_close, writes a byte
 * on ready once they are open and holds the rest until the parent closes
 * hold.
 */
static pid_t spawn_client(int n_open, int n_close, const int hold[2], int ready)
{
	pid_t pid = fork();
	char c;

	TEST_ASSERT(pid >= 0);
	if (pid)
		return pid;
	close(hold[1]);
	for (int i = 0; i < n_open; i++) {
		int fd = vt_win_open(i % 2 ? VAS_TX_WIN_FLAG_QOS_CREDIT : 0);

		TEST_ASSERTF(fd >= 0, "open: %s", strerror(-fd));
		if (i < n_close)
			close(fd);
	}
	if (write(ready, "r", 1) != 1)
		_exit(1);
	/* hold the rest until the parent closes the pipe */
	if (read(hold[0], &c, 1) < 0)
		_exit(1);
	_exit(0);
}

static sqlite3 *ledger_open_ro(const char *path)
{
	sqlite3 *db;

	TEST_ASSERTF(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
		     SQLITE_OK, "open %s", path);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static sqlite3_stmt *prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;

	TEST_ASSERTF(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK,
		     "%s: %s", sql, sqlite3_errmsg(db));
	return st;
}

static void compare_windows(struct vt_nl *nl, sqlite3 *db)
{
	struct vt_reply *r = calloc(1, sizeof(*r));
	sqlite3_stmt *st;
	size_t n = 0;

	TEST_ASSERT(r);
	TEST_ASSERT_ERR(0, vt_simple(nl, VAS_CMD_WINDOW_GET, true, r));
	st = prepare(db, "SELECT id, tgid, pid, comm, cop, type, state, reason, opened_at, "
			 "uid FROM windows ORDER BY id");
	while (sqlite3_step(st) == SQLITE_ROW) {
		const struct vt_window *w = NULL;
		uint32_t id = (uint32_t)sqlite3_column_int64(st, 0);

		for (size_t i = 0; i < r->n; i++)
			if (r->msgs[i].win.id == id)
				w = &r->msgs[i].win;
		TEST_ASSERTF(w, "window %u is in the ledger, not in the kernel", id);
		TEST_ASSERT_EQ(w->tgid, sqlite3_column_int64(st, 1));
		TEST_ASSERT_EQ(w->pid, sqlite3_column_int64(st, 2));
		TEST_ASSERT(strcmp(w->comm, (const char *)sqlite3_column_text(st, 3)) == 0);
		TEST_ASSERT_EQ(w->cop, sqlite3_column_int64(st, 4));
		TEST_ASSERT_EQ(w->type, sqlite3_column_int64(st, 5));
		TEST_ASSERT_EQ(w->state, sqlite3_column_int64(st, 6));
		TEST_ASSERT_EQ(w->reason, sqlite3_column_int64(st, 7));
		TEST_ASSERT_EQ(w->opened_at, sqlite3_column_int64(st, 8));
		TEST_ASSERT_EQ(w->uid, sqlite3_column_int64(st, 9));
		n++;
	}
	sqlite3_finalize(st);
	TEST_ASSERT_EQ(r->n, n);
	printf("ledger and kernel agree on %zu windows\n", n);
	free(r);
}

/*
 * Every seq the kernel sent after vasd's first resync is in the ledger once,
 * in position order, or covered by a later resync: a resync-end at S stands
 * for every seq up to S. Returns the number of resyncs after the first.
 */
static int check_seqs(sqlite3 *db, uint64_t generation, uint64_t last)
{
	sqlite3_stmt *st;
	uint64_t expect = 0, first = 0;
	int resyncs = -1;

	/* vasd's own facts (the coordinator's among them) carry no seq */
	st = prepare(db, "SELECT kind, generation, seq FROM events "
			 "WHERE kind NOT LIKE 'daemon%' AND kind NOT LIKE 'inhibitor-%' "
			 "AND (kind NOT LIKE 'migration-%' OR kind = 'migration-change') "
			 "ORDER BY position");
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *kind = (const char *)sqlite3_column_text(st, 0);
		uint64_t seq = (uint64_t)sqlite3_column_int64(st, 2);

		if (strcmp(kind, "resync-end") == 0) {
			TEST_ASSERT_EQ(generation, sqlite3_column_int64(st, 1));
			TEST_ASSERTF(resyncs < 0 || seq + 1 >= expect,
				     "a resync went back from %" PRIu64 " to %" PRIu64,
				     expect - 1, seq);
			if (resyncs < 0)
				first = seq;
			expect = seq + 1;
			resyncs++;
		} else if (strncmp(kind, "resync", 6) != 0) {
			TEST_ASSERTF(resyncs >= 0, "a %s event before the first resync", kind);
			TEST_ASSERT_EQ(generation, sqlite3_column_int64(st, 1));
			TEST_ASSERTF(seq == expect, "%s: seq %" PRIu64 ", expected %" PRIu64,
				     kind, seq, expect);
			expect++;
		}
	}
	sqlite3_finalize(st);
	TEST_ASSERT_EQ(last + 1, expect);
	printf("seq %" PRIu64 "..%" PRIu64 " all in the ledger once, in order, or covered by %d resync(s)\n",
	       first + 1, last, resyncs);
	return resyncs;
}

/* Wait until vasd's status says it has followed the kernel up to now. */
static void catch_up(struct vt_daemon *d, struct vt_nl *nl,
		     uint64_t *ret_generation, uint64_t *ret_seq)
{
	char needle[64];

	*ret_seq = kernel_seq(nl, ret_generation);
	snprintf(needle, sizeof(needle), "at seq %" PRIu64 ":", *ret_seq);
	vt_daemon_wait_status(d, needle, 20000);
}

/*
 * A burst of thousands of events into a receive buffer far too small:
 * vasd sees ENOBUFS, records the loss as a resync, and converges.
 */
static void overrun(struct vt_nl *nl)
{
	struct vt_daemon d;
	uint64_t generation, seq;
	sqlite3 *db;
	sqlite3_stmt *st;
	pid_t pid;
	int status;

	vt_daemon_start(&d, 30000, "--rcvbuf", "1K", NULL);
	pid = fork();
	TEST_ASSERT(pid >= 0);
	if (pid == 0) {
		for (int i = 0; i < 3000; i++) {
			int fd = vt_win_open(0);

			if (fd < 0)
				_exit(1);
			close(fd);
		}
		_exit(0);
	}
	TEST_ASSERT(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0);
	catch_up(&d, nl, &generation, &seq);

	db = ledger_open_ro(d.db);
	compare_windows(nl, db);
	TEST_ASSERTF(check_seqs(db, generation, seq) > 0,
		     "no resync after a burst into a 1K buffer");
	st = prepare(db, "SELECT count(*) FROM events WHERE kind = 'resync-begin' "
			 "AND reason = 'overrun'");
	TEST_ASSERT(sqlite3_step(st) == SQLITE_ROW);
	TEST_ASSERTF(sqlite3_column_int64(st, 0) > 0, "no overrun recorded");
	printf("overrun: %lld resync(s) for lost events recorded\n",
	       (long long)sqlite3_column_int64(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	TEST_ASSERT_EQ(0, vt_daemon_stop(&d));
}

/*
 * A notification the kernel could not allocate (failslab on the debug
 * kernel): the window opens, its event is lost, and vasd, told by ENOBUFS
 * and the gap in the numbering, resyncs instead of missing the window.
 */
static void lost_notification(struct vt_nl *nl)
{
	struct vt_daemon d;
	uint64_t generation, seq;
	unsigned int n;
	sqlite3 *db;
	sqlite3_stmt *st;
	bool lost = false;
	int fd = -1;

	struct vt_nl *ev = vt_nl_new();
	struct vt_msg m;
	int r;

	vt_failslab_aim();
	vt_daemon_start(&d, 30000, NULL);
	/* a listener of ours learns of the loss as vasd does */
	TEST_ASSERT_ERR(0, vt_nl_join(ev));
	/* the n-th allocation that leaves the window open is its event's */
	for (n = 1; n <= 16 && !lost; n++) {
		struct vas_tx_win_open_attr attr = { .version = 1, .vas_id = -1 };
		int err;

		vt_fail_nth(n);
		/* open() allocates too: vt_win_open() would fail the test */
		fd = open("/dev/crypto/nx-gzip", O_RDWR | O_CLOEXEC);
		err = fd < 0 ? -errno : vt_win_ioctl(fd, &attr);
		if (err && fd >= 0)
			close(fd);
		if (err)
			fd = err;
		/*
		 * a failure the open absorbed (xarray retries its node
		 * allocation) loses nothing; a lost event sets ENOBUFS on
		 * every listener before the open returns
		 */
		r = 0;
		if (vt_fail_nth_fired() && fd >= 0)
			while ((r = vt_event_wait(ev, &m, 0)) == 1)
				;
		lost = r == -ENOBUFS;
		TEST_ASSERTF(fd >= 0 || fd == -ENOMEM, "open: %s", strerror(-fd));
		if (fd >= 0 && !lost)
			close(fd);
	}
	TEST_ASSERTF(lost, "no allocation of the open path lost its event");
	catch_up(&d, nl, &generation, &seq);

	db = ledger_open_ro(d.db);
	compare_windows(nl, db);
	TEST_ASSERTF(check_seqs(db, generation, seq) > 0,
		     "no resync after a lost notification");
	st = prepare(db, "SELECT reason FROM events WHERE kind = 'resync-begin' "
			 "ORDER BY position DESC LIMIT 1");
	TEST_ASSERT(sqlite3_step(st) == SQLITE_ROW);
	printf("lost notification (allocation %u of the open): vasd resynced"
	       " (%s)\n", n - 1, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	TEST_ASSERT_EQ(0, vt_daemon_stop(&d));
	vt_nl_free(ev);
	close(fd);
}

int main(void)
{
	struct vt_daemon d;
	struct vt_nl *nl;
	pid_t children[N_CHILDREN];
	int hold[2], ready[2], fds[3], status;
	char c;
	uint64_t generation, seq;
	sqlite3 *db;

	vt_setup(NULL);
	nl = vt_nl_new();

	/* windows from before vasd starts come in by its first dump */
	fds[0] = vt_win_open(0);
	TEST_ASSERT(fds[0] >= 0);
	vt_daemon_start(&d, 30000, "--log-level", "debug", NULL);

	TEST_ASSERT(pipe(hold) == 0 && pipe(ready) == 0);
	for (int i = 0; i < N_CHILDREN; i++)
		children[i] = spawn_client(3 + i, i, hold, ready[1]);
	close(ready[1]);
	fds[1] = vt_win_open(VAS_TX_WIN_FLAG_QOS_CREDIT);
	fds[2] = vt_win_open(0);
	TEST_ASSERT(fds[1] >= 0 && fds[2] >= 0);

	/* every client's windows are open before the credits change */
	for (int i = 0; i < N_CHILDREN; i++)
		TEST_ASSERTF(read(ready[0], &c, 1) == 1,
			     "client %d ended before its windows were open", i);
	close(ready[0]);

	/* DLPAR: take credits away (the newest windows suspend), give back */
	TEST_ASSERT_ERR(0, vt_debugfs_write("credits_default", "%u", 3));
	TEST_ASSERT_ERR(0, vt_debugfs_write("credits_default", "%u", 32));
	TEST_ASSERT_ERR(0, vt_migrate(42));
	close(fds[2]);

	/* half the clients exit with their windows open: the kernel closes them */
	close(hold[1]);
	for (int i = 0; i < N_CHILDREN; i++)
		TEST_ASSERT(waitpid(children[i], &status, 0) == children[i] &&
			    WIFEXITED(status) && WEXITSTATUS(status) == 0);

	catch_up(&d, nl, &generation, &seq);
	db = ledger_open_ro(d.db);
	compare_windows(nl, db);
	TEST_ASSERT_EQ(0, check_seqs(db, generation, seq));
	sqlite3_close(db);
	TEST_ASSERT_EQ(0, vt_daemon_stop(&d));
	close(fds[0]);
	close(fds[1]);

	overrun(nl);
	if (vt_failslab_present())
		lost_notification(nl);
	vt_nl_free(nl);
	vt_teardown();
	printf("ok\n");
	return 0;
}
