/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vas-nl: a small client of the "vas" generic netlink family, on libmnl.
 *
 * This is the I/O edge: it owns a socket, resolves the family, joins the
 * events group, runs dumps and receives datagrams. It decodes nothing of
 * the family itself (vas-msg does).
 *
 * One socket serves one purpose: notifications of a joined group arrive
 * interleaved with the replies of a request on the same socket, so a
 * listener that also dumps (subscribe, dump, follow) uses two.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/netlink.h>

#include "netlink/vas-nl-request.h"
#include "util/macro.h"

struct vas_nl;

int vas_nl_new(struct vas_nl **ret);
struct vas_nl *vas_nl_free(struct vas_nl *nl);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct vas_nl, vas_nl_free)

int vas_nl_get_fd(const struct vas_nl *nl);
uint16_t vas_nl_get_family_id(const struct vas_nl *nl);
struct vas_nl_req *vas_nl_get_req(struct vas_nl *nl);

int vas_nl_join_events(struct vas_nl *nl);
int vas_nl_set_rcvbuf(struct vas_nl *nl, int bytes);
int vas_nl_dump(struct vas_nl *nl, uint8_t cmd, vas_nl_msg_fn fn,
		void *userdata);
int vas_nl_request(struct vas_nl *nl, uint8_t cmd, const void *attrs,
		   size_t attrs_len, vas_nl_msg_fn fn, void *userdata,
		   const char **ret_extack);
ssize_t vas_nl_recv(struct vas_nl *nl, void *buf, size_t size);
