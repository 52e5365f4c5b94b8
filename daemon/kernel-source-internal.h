/* SPDX-License-Identifier: GPL-2.0-only */
/* The two transports behind kernel-source.h. */
#pragma once

#include "kernel-source.h"

struct kernel_source_ops {
	void (*free)(struct kernel_source *ks);
	int (*get_fd)(const struct kernel_source *ks);
	ssize_t (*recv)(struct kernel_source *ks, void *buf, size_t size);
	int (*dump)(struct kernel_source *ks, uint8_t cmd,
		    kernel_source_msg_fn fn, void *userdata);
	int (*request)(struct kernel_source *ks, uint8_t cmd,
		       const void *attrs, size_t attrs_len,
		       kernel_source_msg_fn fn, void *userdata,
		       const char **ret_extack);
};

struct kernel_source {
	const struct kernel_source_ops *ops;
};

int kernel_source_netlink_new(int rcvbuf, struct kernel_source **ret);
int kernel_source_unix_new(const char *path, int rcvbuf,
			   struct kernel_source **ret);
