/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vas-format: one line of text per decoded message, in the manner of
 * `udevadm monitor --kernel`. Pure: no I/O, no globals.
 */
#pragma once

#include <stddef.h>

#include "netlink/vas-msg.h"

/* Enough for any line vas_format_msg() writes, its NUL included. */
#define VAS_FORMAT_LINE_MAX 512

size_t vas_format_msg(char *buf, size_t size, const struct vas_msg *m);
