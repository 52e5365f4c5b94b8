// SPDX-License-Identifier: GPL-2.0-only
/*
 * The cost of one observe picture (daemon/kernel-source-observe.c) with
 * 1,000 and 10,000 processes running, against two floors measured in the
 * same run: listing every /proc/PID/fd (what a picture must do at least)
 * and reading every /proc/PID/maps (the bare scan the issue names). Four
 * processes hold windows. Then vasd's wakeups when nothing changes: its
 * context switches over IDLE_S seconds, against the watchdog's pings in the
 * same window (the interval rides on them: goal, a ratio of 1). And how
 * soon vasd's ledger has what tests/vm/test-vasd-stock.py waits for: a
 * window opened and one closed, a DLPAR change of the credits, the family
 * registered and gone (figures, no goal: the test only waits for them).
 *
 * Runs in the VM (tools/vm/run), with vas_sim.ko loaded as a stock kernel.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

#include "kernel-source.h"
#include "vmtest.h"

#define RUNS		5
#define IDLE_S		60
#define LATENCY_RUNS	7
/* a wait for vasd gives up after this: a hang, not a measure */
#define HANG_MS		60000
#define FAMILY		"/sys/module/vas_sim/parameters/family"
#define QOS_UPDATE	"/sys/devices/virtual/misc/vas/vas0/gzip/qos_capabilities/update_total_credits"

static pid_t *children;
static size_t n_children;

static void spawn_to(size_t n)
{
	children = realloc(children, n * sizeof(*children));
	TEST_ASSERT(children);
	while (n_children < n) {
		pid_t pid = fork();

		TEST_ASSERT(pid >= 0);
		if (pid == 0) {
			closefrom(3);	/* not the windows: one holder each */
			for (;;)
				pause();
		}
		children[n_children++] = pid;
	}
}

static void reap(void)
{
	for (size_t i = 0; i < n_children; i++) {
		kill(children[i], SIGKILL);
		waitpid(children[i], NULL, 0);
	}
	n_children = 0;
}

/* Every /proc/PID/<what>: listed (a directory) or read whole (a file). */
static double scan(const char *what, bool dir)
{
	double t0 = vt_now_ms();
	char buf[65536], path[300];
	struct dirent *de;
	DIR *proc = opendir("/proc");

	TEST_ASSERT(proc);
	while ((de = readdir(proc))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/%s", de->d_name, what);
		if (dir) {
			DIR *d = opendir(path);

			if (d) {
				while (readdir(d))
					;
				closedir(d);
			}
		} else {
			int fd = open(path, O_RDONLY | O_CLOEXEC);

			if (fd >= 0) {
				while (read(fd, buf, sizeof(buf)) > 0)
					;
				close(fd);
			}
		}
	}
	closedir(proc);
	return vt_now_ms() - t0;
}

static double best(double (*fn)(void *), void *arg)
{
	double b = 1e18;

	for (int i = 0; i < RUNS; i++) {
		double t = fn(arg);

		if (t < b)
			b = t;
	}
	return b;
}

static double picture_once(void *arg)
{
	struct kernel_source *ks = arg;
	struct vas_window *w = NULL;
	struct vasd_snapshot snap;
	size_t n = 0;
	double t0 = vt_now_ms();

	TEST_ASSERT_ERR(0, kernel_source_observe_picture(ks, &w, &n, &snap));
	TEST_ASSERT_EQ(4u, (unsigned int)snap.n_windows);
	free(w);
	return vt_now_ms() - t0;
}

static double fd_once(void *arg)
{
	return scan("fd", true);
}

static double maps_once(void *arg)
{
	return scan("maps", false);
}

/* Context switches of all of @pid's threads: one per wakeup of a sleeper. */
static unsigned long ctxt_switches(pid_t pid)
{
	char path[320], line[256];
	unsigned long v, total = 0;
	struct dirent *de;
	DIR *tasks;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	tasks = opendir(path);
	TEST_ASSERT(tasks);
	while ((de = readdir(tasks))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/status",
			 (int)pid, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;	/* the thread ended */
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "voluntary_ctxt_switches: %lu", &v) == 1 ||
			    sscanf(line, "nonvoluntary_ctxt_switches: %lu", &v) == 1)
				total += v;
		fclose(f);
	}
	closedir(tasks);
	return total;
}

