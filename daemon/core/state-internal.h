/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What apply.c and reconcile.c need of state.c beyond state.h: the window
 * changes that only the fold makes, and the rules for window values that
 * the fold, restoring and reconciling share.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/state.h"

/*
 * 0 when the kernel could have sent w: a known type, state and reason,
 * suspended exactly when there is a reason, a NUL-terminated comm; the
 * coprocessor is not looked at (nothing here depends on it, and a newer
 * kernel may add one). -EINVAL otherwise.
 */
int vasd_window_check(const struct vas_window *w);

/* The same window opened once: everything but id, state and reason. */
bool vasd_window_same_identity(const struct vas_window *a,
			       const struct vas_window *b);
bool vasd_window_equal(const struct vas_window *a, const struct vas_window *b);

/* Remove the window with this id, which must be present. */
void vasd_state_del_window(struct vasd_state *s, uint32_t id);
/* Set state and reason of the window with this id, which must be present. */
void vasd_state_set_window_state(struct vasd_state *s, uint32_t id,
				 uint32_t win_state, uint32_t reason);

/* Windows of a type that hold a credit: the active ones (see state.h). */
uint32_t vasd_state_n_used(const struct vasd_state *s, uint32_t type);
