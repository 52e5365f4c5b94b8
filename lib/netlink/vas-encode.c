// SPDX-License-Identifier: GPL-2.0-only
/*
 * vas-encode: build the messages the kernel part sends. See vas-encode.h.
 *
 * What each command carries, and in which order, is vas-spec's table: the
 * order of kernel/vas-events.c (vas_put_ids(), vas_ntf_send(),
 * vas_put_window(), vas_put_caps(), vas_put_migration()). libmnl's
 * *_check() writers refuse to pass the buffer's end, so a short buffer
 * fails with -EMSGSIZE as a full skb does.
 */
#include <errno.h>
#include <string.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>

#include "netlink/vas-encode.h"
#include "netlink/vas-spec.h"

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
 * nla_put_string() of the first @n bytes of @s: those, a NUL and zeroed
 * alignment padding. By hand: mnl_attr_put_strz_check() checks the room
 * without the padding, and libmnl before 1.0.5 leaves the padding as it
 * was.
 */
static bool put_strn(struct nlmsghdr *nlh, size_t size, uint16_t type,
		     const char *s, size_t n)
{
	struct nlattr *a = mnl_nlmsg_get_payload_tail(nlh);
	uint8_t *payload;

	if (nlh->nlmsg_len + MNL_ALIGN(MNL_ATTR_HDRLEN + n + 1) > size)
		return false;
	a->nla_type = type;
	a->nla_len = (uint16_t)(MNL_ATTR_HDRLEN + n + 1);
	payload = mnl_attr_get_payload(a);
	memcpy(payload, s, n);
	memset(payload + n, 0, MNL_ALIGN(n + 1) - n);
	nlh->nlmsg_len += MNL_ALIGN(a->nla_len);
	return true;
}

/* a string the kernel truncated with strscpy() into a field of @field */
static void put_string(struct writer *w, uint16_t type, const char *s,
		       size_t field)
{
	if (w->ok && !put_strn(w->nlh, w->size, type, s,
			       strnlen(s, field - 1)))
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

/* The attributes of @set in @which, in the order of type, from @src. */
static void put_attrs(struct writer *w, const struct vas_attr_set *set,
		      const void *src, uint32_t which)
{
	for (size_t type = 0; type < set->n_attrs; type++) {
		const struct vas_attr *a = &set->attrs[type];
		const uint8_t *v = (const uint8_t *)src + a->offset;
		struct nlattr *nest;
		uint32_t u32;
		uint64_t u64;

		if (!(which & VAS_SPEC_BIT(type)))
			continue;
		switch (a->kind) {
		case VAS_ATTR_NONE:
		case VAS_ATTR_PAD:
			break;
		case VAS_ATTR_U32:
			memcpy(&u32, v, sizeof(u32));
			put_u32(w, (uint16_t)type, u32);
			break;
		case VAS_ATTR_U64:
			memcpy(&u64, v, sizeof(u64));
			put_u64(w, (uint16_t)type, set->pad, u64);
			break;
		case VAS_ATTR_STRING:
			put_string(w, (uint16_t)type, (const char *)v,
				   a->size);
			break;
		case VAS_ATTR_NEST:
			nest = nest_start(w, (uint16_t)type);
			put_attrs(w, a->nest, v, vas_spec_set_sent(a->nest));
			nest_end(w, nest);
			break;
		}
	}
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
 *	command (vas-spec, docs/netlink.md); m->has and m->nlmsg_flags are
 *	not read
 *
 * Returns: the message's length (nlmsg_len, a multiple of 4); -EMSGSIZE
 * when it does not fit in @size bytes (@buf then holds a partial message);
 * -EOPNOTSUPP for a command the kernel never sends.
 */
int vas_encode_msg(void *buf, size_t size, const struct vas_encode_frame *f,
		   const struct vas_msg *m)
{
	const struct vas_cmd *c = vas_spec_cmd(m->cmd);
	struct genlmsghdr *genl;
	struct writer w;

	/* requests (COORD_*) and unknown commands: never sent */
	if (!c || !c->attrs)
		return -EOPNOTSUPP;

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

	put_attrs(&w, &vas_spec_top, m, c->attrs);

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
	if (extack && !put_strn(nlh, size, NLMSGERR_ATTR_MSG, extack,
				 strlen(extack)))
		return -EMSGSIZE;
	return (int)nlh->nlmsg_len;
}
