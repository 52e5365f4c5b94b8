/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * observe: a picture of a stock kernel (no "vas" family) from what every
 * pseries kernel shows, made into the snapshot vasd_reconcile() takes.
 *
 * - The credits: pseries/vas-sysfs.c's nr_total_credits, nr_used_credits
 *   ("%d\n").
 * - The windows: a window is an open file of /dev/crypto/nx-gzip (the
 *   kernel ties a window to its file, one per file); /proc/PID/fd names
 *   them, /proc/PID/maps the paste pages mapped. The owner is the process
 *   holding the file: its tgid (pid = tgid: which thread opened it is not
 *   shown), comm, real uid.
 *
 * A picture holds no window id and no open time; the table gives them:
 * a handle (tgid, process start time, fd) keeps its id and first-seen time
 * from picture to picture, so an unchanged window is not recorded again.
 *
 * Pure: the text of /proc and sysfs in, values out; the reading is
 * daemon/kernel-source-observe.c's.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/state.h"
#include "netlink/vas-msg.h"

#define OBSERVE_DEVICE	"/dev/crypto/nx-gzip"

/* One open file of the device in one process: a window. */
struct observe_handle {
	uint32_t tgid;
	uint64_t start;			/* /proc/PID/stat starttime: a reused pid differs */
	int32_t fd;
	uint32_t uid;
	char comm[VAS_COMM_MAX];
};

/* A process holding the device: what the coordinator names. */
struct observe_holder {
	uint32_t tgid;
	uint32_t uid;
	char comm[VAS_COMM_MAX];
	uint32_t windows;		/* files of the device */
	uint32_t mapped;		/* paste pages mapped */
};

/* Parsers of one file's text; -EINVAL when it is not what the kernel writes. */
int observe_parse_credits(const char *text, uint32_t *ret);
int observe_parse_stat_start(const char *text, uint64_t *ret);
int observe_parse_status_uid(const char *text, uint32_t *ret);
/* "name\n" into comm, truncated to VAS_COMM_MAX - 1 as the kernel's */
void observe_parse_comm(const char *text, char comm[VAS_COMM_MAX]);
/* Whether an fd's link target is the device. */
bool observe_link_is_device(const char *target);
/* The mappings of the device in a maps text. */
uint32_t observe_count_maps(const char *text);

/* Known windows: handle -> id and first-seen time. */
struct observe_known {
	struct vas_window window;	/* id, owner, opened_at: first seen */
	uint64_t start;			/* 0: adopted from the ledger, not yet matched */
	int32_t fd;			/* -1: likewise */
	uint32_t uid;
};

struct observe_table {
	struct observe_known *v;
	size_t n;
	uint32_t next_id;		/* ids are vasd's while observing */
};

void observe_table_done(struct observe_table *t);

/*
 * Start from the windows the ledger holds (vasd restarted, or the family
 * went away): each is matched to a handle of the same tgid and comm at the
 * next update, in ascending id and fd, and keeps its id and opened_at.
 */
int observe_table_seed(struct observe_table *t, const struct vasd_state *s);

/*
 * Make the table the handles' set (h sorted or not): a known handle keeps
 * its window, a new one gets the next id and opened_at = now, a gone one is
 * dropped. *ret_added and *ret_removed count the changes.
 */
int observe_table_update(struct observe_table *t,
			 const struct observe_handle *h, size_t n,
			 uint64_t now, uint32_t *ret_added,
			 uint32_t *ret_removed);

/*
 * The snapshot of the table and credits: every window active, of the
 * default type (the kernel does not show a window's type); credits of a
 * type with has_total, used = the windows of the type (what
 * vasd_reconcile() checks); generation and seq 0: observed, not reported.
 * snap->windows points into t.
 */
void observe_snapshot(const struct observe_table *t,
		      const bool has_total[VASD_N_TYPES],
		      const uint32_t total[VASD_N_TYPES],
		      struct vas_window *windows, struct vasd_snapshot *snap);

/*
 * The notifications between two pictures against what the second showed.
 * An open shows as a window added, a last close as one removed; what the
 * notifications counted beyond that, in pairs, is a window opened and
 * closed between the pictures: missed. Opens left over may not show yet
 * (the notification comes before the file is in the process's table):
 * *ret_pending, to carry to the next picture. Closes left over are closes
 * of files that were no window of ours to see (nothing to carry).
 */
void observe_account(uint64_t opens, uint64_t closes, uint32_t added,
		     uint32_t removed, uint64_t *ret_missed,
		     uint64_t *ret_pending);

/*
 * The holders of a set of handles, with each tgid's mapped count taken
 * from maps[i] for the tgid tgids[i]: one per tgid, in ascending tgid.
 * *ret is malloc'ed.
 */
int observe_holders(const struct observe_handle *h, size_t n,
		    const uint32_t *tgids, const uint32_t *mapped,
		    size_t n_maps, struct observe_holder **ret,
		    size_t *ret_n);

/* Whether @h holds a lock: its tgid is among lock_pids (the holders' pids). */
bool observe_holder_locked(const struct observe_holder *h,
			   const uint32_t *lock_pids, size_t n_locks);

/*
 * The hook's line of the holders that hold no lock (lock_pids: the pids of
 * the lock holders): "uncoordinated: 4242 nxtest (2 windows), 4250 gzip
 * (1 window)", in ascending pid, the comm escaped as in the ledger's text
 * (\xHH for bytes outside printable ASCII and for backslash); NULL in
 * *ret when every holder holds a lock. *ret is malloc'ed.
 */
int observe_uncoordinated(const struct observe_holder *h, size_t n,
			  const uint32_t *lock_pids, size_t n_locks,
			  char **ret);
