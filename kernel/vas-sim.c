// SPDX-License-Identifier: GPL-2.0-only
/*
 * Simulated pseries VAS backend: windows, credits and migration.
 *
 * This file follows arch/powerpc/platforms/pseries/vas.c function by
 * function, so that a reader can hold the two side by side. The hypervisor
 * calls are replaced by a model that keeps only what decides a migration's
 * outcome: the hypervisor counts the windows it has allocated, and refuses
 * to migrate while any is still allocated after
 * vas_migration_handler(VAS_SUSPEND) - the failure of the seed thread.
 *
 * Locking: vas_pseries_mutex is also the netlink family's backend lock. It
 * protects the window lists and counts in struct vas_caps, window status
 * and state, the migration record and migration_in_progress; every
 * vas_notify_*() is called with it held, at the point where the change it
 * reports is made. Each window's mmap_mutex nests inside it.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>
#include "vas-api.h"
#include "vas-sim.h"

/* vas_migration_handler() actions, as platforms/pseries/vas.h has them */
#define VAS_SUSPEND	1
#define VAS_RESUME	2

static unsigned int default_credits = 32;
module_param(default_credits, uint, 0444);
MODULE_PARM_DESC(default_credits, "Initial total of default credits");

static unsigned int qos_credits = 16;
module_param(qos_credits, uint, 0444);
MODULE_PARM_DESC(qos_credits, "Initial total of QoS credits");

/*
 * struct vas_caps of the real driver, one per window type (indexed by
 * enum vas_win_type). Each window takes one credit.
 */
struct vas_caps {
	struct list_head list;		/* listed windows, newest first */
	atomic_t nr_total_credits;
	atomic_t nr_used_credits;	/* every window, open or closed */
	int nr_open_windows;		/* listed windows */
	int nr_close_wins;		/* listed but closed in the hypervisor */
	int nr_open_wins_progress;	/* opens in progress (upstream mode) */
};

static struct vas_caps vascaps[VAS_WIN_TYPE_QOS + 1];
static DEFINE_MUTEX(vas_pseries_mutex);
static bool migration_in_progress;

/* One migration at a time, as the mobility sysfs file runs them. */
static DEFINE_MUTEX(vas_migrate_mutex);
static struct vas_ev_migration vas_migration;	/* current or last */

/* Windows the simulated hypervisor has allocated. */
static atomic_t hv_nr_windows = ATOMIC_INIT(0);

/*
 * Every window by id, from allocation to free; the id is taken when the
 * open starts so that listing the window later cannot fail. Only windows
 * marked VAS_WIN_LISTED (on a caps list) are visible to the family.
 */
static DEFINE_XARRAY_ALLOC1(vas_windows);
#define VAS_WIN_LISTED	XA_MARK_1

struct vas_sim_config vas_sim_cfg = {
	.lock_mode = VAS_LOCK_UPSTREAM,
	.pause_ms = 10,
};

struct vas_sim_stats vas_sim_stats;

/*
 * H_ALLOCATE_VAS_WINDOW plus the fault IRQ setup, which has nothing to
 * simulate. The simulated hypervisor never runs out of windows: credits
 * are what limits them.
 */
static void allocate_setup_window(struct vas_sim_window *txwin)
{
	txwin->hv_allocated = true;
	atomic_inc(&hv_nr_windows);
}

/* H_DEALLOCATE_VAS_WINDOW plus freeing the IRQ. */
static void deallocate_free_window(struct vas_sim_window *win)
{
	win->hv_allocated = false;
	atomic_dec(&hv_nr_windows);
}

/*
 * h_modify_vas_window() and get_vas_user_win_ref() run here in the real
 * open path, after the window is allocated and before it is listed; the
 * delay stretches that gap so that a migration can be made to fall in it.
 */
static void vas_sim_open_delay(void)
{
	u32 us = READ_ONCE(vas_sim_cfg.open_delay_us);

	if (us)
		usleep_range(us, us + us / 10 + 1);
}

/*
 * Change a window's status. A closed window's paste page is unmapped, so
 * that the next access faults and vas_mmap_fault() finds it closed. The
 * state and reason the family reports follow the status; a change is
 * notified.
 */
