// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fake kernel, driven line by line through its stdin and read through
 * kernel_source("unix:PATH") as vasd reads it: events numbered without a
 * gap and following the module's semantics (ids, LIFO suspension on a
 * credit decrease, oldest-first resumption, migration order), dumps equal
 * to the truth it writes, drop as a gap, reload as a new generation, the
 * coordinator's rules, overrun as ENOBUFS, the netlink errors of bad
 * requests, and the event rate.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <json-c/json.h>
#include <libmnl/libmnl.h>

#include "../unit/test.h"
#include "netlink/vas-msg.h"
#include "netlink/vas-nl.h"
#include "util/macro.h"
#include "kernel-source.h"

#define WAIT_MS 10000

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The fake kernel, its script on a pipe. */
struct fake {
	pid_t pid;
	FILE *script;
	char dir[64];
	char sock[128];
	unsigned int n_truth;
};

static void fake_alive(const struct fake *f)
{
	int status;

	if (waitpid(f->pid, &status, WNOHANG) == f->pid)
		TEST_FAIL("the fake kernel exited (status 0x%x)", status);
}

static void fake_start(struct fake *f, ...)
{
	const char *argv[32] = { getenv("FAKE_KERNEL"), "--socket", f->sock,
				 "--linger" };
	size_t n = 4;
	double deadline;
	struct stat st;
	va_list ap;
	int p[2];

	ASSERT(argv[0]);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test-fake-kernel.XXXXXX");
	ASSERT(mkdtemp(f->dir));
	snprintf(f->sock, sizeof(f->sock), "%s/kernel.sock", f->dir);
	f->n_truth = 0;
	va_start(ap, f);
	while (n < ELEMENTSOF(argv) - 1 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;

	ASSERT(pipe2(p, O_CLOEXEC) == 0);
	f->pid = fork();
	ASSERT(f->pid >= 0);
	if (f->pid == 0) {
		/* a test that fails leaves no fake kernel behind */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(p[0], STDIN_FILENO);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[0]);
	f->script = fdopen(p[1], "w");
	ASSERT(f->script);

	deadline = now_ms() + WAIT_MS;
	while (stat(f->sock, &st) < 0) {
		fake_alive(f);
		ASSERT(now_ms() < deadline);
		usleep(5000);
	}
}

static void fake_run(struct fake *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fake_run(struct fake *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(f->script, fmt, ap);
	va_end(ap);
	fputc('\n', f->script);
	ASSERT(fflush(f->script) == 0);
}

/* The truth, once the script got there. */
static json_object *fake_truth(struct fake *f)
{
	char path[128];
	double deadline = now_ms() + 3 * WAIT_MS;
	struct stat st;
	json_object *o;

	snprintf(path, sizeof(path), "%s/truth-%u.json", f->dir, f->n_truth++);
	fake_run(f, "truth %s", path);
	while (stat(path, &st) < 0) {
		fake_alive(f);
		ASSERT(now_ms() < deadline);
		usleep(2000);
	}
	o = json_object_from_file(path);
	ASSERT(o);
	return o;
}

static void fake_stop(struct fake *f, int expect_status)
{
	char path[128];
	int status;

	fclose(f->script);
	kill(f->pid, SIGTERM);
	ASSERT(waitpid(f->pid, &status, 0) == f->pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != expect_status)
		TEST_FAIL("fake kernel: status 0x%x, expected exit %d", status,
			  expect_status);
	for (unsigned int i = 0; i < f->n_truth; i++) {
		snprintf(path, sizeof(path), "%s/truth-%u.json", f->dir, i);
		unlink(path);
	}
	/* the fake kernel removes its socket */
	ASSERT(rmdir(f->dir) == 0);
}

/* A script that ends by itself, with "exit" or a bad line. */
static void fake_wait_exit(struct fake *f, int expect_status)
{
	double deadline = now_ms() + WAIT_MS;
	int status;

	fclose(f->script);
	while (waitpid(f->pid, &status, WNOHANG) != f->pid) {
		ASSERT(now_ms() < deadline);
		usleep(2000);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != expect_status)
		TEST_FAIL("fake kernel: status 0x%x, expected exit %d", status,
			  expect_status);
	ASSERT(rmdir(f->dir) == 0);
}

static json_object *j(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		TEST_FAIL("truth: no \"%s\"", key);
	return v;
}

static uint64_t ju(json_object *o, const char *key)
{
	return json_object_get_uint64(j(o, key));
}

/* A client: a kernel source and what it has seen of the events. */
struct client {
	struct kernel_source *ks;
	uint64_t generation;
	uint64_t last_seq;
	union {
		uint64_t align;
		uint8_t bytes[VAS_NL_BUFFER_SIZE];
	} buf;
};

static struct client *client_new(const struct fake *f)
{
	struct client *c = calloc(1, sizeof(*c));
	char spec[160];

	ASSERT(c);
	snprintf(spec, sizeof(spec), "unix:%s", f->sock);
	ASSERT_INT_EQ(kernel_source_new(spec, 0, &c->ks), 0);
	return c;
}

static void client_free(struct client *c)
{
	kernel_source_free(c->ks);
	free(c);
}

static bool is_notification(uint8_t cmd)
{
	return cmd == VAS_CMD_WINDOW_ADD_NTF || cmd == VAS_CMD_WINDOW_DEL_NTF ||
	       cmd == VAS_CMD_WINDOW_CHANGE_NTF ||
	       cmd == VAS_CMD_CAPS_CHANGE_NTF ||
	       cmd == VAS_CMD_MIGRATION_CHANGE_NTF;
}

/* 1 with the next event in *m, 0 when none came in time, or -ENOBUFS. */
static int client_event(struct client *c, int timeout_ms, struct vas_msg *m)
{
	double deadline = now_ms() + timeout_ms;
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)c->buf.bytes;
	const char *err = NULL;
	ssize_t n;
	int r;

	for (;;) {
		struct pollfd p = {
			.fd = kernel_source_get_fd(c->ks),
			.events = POLLIN,
		};
		double left = deadline - now_ms();

		n = kernel_source_recv(c->ks, c->buf.bytes, sizeof(c->buf));
		if (n != -EAGAIN)
			break;
		if (left <= 0)
			return 0;
		ASSERT(poll(&p, 1, (int)left + 1) >= 0);
	}
	if (n == -ENOBUFS)
		return -ENOBUFS;
	if (n < 0)
		TEST_FAIL("kernel_source_recv: %s", strerror((int)-n));
	/* one notification per datagram, as netlink multicasts them */
	ASSERT_UINT_EQ(nlh->nlmsg_len, n);
	ASSERT_UINT_EQ(nlh->nlmsg_type, KERNEL_SOURCE_UNIX_FAMILY_ID);
	ASSERT_UINT_EQ(nlh->nlmsg_seq, 0);
	r = vas_msg_decode(nlh, (size_t)n, m, &err);
	if (r < 0)
		TEST_FAIL("an event that does not decode: %s", err);
	ASSERT(is_notification(m->cmd));
	ASSERT(m->has & VAS_MSG_HAS_TIMESTAMP);
	return 1;
}

/* The next event must be @cmd and numbered right after the last one. */
static void expect_next(struct client *c, uint8_t cmd, struct vas_msg *m)
{
	ASSERT_INT_EQ(client_event(c, WAIT_MS, m), 1);
	ASSERT_STR_EQ(vas_cmd_to_string(m->cmd), vas_cmd_to_string(cmd));
	if (c->last_seq)
		ASSERT_UINT_EQ(m->generation, c->generation);
	ASSERT_UINT_EQ(m->seq, c->last_seq + 1);
	c->generation = m->generation;
	c->last_seq = m->seq;
}

static void expect_window(struct client *c, uint8_t cmd, uint32_t id,
			  uint32_t type, uint32_t state, uint32_t reason)
{
	struct vas_msg m;

	expect_next(c, cmd, &m);
	ASSERT_UINT_EQ(m.window.id, id);
	ASSERT_UINT_EQ(m.window.type, type);
	ASSERT_UINT_EQ(m.window.state, state);
	ASSERT_UINT_EQ(m.window.reason, reason);
	ASSERT_UINT_EQ(m.window.cop, VAS_COP_GZIP);
}

static void expect_caps(struct client *c, uint32_t type, uint32_t total,
			uint32_t used)
{
	struct vas_msg m;

	expect_next(c, VAS_CMD_CAPS_CHANGE_NTF, &m);
	ASSERT_UINT_EQ(m.caps.type, type);
	ASSERT_UINT_EQ(m.caps.total, total);
	ASSERT_UINT_EQ(m.caps.used, used);
}

static uint64_t expect_phase(struct client *c, uint64_t stream, uint32_t phase)
{
	struct vas_msg m;

	expect_next(c, VAS_CMD_MIGRATION_CHANGE_NTF, &m);
	ASSERT_STR_EQ(vas_migration_phase_to_string(m.migration.phase),
		      vas_migration_phase_to_string(phase));
	ASSERT_UINT_EQ(m.migration.stream_id, stream);
	ASSERT(m.migration.token != 0);
	return m.migration.token;
}

static void expect_none(struct client *c, int ms)
{
	struct vas_msg m;

	ASSERT_INT_EQ(client_event(c, ms, &m), 0);
}

/* Dumps. */

struct dump {
	uint8_t cmd;
	size_t n;
	struct vas_msg msgs[64];
};

static int dump_msg(const struct nlmsghdr *nlh, void *userdata)
{
	struct dump *d = userdata;
	const char *err = NULL;
	struct vas_msg *m;

	ASSERT(d->n < ELEMENTSOF(d->msgs));
	m = &d->msgs[d->n++];
	ASSERT_UINT_EQ(nlh->nlmsg_type, KERNEL_SOURCE_UNIX_FAMILY_ID);
	if (vas_msg_decode(nlh, nlh->nlmsg_len, m, &err) < 0)
		TEST_FAIL("a reply that does not decode: %s", err);
	ASSERT_UINT_EQ(m->cmd, d->cmd);
	ASSERT(!(m->has & VAS_MSG_HAS_TIMESTAMP));
	return 0;
}

static void dump(struct client *c, uint8_t cmd, struct dump *d)
{
	*d = (struct dump) { .cmd = cmd };
	ASSERT_INT_EQ(kernel_source_dump(c->ks, cmd, dump_msg, d), 0);
	for (size_t i = 0; i < d->n; i++)
		ASSERT(d->msgs[i].nlmsg_flags & NLM_F_MULTI);
}

static void check_window(const struct vas_window *w, json_object *t)
{
	ASSERT_UINT_EQ(w->id, ju(t, "id"));
	ASSERT_UINT_EQ(w->tgid, ju(t, "tgid"));
	ASSERT_UINT_EQ(w->pid, ju(t, "pid"));
	ASSERT_STR_EQ(w->comm, json_object_get_string(j(t, "comm")));
	ASSERT_UINT_EQ(w->cop, ju(t, "cop"));
	ASSERT_UINT_EQ(w->type, ju(t, "type"));
	ASSERT_UINT_EQ(w->state, ju(t, "state"));
	ASSERT_UINT_EQ(w->reason, ju(t, "reason"));
	ASSERT_UINT_EQ(w->opened_at, ju(t, "opened_at"));
}

static int one_msg(const struct nlmsghdr *nlh, void *userdata)
{
	struct dump *d = userdata;

	ASSERT_INT_EQ(d->n, 0);
	return dump_msg(nlh, d);
}

/* Every dump and the migration's get agree with the truth. */
static void check_dumps(struct client *c, json_object *truth)
{
	json_object *windows = j(truth, "windows"), *caps = j(truth, "caps");
	json_object *mig = j(truth, "migration");
	uint64_t gen = ju(truth, "generation"), seq = ju(truth, "seq");
	struct dump d;

	dump(c, VAS_CMD_WINDOW_GET, &d);
	ASSERT_UINT_EQ(d.n, json_object_array_length(windows));
	for (size_t i = 0; i < d.n; i++) {
		ASSERT_UINT_EQ(d.msgs[i].generation, gen);
		ASSERT_UINT_EQ(d.msgs[i].seq, seq);
		check_window(&d.msgs[i].window,
			     json_object_array_get_idx(windows, i));
	}

	dump(c, VAS_CMD_CAPS_GET, &d);
	ASSERT_UINT_EQ(d.n, 2);
	for (size_t i = 0; i < d.n; i++) {
		json_object *t = json_object_array_get_idx(caps, i);

		ASSERT_UINT_EQ(d.msgs[i].generation, gen);
		ASSERT_UINT_EQ(d.msgs[i].seq, seq);
		ASSERT_UINT_EQ(d.msgs[i].caps.type, ju(t, "type"));
		ASSERT_UINT_EQ(d.msgs[i].caps.total, ju(t, "total"));
		ASSERT_UINT_EQ(d.msgs[i].caps.used, ju(t, "used"));
	}

	d = (struct dump) { .cmd = VAS_CMD_MIGRATION_GET };
	ASSERT_INT_EQ(kernel_source_request(c->ks, VAS_CMD_MIGRATION_GET, NULL,
					    0, one_msg, &d, NULL), 0);
	ASSERT_UINT_EQ(d.n, 1);
	ASSERT_UINT_EQ(d.msgs[0].generation, gen);
	ASSERT_UINT_EQ(d.msgs[0].seq, seq);
	ASSERT_UINT_EQ(d.msgs[0].migration.stream_id, ju(mig, "stream_id"));
	ASSERT_UINT_EQ(d.msgs[0].migration.phase, ju(mig, "phase"));
	ASSERT_UINT_EQ(d.msgs[0].migration.token, ju(mig, "token"));
}

/* Requests with attributes, built as a client would. */

static union {
	uint64_t align;
	uint8_t bytes[512];
} abuf;

static struct nlmsghdr *attrs_begin(void)
{
	memset(&abuf, 0, sizeof(abuf));
	return mnl_nlmsg_put_header(abuf.bytes);
}

static int request(struct client *c, uint8_t cmd, const struct nlmsghdr *attrs,
		   struct dump *d, const char **ret_extack)
{
	*d = (struct dump) { .cmd = cmd };
	return kernel_source_request(c->ks, cmd,
				     attrs ? mnl_nlmsg_get_payload(attrs) : NULL,
				     attrs ? mnl_nlmsg_get_payload_len(attrs) : 0,
				     one_msg, d, ret_extack);
}

static int window_get(struct client *c, uint32_t id, struct dump *d,
		      const char **ret_extack)
{
	struct nlmsghdr *nlh = attrs_begin();
	struct nlattr *nest = mnl_attr_nest_start(nlh, VAS_A_WINDOW);

	mnl_attr_put_u32(nlh, VAS_A_WINDOW_ID, id);
	mnl_attr_nest_end(nlh, nest);
	return request(c, VAS_CMD_WINDOW_GET, nlh, d, ret_extack);
}

static int coord_ack(struct client *c, uint64_t token, const char **ret_extack)
{
	struct nlmsghdr *nlh = attrs_begin();
	struct dump d;

	mnl_attr_put_u64(nlh, VAS_A_TOKEN, token);
	return request(c, VAS_CMD_COORD_ACK, nlh, &d, ret_extack);
}

static int simple(struct client *c, uint8_t cmd, const char **ret_extack)
{
	struct dump d;

	return request(c, cmd, NULL, &d, ret_extack);
}

static void expect_extack(const char *extack, const char *needle)
{
	if (!extack || !strstr(extack, needle))
		TEST_FAIL("extack \"%s\" lacks \"%s\"", extack ? extack : "(none)",
			  needle);
}

/*
 * Windows and credits as vas-sim.c has them: lowest free ids, refusals,
 * the newest windows suspended when credits shrink, the oldest of them
 * resumed when credits grow, a migration suspending and resuming all.
 */
static void test_semantics(void)
{
	const uint8_t ADD = VAS_CMD_WINDOW_ADD_NTF, DEL = VAS_CMD_WINDOW_DEL_NTF,
		      CHG = VAS_CMD_WINDOW_CHANGE_NTF;
	const uint32_t DEF = VAS_WIN_TYPE_DEFAULT, QOS = VAS_WIN_TYPE_QOS,
		       ACT = VAS_WIN_STATE_ACTIVE, SUS = VAS_WIN_STATE_SUSPENDED,
		       NONE = VAS_SUSPEND_REASON_NONE,
		       CRED = VAS_SUSPEND_REASON_CREDITS,
		       MIG = VAS_SUSPEND_REASON_MIGRATION;
	struct fake f;
	struct client *c;
	struct vas_msg m;
	json_object *t;
	uint64_t token;

	fake_start(&f, "--generation", "0x1234abcd", "--default-credits", "3",
		   "--qos-credits", "1", NULL);
	c = client_new(&f);
	fake_run(&f, "wait-client");

	fake_run(&f, "open default comm=alpha tgid=10 pid=11");
	expect_next(c, ADD, &m);
	ASSERT_UINT_EQ(m.generation, 0x1234abcd);
	ASSERT_UINT_EQ(m.seq, 1);
	ASSERT_UINT_EQ(m.window.id, 1);
	ASSERT_UINT_EQ(m.window.tgid, 10);
	ASSERT_UINT_EQ(m.window.pid, 11);
	ASSERT_STR_EQ(m.window.comm, "alpha");
	ASSERT(m.window.opened_at > 0);

	fake_run(&f, "open qos comm=beta");
	expect_window(c, ADD, 2, QOS, ACT, NONE);
	fake_run(&f, "open qos");		/* one QoS credit: refused */
	fake_run(&f, "open");
	expect_window(c, ADD, 3, DEF, ACT, NONE);
	fake_run(&f, "open");
	expect_window(c, ADD, 4, DEF, ACT, NONE);
	fake_run(&f, "open");			/* three default credits */
	fake_run(&f, "close 3");
	expect_window(c, DEL, 3, DEF, ACT, NONE);
	fake_run(&f, "open");			/* the lowest free id again */
	expect_window(c, ADD, 3, DEF, ACT, NONE);

	/* newest first: 3 (reopened last), then 4; window 1 keeps its credit */
	fake_run(&f, "credits default 1");
	expect_window(c, CHG, 3, DEF, SUS, CRED);
	expect_window(c, CHG, 4, DEF, SUS, CRED);
	expect_caps(c, DEF, 1, 1);
	fake_run(&f, "open");	/* suspended windows keep their credits */
	fake_run(&f, "credits default 1");	/* unchanged: nothing at all */
	/* one credit for two suspended windows: the older one (4) */
	fake_run(&f, "credits default 2");
	expect_window(c, CHG, 4, DEF, ACT, NONE);
	expect_caps(c, DEF, 2, 2);
	fake_run(&f, "close-oldest");
	expect_window(c, DEL, 1, DEF, ACT, NONE);

	/* window 3 is suspended for credits: the migration's reason wins */
	fake_run(&f, "migrate stream=7 pause-ms=0");
	token = expect_phase(c, 7, VAS_MIGRATION_PHASE_PREPARE);
	expect_phase(c, 7, VAS_MIGRATION_PHASE_SUSPENDING);
	expect_window(c, CHG, 3, DEF, SUS, MIG);
	expect_window(c, CHG, 4, DEF, SUS, MIG);
	expect_window(c, CHG, 2, QOS, SUS, MIG);
	expect_phase(c, 7, VAS_MIGRATION_PHASE_SUSPENDED);
	expect_window(c, CHG, 3, DEF, SUS, CRED);
	expect_window(c, CHG, 4, DEF, ACT, NONE);
	expect_window(c, CHG, 2, QOS, ACT, NONE);
	expect_phase(c, 7, VAS_MIGRATION_PHASE_RESUMED);
	ASSERT_UINT_EQ(expect_phase(c, 7, VAS_MIGRATION_PHASE_COMPLETED),
		       token);

	fake_run(&f, "migrate pause-ms=0 abort");	/* stream 8 */
	expect_phase(c, 8, VAS_MIGRATION_PHASE_PREPARE);
	expect_phase(c, 8, VAS_MIGRATION_PHASE_SUSPENDING);
	expect_window(c, CHG, 3, DEF, SUS, MIG);
	expect_window(c, CHG, 4, DEF, SUS, MIG);
	expect_window(c, CHG, 2, QOS, SUS, MIG);
	expect_phase(c, 8, VAS_MIGRATION_PHASE_SUSPENDED);
	expect_window(c, CHG, 3, DEF, SUS, CRED);
	expect_window(c, CHG, 4, DEF, ACT, NONE);
	expect_window(c, CHG, 2, QOS, ACT, NONE);
	expect_phase(c, 8, VAS_MIGRATION_PHASE_RESUMED);
	expect_phase(c, 8, VAS_MIGRATION_PHASE_ABORTED);

	t = fake_truth(&f);
	ASSERT_UINT_EQ(ju(t, "seq"), c->last_seq);
	ASSERT_UINT_EQ(ju(t, "generation"), 0x1234abcd);
	/* the request connection said so at once: one events connection */
	ASSERT_UINT_EQ(ju(t, "listeners"), 1);
	ASSERT_UINT_EQ(json_object_array_length(j(t, "windows")), 3);
	check_dumps(c, t);
	expect_none(c, 50);
	json_object_put(t);

	printf("semantics: %llu events in the module's order, dumps equal the truth\n",
	       (unsigned long long)c->last_seq);
	client_free(c);
	fake_stop(&f, 0);
}

/* The errors netlink gives for bad requests. */
static void test_requests(void)
{
	const char *extack = NULL;
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	struct client *c;
	struct fake f;
	struct dump d;

	fake_start(&f, NULL);
	c = client_new(&f);
	fake_run(&f, "open comm=one");

	/* a do of WINDOW_GET by id; the script ran once the event is here */
	ASSERT_INT_EQ(client_event(c, WAIT_MS, &d.msgs[0]), 1);
	ASSERT_INT_EQ(window_get(c, 1, &d, &extack), 0);
	ASSERT_UINT_EQ(d.n, 1);
	ASSERT_STR_EQ(d.msgs[0].window.comm, "one");
	ASSERT(!(d.msgs[0].nlmsg_flags & NLM_F_MULTI));
	ASSERT_NULL(extack);

	ASSERT_INT_EQ(window_get(c, 9, &d, &extack), -ENOENT);
	expect_extack(extack, "no window with this id");
	ASSERT_INT_EQ(request(c, VAS_CMD_WINDOW_GET, NULL, &d, &extack),
		      -EINVAL);
	expect_extack(extack, "missing VAS_A_WINDOW");

	nlh = attrs_begin();
	nest = mnl_attr_nest_start(nlh, VAS_A_CAPS);
	mnl_attr_put_u32(nlh, VAS_A_CAPS_TYPE, VAS_WIN_TYPE_QOS + 1);
	mnl_attr_nest_end(nlh, nest);
	ASSERT_INT_EQ(request(c, VAS_CMD_CAPS_GET, nlh, &d, &extack), -ERANGE);
	expect_extack(extack, "range");

	nlh = attrs_begin();
	nest = mnl_attr_nest_start(nlh, VAS_A_CAPS);
	mnl_attr_put_u32(nlh, VAS_A_CAPS_TYPE, VAS_WIN_TYPE_QOS);
	mnl_attr_nest_end(nlh, nest);
	ASSERT_INT_EQ(request(c, VAS_CMD_CAPS_GET, nlh, &d, &extack), 0);
	ASSERT_UINT_EQ(d.msgs[0].caps.total, 16);

	nlh = attrs_begin();
	mnl_attr_put_u32(nlh, VAS_A_WINDOW, 1);
	ASSERT_INT_EQ(request(c, VAS_CMD_WINDOW_GET, nlh, &d, &extack),
		      -EINVAL);
	expect_extack(extack, "NLA_F_NESTED");

	nlh = attrs_begin();
	mnl_attr_put_u32(nlh, VAS_A_TOKEN, 1);
	ASSERT_INT_EQ(request(c, VAS_CMD_COORD_ACK, nlh, &d, &extack), -EINVAL);
	expect_extack(extack, "length");
	ASSERT_INT_EQ(simple(c, VAS_CMD_COORD_ACK, &extack), -EINVAL);
	expect_extack(extack, "missing VAS_A_TOKEN");

	nlh = attrs_begin();
	mnl_attr_put_u32(nlh, 100, 1);
	ASSERT_INT_EQ(request(c, VAS_CMD_COORD_ACK, nlh, &d, &extack), -EINVAL);
	expect_extack(extack, "Unknown attribute type");
	nlh = attrs_begin();
	mnl_attr_put_u64(nlh, VAS_A_SEQ, 1);
	ASSERT_INT_EQ(request(c, VAS_CMD_MIGRATION_GET, nlh, &d, &extack),
		      -EINVAL);
	expect_extack(extack, "Unknown attribute type");
	nlh = attrs_begin();
	nest = mnl_attr_nest_start(nlh, VAS_A_WINDOW);
	mnl_attr_put_u32(nlh, VAS_A_WINDOW_ID, 1);
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_put_u64(nlh, VAS_A_SEQ, 1);
	ASSERT_INT_EQ(request(c, VAS_CMD_WINDOW_GET, nlh, &d, &extack),
		      -EINVAL);
	expect_extack(extack, "Unsupported attribute");

	ASSERT_INT_EQ(simple(c, 200, &extack), -EOPNOTSUPP);
	ASSERT_INT_EQ(simple(c, VAS_CMD_WINDOW_ADD_NTF, &extack), -EOPNOTSUPP);
	d = (struct dump) { .cmd = VAS_CMD_MIGRATION_GET };
	ASSERT_INT_EQ(kernel_source_dump(c->ks, VAS_CMD_MIGRATION_GET,
					 dump_msg, &d), -EOPNOTSUPP);
	ASSERT_UINT_EQ(d.n, 0);

	/* the connection is still good */
	dump(c, VAS_CMD_WINDOW_GET, &d);
	ASSERT_UINT_EQ(d.n, 1);

	client_free(c);
	fake_stop(&f, 0);
	printf("requests: the errnos and extack messages of the kernel\n");
}

/* drop makes a gap; reload a new generation numbered from 1. */
static void test_gap_and_reload(void)
{
	struct client *c;
	struct vas_msg m;
	struct fake f;
	json_object *t;
	uint64_t gen;

	fake_start(&f, "--pad64", NULL);
	c = client_new(&f);
	fake_run(&f, "wait-client");
	fake_run(&f, "open");
	expect_next(c, VAS_CMD_WINDOW_ADD_NTF, &m);
	gen = m.generation;
	fake_run(&f, "drop 2");
	fake_run(&f, "open");
	fake_run(&f, "open");
	fake_run(&f, "open");
	ASSERT_INT_EQ(client_event(c, WAIT_MS, &m), 1);
	ASSERT_UINT_EQ(m.generation, gen);
	ASSERT_UINT_EQ(m.seq, 4);
	ASSERT_UINT_EQ(m.window.id, 4);
	t = fake_truth(&f);
	ASSERT_UINT_EQ(ju(t, "seq"), 4);
	check_dumps(c, t);
	json_object_put(t);

	fake_run(&f, "reload");
	fake_run(&f, "open comm=after");
	ASSERT_INT_EQ(client_event(c, WAIT_MS, &m), 1);
	ASSERT(m.generation != gen);
	ASSERT_UINT_EQ(m.seq, 1);
	ASSERT_UINT_EQ(m.window.id, 1);
	ASSERT_STR_EQ(m.window.comm, "after");
	t = fake_truth(&f);
	ASSERT_UINT_EQ(ju(t, "generation"), m.generation);
	ASSERT_UINT_EQ(json_object_array_length(j(t, "windows")), 1);
	check_dumps(c, t);
	json_object_put(t);

	client_free(c);
	fake_stop(&f, 0);
	printf("gap and reload: seq 1 -> 4 after drop 2; generation %llx -> %llx\n",
	       (unsigned long long)gen, (unsigned long long)m.generation);
}

/* Read what is queued, checking that it has no gap. */
static void drain(struct client *c)
{
	struct vas_msg m;

	while (client_event(c, 100, &m) == 1) {
		ASSERT_UINT_EQ(m.seq, c->last_seq + 1);
		c->generation = m.generation;
		c->last_seq = m.seq;
	}
}

static void expect_rest(struct client *c, uint64_t stream)
{
	expect_phase(c, stream, VAS_MIGRATION_PHASE_SUSPENDING);
	expect_phase(c, stream, VAS_MIGRATION_PHASE_SUSPENDED);
	expect_phase(c, stream, VAS_MIGRATION_PHASE_RESUMED);
	expect_phase(c, stream, VAS_MIGRATION_PHASE_COMPLETED);
}

/* One coordinator, its token, and a migration that never waits for a dead one. */
static void test_coordinator(void)
{
	struct client *a, *b;
	const char *extack;
	struct fake f;
	json_object *t;
	uint64_t token;
	double start;

	fake_start(&f, NULL);
	a = client_new(&f);
	b = client_new(&f);
	fake_run(&f, "wait-client 2");

	ASSERT_INT_EQ(simple(a, VAS_CMD_COORD_REGISTER, &extack), 0);
	ASSERT_INT_EQ(simple(a, VAS_CMD_COORD_REGISTER, &extack), 0);
	ASSERT_INT_EQ(simple(b, VAS_CMD_COORD_REGISTER, &extack), -EBUSY);
	expect_extack(extack, "another socket is the migration coordinator");
	ASSERT_INT_EQ(coord_ack(b, 1, &extack), -EACCES);
	ASSERT_INT_EQ(simple(b, VAS_CMD_COORD_UNREGISTER, &extack), -ENOENT);
	ASSERT_INT_EQ(coord_ack(a, 1, &extack), -ENOENT);
	expect_extack(extack, "no migration waits");
	t = fake_truth(&f);
	ASSERT(json_object_get_boolean(j(t, "coordinator")));
	json_object_put(t);

	/* acked: the wrong token is refused, the right one lets it go on */
	start = now_ms();
	fake_run(&f, "migrate stream=5 ack-timeout-ms=20000 pause-ms=0");
	token = expect_phase(a, 5, VAS_MIGRATION_PHASE_PREPARE);
	expect_none(a, 100);
	ASSERT_INT_EQ(coord_ack(a, token + 1, &extack), -ESTALE);
	expect_extack(extack, "token does not match");
	ASSERT_INT_EQ(coord_ack(a, token, &extack), 0);
	ASSERT_INT_EQ(coord_ack(a, token, &extack), -ENOENT);
	expect_rest(a, 5);
	ASSERT(now_ms() - start < 10000);
	printf("coordinator: EBUSY for a second one, ESTALE for a wrong token, acked after %.0f ms\n",
	       now_ms() - start);

	/* not acked: goes on after the bound */
	start = now_ms();
	fake_run(&f, "migrate stream=6 ack-timeout-ms=300 pause-ms=0");
	expect_phase(a, 6, VAS_MIGRATION_PHASE_PREPARE);
	expect_rest(a, 6);
	ASSERT(now_ms() - start >= 290);
	printf("coordinator: unacked migration went on after %.0f ms (bound 300)\n",
	       now_ms() - start);

	/* the coordinator's connection closes while a migration waits */
	drain(b);
	ASSERT_UINT_EQ(b->last_seq, a->last_seq);
	fake_run(&f, "migrate stream=7 ack-timeout-ms=20000 pause-ms=0");
	expect_phase(b, 7, VAS_MIGRATION_PHASE_PREPARE);
	start = now_ms();
	client_free(a);
	expect_phase(b, 7, VAS_MIGRATION_PHASE_SUSPENDING);
	ASSERT(now_ms() - start < 10000);
	printf("coordinator: closed while a migration waited; it went on after %.0f ms\n",
	       now_ms() - start);

	/* the place is free; without a coordinator nothing waits */
	ASSERT_INT_EQ(simple(b, VAS_CMD_COORD_REGISTER, &extack), 0);
	fake_run(&f, "reload");		/* drops the coordinator */
	t = fake_truth(&f);
	ASSERT(!json_object_get_boolean(j(t, "coordinator")));
	json_object_put(t);
	ASSERT_INT_EQ(simple(b, VAS_CMD_COORD_UNREGISTER, &extack), -ENOENT);

	client_free(b);
	fake_stop(&f, 0);
}

/* A client that does not read loses events and is told: ENOBUFS. */
static void test_overrun(void)
{
	struct client *c;
	struct vas_msg m;
	struct fake f;
	json_object *t;
	uint64_t seen = 0, total;
	int r;

	fake_start(&f, "--sndbuf", "16384", NULL);
	c = client_new(&f);
	fake_run(&f, "wait-client");
	fake_run(&f, "burst 500");
	t = fake_truth(&f);
	total = ju(t, "seq");
	ASSERT_UINT_EQ(total, 1000);
	json_object_put(t);

	while ((r = client_event(c, WAIT_MS, &m)) == 1) {
		ASSERT_UINT_EQ(m.seq, ++seen);
		c->last_seq = m.seq;
	}
	ASSERT_INT_EQ(r, -ENOBUFS);
	ASSERT(seen > 0 && seen < total);
	/* events flow again, numbered as if nothing happened */
	fake_run(&f, "open");
	ASSERT_INT_EQ(client_event(c, WAIT_MS, &m), 1);
	ASSERT_UINT_EQ(m.seq, total + 1);
	expect_none(c, 50);

	client_free(c);
	fake_stop(&f, 0);
	printf("overrun: %llu of %llu events queued, then ENOBUFS, then seq %llu\n",
	       (unsigned long long)seen, (unsigned long long)total,
	       (unsigned long long)m.seq);
}

static int count_msg(const struct nlmsghdr *nlh, void *userdata)
{
	size_t *n = userdata;

	(*n)++;
	return 0;
}

/* A dump that events cut through is flagged; one in peace is whole. */
static void test_dump_intr(void)
{
	struct client *c;
	struct fake f;
	json_object *t;
	size_t n = 0;
	int r;

	fake_start(&f, "--default-credits", "1000", NULL);
	c = client_new(&f);
	for (int i = 0; i < 400; i++)
		fake_run(&f, "open comm=w%d", i);
	t = fake_truth(&f);
	json_object_put(t);

	/* a dump that missed the burst (a slow test) tries again */
	for (int i = 0; i < 5; i++) {
		fake_run(&f, "burst 100000");
		r = kernel_source_dump(c->ks, VAS_CMD_WINDOW_GET, count_msg, &n);
		json_object_put(fake_truth(&f));
		if (r != 0)
			break;
	}
	ASSERT_INT_EQ(r, -EINTR);
	t = fake_truth(&f);
	n = 0;
	ASSERT_INT_EQ(kernel_source_dump(c->ks, VAS_CMD_WINDOW_GET, count_msg,
					 &n), 0);
	ASSERT_UINT_EQ(n, json_object_array_length(j(t, "windows")));
	ASSERT_UINT_EQ(n, 400);
	json_object_put(t);

	client_free(c);
	fake_stop(&f, 0);
	printf("dump: NLM_F_DUMP_INTR while events flowed; 400 windows in peace\n");
}

/* --rate: 2000 events at 5000/s take 0.4 s, and none is lost. */
static void test_rate(void)
{
	struct client *c;
	struct vas_msg m;
	struct fake f;
	double start, took;

	fake_start(&f, "--rate", "5000", NULL);
	c = client_new(&f);
	fake_run(&f, "wait-client");
	start = now_ms();
	fake_run(&f, "burst 1000");
	for (int i = 0; i < 1000; i++) {
		expect_next(c, VAS_CMD_WINDOW_ADD_NTF, &m);
		expect_next(c, VAS_CMD_WINDOW_DEL_NTF, &m);
	}
	took = now_ms() - start;
	ASSERT(took >= 350);
	client_free(c);
	fake_stop(&f, 0);
	printf("rate: 2000 events at --rate 5000 took %.0f ms\n", took);
}

/* The script's own exit status; a line that does not parse is status 2. */
static void test_exit(void)
{
	struct fake f;

	fake_start(&f, NULL);
	fake_run(&f, "exit 7");
	fake_wait_exit(&f, 7);
	fake_start(&f, NULL);
	fake_run(&f, "open sideways");
	fake_wait_exit(&f, 2);
	printf("exit: status of exit, 2 for a bad line\n");
}

/*
 * A fake kernel that went away: requests fail with the transport's errno
 * and no stale extack message of an earlier request; the events connection
 * reads -ECONNRESET.
 */
static void test_gone(void)
{
	const char *extack = NULL;
	struct dump d = { 0 };
	struct client *c;
	struct fake f;
	size_t n = 0;

	fake_start(&f, NULL);
	c = client_new(&f);
	ASSERT_INT_EQ(window_get(c, 9, &d, &extack), -ENOENT);
	expect_extack(extack, "no window with this id");
	fake_run(&f, "exit 0");
	fake_wait_exit(&f, 0);

	ASSERT_INT_EQ(window_get(c, 1, &d, &extack), -EPIPE);
	ASSERT_NULL(extack);
	ASSERT_INT_EQ(kernel_source_dump(c->ks, VAS_CMD_WINDOW_GET, count_msg,
					 &n), -EPIPE);
	ASSERT_UINT_EQ(n, 0);
	ASSERT_INT_EQ(kernel_source_recv(c->ks, c->buf.bytes, sizeof(c->buf)),
		      -ECONNRESET);
	client_free(c);
	printf("gone: requests -EPIPE without a stale extack, events -ECONNRESET\n");
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_semantics();
	test_requests();
	test_gap_and_reload();
	test_coordinator();
	test_overrun();
	test_dump_intr();
	test_rate();
	test_exit();
	test_gone();
	return 0;
}
