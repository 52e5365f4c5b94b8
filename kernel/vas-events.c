// SPDX-License-Identifier: GPL-2.0-only
/*
 * vas-events: the generic netlink family "vas" (proto/vas.h, docs/netlink.md).
 *
 * Notifications go to the "events" multicast group; WINDOW_GET, CAPS_GET and
 * MIGRATION_GET read the backend's state; a daemon may register as the
 * migration coordinator and acknowledge a migration's PREPARE with its token
 * (the completion scheme of net/handshake: one waiter, exactly one ack,
 * bounded wait, released when the daemon's socket closes).
 */

#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/build_bug.h>
#include <linux/capability.h>
#include <linux/jiffies.h>
#include <linux/list.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/user_namespace.h>
#include <linux/version.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "vas-events.h"

/*
 * Only kernels with GENL_MCAST_CAP_NET_ADMIN (v6.7, backported to 6.1.y) can
 * keep unprivileged sockets out of the events group: genetlink has no bind
 * hook on the kernels that lack it, so there is nothing to fall back to.
 */
#ifndef GENL_MCAST_CAP_NET_ADMIN
#error "the vas family needs GENL_MCAST_CAP_NET_ADMIN (v6.7, 6.1.y stable)"
#endif

static unsigned int coord_timeout_ms = 5000;
module_param(coord_timeout_ms, uint, 0644);
MODULE_PARM_DESC(coord_timeout_ms,
		 "ms a migration waits for the coordinator's ack (0: none)");

enum vas_nl_grp {
	VAS_NLGRP_EVENTS,
};

static const struct vas_ev_backend *vas_be;
static u64 vas_generation;

/*
 * The family is registered: written under the backend lock, so that no
 * vas_notify_*() (called with it held) queues a notification for a family
 * that is going or not there yet.
 */
static bool vas_nl_on;

/*
 * The number of the last notification. Callers of vas_notify_*() hold the
 * backend lock, which orders the numbers; the atomic keeps them unique even
 * if a caller forgot it.
 */
static atomic64_t vas_seq = ATOMIC64_INIT(0);

enum vas_coord_outcome {
	VAS_COORD_PENDING,
	VAS_COORD_ACKED,
	VAS_COORD_GONE,
};

/*
 * The coordinator and the one migration that may wait for it. Nothing under
 * the lock sleeps, so a spinlock; the waiter sleeps outside it.
 */
static struct vas_coord {
	spinlock_t lock;	/* protects all fields below but wq */
	wait_queue_head_t wq;
	bool registered;
	u32 portid;
	/* compared, never dereferenced: no reference is held */
	struct net *net;
	bool waiting;
	u64 token;
	enum vas_coord_outcome outcome;
} vas_coord = {
	.lock = __SPIN_LOCK_UNLOCKED(vas_coord.lock),
	.wq = __WAIT_QUEUE_HEAD_INITIALIZER(vas_coord.wq),
};

/* One migration at a time may wait for the coordinator. */
static DEFINE_MUTEX(vas_prepare_lock);

/* Cursor of a dump, kept in cb->ctx between parts. */
struct vas_dump_ctx {
	u64 start_seq;
	u32 next;	/* window id, or index in vas_caps_types, to fill next */
	bool started;
};

static_assert(sizeof(struct vas_dump_ctx) <=
	      sizeof_field(struct netlink_callback, ctx));

static struct genl_family vas_nl_family;

static u64 vas_random_nonzero(void)
{
	u64 v;

	do {
		v = get_random_u64();
	} while (!v);
	return v;
}

/* Message sizes, for genlmsg_new(). */

static size_t vas_ids_size(void)
{
	return nla_total_size_64bit(sizeof(u64)) +	/* GENERATION */
	       nla_total_size_64bit(sizeof(u64)) +	/* SEQ */
	       nla_total_size_64bit(sizeof(u64));	/* TIMESTAMP */
}

static size_t vas_window_size(void)
{
	return nla_total_size(0) +			/* WINDOW */
	       nla_total_size(sizeof(u32)) * 7 +	/* ID ... REASON */
	       nla_total_size(TASK_COMM_LEN) +		/* COMM */
	       nla_total_size_64bit(sizeof(u64));	/* OPENED_AT */
}

static size_t vas_caps_size(void)
{
	return nla_total_size(0) +			/* CAPS */
	       nla_total_size(sizeof(u32)) * 3;		/* TYPE, TOTAL, USED */
}

static size_t vas_migration_size(void)
{
	return nla_total_size(0) +			/* MIGRATION */
	       nla_total_size_64bit(sizeof(u64)) +	/* STREAM_ID */
	       nla_total_size(sizeof(u32)) +		/* PHASE */
	       nla_total_size_64bit(sizeof(u64));	/* TOKEN */
}

