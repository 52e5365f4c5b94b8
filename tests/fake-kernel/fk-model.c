// SPDX-License-Identifier: GPL-2.0-only
/*
 * fk-model: the fake kernel's truth. See fk-model.h.
 *
 * The functions below keep the names and the order of operations of
 * kernel/vas-sim.c so the two can be read side by side; what the module
 * needs only for concurrency (the in-progress counter, the lock modes,
 * the hypervisor's allocation count) has no counterpart here, because the
 * fake kernel runs one operation at a time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fk-model.h"

/* Why a window is closed in the hypervisor (kernel/vas-sim.h). */
#define VAS_WIN_ACTIVE		0x0
#define VAS_WIN_NO_CRED_CLOSE	0x1
#define VAS_WIN_MIGRATE_CLOSE	0x2

#define N_TYPES (VAS_WIN_TYPE_QOS + 1)

struct fk_window {
	struct vas_window ev;		/* what the family reports */
	uint32_t status;		/* VAS_WIN_* */
	uint64_t order;			/* larger: opened later */
	struct fk_window *prev, *next;	/* its type's list, newest first */
};

/* struct vas_caps of vas-sim.c, one per window type. */
struct fk_caps {
	struct fk_window *head, *tail;
	uint32_t initial;		/* total at load (module parameter) */
	uint32_t nr_total_credits;
	uint32_t nr_used_credits;	/* every window, open or closed */
	uint32_t nr_open_windows;	/* listed windows */
	uint32_t nr_close_wins;		/* listed but closed */
};

struct fk_model {
	uint64_t generation;
	uint64_t seq;			/* of the last notification */
	fk_notify_fn notify;
	void *userdata;

	/* every window by id; ids are the lowest free, from 1 (xa_alloc) */
	struct fk_window **by_id;
	size_t n_slots;
	uint32_t free_hint;		/* every id below is taken */
	size_t n_windows;
	uint64_t next_order;

	struct fk_caps caps[N_TYPES];
	struct vas_migration migration;
	bool migration_in_progress;
};

static void notify(struct fk_model *m, uint8_t cmd, uint64_t now,
		   struct vas_msg *msg)
{
	msg->cmd = cmd;
	msg->generation = m->generation;
	msg->seq = ++m->seq;
	msg->timestamp = now;
	m->notify(msg, m->userdata);
}

static void notify_window(struct fk_model *m, uint8_t cmd,
			  const struct fk_window *win, uint64_t now)
{
	struct vas_msg msg = { .window = win->ev };

	notify(m, cmd, now, &msg);
}

static void notify_caps(struct fk_model *m, uint32_t type, uint64_t now)
{
	struct vas_msg msg = { 0 };

	fk_model_caps_get(m, type, &msg.caps);
	notify(m, VAS_CMD_CAPS_CHANGE_NTF, now, &msg);
}

static void notify_migration(struct fk_model *m, uint64_t now)
{
	struct vas_msg msg = { .migration = m->migration };

	notify(m, VAS_CMD_MIGRATION_CHANGE_NTF, now, &msg);
}

int fk_model_new(uint64_t generation, const uint32_t credits[2],
		 fk_notify_fn fn, void *userdata, struct fk_model **ret)
{
	struct fk_model *m;

	if (credits[0] > FK_CREDITS_MAX || credits[1] > FK_CREDITS_MAX)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->notify = fn;
	m->userdata = userdata;
	m->generation = generation;
	m->free_hint = 1;
	for (size_t t = 0; t < N_TYPES; t++) {
		m->caps[t].initial = credits[t];
		m->caps[t].nr_total_credits = credits[t];
	}
	*ret = m;
	return 0;
}

static void free_windows(struct fk_model *m)
{
	for (size_t id = 0; id < m->n_slots; id++)
		free(m->by_id[id]);
	free(m->by_id);
	m->by_id = NULL;
	m->n_slots = 0;
	m->n_windows = 0;
	m->free_hint = 1;
}

