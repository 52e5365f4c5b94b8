/* SPDX-License-Identifier: GPL-2.0-only */
/* vasctl: what the main program and its commands share. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/alloc.h"

/* Exit codes, documented in vasctl(8). */
enum {
	VASCTL_EXIT_OK = 0,
	VASCTL_EXIT_FAILURE = 1,
	VASCTL_EXIT_USAGE = 2,
	/*
	 * What the command talks to is not there: vasd (org.vasd1 has no
	 * owner, or there is no system bus), or for monitor --kernel the
	 * kernel's vas family.
	 */
	VASCTL_EXIT_NOT_RUNNING = 3,
	VASCTL_EXIT_NO_LEDGER = 4,	/* the ledger cannot be opened or read */
	VASCTL_EXIT_VETOED = 5,		/* vasd vetoed a migration (check) */
};

/*
 * A command: argv[0] is its name, options follow. Returns an exit code;
 * it has already said on stderr what went wrong.
 */
int vasctl_status(int argc, char **argv);
int vasctl_windows(int argc, char **argv);
int vasctl_events(int argc, char **argv);
int vasctl_inhibitors(int argc, char **argv);
int vasctl_release_lock(int argc, char **argv);
int vasctl_log_level(int argc, char **argv);
int vasctl_monitor(int argc, char **argv);
int vasctl_ledger(int argc, char **argv);
int vasctl_migration(int argc, char **argv);
int vasctl_metrics(int argc, char **argv);

/*
 * migration status (vasctl-migration-status.c): the report of migration
 * id (0: the open one, else the last) from the ledger at database (NULL:
 * vasd's default), with vasd's view of it when vasd runs.
 */
int vasctl_migration_status(const char *database, uint64_t id, bool json);

/* monitor without --kernel: vasd's signals (vasctl-monitor-bus.c). */
int vasctl_monitor_bus(bool json);

/* A decimal number, 0 or more (a ledger position, a count): 0 or -EINVAL. */
int vasctl_parse_number(const char *s, int64_t *ret);

/*
 * The options of a command that takes --json and --help and no argument:
 * -1 to go on, or the exit code when done (help shown, usage error).
 */
int vasctl_parse_json_only(int argc, char **argv, void (*usage)(FILE *f),
			   bool *ret_json);
/* The same, with up to max_args arguments from argv[optind] on. */
int vasctl_parse_json_args(int argc, char **argv, void (*usage)(FILE *f),
			   int max_args, bool *ret_json);

/*
 * After a command's output: an exit code, OK unless r (from writing) is
 * negative or standard output cannot be flushed, which it says.
 */
int vasctl_finish_output(const char *verb, int r);

/* "vasctl: " and the message, escaped (util/escape.h), on standard error. */
__attribute__((format(printf, 1, 2)))
void vasctl_error(const char *fmt, ...);

/*
 * The formatted text escaped (util/escape.h) to f: what vasd or a client
 * wrote reaches the terminal with no control, line end or bidi override.
 * Returns 0, or -EIO/-ENOMEM.
 */
__attribute__((format(printf, 2, 0)))
int vasctl_vprint_escaped(FILE *f, const char *fmt, va_list ap);
__attribute__((format(printf, 2, 3)))
int vasctl_print_escaped(FILE *f, const char *fmt, ...);

/*
 * Block SIGINT and SIGTERM and return a signalfd that reports them (or
 * -errno): the commands that follow events stop cleanly on either.
 */
int vasctl_block_signals(void);

/* Colour on standard output: a terminal, NO_COLOR unset or empty, TERM not dumb. */
bool vasctl_color(void);