/* Attribute writers. */

static int vas_put_ids(struct sk_buff *skb, u64 seq)
{
	if (nla_put_u64_64bit(skb, VAS_A_GENERATION, vas_generation,
			      VAS_A_PAD) ||
	    nla_put_u64_64bit(skb, VAS_A_SEQ, seq, VAS_A_PAD))
		return -EMSGSIZE;
	return 0;
}

static int vas_put_window(struct sk_buff *skb, const struct vas_ev_window *w)
{
	char comm[TASK_COMM_LEN];
	struct nlattr *nest;

	/* the backend's comm need not be terminated; the attribute must be */
	strscpy(comm, w->comm, sizeof(comm));

	nest = nla_nest_start(skb, VAS_A_WINDOW);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, VAS_A_WINDOW_ID, w->id) ||
	    nla_put_u32(skb, VAS_A_WINDOW_TGID, w->tgid) ||
	    nla_put_u32(skb, VAS_A_WINDOW_PID, w->pid) ||
	    nla_put_string(skb, VAS_A_WINDOW_COMM, comm) ||
	    nla_put_u32(skb, VAS_A_WINDOW_COP, w->cop) ||
	    nla_put_u32(skb, VAS_A_WINDOW_TYPE, w->type) ||
	    nla_put_u32(skb, VAS_A_WINDOW_STATE, w->state) ||
	    nla_put_u32(skb, VAS_A_WINDOW_REASON, w->reason) ||
	    nla_put_u64_64bit(skb, VAS_A_WINDOW_OPENED_AT, w->opened_at,
			      VAS_A_WINDOW_PAD) ||
	    nla_put_u32(skb, VAS_A_WINDOW_UID, w->uid)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int vas_put_caps(struct sk_buff *skb, const struct vas_ev_caps *c)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, VAS_A_CAPS);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, VAS_A_CAPS_TYPE, c->type) ||
	    nla_put_u32(skb, VAS_A_CAPS_TOTAL, c->total) ||
	    nla_put_u32(skb, VAS_A_CAPS_USED, c->used)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int vas_put_migration(struct sk_buff *skb,
			     const struct vas_ev_migration *m)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, VAS_A_MIGRATION);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, VAS_A_MIGRATION_STREAM_ID, m->stream_id,
			      VAS_A_MIGRATION_PAD) ||
	    nla_put_u32(skb, VAS_A_MIGRATION_PHASE, m->phase) ||
	    nla_put_u64_64bit(skb, VAS_A_MIGRATION_TOKEN, m->token,
			      VAS_A_MIGRATION_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* Notifications. */

/*
 * A notification is numbered, stamped and copied under the backend lock,
 * then queued; a worker builds the messages and multicasts them in queue
 * order, the way kauditd sends audit records. The process opening or
 * closing a window pays for a small copy, not for building an skb and
 * waking every listener. The queue is bounded: past VAS_NTF_QUEUE_MAX
 * waiting notifications one is lost, and the listeners are told.
 */
#define VAS_NTF_QUEUE_MAX	4096
/*
 * The worker waits a tick before sending, so that a burst goes out as one
 * batch and a listener wakes once for it, not once per event: a
 * notification reaches the listeners within a tick (4 ms at HZ=250).
 */
#define VAS_NTF_DELAY		1

struct vas_ntf {
	struct list_head node;
	u8 cmd;
	u64 seq;
	u64 timestamp;
	union {
		struct vas_ev_window window;
		struct vas_ev_caps caps;
		struct vas_ev_migration migration;
	};
};

static struct {
	spinlock_t lock;	/* protects list and len */
	struct list_head list;
	unsigned int len;
} vas_ntf_queue = {
	.lock = __SPIN_LOCK_UNLOCKED(vas_ntf_queue.lock),
	.list = LIST_HEAD_INIT(vas_ntf_queue.list),
};

static struct workqueue_struct *vas_ntf_wq;

/*
 * A notification that cannot be built or queued is a lost event: tell the
 * group's listeners the way an overrun receive buffer does, so they resync.
 */
static void vas_ntf_lost(void)
{
	genl_set_err(&vas_nl_family, &init_net, 0, VAS_NLGRP_EVENTS, -ENOBUFS);
}

static bool vas_ntf_wanted(void)
{
	return genl_has_listeners(&vas_nl_family, &init_net, VAS_NLGRP_EVENTS);
}

/* Every notification takes a number, listened to or not: no gaps. */
static u64 vas_seq_next(void)
{
	return atomic64_inc_return(&vas_seq);
}

static u64 vas_seq_current(void)
{
	return atomic64_read(&vas_seq);
}

static size_t vas_ntf_obj_size(const struct vas_ntf *n)
{
	switch (n->cmd) {
	case VAS_CMD_CAPS_CHANGE_NTF:
		return vas_caps_size();
	case VAS_CMD_MIGRATION_CHANGE_NTF:
		return vas_migration_size();
	default:
		return vas_window_size();
	}
}

static int vas_ntf_put_obj(struct sk_buff *skb, const struct vas_ntf *n)
{
	switch (n->cmd) {
	case VAS_CMD_CAPS_CHANGE_NTF:
		return vas_put_caps(skb, &n->caps);
	case VAS_CMD_MIGRATION_CHANGE_NTF:
		return vas_put_migration(skb, &n->migration);
	default:
		return vas_put_window(skb, &n->window);
	}
}

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
/*
 * genetlink checks GENL_MCAST_CAP_NET_ADMIN when a socket joins, against
 * the family that owns the group at that moment. A socket that joined the
 * group's number while no family owned it (before this family registered,
 * or after it unregistered) passed no check, and is still a member when
 * the family registers and gets the same number again. So the
 * events go only to sockets whose opener had CAP_NET_ADMIN, the test
 * netlink_capable() makes of a request's socket. The filter runs under the
 * netlink table lock, which a socket's release takes to leave the group
 * before its file goes (netlink_remove()).
 *
 * Return: non-zero when @dsk must not get the message.
 */
static int vas_ntf_filter(struct sock *dsk, struct sk_buff *skb, void *data)
{
	const struct socket *sock = dsk->sk_socket;

	return !sock || !sock->file ||
	       !file_ns_capable(sock->file, &init_user_ns, CAP_NET_ADMIN);
}

static void vas_ntf_multicast(struct sk_buff *skb)
{
	genlmsg_multicast_netns_filtered(&vas_nl_family, &init_net, skb, 0,
					 VAS_NLGRP_EVENTS, GFP_KERNEL,
					 vas_ntf_filter, NULL);
}
#else /* LINUX_VERSION_CODE */
/*
 * Kernels before v6.8 have no filtered multicast: there the gap is
 * genetlink's to close.
 */
static void vas_ntf_multicast(struct sk_buff *skb)
{
	genlmsg_multicast(&vas_nl_family, skb, 0, VAS_NLGRP_EVENTS, GFP_KERNEL);
}
#endif /* LINUX_VERSION_CODE */

/*
 * The worker runs in process context, so allocations may sleep: a burst of
 * events does not turn into lost notifications for want of atomic memory.
 * The family is not netns-aware, so its group lives in init_net.
 */
static void vas_ntf_send(const struct vas_ntf *n)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(vas_ids_size() + vas_ntf_obj_size(n), GFP_KERNEL);
	if (!skb)
		goto lost;
	hdr = genlmsg_put(skb, 0, 0, &vas_nl_family, 0, n->cmd);
	if (!hdr || vas_put_ids(skb, n->seq) ||
	    nla_put_u64_64bit(skb, VAS_A_TIMESTAMP, n->timestamp, VAS_A_PAD) ||
	    vas_ntf_put_obj(skb, n))
		goto free;
	genlmsg_end(skb, hdr);
	/* netlink_broadcast() itself flags the sockets it could not reach */
	vas_ntf_multicast(skb);
	return;

free:
	nlmsg_free(skb);
lost:
	vas_ntf_lost();
}