static void vas_win_set_status(struct vas_sim_window *win, u32 status)
{
	u32 state = VAS_WIN_STATE_ACTIVE;
	u32 reason = VAS_SUSPEND_REASON_NONE;

	mutex_lock(&win->mmap_mutex);
	win->status = status;
	if (status != VAS_WIN_ACTIVE)
		unmap_mapping_range(win->mapping, vas_win_mmap_offset(win),
				    PAGE_SIZE, 1);
	mutex_unlock(&win->mmap_mutex);

	/* A migration reopens the window whatever credits it lost. */
	if (status & VAS_WIN_MIGRATE_CLOSE) {
		state = VAS_WIN_STATE_SUSPENDED;
		reason = VAS_SUSPEND_REASON_MIGRATION;
	} else if (status & VAS_WIN_NO_CRED_CLOSE) {
		state = VAS_WIN_STATE_SUSPENDED;
		reason = VAS_SUSPEND_REASON_CREDITS;
	}
	if (state == win->ev.state && reason == win->ev.reason)
		return;
	win->ev.state = state;
	win->ev.reason = reason;
	vas_notify_window_change(&win->ev);
}

static struct vas_sim_window *vas_win_alloc(u32 type,
					    struct address_space *mapping)
{
	struct vas_sim_window *win;
	int rc;

	win = kzalloc(sizeof(*win), GFP_KERNEL);
	if (!win)
		return ERR_PTR(-ENOMEM);

	win->paste_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!win->paste_page) {
		rc = -ENOMEM;
		goto err_free;
	}

	rc = xa_alloc(&vas_windows, &win->ev.id, win, xa_limit_32b,
		      GFP_KERNEL);
	if (rc)
		goto err_page;

	mutex_init(&win->mmap_mutex);
	win->mapping = mapping;
	win->ev.tgid = task_tgid_nr(current);
	win->ev.pid = task_pid_nr(current);
	get_task_comm(win->ev.comm, current);
	win->ev.uid = from_kuid(&init_user_ns, current_uid());
	win->ev.cop = VAS_COP_GZIP;
	win->ev.type = type;
	win->ev.state = VAS_WIN_STATE_ACTIVE;
	win->ev.reason = VAS_SUSPEND_REASON_NONE;
	return win;

err_page:
	__free_page(win->paste_page);
err_free:
	kfree(win);
	return ERR_PTR(rc);
}

static void vas_win_free(struct vas_sim_window *win)
{
	xa_erase(&vas_windows, win->ev.id);
	mutex_destroy(&win->mmap_mutex);
	__free_page(win->paste_page);
	kfree(win);
}

/**
 * vas_allocate_window() - open a send window for the current task
 * @flags: VAS_TX_WIN_FLAG_* of the ioctl, already validated
 * @mapping: address space of the file the window is opened on; the paste
 *	page is unmapped there while the window is closed
 *
 * The real vas_allocate_window(), with the locking of vas_sim_cfg.lock_mode.
 *
 * Return: the window; ERR_PTR(-EINVAL) when the type has no credit left,
 * ERR_PTR(-EBUSY) during a migration or while windows of the type are
 * closed for lost credits, ERR_PTR(-ENOMEM).
 */
struct vas_sim_window *vas_allocate_window(u64 flags,
					   struct address_space *mapping)
{
	enum vas_lock_mode mode = READ_ONCE(vas_sim_cfg.lock_mode);
	struct vas_sim_window *txwin;
	struct vas_caps *caps;
	u32 type;
	int rc;

	if (flags & VAS_TX_WIN_FLAG_QOS_CREDIT)
		type = VAS_WIN_TYPE_QOS;
	else
		type = VAS_WIN_TYPE_DEFAULT;
	caps = &vascaps[type];

	txwin = vas_win_alloc(type, mapping);
	if (IS_ERR(txwin))
		return txwin;

	if (atomic_inc_return(&caps->nr_used_credits) >
	    atomic_read(&caps->nr_total_credits)) {
		rc = -EINVAL;
		goto out;
	}

	mutex_lock(&vas_pseries_mutex);
	if (migration_in_progress) {
		mutex_unlock(&vas_pseries_mutex);
		rc = -EBUSY;
		goto out;
	}
	allocate_setup_window(txwin);
	if (mode == VAS_LOCK_UPSTREAM)
		caps->nr_open_wins_progress++;
	if (mode != VAS_LOCK_WHOLE_PATH)
		mutex_unlock(&vas_pseries_mutex);

