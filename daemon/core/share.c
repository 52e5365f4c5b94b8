// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>

#include "core/share.h"

struct bucket {
	uint32_t uid;
	int64_t tokens;			/* ns; below 0 after a costly call */
	uint64_t at;			/* when tokens was last brought up to date */
	uint64_t used;			/* for forgetting the least recent */
};

struct share_table {
	struct share_config config;
	struct bucket *buckets;
	unsigned int n;
	uint64_t clock;			/* use counter */
};

int share_table_new(const struct share_config *config, struct share_table **ret)
{
	struct share_table *t;

	if (config->max_uids == 0 || config->burst > INT64_MAX / 2)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->buckets = calloc(config->max_uids, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return -ENOMEM;
	}
	t->config = *config;
	*ret = t;
	return 0;
}

struct share_table *share_table_free(struct share_table *t)
{
	if (t) {
		free(t->buckets);
		free(t);
	}
	return NULL;
}

static void refill(const struct share_config *c, struct bucket *b, uint64_t now)
{
	uint64_t gain;

	if (now <= b->at)
		return;
	/* in two steps: (now - at) * rate would overflow after hours */
	gain = (now - b->at) / 1000000 * c->rate_per_sec / 1000 +
	       (now - b->at) % 1000000 * c->rate_per_sec / 1000000000;
	/* less than a unit: the time is kept for the next refill */
	if (gain == 0)
		return;
	b->at = now;
	if (gain >= c->burst || b->tokens + (int64_t)gain >= (int64_t)c->burst)
		b->tokens = (int64_t)c->burst;
	else
		b->tokens += (int64_t)gain;
}

/* uid's bucket, made (full) if it has none; the least recent goes first. */
static struct bucket *find(struct share_table *t, uint32_t uid, uint64_t now)
{
	struct bucket *b = NULL;

	for (unsigned int i = 0; i < t->n; i++)
		if (t->buckets[i].uid == uid) {
			b = &t->buckets[i];
			break;
		}
	if (!b) {
		if (t->n < t->config.max_uids) {
			b = &t->buckets[t->n++];
		} else {
			b = &t->buckets[0];
			for (unsigned int i = 1; i < t->n; i++)
				if (t->buckets[i].used < b->used)
					b = &t->buckets[i];
		}
		*b = (struct bucket) {
			.uid = uid,
			.tokens = (int64_t)t->config.burst,
			.at = now,
		};
	}
	b->used = ++t->clock;
	refill(&t->config, b, now);
	return b;
}

bool share_admit(struct share_table *t, uint32_t uid, uint64_t now,
		 uint64_t *ret_wait)
{
	struct bucket *b = find(t, uid, now);

	if (b->tokens > 0)
		return true;
	if (ret_wait)
		*ret_wait = t->config.rate_per_sec ?
			((uint64_t)(-b->tokens) + 1) * 1000000000 / t->config.rate_per_sec :
			UINT64_MAX;
	return false;
}

void share_charge(struct share_table *t, uint32_t uid, uint64_t now,
		  uint64_t cost)
{
	struct bucket *b = find(t, uid, now);

	if (cost > (uint64_t)INT64_MAX / 2)
		cost = (uint64_t)INT64_MAX / 2;
	/* at most one burst in debt: a single huge call is not punished forever */
	if (b->tokens - (int64_t)cost < -(int64_t)t->config.burst)
		b->tokens = -(int64_t)t->config.burst;
	else
		b->tokens -= (int64_t)cost;
}
