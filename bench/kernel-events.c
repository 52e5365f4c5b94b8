// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the events cost the opening of windows: window open+close cycles
 * per second through /dev/crypto/nx-gzip with nobody in the events group
 * (the family builds no message then) against the same with a listener
 * draining the group from another thread. Rounds alternate the order of
 * the two runs so that drift in the VM cancels out.
 *
 * The last line is the result:
 *   kernel-events: ratio X.XX (cycles/s with a listener over cycles/s without)
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmtest.h"

#define ROUNDS		5
#define ROUND_MS	1000
#define RCVBUF		(32 << 20)

struct listener {
	pthread_t thread;
	struct vt_nl *nl;
	atomic_bool stop;
	unsigned long events;
	unsigned long overruns;
};

static void *listener_thread(void *arg)
{
	struct listener *l = arg;
	struct vt_msg m;
	int r;

	for (;;) {
		r = vt_event_wait(l->nl, &m, 100);
		if (r > 0)
			l->events++;
		else if (r == -ENOBUFS)
			l->overruns++;
		else if (r < 0)
			vt_fail(__FILE__, __LINE__, "listener: %s",
				strerror(-r));
		else if (atomic_load(&l->stop))
			return NULL;
	}
}

/* Open+close cycles for ROUND_MS; returns cycles per second. */
static double cycles(unsigned long *ret_n)
{
	const struct vas_tx_win_open_attr attr = { .version = 1, .vas_id = -1 };
	double start = vt_now_ms(), now = start;
	unsigned long n = 0;
	int fd;

	do {
		fd = open("/dev/crypto/nx-gzip", O_RDWR | O_CLOEXEC);
		TEST_ASSERTF(fd >= 0, "open: %s", strerror(errno));
		TEST_ASSERT_ERR(0, vt_win_ioctl(fd, &attr));
		close(fd);
		/* the VM's clock is an emulated HPET: read it now and then */
		if (++n % 64)
			continue;
		now = vt_now_ms();
	} while (now - start < ROUND_MS);
	*ret_n = n;
	return n * 1e3 / (now - start);
}

static double run_with_listener(unsigned long *ret_n)
{
	struct listener l = { .nl = vt_nl_new() };
	double rate;

	vt_nl_rcvbuf(l.nl, RCVBUF);
	TEST_ASSERT_ERR(0, vt_nl_join(l.nl));
	TEST_ASSERT(pthread_create(&l.thread, NULL, listener_thread, &l) == 0);
	rate = cycles(ret_n);
	atomic_store(&l.stop, true);
	TEST_ASSERT(pthread_join(l.thread, NULL) == 0);
	vt_nl_free(l.nl);
	printf("  with a listener:    %8.0f cycles/s (%lu events, %lu overruns)\n",
	       rate, l.events, l.overruns);
	/* each cycle is one ADD and one DEL: the listener saw them all */
	TEST_ASSERT(l.overruns || l.events == 2 * *ret_n);
	return rate;
}

static double run_without(unsigned long *ret_n)
{
	double rate = cycles(ret_n);

	printf("  without a listener: %8.0f cycles/s\n", rate);
	return rate;
}

int main(void)
{
	unsigned long n_with = 0, n_without = 0, n;
	double t_with = 0, t_without = 0, rate;
	int round;

	vt_setup(NULL);
	for (round = 0; round < ROUNDS; round++) {
		printf("round %d:\n", round + 1);
		if (round % 2) {
			rate = run_with_listener(&n);
			n_with += n;
			t_with += n / rate;
			rate = run_without(&n);
			n_without += n;
			t_without += n / rate;
		} else {
			rate = run_without(&n);
			n_without += n;
			t_without += n / rate;
			rate = run_with_listener(&n);
			n_with += n;
			t_with += n / rate;
		}
	}
	vt_teardown();

	printf("kernel-events: %.0f cycles/s without a listener, %.0f with one, over %d rounds of %d ms\n",
	       n_without / t_without, n_with / t_with, ROUNDS, ROUND_MS);
	printf("kernel-events: ratio %.2f (cycles/s with a listener over cycles/s without)\n",
	       (n_with / t_with) / (n_without / t_without));
	return 0;
}
