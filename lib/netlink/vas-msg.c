// SPDX-License-Identifier: GPL-2.0-only
/*
 * vas-msg: decode one message of the "vas" family. See vas-msg.h.
 *
 * The walk over attributes is our own rather than mnl_attr_parse(): libmnl
 * stops silently at an attribute that runs past its container, and we want
 * to say so. Values are copied out with memcpy() because nothing guarantees
 * a u64 payload is 8-byte aligned (the pad attribute only makes it likely).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "netlink/vas-msg.h"
#include "util/macro.h"

enum attr_kind {
	ATTR_U32,
	ATTR_U64,
	ATTR_COMM,
	ATTR_NEST,
};

struct attr_table;

/* How to check one attribute and where its value goes. */
struct attr_spec {
	enum attr_kind kind;
	size_t offset;			/* into the table's destination */
	unsigned int has;		/* VAS_MSG_HAS_* for top-level ones */
	const struct attr_table *nest;	/* ATTR_NEST: the nested set */
	const char *err_size;
	const char *err_twice;
	const char *err_missing;
	const char *err_long;		/* ATTR_COMM: no room for it */
};

/* One attribute set; specs are indexed by attribute type. */
struct attr_table {
	const struct attr_spec *specs;
	size_t n_specs;
	uint32_t required;		/* bit per type; 0 for the top level */
	const char *err_header;
	const char *err_length;
};

#define ATTR_ERRS(t)					\
	.err_size = #t ": wrong size",			\
	.err_twice = #t ": given twice",		\
	.err_missing = #t ": missing"

#define ATTR(t, k, s, f) [t] = {			\
	.kind = (k),					\
	.offset = offsetof(s, f),			\
	ATTR_ERRS(t),					\
}

static const struct attr_spec window_specs[] = {
	ATTR(VAS_A_WINDOW_ID, ATTR_U32, struct vas_window, id),
	ATTR(VAS_A_WINDOW_TGID, ATTR_U32, struct vas_window, tgid),
	ATTR(VAS_A_WINDOW_PID, ATTR_U32, struct vas_window, pid),
	[VAS_A_WINDOW_COMM] = {
		.kind = ATTR_COMM,
		.offset = offsetof(struct vas_window, comm),
		.err_size = "VAS_A_WINDOW_COMM: not NUL-terminated",
		.err_twice = "VAS_A_WINDOW_COMM: given twice",
		.err_missing = "VAS_A_WINDOW_COMM: missing",
		.err_long = "VAS_A_WINDOW_COMM: longer than 15 characters",
	},
	ATTR(VAS_A_WINDOW_COP, ATTR_U32, struct vas_window, cop),
	ATTR(VAS_A_WINDOW_TYPE, ATTR_U32, struct vas_window, type),
	ATTR(VAS_A_WINDOW_STATE, ATTR_U32, struct vas_window, state),
	ATTR(VAS_A_WINDOW_REASON, ATTR_U32, struct vas_window, reason),
	ATTR(VAS_A_WINDOW_OPENED_AT, ATTR_U64, struct vas_window, opened_at),
};

static const struct attr_spec caps_specs[] = {
	ATTR(VAS_A_CAPS_TYPE, ATTR_U32, struct vas_caps, type),
	ATTR(VAS_A_CAPS_TOTAL, ATTR_U32, struct vas_caps, total),
	ATTR(VAS_A_CAPS_USED, ATTR_U32, struct vas_caps, used),
};

static const struct attr_spec migration_specs[] = {
	ATTR(VAS_A_MIGRATION_STREAM_ID, ATTR_U64, struct vas_migration,
	     stream_id),
	ATTR(VAS_A_MIGRATION_PHASE, ATTR_U32, struct vas_migration, phase),
	ATTR(VAS_A_MIGRATION_TOKEN, ATTR_U64, struct vas_migration, token),
};

#define BIT(n) (1u << (n))

/* Every attribute of an object but its pad: the kernel always sends all. */
static const struct attr_table window_table = {
	.specs = window_specs,
	.n_specs = ELEMENTSOF(window_specs),
	.required = BIT(VAS_A_WINDOW_ID) | BIT(VAS_A_WINDOW_TGID) |
		    BIT(VAS_A_WINDOW_PID) | BIT(VAS_A_WINDOW_COMM) |
		    BIT(VAS_A_WINDOW_COP) | BIT(VAS_A_WINDOW_TYPE) |
		    BIT(VAS_A_WINDOW_STATE) | BIT(VAS_A_WINDOW_REASON) |
		    BIT(VAS_A_WINDOW_OPENED_AT),
	.err_header = "VAS_A_WINDOW: truncated attribute header",
	.err_length = "VAS_A_WINDOW: attribute length out of bounds",
};