static void vas_ntf_work(struct work_struct *work)
{
	struct vas_ntf *n, *tmp;
	LIST_HEAD(batch);

	spin_lock(&vas_ntf_queue.lock);
	list_splice_init(&vas_ntf_queue.list, &batch);
	vas_ntf_queue.len = 0;
	spin_unlock(&vas_ntf_queue.lock);

	list_for_each_entry_safe(n, tmp, &batch, node) {
		vas_ntf_send(n);
		list_del(&n->node);
		kfree(n);
	}
}

static DECLARE_DELAYED_WORK(vas_ntf_work_item, vas_ntf_work);

/*
 * Number the notification and, when someone listens, take a queue entry
 * for it, stamped @when (0: now); NULL when nobody listens or it is lost.
 */
static struct vas_ntf *vas_ntf_new(u8 cmd, u64 when)
{
	struct vas_ntf *n;
	u64 seq;

	/* no family, no numbers: a new registration has a new generation */
	if (!vas_nl_on)
		return NULL;
	seq = vas_seq_next();
	if (!vas_ntf_wanted())
		return NULL;
	n = kmalloc(sizeof(*n), GFP_KERNEL);
	if (!n) {
		vas_ntf_lost();
		return NULL;
	}
	n->cmd = cmd;
	n->seq = seq;
	n->timestamp = when ?: ktime_get_real_ns();
	return n;
}

