// SPDX-License-Identifier: GPL-2.0-only
/*
 * vas-spec: the table of the "vas" family's messages. See vas-spec.h.
 *
 * Attributes are indexed by type, and the kernel puts them in that order
 * (kernel/vas-events.c: vas_put_ids(), vas_ntf_send(), vas_put_window(),
 * vas_put_caps(), vas_put_migration()), so walking a set from its first
 * type to its last is walking a message the way the kernel writes it.
 */
#include "netlink/vas-msg.h"
#include "netlink/vas-spec.h"
#include "util/macro.h"

#define ERRS(t)						\
	.err_size = #t ": wrong size",			\
	.err_twice = #t ": given twice",		\
	.err_missing = #t ": missing"

#define PAD(t, n) [t] = { .name = (n), .kind = VAS_ATTR_PAD }

#define ATTR(t, n, k, s, f) [t] = {			\
	.name = (n),					\
	.kind = (k),					\
	.offset = offsetof(s, f),			\
	ERRS(t),					\
}

static const struct vas_attr window_attrs[] = {
	PAD(VAS_A_WINDOW_PAD, "pad"),
	ATTR(VAS_A_WINDOW_ID, "id", VAS_ATTR_U32, struct vas_window, id),
	ATTR(VAS_A_WINDOW_TGID, "tgid", VAS_ATTR_U32, struct vas_window, tgid),
	ATTR(VAS_A_WINDOW_PID, "pid", VAS_ATTR_U32, struct vas_window, pid),
	[VAS_A_WINDOW_COMM] = {
		.name = "comm",
		.kind = VAS_ATTR_STRING,
		.offset = offsetof(struct vas_window, comm),
		.size = VAS_COMM_MAX,
		.err_size = "VAS_A_WINDOW_COMM: not NUL-terminated",
		.err_twice = "VAS_A_WINDOW_COMM: given twice",
		.err_missing = "VAS_A_WINDOW_COMM: missing",
		.err_long = "VAS_A_WINDOW_COMM: longer than 15 characters",
	},
	ATTR(VAS_A_WINDOW_COP, "cop", VAS_ATTR_U32, struct vas_window, cop),
	ATTR(VAS_A_WINDOW_TYPE, "type", VAS_ATTR_U32, struct vas_window, type),
	ATTR(VAS_A_WINDOW_STATE, "state", VAS_ATTR_U32, struct vas_window,
	     state),
	ATTR(VAS_A_WINDOW_REASON, "reason", VAS_ATTR_U32, struct vas_window,
	     reason),
	ATTR(VAS_A_WINDOW_OPENED_AT, "opened-at", VAS_ATTR_U64,
	     struct vas_window, opened_at),
	/* added later: a kernel before it does not send it */
	[VAS_A_WINDOW_UID] = {
		.name = "uid",
		.kind = VAS_ATTR_U32,
		.offset = offsetof(struct vas_window, uid),
		.optional = true,
		ERRS(VAS_A_WINDOW_UID),
	},
};

static const struct vas_attr caps_attrs[] = {
	ATTR(VAS_A_CAPS_TYPE, "type", VAS_ATTR_U32, struct vas_caps, type),
	ATTR(VAS_A_CAPS_TOTAL, "total", VAS_ATTR_U32, struct vas_caps, total),
	ATTR(VAS_A_CAPS_USED, "used", VAS_ATTR_U32, struct vas_caps, used),
};

static const struct vas_attr migration_attrs[] = {
	PAD(VAS_A_MIGRATION_PAD, "pad"),
	ATTR(VAS_A_MIGRATION_STREAM_ID, "stream-id", VAS_ATTR_U64,
	     struct vas_migration, stream_id),
	ATTR(VAS_A_MIGRATION_PHASE, "phase", VAS_ATTR_U32,
	     struct vas_migration, phase),
	ATTR(VAS_A_MIGRATION_TOKEN, "token", VAS_ATTR_U64,
	     struct vas_migration, token),
};

#define SET(n, a, p, e) {					\
	.name = (n),						\
	.attrs = (a),						\
	.n_attrs = ELEMENTSOF(a),				\
	.pad = (p),						\
	.err_header = e ": truncated attribute header",		\
	.err_length = e ": attribute length out of bounds",	\
}

static const struct vas_attr_set window_set =
	SET("window", window_attrs, VAS_A_WINDOW_PAD, "VAS_A_WINDOW");
static const struct vas_attr_set caps_set =
	SET("caps", caps_attrs, 0, "VAS_A_CAPS");
static const struct vas_attr_set migration_set =
	SET("migration", migration_attrs, VAS_A_MIGRATION_PAD,
	    "VAS_A_MIGRATION");

#define TOP(t, n, k, f, h) [t] = {			\
	.name = (n),					\
	.kind = (k),					\
	.offset = offsetof(struct vas_msg, f),		\
	.has = (h),					\
	ERRS(t),					\
}

