// SPDX-License-Identifier: GPL-2.0-only
/* observe: a stock kernel's picture as a snapshot. See core/observe.h. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/observe.h"

/* A decimal that fits @max, then only whitespace; no sign. */
static int parse_u64(const char *text, const char **end, uint64_t max,
		     uint64_t *ret)
{
	uint64_t v = 0;
	const char *p = text;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (max - (uint64_t)(*p - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*end = p;
	*ret = v;
	return 0;
}

int observe_parse_credits(const char *text, uint32_t *ret)
{
	const char *end;
	uint64_t v;

	/* sprintf("%d\n") of an atomic_t: never negative for a count */
	if (parse_u64(text, &end, INT32_MAX, &v) < 0 || strcmp(end, "\n") != 0)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

int observe_parse_stat_start(const char *text, uint64_t *ret)
{
	/* comm may hold spaces and parentheses: the fields follow the last ')' */
	const char *p = strrchr(text, ')'), *end;

	if (!p)
		return -EINVAL;
	p++;
	/* field 3 (state) to field 22 (starttime) */
	for (int field = 3; field <= 22; field++) {
		if (*p != ' ')
			return -EINVAL;
		p++;
		if (field == 22)
			return parse_u64(p, &end, UINT64_MAX, ret);
		p += strcspn(p, " ");
	}
	return -EINVAL;
}

int observe_parse_status_uid(const char *text, uint32_t *ret)
{
	const char *p = text, *end;
	uint64_t v;

	while (p) {
		if (strncmp(p, "Uid:\t", 5) == 0) {
			if (parse_u64(p + 5, &end, UINT32_MAX, &v) < 0 ||
			    *end != '\t')
				return -EINVAL;
			*ret = (uint32_t)v;	/* the real uid */
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -EINVAL;
}

void observe_parse_comm(const char *text, char comm[VAS_COMM_MAX])
{
	size_t n = strcspn(text, "\n");

	if (n > VAS_COMM_MAX - 1)
		n = VAS_COMM_MAX - 1;
	memcpy(comm, text, n);
	comm[n] = '\0';
}

bool observe_link_is_device(const char *target)
{
	return strcmp(target, OBSERVE_DEVICE) == 0;
}

uint32_t observe_count_maps(const char *text)
{
	const size_t len = strlen(OBSERVE_DEVICE);
	const char *line = text;
	uint32_t n = 0;

	/* address perms offset dev inode, then spaces, then the path */
	while (*line) {
		const char *eol = strchr(line, '\n'), *p = line;
		size_t linelen = eol ? (size_t)(eol - line) : strlen(line);

		for (int f = 0; f < 5 && p < line + linelen; f++) {
			p += strcspn(p, " \n");
			p += strspn(p, " ");
		}
		if ((size_t)(line + linelen - p) == len &&
		    memcmp(p, OBSERVE_DEVICE, len) == 0)
			n++;
		if (!eol)
			break;
		line = eol + 1;
	}
	return n;
}

void observe_table_done(struct observe_table *t)
{
	free(t->v);
	*t = (struct observe_table) { 0 };
}

static int known_by_id(const void *a, const void *b)
{
	const struct observe_known *x = a, *y = b;

	return x->window.id < y->window.id ? -1 : x->window.id > y->window.id;
}

int observe_table_seed(struct observe_table *t, const struct vasd_state *s)
{
	size_t n = vasd_state_n_windows(s), cursor = 0;
	struct observe_known *v = calloc(n ? n : 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	free(t->v);
	t->v = v;
	t->n = n;
	t->next_id = 1;
	for (size_t i = 0; i < n; i++) {
		v[i].window = *vasd_state_next_window(s, &cursor);
		v[i].fd = -1;
		if (v[i].window.id >= t->next_id)
			t->next_id = v[i].window.id + 1;
	}
	qsort(v, n, sizeof(*v), known_by_id);
	return 0;
}

static int handle_cmp(const void *a, const void *b)
{
	const struct observe_handle *x = *(const struct observe_handle *const *)a;
	const struct observe_handle *y = *(const struct observe_handle *const *)b;

	if (x->tgid != y->tgid)
		return x->tgid < y->tgid ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->fd < y->fd ? -1 : x->fd > y->fd;
}

static bool known_is(const struct observe_known *k,
		     const struct observe_handle *h)
{
	return k->fd == h->fd && k->start == h->start &&
	       k->window.tgid == h->tgid;
}

/* A window from the ledger not matched yet, of the handle's owner. */
static bool known_adopts(const struct observe_known *k,
			 const struct observe_handle *h)
{
	return k->fd < 0 && k->window.tgid == h->tgid &&
	       strcmp(k->window.comm, h->comm) == 0;
}

int observe_table_update(struct observe_table *t,
			 const struct observe_handle *h, size_t n,
			 uint64_t now, uint32_t *ret_added,
			 uint32_t *ret_removed)
{
	const struct observe_handle **sorted = NULL;
	struct observe_known *v;
	bool *kept = NULL;
	uint32_t added = 0, removed = 0;

	sorted = malloc((n ? n : 1) * sizeof(*sorted));
	kept = calloc(t->n ? t->n : 1, sizeof(*kept));
	v = calloc(n ? n : 1, sizeof(*v));
	if (!sorted || !kept || !v) {
		free(sorted);
		free(kept);
		free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		sorted[i] = &h[i];
	qsort(sorted, n, sizeof(*sorted), handle_cmp);

	/* exact matches first, so that adoption cannot take a known one's place */
	for (int pass = 0; pass < 3; pass++) {
		for (size_t i = 0; i < n; i++) {
			const struct observe_handle *x = sorted[i];
			struct observe_known *k = NULL;

			if (v[i].window.id)
				continue;
			for (size_t j = 0; j < t->n && pass < 2 && !k; j++)
				if (!kept[j] && (pass == 0 ? known_is(&t->v[j], x) :
						 known_adopts(&t->v[j], x))) {
					kept[j] = true;
					k = &t->v[j];
				}
			if (k) {
				v[i] = *k;
			} else if (pass == 2) {
				v[i].window = (struct vas_window) {
					.id = t->next_id++,
					.tgid = x->tgid,
					.pid = x->tgid,
					.cop = VAS_COP_GZIP,
					.type = VAS_WIN_TYPE_DEFAULT,
					.state = VAS_WIN_STATE_ACTIVE,
					.reason = VAS_SUSPEND_REASON_NONE,
					.opened_at = now,
					.uid = x->uid,
				};
				memcpy(v[i].window.comm, x->comm, VAS_COMM_MAX);
				v[i].window.comm[VAS_COMM_MAX - 1] = '\0';
				added++;
			} else {
				continue;
			}
			v[i].start = x->start;
			v[i].fd = x->fd;
			v[i].uid = x->uid;
		}
	}
	for (size_t j = 0; j < t->n; j++)
		if (!kept[j])
			removed++;
	/* an id is never given twice while vasd runs: it wraps past 2^32 only */
	if (!t->next_id)
		t->next_id = 1;

	free(sorted);
	free(kept);
	free(t->v);
	t->v = v;
	t->n = n;
	*ret_added = added;
	*ret_removed = removed;
	return 0;
}

void observe_snapshot(const struct observe_table *t,
		      const bool has_total[VASD_N_TYPES],
		      const uint32_t total[VASD_N_TYPES],
		      struct vas_window *windows, struct vasd_snapshot *snap)
{
	uint32_t used[VASD_N_TYPES] = { 0 };

	*snap = (struct vasd_snapshot) { .windows = windows, .n_windows = t->n };
	for (size_t i = 0; i < t->n; i++) {
		windows[i] = t->v[i].window;
		used[windows[i].type]++;
	}
	for (uint32_t type = 0; type < VASD_N_TYPES; type++) {
		snap->has_caps[type] = has_total[type];
		snap->caps[type] = (struct vas_caps) {
			.type = type,
			.total = total[type],
			.used = used[type],
		};
	}
}

void observe_account(uint64_t opens, uint64_t closes, uint32_t added,
		     uint32_t removed, uint64_t *ret_missed,
		     uint64_t *ret_pending)
{
	uint64_t o = opens > added ? opens - added : 0;
	uint64_t c = closes > removed ? closes - removed : 0;
	uint64_t missed = o < c ? o : c;

	*ret_missed = missed;
	*ret_pending = o - missed;
}

static int holder_cmp(const void *a, const void *b)
{
	const struct observe_holder *x = a, *y = b;

	return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
}

int observe_holders(const struct observe_handle *h, size_t n,
		    const uint32_t *tgids, const uint32_t *mapped,
		    size_t n_maps, struct observe_holder **ret,
		    size_t *ret_n)
{
	struct observe_holder *v = calloc(n ? n : 1, sizeof(*v));
	size_t m = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < m && v[j].tgid != h[i].tgid; j++)
			;
		if (j == m) {
			v[m] = (struct observe_holder) {
				.tgid = h[i].tgid,
				.uid = h[i].uid,
			};
			memcpy(v[m].comm, h[i].comm, VAS_COMM_MAX);
			v[m].comm[VAS_COMM_MAX - 1] = '\0';
			for (size_t k = 0; k < n_maps; k++)
				if (tgids[k] == h[i].tgid)
					v[m].mapped = mapped[k];
			m++;
		}
		v[j].windows++;
	}
	qsort(v, m, sizeof(*v), holder_cmp);
	*ret = v;
	*ret_n = m;
	return 0;
}

bool observe_holder_locked(const struct observe_holder *h,
			   const uint32_t *lock_pids, size_t n_locks)
{
	for (size_t j = 0; j < n_locks; j++)
		if (lock_pids[j] == h->tgid)
			return true;
	return false;
}

int observe_uncoordinated(const struct observe_holder *h, size_t n,
			  const uint32_t *lock_pids, size_t n_locks,
			  char **ret)
{
	char *buf = NULL;
	size_t size = 0, k = 0;
	FILE *f;

	*ret = NULL;
	f = open_memstream(&buf, &size);
	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (observe_holder_locked(&h[i], lock_pids, n_locks))
			continue;
		fprintf(f, "%s%" PRIu32 " ", k++ ? ", " : "uncoordinated: ", h[i].tgid);
		for (const unsigned char *c = (const unsigned char *)h[i].comm; *c; c++) {
			if (*c < 0x20 || *c > 0x7e || *c == '\\')
				fprintf(f, "\\x%02x", *c);
			else
				fputc(*c, f);
		}
		fprintf(f, " (%" PRIu32 " window%s)", h[i].windows,
			h[i].windows == 1 ? "" : "s");
	}
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	if (!k) {
		free(buf);
		return 0;
	}
	*ret = buf;
	return 0;
}
