/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fk-model: the fake kernel's truth, with the semantics of
 * kernel/vas-sim.c (which follows arch/powerpc/platforms/pseries/vas.c):
 * window ids, credits per type, suspension of the newest windows when
 * credits shrink and resumption of the oldest when they grow, migrations
 * that suspend and resume every window, and the numbering of the
 * notifications those changes send.
 *
 * Pure: no I/O, no clock (callers pass the time), no globals. Every
 * notification goes to the callback given at creation, in the order the
 * module sends them, with the next seq of the instance.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netlink/vas-msg.h"
#include "util/macro.h"

/* The hypervisor counts credits in 16 bits. */
#define FK_CREDITS_MAX 65535

struct fk_model;

typedef void (*fk_notify_fn)(const struct vas_msg *m, void *userdata);

int fk_model_new(uint64_t generation, const uint32_t credits[2],
		 fk_notify_fn notify, void *userdata, struct fk_model **ret);
struct fk_model *fk_model_free(struct fk_model *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct fk_model, fk_model_free)

uint64_t fk_model_generation(const struct fk_model *m);
uint64_t fk_model_seq(const struct fk_model *m);
size_t fk_model_n_windows(const struct fk_model *m);

/* What the module's operations do (vas-sim.c), and the errors they give. */
int fk_model_open(struct fk_model *m, uint32_t type, uint32_t tgid,
		  uint32_t pid, uint32_t uid, const char *comm, uint64_t now,
		  uint32_t *ret_id);
int fk_model_close(struct fk_model *m, uint32_t id, uint64_t now);
int fk_model_set_credits(struct fk_model *m, uint32_t type, uint32_t total,
			 uint64_t now);

/*
 * A migration, in the three steps between which vas_sim_migrate() waits:
 * PREPARE (then the coordinator's ack); SUSPENDING, every window
 * suspended, SUSPENDED (then the hypervisor's pause); every window
 * resumed, RESUMED, COMPLETED or ABORTED. missed: default windows (tgid
 * 1000, comm "raced") opened during the suspend and listed after it, as
 * in the pre-fix race of the seed: active at SUSPENDED, while credits
 * last.
 */
void fk_model_migration_prepare(struct fk_model *m, uint64_t stream_id,
				uint64_t token, uint64_t now);
void fk_model_migration_suspend(struct fk_model *m, uint32_t missed,
				uint64_t now);
void fk_model_migration_resume(struct fk_model *m, bool aborted,
			       uint64_t now);

/*
 * The module unloaded and loaded again: a new generation, seq from 0, no
 * windows, the initial credits, no migration. Sends nothing.
 */
void fk_model_reload(struct fk_model *m, uint64_t generation);

/* Reading, for the family's GET commands and the truth. */
const struct vas_window *fk_model_window_get(const struct fk_model *m,
					     uint32_t id);
/* The window of lowest id >= pos, or NULL. */
const struct vas_window *fk_model_window_next(const struct fk_model *m,
					      uint32_t pos);
/* 0 and the caps of @type, or -EINVAL for an unknown type. */
int fk_model_caps_get(const struct fk_model *m, uint32_t type,
		      struct vas_caps *ret);
void fk_model_migration_get(const struct fk_model *m,
			    struct vas_migration *ret);
uint32_t fk_model_initial_credits(const struct fk_model *m, uint32_t type);

/* The id of the most (least) recently opened window, or 0 without any. */
uint32_t fk_model_newest(const struct fk_model *m);
uint32_t fk_model_oldest(const struct fk_model *m);
