/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * log: vasd's logging. Lines go to stderr prefixed with "<N>", the syslog
 * priority, which journald (SyslogLevelPrefix=yes, the default) strips and
 * keeps as the entry's level; on a terminal the prefix is left out.
 *
 * When stderr is the journal's stream ($JOURNAL_STREAM names its device
 * and inode, as systemd sets it for a service), records go to the journal
 * by its native protocol instead (sd_journal_sendv()), so that they carry
 * fields: PRIORITY=, SYSLOG_IDENTIFIER=vasd, ERRNO=, CODE_FILE=/LINE=/FUNC= and, for what an
 * operator searches, MESSAGE_ID= (message-ids.h, explained by
 * systemd/vasd.catalog) and VASD_* fields (docs/daemon.md lists them). If
 * the journal cannot take a record, it goes to stderr as above.
 *
 * Every text is escaped (util/escape.h) whichever way it goes: a client's
 * words in a message or a field never make a line or a record of their own.
 *
 * The log_*_errno() helpers return their (negative) error so a caller can
 * write `return log_error_errno(r, "Failed to ...: %s", strerror(-r));` and
 * log once. (No %m: the build is -Wpedantic, and ISO printf has no %m.)
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <syslog.h>

#include "util/macro.h"

void log_set_max_level(int level);
int log_get_max_level(void);
/* "emerg".."debug" or "0".."7"; -EINVAL otherwise. */
int log_level_from_string(const char *s);
const char *log_level_to_string(int level);
/* Where records go, in LogControl1's words: "journal" or "console". */
const char *log_target(void);

enum log_field_type {
	LOG_FIELD_STRING,	/* escaped, as the message is */
	LOG_FIELD_U64,		/* decimal */
	LOG_FIELD_U64_SET,	/* decimal; left out when 0 (not known) */
	LOG_FIELD_HEX64,	/* 16 hex digits, as the messages write generations */
};

/* One NAME=value of a record; NAME in systemd's rules ([A-Z0-9_], no leading _). */
struct log_field {
	const char *name;
	enum log_field_type type;
	const char *string;	/* NULL: left out */
	uint64_t number;
};

#define LOG_STRING(n, v)  { .name = (n), .type = LOG_FIELD_STRING, .string = (v) }
#define LOG_U64(n, v)     { .name = (n), .type = LOG_FIELD_U64, .number = (uint64_t)(v) }
#define LOG_U64_SET(n, v) { .name = (n), .type = LOG_FIELD_U64_SET, .number = (uint64_t)(v) }
#define LOG_HEX64(n, v)   { .name = (n), .type = LOG_FIELD_HEX64, .number = (uint64_t)(v) }

/* The most fields a record carries besides vasd's own four. */
#define LOG_FIELDS_MAX 12

/*
 * Logs at level when enabled, with message_id (NULL: none) and the fields
 * when the journal takes it; on stderr only the message, as any line.
 * Returns -|error|.
 */
int log_struct_internal(int level, int error, const char *code_file,
			const char *code_line, const char *func,
			const char *message_id,
			const struct log_field *fields, size_t n_fields,
			const char *fmt, ...)
	__attribute__((format(printf, 9, 10)));

/* The caller's place, as the journal's CODE_FILE=, CODE_LINE= and CODE_FUNC=. */
#define LOG_STRINGIFY_(x) #x
#define LOG_STRINGIFY(x) LOG_STRINGIFY_(x)
#define LOG_LOCATION "CODE_FILE=" __FILE__, "CODE_LINE=" LOG_STRINGIFY(__LINE__), __func__

/* Logs at level when enabled. Returns -|error|. */
#define log_internal(level, error, ...) \
	log_struct_internal(level, error, LOG_LOCATION, NULL, NULL, 0, __VA_ARGS__)

/* fields: an array (ELEMENTSOF counts it), e.g. a local const struct log_field f[]. */
#define log_struct(level, message_id, fields, ...) \
	log_struct_internal(level, 0, LOG_LOCATION, message_id, fields, ELEMENTSOF(fields), __VA_ARGS__)
#define log_struct_errno(level, error, message_id, fields, ...) \
	log_struct_internal(level, error, LOG_LOCATION, message_id, fields, ELEMENTSOF(fields), __VA_ARGS__)

#define log_full_errno(level, error, ...) log_internal(level, error, __VA_ARGS__)
#define log_debug(...)   log_internal(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...)    log_internal(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...)  log_internal(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_internal(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...)   log_internal(LOG_ERR, 0, __VA_ARGS__)
#define log_debug_errno(e, ...)   log_internal(LOG_DEBUG, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_internal(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...)   log_internal(LOG_ERR, e, __VA_ARGS__)
