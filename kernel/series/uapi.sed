# SPDX-License-Identifier: GPL-2.0-only
# proto/vas.h -> include/uapi/linux/vas.h: the comment that names the
# repository's test is the one difference.
/^ \* This header is the user-space\/kernel contract\. proto\/vas\.yaml describes$/,/^ \* test "proto-consistency" fails when the two disagree\.$/c\
 * Documentation/netlink/specs/vas.yaml describes the same family: the\
 * attributes each message carries and in what order.
