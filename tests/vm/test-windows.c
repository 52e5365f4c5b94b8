// SPDX-License-Identifier: GPL-2.0-only
/*
 * Windows opened and closed through the real uapi appear as WINDOW_ADD and
 * WINDOW_DEL events, in order, with contiguous seq and their owner; the
 * dump and WINDOW_GET agree with the events; a reload of the module is a
 * new instance (new generation, seq from 1).
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmtest.h"

#define NWIN 5

struct win {
	int fd;
	void *paste;
	struct vt_window w;	/* as the ADD event reported it */
};

struct events {
	struct vt_nl *ev;
	uint64_t generation;
	uint64_t seq;		/* of the last event */
};

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void window_equal(const struct vt_window *a, const struct vt_window *b)
{
	TEST_ASSERT_EQ(a->id, b->id);
	TEST_ASSERT_EQ(a->tgid, b->tgid);
	TEST_ASSERT_EQ(a->pid, b->pid);
	TEST_ASSERTF(!strcmp(a->comm, b->comm), "comm '%s' != '%s'", a->comm,
		     b->comm);
	TEST_ASSERT_EQ(a->cop, b->cop);
	TEST_ASSERT_EQ(a->type, b->type);
	TEST_ASSERT_EQ(a->state, b->state);
	TEST_ASSERT_EQ(a->reason, b->reason);
	TEST_ASSERT_EQ(a->opened_at, b->opened_at);
	TEST_ASSERT_EQ(a->uid, b->uid);
}

/* The next event must be @cmd, numbered right after the previous one. */
static void next_event(struct events *e, uint8_t cmd, struct vt_msg *m)
{
	vt_event_next(e->ev, cmd, 2000, &e->seq, m);
	TEST_ASSERT_EQ(e->generation, m->generation);
	TEST_ASSERT(m->has_window);
}

static void open_checked(struct events *e, struct win *w, uint64_t flags,
			 pid_t tid, const char *comm)
{
	uint64_t before = realtime_ns();
	struct vt_msg m;

	w->fd = vt_win_open(flags);
	TEST_ASSERT_ERR(0, w->fd < 0 ? w->fd : 0);
	next_event(e, VAS_CMD_WINDOW_ADD_NTF, &m);
	w->w = m.win;
	TEST_ASSERT_EQ(getpid(), w->w.tgid);
	TEST_ASSERT_EQ(tid, w->w.pid);
	TEST_ASSERTF(!strcmp(comm, w->w.comm), "comm '%s', expected '%s'",
		     w->w.comm, comm);
	TEST_ASSERT_EQ(VAS_COP_GZIP, w->w.cop);
	TEST_ASSERT_EQ(flags ? VAS_WIN_TYPE_QOS : VAS_WIN_TYPE_DEFAULT,
		       w->w.type);
	TEST_ASSERT_EQ(VAS_WIN_STATE_ACTIVE, w->w.state);
	TEST_ASSERT_EQ(VAS_SUSPEND_REASON_NONE, w->w.reason);
	TEST_ASSERT_EQ(getuid(), w->w.uid);
	TEST_ASSERTF(w->w.opened_at >= before &&
		     w->w.opened_at <= realtime_ns() &&
		     m.timestamp >= w->w.opened_at,
		     "opened_at %" PRIu64 " outside the open call",
		     w->w.opened_at);
	w->paste = vt_win_map(w->fd);
	TEST_ASSERT(vt_paste(w->paste));
}

static void close_checked(struct events *e, struct win *w)
{
	struct vt_msg m;

	vt_win_unmap(w->paste);
	close(w->fd);
	w->fd = -1;
	next_event(e, VAS_CMD_WINDOW_DEL_NTF, &m);
	window_equal(&w->w, &m.win);
}

/* The dump holds exactly the windows still open, as their events said. */
static void dump_equals(struct vt_nl *nl, const struct events *e,
			const struct win *wins, size_t n)
{
	struct vt_reply *r = calloc(1, sizeof(*r));
	size_t i, j, live = 0;

	TEST_ASSERT(r);
	TEST_ASSERT_ERR(0, vt_simple(nl, VAS_CMD_WINDOW_GET, true, r));
	TEST_ASSERT(!r->dump_intr);
	for (i = 0; i < n; i++) {
		if (wins[i].fd < 0)
			continue;
		live++;
		for (j = 0; j < r->n; j++)
			if (r->msgs[j].win.id == wins[i].w.id)
				break;
		TEST_ASSERTF(j < r->n, "window %u missing from the dump",
			     wins[i].w.id);
		window_equal(&wins[i].w, &r->msgs[j].win);
	}
	TEST_ASSERT_EQ(live, r->n);
	for (j = 0; j < r->n; j++) {
		TEST_ASSERT_EQ(e->generation, r->msgs[j].generation);
		TEST_ASSERT_EQ(e->seq, r->msgs[j].seq);
		TEST_ASSERT(!r->msgs[j].has_timestamp);
	}

	TEST_ASSERT_ERR(0, vt_simple(nl, VAS_CMD_CAPS_GET, true, r));
	TEST_ASSERT_EQ(2, r->n);
	for (j = 0; j < r->n; j++)
		TEST_ASSERT_EQ(e->seq, r->msgs[j].seq);
	free(r);
}

struct thread_open {
	struct events *e;
	struct win *w;
};

