// SPDX-License-Identifier: GPL-2.0-only
/*
 * The credits in sysfs, as arch/powerpc/platforms/pseries/vas-sysfs.c has
 * them on every pseries kernel since 5.19 (and unchanged in mainline):
 *
 * /sys/devices/virtual/misc/vas/vas0/gzip/default_capabilities/
 *	nr_total_credits	0444	"%d\n"
 *	nr_used_credits		0444	"%d\n"
 * /sys/devices/virtual/misc/vas/vas0/gzip/qos_capabilities/
 *	nr_total_credits	0444
 *	nr_used_credits		0444
 *	update_total_credits	0200	a u16 (kstrtou16, base 0): drmgr's
 *				notification of new QoS credits
 *
 * The same misc device "vas" without file operations, the same kobjects
 * (vas0, gzip, one per credit type), the same show and store: this is what
 * vasd's observe source reads on a kernel without the family, and libnxz
 * to guess that its window was suspended. nr_used_credits counts every
 * window that holds a credit, open or closed in the hypervisor, as the real
 * counter does.
 */

#define pr_fmt(fmt) "vas: " fmt

#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include "vas.h"
#include "vas-sim.h"

static struct kobject *pseries_vas_kobj;
static struct kobject *gzip_caps_kobj;
static struct kobject *caps_kobjs[VAS_WIN_TYPE_QOS + 1];

struct vas_caps_entry {
	struct kobject kobj;
	u32 win_type;		/* enum vas_win_type */
};

#define to_caps_entry(entry) container_of(entry, struct vas_caps_entry, kobj)

/* drmgr's notification of new QoS credits, as the real store. */
static ssize_t update_total_credits_store(u32 win_type, const char *buf,
					  size_t count)
{
	int err;
	u16 creds;

	err = kstrtou16(buf, 0, &creds);
	if (!err)
		err = vas_reconfig_capabilties(win_type, creds);

	if (err)
		return -EINVAL;

	pr_info("Set QoS total credits %u\n", creds);

	return count;
}

static ssize_t nr_total_credits_show(u32 win_type, char *buf)
{
	return sprintf(buf, "%d\n", (int)vas_sim_total_credits(win_type));
}

static ssize_t nr_used_credits_show(u32 win_type, char *buf)
{
	return sprintf(buf, "%d\n", (int)vas_sim_used_credits(win_type));
}

struct vas_sysfs_entry {
	struct attribute attr;
	ssize_t (*show)(u32 win_type, char *buf);
	ssize_t (*store)(u32 win_type, const char *buf, size_t count);
};

static struct vas_sysfs_entry nr_total_credits_attribute =
	__ATTR(nr_total_credits, 0444, nr_total_credits_show, NULL);
static struct vas_sysfs_entry nr_used_credits_attribute =
	__ATTR(nr_used_credits, 0444, nr_used_credits_show, NULL);
static struct vas_sysfs_entry update_total_credits_attribute =
	__ATTR(update_total_credits, 0200, NULL, update_total_credits_store);

static struct attribute *vas_def_capab_attrs[] = {
	&nr_total_credits_attribute.attr,
	&nr_used_credits_attribute.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vas_def_capab);

static struct attribute *vas_qos_capab_attrs[] = {
	&nr_total_credits_attribute.attr,
	&nr_used_credits_attribute.attr,
	&update_total_credits_attribute.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vas_qos_capab);

static ssize_t vas_type_show(struct kobject *kobj, struct attribute *attr,
			     char *buf)
{
	struct vas_caps_entry *centry = to_caps_entry(kobj);
	struct vas_sysfs_entry *entry;

	entry = container_of(attr, struct vas_sysfs_entry, attr);
	if (!entry->show)
		return -EIO;

	return entry->show(centry->win_type, buf);
}