	vas_sim_open_delay();

	if (mode != VAS_LOCK_WHOLE_PATH)
		mutex_lock(&vas_pseries_mutex);
	/*
	 * Windows closed for lost credits are reopened before new ones are
	 * given out. pre-fix does not look at migration_in_progress again: a
	 * migration that ran since the first check missed this window, which
	 * is still allocated in the hypervisor.
	 */
	if (!caps->nr_close_wins &&
	    (mode == VAS_LOCK_PRE_FIX || !migration_in_progress)) {
		list_add(&txwin->win_list, &caps->list);
		caps->nr_open_windows++;
		if (mode == VAS_LOCK_UPSTREAM)
			caps->nr_open_wins_progress--;
		txwin->ev.opened_at = ktime_get_real_ns();
		xa_set_mark(&vas_windows, txwin->ev.id, VAS_WIN_LISTED);
		vas_notify_window_add(&txwin->ev);
		mutex_unlock(&vas_pseries_mutex);
		atomic64_inc(&vas_sim_stats.opens);
		return txwin;
	}

	rc = -EBUSY;
	if (mode == VAS_LOCK_WHOLE_PATH) {
		/* Closed before a migration can look at the hypervisor. */
		deallocate_free_window(txwin);
		mutex_unlock(&vas_pseries_mutex);
	} else {
		mutex_unlock(&vas_pseries_mutex);
		deallocate_free_window(txwin);
		if (mode == VAS_LOCK_UPSTREAM) {
			mutex_lock(&vas_pseries_mutex);
			caps->nr_open_wins_progress--;
			mutex_unlock(&vas_pseries_mutex);
		}
	}

out:
	if (rc == -EBUSY)
		atomic64_inc(&vas_sim_stats.open_ebusy);
	atomic_dec(&caps->nr_used_credits);
	vas_win_free(txwin);
	return ERR_PTR(rc);
}

/**
 * vas_deallocate_window() - close a window whose file is released
 * @win: the window, from vas_allocate_window(); freed here
 *
 * No mapping of its paste page exists any more: every mapping holds a
 * reference to the file.
 */
void vas_deallocate_window(struct vas_sim_window *win)
{
	struct vas_caps *caps = &vascaps[win->ev.type];

	mutex_lock(&vas_pseries_mutex);
	/* A closed window holds nothing in the hypervisor any more. */
	if (win->status == VAS_WIN_ACTIVE)
		deallocate_free_window(win);
	else
		caps->nr_close_wins--;

	list_del(&win->win_list);
	atomic_dec(&caps->nr_used_credits);
	caps->nr_open_windows--;
	xa_clear_mark(&vas_windows, win->ev.id, VAS_WIN_LISTED);
	vas_notify_window_del(&win->ev);
	mutex_unlock(&vas_pseries_mutex);

	vas_win_free(win);
}

/*
 * Reopen windows closed for lost credits (DLPAR) or for a migration, as
 * many as @creds allows (all for a migration). Closed windows are the
 * newest (reconfig_close_windows() closes from the head of the list), so
 * the ones the credits cannot cover are skipped from the head and the
 * oldest closed windows reopen first.
 */
static void reconfig_open_windows(struct vas_caps *vcaps, int creds,
				  bool migrate)
{
	u32 flag = migrate ? VAS_WIN_MIGRATE_CLOSE : VAS_WIN_NO_CRED_CLOSE;
	struct vas_sim_window *win;
	int mv_ents = 0;

	if (!vcaps->nr_close_wins)
		return;

	if (vcaps->nr_close_wins > creds && !migrate)
		mv_ents = vcaps->nr_close_wins - creds;

	list_for_each_entry(win, &vcaps->list, win_list) {
		if (mv_ents) {
			mv_ents--;
			continue;
		}

		/* Closed for both reasons: stays closed for the other one. */
		if ((win->status & VAS_WIN_NO_CRED_CLOSE) &&
		    (win->status & VAS_WIN_MIGRATE_CLOSE)) {
			vas_win_set_status(win, win->status & ~flag);
			continue;
		}

		if (!(win->status & flag))
			continue;

		allocate_setup_window(win);
		vas_win_set_status(win, VAS_WIN_ACTIVE);
		if (!--vcaps->nr_close_wins)
			break;
	}
}