struct fk_model *fk_model_free(struct fk_model *m)
{
	if (!m)
		return NULL;
	free_windows(m);
	free(m);
	return NULL;
}

uint64_t fk_model_generation(const struct fk_model *m)
{
	return m->generation;
}

uint64_t fk_model_seq(const struct fk_model *m)
{
	return m->seq;
}

size_t fk_model_n_windows(const struct fk_model *m)
{
	return m->n_windows;
}

uint32_t fk_model_initial_credits(const struct fk_model *m, uint32_t type)
{
	return type < N_TYPES ? m->caps[type].initial : 0;
}

/* xa_alloc() into an XARRAY_ALLOC1: the lowest free id from 1. */
static int id_alloc(struct fk_model *m, struct fk_window *win)
{
	uint32_t id = m->free_hint;

	while (id < m->n_slots && m->by_id[id])
		id++;
	if (id == UINT32_MAX)
		return -EBUSY;
	if (id >= m->n_slots) {
		size_t n = m->n_slots ? m->n_slots * 2 : 64;
		struct fk_window **p = realloc(m->by_id, n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		memset(p + m->n_slots, 0, (n - m->n_slots) * sizeof(*p));
		m->by_id = p;
		m->n_slots = n;
	}
	m->by_id[id] = win;
	m->free_hint = id + 1;
	win->ev.id = id;
	return 0;
}

static void id_free(struct fk_model *m, uint32_t id)
{
	m->by_id[id] = NULL;
	if (id < m->free_hint)
		m->free_hint = id;
}

static void list_add(struct fk_caps *caps, struct fk_window *win)
{
	win->prev = NULL;
	win->next = caps->head;
	if (caps->head)
		caps->head->prev = win;
	else
		caps->tail = win;
	caps->head = win;
}

static void list_del(struct fk_caps *caps, struct fk_window *win)
{
	if (win->prev)
		win->prev->next = win->next;
	else
		caps->head = win->next;
	if (win->next)
		win->next->prev = win->prev;
	else
		caps->tail = win->prev;
}

/*
 * vas_win_set_status(): the state and reason the family reports follow
 * the status; a change of them is notified. A migration's reason wins
 * over lost credits.
 */
static void vas_win_set_status(struct fk_model *m, struct fk_window *win,
			       uint32_t status, uint64_t now)
{
	uint32_t state = VAS_WIN_STATE_ACTIVE;
	uint32_t reason = VAS_SUSPEND_REASON_NONE;

	win->status = status;
	if (status & VAS_WIN_MIGRATE_CLOSE) {
		state = VAS_WIN_STATE_SUSPENDED;
		reason = VAS_SUSPEND_REASON_MIGRATION;
	} else if (status & VAS_WIN_NO_CRED_CLOSE) {
		state = VAS_WIN_STATE_SUSPENDED;
		reason = VAS_SUSPEND_REASON_CREDITS;
	}
	if (state == win->ev.state && reason == win->ev.reason)
		return;
	win->ev.state = state;
	win->ev.reason = reason;
	notify_window(m, VAS_CMD_WINDOW_CHANGE_NTF, win, now);
}

/**
 * fk_model_open() - vas_allocate_window(): open a window
 * @m: the model
 * @type: enum vas_win_type
 * @tgid: owner process
 * @pid: opening thread
 * @uid: its uid
 * @comm: owner's name (truncated to 15 characters)
 * @now: CLOCK_REALTIME ns: the window's opened_at and the event's time
 * @ret_id: the new window's id
 *
 * Returns: 0 (WINDOW_ADD_NTF sent); -EINVAL when the type has no credit
 * left (or is unknown); -EBUSY during a migration or while windows of the
 * type are closed for lost credits; -ENOMEM.
 */
static int window_open(struct fk_model *m, struct fk_caps *caps,
		       uint32_t type, uint32_t tgid, uint32_t pid,
		       uint32_t uid, const char *comm, uint64_t now,
		       uint32_t *ret_id);

int fk_model_open(struct fk_model *m, uint32_t type, uint32_t tgid,
		  uint32_t pid, uint32_t uid, const char *comm, uint64_t now,
		  uint32_t *ret_id)
{
	struct fk_caps *caps;

	if (type >= N_TYPES)
		return -EINVAL;
	caps = &m->caps[type];

	if (caps->nr_used_credits + 1 > caps->nr_total_credits)
		return -EINVAL;
	if (m->migration_in_progress)
		return -EBUSY;
	/* windows closed for lost credits are reopened before new ones */
	if (caps->nr_close_wins)
		return -EBUSY;
	return window_open(m, caps, type, tgid, pid, uid, comm, now, ret_id);
}

/* The open path after its checks: the window is listed and announced. */
static int window_open(struct fk_model *m, struct fk_caps *caps,
		       uint32_t type, uint32_t tgid, uint32_t pid,
		       uint32_t uid, const char *comm, uint64_t now,
		       uint32_t *ret_id)
{
	struct fk_window *txwin;
	size_t n;
	int r;

	txwin = calloc(1, sizeof(*txwin));
	if (!txwin)
		return -ENOMEM;
	r = id_alloc(m, txwin);
	if (r < 0) {
		free(txwin);
		return r;
	}
	txwin->ev.tgid = tgid;
	txwin->ev.pid = pid;
	n = strnlen(comm, sizeof(txwin->ev.comm) - 1);
	memcpy(txwin->ev.comm, comm, n);
	txwin->ev.cop = VAS_COP_GZIP;
	txwin->ev.type = type;
	txwin->ev.state = VAS_WIN_STATE_ACTIVE;
	txwin->ev.reason = VAS_SUSPEND_REASON_NONE;
	txwin->ev.opened_at = now;
	txwin->ev.uid = uid;
	txwin->status = VAS_WIN_ACTIVE;
	txwin->order = ++m->next_order;

	list_add(caps, txwin);
	caps->nr_used_credits++;
	caps->nr_open_windows++;
	m->n_windows++;
	notify_window(m, VAS_CMD_WINDOW_ADD_NTF, txwin, now);
	*ret_id = txwin->ev.id;
	return 0;
}

/**
 * fk_model_close() - vas_deallocate_window(): its owner closed the file
 * @m: the model
 * @id: the window
 * @now: CLOCK_REALTIME ns of the event
 *
 * Returns: 0 (WINDOW_DEL_NTF sent, with the window's last state), or
 * -ENOENT.
 */
int fk_model_close(struct fk_model *m, uint32_t id, uint64_t now)
{
	struct fk_window *win = id < m->n_slots ? m->by_id[id] : NULL;
	struct fk_caps *caps;

	if (!win)
		return -ENOENT;
	caps = &m->caps[win->ev.type];

	if (win->status != VAS_WIN_ACTIVE)
		caps->nr_close_wins--;
	list_del(caps, win);
	caps->nr_used_credits--;
	caps->nr_open_windows--;
	m->n_windows--;
	notify_window(m, VAS_CMD_WINDOW_DEL_NTF, win, now);

	id_free(m, id);
	free(win);
	return 0;
}

/*
 * reconfig_open_windows(): reopen windows closed for lost credits or for a
 * migration, as many as @creds allows (all for a migration). The closed
 * windows are the newest, so the ones the credits cannot cover are skipped
 * from the head of the list and the oldest closed windows reopen first.
 */
static void reconfig_open_windows(struct fk_model *m, struct fk_caps *vcaps,
				  int64_t creds, bool migrate, uint64_t now)
{
	uint32_t flag = migrate ? VAS_WIN_MIGRATE_CLOSE : VAS_WIN_NO_CRED_CLOSE;
	struct fk_window *win;
	int64_t mv_ents = 0;

	if (!vcaps->nr_close_wins)
		return;

	if ((int64_t)vcaps->nr_close_wins > creds && !migrate)
		mv_ents = (int64_t)vcaps->nr_close_wins - creds;

	for (win = vcaps->head; win; win = win->next) {
		if (mv_ents) {
			mv_ents--;
			continue;
		}

		/* closed for both reasons: stays closed for the other one */
		if ((win->status & VAS_WIN_NO_CRED_CLOSE) &&
		    (win->status & VAS_WIN_MIGRATE_CLOSE)) {
			vas_win_set_status(m, win, win->status & ~flag, now);
			continue;
		}

		if (!(win->status & flag))
			continue;

		vas_win_set_status(m, win, VAS_WIN_ACTIVE, now);
		if (!--vcaps->nr_close_wins)
			break;
	}
}

/*
 * reconfig_close_windows(): close @excess_creds active windows, newest
 * first (all of them for a migration); they stay listed until their owner
 * closes them.
 */
static void reconfig_close_windows(struct fk_model *m, struct fk_caps *vcap,
				   int64_t excess_creds, bool migrate,
				   uint64_t now)
{
	uint32_t flag = migrate ? VAS_WIN_MIGRATE_CLOSE : VAS_WIN_NO_CRED_CLOSE;
	struct fk_window *win;

	for (win = vcap->head; win; win = win->next) {
		/* already closed: remember this reason too */
		if (win->status != VAS_WIN_ACTIVE) {
			vas_win_set_status(m, win, win->status | flag, now);
			continue;
		}

		vas_win_set_status(m, win, flag, now);
		vcap->nr_close_wins++;

		if (!migrate && !--excess_creds)
			break;
	}
}

/**
 * fk_model_set_credits() - vas_reconfig_capabilties(): a DLPAR change
 * @m: the model
 * @type: enum vas_win_type
 * @total: the new total
 * @now: CLOCK_REALTIME ns of the events
 *
 * Fewer credits suspend the newest active windows, more credits resume
 * windows suspended for lost credits, oldest first; CAPS_CHANGE_NTF when
 * the total changed.
 *
 * Returns: 0, or -EINVAL for an unknown type or more than FK_CREDITS_MAX.
 */
int fk_model_set_credits(struct fk_model *m, uint32_t type, uint32_t total,
			 uint64_t now)
{
	int64_t old_nr_creds, new_nr_creds, nr_active_wins;
	struct fk_caps *vcaps;

	if (type >= N_TYPES || total > FK_CREDITS_MAX)
		return -EINVAL;

	vcaps = &m->caps[type];
	new_nr_creds = total;
	old_nr_creds = vcaps->nr_total_credits;
	vcaps->nr_total_credits = total;

	nr_active_wins = (int64_t)vcaps->nr_open_windows - vcaps->nr_close_wins;
	if (old_nr_creds < new_nr_creds)
		reconfig_open_windows(m, vcaps, new_nr_creds - nr_active_wins,
				      false, now);
	else if (nr_active_wins > new_nr_creds)
		reconfig_close_windows(m, vcaps, nr_active_wins - new_nr_creds,
				       false, now);

	if (old_nr_creds != new_nr_creds)
		notify_caps(m, type, now);
	return 0;
}

static void migration_set_phase(struct fk_model *m, uint32_t phase,
				uint64_t now)
{
	m->migration.phase = phase;
	notify_migration(m, now);
}

void fk_model_migration_prepare(struct fk_model *m, uint64_t stream_id,
				uint64_t token, uint64_t now)
{
	m->migration.stream_id = stream_id;
	m->migration.token = token;
	migration_set_phase(m, VAS_MIGRATION_PHASE_PREPARE, now);
}

/* vas_migration_handler(VAS_SUSPEND) between SUSPENDING and SUSPENDED. */
void fk_model_migration_suspend(struct fk_model *m, uint32_t missed,
				uint64_t now)
{
	uint32_t id;

	migration_set_phase(m, VAS_MIGRATION_PHASE_SUSPENDING, now);
	m->migration_in_progress = true;
	for (size_t t = 0; t < N_TYPES; t++)
		reconfig_close_windows(m, &m->caps[t],
				       m->caps[t].nr_open_windows, true, now);
	/*
	 * The seed's race: opens that passed their checks before the
	 * suspend began are listed after it ran, and stay active.
	 */
	for (uint32_t i = 0; i < missed; i++) {
		struct fk_caps *caps = &m->caps[VAS_WIN_TYPE_DEFAULT];

		if (caps->nr_used_credits + 1 > caps->nr_total_credits ||
		    window_open(m, caps, VAS_WIN_TYPE_DEFAULT, 1000, 1000,
				1000, "raced", now, &id) < 0)
			break;
	}
	migration_set_phase(m, VAS_MIGRATION_PHASE_SUSPENDED, now);
}

/* vas_migration_handler(VAS_RESUME), RESUMED, and the outcome. */
void fk_model_migration_resume(struct fk_model *m, bool aborted, uint64_t now)
{
	m->migration_in_progress = false;
	for (size_t t = 0; t < N_TYPES; t++)
		reconfig_open_windows(m, &m->caps[t],
				      m->caps[t].nr_total_credits, true, now);
	migration_set_phase(m, VAS_MIGRATION_PHASE_RESUMED, now);
	migration_set_phase(m, aborted ? VAS_MIGRATION_PHASE_ABORTED :
					 VAS_MIGRATION_PHASE_COMPLETED, now);
}

void fk_model_reload(struct fk_model *m, uint64_t generation)
{
	free_windows(m);
	m->generation = generation;
	m->seq = 0;
	for (size_t t = 0; t < N_TYPES; t++)
		m->caps[t] = (struct fk_caps) {
			.initial = m->caps[t].initial,
			.nr_total_credits = m->caps[t].initial,
		};
	m->migration = (struct vas_migration) { 0 };
	m->migration_in_progress = false;
}

const struct vas_window *fk_model_window_get(const struct fk_model *m,
					     uint32_t id)
{
	if (id >= m->n_slots || !m->by_id[id])
		return NULL;
	return &m->by_id[id]->ev;
}

const struct vas_window *fk_model_window_next(const struct fk_model *m,
					      uint32_t pos)
{
	for (size_t id = pos; id < m->n_slots; id++)
		if (m->by_id[id])
			return &m->by_id[id]->ev;
	return NULL;
}

/* vas_sim_caps_get(): used credits are those of the active windows. */
int fk_model_caps_get(const struct fk_model *m, uint32_t type,
		      struct vas_caps *ret)
{
	const struct fk_caps *caps;

	if (type >= N_TYPES)
		return -EINVAL;
	caps = &m->caps[type];
	*ret = (struct vas_caps) {
		.type = type,
		.total = caps->nr_total_credits,
		.used = caps->nr_open_windows - caps->nr_close_wins,
	};
	return 0;
}

void fk_model_migration_get(const struct fk_model *m,
			    struct vas_migration *ret)
{
	*ret = m->migration;
}

uint32_t fk_model_newest(const struct fk_model *m)
{
	const struct fk_window *best = NULL;

	for (size_t t = 0; t < N_TYPES; t++) {
		const struct fk_window *w = m->caps[t].head;

		if (w && (!best || w->order > best->order))
			best = w;
	}
	return best ? best->ev.id : 0;
}

uint32_t fk_model_oldest(const struct fk_model *m)
{
	const struct fk_window *best = NULL;

	for (size_t t = 0; t < N_TYPES; t++) {
		const struct fk_window *w = m->caps[t].tail;

		if (w && (!best || w->order < best->order))
			best = w;
	}
	return best ? best->ev.id : 0;
}
