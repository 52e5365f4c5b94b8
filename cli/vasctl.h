/* SPDX-License-Identifier: GPL-2.0-only */
/* vasctl: what the main program and its commands share. */
#pragma once

/* Exit codes, documented in vasctl(8). */
enum {
	VASCTL_EXIT_OK = 0,
	VASCTL_EXIT_FAILURE = 1,
	VASCTL_EXIT_USAGE = 2,
	VASCTL_EXIT_NO_FAMILY = 3,
	VASCTL_EXIT_NO_LEDGER = 4,	/* the ledger cannot be opened or read */
};

/*
 * A command: argv[0] is its name, options follow. Returns an exit code;
 * it has already said on stderr what went wrong.
 */
int vasctl_monitor(int argc, char **argv);
int vasctl_ledger(int argc, char **argv);

__attribute__((format(printf, 1, 2)))
void vasctl_error(const char *fmt, ...);
