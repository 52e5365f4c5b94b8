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
#include "netlink/vas-spec.h"
#include "util/macro.h"

#define BIT(n) VAS_SPEC_BIT(n)

static int set_err(const char **ret_err, const char *err, int r)
{
	if (ret_err)
		*ret_err = err;
	return r;
}

static int missing_err(const struct vas_attr_set *set, uint32_t seen,
		       uint32_t required, const char **ret_err)
{
	for (size_t type = 0; type < set->n_attrs; type++)
		if ((required & BIT(type)) && !(seen & BIT(type)))
			return set_err(ret_err, set->attrs[type].err_missing,
				       -EBADMSG);
	return 0;
}

static int attr_walk(const uint8_t *p, size_t len,
		     const struct vas_attr_set *set, void *dst,
		     uint32_t *ret_seen, const char **ret_err);

static int attr_store(const struct vas_attr *a, const uint8_t *payload,
		      size_t plen, void *dst, const char **ret_err)
{
	uint8_t *d = (uint8_t *)dst + a->offset;
	uint32_t nested_seen = 0;
	size_t n;
	int r;

	switch (a->kind) {
	case VAS_ATTR_NONE:
	case VAS_ATTR_PAD:
		return 0;
	case VAS_ATTR_U32:
		if (plen != sizeof(uint32_t))
			return set_err(ret_err, a->err_size, -EBADMSG);
		memcpy(d, payload, plen);
		return 0;
	case VAS_ATTR_U64:
		if (plen != sizeof(uint64_t))
			return set_err(ret_err, a->err_size, -EBADMSG);
		memcpy(d, payload, plen);
		return 0;
	case VAS_ATTR_STRING:
		n = strnlen((const char *)payload, plen);
		if (n == plen)
			return set_err(ret_err, a->err_size, -EBADMSG);
		if (n >= a->size)
			return set_err(ret_err, a->err_long, -EBADMSG);
		memcpy(d, payload, n);
		d[n] = '\0';
		return 0;
	case VAS_ATTR_NEST:
		break;
	}

	r = attr_walk(payload, plen, a->nest, d, &nested_seen, ret_err);
	if (r < 0)
		return r;
	return missing_err(a->nest, nested_seen,
			   vas_spec_set_required(a->nest), ret_err);
}

/*
 * Walk the attributes in p[0..len). Types the set has no value for (pads,
 * and whatever a newer kernel adds) are skipped after their bounds are
 * checked.
 */
static int attr_walk(const uint8_t *p, size_t len,
		     const struct vas_attr_set *set, void *dst,
		     uint32_t *ret_seen, const char **ret_err)
{
	uint32_t seen = 0;

	while (len > 0) {
		const struct vas_attr *a;
		struct nlattr nla;
		uint16_t type;
		size_t step;
		int r;

		if (len < NLA_HDRLEN)
			return set_err(ret_err, set->err_header, -EBADMSG);
		memcpy(&nla, p, sizeof(nla));
		if (nla.nla_len < NLA_HDRLEN || nla.nla_len > len)
			return set_err(ret_err, set->err_length, -EBADMSG);

		type = nla.nla_type & NLA_TYPE_MASK;
		a = type < set->n_attrs ? &set->attrs[type] : NULL;
		if (a && a->kind > VAS_ATTR_PAD) {
			if (seen & BIT(type))
				return set_err(ret_err, a->err_twice,
					       -EBADMSG);
			r = attr_store(a, p + NLA_HDRLEN,
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

/* What the kernel sends with each command (vas-spec). */
static int required_for_cmd(uint8_t cmd, uint32_t *ret_required,
			    const char **ret_err)
{
	const struct vas_cmd *c = vas_spec_cmd(cmd);

	if (!c)
		return set_err(ret_err, "unknown command", -EOPNOTSUPP);
	if (!c->attrs)
		return set_err(ret_err, "command is a request, the kernel never sends it",
			       -EOPNOTSUPP);
	*ret_required = c->attrs;
	return 0;
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
 * vas-spec lists for it (docs/netlink.md).
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

	/* what a kernel that does not send it leaves */
	m.window.uid = VAS_UID_UNKNOWN;

	r = attr_walk(p + NLMSG_HDRLEN + GENL_HDRLEN,
		      nlh.nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, &vas_spec_top,
		      &m, &seen, ret_err);
	if (r < 0)
		return r;
	r = missing_err(&vas_spec_top, seen, required, ret_err);
	if (r < 0)
		return r;

	m.cmd = genl.cmd;
	m.nlmsg_flags = nlh.nlmsg_flags;
	for (size_t type = 0; type < vas_spec_top.n_attrs; type++)
		if (seen & BIT(type))
			m.has |= vas_spec_top.attrs[type].has;
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

/* The operation names of proto/vas.yaml. */
const char *vas_cmd_to_string(uint32_t cmd)
{
	const struct vas_cmd *c = vas_spec_cmd(cmd);

	return c ? c->name : NULL;
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
