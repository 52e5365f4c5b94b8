/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The two transports behind kernel-source.h. They differ in how they
 * connect and receive events; requests and dumps go through the one
 * request path of lib/netlink/vas-nl-request.c on both.
 */
#pragma once

#include "kernel-source.h"
#include "netlink/vas-nl-request.h"

struct kernel_source_ops {
	void (*free)(struct kernel_source *ks);
	int (*get_fd)(const struct kernel_source *ks);
	ssize_t (*recv)(struct kernel_source *ks, void *buf, size_t size);
	const char *name;	/* kernel_source_name() */
};

struct kernel_source {
	const struct kernel_source_ops *ops;
	struct vas_nl_req *requests;	/* the transport's request path; NULL: observe */
};

int kernel_source_netlink_new(int rcvbuf, struct kernel_source **ret);
int kernel_source_unix_new(const char *path, int rcvbuf,
			   struct kernel_source **ret);