static void vas_ntf_queue_add(struct vas_ntf *n)
{
	bool full;

	spin_lock(&vas_ntf_queue.lock);
	full = vas_ntf_queue.len >= VAS_NTF_QUEUE_MAX;
	if (!full) {
		list_add_tail(&n->node, &vas_ntf_queue.list);
		vas_ntf_queue.len++;
	}
	spin_unlock(&vas_ntf_queue.lock);
	if (full) {
		kfree(n);
		vas_ntf_lost();
		return;
	}
	/* a no-op while pending: what comes within the tick goes with it */
	queue_delayed_work(vas_ntf_wq, &vas_ntf_work_item, VAS_NTF_DELAY);
}

static void vas_notify_window(u8 cmd, const struct vas_ev_window *w,
			      u64 when)
{
	struct vas_ntf *n = vas_ntf_new(cmd, when);

	if (!n)
		return;
	n->window = *w;
	vas_ntf_queue_add(n);
}

/**
 * vas_notify_window_add - a window became visible (listed)
 * @w: the window, with @w->opened_at read just before
 *
 * The event's time is the window's opened_at: one clock read, not two, on
 * the open path. Call with the backend lock held.
 */
void vas_notify_window_add(const struct vas_ev_window *w)
{
	vas_notify_window(VAS_CMD_WINDOW_ADD_NTF, w, w->opened_at);
}

/**
 * vas_notify_window_del - a window was closed and freed
 * @w: the window, in its last state
 *
 * Call with the backend lock held.
 */
void vas_notify_window_del(const struct vas_ev_window *w)
{
	vas_notify_window(VAS_CMD_WINDOW_DEL_NTF, w, 0);
}

/**
 * vas_notify_window_change - a window's state or suspension reason changed
 * @w: the window, in its new state
 *
 * Call with the backend lock held.
 */
void vas_notify_window_change(const struct vas_ev_window *w)
{
	vas_notify_window(VAS_CMD_WINDOW_CHANGE_NTF, w, 0);
}

/**
 * vas_notify_caps_change - the total credits of a window type changed
 * @c: the capabilities of that type after the change
 *
 * Call with the backend lock held.
 */
void vas_notify_caps_change(const struct vas_ev_caps *c)
{
	struct vas_ntf *n = vas_ntf_new(VAS_CMD_CAPS_CHANGE_NTF, 0);

	if (!n)
		return;
	n->caps = *c;
	vas_ntf_queue_add(n);
}

/**
 * vas_notify_migration - a migration entered a new phase
 * @m: the migration
 *
 * Call with the backend lock held.
 */
void vas_notify_migration(const struct vas_ev_migration *m)
{
	struct vas_ntf *n = vas_ntf_new(VAS_CMD_MIGRATION_CHANGE_NTF, 0);

	if (!n)
		return;
	n->migration = *m;
	vas_ntf_queue_add(n);
}

/* Requests: do. */

/*
 * The backend lock, for a request: -EAGAIN (not held) while the family is
 * registered but not yet on (vas_events_init()), so that no reply shows a
 * state whose next change would not be notified. Ask again.
 */
static int vas_nl_lock(void)
{
	vas_be->lock();
	if (vas_nl_on)
		return 0;
	vas_be->unlock();
	return -EAGAIN;
}

/*
 * The backend fills a copy under its lock; the reply is built from the copy
 * together with the seq read under the same lock, so the two agree.
 */
static int vas_nl_reply(struct genl_info *info, struct sk_buff *rsp, u64 seq,
			int (*put)(struct sk_buff *skb, const void *obj),
			const void *obj)
{
	void *hdr;

	hdr = genlmsg_put_reply(rsp, info, &vas_nl_family, 0,
				info->genlhdr->cmd);
	if (!hdr || vas_put_ids(rsp, seq) || put(rsp, obj)) {
		nlmsg_free(rsp);
		return -EMSGSIZE;
	}
	genlmsg_end(rsp, hdr);
	return genlmsg_reply(rsp, info);
}

static int vas_put_window_obj(struct sk_buff *skb, const void *obj)
{
	return vas_put_window(skb, obj);
}

static int vas_put_caps_obj(struct sk_buff *skb, const void *obj)
{
	return vas_put_caps(skb, obj);
}

static int vas_put_migration_obj(struct sk_buff *skb, const void *obj)
{
	return vas_put_migration(skb, obj);
}

static const struct nla_policy vas_window_id_nl_policy[VAS_A_WINDOW_ID + 1] = {
	[VAS_A_WINDOW_ID] = { .type = NLA_U32 },
};

