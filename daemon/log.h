/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * log: vasd's logging. Lines go to stderr prefixed with "<N>", the syslog
 * priority, which journald (SyslogLevelPrefix=yes, the default) strips and
 * keeps as the entry's level; on a terminal the prefix is left out.
 *
 * The log_*_errno() helpers return their (negative) error so a caller can
 * write `return log_error_errno(r, "Failed to ...: %s", strerror(-r));` and
 * log once. (No %m: the build is -Wpedantic, and ISO printf has no %m.)
 */
#pragma once

#include <syslog.h>

void log_set_max_level(int level);
int log_get_max_level(void);
/* "emerg".."debug" or "0".."7"; -EINVAL otherwise. */
int log_level_from_string(const char *s);
const char *log_level_to_string(int level);

/* Logs at level when enabled. Returns -|error|. */
int log_internal(int level, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_full_errno(level, error, ...) log_internal(level, error, __VA_ARGS__)
#define log_debug(...)   log_internal(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...)    log_internal(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...)  log_internal(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_internal(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...)   log_internal(LOG_ERR, 0, __VA_ARGS__)
#define log_debug_errno(e, ...)   log_internal(LOG_DEBUG, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_internal(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...)   log_internal(LOG_ERR, e, __VA_ARGS__)
