/* SPDX-License-Identifier: GPL-2.0-only */
/* The blackout figures, as the migration report and status tests check them. */
#pragma once

#include <stdint.h>

#include "core/migration-report.h"
#include "test.h"

static inline void expect_blackout(const struct migration_blackout *b,
				   uint64_t first, uint64_t last,
				   uint32_t suspended, uint32_t resumed)
{
	ASSERT_UINT_EQ(b->first_suspended, first);
	ASSERT_UINT_EQ(b->last_resumed, last);
	ASSERT_UINT_EQ(b->suspended, suspended);
	ASSERT_UINT_EQ(b->resumed, resumed);
}