/*
 * Close @excess_creds active windows, newest first (all of them for a
 * migration): zap their paste mapping and deallocate them in the
 * hypervisor, but keep them listed until their owner closes the file.
 */
static void reconfig_close_windows(struct vas_caps *vcap, int excess_creds,
				   bool migrate)
{
	u32 flag = migrate ? VAS_WIN_MIGRATE_CLOSE : VAS_WIN_NO_CRED_CLOSE;
	struct vas_sim_window *win;

	list_for_each_entry(win, &vcap->list, win_list) {
		/* Already closed: remember this reason too. */
		if (win->status != VAS_WIN_ACTIVE) {
			vas_win_set_status(win, win->status | flag);
			continue;
		}

		vas_win_set_status(win, flag);
		deallocate_free_window(win);
		vcap->nr_close_wins++;

		if (!migrate && !--excess_creds)
			break;
	}
}

static int vas_sim_caps_get(u32 type, struct vas_ev_caps *out)
{
	struct vas_caps *caps;

	if (type >= ARRAY_SIZE(vascaps))
		return -EINVAL;

	caps = &vascaps[type];
	out->type = type;
	out->total = atomic_read(&caps->nr_total_credits);
	out->used = caps->nr_open_windows - caps->nr_close_wins;
	return 0;
}

/**
 * vas_reconfig_capabilties() - change a window type's total credits
 * @type: enum vas_win_type
 * @nr_creds: the new total, at most U16_MAX as the hypervisor has it
 *
 * What a DLPAR core add or removal does: fewer credits close the newest
 * active windows, more credits reopen windows closed for lost credits,
 * oldest first.
 *
 * Return: 0, or -EINVAL for an unknown type or too many credits.
 */
int vas_reconfig_capabilties(u32 type, u32 nr_creds)
{
	int old_nr_creds, new_nr_creds, nr_active_wins;
	struct vas_caps *vcaps;
	struct vas_ev_caps c;

	if (type >= ARRAY_SIZE(vascaps) || nr_creds > U16_MAX)
		return -EINVAL;

	vcaps = &vascaps[type];
	new_nr_creds = nr_creds;
	mutex_lock(&vas_pseries_mutex);
	old_nr_creds = atomic_read(&vcaps->nr_total_credits);
	atomic_set(&vcaps->nr_total_credits, new_nr_creds);

	nr_active_wins = vcaps->nr_open_windows - vcaps->nr_close_wins;
	/*
	 * The real code offers the increase (new - old) to the closed
	 * windows; the credits no active window holds are what is free, also
	 * when owners closed windows since the credits were lost. A negative
	 * count reopens nothing.
	 */
	if (old_nr_creds < new_nr_creds)
		reconfig_open_windows(vcaps, new_nr_creds - nr_active_wins,
				      false);
	else if (nr_active_wins > new_nr_creds)
		reconfig_close_windows(vcaps, nr_active_wins - new_nr_creds,
				       false);

	if (old_nr_creds != new_nr_creds) {
		vas_sim_caps_get(type, &c);
		vas_notify_caps_change(&c);
	}
	mutex_unlock(&vas_pseries_mutex);
	return 0;
}

/**
 * vas_sim_total_credits() - a window type's total credits
 * @type: enum vas_win_type, which the caller knows to be valid
 *
 * Return: the total.
 */
u32 vas_sim_total_credits(u32 type)
{
	return atomic_read(&vascaps[type].nr_total_credits);
}

/**
 * vas_sim_used_credits() - a window type's used credits, as sysfs shows them
 * @type: enum vas_win_type, which the caller knows to be valid
 *
 * Every window holding a credit, open or closed in the hypervisor, and for
 * a moment an open that is about to fail for want of one: the real
 * nr_used_credits.
 *
 * Return: the count.
 */
u32 vas_sim_used_credits(u32 type)
{
	return atomic_read(&vascaps[type].nr_used_credits);
}

/*
 * Close every window for a migration (VAS_SUSPEND) or reopen them
 * (VAS_RESUME), and announce SUSPENDED or RESUMED. pre-fix and whole-path hold vas_pseries_mutex over all of
 * it, as the code before 0cf72f7f14d1 did. upstream also waits, polling
 * as that commit does, until the opens in progress have either listed
 * their window (and it was closed here) or closed it themselves.
 */
