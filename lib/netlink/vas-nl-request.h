/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vas-nl-request: the request side of the "vas" family, written once for
 * every transport. It builds a request, sends it, and reads its replies to
 * their end (an ACK, an error with the kernel's extack message, or the
 * NLMSG_DONE of a dump), passing the others to a callback.
 *
 * The transport is an fd on which one datagram carries netlink messages:
 * a generic netlink socket (vas-nl.c) or the request connection to the fake
 * kernel (daemon/kernel-source-unix.c). What differs between the two is a
 * parameter here, set by its owner: the family id (resolved through the
 * controller, or agreed), the port id the replies carry, and how long to
 * wait for a reply. The host tests through the fake kernel thus run the
 * request code that talks to the real one.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>

/*
 * Enough for any datagram the kernel sends: it sizes a dump's parts after
 * the reader's buffer, up to 32 KiB.
 */
#define VAS_NL_BUFFER_SIZE 32768

/* Called for each message of a dump; a negative return ends the dump. */
typedef int (*vas_nl_msg_fn)(const struct nlmsghdr *nlh, void *userdata);

/*
 * One request path. The owner sets the transport with vas_nl_req_init() and
 * family_id when it knows it; the rest belongs to the functions below.
 */
struct vas_nl_req {
	int fd;				/* the transport's, owned by the caller */
	uint32_t portid;		/* that replies to us carry */
	uint16_t family_id;		/* nlmsg_type of the family's requests */
	int timeout_ms;			/* for each reply; -1: wait for ever */
	uint32_t seq;			/* of the last request sent */
	char extack[256];		/* of the last request's error, or "" */
	uint8_t buf[VAS_NL_BUFFER_SIZE];
};

void vas_nl_req_init(struct vas_nl_req *req, int fd, uint32_t portid,
		     uint16_t family_id, int timeout_ms);

struct nlmsghdr *vas_nl_req_put(struct vas_nl_req *req, uint16_t type,
				uint16_t flags, uint8_t cmd, uint8_t version);
int vas_nl_req_run(struct vas_nl_req *req, vas_nl_msg_fn fn, void *userdata);

int vas_nl_req_dump(struct vas_nl_req *req, uint8_t cmd, vas_nl_msg_fn fn,
		    void *userdata);
int vas_nl_req_do(struct vas_nl_req *req, uint8_t cmd, const void *attrs,
		  size_t attrs_len, vas_nl_msg_fn fn, void *userdata,
		  const char **ret_extack);
