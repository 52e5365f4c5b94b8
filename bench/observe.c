// SPDX-License-Identifier: GPL-2.0-only
/*
 * The cost of one observe picture (daemon/kernel-source-observe.c) with
 * 1,000 and 10,000 processes running, against two floors measured in the
 * same run: listing every /proc/PID/fd (what a picture must do at least)
 * and reading every /proc/PID/maps (the bare scan the issue names). Four
 * processes hold windows. Then vasd's wakeups when nothing changes: its
 * context switches over IDLE_S seconds, against the watchdog's pings in the
 * same window (the interval rides on them: goal, a ratio of 1).
 *
 * Runs in the VM (tools/vm/run), with vas_sim.ko loaded as a stock kernel.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel-source.h"
#include "vmtest.h"

#define RUNS		5
#define IDLE_S		60

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
 * vasd as the unit runs it, WatchdogSec=30s (a ping every 15 s), on the
 * stock kernel with nothing changing; the floor is the pings, one wakeup
 * each, received on a notify socket of ours in the same window.
 */
static void wakeups(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX,
				  .sun_path = "/run/observe-bench-notify" };
	const char *vasd = getenv("VASD");
	unsigned long before, after, p0, p1;
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
		setenv("WATCHDOG_USEC", "30000000", 1);
		execl(vasd, vasd, "--database", "/run/observe-bench.db",
		      "--no-bus", "--kernel=auto", NULL);
		_exit(127);
	}
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
	printf("observe: ratio %.2f (a picture over reading /proc/*/maps, %zu processes)\n",
	       pic / maps, sizes[1]);
	kill(holder, SIGKILL);
	waitpid(holder, NULL, 0);
	kernel_source_free(ks);
	vt_teardown();
	return 0;
}