static const struct attr_table caps_table = {
	.specs = caps_specs,
	.n_specs = ELEMENTSOF(caps_specs),
	.required = BIT(VAS_A_CAPS_TYPE) | BIT(VAS_A_CAPS_TOTAL) |
		    BIT(VAS_A_CAPS_USED),
	.err_header = "VAS_A_CAPS: truncated attribute header",
	.err_length = "VAS_A_CAPS: attribute length out of bounds",
};

static const struct attr_table migration_table = {
	.specs = migration_specs,
	.n_specs = ELEMENTSOF(migration_specs),
	.required = BIT(VAS_A_MIGRATION_STREAM_ID) |
		    BIT(VAS_A_MIGRATION_PHASE) | BIT(VAS_A_MIGRATION_TOKEN),
	.err_header = "VAS_A_MIGRATION: truncated attribute header",
	.err_length = "VAS_A_MIGRATION: attribute length out of bounds",
};

#define TOP(t, k, f, h) [t] = {				\
	.kind = (k),					\
	.offset = offsetof(struct vas_msg, f),		\
	.has = (h),					\
	ATTR_ERRS(t),					\
}

#define TOP_NEST(t, f, h, tbl) [t] = {			\
	.kind = ATTR_NEST,				\
	.offset = offsetof(struct vas_msg, f),		\
	.has = (h),					\
	.nest = (tbl),					\
	ATTR_ERRS(t),					\
}

static const struct attr_spec top_specs[] = {
	TOP(VAS_A_GENERATION, ATTR_U64, generation, VAS_MSG_HAS_GENERATION),
	TOP(VAS_A_SEQ, ATTR_U64, seq, VAS_MSG_HAS_SEQ),
	TOP(VAS_A_TIMESTAMP, ATTR_U64, timestamp, VAS_MSG_HAS_TIMESTAMP),
	TOP_NEST(VAS_A_WINDOW, window, VAS_MSG_HAS_WINDOW, &window_table),
	TOP_NEST(VAS_A_CAPS, caps, VAS_MSG_HAS_CAPS, &caps_table),
	TOP_NEST(VAS_A_MIGRATION, migration, VAS_MSG_HAS_MIGRATION,
		 &migration_table),
	TOP(VAS_A_TOKEN, ATTR_U64, token, VAS_MSG_HAS_TOKEN),
};

static const struct attr_table top_table = {
	.specs = top_specs,
	.n_specs = ELEMENTSOF(top_specs),
	.err_header = "truncated attribute header",
	.err_length = "attribute length out of bounds",
};

static int set_err(const char **ret_err, const char *err, int r)
{
	if (ret_err)
		*ret_err = err;
	return r;
}

static int missing_err(const struct attr_table *t, uint32_t seen,
			    uint32_t required, const char **ret_err)
{
	for (size_t type = 0; type < t->n_specs; type++)
		if ((required & BIT(type)) && !(seen & BIT(type)))
			return set_err(ret_err, t->specs[type].err_missing,
				       -EBADMSG);
	return 0;
}

static int attr_walk(const uint8_t *p, size_t len, const struct attr_table *t,
		     void *dst, uint32_t *ret_seen, const char **ret_err);

static int attr_store(const struct attr_spec *s, const uint8_t *payload,
		      size_t plen, void *dst, const char **ret_err)
{
	uint8_t *d = (uint8_t *)dst + s->offset;
	uint32_t nested_seen = 0;
	size_t n;
	int r;

	switch (s->kind) {
	case ATTR_U32:
		if (plen != sizeof(uint32_t))
			return set_err(ret_err, s->err_size, -EBADMSG);
		memcpy(d, payload, plen);
		return 0;
	case ATTR_U64:
		if (plen != sizeof(uint64_t))
			return set_err(ret_err, s->err_size, -EBADMSG);
		memcpy(d, payload, plen);
		return 0;
	case ATTR_COMM:
		n = strnlen((const char *)payload, plen);
		if (n == plen)
			return set_err(ret_err, s->err_size, -EBADMSG);
		if (n >= VAS_COMM_MAX)
			return set_err(ret_err, s->err_long, -EBADMSG);
		memcpy(d, payload, n);
		d[n] = '\0';
		return 0;
	case ATTR_NEST:
		break;
	}

	r = attr_walk(payload, plen, s->nest, d, &nested_seen, ret_err);
	if (r < 0)
		return r;
	return missing_err(s->nest, nested_seen, s->nest->required, ret_err);
}

/*
 * Walk the attributes in p[0..len). Types outside the table (pads, and
 * whatever a newer kernel adds) are skipped after their bounds are checked.
 */
