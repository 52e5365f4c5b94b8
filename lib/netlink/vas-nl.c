// SPDX-License-Identifier: GPL-2.0-only
/*
 * vas-nl: a small client of the "vas" generic netlink family. See vas-nl.h.
 * Its requests go through vas-nl-request.c, as the fake kernel's do.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>

#include "netlink/vas-nl.h"
#include "vas.h"

struct vas_nl {
	struct mnl_socket *sock;
	uint32_t events_group;
	struct vas_nl_req req;		/* on sock; family_id once resolved */
};

struct family_info {
	uint16_t id;
	uint32_t group;
	bool has_id;
	bool has_group;
};

static void parse_mcast_groups(const struct nlattr *groups,
			       struct family_info *fi)
{
	const struct nlattr *grp, *a;

	mnl_attr_for_each_nested(grp, groups) {
		const char *name = NULL;
		uint32_t id = 0;
		bool has_id = false;

		if (mnl_attr_validate(grp, MNL_TYPE_NESTED) < 0)
			continue;
		mnl_attr_for_each_nested(a, grp) {
			switch (mnl_attr_get_type(a)) {
			case CTRL_ATTR_MCAST_GRP_NAME:
				if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
					name = mnl_attr_get_str(a);
				break;
			case CTRL_ATTR_MCAST_GRP_ID:
				if (mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
					id = mnl_attr_get_u32(a);
					has_id = true;
				}
				break;
			}
		}
		if (name && has_id && strcmp(name, VAS_MCGRP_EVENTS) == 0) {
			fi->group = id;
			fi->has_group = true;
		}
	}
}

static int parse_family(const struct nlmsghdr *nlh, void *userdata)
{
	struct family_info *fi = userdata;
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr)) {
		switch (mnl_attr_get_type(a)) {
		case CTRL_ATTR_FAMILY_ID:
			if (mnl_attr_validate(a, MNL_TYPE_U16) == 0) {
				fi->id = mnl_attr_get_u16(a);
				fi->has_id = true;
			}
			break;
		case CTRL_ATTR_MCAST_GROUPS:
			parse_mcast_groups(a, fi);
			break;
		}
	}
	return 0;
}

static int resolve_family(struct vas_nl *nl)
{
	struct family_info fi = { 0 };
	struct nlmsghdr *nlh;
	int r;

	nlh = vas_nl_req_put(&nl->req, GENL_ID_CTRL, NLM_F_ACK,
			     CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, VAS_FAMILY_NAME);
	r = vas_nl_req_run(&nl->req, parse_family, &fi);
	if (r < 0)
		return r;
	if (!fi.has_id || !fi.has_group)
		return -EPROTO;
	nl->req.family_id = fi.id;
	nl->events_group = fi.group;
	return 0;
}

/**
 * vas_nl_new() - open a generic netlink socket and resolve the family
 * @ret: the new client
 *
 * Returns: 0; -ENOENT when the kernel has no "vas" family (the module is
 * not loaded); -EPROTO when the family has no "events" group; another
 * negative errno when the socket could not be set up.
 */
int vas_nl_new(struct vas_nl **ret)
{
	_cleanup_(vas_nl_freep) struct vas_nl *nl = NULL;
	int r;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->sock = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC);
	if (!nl->sock)
		return -errno;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	/* blocking: a kernel that accepted a request answers it */
	vas_nl_req_init(&nl->req, mnl_socket_get_fd(nl->sock),
			mnl_socket_get_portid(nl->sock), 0, -1);
	/* error replies carry the kernel's message; older kernels ignore it */
	(void)mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &(int){ 1 },
				    sizeof(int));
	(void)mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &(int){ 1 },
				    sizeof(int));

	r = resolve_family(nl);
	if (r < 0)
		return r;

	*ret = nl;
	nl = NULL;
	return 0;
}

struct vas_nl *vas_nl_free(struct vas_nl *nl)
{
	if (!nl)
		return NULL;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl);
	return NULL;
}

