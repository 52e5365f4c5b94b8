// SPDX-License-Identifier: GPL-2.0-only
/*
 * vas-nl: a small client of the "vas" generic netlink family. See vas-nl.h.
 *
 * Replies are read with our own loop rather than mnl_cb_run(): libmnl stops
 * at the first part flagged NLM_F_DUMP_INTR (leaving the rest of the dump
 * queued on the socket) and drops the error an NLMSG_DONE may carry.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>

#include "netlink/vas-nl.h"
#include "vas.h"

struct vas_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;			/* of the last request sent */
	uint16_t family_id;
	uint32_t events_group;
	char extack[256];		/* of the last request's error, or "" */
	uint8_t buf[VAS_NL_BUFFER_SIZE];
};

static uint8_t *put_request(struct vas_nl *nl, uint16_t type, uint16_t flags,
			    uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nl->buf;
}

static int send_request(struct vas_nl *nl)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)nl->buf;

	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return 0;
}

/* Keep the kernel's extack message of an error reply, if it has one. */
static void parse_extack(struct vas_nl *nl, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	size_t offset = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* without NLM_F_CAPPED the request is echoed before the TLVs */
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		offset += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if (offset > mnl_nlmsg_get_payload_len(nlh))
		return;
	mnl_attr_for_each(a, nlh, offset) {
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			snprintf(nl->extack, sizeof(nl->extack), "%s",
				 mnl_attr_get_str(a));
	}
}

/*
 * Read the replies to the last request until its end (an ACK, an error or
 * NLMSG_DONE), passing the others to fn. Replies to an earlier request
 * that was given up are skipped by their sequence number. Everything is
 * read even after fn failed, so the socket stays usable. Returns the first
 * error, or -EAGAIN when a dump part was flagged NLM_F_DUMP_INTR (the
 * snapshot is inconsistent: the caller discards it and dumps again).
 */
static int read_replies(struct vas_nl *nl, vas_nl_msg_fn fn, void *userdata)
{
	nl->extack[0] = '\0';
	bool interrupted = false, done = false;
	int r = 0;

	while (!done) {
		const struct nlmsghdr *nlh;
		ssize_t n;
		int len;

		n = vas_nl_recv(nl, nl->buf, sizeof(nl->buf));
		if (n == -EINTR)
			continue;
		if (n < 0)
			return (int)n;
		len = (int)n;

		for (nlh = (const struct nlmsghdr *)nl->buf;
		     mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != nl->seq ||
			    nlh->nlmsg_pid != nl->portid)
				continue;
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				interrupted = true;

			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e =
					mnl_nlmsg_get_payload(nlh);

				if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
					if (r == 0)
						r = -EBADMSG;
				} else if (e->error < 0 && r == 0) {
					r = e->error;
					parse_extack(nl, nlh);
				}
				done = true;
			} else if (nlh->nlmsg_type == NLMSG_DONE) {
				int err = 0;

				if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(err))
					memcpy(&err, mnl_nlmsg_get_payload(nlh),
					       sizeof(err));
				if (err < 0 && r == 0)
					r = err;
				done = true;
			} else if (nlh->nlmsg_type >= NLMSG_MIN_TYPE && r == 0) {
				r = fn(nlh, userdata);
				if (r > 0)
					r = 0;
			}
		}
	}
	if (r == 0 && interrupted)
		return -EAGAIN;
	return r;
}

static int ignore_msg(const struct nlmsghdr *nlh, void *userdata)
{
	return 0;
}

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

	nlh = (struct nlmsghdr *)put_request(nl, GENL_ID_CTRL, NLM_F_ACK,
					     CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, VAS_FAMILY_NAME);
	r = send_request(nl);
	if (r < 0)
		return r;
	r = read_replies(nl, parse_family, &fi);
	if (r < 0)
		return r;
	if (!fi.has_id || !fi.has_group)
		return -EPROTO;
	nl->family_id = fi.id;
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
	nl->portid = mnl_socket_get_portid(nl->sock);
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
	return nl->family_id;
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
	int r;

	put_request(nl, nl->family_id, NLM_F_DUMP, cmd, VAS_FAMILY_VERSION);
	r = send_request(nl);
	if (r < 0)
		return r;
	return read_replies(nl, fn, userdata);
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
	struct nlmsghdr *nlh;
	int r;

	nlh = (struct nlmsghdr *)put_request(nl, nl->family_id, NLM_F_ACK, cmd,
					     VAS_FAMILY_VERSION);
	if (attrs_len > sizeof(nl->buf) - nlh->nlmsg_len)
		return -EMSGSIZE;
	if (attrs_len) {
		memcpy(mnl_nlmsg_get_payload_tail(nlh), attrs, attrs_len);
		nlh->nlmsg_len += (uint32_t)MNL_ALIGN(attrs_len);
	}
	r = send_request(nl);
	if (r >= 0)
		r = read_replies(nl, fn ? fn : ignore_msg, userdata);
	if (ret_extack)
		*ret_extack = nl->extack[0] ? nl->extack : NULL;
	return r;
}
