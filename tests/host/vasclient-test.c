// SPDX-License-Identifier: GPL-2.0-only
/*
 * libvasclient under test (tests/host/test-vasclient*.py, bench/client-drain):
 * -c K clients, each on the library's thread (or, -l, all on one poll loop
 * of ours), each with -t T worker threads that "submit jobs" the way libnxz
 * would (in flight -w usec, default 1000, then a pause of -g usec, default
 * 0): under the application's own mutex, only while the client is not
 * draining. The drain callback stops submission and releases at once when
 * nothing is in flight; the last job to finish says drained. What must hold
 * is checked here and
 * reported as a "violation" line: a lock released with a job in flight, a
 * job submitted while draining, a callback out of its state.
 *
 * stdout: a JSON line per library event {"client", "event", "detail",
 * "value"} (-q: only lock-taken and lock-taken-again), and per command's
 * answer. stdin, a command a line:
 *   free I          unref client I (its lock goes)
 *   start I         start client I again (after free I)
 *   fork-wait       fork a child that stays (no exec) until killed; its
 *                   line: {"event": "child", "pid", "has_lock"}
 *   fork-exec       fork a child that execs "sleep 1000"; line: child, pid
 *   fork-storm N    each worker thread forks N children at once, each checks
 *                   that it holds no lock and exits; line: storm, failed
 *   jobs            line: jobs, the number of jobs done so far
 * EOF: every client freed, exit 0 (1 after a violation).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vasclient.h>

struct app_client {
	int index;
	vasclient *vc;
	pthread_mutex_t lock;	/* the application's own: guards the next four */
	pthread_cond_t resumed;
	bool stopped;		/* draining: no new job */
	bool drain_pending;	/* the last job to finish says drained */
	unsigned int in_flight;
	bool quit;
	pthread_t *workers;
};

static unsigned int n_clients = 1, n_threads = 4;
static enum vasclient_mode mode = VASCLIENT_DELAY;
static long job_usec = 1000, gap_usec;	/* a job in flight; the pause between two */
static bool loop_mode;
static bool quiet;	/* -q: only the locks taken are printed (a benchmark) */
static struct app_client *clients;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_uint violations;
static atomic_ulong jobs_done;

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

static void violation(struct app_client *a, const char *what)
{
	atomic_fetch_add(&violations, 1);
	out("{\"client\": %d, \"event\": \"violation\", \"detail\": \"%s\"}", a->index, what);
}

static void on_event(vasclient *vc, enum vasclient_event event, const char *detail,
		     uint64_t value, void *userdata)
{
	struct app_client *a = userdata;

	if (event == VASCLIENT_LOCK_RELEASED) {
		pthread_mutex_lock(&a->lock);
		if (!a->stopped || a->in_flight)
			violation(a, "lock released with jobs in flight");
		pthread_mutex_unlock(&a->lock);
	}
	if (quiet && event != VASCLIENT_LOCK_TAKEN && event != VASCLIENT_LOCK_TAKEN_AGAIN)
		return;
	out("{\"client\": %d, \"event\": \"%s\", \"detail\": \"%s\", \"value\": %llu}",
	    a->index, vasclient_event_name(event), detail ? detail : "",
	    (unsigned long long)value);
}

static enum vasclient_drain on_drain(vasclient *vc, const char *migration, void *userdata)
{
	struct app_client *a = userdata;
	enum vasclient_drain d = VASCLIENT_DRAINED;

	if (vasclient_get_state(vc) != VASCLIENT_DRAINING)
		violation(a, "drain callback while not draining");
	pthread_mutex_lock(&a->lock);
	a->stopped = true;
	if (a->in_flight) {
		a->drain_pending = true;
		d = VASCLIENT_DRAIN_LATER;
	}
	pthread_mutex_unlock(&a->lock);
	if (!quiet)
		out("{\"client\": %d, \"event\": \"drain\", \"detail\": \"%s\", \"value\": %d}",
	    a->index, migration ? migration : "", d == VASCLIENT_DRAIN_LATER);
	return d;
}

static void on_resume(vasclient *vc, const char *migration, void *userdata)
{
	struct app_client *a = userdata;

	pthread_mutex_lock(&a->lock);
	if (!a->stopped || a->in_flight)
		violation(a, "resumed while not stopped, or with jobs in flight");
	a->stopped = false;
	pthread_cond_broadcast(&a->resumed);
	pthread_mutex_unlock(&a->lock);
	if (!quiet)
		out("{\"client\": %d, \"event\": \"resume\", \"detail\": \"%s\"}", a->index,
	    migration ? migration : "");
}

