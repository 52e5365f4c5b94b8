// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/escape.h"
#include "util/macro.h"
#include "log.h"

static int max_level = LOG_INFO;
static int prefix = -1;		/* unknown until the first line */

static const char *const level_names[] = {
	[LOG_EMERG] = "emerg",
	[LOG_ALERT] = "alert",
	[LOG_CRIT] = "crit",
	[LOG_ERR] = "err",
	[LOG_WARNING] = "warning",
	[LOG_NOTICE] = "notice",
	[LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
};

void log_set_max_level(int level)
{
	max_level = level;
}

int log_get_max_level(void)
{
	return max_level;
}

int log_level_from_string(const char *s)
{
	for (size_t i = 0; i < ELEMENTSOF(level_names); i++)
		if (strcmp(s, level_names[i]) == 0)
			return (int)i;
	if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
		return s[0] - '0';
	/* systemd's LogControl1 and syslog.h spell some levels longer */
	if (strcmp(s, "error") == 0)
		return LOG_ERR;
	if (strcmp(s, "warn") == 0)
		return LOG_WARNING;
	return -EINVAL;
}

const char *log_level_to_string(int level)
{
	if (level < 0 || level >= (int)ELEMENTSOF(level_names))
		return NULL;
	return level_names[level];
}

int log_internal(int level, int error, const char *fmt, ...)
{
	char buf[2048], safe[sizeof(buf) * TEXT_ESCAPE_GROWTH];
	va_list ap;

	if (error < 0)
		error = -error;
	if (level > max_level)
		return -error;
	if (prefix < 0)
		prefix = !isatty(STDERR_FILENO) || getenv("JOURNAL_STREAM");

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/*
	 * One line whatever a client put in its who or comm: a newline
	 * there would begin a line of its own, "<0>..." at any priority.
	 */
	text_escape_buf(safe, sizeof(safe), buf);

	if (prefix)
		fprintf(stderr, "<%d>%s\n", level, safe);
	else
		fprintf(stderr, "vasd: %s\n", safe);
	return -error;
}
