# SPDX-License-Identifier: GPL-2.0-only
# kernel/vas-events.c -> arch/powerpc/platforms/book3s/vas-events.c: only the
# lines that name the repository's files differ (docs/kernel.md).
s|^#include "vas-events.h"$|#include <asm/vas-events.h>|
s|^ \* vas-events: the generic netlink family "vas" (proto/vas.h, docs/netlink.md)\.$| * vas-events: the generic netlink family "vas" (uapi/linux/vas.h).|