static const struct nla_policy vas_caps_type_nl_policy[VAS_A_CAPS_TYPE + 1] = {
	[VAS_A_CAPS_TYPE] = NLA_POLICY_MAX(NLA_U32, VAS_WIN_TYPE_QOS),
};

static const struct nla_policy vas_window_get_nl_policy[VAS_A_WINDOW + 1] = {
	[VAS_A_WINDOW] = NLA_POLICY_NESTED(vas_window_id_nl_policy),
};

static const struct nla_policy vas_caps_get_nl_policy[VAS_A_CAPS + 1] = {
	[VAS_A_CAPS] = NLA_POLICY_NESTED(vas_caps_type_nl_policy),
};

static const struct nla_policy vas_coord_ack_nl_policy[VAS_A_TOKEN + 1] = {
	[VAS_A_TOKEN] = { .type = NLA_U64 },
};

static int vas_nl_window_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[ARRAY_SIZE(vas_window_id_nl_policy)];
	struct vas_ev_window w;
	struct sk_buff *rsp;
	struct nlattr *nest;
	u64 seq;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, VAS_A_WINDOW)) {
		GENL_SET_ERR_MSG(info, "missing VAS_A_WINDOW");
		return -EINVAL;
	}
	nest = info->attrs[VAS_A_WINDOW];
	err = nla_parse_nested(tb, ARRAY_SIZE(tb) - 1, nest,
			       vas_window_id_nl_policy, info->extack);
	if (err)
		return err;
	if (NL_REQ_ATTR_CHECK(info->extack, nest, tb, VAS_A_WINDOW_ID)) {
		GENL_SET_ERR_MSG(info, "missing VAS_A_WINDOW_ID");
		return -EINVAL;
	}

	rsp = genlmsg_new(vas_ids_size() + vas_window_size(), GFP_KERNEL);
	if (!rsp)
		return -ENOMEM;

	err = vas_nl_lock();
	if (err) {
		nlmsg_free(rsp);
		return err;
	}
	err = vas_be->window_get(nla_get_u32(tb[VAS_A_WINDOW_ID]), &w);
	seq = vas_seq_current();
	vas_be->unlock();
	if (err) {
		if (err == -ENOENT)
			NL_SET_ERR_MSG_ATTR(info->extack, tb[VAS_A_WINDOW_ID],
					    "no window with this id");
		nlmsg_free(rsp);
		return err;
	}
	return vas_nl_reply(info, rsp, seq, vas_put_window_obj, &w);
}

static int vas_nl_caps_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[ARRAY_SIZE(vas_caps_type_nl_policy)];
	struct vas_ev_caps c;
	struct sk_buff *rsp;
	struct nlattr *nest;
	u64 seq;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, VAS_A_CAPS)) {
		GENL_SET_ERR_MSG(info, "missing VAS_A_CAPS");
		return -EINVAL;
	}
	nest = info->attrs[VAS_A_CAPS];
	err = nla_parse_nested(tb, ARRAY_SIZE(tb) - 1, nest,
			       vas_caps_type_nl_policy, info->extack);
	if (err)
		return err;
	if (NL_REQ_ATTR_CHECK(info->extack, nest, tb, VAS_A_CAPS_TYPE)) {
		GENL_SET_ERR_MSG(info, "missing VAS_A_CAPS_TYPE");
		return -EINVAL;
	}

	rsp = genlmsg_new(vas_ids_size() + vas_caps_size(), GFP_KERNEL);
	if (!rsp)
		return -ENOMEM;

	err = vas_nl_lock();
	if (err) {
		nlmsg_free(rsp);
		return err;
	}
	err = vas_be->caps_get(nla_get_u32(tb[VAS_A_CAPS_TYPE]), &c);
	seq = vas_seq_current();
	vas_be->unlock();
	if (err) {
		NL_SET_ERR_MSG_ATTR(info->extack, tb[VAS_A_CAPS_TYPE],
				    "no capabilities for this window type");
		nlmsg_free(rsp);
		return err;
	}
	return vas_nl_reply(info, rsp, seq, vas_put_caps_obj, &c);
}

static int vas_nl_migration_get_doit(struct sk_buff *skb,
				     struct genl_info *info)
{
	struct vas_ev_migration m;
	struct sk_buff *rsp;
	u64 seq;
	int err;

	rsp = genlmsg_new(vas_ids_size() + vas_migration_size(), GFP_KERNEL);
	if (!rsp)
		return -ENOMEM;

	err = vas_nl_lock();
	if (err) {
		nlmsg_free(rsp);
		return err;
	}
	vas_be->migration_get(&m);
	seq = vas_seq_current();
	vas_be->unlock();
	return vas_nl_reply(info, rsp, seq, vas_put_migration_obj, &m);
}

