/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * snapshot: take a consistent picture of the kernel by dump, for a resync.
 *
 * The family dumps windows, caps and migration separately, and an empty
 * window dump carries no seq, so a picture is consistent only when nothing
 * happened while it was taken: caps are dumped first and last, and the
 * picture is kept when both carry the same (generation, seq) and the window
 * dump was not flagged inconsistent (docs/netlink.md).
 */
#pragma once

#include "core/state.h"
#include "kernel-source.h"

struct snapshot {
	struct vasd_snapshot snap;	/* snap.windows points into windows */
	struct vas_window *windows;
	size_t n_allocated;
};

void snapshot_done(struct snapshot *s);

/*
 * Take one picture. -EAGAIN when the kernel changed while it was taken (try
 * again), -EBADMSG when a reply could not be decoded, other -errno from the
 * kernel source.
 */
int snapshot_take(struct kernel_source *ks, struct snapshot *s);
