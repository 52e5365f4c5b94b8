// SPDX-License-Identifier: GPL-2.0-only
/* family-watch: see family-watch.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "family-watch.h"

/*
 * The controller's one group, "notify", has the controller's id: the
 * kernel gives nlctrl's groups ids from GENL_ID_CTRL (genetlink.c,
 * genl_validate_assign_mc_groups()), so there is nothing to resolve.
 */
#define CTRL_NOTIFY_GROUP GENL_ID_CTRL

struct family_watch {
	struct mnl_socket *sock;
	char *name;
};

int family_watch_new(const char *name, struct family_watch **ret)
{
	struct family_watch *w;
	int grp = CTRL_NOTIFY_GROUP, r = 0;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->name = strdup(name);
	w->sock = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!w->name || !w->sock)
		r = w->name ? -errno : -ENOMEM;
	if (r >= 0 && mnl_socket_bind(w->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		r = -errno;
	if (r >= 0 && mnl_socket_setsockopt(w->sock, NETLINK_ADD_MEMBERSHIP,
					    &grp, sizeof(grp)) < 0)
		r = -errno;
	if (r < 0) {
		family_watch_free(w);
		return r;
	}
	*ret = w;
	return 0;
}

struct family_watch *family_watch_free(struct family_watch *w)
{
	if (!w)
		return NULL;
	if (w->sock)
		mnl_socket_close(w->sock);
	free(w->name);
	free(w);
	return NULL;
}

int family_watch_get_fd(const struct family_watch *w)
{
	return mnl_socket_get_fd(w->sock);
}

static int name_of(const struct nlmsghdr *nlh, const char **ret)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_NAME &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0) {
			*ret = mnl_attr_get_str(a);
			return 0;
		}
	}
	return -EBADMSG;
}

int family_watch_recv(struct family_watch *w)
{
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	int seen = 0;
	ssize_t n;

	while ((n = mnl_socket_recvfrom(w->sock, buf, sizeof(buf))) > 0) {
		const struct nlmsghdr *nlh = (const void *)buf;
		int left = (int)n;

		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			const struct genlmsghdr *g;
			const char *name;

			if (nlh->nlmsg_type != GENL_ID_CTRL ||
			    nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*g))
				continue;
			g = mnl_nlmsg_get_payload(nlh);
			if (name_of(nlh, &name) < 0 || strcmp(name, w->name) != 0)
				continue;
			if (g->cmd == CTRL_CMD_NEWFAMILY)
				seen |= FAMILY_WATCH_NEW;
			else if (g->cmd == CTRL_CMD_DELFAMILY)
				seen |= FAMILY_WATCH_DEL;
		}
	}
	if (n < 0 && errno == ENOBUFS)
		return FAMILY_WATCH_NEW | FAMILY_WATCH_DEL;
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return -errno;
	return seen;
}
