/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kernel-source: where vasd's kernel messages come from. Either the real
 * generic netlink family "vas", or a test socket speaking the same bytes
 * (a fake kernel on a SOCK_SEQPACKET unix socket, tests/fake-kernel/).
 *
 * Both hand out whole datagrams of nlmsghdr-framed "vas" messages, so the
 * daemon decodes both with the same code (vas_msg_decode()). Only the
 * transport differs:
 *   netlink      events: a socket joined to the "events" group;
 *                requests: a second socket for dumps and coordinator commands.
 *   unix:PATH    events: a first connection to PATH (the fake kernel sends it
 *                every notification); requests: a second connection, on which
 *                requests and replies are exchanged exactly as on netlink
 *                (NLM_F_DUMP, NLM_F_MULTI parts, NLMSG_DONE, NLMSG_ERROR acks),
 *                by the same code (lib/netlink/vas-nl-request.c); a reply
 *                that does not come within 10 s is -ETIMEDOUT, a fake kernel
 *                that went away -ECONNRESET.
 *                The fake kernel sends events to every connection until it
 *                sends something; the source sends an NLMSG_NOOP on the
 *                request connection at once, so that it gets (almost) none,
 *                and skips those it gets as replies to no request.
 *                A receive overrun is reported by the fake kernel as an
 *                NLMSG_ERROR with error -ENOBUFS and seq 0, a datagram of its
 *                own, on the events connection; the source turns it into
 *                -ENOBUFS from kernel_source_recv(), which is how netlink
 *                reports it. How far the events may lag is the fake kernel's
 *                send buffer (unix sockets do not look at the reader's
 *                SO_RCVBUF), so rcvbuf is set but changes nothing there.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/netlink.h>

#include "util/macro.h"

/*
 * The family's id on a unix socket (nlmsg_type of its messages): there is
 * no controller to resolve it, so the fake kernel and the source agree on
 * this one.
 */
#define KERNEL_SOURCE_UNIX_FAMILY_ID 0x1a

struct kernel_source;

/* Called for each message of a dump; a negative return ends the dump with it. */
typedef int (*kernel_source_msg_fn)(const struct nlmsghdr *nlh, void *userdata);

/*
 * spec: "netlink" or "unix:PATH". Connects, resolves the family, joins the
 * events group (subscribe before any dump), and sets the events receive
 * buffer to rcvbuf bytes (0: leave the default). -ENOENT when the family
 * is not registered (module not loaded) or PATH does not exist.
 */
int kernel_source_new(const char *spec, int rcvbuf, struct kernel_source **ret);
struct kernel_source *kernel_source_free(struct kernel_source *ks);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct kernel_source, kernel_source_free)

/* Non-blocking fd of the events socket, for the event loop (EV_READ). */
int kernel_source_get_fd(const struct kernel_source *ks);

/*
 * Receive one datagram of events without blocking: its length, -EAGAIN
 * when there is none, -ENOBUFS when messages were lost (never silenced),
 * -ECONNRESET when a unix fake kernel went away, other -errno.
 */
ssize_t kernel_source_recv(struct kernel_source *ks, void *buf, size_t size);

/*
 * Run a dump (cmd: VAS_CMD_WINDOW_GET or CAPS_GET; MIGRATION_GET is a do
 * only, -EOPNOTSUPP here: use kernel_source_request()) on the request
 * socket, blocking, calling fn for each message. Returns 0, -EINTR
 * when the kernel flagged the dump inconsistent (NLM_F_DUMP_INTR: run it
 * again), or -errno from the kernel or fn.
 */
int kernel_source_dump(struct kernel_source *ks, uint8_t cmd,
		       kernel_source_msg_fn fn, void *userdata);

/*
 * Send a "do" request (VAS_CMD_COORD_*, VAS_CMD_MIGRATION_GET, ...) with attributes
 * already encoded in attrs (a sequence of nlattr, may be NULL/0) and wait for
 * its ack. fn (may be NULL) sees a reply message, if any. Returns 0 or the
 * kernel's -errno; when ret_extack is not NULL it is set to the kernel's
 * extack message or NULL (owned by ks, valid until the next call).
 */
int kernel_source_request(struct kernel_source *ks, uint8_t cmd,
			  const void *attrs, size_t attrs_len,
			  kernel_source_msg_fn fn, void *userdata,
			  const char **ret_extack);
