/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vas-spec: what each message of the generic netlink family "vas" carries,
 * as one table: the attribute sets (each attribute's type, where its value
 * lives in struct vas_msg, which set a nest holds) and, for each command,
 * the top-level attributes the kernel sends with it. The decoder
 * (vas-msg), the encoder (vas-encode) and the formatter (vas-format) all
 * read it; proto/vas.yaml says the same, and tests/proto/check-proto.py
 * compares the two (through vas-spec-dump) and with kernel/vas-events.c.
 *
 * Every attribute a message carries is required: the kernel always sends
 * all of them. That is, at the top level, each one the command lists; in a
 * nest, every attribute of its set but the pad and those added later
 * (optional: VAS_A_WINDOW_UID), which an older kernel does not send.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vas.h"

/* The bit of attribute type @t in a mask of types. */
#define VAS_SPEC_BIT(t) (UINT32_C(1) << (t))

enum vas_attr_kind {
	VAS_ATTR_NONE,		/* no attribute of this type in the set */
	VAS_ATTR_PAD,		/* alignment for a u64; never carries data */
	VAS_ATTR_U32,
	VAS_ATTR_U64,
	VAS_ATTR_STRING,	/* NUL-terminated, at most size - 1 chars */
	VAS_ATTR_NEST,
};

struct vas_attr_set;

/* One attribute: its type is its index in the set's attrs. */
struct vas_attr {
	const char *name;		/* proto/vas.yaml's */
	enum vas_attr_kind kind;
	size_t offset;			/* of the value in the set's struct */
	size_t size;			/* VAS_ATTR_STRING: of the field */
	unsigned int has;		/* top level: VAS_MSG_HAS_* */
	const struct vas_attr_set *nest;	/* VAS_ATTR_NEST */
	/*
	 * in a nest: one a kernel may leave out, added to the family after
	 * the others; the decoder leaves the value the caller set before
	 */
	bool optional;
	/* what the decoder says of a wrong one (static strings) */
	const char *err_size;
	const char *err_twice;
	const char *err_missing;
	const char *err_long;		/* VAS_ATTR_STRING: too long */
};

/* One attribute set; the kernel puts its attributes in the order of type. */
struct vas_attr_set {
	const char *name;		/* proto/vas.yaml's */
	const struct vas_attr *attrs;	/* indexed by type */
	size_t n_attrs;
	uint16_t pad;			/* the type that pads its u64s */
	const char *err_header;
	const char *err_length;
};

/* One command (operation or notification) of the family. */
struct vas_cmd {
	const char *name;		/* proto/vas.yaml's */
	const char *label;		/* what vas-format calls the message */
	bool event;			/* a notification, not a reply */
	uint32_t attrs;			/* VAS_SPEC_BIT() of the top-level
					 * attributes the kernel sends with it;
					 * 0: a request, never sent */
};

/* The top-level set (proto/vas.yaml's "vas"); it nests the others. */
extern const struct vas_attr_set vas_spec_top;

const struct vas_cmd *vas_spec_cmd(uint32_t cmd);
uint32_t vas_spec_set_sent(const struct vas_attr_set *set);
uint32_t vas_spec_set_required(const struct vas_attr_set *set);
const char *vas_attr_kind_to_string(enum vas_attr_kind kind);
