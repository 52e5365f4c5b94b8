/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Simulated pseries VAS backend: what the device (vas-api.c) and the
 * debugfs controls (vas-sim-debugfs.c) share with the window, credit and
 * migration logic (vas-sim.c).
 *
 * vas-sim.c stands in for arch/powerpc/platforms/pseries/vas.c and keeps
 * its function names; vas-api.c stands in for platforms/book3s/vas-api.c.
 */
#ifndef _VAS_SIM_H
#define _VAS_SIM_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include "vas-events.h"

/* Why a window is closed in the hypervisor, as asm/vas.h defines them. */
#define VAS_WIN_ACTIVE		0x0
#define VAS_WIN_NO_CRED_CLOSE	0x1	/* lost its credit (DLPAR) */
#define VAS_WIN_MIGRATE_CLOSE	0x2	/* closed for a migration */

/**
 * enum vas_lock_mode - how the open path and the migration handler lock
 * @VAS_LOCK_PRE_FIX: the code the seed thread describes: the open path
 *	drops vas_pseries_mutex around h_modify_vas_window(), and a
 *	migration that runs in that gap misses the window
 * @VAS_LOCK_UPSTREAM: commit 0cf72f7f14d1 (v6.7): a per-type count of
 *	opens in progress that the suspend polls until it is zero, and a
 *	second migration_in_progress check before list_add
 * @VAS_LOCK_WHOLE_PATH: the reviewer's proposal: vas_pseries_mutex held
 *	across the whole open path
 * @VAS_LOCK_MAX: number of modes
 */
enum vas_lock_mode {
	VAS_LOCK_PRE_FIX,
	VAS_LOCK_UPSTREAM,
	VAS_LOCK_WHOLE_PATH,
	VAS_LOCK_MAX
};

/**
 * struct vas_sim_config - knobs set through debugfs
 * @lock_mode: enum vas_lock_mode; read once per open and per migration
 * @open_delay_us: sleep in the open path where h_modify_vas_window() runs
 * @pause_ms: how long the simulated hypervisor keeps the partition
 *	suspended
 */
struct vas_sim_config {
	u32 lock_mode;
	u32 open_delay_us;
	u32 pause_ms;
};

extern struct vas_sim_config vas_sim_cfg;

/**
 * struct vas_sim_stats - counters shown by debugfs "stats"
 * @migrations: migrations run to their end (completed or aborted)
 * @aborted: migrations the simulated hypervisor refused
 * @missed_windows: windows still allocated at its check, summed
 * @opens: windows opened successfully
 * @open_ebusy: window opens that failed with -EBUSY
 */
struct vas_sim_stats {
	atomic64_t migrations;
	atomic64_t aborted;
	atomic64_t missed_windows;
	atomic64_t opens;
	atomic64_t open_ebusy;
};

extern struct vas_sim_stats vas_sim_stats;

/**
 * struct vas_sim_window - one send window (pseries_vas_window)
 * @ev: what the netlink family reports; ev.id is also the window's key
 *	in the window xarray and its page offset in the device's mapping
 * @status: VAS_WIN_ACTIVE or VAS_WIN_*_CLOSE bits; written with both
 *	vas_pseries_mutex and @mmap_mutex held, read under either
 * @hv_allocated: the simulated hypervisor holds an allocation for it
 * @win_list: entry in its type's list of open windows, newest first
 * @mmap_mutex: orders the paste page fault against suspension
 *	(task_ref.mmap_mutex in the real driver)
 * @mapping: address space of the file the window was opened on
 * @paste_page: the page user space maps instead of the paste address
 */
struct vas_sim_window {
	struct vas_ev_window ev;
	u32 status;
	bool hv_allocated;
	struct list_head win_list;
	/* nests inside vas_pseries_mutex, and inside mmap_lock in a fault */
	struct mutex mmap_mutex;
	struct address_space *mapping;
	struct page *paste_page;
};

/* Byte offset of a window's paste page in the device file's mapping. */
static inline loff_t vas_win_mmap_offset(const struct vas_sim_window *win)
{
	return (loff_t)win->ev.id << PAGE_SHIFT;
}

struct vas_sim_window *vas_allocate_window(u64 flags,
					   struct address_space *mapping);
void vas_deallocate_window(struct vas_sim_window *win);
int vas_reconfig_capabilties(u32 type, u32 new_nr_creds);
u32 vas_sim_total_credits(u32 type);
u32 vas_sim_used_credits(u32 type);
int vas_sim_migrate(u64 stream_id);

int vas_api_register(void);
void vas_api_unregister(void);

int vas_sysfs_init(void);
void vas_sysfs_exit(void);

void vas_sim_debugfs_init(void);
void vas_sim_debugfs_exit(void);

#endif /* _VAS_SIM_H */
