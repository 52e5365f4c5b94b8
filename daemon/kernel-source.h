/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kernel-source: where vasd's kernel messages come from. Either the real
 * generic netlink family "vas", or a test socket speaking the same bytes
 * (a fake kernel on a SOCK_SEQPACKET unix socket, tests/fake-kernel/), or,
 * on a stock kernel without the family, pictures of sysfs and /proc
 * ("observe", at the end of this file): no messages, no requests.
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

#include "core/observe.h"
#include "util/macro.h"

/*
 * The family's id on a unix socket (nlmsg_type of its messages): there is
 * no controller to resolve it, so the fake kernel and the source agree on
 * this one.
 */
#define KERNEL_SOURCE_UNIX_FAMILY_ID 0x1a

/* observe's bounded interval between pictures, by default (vasd --observe-interval) */
#define KERNEL_SOURCE_OBSERVE_INTERVAL_MS 30000

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

/* "netlink", "unix" or "observe". */
const char *kernel_source_name(const struct kernel_source *ks);

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
 * only, -EOPNOTSUPP here: use kernel_source_request(); observe has no
 * requests at all: -EOPNOTSUPP) on the request
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

/*
 * observe: a picture of a stock kernel (daemon/kernel-source-observe.c).
 * -ENOENT when sysfs has no vas0/gzip; -ENXIO when it has, but there is no
 * /dev/crypto/nx-gzip here (a unit's PrivateDevices= hides it); -EPERM when
 * the device cgroup refuses to let vasd watch it (no DeviceAllow=).
 * Its fd is readable when the device node was opened or closed, or a timer
 * ran out; kernel_source_observe_due() then says 1 when a picture is due
 * (OBSERVE_SETTLE_MS after a notification, a recheck, or interval_ms after
 * the last picture), 0 when not yet, -ENODEV when the node went away,
 * -ENOBUFS when notifications were lost (take a picture anyway).
 */
int kernel_source_observe_new(unsigned int interval_ms,
			      struct kernel_source **ret);
bool kernel_source_is_observe(const struct kernel_source *ks);
/*
 * The interval rides on a timer of the caller's that ticks every @tick_ms
 * (the watchdog's): observe's own timer then serves the settle and the
 * rechecks only, and kernel_source_observe_tick(), called at each tick,
 * says 1 when the interval's picture is due. A tick slower than the
 * interval is refused (the timer keeps it). Call before the first picture.
 */
void kernel_source_observe_set_tick(struct kernel_source *ks,
				    unsigned int tick_ms);
int kernel_source_observe_tick(struct kernel_source *ks);
int kernel_source_observe_due(struct kernel_source *ks);
/* Before the first picture: the ledger's windows keep their ids. */
int kernel_source_observe_seed(struct kernel_source *ks,
			       const struct vasd_state *s);
/*
 * Take a picture into *windows (grown as needed) and snap: see
 * observe_snapshot(). Rearms the timer.
 */
int kernel_source_observe_picture(struct kernel_source *ks,
				  struct vas_window **windows,
				  size_t *n_allocated,
				  struct vasd_snapshot *snap);

struct kernel_source_observe_stats {
	uint64_t pictures;
	uint64_t opens, closes;		/* notified, in all */
	uint64_t missed;		/* opened and closed between two pictures */
	uint64_t unseen;		/* opens whose file no recheck found */
	uint64_t unreadable;		/* processes whose fds could not be read, last picture */
	uint64_t last_us;		/* what the last picture took */
	uint32_t windows;		/* in the last picture */
	bool has_credits;
	uint32_t total[VASD_N_TYPES];	/* sysfs, last picture */
	uint32_t used[VASD_N_TYPES];	/* sysfs: windows closed in the hypervisor too */
};

void kernel_source_observe_get_stats(const struct kernel_source *ks,
				     struct kernel_source_observe_stats *ret);
/* The processes holding the device at the last picture, by tgid. */
const struct observe_holder *
kernel_source_observe_holders(const struct kernel_source *ks, size_t *ret_n);
