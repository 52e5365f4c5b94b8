/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vtdaemon: run the built vasd in a test, as systemd would: NOTIFY_SOCKET
 * set to a socket of ours, READY=1 awaited, SIGTERM to stop.
 */
#ifndef VTDAEMON_H
#define VTDAEMON_H

#include <sys/types.h>

struct vt_daemon {
	pid_t pid;
	int notify_fd;
	char dir[64];		/* a private directory: ledger, notify socket */
	char db[128];
};

/*
 * Start $VASD with the given extra arguments (NULL-terminated) on a
 * ledger in a fresh directory, and wait up to timeout_ms for READY=1.
 */
void vt_daemon_start(struct vt_daemon *d, int timeout_ms, ...);
/* Start again on the same ledger (after a stop or a kill). */
void vt_daemon_restart(struct vt_daemon *d, int timeout_ms, ...);
/* SIGTERM and wait; returns the exit status (or 128+signal). */
int vt_daemon_stop(struct vt_daemon *d);
/* Wait until the last STATUS= line contains needle, up to timeout_ms. */
void vt_daemon_wait_status(struct vt_daemon *d, const char *needle,
			   int timeout_ms);

#endif /* VTDAEMON_H */
