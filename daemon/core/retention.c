// SPDX-License-Identifier: GPL-2.0-only
#include "core/migration-status.h"
#include "core/retention.h"

int64_t retention_keep_from(const struct retention_limits *limits,
			    const struct retention_view *v)
{
	int64_t keep = v->first, n = v->last - v->first + 1;

	if (v->first <= 0 || n <= 1)
		return v->first;
	if (limits->max_use > 0 && v->used_bytes > limits->max_use) {
		int64_t target = limits->max_use / 4 * 3;
		int64_t per_event = v->used_bytes / n;
		int64_t drop;

		if (per_event < 1)
			per_event = 1;
		/* rounded up: at least one event goes */
		drop = (v->used_bytes - target + per_event - 1) / per_event;
		keep = drop >= n ? v->last : v->first + drop;
	}
	if (limits->max_age > 0 && v->young_from > keep)
		keep = v->young_from;
	if (keep > v->last)
		keep = v->last;
	/* the coordinator reads back from the open and the two before it */
	if (v->open_migration > 0 &&
	    keep > v->open_migration - MIGRATION_STATUS_LOOKBACK)
		keep = v->open_migration - MIGRATION_STATUS_LOOKBACK;
	return keep < v->first ? v->first : keep;
}