/* Requests: dump. */

/*
 * Called under the backend lock at the start of every part. The snapshot is
 * consistent when the seq has not moved since the first part. cb->seq only
 * tells nl_dump_check_consistent() whether it moved: 1 (unchanged) or 2
 * (moved), because cb->seq is 32 bits wide and 0 means "not set", so the raw
 * seq could hide a change.
 */
static u64 vas_dump_part_seq(struct netlink_callback *cb,
			     struct vas_dump_ctx *ctx)
{
	u64 seq = vas_seq_current();

	if (!ctx->started) {
		ctx->started = true;
		ctx->start_seq = seq;
	}
	cb->seq = seq == ctx->start_seq ? 1 : 2;
	return seq;
}

static void *vas_dump_msg_begin(struct sk_buff *skb,
				struct netlink_callback *cb, u8 cmd, u64 seq)
{
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &vas_nl_family, NLM_F_MULTI, cmd);
	if (!hdr)
		return NULL;
	genl_dump_check_consistent(cb, hdr);
	if (vas_put_ids(skb, seq)) {
		genlmsg_cancel(skb, hdr);
		return NULL;
	}
	return hdr;
}

/*
 * A full skb ends the part, not the dump: report what was written so the
 * core calls again (kernels before v6.7 do not turn -EMSGSIZE into that).
 */
static int vas_dump_part_end(struct sk_buff *skb, int err)
{
	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	return err;
}

static int vas_nl_window_get_dumpit(struct sk_buff *skb,
				    struct netlink_callback *cb)
{
	struct vas_dump_ctx *ctx = (struct vas_dump_ctx *)cb->ctx;
	struct vas_ev_window w;
	int err = 0;
	void *hdr;
	u64 seq;

	err = vas_nl_lock();
	if (err)
		return err;
	seq = vas_dump_part_seq(cb, ctx);
	for (;;) {
		err = vas_be->window_next(ctx->next, &w);
		if (err == -ENOENT) {
			err = 0;
			break;
		}
		if (err)
			break;
		hdr = vas_dump_msg_begin(skb, cb, VAS_CMD_WINDOW_GET, seq);
		if (!hdr) {
			err = -EMSGSIZE;
			break;
		}
		err = vas_put_window(skb, &w);
		if (err) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		/* the id space ends here: returning 0 ends the dump */
		if (w.id == U32_MAX)
			break;
		ctx->next = w.id + 1;
	}
	vas_be->unlock();

	return vas_dump_part_end(skb, err);
}

static const u32 vas_caps_types[] = {
	VAS_WIN_TYPE_DEFAULT,
	VAS_WIN_TYPE_QOS,
};

static int vas_nl_caps_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	struct vas_dump_ctx *ctx = (struct vas_dump_ctx *)cb->ctx;
	struct vas_ev_caps c;
	int err = 0;
	void *hdr;
	u64 seq;

	err = vas_nl_lock();
	if (err)
		return err;
	seq = vas_dump_part_seq(cb, ctx);
	for (; ctx->next < ARRAY_SIZE(vas_caps_types); ctx->next++) {
		err = vas_be->caps_get(vas_caps_types[ctx->next], &c);
		if (err)
			break;
		hdr = vas_dump_msg_begin(skb, cb, VAS_CMD_CAPS_GET, seq);
		if (!hdr) {
			err = -EMSGSIZE;
			break;
		}
		err = vas_put_caps(skb, &c);
		if (err) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	vas_be->unlock();

	return vas_dump_part_end(skb, err);
}

/* The migration coordinator. */

static bool vas_coord_is(u32 portid, const struct net *net)
{
	return vas_coord.registered && vas_coord.portid == portid &&
	       vas_coord.net == net;
}

/* Called with vas_coord.lock held. A waiting migration proceeds at once. */
static void vas_coord_release(void)
{
	vas_coord.registered = false;
	if (vas_coord.waiting && vas_coord.outcome == VAS_COORD_PENDING) {
		WRITE_ONCE(vas_coord.outcome, VAS_COORD_GONE);
		wake_up(&vas_coord.wq);
	}
}

/*
 * Registering again from the coordinator's own socket succeeds: a daemon
 * that re-registers after a resync need not treat its earlier registration
 * as an error.
 */
static int vas_nl_coord_register_doit(struct sk_buff *skb,
				      struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	int err = 0;

	spin_lock(&vas_coord.lock);
	if (!vas_coord.registered) {
		vas_coord.registered = true;
		vas_coord.portid = info->snd_portid;
		vas_coord.net = net;
	} else if (!vas_coord_is(info->snd_portid, net)) {
		GENL_SET_ERR_MSG(info,
				 "another socket is the migration coordinator");
		err = -EBUSY;
	}
	spin_unlock(&vas_coord.lock);
	return err;
}

