// SPDX-License-Identifier: GPL-2.0-only
/*
 * vas-encode: build the messages the kernel part sends. See vas-encode.h.
 *
 * The attributes and their order are those of kernel/vas-events.c
 * (vas_put_ids(), vas_ntf_begin(), vas_put_window(), vas_put_caps(),
 * vas_put_migration()). libmnl's *_check() writers refuse to pass the
 * buffer's end, so a short buffer fails with -EMSGSIZE as a full skb does.
 */
#include <errno.h>
#include <string.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>

#include "netlink/vas-encode.h"

/* What each command carries besides GENERATION and SEQ. */
enum {
	CARRIES_TIMESTAMP	= 1u << 0,
	CARRIES_WINDOW		= 1u << 1,
	CARRIES_CAPS		= 1u << 2,
	CARRIES_MIGRATION	= 1u << 3,
};

static int cmd_carries(uint8_t cmd, unsigned int *ret)
{
	switch (cmd) {
	case VAS_CMD_WINDOW_GET:
		*ret = CARRIES_WINDOW;
		return 0;
	case VAS_CMD_WINDOW_ADD_NTF:
	case VAS_CMD_WINDOW_DEL_NTF:
	case VAS_CMD_WINDOW_CHANGE_NTF:
		*ret = CARRIES_TIMESTAMP | CARRIES_WINDOW;
		return 0;
	case VAS_CMD_CAPS_GET:
		*ret = CARRIES_CAPS;
		return 0;
	case VAS_CMD_CAPS_CHANGE_NTF:
		*ret = CARRIES_TIMESTAMP | CARRIES_CAPS;
		return 0;
	case VAS_CMD_MIGRATION_GET:
		*ret = CARRIES_MIGRATION;
		return 0;
	case VAS_CMD_MIGRATION_CHANGE_NTF:
		*ret = CARRIES_TIMESTAMP | CARRIES_MIGRATION;
		return 0;
	default:
		/* requests (COORD_*) and unknown commands: never sent */
		return -EOPNOTSUPP;
	}
}

/* A message being written; the first write that does not fit clears ok. */
struct writer {
	struct nlmsghdr *nlh;
	size_t size;
	bool pad64;
	bool ok;
};

static void put_u32(struct writer *w, uint16_t type, uint32_t v)
{
	if (w->ok && !mnl_attr_put_u32_check(w->nlh, w->size, type, v))
		w->ok = false;
}

/* nla_put_u64_64bit() */
static void put_u64(struct writer *w, uint16_t type, uint16_t pad, uint64_t v)
{
	uintptr_t tail;

	if (!w->ok)
		return;
	tail = (uintptr_t)mnl_nlmsg_get_payload_tail(w->nlh);
	if (w->pad64 && (tail + MNL_ATTR_HDRLEN) % 8 != 0 &&
	    !mnl_attr_put_check(w->nlh, w->size, pad, 0, &v)) {
		w->ok = false;
		return;
	}
	if (!mnl_attr_put_u64_check(w->nlh, w->size, type, v))
		w->ok = false;
}

/*
 * nla_put_string(): the string, its NUL and zeroed alignment padding.
 * mnl_attr_put_strz_check() checks the room without the padding, and
 * libmnl before 1.0.5 leaves the padding as it was.
 */
static bool put_strz(struct nlmsghdr *nlh, size_t size, uint16_t type,
		     const char *s)
{
	size_t len = strlen(s) + 1;
	struct nlattr *a = mnl_nlmsg_get_payload_tail(nlh);

	if (nlh->nlmsg_len + MNL_ALIGN(MNL_ATTR_HDRLEN + len) > size)
		return false;
	mnl_attr_put(nlh, type, len, s);
	memset((uint8_t *)mnl_attr_get_payload(a) + len, 0,
	       MNL_ALIGN(len) - len);
	return true;
}

/* a comm the kernel truncated with strscpy() */
static void put_comm(struct writer *w, uint16_t type, const char *comm)
{
	char s[VAS_COMM_MAX];
	size_t n = strnlen(comm, sizeof(s) - 1);

	memcpy(s, comm, n);
	s[n] = '\0';
	if (w->ok && !put_strz(w->nlh, w->size, type, s))
		w->ok = false;
}

static struct nlattr *nest_start(struct writer *w, uint16_t type)
{
	struct nlattr *nest = NULL;

	if (w->ok)
		nest = mnl_attr_nest_start_check(w->nlh, w->size, type);
	if (!nest)
		w->ok = false;
	return nest;
}

static void nest_end(struct writer *w, struct nlattr *nest)
{
	if (w->ok)
		mnl_attr_nest_end(w->nlh, nest);
}

static void put_window(struct writer *w, const struct vas_window *win)
{
	struct nlattr *nest = nest_start(w, VAS_A_WINDOW);

	put_u32(w, VAS_A_WINDOW_ID, win->id);
	put_u32(w, VAS_A_WINDOW_TGID, win->tgid);
	put_u32(w, VAS_A_WINDOW_PID, win->pid);
	put_comm(w, VAS_A_WINDOW_COMM, win->comm);
	put_u32(w, VAS_A_WINDOW_COP, win->cop);
	put_u32(w, VAS_A_WINDOW_TYPE, win->type);
	put_u32(w, VAS_A_WINDOW_STATE, win->state);
	put_u32(w, VAS_A_WINDOW_REASON, win->reason);
	put_u64(w, VAS_A_WINDOW_OPENED_AT, VAS_A_WINDOW_PAD, win->opened_at);
	nest_end(w, nest);
}