static int attr_walk(const uint8_t *p, size_t len, const struct attr_table *t,
		     void *dst, uint32_t *ret_seen, const char **ret_err)
{
	uint32_t seen = 0;

	while (len > 0) {
		const struct attr_spec *s;
		struct nlattr nla;
		uint16_t type;
		size_t step;
		int r;

		if (len < NLA_HDRLEN)
			return set_err(ret_err, t->err_header, -EBADMSG);
		memcpy(&nla, p, sizeof(nla));
		if (nla.nla_len < NLA_HDRLEN || nla.nla_len > len)
			return set_err(ret_err, t->err_length, -EBADMSG);

		type = nla.nla_type & NLA_TYPE_MASK;
		s = type < t->n_specs ? &t->specs[type] : NULL;
		if (s && s->err_size) {
			if (seen & BIT(type))
				return set_err(ret_err, s->err_twice,
					       -EBADMSG);
			r = attr_store(s, p + NLA_HDRLEN,
				       nla.nla_len - NLA_HDRLEN, dst, ret_err);
			if (r < 0)
				return r;
			seen |= BIT(type);
		}

		/* the last attribute's alignment padding may be cut off */
		step = NLA_ALIGN(nla.nla_len);
		if (step > len)
			step = len;
		p += step;
		len -= step;
	}
	*ret_seen = seen;
	return 0;
}

/* What the kernel sends with each command (docs/netlink.md). */
static int required_for_cmd(uint8_t cmd, uint32_t *ret_required,
			    const char **ret_err)
{
	const uint32_t ids = BIT(VAS_A_GENERATION) | BIT(VAS_A_SEQ);
	const uint32_t ntf = ids | BIT(VAS_A_TIMESTAMP);

	switch (cmd) {
	case VAS_CMD_WINDOW_GET:
		*ret_required = ids | BIT(VAS_A_WINDOW);
		return 0;
	case VAS_CMD_WINDOW_ADD_NTF:
	case VAS_CMD_WINDOW_DEL_NTF:
	case VAS_CMD_WINDOW_CHANGE_NTF:
		*ret_required = ntf | BIT(VAS_A_WINDOW);
		return 0;
	case VAS_CMD_CAPS_GET:
		*ret_required = ids | BIT(VAS_A_CAPS);
		return 0;
	case VAS_CMD_CAPS_CHANGE_NTF:
		*ret_required = ntf | BIT(VAS_A_CAPS);
		return 0;
	case VAS_CMD_MIGRATION_GET:
		*ret_required = ids | BIT(VAS_A_MIGRATION);
		return 0;
	case VAS_CMD_MIGRATION_CHANGE_NTF:
		*ret_required = ntf | BIT(VAS_A_MIGRATION);
		return 0;
	case VAS_CMD_COORD_REGISTER:
	case VAS_CMD_COORD_UNREGISTER:
	case VAS_CMD_COORD_ACK:
		return set_err(ret_err, "command is a request, the kernel never sends it",
			       -EOPNOTSUPP);
	default:
		return set_err(ret_err, "unknown command", -EOPNOTSUPP);
	}
}

/**
 * vas_msg_decode() - decode one netlink message of the "vas" family
 * @buf: the message: struct nlmsghdr, struct genlmsghdr, attributes
 * @len: bytes available at @buf; bytes past nlmsg_len are not looked at
 * @ret: the decoded message; written only on success
 * @ret_err: on failure, a static string saying what was wrong (may be NULL)
 *
 * The caller has checked that nlmsg_type is the family's id (it is not
 * known here). Every command the kernel sends must carry what
 * docs/netlink.md lists for it.
 *
 * Returns: 0; -EBADMSG for a malformed or incomplete message; -EOPNOTSUPP
 * for a command the kernel does not send (or a newer one we do not know),
 * which a listener may skip.
 */
