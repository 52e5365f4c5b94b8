// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/vas-msg.h"
#include "snapshot.h"

struct dump_ctx {
	struct snapshot *s;
	uint64_t generation, seq;
	bool seen;
	bool mixed;			/* parts of different instances or seqs */
};

static int note_ids(struct dump_ctx *c, const struct vas_msg *m)
{
	const unsigned int ids = VAS_MSG_HAS_GENERATION | VAS_MSG_HAS_SEQ;

	if ((m->has & ids) != ids)
		return -EBADMSG;
	if (c->seen && (m->generation != c->generation || m->seq != c->seq))
		c->mixed = true;
	c->generation = m->generation;
	c->seq = m->seq;
	c->seen = true;
	return 0;
}

/* One part of a dump: a reply to cmd that carries what has says. */
static int decode_part(const struct nlmsghdr *nlh, struct dump_ctx *c,
		       uint8_t cmd, unsigned int has, struct vas_msg *ret)
{
	int r;

	r = vas_msg_decode(nlh, nlh->nlmsg_len, ret, NULL);
	if (r < 0)
		return r;
	if (ret->cmd != cmd || !(ret->has & has))
		return -EBADMSG;
	return note_ids(c, ret);
}

static int on_window(const struct nlmsghdr *nlh, void *userdata)
{
	struct dump_ctx *c = userdata;
	struct snapshot *s = c->s;
	struct vas_msg m;
	int r;

	r = decode_part(nlh, c, VAS_CMD_WINDOW_GET, VAS_MSG_HAS_WINDOW, &m);
	if (r < 0)
		return r;
	if (s->snap.n_windows == s->n_allocated) {
		size_t n = s->n_allocated ? 2 * s->n_allocated : 64;
		struct vas_window *w = reallocarray(s->windows, n, sizeof(*w));

		if (!w)
			return -ENOMEM;
		s->windows = w;
		s->n_allocated = n;
	}
	s->windows[s->snap.n_windows++] = m.window;
	return 0;
}

static int on_caps(const struct nlmsghdr *nlh, void *userdata)
{
	struct dump_ctx *c = userdata;
	struct vasd_snapshot *snap = &c->s->snap;
	struct vas_msg m;
	int r;

	r = decode_part(nlh, c, VAS_CMD_CAPS_GET, VAS_MSG_HAS_CAPS, &m);
	if (r < 0)
		return r;
	if (m.caps.type >= VASD_N_TYPES)
		return -EBADMSG;
	snap->caps[m.caps.type] = m.caps;
	snap->has_caps[m.caps.type] = true;
	return 0;
}

static int on_migration(const struct nlmsghdr *nlh, void *userdata)
{
	struct dump_ctx *c = userdata;
	struct vasd_snapshot *snap = &c->s->snap;
	struct vas_msg m;
	int r;

	r = decode_part(nlh, c, VAS_CMD_MIGRATION_GET, VAS_MSG_HAS_MIGRATION,
			&m);
	if (r < 0)
		return r;
	snap->migration = m.migration;
	snap->has_migration = true;
	return 0;
}

static int dump(struct kernel_source *ks, uint8_t cmd, kernel_source_msg_fn fn,
		struct snapshot *s, struct dump_ctx *ret)
{
	int r;

	*ret = (struct dump_ctx) { .s = s };
	r = kernel_source_dump(ks, cmd, fn, ret);
	if (r == -EINTR)
		return -EAGAIN;
	if (r < 0)
		return r;
	return ret->mixed ? -EAGAIN : 0;
}

int snapshot_take(struct kernel_source *ks, struct snapshot *s)
{
	struct dump_ctx before, windows, migration, after;
	int r;

	s->snap = (struct vasd_snapshot) { 0 };

	r = dump(ks, VAS_CMD_CAPS_GET, on_caps, s, &before);
	if (r < 0)
		return r;
	if (!before.seen)
		return -EBADMSG;	/* the caps dump always has both types */
	r = dump(ks, VAS_CMD_WINDOW_GET, on_window, s, &windows);
	if (r < 0)
		return r;
	/* a do, not a dump: there is one migration state */
	migration = (struct dump_ctx) { .s = s };
	r = kernel_source_request(ks, VAS_CMD_MIGRATION_GET, NULL, 0,
				  on_migration, &migration, NULL);
	if (r < 0)
		return r;
	r = dump(ks, VAS_CMD_CAPS_GET, on_caps, s, &after);
	if (r < 0)
		return r;

	if (after.generation != before.generation || after.seq != before.seq ||
	    (windows.seen && (windows.generation != before.generation ||
			      windows.seq != before.seq)) ||
	    (migration.seen && (migration.generation != before.generation ||
				migration.seq != before.seq)))
		return -EAGAIN;

	s->snap.generation = before.generation;
	s->snap.seq = before.seq;
	s->snap.windows = s->windows;
	return 0;
}

void snapshot_done(struct snapshot *s)
{
	free(s->windows);
	*s = (struct snapshot) { 0 };
}