static void vas_migration_handler(int action, enum vas_lock_mode mode)
{
	u32 done = action == VAS_SUSPEND ? VAS_MIGRATION_PHASE_SUSPENDED :
					   VAS_MIGRATION_PHASE_RESUMED;
	struct vas_caps *vcaps;
	unsigned int i;

	mutex_lock(&vas_pseries_mutex);
	migration_in_progress = action == VAS_SUSPEND;

	for (i = 0; i < ARRAY_SIZE(vascaps); i++) {
		vcaps = &vascaps[i];
		if (action == VAS_RESUME) {
			reconfig_open_windows(vcaps,
					      atomic_read(&vcaps->nr_total_credits),
					      true);
			continue;
		}

		reconfig_close_windows(vcaps, vcaps->nr_open_windows, true);
		/* Unbounded, and msleep(10) rather than a wait queue, as merged. */
		while (mode == VAS_LOCK_UPSTREAM &&
		       vcaps->nr_open_wins_progress) {
			mutex_unlock(&vas_pseries_mutex);
			msleep(10);
			mutex_lock(&vas_pseries_mutex);
		}
	}
	/*
	 * Announced under the same hold as the last close or reopen: a window
	 * listed between SUSPENDED and RESUMED is one the suspend missed, not
	 * an open that followed the resume.
	 */
	vas_migration.phase = done;
	vas_notify_migration(&vas_migration);
	mutex_unlock(&vas_pseries_mutex);
}

static void vas_migration_set_phase(u32 phase)
{
	mutex_lock(&vas_pseries_mutex);
	vas_migration.phase = phase;
	vas_notify_migration(&vas_migration);
	mutex_unlock(&vas_pseries_mutex);
}

/**
 * vas_sim_migrate() - migrate the partition, as pseries_migrate_partition()
 * @stream_id: the stream id written to the mobility file
 *
 * Runs in the caller's context: PREPARE (and the coordinator's ack),
 * SUSPENDING, vas_migration_handler(VAS_SUSPEND), SUSPENDED, the
 * hypervisor's check that no window is left open, the pause while the
 * partition is away, vas_migration_handler(VAS_RESUME), RESUMED, then
 * COMPLETED or ABORTED.
 *
 * Return: 0 when the migration completed, -EAGAIN when the hypervisor
 * aborted it, -EBUSY when another migration is running.
 */
int vas_sim_migrate(u64 stream_id)
{
	enum vas_lock_mode mode;
	u32 pause_ms;
	int missed;

	if (!mutex_trylock(&vas_migrate_mutex))
		return -EBUSY;
	mode = READ_ONCE(vas_sim_cfg.lock_mode);
	pause_ms = READ_ONCE(vas_sim_cfg.pause_ms);

	mutex_lock(&vas_pseries_mutex);
	vas_migration.stream_id = stream_id;
	vas_migration.phase = VAS_MIGRATION_PHASE_PREPARE;
	vas_migration.token = 0;
	mutex_unlock(&vas_pseries_mutex);
	/*
	 * Acked, timed out or no coordinator: the migration goes on, as the
	 * hypervisor does not wait for this partition's user space.
	 */
	vas_migration_prepare(&vas_migration);

	vas_migration_set_phase(VAS_MIGRATION_PHASE_SUSPENDING);
	vas_migration_handler(VAS_SUSPEND, mode);	/* SUSPENDED */

	/* pseries_suspend() fails while any VAS window is still open. */
	missed = atomic_read(&hv_nr_windows);
	if (pause_ms)
		msleep(pause_ms);

	vas_migration_handler(VAS_RESUME, mode);	/* RESUMED */
	vas_migration_set_phase(missed ? VAS_MIGRATION_PHASE_ABORTED :
					 VAS_MIGRATION_PHASE_COMPLETED);

	atomic64_inc(&vas_sim_stats.migrations);
	if (missed) {
		atomic64_inc(&vas_sim_stats.aborted);
		atomic64_add(missed, &vas_sim_stats.missed_windows);
		pr_info_ratelimited("migration %llu aborted: %d window(s) still open in the hypervisor\n",
				    stream_id, missed);
	}
	mutex_unlock(&vas_migrate_mutex);
	return missed ? -EAGAIN : 0;
}

