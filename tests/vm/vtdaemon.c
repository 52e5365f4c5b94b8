// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmtest.h"
#include "vtdaemon.h"

static char last_status[512];

/* Read notifications until one contains needle (READY=1 or a STATUS). */
static void wait_notify(struct vt_daemon *d, const char *needle,
			int timeout_ms)
{
	double end = vt_now_ms() + timeout_ms;
	char buf[1024];

	for (;;) {
		struct pollfd p = { .fd = d->notify_fd, .events = POLLIN };
		int left = (int)(end - vt_now_ms());
		ssize_t n;
		char *st;

		TEST_ASSERTF(left > 0, "vasd did not say '%s' within %d ms (last status: %s)",
			     needle, timeout_ms, last_status);
		TEST_ASSERT(poll(&p, 1, left < 100 ? left : 100) >= 0);
		if (!(p.revents & POLLIN)) {
			int status;

			TEST_ASSERTF(waitpid(d->pid, &status, WNOHANG) == 0,
				     "vasd exited (status %d) while we waited for '%s'",
				     status, needle);
			continue;
		}
		n = recv(d->notify_fd, buf, sizeof(buf) - 1, 0);
		TEST_ASSERT(n >= 0);
		buf[n] = '\0';
		st = strstr(buf, "STATUS=");
		if (st)
			snprintf(last_status, sizeof(last_status), "%.*s",
				 (int)strcspn(st + 7, "\n"), st + 7);
		if (strstr(buf, needle))
			return;
	}
}

static void spawn(struct vt_daemon *d, int timeout_ms, va_list ap)
{
	const char *vasd = getenv("VASD");
	const char *argv[32];
	char notify[128];
	int argc = 0;
	const char *a;

	TEST_ASSERTF(vasd, "VASD is not set");
	argv[argc++] = vasd;
	argv[argc++] = "--database";
	argv[argc++] = d->db;
	argv[argc++] = "--no-bus";	/* the VM has no system bus */
	while ((a = va_arg(ap, const char *)) && argc < 30)
		argv[argc++] = a;
	argv[argc] = NULL;

	snprintf(notify, sizeof(notify), "%s/notify", d->dir);
	d->pid = fork();
	TEST_ASSERT(d->pid >= 0);
	if (d->pid == 0) {
		setenv("NOTIFY_SOCKET", notify, 1);
		execv(vasd, (char *const *)argv);
		_exit(127);
	}
	wait_notify(d, "READY=1", timeout_ms);
}

void vt_daemon_start(struct vt_daemon *d, int timeout_ms, ...)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	va_list ap;

	memset(d, 0, sizeof(*d));
	snprintf(d->dir, sizeof(d->dir), "/tmp/vasd-test.XXXXXX");
	TEST_ASSERT(mkdtemp(d->dir));
	snprintf(d->db, sizeof(d->db), "%s/ledger.db", d->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", d->dir);
	d->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	TEST_ASSERT(d->notify_fd >= 0);
	TEST_ASSERT(bind(d->notify_fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);

	va_start(ap, timeout_ms);
	spawn(d, timeout_ms, ap);
	va_end(ap);
}

void vt_daemon_restart(struct vt_daemon *d, int timeout_ms, ...)
{
	va_list ap;

	va_start(ap, timeout_ms);
	spawn(d, timeout_ms, ap);
	va_end(ap);
}

int vt_daemon_stop(struct vt_daemon *d)
{
	int status;

	TEST_ASSERT(kill(d->pid, SIGTERM) == 0);
	TEST_ASSERT(waitpid(d->pid, &status, 0) == d->pid);
	d->pid = 0;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

void vt_daemon_wait_status(struct vt_daemon *d, const char *needle,
			   int timeout_ms)
{
	if (strstr(last_status, needle))
		return;
	wait_notify(d, needle, timeout_ms);
}