int vas_nl_get_fd(const struct vas_nl *nl)
{
	return mnl_socket_get_fd(nl->sock);
}

uint16_t vas_nl_get_family_id(const struct vas_nl *nl)
{
	return nl->req.family_id;
}

/* The request path of this client, for a caller that speaks to several transports. */
struct vas_nl_req *vas_nl_get_req(struct vas_nl *nl)
{
	return &nl->req;
}

/**
 * vas_nl_join_events() - subscribe to the family's "events" group
 * @nl: the client
 *
 * Returns: 0, or -EPERM without CAP_NET_ADMIN (the group is admin-only).
 */
int vas_nl_join_events(struct vas_nl *nl)
{
	int grp = (int)nl->events_group;

	if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0)
		return -errno;
	return 0;
}

/**
 * vas_nl_set_rcvbuf() - size the socket's receive buffer
 * @nl: the client
 * @bytes: the size asked for
 *
 * A privileged caller gets the size even past net.core.rmem_max
 * (SO_RCVBUFFORCE); anybody else gets at most rmem_max.
 *
 * Returns: 0 or a negative errno.
 */
int vas_nl_set_rcvbuf(struct vas_nl *nl, int bytes)
{
	int fd = vas_nl_get_fd(nl);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes,
		       sizeof(bytes)) == 0)
		return 0;
	if (errno != EPERM)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) < 0)
		return -errno;
	return 0;
}

/**
 * vas_nl_dump() - dump the objects of a GET command
 * @nl: the client; its socket must not be in the events group
 * @cmd: VAS_CMD_WINDOW_GET or VAS_CMD_CAPS_GET
 * @fn: called with each message of the dump
 * @userdata: passed to @fn
 *
 * Returns: 0; -EAGAIN when the kernel flagged the dump inconsistent (state
 * changed while it ran: discard what @fn saw and dump again); the first
 * negative return of @fn; or a negative errno from the kernel or socket.
 */
int vas_nl_dump(struct vas_nl *nl, uint8_t cmd, vas_nl_msg_fn fn,
		void *userdata)
{
	return vas_nl_req_dump(&nl->req, cmd, fn, userdata);
}

/**
 * vas_nl_recv() - receive one datagram
 * @nl: the client
 * @buf: where to put it; 4-byte aligned
 * @size: bytes at @buf; VAS_NL_BUFFER_SIZE is enough
 *
 * Returns: the datagram's length; -ENOBUFS when the receive buffer overran
 * or the kernel could not build a notification (messages were lost: the
 * socket stays usable, the caller resyncs); -EMSGSIZE when the datagram
 * did not fit (it is lost); -EINTR, -EAGAIN or another negative errno.
 */
ssize_t vas_nl_recv(struct vas_nl *nl, void *buf, size_t size)
{
	ssize_t n;

	n = recv(vas_nl_get_fd(nl), buf, size, MSG_TRUNC);
	if (n < 0)
		return -errno;
	if ((size_t)n > size)
		return -EMSGSIZE;
	return n;
}

/**
 * vas_nl_request() - send a "do" request and wait for its end
 * @nl: the client; its socket must not be in the events group
 * @cmd: the command (VAS_CMD_COORD_*, VAS_CMD_MIGRATION_GET, ...)
 * @attrs: attributes, already encoded (a sequence of nlattr), or NULL
 * @attrs_len: their length in bytes
 * @fn: called with each reply message (may be NULL)
 * @userdata: passed to @fn
 * @ret_extack: (may be NULL) set to the kernel's message with an error, or
 *	NULL; valid until the next request
 *
 * Returns: 0 or a negative errno from the kernel, the socket or @fn.
 */
int vas_nl_request(struct vas_nl *nl, uint8_t cmd, const void *attrs,
		   size_t attrs_len, vas_nl_msg_fn fn, void *userdata,
		   const char **ret_extack)
{
	return vas_nl_req_do(&nl->req, cmd, attrs, attrs_len, fn, userdata,
			     ret_extack);
}