static void vas_sim_lock(void)
{
	mutex_lock(&vas_pseries_mutex);
}

static void vas_sim_unlock(void)
{
	mutex_unlock(&vas_pseries_mutex);
}

/* The listed window of lowest id in [@pos, @max]. */
static int vas_sim_window_find(u32 pos, u32 max, struct vas_ev_window *out)
{
	unsigned long index = pos;
	struct vas_sim_window *win;

	win = xa_find(&vas_windows, &index, max, VAS_WIN_LISTED);
	if (!win)
		return -ENOENT;
	*out = win->ev;
	return 0;
}

static int vas_sim_window_next(u32 pos, struct vas_ev_window *out)
{
	return vas_sim_window_find(pos, U32_MAX, out);
}

static int vas_sim_window_get(u32 id, struct vas_ev_window *out)
{
	return vas_sim_window_find(id, id, out);
}

static void vas_sim_migration_get(struct vas_ev_migration *out)
{
	*out = vas_migration;
}

static const struct vas_ev_backend vas_sim_backend = {
	.lock = vas_sim_lock,
	.unlock = vas_sim_unlock,
	.window_get = vas_sim_window_get,
	.window_next = vas_sim_window_next,
	.caps_get = vas_sim_caps_get,
	.migration_get = vas_sim_migration_get,
};

/*
 * The family parameter: whether the "vas" family is registered. N at load
 * is a stock kernel (the device and sysfs only); writing it later registers
 * or unregisters the family under a running backend, as a kernel update
 * would make it appear. vas_family_mutex orders the writes against module
 * init and exit; vas_sim_loaded says whether the backend runs yet.
 */
static bool family = true;
static bool vas_sim_loaded;
static DEFINE_MUTEX(vas_family_mutex);

static int family_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int rc;

	rc = kstrtobool(val, &on);
	if (rc)
		return rc;

	mutex_lock(&vas_family_mutex);
	if (vas_sim_loaded && on && !family)
		rc = vas_events_init(&vas_sim_backend);
	else if (vas_sim_loaded && !on && family)
		vas_events_exit();
	if (!rc)
		family = on;
	mutex_unlock(&vas_family_mutex);
	return rc;
}

static int family_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%c\n", READ_ONCE(family) ? 'Y' : 'N');
}

static const struct kernel_param_ops family_ops = {
	.set = family_set,
	.get = family_get,
};
module_param_cb(family, &family_ops, NULL, 0644);
MODULE_PARM_DESC(family, "Register the vas generic netlink family (N: a stock kernel)");

static int __init vas_sim_init(void)
{
	unsigned int i;
	int rc;

	if (default_credits > U16_MAX || qos_credits > U16_MAX)
		return -EINVAL;

	for (i = 0; i < ARRAY_SIZE(vascaps); i++)
		INIT_LIST_HEAD(&vascaps[i].list);
	atomic_set(&vascaps[VAS_WIN_TYPE_DEFAULT].nr_total_credits,
		   default_credits);
	atomic_set(&vascaps[VAS_WIN_TYPE_QOS].nr_total_credits, qos_credits);

	mutex_lock(&vas_family_mutex);
	if (family) {
		rc = vas_events_init(&vas_sim_backend);
		if (rc)
			goto out;
	}

	rc = vas_sysfs_init();
	if (rc)
		goto err_events;

	rc = vas_api_register();
	if (rc)
		goto err_sysfs;

	vas_sim_debugfs_init();
	vas_sim_loaded = true;
	goto out;

err_sysfs:
	vas_sysfs_exit();
err_events:
	if (family)
		vas_events_exit();
out:
	mutex_unlock(&vas_family_mutex);
	return rc;
}

static void __exit vas_sim_exit(void)
{
	vas_sim_debugfs_exit();
	vas_api_unregister();
	vas_sysfs_exit();
	mutex_lock(&vas_family_mutex);
	vas_sim_loaded = false;
	if (family)
		vas_events_exit();
	mutex_unlock(&vas_family_mutex);
}

module_init(vas_sim_init);
module_exit(vas_sim_exit);

MODULE_DESCRIPTION("Simulated pseries VAS backend and the vas generic netlink family");
MODULE_LICENSE("GPL");
