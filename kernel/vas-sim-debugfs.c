// SPDX-License-Identifier: GPL-2.0-only
/*
 * Controls of the simulated VAS backend, in /sys/kernel/debug/vas_sim/:
 *
 *	migrate		w: a decimal stream id; migrates the partition in the
 *			writer's context. The write returns its length when
 *			the migration completed, -EAGAIN when the simulated
 *			hypervisor aborted it, -EBUSY when one is running.
 *	credits_default, credits_qos
 *			rw: total credits of the type; writing one changes it
 *			as a DLPAR core add or removal would
 *	lock_mode	rw: "pre-fix", "upstream" or "whole-path"
 *	open_delay_us	rw: sleep in the open path between allocating the
 *			window and listing it (where h_modify_vas_window runs)
 *	pause_ms	rw: how long a migration keeps the windows closed
 *	stats		r:  counters, one "name value" per line
 */

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include "vas.h"
#include "vas-sim.h"

static struct dentry *vas_sim_dir;

static ssize_t migrate_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	u64 stream_id;
	int rc;

	rc = kstrtou64_from_user(ubuf, count, 10, &stream_id);
	if (rc)
		return rc;

	rc = vas_sim_migrate(stream_id);
	return rc ? rc : count;
}

static const struct file_operations migrate_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = migrate_write,
	.llseek = noop_llseek,
};

/* Which type a credits file changes; its address is the file's data. */
static u32 vas_sim_types[] = { VAS_WIN_TYPE_DEFAULT, VAS_WIN_TYPE_QOS };

static int credits_get(void *data, u64 *val)
{
	*val = vas_sim_total_credits(*(u32 *)data);
	return 0;
}

static int credits_set(void *data, u64 val)
{
	if (val > U32_MAX)
		return -EINVAL;
	return vas_reconfig_capabilties(*(u32 *)data, val);
}

DEFINE_DEBUGFS_ATTRIBUTE(credits_fops, credits_get, credits_set, "%llu\n");

static const char * const lock_mode_names[VAS_LOCK_MAX] = {
	[VAS_LOCK_PRE_FIX] = "pre-fix",
	[VAS_LOCK_UPSTREAM] = "upstream",
	[VAS_LOCK_WHOLE_PATH] = "whole-path",
};

static ssize_t lock_mode_read(struct file *file, char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	u32 mode = READ_ONCE(vas_sim_cfg.lock_mode);
	char buf[16];
	int len;

	len = scnprintf(buf, sizeof(buf), "%s\n", lock_mode_names[mode]);
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static ssize_t lock_mode_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	char buf[16];
	int mode;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';

	/* sysfs_streq() in the match ignores a trailing newline. */
	mode = sysfs_match_string(lock_mode_names, buf);
	if (mode < 0)
		return mode;

	WRITE_ONCE(vas_sim_cfg.lock_mode, mode);
	return count;
}

static const struct file_operations lock_mode_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = lock_mode_read,
	.write = lock_mode_write,
	.llseek = default_llseek,
};

static int stats_show(struct seq_file *m, void *v)
{
	struct vas_sim_stats *s = &vas_sim_stats;

	seq_printf(m, "migrations %lld\n", atomic64_read(&s->migrations));
	seq_printf(m, "aborted %lld\n", atomic64_read(&s->aborted));
	seq_printf(m, "missed_windows %lld\n",
		   atomic64_read(&s->missed_windows));
	seq_printf(m, "opens %lld\n", atomic64_read(&s->opens));
	seq_printf(m, "open_ebusy %lld\n", atomic64_read(&s->open_ebusy));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

/**
 * vas_sim_debugfs_init() - create /sys/kernel/debug/vas_sim
 *
 * As debugfs wants, failures are not reported: the module works without
 * its controls.
 */
void vas_sim_debugfs_init(void)
{
	struct dentry *dir;

	dir = debugfs_create_dir("vas_sim", NULL);
	vas_sim_dir = dir;

	debugfs_create_file("migrate", 0200, dir, NULL, &migrate_fops);
	debugfs_create_file_unsafe("credits_default", 0644, dir,
				   &vas_sim_types[VAS_WIN_TYPE_DEFAULT],
				   &credits_fops);
	debugfs_create_file_unsafe("credits_qos", 0644, dir,
				   &vas_sim_types[VAS_WIN_TYPE_QOS],
				   &credits_fops);
	debugfs_create_file("lock_mode", 0644, dir, NULL, &lock_mode_fops);
	debugfs_create_u32("open_delay_us", 0644, dir,
			   &vas_sim_cfg.open_delay_us);
	debugfs_create_u32("pause_ms", 0644, dir, &vas_sim_cfg.pause_ms);
	debugfs_create_file("stats", 0444, dir, NULL, &stats_fops);
}

/**
 * vas_sim_debugfs_exit() - remove /sys/kernel/debug/vas_sim
 *
 * Waits for writers still in a file's handler, such as a migration.
 */
void vas_sim_debugfs_exit(void)
{
	debugfs_remove_recursive(vas_sim_dir);
}