/* The watchdog's pings vasd sent to @fd so far (not waiting). */
static unsigned long pings(int fd)
{
	static unsigned long n;
	char buf[4096];
	ssize_t len;

	while ((len = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) >= 0) {
		buf[len] = '\0';
		for (char *p = buf; (p = strstr(p, "WATCHDOG=1")); p++)
			n++;
	}
	return n;
}

/*
 * vasd on the stock kernel (--kernel=auto), its ledger at @db, under a
 * watchdog of @watchdog_usec with @interval (an --observe-interval= or
 * NULL): its pid; *@ret_notify is the notify socket it writes to.
 */
static pid_t vasd_start(const char *db, const char *watchdog_usec,
			const char *interval, int *ret_notify)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX,
				  .sun_path = "/run/observe-bench-notify" };
	const char *vasd = getenv("VASD");
	int notify;
	pid_t pid;

	TEST_ASSERTF(vasd && *vasd, "VASD is not set");
	notify = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	TEST_ASSERT(notify >= 0);
	unlink(sa.sun_path);
	TEST_ASSERT(bind(notify, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	pid = fork();
	TEST_ASSERT(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		setenv("NOTIFY_SOCKET", sa.sun_path, 1);
		setenv("WATCHDOG_USEC", watchdog_usec, 1);
		execl(vasd, vasd, "--database", db, "--no-bus", "--kernel=auto",
		      interval, NULL);
		_exit(127);
	}
	*ret_notify = notify;
	return pid;
}

/*
 * vasd as the unit runs it, WatchdogSec=30s (a ping every 15 s), on the
 * stock kernel with nothing changing; the floor is the pings, one wakeup
 * each, received on a notify socket of ours in the same window.
 */
static void wakeups(void)
{
	unsigned long before, after, p0, p1;
	int notify;
	pid_t pid;

	pid = vasd_start("/run/observe-bench.db", "30000000", NULL, &notify);
	/* past the start and the first picture; then four pings */
	vt_sleep_ms(3000);
	before = ctxt_switches(pid);
	p0 = pings(notify);
	vt_sleep_ms(IDLE_S * 1000);
	after = ctxt_switches(pid);
	p1 = pings(notify);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	close(notify);
	TEST_ASSERTF(p1 > p0, "no watchdog ping in %d s", IDLE_S);
	printf("observe: vasd idle: %lu wakeups in %d s, %.1f per minute; the watchdog's pings: %lu (WatchdogSec=30s)\n",
	       after - before, IDLE_S, (after - before) * 60.0 / IDLE_S,
	       p1 - p0);
	printf("observe: idle ratio %.2f (vasd's wakeups over the watchdog's pings; goal 1)\n",
	       (double)(after - before) / (double)(p1 - p0));
}

/*
 * vasd's notify socket, read while vasd runs: sd_notify() blocks on a full
 * queue (net.unix.max_dgram_qlen, 10 here without systemd's sysctl), and
 * the watchdog's pings and the STATUS= lines would fill it in seconds.
 */
static int vasd_notify = -1;

static void notify_drain(void)
{
	char buf[4096];

	while (recv(vasd_notify, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		;
}

static void sleep_draining(unsigned int ms)
{
	double until = vt_now_ms() + ms;

	while (vt_now_ms() < until) {
		notify_drain();
		vt_sleep_ms(5);
	}
}

/* READY=1 on @notify: vasd took its first picture and committed it. */
static void wait_ready(int notify)
{
	double until = vt_now_ms() + HANG_MS;
	struct pollfd p = { .fd = notify, .events = POLLIN };
	char buf[4096];
	ssize_t len;

	for (;;) {
		TEST_ASSERTF(vt_now_ms() < until, "vasd not ready in %d s",
			     HANG_MS / 1000);
		if (poll(&p, 1, 100) <= 0)
			continue;
		len = recv(notify, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (len < 0)
			continue;
		buf[len] = '\0';
		if (strstr(buf, "READY=1"))
			return;
	}
}

/* The first column of @sql's first row, ?1 (if any) bound to @arg; -1 for none or NULL. */
static int64_t query(sqlite3 *db, const char *sql, int64_t arg)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	TEST_ASSERTF(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK,
		     "%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_bind_int64(st, 1, arg);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int64_t last_position(sqlite3 *db)
{
	return query(db, "SELECT max(position) FROM events", 0);
}

/*
 * Waits until query() of @sql and @arg gives @want, polling; returns the
 * ledger's time of it, as ms after @since_ns (CLOCK_REALTIME): the
 * recorded time of the last event, which the commit that made it true
 * carried.
 */
static double until_ledger(sqlite3 *db, const char *what, const char *sql,
			   int64_t arg, int64_t want, uint64_t since_ns)
{
	double until = vt_now_ms() + HANG_MS;
	int64_t at;

	while (query(db, sql, arg) != want) {
		TEST_ASSERTF(vt_now_ms() < until, "%s: not in the ledger in %d s",
			     what, HANG_MS / 1000);
		sleep_draining(5);
	}
	at = query(db, "SELECT max(recorded) FROM events", 0);
	return ((double)at - (double)since_ns) / 1e6;
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void print_spread(const char *what, double *ms, size_t n)
{
	qsort(ms, n, sizeof(*ms), cmp_double);
	printf("observe: %s: median %.0f ms (%.0f-%.0f, %zu runs)\n", what,
	       ms[n / 2], ms[0], ms[n - 1], n);
}

static void write_str(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	TEST_ASSERTF(fd >= 0, "open %s: %s", path, strerror(errno));
	TEST_ASSERTF(write(fd, value, strlen(value)) == (ssize_t)strlen(value),
		     "write %s to %s: %s", value, path, strerror(errno));
	close(fd);
}

/*
 * vas_sim's family parameter set to @value: how soon the ledger has the
 * resync that follows, of @reason.
 */
static double family_set(sqlite3 *db, const char *value, const char *reason)
{
	int64_t pos = last_position(db);
	uint64_t t0 = realtime_ns();
	char sql[256];
	double ms;

	write_str(FAMILY, value);
	ms = until_ledger(db, "the resync after the family's change",
			  "SELECT count(*) > 0 FROM events WHERE position > ?1 "
			  "AND kind = 'resync-end'", pos, 1, t0);
	snprintf(sql, sizeof(sql), "SELECT reason = '%s' FROM events WHERE position > ?1 "
		 "AND kind = 'resync-begin' ORDER BY position LIMIT 1", reason);
	TEST_ASSERTF(query(db, sql, pos) == 1, "the resync after family=%s is not %s",
		     value, reason);
	return ms;
}

/*
 * What tests/vm/test-vasd-stock.py waits for, timed, with vasd as the test
 * runs it after its restart: an interval of 1 s under a watchdog of 1 s
 * (pings 0.5 s apart). A window of this process opened, then closed (the
 * settle, 20 ms, and a picture); both types' credits changed by DLPAR
 * (sysfs notifies nobody: the next picture of the interval); the family
 * registered (netlink, after a resync) and gone (observing again).
 */
static void latencies(void)
{
	static const char db_path[] = "/run/observe-bench-latency.db";
	uint64_t def = vt_debugfs_read_u64("credits_default");
	uint64_t qos = vt_debugfs_read_u64("credits_qos");
	double open_ms[LATENCY_RUNS], close_ms[LATENCY_RUNS];
	double dlpar_ms[LATENCY_RUNS];
	double family_ms, observe_ms;
	uint64_t t0;
	sqlite3 *db;
	int notify;
	pid_t pid;
	int fd;

	unlink(db_path);
	pid = vasd_start(db_path, "1000000", "--observe-interval=1000",
			 &notify);
	wait_ready(notify);
	vasd_notify = notify;
	TEST_ASSERT(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) ==
		    SQLITE_OK);
	sqlite3_busy_timeout(db, 1000);

	for (int i = 0; i < LATENCY_RUNS; i++) {
		/* apart from the last picture: each open its own */
		sleep_draining(200);
		t0 = realtime_ns();
		fd = vt_win_open(0);
		TEST_ASSERT_ERR(0, fd < 0 ? fd : 0);
		open_ms[i] = until_ledger(db, "a window opened",
					  "SELECT count(*) FROM windows WHERE tgid = ?1",
					  getpid(), 1, t0);
		sleep_draining(200);
		t0 = realtime_ns();
		close(fd);
		close_ms[i] = until_ledger(db, "a window closed",
					   "SELECT count(*) FROM windows WHERE tgid = ?1",
					   getpid(), 0, t0);
	}
	print_spread("a window opened, in vasd's ledger after", open_ms,
		     LATENCY_RUNS);
	print_spread("a window closed, in vasd's ledger after", close_ms,
		     LATENCY_RUNS);

	for (int i = 0; i < LATENCY_RUNS; i++) {
		/* up by 2 and 1, and back */
		uint64_t d = def + (i % 2 ? 0 : 2), q = qos + (i % 2 ? 0 : 1);
		char v[32];

		/* a change at any point of the interval */
		sleep_draining(137 * (unsigned int)i % 1000);
		t0 = realtime_ns();
		TEST_ASSERT_ERR(0, vt_debugfs_write("credits_default", "%llu",
						    (unsigned long long)d));
		snprintf(v, sizeof(v), "%llu", (unsigned long long)q);
		write_str(QOS_UPDATE, v);
		until_ledger(db, "DLPAR's default credits",
			     "SELECT total FROM caps WHERE type = 0",
			     0, (int64_t)d, t0);
		dlpar_ms[i] = until_ledger(db, "DLPAR's QoS credits",
					   "SELECT total FROM caps WHERE type = 1",
					   0, (int64_t)q, t0);
	}
	print_spread("DLPAR credits, in vasd's ledger after (interval 1 s at pings 0.5 s apart)",
		     dlpar_ms, LATENCY_RUNS);

	family_ms = family_set(db, "Y", "start");
	observe_ms = family_set(db, "N", "observed");
	printf("observe: the family registered: its resync in vasd's ledger after %.0f ms; gone: observing again after %.0f ms\n",
	       family_ms, observe_ms);

	sqlite3_close(db);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	close(notify);
	vasd_notify = -1;
}

int main(void)
{
	static const size_t sizes[] = { 1000, 10000 };
	struct kernel_source *ks = NULL;
	int ready[2];
	pid_t holder;
	char c;

	vt_setup("family=N");
	TEST_ASSERT_ERR(0, kernel_source_observe_new(30000, &ks));
	/* a picture leaves out its own process: the windows are a child's */
	TEST_ASSERT(pipe(ready) == 0);
	holder = fork();
	TEST_ASSERT(holder >= 0);
	if (holder == 0) {
		for (int i = 0; i < 4; i++)
			TEST_ASSERT(vt_win_open(0) >= 0);
		TEST_ASSERT(write(ready[1], "r", 1) == 1);
		for (;;)
			pause();
	}
	TEST_ASSERT(read(ready[0], &c, 1) == 1);
	close(ready[0]);
	close(ready[1]);
	double pic = 0, fd, maps = 1;

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		spawn_to(sizes[s]);
		pic = best(picture_once, ks);
		fd = best(fd_once, NULL);
		maps = best(maps_once, NULL);
		printf("observe: %zu processes: picture %.1f ms; floors: /proc/*/fd %.1f ms (x%.2f), /proc/*/maps %.1f ms (x%.2f)\n",
		       sizes[s], pic, fd, pic / fd, maps, pic / maps);
	}
	reap();
	wakeups();
	latencies();
	printf("observe: ratio %.2f (a picture over reading /proc/*/maps, %zu processes)\n",
	       pic / maps, sizes[1]);
	kill(holder, SIGKILL);
	waitpid(holder, NULL, 0);
	kernel_source_free(ks);
	vt_teardown();
	return 0;
}