static void put_caps(struct writer *w, const struct vas_caps *c)
{
	struct nlattr *nest = nest_start(w, VAS_A_CAPS);

	put_u32(w, VAS_A_CAPS_TYPE, c->type);
	put_u32(w, VAS_A_CAPS_TOTAL, c->total);
	put_u32(w, VAS_A_CAPS_USED, c->used);
	nest_end(w, nest);
}

static void put_migration(struct writer *w, const struct vas_migration *m)
{
	struct nlattr *nest = nest_start(w, VAS_A_MIGRATION);

	put_u64(w, VAS_A_MIGRATION_STREAM_ID, VAS_A_MIGRATION_PAD,
		m->stream_id);
	put_u32(w, VAS_A_MIGRATION_PHASE, m->phase);
	put_u64(w, VAS_A_MIGRATION_TOKEN, VAS_A_MIGRATION_PAD, m->token);
	nest_end(w, nest);
}

static struct nlmsghdr *put_header(void *buf, size_t size, uint16_t type,
				   uint16_t flags, uint32_t seq,
				   uint32_t portid, size_t extra)
{
	struct nlmsghdr *nlh;

	if (size < NLMSG_HDRLEN + MNL_ALIGN(extra))
		return NULL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = portid;
	return nlh;
}

/**
 * vas_encode_msg() - write one message of the family as the kernel sends it
 * @buf: where the message goes (see struct vas_encode_frame on alignment)
 * @size: bytes available at @buf
 * @f: its netlink header
 * @m: what it says: m->cmd, and of the rest what the kernel sends with that
 *	command (docs/netlink.md); m->has and m->nlmsg_flags are not read
 *
 * Returns: the message's length (nlmsg_len, a multiple of 4); -EMSGSIZE
 * when it does not fit in @size bytes (@buf then holds a partial message);
 * -EOPNOTSUPP for a command the kernel never sends.
 */
int vas_encode_msg(void *buf, size_t size, const struct vas_encode_frame *f,
		   const struct vas_msg *m)
{
	struct genlmsghdr *genl;
	struct writer w;
	unsigned int carries;
	int r;

	r = cmd_carries(m->cmd, &carries);
	if (r < 0)
		return r;

	w = (struct writer) {
		.nlh = put_header(buf, size, f->type, f->flags, f->seq,
				  f->portid, sizeof(*genl)),
		.size = size,
		.pad64 = f->pad64,
		.ok = true,
	};
	if (!w.nlh)
		return -EMSGSIZE;
	genl = mnl_nlmsg_put_extra_header(w.nlh, sizeof(*genl));
	genl->cmd = m->cmd;
	genl->version = VAS_FAMILY_VERSION;

	put_u64(&w, VAS_A_GENERATION, VAS_A_PAD, m->generation);
	put_u64(&w, VAS_A_SEQ, VAS_A_PAD, m->seq);
	if (carries & CARRIES_TIMESTAMP)
		put_u64(&w, VAS_A_TIMESTAMP, VAS_A_PAD, m->timestamp);
	if (carries & CARRIES_WINDOW)
		put_window(&w, &m->window);
	if (carries & CARRIES_CAPS)
		put_caps(&w, &m->caps);
	if (carries & CARRIES_MIGRATION)
		put_migration(&w, &m->migration);

	if (!w.ok)
		return -EMSGSIZE;
	return (int)w.nlh->nlmsg_len;
}

/**
 * vas_encode_done() - write the NLMSG_DONE that ends a dump
 * @buf: where it goes
 * @size: bytes available at @buf
 * @f: its header; a dump's end carries NLM_F_MULTI, and NLM_F_DUMP_INTR
 *	when the dump was inconsistent (f->pad64 is not used)
 * @error: 0, or the negative errno that ended the dump
 *
 * Returns: the message's length, or -EMSGSIZE.
 */
int vas_encode_done(void *buf, size_t size, const struct vas_encode_frame *f,
		    int error)
{
	struct nlmsghdr *nlh;

	nlh = put_header(buf, size, NLMSG_DONE, f->flags, f->seq, f->portid,
			 sizeof(error));
	if (!nlh)
		return -EMSGSIZE;
	memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(error)), &error,
	       sizeof(error));
	return (int)nlh->nlmsg_len;
}

/**
 * vas_encode_error() - write an NLMSG_ERROR: an ack, or a request's error
 * @buf: where it goes
 * @size: bytes available at @buf
 * @req: the request answered; its header is echoed and gives the reply's
 *	nlmsg_seq and nlmsg_pid. NULL for an error that answers no request
 *	(the fake kernel's way of reporting an overrun: -ENOBUFS)
 * @error: 0 (an ack) or a negative errno
 * @extack: the message of the error, or NULL
 *
 * Written as the kernel writes it for a socket with NETLINK_CAP_ACK and
 * NETLINK_EXT_ACK set: NLM_F_CAPPED (the request's payload is not echoed)
 * and, with @extack, NLM_F_ACK_TLVS and an NLMSGERR_ATTR_MSG attribute.
 *
 * Returns: the message's length, or -EMSGSIZE.
 */
int vas_encode_error(void *buf, size_t size, const struct nlmsghdr *req,
		     int error, const char *extack)
{
	struct nlmsghdr *nlh;
	struct nlmsgerr *e;

	nlh = put_header(buf, size, NLMSG_ERROR,
			 NLM_F_CAPPED | (extack ? NLM_F_ACK_TLVS : 0),
			 req ? req->nlmsg_seq : 0, req ? req->nlmsg_pid : 0,
			 sizeof(*e));
	if (!nlh)
		return -EMSGSIZE;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	if (req)
		memcpy(&e->msg, req, sizeof(e->msg));
	if (extack && !put_strz(nlh, size, NLMSGERR_ATTR_MSG, extack))
		return -EMSGSIZE;
	return (int)nlh->nlmsg_len;
}
