/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * Generic netlink family "vas": VAS window, credit and migration events.
 *
 * This header is the user-space/kernel contract. proto/vas.yaml describes
 * the same family in the style of Documentation/netlink/specs; the unit
 * test "proto-consistency" fails when the two disagree.
 */
#ifndef _UAPI_LINUX_VAS_H
#define _UAPI_LINUX_VAS_H

#define VAS_FAMILY_NAME		"vas"
#define VAS_FAMILY_VERSION	1

enum vas_win_type {
	VAS_WIN_TYPE_DEFAULT,
	VAS_WIN_TYPE_QOS,
};

enum vas_win_state {
	VAS_WIN_STATE_ACTIVE,
	VAS_WIN_STATE_SUSPENDED,
};

/* Why a window is suspended; NONE while it is active. */
enum vas_suspend_reason {
	VAS_SUSPEND_REASON_NONE,
	VAS_SUSPEND_REASON_MIGRATION,
	VAS_SUSPEND_REASON_CREDITS,
};

/* Order of a migration, as pseries_migrate_partition() runs it. */
enum vas_migration_phase {
	VAS_MIGRATION_PHASE_NONE,
	VAS_MIGRATION_PHASE_PREPARE,
	VAS_MIGRATION_PHASE_SUSPENDING,
	VAS_MIGRATION_PHASE_SUSPENDED,
	VAS_MIGRATION_PHASE_RESUMED,
	VAS_MIGRATION_PHASE_COMPLETED,
	VAS_MIGRATION_PHASE_ABORTED,
};

/* Coprocessor type of a window (only gzip exists on PowerVM today). */
enum vas_cop {
	VAS_COP_GZIP,
};

/* Top-level attributes: every message of the family uses this set. */
enum {
	VAS_A_PAD = 1,
	VAS_A_GENERATION,	/* u64: random, new on every load/boot */
	VAS_A_SEQ,		/* u64: per instance, contiguous */
	VAS_A_TIMESTAMP,	/* u64: CLOCK_REALTIME, ns */
	VAS_A_WINDOW,		/* nest: VAS_A_WINDOW_* */
	VAS_A_CAPS,		/* nest: VAS_A_CAPS_* */
	VAS_A_MIGRATION,	/* nest: VAS_A_MIGRATION_* */
	VAS_A_TOKEN,		/* u64: coordinator ack token */

	__VAS_A_MAX,
	VAS_A_MAX = (__VAS_A_MAX - 1)
};

enum {
	VAS_A_WINDOW_PAD = 1,
	VAS_A_WINDOW_ID,	/* u32 */
	VAS_A_WINDOW_TGID,	/* u32: owning process */
	VAS_A_WINDOW_PID,	/* u32: opening thread */
	VAS_A_WINDOW_COMM,	/* string: owner's comm */
	VAS_A_WINDOW_COP,	/* u32: enum vas_cop */
	VAS_A_WINDOW_TYPE,	/* u32: enum vas_win_type */
	VAS_A_WINDOW_STATE,	/* u32: enum vas_win_state */
	VAS_A_WINDOW_REASON,	/* u32: enum vas_suspend_reason */
	VAS_A_WINDOW_OPENED_AT,	/* u64: CLOCK_REALTIME, ns */
	VAS_A_WINDOW_UID,	/* u32: opener's uid; absent: not known */

	__VAS_A_WINDOW_MAX,
	VAS_A_WINDOW_MAX = (__VAS_A_WINDOW_MAX - 1)
};

enum {
	VAS_A_CAPS_TYPE = 1,	/* u32: enum vas_win_type */
	VAS_A_CAPS_TOTAL,	/* u32: total credits */
	VAS_A_CAPS_USED,	/* u32: credits held by active windows */

	__VAS_A_CAPS_MAX,
	VAS_A_CAPS_MAX = (__VAS_A_CAPS_MAX - 1)
};

enum {
	VAS_A_MIGRATION_PAD = 1,
	VAS_A_MIGRATION_STREAM_ID,	/* u64: as written to the mobility file */
	VAS_A_MIGRATION_PHASE,		/* u32: enum vas_migration_phase */
	VAS_A_MIGRATION_TOKEN,		/* u64: ack token, set in PREPARE */

	__VAS_A_MIGRATION_MAX,
	VAS_A_MIGRATION_MAX = (__VAS_A_MIGRATION_MAX - 1)
};

enum {
	VAS_CMD_WINDOW_GET = 1,
	VAS_CMD_WINDOW_ADD_NTF,
	VAS_CMD_WINDOW_DEL_NTF,
	VAS_CMD_WINDOW_CHANGE_NTF,
	VAS_CMD_CAPS_GET,
	VAS_CMD_CAPS_CHANGE_NTF,
	VAS_CMD_MIGRATION_GET,
	VAS_CMD_MIGRATION_CHANGE_NTF,
	VAS_CMD_COORD_REGISTER,
	VAS_CMD_COORD_UNREGISTER,
	VAS_CMD_COORD_ACK,

	__VAS_CMD_MAX,
	VAS_CMD_MAX = (__VAS_CMD_MAX - 1)
};

#define VAS_MCGRP_EVENTS	"events"

#endif /* _UAPI_LINUX_VAS_H */
