/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vas-msg: decode one message of the generic netlink family "vas"
 * (proto/vas.h, docs/netlink.md) into plain values.
 *
 * Pure: no I/O, no globals, no allocation. The decoder reads only the bytes
 * it is given and validates every attribute it knows; attributes it does
 * not know are skipped, so a newer kernel may add some.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "vas.h"

/* TASK_COMM_LEN: the kernel's comm, terminating NUL included. */
#define VAS_COMM_MAX 16

/* A window's uid not known: the kernel's INVALID_UID, (uid_t)-1. */
#define VAS_UID_UNKNOWN UINT32_MAX

struct vas_window {
	uint32_t id;
	uint32_t tgid;
	uint32_t pid;
	char comm[VAS_COMM_MAX];	/* always NUL-terminated */
	uint32_t cop;			/* enum vas_cop */
	uint32_t type;			/* enum vas_win_type */
	uint32_t state;			/* enum vas_win_state */
	uint32_t reason;		/* enum vas_suspend_reason */
	uint64_t opened_at;		/* CLOCK_REALTIME, ns */
	uint32_t uid;			/* the opener's; VAS_UID_UNKNOWN */
};

struct vas_caps {
	uint32_t type;			/* enum vas_win_type */
	uint32_t total;
	uint32_t used;
};

struct vas_migration {
	uint64_t stream_id;
	uint32_t phase;			/* enum vas_migration_phase */
	uint64_t token;
};

/* Which fields of struct vas_msg the message carried. */
enum {
	VAS_MSG_HAS_GENERATION	= 1u << 0,
	VAS_MSG_HAS_SEQ		= 1u << 1,
	VAS_MSG_HAS_TIMESTAMP	= 1u << 2,
	VAS_MSG_HAS_WINDOW	= 1u << 3,
	VAS_MSG_HAS_CAPS	= 1u << 4,
	VAS_MSG_HAS_MIGRATION	= 1u << 5,
	VAS_MSG_HAS_TOKEN	= 1u << 6,
};

struct vas_msg {
	uint8_t cmd;			/* VAS_CMD_* */
	uint16_t nlmsg_flags;		/* NLM_F_MULTI, NLM_F_DUMP_INTR, ... */
	unsigned int has;		/* VAS_MSG_HAS_* */
	uint64_t generation;
	uint64_t seq;
	uint64_t timestamp;		/* CLOCK_REALTIME, ns */
	uint64_t token;
	struct vas_window window;
	struct vas_caps caps;
	struct vas_migration migration;
};

int vas_msg_decode(const void *buf, size_t len, struct vas_msg *ret,
		   const char **ret_err);

const char *vas_cmd_to_string(uint32_t cmd);
const char *vas_cop_to_string(uint32_t cop);
const char *vas_win_type_to_string(uint32_t type);
const char *vas_win_state_to_string(uint32_t state);
const char *vas_suspend_reason_to_string(uint32_t reason);
const char *vas_migration_phase_to_string(uint32_t phase);

int vas_win_type_from_string(const char *s);
int vas_migration_phase_from_string(const char *s);
