// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/crypto/nx-gzip of the simulated VAS backend: the user space API of
 * the real driver (platforms/book3s in arch/powerpc), used the same way:
 *
 *	fd = open("/dev/crypto/nx-gzip", O_RDWR);
 *	rc = ioctl(fd, VAS_TX_WIN_OPEN, &attr);
 *	paste_addr = mmap(NULL, PAGE_SIZE, prot, MAP_SHARED, fd, 0);
 *	close(fd) or exit to close the window.
 *
 * The paste address is an ordinary zeroed page. While the window is closed
 * in the hypervisor (lost credits, migration) its mapping is zapped and an
 * access gets SIGBUS, where POWER would fail the paste instruction.
 */

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/version.h>
#include "vas-api.h"
#include "vas-sim.h"

struct coproc_instance {
	struct mutex lock;		/* orders the window open and mmap() */
	struct vas_sim_window *txwin;	/* one window per file */
};

static int coproc_open(struct inode *inode, struct file *fp)
{
	struct coproc_instance *cp_inst;

	cp_inst = kzalloc(sizeof(*cp_inst), GFP_KERNEL);
	if (!cp_inst)
		return -ENOMEM;

	mutex_init(&cp_inst->lock);
	fp->private_data = cp_inst;
	return 0;
}

static bool vas_attr_valid(const struct vas_tx_win_open_attr *uattr)
{
	if (uattr->version != 1)
		return false;
	if (uattr->flags & ~VAS_TX_WIN_FLAG_QOS_CREDIT)
		return false;
	return !uattr->reserved1 &&
	       !memchr_inv(uattr->reserved2, 0, sizeof(uattr->reserved2));
}

static int coproc_ioc_tx_win_open(struct file *fp, unsigned long arg)
{
	struct coproc_instance *cp_inst = fp->private_data;
	void __user *uptr = (void __user *)arg;
	struct vas_tx_win_open_attr uattr;
	struct vas_sim_window *txwin;
	int rc = 0;

	/* Before cp_inst->lock: a fault here takes mmap_lock, mmap() the reverse. */
	if (copy_from_user(&uattr, uptr, sizeof(uattr)))
		return -EFAULT;

	mutex_lock(&cp_inst->lock);
	if (cp_inst->txwin) {
		rc = -EEXIST;
		goto out;
	}

	if (!vas_attr_valid(&uattr)) {
		rc = -EINVAL;
		goto out;
	}

	txwin = vas_allocate_window(uattr.flags, fp->f_mapping);
	if (IS_ERR(txwin))
		rc = PTR_ERR(txwin);
	else
		cp_inst->txwin = txwin;
out:
	mutex_unlock(&cp_inst->lock);
	return rc;
}

static int coproc_release(struct inode *inode, struct file *fp)
{
	struct coproc_instance *cp_inst = fp->private_data;

	if (cp_inst->txwin)
		vas_deallocate_window(cp_inst->txwin);
	mutex_destroy(&cp_inst->lock);
	kfree(cp_inst);
	return 0;
}

/*
 * The window may be closed (lost credits, migration) and reopened since
 * the mapping was made; map the paste page again only while it is active.
 */
static vm_fault_t vas_mmap_fault(struct vm_fault *vmf)
{
	struct vas_sim_window *txwin = vmf->vma->vm_private_data;
	vm_fault_t fault = VM_FAULT_SIGBUS;

	mutex_lock(&txwin->mmap_mutex);
	if (txwin->status == VAS_WIN_ACTIVE)
		fault = vmf_insert_pfn(vmf->vma, vmf->address,
				       page_to_pfn(txwin->paste_page));
	mutex_unlock(&txwin->mmap_mutex);
	return fault;
}

static const struct vm_operations_struct vas_vm_ops = {
	.fault = vas_mmap_fault,
};

static void vas_vma_set_flags(struct vm_area_struct *vma, vm_flags_t flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/*
 * The page is mapped at the first access, by vas_mmap_fault(), rather than
 * here as the real driver does with remap_pfn_range(): one path maps it,
 * whether for the first time or after the window was reopened.
 */
static int coproc_mmap(struct file *fp, struct vm_area_struct *vma)
{
	struct coproc_instance *cp_inst = fp->private_data;
	struct vas_sim_window *txwin;
	int rc = 0;

	if (vma->vm_end - vma->vm_start > PAGE_SIZE || vma->vm_pgoff)
		return -EINVAL;
	/* A private mapping of a raw page frame would need copy-on-write. */
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;

	mutex_lock(&cp_inst->lock);
	txwin = cp_inst->txwin;
	if (!txwin) {
		rc = -EINVAL;
		goto out;
	}

	/* As the real driver: no new mapping of a closed window. */
	mutex_lock(&txwin->mmap_mutex);
	if (txwin->status != VAS_WIN_ACTIVE) {
		rc = -EACCES;
	} else {
		/*
		 * Every window of this file's mapping gets its own page
		 * offset, so that closing one zaps only its own mappings
		 * (unmap_mapping_range()), in forked children too.
		 */
		vma->vm_pgoff = vas_win_mmap_offset(txwin) >> PAGE_SHIFT;
		vas_vma_set_flags(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND |
				  VM_DONTDUMP);
		vma->vm_private_data = txwin;
		vma->vm_ops = &vas_vm_ops;
	}
	mutex_unlock(&txwin->mmap_mutex);
out:
	mutex_unlock(&cp_inst->lock);
	return rc;
}

static long coproc_ioctl(struct file *fp, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case VAS_TX_WIN_OPEN:
		return coproc_ioc_tx_win_open(fp, arg);
	default:
		/* What the real driver answers, rather than -ENOTTY. */
		return -EINVAL;
	}
}

static const struct file_operations coproc_fops = {
	.owner = THIS_MODULE,
	.open = coproc_open,
	.release = coproc_release,
	.mmap = coproc_mmap,
	.unlocked_ioctl = coproc_ioctl,
};

/* misc_devnode() puts the node where the real driver's class does. */
static struct miscdevice coproc_device = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "nx-gzip",
	.nodename = "crypto/nx-gzip",
	.fops = &coproc_fops,
};

/**
 * vas_api_register() - create /dev/crypto/nx-gzip
 *
 * Return: 0 or a negative errno from misc_register().
 */
int vas_api_register(void)
{
	return misc_register(&coproc_device);
}

/**
 * vas_api_unregister() - remove /dev/crypto/nx-gzip
 *
 * Open files keep the module loaded, so no window is left.
 */
void vas_api_unregister(void)
{
	misc_deregister(&coproc_device);
}