/* A job: submitted when the client runs, it takes ~1 ms in flight. */
static void *worker(void *userdata)
{
	struct app_client *a = userdata;
	struct timespec job = { job_usec / 1000000, job_usec % 1000000 * 1000 };
	struct timespec gap = { gap_usec / 1000000, gap_usec % 1000000 * 1000 };
	bool last;

	for (;;) {
		pthread_mutex_lock(&a->lock);
		while (a->stopped && !a->quit)
			pthread_cond_wait(&a->resumed, &a->lock);
		if (a->quit) {
			pthread_mutex_unlock(&a->lock);
			return NULL;
		}
		a->in_flight++;
		pthread_mutex_unlock(&a->lock);

		/* the library's own view, from many threads at once */
		if (vasclient_get_state(a->vc) == VASCLIENT_QUIESCED)
			violation(a, "a job in flight while quiesced");
		vasclient_has_lock(a->vc);
		if (job_usec)
			nanosleep(&job, NULL);

		pthread_mutex_lock(&a->lock);
		a->in_flight--;
		last = a->drain_pending && a->in_flight == 0;
		if (last)
			a->drain_pending = false;
		pthread_mutex_unlock(&a->lock);
		atomic_fetch_add(&jobs_done, 1);
		/* not under our mutex: the library may call back (lock-released) */
		if (last && vasclient_drained(a->vc) < 0)
			violation(a, "drained refused");
		if (gap_usec)
			nanosleep(&gap, NULL);
	}
}

/* Each child checks its copy: no lock, and the library says so. */
static void *storm(void *userdata)
{
	unsigned int n = (unsigned int)(uintptr_t)userdata, failed = 0;

	for (unsigned int i = 0; i < n; i++) {
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			bool ok = true;

			for (unsigned int j = 0; j < n_clients; j++)
				if (clients[j].vc && vasclient_has_lock(clients[j].vc) != -ECHILD)
					ok = false;
			_exit(ok ? 0 : 1);
		}
		if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			failed++;
	}
	return (void *)(uintptr_t)failed;
}

static void fork_storm(unsigned int n)
{
	pthread_t t[64];
	unsigned int k = n_threads < 64 ? n_threads : 64, failed = 0;
	void *ret;

	for (unsigned int i = 0; i < k; i++)
		pthread_create(&t[i], NULL, storm, (void *)(uintptr_t)n);
	for (unsigned int i = 0; i < k; i++) {
		pthread_join(t[i], &ret);
		failed += (unsigned int)(uintptr_t)ret;
	}
	out("{\"event\": \"storm\", \"forks\": %u, \"failed\": %u}", k * n, failed);
}

static void fork_child(bool exec)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (exec) {
			execlp("sleep", "sleep", "1000", (char *)NULL);
			_exit(127);
		}
		/* not stdio: another thread may have held its lock at the fork */
		char line[96];
		int n = snprintf(line, sizeof(line),
				 "{\"event\": \"child\", \"pid\": %d, \"has_lock\": %d}\n",
				 (int)getpid(),
				 clients[0].vc ? vasclient_has_lock(clients[0].vc) : -1);

		if (write(STDOUT_FILENO, line, (size_t)n) != n)
			_exit(1);
		for (;;)
			pause();
	}
	if (exec)
		out("{\"event\": \"child\", \"pid\": %d}", (int)pid);
}

static void free_client(struct app_client *a)
{
	if (!a->vc)
		return;
	pthread_mutex_lock(&a->lock);
	a->quit = true;
	pthread_cond_broadcast(&a->resumed);
	pthread_mutex_unlock(&a->lock);
	for (unsigned int i = 0; i < n_threads; i++)
		pthread_join(a->workers[i], NULL);
	a->vc = vasclient_unref(a->vc);
	out("{\"client\": %d, \"event\": \"freed\"}", a->index);
}

static int start_client(struct app_client *a)
{
	char who[32];
	int r;

	snprintf(who, sizeof(who), "lib-%d", a->index);
	a->quit = false;
	a->stopped = false;
	a->drain_pending = false;
	r = vasclient_new(&a->vc, who, "a test of libvasclient", mode);
	if (r >= 0)
		r = vasclient_set_callbacks(a->vc, on_drain, on_resume, on_event, a);
	if (r >= 0)
		r = loop_mode ? vasclient_start(a->vc) : vasclient_start_thread(a->vc);
	if (r < 0) {
		fprintf(stderr, "vasclient-test: client %d: %s\n", a->index, strerror(-r));
		a->vc = vasclient_unref(a->vc);
		return r;
	}
	for (unsigned int j = 0; j < n_threads; j++)
		pthread_create(&a->workers[j], NULL, worker, a);
	return 0;
}

