// SPDX-License-Identifier: GPL-2.0-only
/*
 * vas-nl-request: the request side of the "vas" family, for every
 * transport. See vas-nl-request.h.
 *
 * Replies are read with our own loop rather than mnl_cb_run(): libmnl stops
 * at the first part flagged NLM_F_DUMP_INTR (leaving the rest of the dump
 * queued on the socket) and drops the error an NLMSG_DONE may carry.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>

#include "netlink/vas-nl-request.h"
#include "vas.h"

/**
 * vas_nl_req_init() - set a request path over a transport
 * @req: the request path
 * @fd: a generic netlink socket, or a SOCK_SEQPACKET connection speaking
 *	the same bytes; blocking; the caller closes it
 * @portid: the port id the replies carry (the socket's own on netlink, the
 *	0 that our requests carry elsewhere)
 * @family_id: the family's id, or 0 until it is resolved
 * @timeout_ms: how long to wait for each reply, or -1 for ever
 */
void vas_nl_req_init(struct vas_nl_req *req, int fd, uint32_t portid,
		     uint16_t family_id, int timeout_ms)
{
	req->fd = fd;
	req->portid = portid;
	req->family_id = family_id;
	req->timeout_ms = timeout_ms;
	req->seq = 0;
	req->extack[0] = '\0';
}

/**
 * vas_nl_req_put() - start the next request in the path's buffer
 * @req: the request path
 * @type: the nlmsg_type (the family's id, or GENL_ID_CTRL)
 * @flags: besides NLM_F_REQUEST (NLM_F_ACK, NLM_F_DUMP)
 * @cmd: the generic netlink command
 * @version: the family's version
 *
 * It forgets the last request's extack message. Attributes may be added to
 * the message returned (mnl_attr_put*() and the like) until
 * vas_nl_req_run() sends it.
 *
 * Returns: the request's header, in @req's buffer.
 */
struct nlmsghdr *vas_nl_req_put(struct vas_nl_req *req, uint16_t type,
				uint16_t flags, uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req->buf);
	struct genlmsghdr *genl;

	req->extack[0] = '\0';
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++req->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

/*
 * The kernel's address is where an unconnected netlink socket sends; a
 * connection has one peer. MSG_NOSIGNAL: a peer that went away is an
 * error to report, not a signal that ends us.
 */
static int send_request(struct vas_nl_req *req)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)req->buf;

	if (send(req->fd, nlh, nlh->nlmsg_len, MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

/*
 * Receive one datagram of replies into the buffer: its length;
 * -ETIMEDOUT when none came in time (a peer that stopped answering must
 * not hang us); -ECONNRESET when the peer closed its end (a connection
 * reads 0 bytes then; a netlink socket never does); -EMSGSIZE when it did
 * not fit (it is lost); or another negative errno.
 */
static ssize_t recv_reply(struct vas_nl_req *req)
{
	for (;;) {
		ssize_t n;

		if (req->timeout_ms >= 0) {
			struct pollfd p = { .fd = req->fd, .events = POLLIN };
			int k = poll(&p, 1, req->timeout_ms);

			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				return -errno;
			if (k == 0)
				return -ETIMEDOUT;
		}
		n = recv(req->fd, req->buf, sizeof(req->buf), MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		if ((size_t)n > sizeof(req->buf))
			return -EMSGSIZE;
		return n;
	}
}

/* Keep the kernel's extack message of an error reply, if it has one. */
static void parse_extack(struct vas_nl_req *req, const struct nlmsghdr *nlh)
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
			snprintf(req->extack, sizeof(req->extack), "%s",
				 mnl_attr_get_str(a));
	}
}

/*
 * Read the replies to the last request until its end (an ACK, an error or
 * NLMSG_DONE), passing the others to fn. Replies to an earlier request
 * that was given up, and a fake kernel's events that reached the request
 * connection before it knew, are skipped by their sequence number.
 * Everything is read even after fn failed, so the transport stays usable.
 */
static int read_replies(struct vas_nl_req *req, vas_nl_msg_fn fn,
			void *userdata)
{
	bool interrupted = false, done = false;
	int r = 0;

	while (!done) {
		const struct nlmsghdr *nlh;
		ssize_t n;
		int len;

		n = recv_reply(req);
		if (n < 0)
			return (int)n;
		len = (int)n;

		for (nlh = (const struct nlmsghdr *)req->buf;
		     mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != req->seq ||
			    nlh->nlmsg_pid != req->portid)
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
					parse_extack(req, nlh);
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
			} else if (nlh->nlmsg_type >= NLMSG_MIN_TYPE && r == 0 &&
				   fn) {
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

/**
 * vas_nl_req_run() - send the request put last and read its replies
 * @req: the request path
 * @fn: called with each reply message that is not the end (may be NULL)
 * @userdata: passed to @fn
 *
 * Returns: 0; -EAGAIN when a dump part was flagged NLM_F_DUMP_INTR (the
 * snapshot is inconsistent: the caller discards it and dumps again); the
 * first negative return of @fn; a negative errno from the kernel; or one
 * from the transport (recv_reply() above).
 */
int vas_nl_req_run(struct vas_nl_req *req, vas_nl_msg_fn fn, void *userdata)
{
	int r = send_request(req);

	if (r < 0)
		return r;
	return read_replies(req, fn, userdata);
}

/**
 * vas_nl_req_dump() - dump the objects of a GET command
 * @req: the request path
 * @cmd: VAS_CMD_WINDOW_GET or VAS_CMD_CAPS_GET
 * @fn: called with each message of the dump (may be NULL)
 * @userdata: passed to @fn
 *
 * Returns: as vas_nl_req_run().
 */
int vas_nl_req_dump(struct vas_nl_req *req, uint8_t cmd, vas_nl_msg_fn fn,
		    void *userdata)
{
	vas_nl_req_put(req, req->family_id, NLM_F_DUMP, cmd,
		       VAS_FAMILY_VERSION);
	return vas_nl_req_run(req, fn, userdata);
}

/**
 * vas_nl_req_do() - send a "do" request and wait for its end
 * @req: the request path
 * @cmd: the command (VAS_CMD_COORD_*, VAS_CMD_MIGRATION_GET, ...)
 * @attrs: attributes, already encoded (a sequence of nlattr), or NULL
 * @attrs_len: their length in bytes
 * @fn: called with each reply message (may be NULL)
 * @userdata: passed to @fn
 * @ret_extack: (may be NULL) set to the kernel's message with an error, or
 *	NULL; valid until the next request
 *
 * Returns: 0, -EMSGSIZE when @attrs do not fit in a request, or as
 * vas_nl_req_run().
 */
int vas_nl_req_do(struct vas_nl_req *req, uint8_t cmd, const void *attrs,
		  size_t attrs_len, vas_nl_msg_fn fn, void *userdata,
		  const char **ret_extack)
{
	struct nlmsghdr *nlh;
	int r;

	nlh = vas_nl_req_put(req, req->family_id, NLM_F_ACK, cmd,
			     VAS_FAMILY_VERSION);
	if (attrs_len > sizeof(req->buf) - nlh->nlmsg_len) {
		r = -EMSGSIZE;
	} else {
		if (attrs_len) {
			memcpy(mnl_nlmsg_get_payload_tail(nlh), attrs,
			       attrs_len);
			nlh->nlmsg_len += (uint32_t)MNL_ALIGN(attrs_len);
		}
		r = vas_nl_req_run(req, fn, userdata);
	}
	if (ret_extack)
		*ret_extack = req->extack[0] ? req->extack : NULL;
	return r;
}
