/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fk-truth: the fake kernel's state as JSON, for tests to compare with
 * what a client (vasd) made of its events and dumps. Written to a
 * temporary file and renamed, so that a reader that sees the file sees
 * all of it, and knows that the script got that far.
 *
 * {
 *   "generation": u64, "seq": u64,
 *   "windows": [ { "id", "tgid", "pid", "comm", "cop", "type", "state",
 *                  "reason", "opened_at", "uid" }, ... ]      (by id)
 *   "caps": [ { "type", "total", "used" }, ... ]      (default, qos)
 *   "migration": { "stream_id", "phase", "token" },
 *   "coordinator": bool, "listeners": n
 * }
 *
 * Enumerations are their uapi values (proto/vas.h), as on the wire.
 */
#pragma once

#include "fk-model.h"
#include "fk-server.h"

int fk_truth_write(const struct fk_model *m, const struct fk_server *s,
		   const char *path);
