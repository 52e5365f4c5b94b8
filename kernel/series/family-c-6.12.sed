# SPDX-License-Identifier: GPL-2.0-only
# kernel/vas-events.c -> 6.12's book3s/vas-events.c, after family-c.sed:
# 6.12 has filtered multicast (v6.8), so only that branch of the version
# conditional is kept; upstream code has no LINUX_VERSION_CODE
# (docs/kernel.md).
/^#include <linux\/version\.h>$/d
/^#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)$/d
/^#else \/\* LINUX_VERSION_CODE \*\/$/,/^#endif \/\* LINUX_VERSION_CODE \*\/$/d
