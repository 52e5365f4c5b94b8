// SPDX-License-Identifier: GPL-2.0-only
/*
 * A test kernel on a SOCK_SEQPACKET unix socket (tests/fake-kernel/): the
 * same messages as the family "vas", on two connections (kernel-source.h).
 * What is here is what only a unix socket needs: connecting, the agreed
 * family id, and the fake kernel's ways of saying what netlink says with
 * group membership and ENOBUFS. Requests go through lib/netlink's request
 * path, as netlink's do.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <libmnl/libmnl.h>

#include "kernel-source-internal.h"

/* A fake kernel that stops answering must not hang vasd forever. */
#define REPLY_TIMEOUT_MS	10000

struct ks_unix {
	struct kernel_source ks;
	int events_fd;
	struct vas_nl_req requests;	/* on the second connection */
};

#define UX(k) ((struct ks_unix *)(k))

static void ux_free(struct kernel_source *ks)
{
	if (UX(ks)->events_fd >= 0)
		close(UX(ks)->events_fd);
	if (UX(ks)->requests.fd >= 0)
		close(UX(ks)->requests.fd);
	free(ks);
}

static int ux_get_fd(const struct kernel_source *ks)
{
	return ((const struct ks_unix *)ks)->events_fd;
}

static ssize_t ux_recv(struct kernel_source *ks, void *buf, size_t size)
{
	const struct nlmsghdr *nlh = buf;
	ssize_t n;

	n = recv(UX(ks)->events_fd, buf, size, MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ECONNRESET;
	if ((size_t)n > size)
		return -EMSGSIZE;
	/* the fake kernel's way of saying what netlink says with ENOBUFS */
	if ((size_t)n >= sizeof(*nlh) + sizeof(struct nlmsgerr) &&
	    nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

		if (e->error == -ENOBUFS)
			return -ENOBUFS;
	}
	return n;
}

static const struct kernel_source_ops unix_ops = {
	.free = ux_free,
	.get_fd = ux_get_fd,
	.recv = ux_recv,
	.name = "unix",
};

static int connect_to(const char *path, int flags)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | flags, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = errno == ECONNREFUSED ? -ENOENT : -errno;

		close(fd);
		return r;
	}
	return fd;
}

/*
 * Say that this connection is for requests, so that the fake kernel stops
 * sending it events: an NLMSG_NOOP, which netlink ignores (no reply).
 */
static int claim_requests(int fd)
{
	struct nlmsghdr nlh = {
		.nlmsg_len = NLMSG_HDRLEN,
		.nlmsg_type = NLMSG_NOOP,
	};

	if (send(fd, &nlh, sizeof(nlh), MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

int kernel_source_unix_new(const char *path, int rcvbuf,
			   struct kernel_source **ret)
{
	struct ks_unix *k;
	int r = 0;

	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->ks.ops = &unix_ops;
	k->ks.requests = &k->requests;
	/*
	 * Our requests carry port id 0, which the fake kernel's replies echo;
	 * there is no controller, so the family id is the agreed one.
	 */
	vas_nl_req_init(&k->requests, -1, 0, KERNEL_SOURCE_UNIX_FAMILY_ID,
			REPLY_TIMEOUT_MS);

	/* the first connection is the events connection (kernel-source.h) */
	k->events_fd = connect_to(path, SOCK_NONBLOCK);
	if (k->events_fd < 0)
		r = k->events_fd;
	if (r >= 0 && rcvbuf > 0 &&
	    setsockopt(k->events_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		r = -errno;
	if (r >= 0) {
		k->requests.fd = connect_to(path, 0);
		if (k->requests.fd < 0)
			r = k->requests.fd;
	}
	if (r >= 0)
		r = claim_requests(k->requests.fd);
	if (r < 0) {
		ux_free(&k->ks);
		return r;
	}
	*ret = &k->ks;
	return 0;
}