static ssize_t vas_type_store(struct kobject *kobj, struct attribute *attr,
			      const char *buf, size_t count)
{
	struct vas_caps_entry *centry = to_caps_entry(kobj);
	struct vas_sysfs_entry *entry;

	entry = container_of(attr, struct vas_sysfs_entry, attr);
	if (!entry->store)
		return -EIO;

	return entry->store(centry->win_type, buf, count);
}

static void vas_type_release(struct kobject *kobj)
{
	kfree(to_caps_entry(kobj));
}

static const struct sysfs_ops vas_sysfs_ops = {
	.show = vas_type_show,
	.store = vas_type_store,
};

static const struct kobj_type vas_def_attr_type = {
	.release = vas_type_release,
	.sysfs_ops = &vas_sysfs_ops,
	.default_groups = vas_def_capab_groups,
};

static const struct kobj_type vas_qos_attr_type = {
	.release = vas_type_release,
	.sysfs_ops = &vas_sysfs_ops,
	.default_groups = vas_qos_capab_groups,
};

/* One credit type's directory under gzip/, as sysfs_add_vas_caps(). */
static int sysfs_add_vas_caps(u32 win_type)
{
	struct vas_caps_entry *centry;
	const char *name;
	int ret;

	centry = kzalloc(sizeof(*centry), GFP_KERNEL);
	if (!centry)
		return -ENOMEM;

	centry->win_type = win_type;
	if (win_type == VAS_WIN_TYPE_QOS) {
		kobject_init(&centry->kobj, &vas_qos_attr_type);
		name = "qos_capabilities";
	} else {
		kobject_init(&centry->kobj, &vas_def_attr_type);
		name = "default_capabilities";
	}

	ret = kobject_add(&centry->kobj, gzip_caps_kobj, "%s", name);
	if (ret) {
		pr_err("VAS: sysfs kobject add / event failed %d\n", ret);
		kobject_put(&centry->kobj);
		return ret;
	}
	caps_kobjs[win_type] = &centry->kobj;
	return 0;
}

static struct miscdevice vas_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vas",
};

/**
 * vas_sysfs_init() - the misc device "vas" and its capability directories
 *
 * sysfs_pseries_vas_init() and the two sysfs_add_vas_caps() calls of
 * pseries_vas_init(), in one place.
 *
 * Return: 0 or a negative errno.
 */
int vas_sysfs_init(void)
{
	int ret;

	ret = misc_register(&vas_miscdev);
	if (ret < 0) {
		pr_err("%s: register vas misc device failed\n", __func__);
		return ret;
	}

	pseries_vas_kobj = kobject_create_and_add("vas0",
					&vas_miscdev.this_device->kobj);
	if (!pseries_vas_kobj) {
		ret = -ENOMEM;
		goto err_misc;
	}

	gzip_caps_kobj = kobject_create_and_add("gzip", pseries_vas_kobj);
	if (!gzip_caps_kobj) {
		ret = -ENOMEM;
		goto err_vas0;
	}

	ret = sysfs_add_vas_caps(VAS_WIN_TYPE_DEFAULT);
	if (ret)
		goto err_gzip;
	ret = sysfs_add_vas_caps(VAS_WIN_TYPE_QOS);
	if (ret)
		goto err_def;
	return 0;

err_def:
	kobject_put(caps_kobjs[VAS_WIN_TYPE_DEFAULT]);
err_gzip:
	kobject_put(gzip_caps_kobj);
err_vas0:
	kobject_put(pseries_vas_kobj);
err_misc:
	misc_deregister(&vas_miscdev);
	return ret;
}

/**
 * vas_sysfs_exit() - remove what vas_sysfs_init() made
 *
 * The real driver is built in and never removes them.
 */
void vas_sysfs_exit(void)
{
	kobject_put(caps_kobjs[VAS_WIN_TYPE_QOS]);
	kobject_put(caps_kobjs[VAS_WIN_TYPE_DEFAULT]);
	kobject_put(gzip_caps_kobj);
	kobject_put(pseries_vas_kobj);
	misc_deregister(&vas_miscdev);
}