/* --loop: every client on this thread's poll(), stdin too. */
static void run_loop(void)
{
	struct pollfd *p = calloc(n_clients + 1, sizeof(*p));
	char line[128];

	if (!p)
		abort();
	for (;;) {
		uint64_t until = UINT64_MAX, t;
		struct timespec ts;
		int timeout = -1;

		p[0] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
		for (unsigned int i = 0; i < n_clients; i++) {
			struct app_client *a = &clients[i];

			p[i + 1] = (struct pollfd){ .fd = -1 };
			if (!a->vc)
				continue;
			p[i + 1].fd = vasclient_get_fd(a->vc);
			p[i + 1].events = (short)vasclient_get_events(a->vc);
			if (vasclient_get_timeout(a->vc, &t) == 0 && t < until)
				until = t;
		}
		if (until != UINT64_MAX) {
			uint64_t now;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			now = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
			timeout = until <= now ? 0 : (int)((until - now + 999) / 1000);
		}
		if (poll(p, n_clients + 1, timeout) < 0 && errno != EINTR)
			abort();
		clock_gettime(CLOCK_MONOTONIC, &ts);
		t = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
		/* the clients whose fd is ready, or whose time came */
		for (unsigned int i = 0; i < n_clients; i++) {
			uint64_t due;

			if (clients[i].vc && (p[i + 1].revents ||
			    (vasclient_get_timeout(clients[i].vc, &due) == 0 && due <= t)))
				vasclient_process(clients[i].vc);
		}
		if (p[0].revents) {
			if (!fgets(line, sizeof(line), stdin))
				break;
			if (strncmp(line, "free ", 5) == 0)
				free_client(&clients[atoi(line + 5)]);
			else if (strcmp(line, "jobs\n") == 0)
				out("{\"event\": \"jobs\", \"value\": %lu}", atomic_load(&jobs_done));
		}
	}
	free(p);
}

static void run_commands(void)
{
	char line[128];

	while (fgets(line, sizeof(line), stdin)) {
		if (strncmp(line, "free ", 5) == 0)
			free_client(&clients[atoi(line + 5)]);
		else if (strncmp(line, "start ", 6) == 0 && !clients[atoi(line + 6)].vc)
			start_client(&clients[atoi(line + 6)]);
		else if (strcmp(line, "fork-wait\n") == 0)
			fork_child(false);
		else if (strcmp(line, "fork-exec\n") == 0)
			fork_child(true);
		else if (strncmp(line, "fork-storm ", 11) == 0)
			fork_storm((unsigned int)atoi(line + 11));
		else if (strcmp(line, "jobs\n") == 0)
			out("{\"event\": \"jobs\", \"value\": %lu}", atomic_load(&jobs_done));
	}
}

int main(int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "c:t:w:g:lbq")) != -1) {
		switch (opt) {
		case 'c':
			n_clients = (unsigned int)atoi(optarg);
			break;
		case 't':
			n_threads = (unsigned int)atoi(optarg);
			break;
		case 'w':
			job_usec = atol(optarg);
			break;
		case 'g':
			gap_usec = atol(optarg);
			break;
		case 'l':
			loop_mode = true;
			break;
		case 'b':
			mode = VASCLIENT_BLOCK;
			break;
		case 'q':
			quiet = true;
			break;
		default:
			fprintf(stderr, "usage: vasclient-test [-c clients] [-t threads] [-w job-usec] "
				"[-g gap-usec] [-l] [-b] [-q]\n");
			return 2;
		}
	}
	clients = calloc(n_clients, sizeof(*clients));
	if (!clients)
		return 1;
	for (unsigned int i = 0; i < n_clients; i++) {
		clients[i].index = (int)i;
		pthread_mutex_init(&clients[i].lock, NULL);
		pthread_cond_init(&clients[i].resumed, NULL);
		clients[i].workers = calloc(n_threads, sizeof(*clients[i].workers));
		if (!clients[i].workers || start_client(&clients[i]) < 0)
			return 1;
	}
	out("{\"event\": \"started\"}");

	if (loop_mode)
		run_loop();
	else
		run_commands();

	for (unsigned int i = 0; i < n_clients; i++) {
		free_client(&clients[i]);
		pthread_mutex_destroy(&clients[i].lock);
		pthread_cond_destroy(&clients[i].resumed);
		free(clients[i].workers);
	}
	free(clients);
	return atomic_load(&violations) ? 1 : 0;
}