#define TOP_NEST(t, n, f, h, s) [t] = {			\
	.name = (n),					\
	.kind = VAS_ATTR_NEST,				\
	.offset = offsetof(struct vas_msg, f),		\
	.has = (h),					\
	.nest = (s),					\
	ERRS(t),					\
}

static const struct vas_attr top_attrs[] = {
	PAD(VAS_A_PAD, "pad"),
	TOP(VAS_A_GENERATION, "generation", VAS_ATTR_U64, generation,
	    VAS_MSG_HAS_GENERATION),
	TOP(VAS_A_SEQ, "seq", VAS_ATTR_U64, seq, VAS_MSG_HAS_SEQ),
	TOP(VAS_A_TIMESTAMP, "timestamp", VAS_ATTR_U64, timestamp,
	    VAS_MSG_HAS_TIMESTAMP),
	TOP_NEST(VAS_A_WINDOW, "window", window, VAS_MSG_HAS_WINDOW,
		 &window_set),
	TOP_NEST(VAS_A_CAPS, "caps", caps, VAS_MSG_HAS_CAPS, &caps_set),
	TOP_NEST(VAS_A_MIGRATION, "migration", migration,
		 VAS_MSG_HAS_MIGRATION, &migration_set),
	TOP(VAS_A_TOKEN, "token", VAS_ATTR_U64, token, VAS_MSG_HAS_TOKEN),
};

const struct vas_attr_set vas_spec_top = {
	.name = "vas",
	.attrs = top_attrs,
	.n_attrs = ELEMENTSOF(top_attrs),
	.pad = VAS_A_PAD,
	.err_header = "truncated attribute header",
	.err_length = "attribute length out of bounds",
};

#define B(t) VAS_SPEC_BIT(VAS_A_##t)
/* vas_put_ids(): every message the kernel sends identifies the instance */
#define IDS (B(GENERATION) | B(SEQ))
/* vas_ntf_send(): and a notification says when */
#define NTF (IDS | B(TIMESTAMP))

static const struct vas_cmd cmds[] = {
	[VAS_CMD_WINDOW_GET] = {
		"window-get", "window", false, IDS | B(WINDOW),
	},
	[VAS_CMD_WINDOW_ADD_NTF] = {
		"window-add-ntf", "window-add", true, NTF | B(WINDOW),
	},
	[VAS_CMD_WINDOW_DEL_NTF] = {
		"window-del-ntf", "window-del", true, NTF | B(WINDOW),
	},
	[VAS_CMD_WINDOW_CHANGE_NTF] = {
		"window-change-ntf", "window-change", true, NTF | B(WINDOW),
	},
	[VAS_CMD_CAPS_GET] = {
		"caps-get", "credits", false, IDS | B(CAPS),
	},
	[VAS_CMD_CAPS_CHANGE_NTF] = {
		"caps-change-ntf", "credits-change", true, NTF | B(CAPS),
	},
	[VAS_CMD_MIGRATION_GET] = {
		"migration-get", "migration", false, IDS | B(MIGRATION),
	},
	[VAS_CMD_MIGRATION_CHANGE_NTF] = {
		"migration-change-ntf", "migration-phase", true,
		NTF | B(MIGRATION),
	},
	/* requests: the kernel answers them with an ack and nothing else */
	[VAS_CMD_COORD_REGISTER] = { "coord-register", NULL, false, 0 },
	[VAS_CMD_COORD_UNREGISTER] = { "coord-unregister", NULL, false, 0 },
	[VAS_CMD_COORD_ACK] = { "coord-ack", NULL, false, 0 },
};

/* The command's entry; NULL for one this build does not know. */
const struct vas_cmd *vas_spec_cmd(uint32_t cmd)
{
	if (cmd >= ELEMENTSOF(cmds) || !cmds[cmd].name)
		return NULL;
	return &cmds[cmd];
}

/* The attributes a nest of @set carries as the kernel sends it: all but the pad. */
uint32_t vas_spec_set_sent(const struct vas_attr_set *set)
{
	uint32_t mask = 0;

	for (size_t type = 0; type < set->n_attrs; type++)
		if (set->attrs[type].kind > VAS_ATTR_PAD)
			mask |= VAS_SPEC_BIT(type);
	return mask;
}

/* The attributes a nest of @set must carry: those, less the optional ones. */
uint32_t vas_spec_set_required(const struct vas_attr_set *set)
{
	uint32_t mask = vas_spec_set_sent(set);

	for (size_t type = 0; type < set->n_attrs; type++)
		if (set->attrs[type].optional)
			mask &= ~VAS_SPEC_BIT(type);
	return mask;
}

/* proto/vas.yaml's name of an attribute type. */
const char *vas_attr_kind_to_string(enum vas_attr_kind kind)
{
	switch (kind) {
	case VAS_ATTR_PAD:
		return "pad";
	case VAS_ATTR_U32:
		return "u32";
	case VAS_ATTR_U64:
		return "u64";
	case VAS_ATTR_STRING:
		return "string";
	case VAS_ATTR_NEST:
		return "nest";
	case VAS_ATTR_NONE:
		break;
	}
	return NULL;
}