static void *opener_thread(void *arg)
{
	struct thread_open *t = arg;

	TEST_ASSERT(prctl(PR_SET_NAME, "vt-opener") == 0);
	open_checked(t->e, t->w, 0, gettid(), "vt-opener");
	return NULL;
}

/* A window dies with its process; the events name the child. */
static void child_window(struct events *e)
{
	struct vt_msg add, del;
	int status, fd;
	pid_t pid;

	pid = fork();
	TEST_ASSERT(pid >= 0);
	if (!pid) {
		fd = vt_win_open(VAS_TX_WIN_FLAG_QOS_CREDIT);
		_exit(fd < 0 ? 1 : 0);
	}
	TEST_ASSERT(waitpid(pid, &status, 0) == pid);
	TEST_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	next_event(e, VAS_CMD_WINDOW_ADD_NTF, &add);
	next_event(e, VAS_CMD_WINDOW_DEL_NTF, &del);
	TEST_ASSERT_EQ(pid, add.win.tgid);
	TEST_ASSERT_EQ(pid, add.win.pid);
	TEST_ASSERT_EQ(VAS_WIN_TYPE_QOS, add.win.type);
	window_equal(&add.win, &del.win);
}

int main(void)
{
	struct vt_reply *r = calloc(1, sizeof(*r));
	struct win wins[NWIN];
	struct thread_open t;
	struct events e = { 0 };
	struct vt_nl *nl;
	pthread_t th;
	char comm[16];
	uint64_t gen1;
	int i;

	TEST_ASSERT(r);
	vt_setup(NULL);
	TEST_ASSERT(prctl(PR_GET_NAME, comm) == 0);

	nl = vt_nl_new();
	e.ev = vt_nl_new();
	TEST_ASSERT_ERR(0, vt_nl_join(e.ev));

	/* Nothing happened since the load: seq 0, no windows. */
	TEST_ASSERT_ERR(0, vt_simple(nl, VAS_CMD_WINDOW_GET, true, r));
	TEST_ASSERT_EQ(0, r->n);
	TEST_ASSERT_ERR(0, vt_simple(nl, VAS_CMD_MIGRATION_GET, false, r));
	TEST_ASSERT_EQ(1, r->n);
	TEST_ASSERT_EQ(0, r->msgs[0].seq);
	TEST_ASSERT(r->msgs[0].generation != 0);
	e.generation = r->msgs[0].generation;

	open_checked(&e, &wins[0], 0, getpid(), comm);
	TEST_ASSERT_EQ(1, e.seq);
	open_checked(&e, &wins[1], VAS_TX_WIN_FLAG_QOS_CREDIT, getpid(), comm);
	t.e = &e;
	t.w = &wins[2];
	TEST_ASSERT(pthread_create(&th, NULL, opener_thread, &t) == 0);
	TEST_ASSERT(pthread_join(th, NULL) == 0);
	open_checked(&e, &wins[3], 0, getpid(), comm);
	open_checked(&e, &wins[4], VAS_TX_WIN_FLAG_QOS_CREDIT, getpid(), comm);
	dump_equals(nl, &e, wins, NWIN);

	for (i = 0; i < NWIN; i++) {
		TEST_ASSERT_ERR(0, vt_window_get(nl, wins[i].w.id, r));
		TEST_ASSERT_EQ(1, r->n);
		TEST_ASSERT_EQ(e.seq, r->msgs[0].seq);
		window_equal(&wins[i].w, &r->msgs[0].win);
	}

	close_checked(&e, &wins[1]);
	close_checked(&e, &wins[3]);
	TEST_ASSERT_ERR(-ENOENT, vt_window_get(nl, wins[3].w.id, r));
	dump_equals(nl, &e, wins, NWIN);

	child_window(&e);
	dump_equals(nl, &e, wins, NWIN);

	for (i = 0; i < NWIN; i++)
		if (wins[i].fd >= 0)
			close_checked(&e, &wins[i]);
	dump_equals(nl, &e, wins, NWIN);
	vt_event_none(e.ev, 100);
	printf("windows: %" PRIu64 " events in order, dumps agree\n", e.seq);

	/* A reload is a new instance: new generation, seq from 1. */
	gen1 = e.generation;
	vt_nl_free(e.ev);
	vt_nl_free(nl);
	vt_kmod_unload();
	vt_kmod_load(NULL);
	nl = vt_nl_new();
	e.ev = vt_nl_new();
	TEST_ASSERT_ERR(0, vt_nl_join(e.ev));
	TEST_ASSERT_ERR(0, vt_simple(nl, VAS_CMD_MIGRATION_GET, false, r));
	TEST_ASSERT_EQ(0, r->msgs[0].seq);
	TEST_ASSERTF(r->msgs[0].generation != gen1 &&
		     r->msgs[0].generation != 0,
		     "generation %" PRIx64 " after a reload", gen1);
	e.generation = r->msgs[0].generation;
	e.seq = 0;
	open_checked(&e, &wins[0], 0, getpid(), comm);
	TEST_ASSERT_EQ(1, e.seq);
	close_checked(&e, &wins[0]);
	printf("windows: generation %" PRIx64 " -> %" PRIx64 " on reload, seq restarts at 1\n",
	       gen1, e.generation);

	vt_nl_free(e.ev);
	vt_nl_free(nl);
	free(r);
	vt_teardown();
	printf("windows: ok\n");
	return 0;
}
