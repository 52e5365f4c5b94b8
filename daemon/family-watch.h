/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * family-watch: the generic netlink controller's notifications of families
 * registered and unregistered, for one family name. vasd learns that the
 * "vas" family appeared (switch from observe to netlink) or went (back),
 * without polling: the controller tells every member of its "notify" group.
 */
#pragma once

#include "util/macro.h"

struct family_watch;

enum {
	FAMILY_WATCH_NEW = 1 << 0,	/* registered */
	FAMILY_WATCH_DEL = 1 << 1,	/* unregistered */
};

int family_watch_new(const char *name, struct family_watch **ret);
struct family_watch *family_watch_free(struct family_watch *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct family_watch, family_watch_free)

/* Non-blocking fd, for the event loop (EV_READ). */
int family_watch_get_fd(const struct family_watch *w);

/*
 * Read what is queued: FAMILY_WATCH_* of the name seen (both when
 * notifications were lost: look again), 0 for other families' only.
 */
int family_watch_recv(struct family_watch *w);
