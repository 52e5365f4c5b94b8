/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fk-log: the fake kernel's log, one line per thing it does, on stderr,
 * with the seconds since it started so that a test's log can be read
 * against the client's.
 */
#pragma once

#include <stdbool.h>

void fk_log_set_verbose(bool verbose);

void fk_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Only with --verbose: a line per event and per request. */
void fk_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
