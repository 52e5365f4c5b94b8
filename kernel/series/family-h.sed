# SPDX-License-Identifier: GPL-2.0-only
# kernel/vas-events.h -> arch/powerpc/include/asm/vas-events.h: only the
# lines that name the repository's files differ (docs/kernel.md).
s|^#include "vas.h"$|#include <linux/vas.h>|
s|^ \* vas-events: the generic netlink family "vas" (proto/vas.h)\.$| * vas-events: the generic netlink family "vas" (uapi/linux/vas.h).|
