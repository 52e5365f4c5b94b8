// SPDX-License-Identifier: GPL-2.0-only
/*
 * ledger-fill DB N SUSPENDED: put N windows (the first SUSPENDED of them
 * suspended) into the ledger DB, as a resync of vasd's own code would:
 * vasd_reconcile() from the stored projection to a made-up kernel picture,
 * each event folded with vasd_apply() and appended in one transaction. A
 * vasd started on DB without a kernel then serves these windows.
 *
 * Window i (1..N): tgid and pid 1000+i, comm "job<i>" (window 2: "bad\xff",
 * not UTF-8), type qos for even i, default otherwise, opened at i seconds,
 * uid 2000+i (window 3: not known).
 * Credits: 1000 of each type.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/state.h"
#include "ledger/ledger.h"

#define GENERATION 0x5d1c0a7e93b2f468ull

static int fill(const char *path, uint32_t n, uint32_t suspended)
{
	_cleanup_(ledger_freep) struct ledger *l = NULL;
	_cleanup_(vasd_state_freep) struct vasd_state *s = NULL;
	struct vasd_snapshot snap = { .generation = GENERATION, .seq = n };
	struct vasd_event begin = { .kind = VASD_EVENT_RESYNC_BEGIN,
				    .reason = VASD_RESYNC_START };
	struct vas_window *w;
	struct vasd_event *events = NULL;
	struct timespec ts;
	size_t n_events = 0;
	int r;

	r = ledger_open(path, LEDGER_READ_WRITE, &l, NULL);
	if (r >= 0)
		r = vasd_state_new(&s);
	if (r >= 0)
		r = ledger_load_state(l, s);
	if (r < 0)
		return r;

	w = calloc(n ? n : 1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	for (uint32_t t = 0; t < VASD_N_TYPES; t++) {
		snap.caps[t] = (struct vas_caps) { .type = t, .total = 1000 };
		snap.has_caps[t] = true;
	}
	for (uint32_t i = 0; i < n; i++) {
		w[i].id = i + 1;
		w[i].tgid = w[i].pid = 1000 + i + 1;
		if (i + 1 == 2)
			strcpy(w[i].comm, "bad\xff");
		else
			snprintf(w[i].comm, sizeof(w[i].comm), "job%u", i + 1);
		w[i].type = (i + 1) % 2 == 0 ? VAS_WIN_TYPE_QOS : VAS_WIN_TYPE_DEFAULT;
		w[i].state = i < suspended ? VAS_WIN_STATE_SUSPENDED : VAS_WIN_STATE_ACTIVE;
		w[i].reason = i < suspended ? VAS_SUSPEND_REASON_CREDITS : VAS_SUSPEND_REASON_NONE;
		w[i].opened_at = (uint64_t)(i + 1) * 1000000000ull;
		w[i].uid = i + 1 == 3 ? VAS_UID_UNKNOWN : 2000 + i + 1;
		if (w[i].state == VAS_WIN_STATE_ACTIVE)
			snap.caps[w[i].type].used++;
	}
	snap.windows = w;
	snap.n_windows = n;
	snap.has_migration = true;

	clock_gettime(CLOCK_REALTIME, &ts);
	r = vasd_reconcile(s, &snap, &begin,
			   (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec,
			   &events, &n_events);
	if (r >= 0)
		r = ledger_begin(l);
	for (size_t i = 0; i < n_events && r >= 0; i++) {
		struct vasd_effect effect;

		r = vasd_apply(s, &events[i], &effect);
		if (r == VASD_APPLY_APPLIED)
			r = ledger_append(l, &events[i], &effect);
		else if (r >= 0)
			r = -EUCLEAN;
	}
	if (r >= 0)
		r = ledger_commit(l);
	free(events);
	free(w);
	return r;
}

int main(int argc, char **argv)
{
	int r;

	if (argc != 4) {
		fprintf(stderr, "Usage: ledger-fill DB N SUSPENDED\n");
		return 2;
	}
	r = fill(argv[1], (uint32_t)strtoul(argv[2], NULL, 10),
		 (uint32_t)strtoul(argv[3], NULL, 10));
	if (r < 0) {
		fprintf(stderr, "ledger-fill: %s\n", strerror(-r));
		return 1;
	}
	return 0;
}