static int vas_nl_coord_unregister_doit(struct sk_buff *skb,
					struct genl_info *info)
{
	int err = 0;

	spin_lock(&vas_coord.lock);
	if (vas_coord_is(info->snd_portid, genl_info_net(info))) {
		vas_coord_release();
	} else {
		GENL_SET_ERR_MSG(info,
				 "this socket is not the migration coordinator");
		err = -ENOENT;
	}
	spin_unlock(&vas_coord.lock);
	return err;
}

static int vas_nl_coord_ack_doit(struct sk_buff *skb, struct genl_info *info)
{
	int err = 0;
	u64 token;

	if (GENL_REQ_ATTR_CHECK(info, VAS_A_TOKEN)) {
		GENL_SET_ERR_MSG(info, "missing VAS_A_TOKEN");
		return -EINVAL;
	}
	token = nla_get_u64(info->attrs[VAS_A_TOKEN]);

	spin_lock(&vas_coord.lock);
	if (!vas_coord_is(info->snd_portid, genl_info_net(info))) {
		GENL_SET_ERR_MSG(info,
				 "this socket is not the migration coordinator");
		err = -EACCES;
	} else if (!vas_coord.waiting ||
		   vas_coord.outcome != VAS_COORD_PENDING) {
		GENL_SET_ERR_MSG(info, "no migration waits for an ack");
		err = -ENOENT;
	} else if (token != vas_coord.token) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VAS_A_TOKEN],
				    "token does not match the waiting migration");
		err = -ESTALE;
	} else {
		WRITE_ONCE(vas_coord.outcome, VAS_COORD_ACKED);
		wake_up(&vas_coord.wq);
	}
	spin_unlock(&vas_coord.lock);
	return err;
}

static int vas_nl_sock_event(struct notifier_block *nb, unsigned long event,
			     void *ptr)
{
	const struct netlink_notify *n = ptr;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC)
		return NOTIFY_DONE;

	spin_lock(&vas_coord.lock);
	if (vas_coord_is(n->portid, n->net))
		vas_coord_release();
	spin_unlock(&vas_coord.lock);
	return NOTIFY_DONE;
}

static struct notifier_block vas_nl_notifier = {
	.notifier_call = vas_nl_sock_event,
};

static bool vas_coord_settled(void)
{
	return READ_ONCE(vas_coord.outcome) != VAS_COORD_PENDING;
}

/* Documented in vas-events.h, with its return values. */
int vas_migration_prepare(struct vas_ev_migration *m)
{
	unsigned long timeout;
	u64 token;
	bool armed;
	long left;
	int ret;

	WARN_ON_ONCE(m->phase != VAS_MIGRATION_PHASE_PREPARE);

	mutex_lock(&vas_prepare_lock);
	token = vas_random_nonzero();

	/* armed before the notification, so that no ack can come too early */
	spin_lock(&vas_coord.lock);
	armed = vas_coord.registered;
	if (armed) {
		vas_coord.waiting = true;
		vas_coord.token = token;
		WRITE_ONCE(vas_coord.outcome, VAS_COORD_PENDING);
	}
	spin_unlock(&vas_coord.lock);

	/* @m may be the backend's record, read by migration_get() under the lock */
	vas_be->lock();
	m->token = token;
	vas_notify_migration(m);
	vas_be->unlock();

	if (!armed) {
		ret = 1;
		goto out;
	}

	timeout = msecs_to_jiffies(READ_ONCE(coord_timeout_ms));
	left = wait_event_interruptible_timeout(vas_coord.wq,
						vas_coord_settled(), timeout);

	/* the outcome under the lock wins over how the wait ended */
	spin_lock(&vas_coord.lock);
	vas_coord.waiting = false;
	switch (vas_coord.outcome) {
	case VAS_COORD_ACKED:
		ret = 0;
		break;
	case VAS_COORD_GONE:
		ret = -ECONNRESET;
		break;
	default:
		ret = left < 0 ? -EINTR : -ETIMEDOUT;
		break;
	}
	spin_unlock(&vas_coord.lock);
out:
	mutex_unlock(&vas_prepare_lock);
	return ret;
}

/*
 * One genl_ops entry per command carries both do and dump on v6.1 (split ops
 * came in v6.2), so a dump request is validated against the do policy and
 * its attributes are ignored. Commands without a policy accept no attributes
 * at all (resv_start_op is 0: every command is validated strictly).
 */
