# SPDX-License-Identifier: GPL-2.0-only
# kernel/vas-events.c -> 6.1's book3s/vas-events.c, after family-c.sed:
# 6.1 has no filtered multicast (v6.8), so only the #else branch of the
# version conditional is kept, without the includes only the filter needs;
# upstream code has no LINUX_VERSION_CODE (docs/kernel.md).
/^#include <linux\/capability\.h>$/d
/^#include <linux\/net\.h>$/d
/^#include <linux\/user_namespace\.h>$/d
/^#include <linux\/version\.h>$/d
/^#include <net\/sock\.h>$/d
/^#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)$/,/^#else \/\* LINUX_VERSION_CODE \*\/$/d
/^#endif \/\* LINUX_VERSION_CODE \*\/$/d
