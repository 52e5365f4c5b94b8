/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The libnxz series' glue (lib/nx_vasclient.c, taken from the patch) on
 * the host: it loads libvasclient with dlopen as libnxz would, and
 * threads stand in for libnxz's jobs: nx_job_enter(), "paste" to the
 * window (opening it first when there is none, as nxu_run_job does), hold
 * it a while, nx_job_leave(). nx_close_windows() stands in for libnxz's.
 *
 * stdin: "state" prints {"event":"state","jobs":N,"opens":N,"closes":N,
 * "open":0|1}; EOF ends the program. A job that finds the window closed
 * under it, or a close with a job in flight, prints a "violation" line.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "nx_zlib.h"

#define THREADS 4

struct nx_config_t nx_config = { .timeout_paste_success = 300 };

static pthread_mutex_t out_mutex = PTHREAD_MUTEX_INITIALIZER;
static int window_open;		/* the one window of these jobs */
static unsigned long jobs, opens, closes;
static int in_flight;		/* jobs between nx_job_enter and nx_job_leave */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_mutex);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	pthread_mutex_unlock(&out_mutex);
}

int nx_close_windows(void)
{
	int was_open = __atomic_exchange_n(&window_open, 0, __ATOMIC_SEQ_CST);
	int n = __atomic_load_n(&in_flight, __ATOMIC_SEQ_CST);

	if (n != 0)
		say("{\"event\":\"violation\",\"what\":\"closed with %d jobs in flight\"}", n);
	__atomic_add_fetch(&closes, 1, __ATOMIC_SEQ_CST);
	return was_open;
}

static void *job_thread(void *arg)
{
	struct timespec hold = { 0, 2 * 1000 * 1000 };

	(void)arg;
	for (;;) {
		nx_job_enter();
		__atomic_add_fetch(&in_flight, 1, __ATOMIC_SEQ_CST);
		/* first job after a close: open the window, as nxu_run_job does */
		if (__atomic_compare_exchange_n(&window_open, &(int){ 0 }, 1, false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			__atomic_add_fetch(&opens, 1, __ATOMIC_SEQ_CST);
		nanosleep(&hold, NULL);
		if (!__atomic_load_n(&window_open, __ATOMIC_SEQ_CST))
			say("{\"event\":\"violation\",\"what\":\"window closed under a job\"}");
		__atomic_add_fetch(&jobs, 1, __ATOMIC_SEQ_CST);
		__atomic_sub_fetch(&in_flight, 1, __ATOMIC_SEQ_CST);
		nx_job_leave();
	}
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];
	char line[64];

	nx_vasclient_init();
	for (int i = 0; i < THREADS; i++)
		if (pthread_create(&t[i], NULL, job_thread, NULL) != 0)
			return 1;
	say("{\"event\":\"started\"}");

	while (fgets(line, sizeof(line), stdin))
		if (strcmp(line, "state\n") == 0)
			say("{\"event\":\"state\",\"jobs\":%lu,\"opens\":%lu,\"closes\":%lu,\"open\":%d}",
			    __atomic_load_n(&jobs, __ATOMIC_SEQ_CST),
			    __atomic_load_n(&opens, __ATOMIC_SEQ_CST),
			    __atomic_load_n(&closes, __ATOMIC_SEQ_CST),
			    __atomic_load_n(&window_open, __ATOMIC_SEQ_CST));
	/* the job threads never end: exit takes them, and the lock with them */
	return 0;
}