static const struct genl_ops vas_nl_ops[] = {
	{
		.cmd = VAS_CMD_WINDOW_GET,
		.doit = vas_nl_window_get_doit,
		.dumpit = vas_nl_window_get_dumpit,
		.policy = vas_window_get_nl_policy,
		.maxattr = ARRAY_SIZE(vas_window_get_nl_policy) - 1,
	},
	{
		.cmd = VAS_CMD_CAPS_GET,
		.doit = vas_nl_caps_get_doit,
		.dumpit = vas_nl_caps_get_dumpit,
		.policy = vas_caps_get_nl_policy,
		.maxattr = ARRAY_SIZE(vas_caps_get_nl_policy) - 1,
	},
	{
		.cmd = VAS_CMD_MIGRATION_GET,
		.doit = vas_nl_migration_get_doit,
	},
	{
		.cmd = VAS_CMD_COORD_REGISTER,
		.flags = GENL_ADMIN_PERM,
		.doit = vas_nl_coord_register_doit,
	},
	{
		.cmd = VAS_CMD_COORD_UNREGISTER,
		.flags = GENL_ADMIN_PERM,
		.doit = vas_nl_coord_unregister_doit,
	},
	{
		.cmd = VAS_CMD_COORD_ACK,
		.flags = GENL_ADMIN_PERM,
		.doit = vas_nl_coord_ack_doit,
		.policy = vas_coord_ack_nl_policy,
		.maxattr = ARRAY_SIZE(vas_coord_ack_nl_policy) - 1,
	},
};

static const struct genl_multicast_group vas_nl_mcgrps[] = {
	[VAS_NLGRP_EVENTS] = {
		.name = VAS_MCGRP_EVENTS,
		.flags = GENL_MCAST_CAP_NET_ADMIN,
	},
};

/*
 * parallel_ops: the ops do their own locking (backend lock, vas_coord.lock),
 * so genl_mutex is not taken around them and never nests with the backend
 * lock.
 */
/* Not __ro_after_init: the family can be registered again after load. */
static struct genl_family vas_nl_family = {
	.name = VAS_FAMILY_NAME,
	.version = VAS_FAMILY_VERSION,
	.maxattr = VAS_A_MAX,
	.netnsok = false,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = vas_nl_ops,
	.n_ops = ARRAY_SIZE(vas_nl_ops),
	.mcgrps = vas_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(vas_nl_mcgrps),
};

/**
 * vas_events_init - register the "vas" family
 * @backend: the platform code; must outlive vas_events_exit()
 *
 * Chooses the instance's generation. Call from the platform's init, or
 * later: the family may be registered and unregistered while the backend
 * runs, alternating with vas_events_exit(). The backend lock must not be
 * held.
 *
 * Return: 0 or a negative errno.
 */
int vas_events_init(const struct vas_ev_backend *backend)
{
	int err;

	vas_be = backend;
	vas_generation = vas_random_nonzero();

	/* ordered: the notifications go out in the order of their seq */
	vas_ntf_wq = alloc_ordered_workqueue("vas_ntf", 0);
	if (!vas_ntf_wq)
		return -ENOMEM;
	/* first, so a coordinator can never register unwatched */
	err = netlink_register_notifier(&vas_nl_notifier);
	if (err)
		goto destroy_wq;
	err = genl_register_family(&vas_nl_family);
	if (err)
		goto unregister_notifier;
	/*
	 * Requests refuse to answer until now (vas_nl_lock()): no reply shows
	 * a state whose next change goes unnotified. Not around the
	 * registration: a request holds genl's lock while it takes this one.
	 */
	vas_be->lock();
	vas_nl_on = true;
	vas_be->unlock();
	return 0;

unregister_notifier:
	netlink_unregister_notifier(&vas_nl_notifier);
destroy_wq:
	destroy_workqueue(vas_ntf_wq);
	return err;
}

/**
 * vas_events_exit - unregister the "vas" family
 *
 * Sends the notifications still queued, then drops the coordinator; a
 * migration still waiting for it returns -ECONNRESET at once. The backend's
 * later vas_notify_*() calls do nothing. The backend lock must not be held:
 * a request in progress holds the family and waits for it.
 */
void vas_events_exit(void)
{
	vas_be->lock();
	vas_nl_on = false;
	vas_be->unlock();
	/* send what waits for its tick; the queue is empty afterwards */
	flush_delayed_work(&vas_ntf_work_item);
	destroy_workqueue(vas_ntf_wq);
	genl_unregister_family(&vas_nl_family);
	netlink_unregister_notifier(&vas_nl_notifier);

	spin_lock(&vas_coord.lock);
	vas_coord_release();
	spin_unlock(&vas_coord.lock);
}
