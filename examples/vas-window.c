// SPDX-License-Identifier: GPL-2.0-only
/*
 * vas-window: open one VAS window the way libnxz does (open the device,
 * VAS_TX_WIN_OPEN, mmap the paste page), hold it, then close it.
 *
 * Used by the demo to play a client; vas-client is the client of vasd, which
 * also follows its migrations.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vas-api.h"

#define NX_GZIP_DEV "/dev/crypto/nx-gzip"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: vas-window [--qos] [--hold MS]\n"
		"Open one VAS window on " NX_GZIP_DEV ", map its paste page,\n"
		"hold it for MS milliseconds (default: until SIGINT/SIGTERM), close it.\n"
		"  -q, --qos       take a QoS credit instead of a default one\n"
		"  -t, --hold MS   how long to hold the window\n"
		"  -h, --help      show this help\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "qos", no_argument, NULL, 'q' },
		{ "hold", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct vas_tx_win_open_attr attr = { .version = 1, .vas_id = -1 };
	long hold_ms = -1;
	void *paste;
	char *end;
	int fd, c;

	while ((c = getopt_long(argc, argv, "qt:h", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			attr.flags |= VAS_TX_WIN_FLAG_QOS_CREDIT;
			break;
		case 't':
			errno = 0;
			hold_ms = strtol(optarg, &end, 10);
			if (errno || *end || hold_ms < 0) {
				fprintf(stderr, "vas-window: invalid --hold '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}

	fd = open(NX_GZIP_DEV, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "vas-window: %s: %s\n", NX_GZIP_DEV, strerror(errno));
		return 1;
	}
	if (ioctl(fd, VAS_TX_WIN_OPEN, &attr) < 0) {
		fprintf(stderr, "vas-window: VAS_TX_WIN_OPEN: %s\n", strerror(errno));
		return 1;
	}
	paste = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_WRITE, MAP_SHARED, fd, 0);
	if (paste == MAP_FAILED) {
		fprintf(stderr, "vas-window: mmap of the paste page: %s\n", strerror(errno));
		return 1;
	}
	/* A real client pastes CRBs here; touching the page stands in for it. */
	*(volatile unsigned char *)paste = 0;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (hold_ms < 0) {
		while (!stop)
			pause();
	} else {
		struct timespec ts = { hold_ms / 1000, (hold_ms % 1000) * 1000000L };

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !stop)
			;
	}
	munmap(paste, (size_t)sysconf(_SC_PAGESIZE));
	close(fd);
	return 0;
}
