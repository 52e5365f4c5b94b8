// SPDX-License-Identifier: GPL-2.0-only
/* The real kernel part: generic netlink family "vas", through lib/netlink/vas-nl. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "netlink/vas-nl.h"
#include "kernel-source-internal.h"

struct ks_netlink {
	struct kernel_source ks;
	struct vas_nl *events;
	struct vas_nl *requests;
};

#define NL(k) ((struct ks_netlink *)(k))

static void nl_free(struct kernel_source *ks)
{
	vas_nl_free(NL(ks)->events);
	vas_nl_free(NL(ks)->requests);
	free(ks);
}

static int nl_get_fd(const struct kernel_source *ks)
{
	return vas_nl_get_fd(((const struct ks_netlink *)ks)->events);
}

static ssize_t nl_recv(struct kernel_source *ks, void *buf, size_t size)
{
	return vas_nl_recv(NL(ks)->events, buf, size);
}

static const struct kernel_source_ops netlink_ops = {
	.free = nl_free,
	.get_fd = nl_get_fd,
	.recv = nl_recv,
	.name = "netlink",
};

int kernel_source_netlink_new(int rcvbuf, struct kernel_source **ret)
{
	struct ks_netlink *k;
	int fd, flags, r;

	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->ks.ops = &netlink_ops;

	r = vas_nl_new(&k->events);
	if (r >= 0)
		r = vas_nl_new(&k->requests);
	if (r >= 0)
		k->ks.requests = vas_nl_get_req(k->requests);
	/* subscribe before any dump, so nothing falls between the two */
	if (r >= 0)
		r = vas_nl_join_events(k->events);
	if (r >= 0 && rcvbuf > 0)
		r = vas_nl_set_rcvbuf(k->events, rcvbuf);
	if (r >= 0) {
		fd = vas_nl_get_fd(k->events);
		flags = fcntl(fd, F_GETFL);
		if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
			r = -errno;
	}
	if (r < 0) {
		nl_free(&k->ks);
		return r;
	}
	*ret = &k->ks;
	return 0;
}
