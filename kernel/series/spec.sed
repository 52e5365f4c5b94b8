# SPDX-License-Identifier: GPL-2.0-only
# proto/vas.yaml -> Documentation/netlink/specs/vas.yaml: the sentences that
# name the repository's files go, and the header is installed as linux/vas.h.
s|^\(  new instance and resync with a dump\.\) See docs/netlink\.md\.$|\1|
/^  nest but its pad\. lib\/netlink\/vas-spec\.c holds the same table for the$/{
s/ lib.*//
n
N
d
}
s|^uapi-header: vas\.h$|uapi-header: linux/vas.h|
