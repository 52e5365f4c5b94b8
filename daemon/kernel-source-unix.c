// SPDX-License-Identifier: GPL-2.0-only
/*
 * A test kernel on a SOCK_SEQPACKET unix socket (tests/fake-kernel/): the
 * same messages as the family "vas", on two connections (kernel-source.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>

#include "netlink/vas-nl.h"
#include "kernel-source-internal.h"
#include "vas.h"

/* A fake kernel that stops answering must not hang vasd forever. */
#define REPLY_TIMEOUT_MS	10000

struct ks_unix {
	struct kernel_source ks;
	int events_fd;
	int request_fd;
	uint32_t seq;
	char extack[256];
	uint8_t buf[VAS_NL_BUFFER_SIZE];
};

#define UX(k) ((struct ks_unix *)(k))

static void ux_free(struct kernel_source *ks)
{
	if (UX(ks)->events_fd >= 0)
		close(UX(ks)->events_fd);
	if (UX(ks)->request_fd >= 0)
		close(UX(ks)->request_fd);
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

static int send_req(struct ks_unix *k, uint16_t flags, uint8_t cmd,
		    const void *attrs, size_t attrs_len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(k->buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = KERNEL_SOURCE_UNIX_FAMILY_ID;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++k->seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = VAS_FAMILY_VERSION;
	if (attrs_len > sizeof(k->buf) - nlh->nlmsg_len)
		return -EMSGSIZE;
	if (attrs_len) {
		memcpy(mnl_nlmsg_get_payload_tail(nlh), attrs, attrs_len);
		nlh->nlmsg_len += (uint32_t)MNL_ALIGN(attrs_len);
	}
	if (send(k->request_fd, nlh, nlh->nlmsg_len, MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

static void keep_extack(struct ks_unix *k, const struct nlmsghdr *nlh)
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
			snprintf(k->extack, sizeof(k->extack), "%s",
				 mnl_attr_get_str(a));
	}
}

/* As vas-nl's: read to the request's end, flag DUMP_INTR, keep the socket usable. */
static int read_replies(struct ks_unix *k, kernel_source_msg_fn fn,
			void *userdata)
{
	bool interrupted = false, done = false;
	int r = 0;

	k->extack[0] = '\0';
	while (!done) {
		struct pollfd p = { .fd = k->request_fd, .events = POLLIN };
		const struct nlmsghdr *nlh;
		ssize_t n;
		int len;

		n = poll(&p, 1, REPLY_TIMEOUT_MS);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
		n = recv(k->request_fd, k->buf, sizeof(k->buf), MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		if ((size_t)n > sizeof(k->buf))
			return -EMSGSIZE;
		len = (int)n;

		for (nlh = (const struct nlmsghdr *)k->buf;
		     mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != k->seq)
				continue;
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				interrupted = true;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

				if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e)) {
					if (r == 0)
						r = -EBADMSG;
				} else if (e->error < 0 && r == 0) {
					r = e->error;
					keep_extack(k, nlh);
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
			} else if (nlh->nlmsg_type >= NLMSG_MIN_TYPE && r == 0 && fn) {
				r = fn(nlh, userdata);
				if (r > 0)
					r = 0;
			}
		}
	}
	if (r == 0 && interrupted)
		return -EINTR;
	return r;
}

static int ux_dump(struct kernel_source *ks, uint8_t cmd,
		   kernel_source_msg_fn fn, void *userdata)
{
	int r = send_req(UX(ks), NLM_F_DUMP, cmd, NULL, 0);

	return r < 0 ? r : read_replies(UX(ks), fn, userdata);
}

static int ux_request(struct kernel_source *ks, uint8_t cmd, const void *attrs,
		      size_t attrs_len, kernel_source_msg_fn fn,
		      void *userdata, const char **ret_extack)
{
	int r = send_req(UX(ks), NLM_F_ACK, cmd, attrs, attrs_len);

	if (r >= 0)
		r = read_replies(UX(ks), fn, userdata);
	if (ret_extack)
		*ret_extack = UX(ks)->extack[0] ? UX(ks)->extack : NULL;
	return r;
}

static const struct kernel_source_ops unix_ops = {
	.free = ux_free,
	.get_fd = ux_get_fd,
	.recv = ux_recv,
	.dump = ux_dump,
	.request = ux_request,
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
	k->request_fd = -1;

	/* the first connection is the events connection (kernel-source.h) */
	k->events_fd = connect_to(path, SOCK_NONBLOCK);
	if (k->events_fd < 0)
		r = k->events_fd;
	if (r >= 0 && rcvbuf > 0 &&
	    setsockopt(k->events_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		r = -errno;
	if (r >= 0) {
		k->request_fd = connect_to(path, 0);
		if (k->request_fd < 0)
			r = k->request_fd;
	}
	if (r >= 0)
		r = claim_requests(k->request_fd);
	if (r < 0) {
		ux_free(&k->ks);
		return r;
	}
	*ret = &k->ks;
	return 0;
}
