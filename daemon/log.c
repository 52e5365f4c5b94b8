// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <systemd/sd-journal.h>

#include "util/escape.h"
#include "util/macro.h"
#include "log.h"

static int max_level = LOG_INFO;
static int prefix = -1;		/* unknown until the first line */
static int journal = -1;	/* stderr is the journal's stream; unknown until then */

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

/* As systemd's: $JOURNAL_STREAM is "DEV:INO" of the stream it gave as stderr. */
static int stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	int end = 0;

	if (!e || sscanf(e, "%llu:%llu%n", &dev, &ino, &end) != 2 || e[end] != '\0')
		return 0;
	if (fstat(STDERR_FILENO, &st) < 0)
		return 0;
	return st.st_dev == (dev_t)dev && st.st_ino == (ino_t)ino;
}

static void decide(void)
{
	if (prefix < 0)
		prefix = !isatty(STDERR_FILENO) || getenv("JOURNAL_STREAM");
	if (journal < 0)
		journal = stderr_is_journal();
}

const char *log_target(void)
{
	decide();
	return journal ? "journal" : "console";
}

/* "NAME=value" into *p (of *left bytes) as an iovec; 0, or -ENOBUFS. */
static int put(struct iovec *iov, char **p, size_t *left, const char *name,
	       const char *value)
{
	int n = snprintf(*p, *left, "%s=%s", name, value);

	if (n < 0 || (size_t)n >= *left)
		return -ENOBUFS;
	iov->iov_base = *p;
	iov->iov_len = (size_t)n;
	*p += n + 1;
	*left -= (size_t)n + 1;
	return 0;
}

static int put_field(struct iovec *iov, char **p, size_t *left,
		     const struct log_field *f)
{
	char v[TEXT_ESCAPE_GROWTH * 1024];

	switch (f->type) {
	case LOG_FIELD_STRING:
		if (!f->string)
			return 1;
		text_escape_buf(v, sizeof(v), f->string);
		break;
	case LOG_FIELD_U64_SET:
		if (!f->number)
			return 1;
		/* fall through */
	case LOG_FIELD_U64:
		snprintf(v, sizeof(v), "%llu", (unsigned long long)f->number);
		break;
	case LOG_FIELD_HEX64:
		snprintf(v, sizeof(v), "%016llx", (unsigned long long)f->number);
		break;
	default:
		return 1;
	}
	return put(iov, p, left, f->name, v);
}

/* The record by the journal's native protocol; < 0 when it did not take it. */
static int send_journal(int level, int error, const char *code_file,
			const char *code_line, const char *func,
			const char *message_id,
			const struct log_field *fields, size_t n_fields,
			const char *message)
{
	struct iovec iov[4 + 1 + LOG_FIELDS_MAX];
	char buf[16384], num[32], *p = buf;
	size_t left = sizeof(buf), n = 0;
	int r;

	if (n_fields > LOG_FIELDS_MAX)
		n_fields = LOG_FIELDS_MAX;
	r = put(&iov[n++], &p, &left, "MESSAGE", message);
	snprintf(num, sizeof(num), "%d", level);
	if (r >= 0)
		r = put(&iov[n++], &p, &left, "PRIORITY", num);
	if (r >= 0)
		r = put(&iov[n++], &p, &left, "SYSLOG_IDENTIFIER", "vasd");
	if (r >= 0 && error) {
		snprintf(num, sizeof(num), "%d", error);
		r = put(&iov[n++], &p, &left, "ERRNO", num);
	}
	if (r >= 0 && message_id)
		r = put(&iov[n++], &p, &left, "MESSAGE_ID", message_id);
	for (size_t i = 0; i < n_fields && r >= 0; i++) {
		r = put_field(&iov[n], &p, &left, &fields[i]);
		if (r == 0)
			n++;
	}
	if (r < 0)
		return r;
	return sd_journal_sendv_with_location(code_file, code_line, func, iov, (int)n);
}

int log_struct_internal(int level, int error, const char *code_file,
			const char *code_line, const char *func,
			const char *message_id,
			const struct log_field *fields, size_t n_fields,
			const char *fmt, ...)
{
	char buf[2048], safe[sizeof(buf) * TEXT_ESCAPE_GROWTH];
	va_list ap;

	if (error < 0)
		error = -error;
	if (level > max_level)
		return -error;
	decide();

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/*
	 * One line whatever a client put in its who or comm: a newline
	 * there would begin a line of its own, "<0>..." at any priority.
	 */
	text_escape_buf(safe, sizeof(safe), buf);

	if (journal && send_journal(level, error, code_file, code_line, func,
				    message_id, fields, n_fields, safe) >= 0)
		return -error;
	if (prefix)
		fprintf(stderr, "<%d>%s\n", level, safe);
	else
		fprintf(stderr, "vasd: %s\n", safe);
	return -error;
}
