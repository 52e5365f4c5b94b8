// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>

#include "kernel-source-internal.h"

int kernel_source_new(const char *spec, int rcvbuf, struct kernel_source **ret)
{
	if (strcmp(spec, "netlink") == 0)
		return kernel_source_netlink_new(rcvbuf, ret);
	if (strncmp(spec, "unix:", 5) == 0 && spec[5])
		return kernel_source_unix_new(spec + 5, rcvbuf, ret);
	if (strcmp(spec, "observe") == 0)
		return kernel_source_observe_new(KERNEL_SOURCE_OBSERVE_INTERVAL_MS,
						 ret);
	return -EINVAL;
}

const char *kernel_source_name(const struct kernel_source *ks)
{
	return ks->ops->name;
}

struct kernel_source *kernel_source_free(struct kernel_source *ks)
{
	if (ks)
		ks->ops->free(ks);
	return NULL;
}

int kernel_source_get_fd(const struct kernel_source *ks)
{
	return ks->ops->get_fd(ks);
}

ssize_t kernel_source_recv(struct kernel_source *ks, void *buf, size_t size)
{
	return ks->ops->recv(ks, buf, size);
}

int kernel_source_dump(struct kernel_source *ks, uint8_t cmd,
		       kernel_source_msg_fn fn, void *userdata)
{
	int r;

	if (!ks->requests)
		return -EOPNOTSUPP;
	r = vas_nl_req_dump(ks->requests, cmd, fn, userdata);

	/* vas-nl-request says -EAGAIN for NLM_F_DUMP_INTR; the contract says -EINTR */
	return r == -EAGAIN ? -EINTR : r;
}

int kernel_source_request(struct kernel_source *ks, uint8_t cmd,
			  const void *attrs, size_t attrs_len,
			  kernel_source_msg_fn fn, void *userdata,
			  const char **ret_extack)
{
	if (!ks->requests)
		return -EOPNOTSUPP;
	return vas_nl_req_do(ks->requests, cmd, attrs, attrs_len, fn, userdata,
			     ret_extack);
}