int vas_msg_decode(const void *buf, size_t len, struct vas_msg *ret,
		   const char **ret_err)
{
	const uint8_t *p = buf;
	struct nlmsghdr nlh;
	struct genlmsghdr genl;
	struct vas_msg m = { 0 };
	uint32_t seen = 0, required = 0;
	int r;

	if (!buf || len < sizeof(nlh))
		return set_err(ret_err, "truncated netlink header", -EBADMSG);
	memcpy(&nlh, p, sizeof(nlh));
	if (nlh.nlmsg_len < NLMSG_HDRLEN)
		return set_err(ret_err, "nlmsg_len shorter than the netlink header",
			       -EBADMSG);
	if (nlh.nlmsg_len > len)
		return set_err(ret_err, "nlmsg_len beyond the buffer", -EBADMSG);
	if (nlh.nlmsg_type < NLMSG_MIN_TYPE)
		return set_err(ret_err, "netlink control message, not a family message",
			       -EBADMSG);
	if (nlh.nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return set_err(ret_err, "truncated generic netlink header",
			       -EBADMSG);
	memcpy(&genl, p + NLMSG_HDRLEN, sizeof(genl));

	r = required_for_cmd(genl.cmd, &required, ret_err);
	if (r < 0)
		return r;

	r = attr_walk(p + NLMSG_HDRLEN + GENL_HDRLEN,
		      nlh.nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, &top_table,
		      &m, &seen, ret_err);
	if (r < 0)
		return r;
	r = missing_err(&top_table, seen, required, ret_err);
	if (r < 0)
		return r;

	m.cmd = genl.cmd;
	m.nlmsg_flags = nlh.nlmsg_flags;
	for (size_t type = 0; type < top_table.n_specs; type++)
		if (seen & BIT(type))
			m.has |= top_specs[type].has;
	*ret = m;
	return 0;
}

static const char *lookup(const char *const *names, size_t n, uint32_t v)
{
	return v < n ? names[v] : NULL;
}

static int lookup_reverse(const char *const *names, size_t n, const char *s)
{
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], s) == 0)
			return (int)i;
	return -EINVAL;
}

/* The operation names of proto/vas.yaml. */
static const char *const cmd_names[] = {
	[VAS_CMD_WINDOW_GET] = "window-get",
	[VAS_CMD_WINDOW_ADD_NTF] = "window-add-ntf",
	[VAS_CMD_WINDOW_DEL_NTF] = "window-del-ntf",
	[VAS_CMD_WINDOW_CHANGE_NTF] = "window-change-ntf",
	[VAS_CMD_CAPS_GET] = "caps-get",
	[VAS_CMD_CAPS_CHANGE_NTF] = "caps-change-ntf",
	[VAS_CMD_MIGRATION_GET] = "migration-get",
	[VAS_CMD_MIGRATION_CHANGE_NTF] = "migration-change-ntf",
	[VAS_CMD_COORD_REGISTER] = "coord-register",
	[VAS_CMD_COORD_UNREGISTER] = "coord-unregister",
	[VAS_CMD_COORD_ACK] = "coord-ack",
};

static const char *const cop_names[] = {
	[VAS_COP_GZIP] = "gzip",
};

static const char *const win_type_names[] = {
	[VAS_WIN_TYPE_DEFAULT] = "default",
	[VAS_WIN_TYPE_QOS] = "qos",
};

static const char *const win_state_names[] = {
	[VAS_WIN_STATE_ACTIVE] = "active",
	[VAS_WIN_STATE_SUSPENDED] = "suspended",
};

static const char *const suspend_reason_names[] = {
	[VAS_SUSPEND_REASON_NONE] = "none",
	[VAS_SUSPEND_REASON_MIGRATION] = "migration",
	[VAS_SUSPEND_REASON_CREDITS] = "credits",
};

static const char *const migration_phase_names[] = {
	[VAS_MIGRATION_PHASE_NONE] = "none",
	[VAS_MIGRATION_PHASE_PREPARE] = "prepare",
	[VAS_MIGRATION_PHASE_SUSPENDING] = "suspending",
	[VAS_MIGRATION_PHASE_SUSPENDED] = "suspended",
	[VAS_MIGRATION_PHASE_RESUMED] = "resumed",
	[VAS_MIGRATION_PHASE_COMPLETED] = "completed",
	[VAS_MIGRATION_PHASE_ABORTED] = "aborted",
};

/* The *_to_string() helpers return NULL for a value they do not know. */

const char *vas_cmd_to_string(uint32_t cmd)
{
	return lookup(cmd_names, ELEMENTSOF(cmd_names), cmd);
}

const char *vas_cop_to_string(uint32_t cop)
{
	return lookup(cop_names, ELEMENTSOF(cop_names), cop);
}

const char *vas_win_type_to_string(uint32_t type)
{
	return lookup(win_type_names, ELEMENTSOF(win_type_names), type);
}

const char *vas_win_state_to_string(uint32_t state)
{
	return lookup(win_state_names, ELEMENTSOF(win_state_names), state);
}

const char *vas_suspend_reason_to_string(uint32_t reason)
{
	return lookup(suspend_reason_names, ELEMENTSOF(suspend_reason_names),
		      reason);
}

const char *vas_migration_phase_to_string(uint32_t phase)
{
	return lookup(migration_phase_names,
		      ELEMENTSOF(migration_phase_names), phase);
}

/* The *_from_string() helpers return the value, or -EINVAL. */

int vas_win_type_from_string(const char *s)
{
	return lookup_reverse(win_type_names, ELEMENTSOF(win_type_names), s);
}

int vas_migration_phase_from_string(const char *s)
{
	return lookup_reverse(migration_phase_names,
			      ELEMENTSOF(migration_phase_names), s);
}
