// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "fk-log.h"

static bool verbose;

void fk_log_set_verbose(bool v)
{
	verbose = v;
}

static void log_line(const char *fmt, va_list ap)
{
	static double start = -1;
	struct timespec ts;
	double now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	if (start < 0)
		start = now;
	fprintf(stderr, "fake-kernel: %9.6f ", now - start);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void fk_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(fmt, ap);
	va_end(ap);
}

void fk_debug(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	log_line(fmt, ap);
	va_end(ap);
}
