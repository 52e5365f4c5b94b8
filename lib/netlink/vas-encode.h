/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vas-encode: build the messages the kernel part sends (docs/netlink.md):
 * notifications, the replies of WINDOW_GET, CAPS_GET and MIGRATION_GET (do
 * and dump parts), NLMSG_DONE and NLMSG_ERROR. The inverse of vas-msg, for
 * a fake kernel and for tests.
 *
 * Pure: no I/O, no globals, no allocation; everything goes into the
 * caller's buffer, nothing is written past its size.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>

#include "netlink/vas-msg.h"

/* Bytes enough for any one message vas_encode_msg() writes. */
#define VAS_ENCODE_MSG_MAX 256

/* Bytes enough for any vas_encode_error() with an extack of up to 255 bytes. */
#define VAS_ENCODE_ERROR_MAX 512

/*
 * The netlink header of a message (its length is computed) and the layout
 * of its u64 attributes. The kernel puts a pad attribute before a u64 whose
 * payload would not be 8-byte aligned only on architectures without
 * efficient unaligned access (nla_need_padding_for_64bit()); x86_64 and
 * ppc64 never do. With pad64, alignment is that of the address in the
 * buffer, as the kernel's is that of the skb: start datagrams 8-byte
 * aligned.
 */
struct vas_encode_frame {
	uint16_t type;		/* nlmsg_type: the family's id */
	uint16_t flags;		/* notification 0; dump part NLM_F_MULTI ... */
	uint32_t seq;		/* the request's nlmsg_seq; 0 in a notification */
	uint32_t portid;	/* the requester's; 0 in a notification */
	bool pad64;
};

int vas_encode_msg(void *buf, size_t size, const struct vas_encode_frame *f,
		   const struct vas_msg *m);
int vas_encode_done(void *buf, size_t size, const struct vas_encode_frame *f,
		    int error);
int vas_encode_error(void *buf, size_t size, const struct nlmsghdr *req,
		     int error, const char *extack);
