// SPDX-License-Identifier: GPL-2.0-only
/*
 * fk-server: the fake kernel's socket. See fk-server.h.
 *
 * Requests are handled as net/netlink/af_netlink.c (netlink_rcv_skb()),
 * net/netlink/genetlink.c (v6.1) and lib/nlattr.c (strict validation)
 * handle them for the family of kernel/vas-events.c: the same checks in
 * the same order, the same errnos and extack messages.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <linux/genetlink.h>

#include "netlink/vas-encode.h"
#include "fk-log.h"
#include "fk-server.h"
#include "kernel-source.h"

/* A dump part: whole messages, well below the 32 KiB a reader may offer. */
#define PART_MAX	16384
#define RECV_MAX	65536
/* Room for replies: a request connection waits for them anyway. */
#define REQUEST_SNDBUF	(256 * 1024)

/* A datagram waiting for room in its connection. */
struct out {
	struct out *next;
	size_t len;
	uint8_t data[];
};

/* The cursor of a dump, kept between parts (struct vas_dump_ctx). */
struct dump {
	bool active;
	uint8_t cmd;
	uint32_t nlmsg_seq;
	uint32_t portid;
	bool started;
	uint64_t start_seq;
	bool flagged;		/* NLM_F_DUMP_INTR was set on a message */
	uint32_t next;		/* window id, or caps type, to send next */
};

struct conn {
	int fd;
	uint64_t id;
	bool requests;		/* it sent something: no more events */
	bool overrun;		/* an event was lost: ENOBUFS owed */
	bool dead;
	struct out *out_head, *out_tail;
	struct dump dump;
	uint64_t sent;
	uint64_t lost;
};

struct fk_server {
	char *path;
	int listen_fd;
	int signal_fd;
	bool terminated;
	struct fk_model *model;
	int events_sndbuf;
	bool pad64;
	bool backpressure;

	struct conn **conns;
	size_t n_conns;
	size_t cap_conns;
	struct pollfd *pfds;
	size_t cap_pfds;
	uint64_t last_conn_id;

	uint64_t drop;
	struct fk_server_stats stats;

	/* the coordinator: a connection's id, 0 for none (struct vas_coord) */
	uint64_t coord;
	bool coord_waiting;
	uint64_t coord_token;
	enum fk_coord_outcome coord_outcome;

	union {
		uint64_t align;
		uint8_t bytes[RECV_MAX];
	} rbuf;
	union {
		uint64_t align;
		uint8_t bytes[PART_MAX];
	} wbuf;
};

static uint64_t now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void set_sndbuf(int fd, int bytes)
{
	/* FORCE: root may go past net.core.wmem_max, as vasd's rcvbuf does */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes,
		       sizeof(bytes)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes,
				 sizeof(bytes));
}

/* Connections. */

static void coord_release(struct fk_server *s)
{
	s->coord = 0;
	if (s->coord_waiting && s->coord_outcome == FK_COORD_PENDING)
		s->coord_outcome = FK_COORD_GONE;
}

static void conn_kill(struct fk_server *s, struct conn *c, const char *why)
{
	if (c->dead)
		return;
	fk_log("connection %llu closed (%s); %llu events sent, %llu lost",
	       (unsigned long long)c->id, why, (unsigned long long)c->sent,
	       (unsigned long long)c->lost);
	if (s->coord == c->id) {
		fk_log("the coordinator's connection closed: unregistered");
		coord_release(s);
	}
	close(c->fd);
	c->fd = -1;
	c->dead = true;
}

static void conn_free(struct conn *c)
{
	while (c->out_head) {
		struct out *o = c->out_head;

		c->out_head = o->next;
		free(o);
	}
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static void sweep(struct fk_server *s)
{
	size_t j = 0;

	for (size_t i = 0; i < s->n_conns; i++) {
		if (s->conns[i]->dead)
			conn_free(s->conns[i]);
		else
			s->conns[j++] = s->conns[i];
	}
	s->n_conns = j;
}

static int conn_send(struct conn *c, const void *buf, size_t len)
{
	if (send(c->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

/* Send a reply, or keep it until there is room: replies are never lost. */
static void conn_reply(struct fk_server *s, struct conn *c, const void *buf,
		       size_t len)
{
	struct out *o;
	int r;

	if (c->dead)
		return;
	if (!c->out_head) {
		r = conn_send(c, buf, len);
		if (r == 0)
			return;
		if (r != -EAGAIN) {
			conn_kill(s, c, strerror(-r));
			return;
		}
	}
	o = malloc(sizeof(*o) + len);
	if (!o) {
		conn_kill(s, c, "out of memory for its replies");
		return;
	}
	o->next = NULL;
	o->len = len;
	memcpy(o->data, buf, len);
	if (c->out_tail)
		c->out_tail->next = o;
	else
		c->out_head = o;
	c->out_tail = o;
}

static void conn_flush(struct fk_server *s, struct conn *c)
{
	while (c->out_head && !c->dead) {
		struct out *o = c->out_head;
		int r = conn_send(c, o->data, o->len);

		if (r == -EAGAIN)
			return;
		if (r < 0) {
			conn_kill(s, c, strerror(-r));
			return;
		}
		c->out_head = o->next;
		if (!c->out_head)
			c->out_tail = NULL;
		free(o);
	}
}

/* Events. */

/* 0 when the ENOBUFS went out (events flow again), -EAGAIN, or an error. */
static int send_enobufs(struct fk_server *s, struct conn *c)
{
	uint8_t buf[VAS_ENCODE_ERROR_MAX];
	int len, r;

	len = vas_encode_error(buf, sizeof(buf), NULL, -ENOBUFS, NULL);
	r = conn_send(c, buf, (size_t)len);
	if (r == -EAGAIN)
		return r;
	if (r < 0) {
		conn_kill(s, c, strerror(-r));
		return r;
	}
	c->overrun = false;
	fk_log("connection %llu: reading again, ENOBUFS sent after %llu lost events",
	       (unsigned long long)c->id, (unsigned long long)c->lost);
	return 0;
}

/*
 * --backpressure (benchmarks only; the kernel never waits for a
 * listener): wait up to BACKPRESSURE_MS for room, then send.
 */
#define BACKPRESSURE_MS 10000

static int conn_send_waiting(struct conn *c, const void *buf, size_t len)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
	int r = conn_send(c, buf, len);

	while (r == -EAGAIN) {
		int n = poll(&pfd, 1, BACKPRESSURE_MS);

		if (n < 0 && errno != EINTR)
			return -errno;
		if (n == 0)
			return -EAGAIN;
		r = conn_send(c, buf, len);
	}
	return r;
}

static void event_lost(struct fk_server *s, struct conn *c, uint64_t seq)
{
	if (!c->overrun)
		fk_log("connection %llu: not reading, events lost from seq %llu",
		       (unsigned long long)c->id, (unsigned long long)seq);
	c->overrun = true;
	c->lost++;
	s->stats.overrun++;
}

void fk_server_event(struct fk_server *s, const struct vas_msg *m)
{
	const struct vas_encode_frame f = {
		.type = KERNEL_SOURCE_UNIX_FAMILY_ID,
		.pad64 = s->pad64,
	};
	int len;

	if (s->drop) {
		s->drop--;
		s->stats.dropped++;
		fk_debug("event %s seq %llu built, not sent (drop)",
			 vas_cmd_to_string(m->cmd), (unsigned long long)m->seq);
		return;
	}
	len = vas_encode_msg(s->wbuf.bytes, sizeof(s->wbuf), &f, m);
	fk_debug("event %s seq %llu", vas_cmd_to_string(m->cmd),
		 (unsigned long long)m->seq);

	for (size_t i = 0; i < s->n_conns; i++) {
		struct conn *c = s->conns[i];
		int r;

		if (c->dead || c->requests)
			continue;
		/* one that cannot be built is lost to everyone (vas_ntf_lost) */
		if (len < 0 || (c->overrun && send_enobufs(s, c) < 0)) {
			event_lost(s, c, m->seq);
			continue;
		}
		r = s->backpressure ?
		    conn_send_waiting(c, s->wbuf.bytes, (size_t)len) :
		    conn_send(c, s->wbuf.bytes, (size_t)len);
		if (r == -EAGAIN) {
			event_lost(s, c, m->seq);
		} else if (r < 0) {
			conn_kill(s, c, strerror(-r));
		} else {
			c->sent++;
			s->stats.sent++;
		}
	}
	sweep(s);
}

void fk_server_drop(struct fk_server *s, uint64_t n)
{
	s->drop += n;
}

size_t fk_server_n_listeners(const struct fk_server *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_conns; i++)
		if (!s->conns[i]->dead && !s->conns[i]->requests)
			n++;
	return n;
}

/* Attribute validation: lib/nlattr.c in NL_VALIDATE_STRICT mode. */

enum pol_type {
	POL_UNSPEC,
	POL_U32,
	POL_U64,
	POL_NESTED,
};

struct pol {
	enum pol_type type;
	bool has_max;
	uint32_t max;			/* POL_U32 with has_max */
	const struct pol *nested;	/* POL_NESTED */
	uint16_t nested_maxtype;
};

static const struct pol window_id_policy[VAS_A_WINDOW_ID + 1] = {
	[VAS_A_WINDOW_ID] = { .type = POL_U32 },
};

static const struct pol caps_type_policy[VAS_A_CAPS_TYPE + 1] = {
	[VAS_A_CAPS_TYPE] = {
		.type = POL_U32, .has_max = true, .max = VAS_WIN_TYPE_QOS,
	},
};

static const struct pol window_get_policy[VAS_A_WINDOW + 1] = {
	[VAS_A_WINDOW] = {
		.type = POL_NESTED,
		.nested = window_id_policy,
		.nested_maxtype = VAS_A_WINDOW_ID,
	},
};

static const struct pol caps_get_policy[VAS_A_CAPS + 1] = {
	[VAS_A_CAPS] = {
		.type = POL_NESTED,
		.nested = caps_type_policy,
		.nested_maxtype = VAS_A_CAPS_TYPE,
	},
};

static const struct pol coord_ack_policy[VAS_A_TOKEN + 1] = {
	[VAS_A_TOKEN] = { .type = POL_U64 },
};

static int validate_parse(const uint8_t *p, size_t len, uint16_t maxtype,
			  const struct pol *policy, const struct nlattr **tb,
			  const char **extack);

static int validate_nla(const struct nlattr *nla, const struct pol *pt,
			const char **extack)
{
	size_t attrlen = nla->nla_len - NLA_HDRLEN;
	size_t exact = pt->type == POL_U32 ? 4 : pt->type == POL_U64 ? 8 : 0;
	const uint8_t *payload = (const uint8_t *)nla + NLA_HDRLEN;
	uint32_t v;

	if (exact && attrlen != exact) {
		*extack = "invalid attribute length";
		return -EINVAL;
	}
	if (pt->type == POL_NESTED && !(nla->nla_type & NLA_F_NESTED)) {
		*extack = "NLA_F_NESTED is missing";
		return -EINVAL;
	}
	if (pt->type != POL_NESTED && pt->type != POL_UNSPEC &&
	    (nla->nla_type & NLA_F_NESTED)) {
		*extack = "NLA_F_NESTED not expected";
		return -EINVAL;
	}

	switch (pt->type) {
	case POL_UNSPEC:
		*extack = "Unsupported attribute";
		return -EINVAL;
	case POL_NESTED:
		/* empty is allowed; anything else holds whole attributes */
		if (attrlen == 0)
			return 0;
		if (attrlen < NLA_HDRLEN) {
			*extack = "Attribute failed policy validation";
			return -ERANGE;
		}
		return validate_parse(payload, attrlen, pt->nested_maxtype,
				      pt->nested, NULL, extack);
	case POL_U32:
		memcpy(&v, payload, sizeof(v));
		if (pt->has_max && v > pt->max) {
			*extack = "integer out of range";
			return -ERANGE;
		}
		return 0;
	case POL_U64:
		return 0;
	}
	return 0;
}

/*
 * __nla_validate_parse(): every attribute within maxtype and valid for
 * the policy (none: not checked further), nothing left over; a repeated
 * attribute replaces the earlier one.
 */
static int validate_parse(const uint8_t *p, size_t len, uint16_t maxtype,
			  const struct pol *policy, const struct nlattr **tb,
			  const char **extack)
{
	while (len >= NLA_HDRLEN) {
		const struct nlattr *nla = (const struct nlattr *)p;
		uint16_t type = nla->nla_type & NLA_TYPE_MASK;
		size_t step;
		int r;

		if (nla->nla_len < NLA_HDRLEN || nla->nla_len > len)
			break;
		if (type == 0 || type > maxtype) {
			*extack = "Unknown attribute type";
			return -EINVAL;
		}
		if (policy) {
			r = validate_nla(nla, &policy[type], extack);
			if (r < 0)
				return r;
		}
		if (tb)
			tb[type] = nla;
		step = NLA_ALIGN(nla->nla_len);
		if (step >= len)
			return 0;
		p += step;
		len -= step;
	}
	if (len > 0) {
		*extack = "bytes leftover after parsing attributes";
		return -EINVAL;
	}
	return 0;
}

static uint32_t attr_u32(const struct nlattr *nla)
{
	uint32_t v;

	memcpy(&v, (const uint8_t *)nla + NLA_HDRLEN, sizeof(v));
	return v;
}

static uint64_t attr_u64(const struct nlattr *nla)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)nla + NLA_HDRLEN, sizeof(v));
	return v;
}

/* Requests. */

struct request {
	struct fk_server *s;
	struct conn *c;
	const struct nlmsghdr *nlh;
	const struct nlattr *tb[VAS_A_MAX + 1];
	const char *extack;
};

/* Parse a nest the policy already validated. */
static void parse_nested(const struct nlattr *nest, uint16_t maxtype,
			 const struct nlattr **tb)
{
	const char *unused;

	(void)validate_parse((const uint8_t *)nest + NLA_HDRLEN,
			     nest->nla_len - NLA_HDRLEN, maxtype, NULL, tb,
			     &unused);
}

/* genlmsg_reply() of a do: one message, then the ack if asked for. */
static void reply_msg(struct request *rq, struct vas_msg *m)
{
	const struct vas_encode_frame f = {
		.type = KERNEL_SOURCE_UNIX_FAMILY_ID,
		.seq = rq->nlh->nlmsg_seq,
		.portid = rq->nlh->nlmsg_pid,
		.pad64 = rq->s->pad64,
	};
	uint8_t buf[VAS_ENCODE_MSG_MAX];
	int len;

	m->generation = fk_model_generation(rq->s->model);
	m->seq = fk_model_seq(rq->s->model);
	len = vas_encode_msg(buf, sizeof(buf), &f, m);
	conn_reply(rq->s, rq->c, buf, (size_t)len);
}

static int window_get_doit(struct request *rq)
{
	const struct nlattr *tb[VAS_A_WINDOW_ID + 1] = { NULL };
	const struct vas_window *w;
	struct vas_msg m = { .cmd = VAS_CMD_WINDOW_GET };

	if (!rq->tb[VAS_A_WINDOW]) {
		rq->extack = "missing VAS_A_WINDOW";
		return -EINVAL;
	}
	parse_nested(rq->tb[VAS_A_WINDOW], VAS_A_WINDOW_ID, tb);
	if (!tb[VAS_A_WINDOW_ID]) {
		rq->extack = "missing VAS_A_WINDOW_ID";
		return -EINVAL;
	}
	w = fk_model_window_get(rq->s->model, attr_u32(tb[VAS_A_WINDOW_ID]));
	if (!w) {
		rq->extack = "no window with this id";
		return -ENOENT;
	}
	m.window = *w;
	reply_msg(rq, &m);
	return 0;
}

static int caps_get_doit(struct request *rq)
{
	const struct nlattr *tb[VAS_A_CAPS_TYPE + 1] = { NULL };
	struct vas_msg m = { .cmd = VAS_CMD_CAPS_GET };

	if (!rq->tb[VAS_A_CAPS]) {
		rq->extack = "missing VAS_A_CAPS";
		return -EINVAL;
	}
	parse_nested(rq->tb[VAS_A_CAPS], VAS_A_CAPS_TYPE, tb);
	if (!tb[VAS_A_CAPS_TYPE]) {
		rq->extack = "missing VAS_A_CAPS_TYPE";
		return -EINVAL;
	}
	/* the policy's range leaves only known types */
	fk_model_caps_get(rq->s->model, attr_u32(tb[VAS_A_CAPS_TYPE]), &m.caps);
	reply_msg(rq, &m);
	return 0;
}

static int migration_get_doit(struct request *rq)
{
	struct vas_msg m = { .cmd = VAS_CMD_MIGRATION_GET };

	fk_model_migration_get(rq->s->model, &m.migration);
	reply_msg(rq, &m);
	return 0;
}

/* Registering again from the coordinator's own connection succeeds. */
static int coord_register_doit(struct request *rq)
{
	struct fk_server *s = rq->s;

	if (!s->coord) {
		s->coord = rq->c->id;
		fk_log("connection %llu is the coordinator",
		       (unsigned long long)rq->c->id);
	} else if (s->coord != rq->c->id) {
		rq->extack = "another socket is the migration coordinator";
		return -EBUSY;
	}
	return 0;
}

static int coord_unregister_doit(struct request *rq)
{
	if (rq->s->coord != rq->c->id) {
		rq->extack = "this socket is not the migration coordinator";
		return -ENOENT;
	}
	fk_log("connection %llu unregistered as the coordinator",
	       (unsigned long long)rq->c->id);
	coord_release(rq->s);
	return 0;
}

static int coord_ack_doit(struct request *rq)
{
	struct fk_server *s = rq->s;
	uint64_t token;

	if (!rq->tb[VAS_A_TOKEN]) {
		rq->extack = "missing VAS_A_TOKEN";
		return -EINVAL;
	}
	token = attr_u64(rq->tb[VAS_A_TOKEN]);

	if (s->coord != rq->c->id) {
		rq->extack = "this socket is not the migration coordinator";
		return -EACCES;
	}
	if (!s->coord_waiting || s->coord_outcome != FK_COORD_PENDING) {
		rq->extack = "no migration waits for an ack";
		return -ENOENT;
	}
	if (token != s->coord_token) {
		rq->extack = "token does not match the waiting migration";
		return -ESTALE;
	}
	s->coord_outcome = FK_COORD_ACKED;
	return 0;
}

/*
 * The family's operations (vas_nl_ops). An operation without a policy
 * takes no attribute at all: "Unknown attribute type" (as Debian's 6.1
 * kernel answers).
 */
struct op {
	uint8_t cmd;
	int (*doit)(struct request *rq);
	bool dumpit;
	const struct pol *policy;
	uint16_t maxattr;
};

static const struct op ops[] = {
	{ VAS_CMD_WINDOW_GET, window_get_doit, true, window_get_policy,
	  VAS_A_WINDOW },
	{ VAS_CMD_CAPS_GET, caps_get_doit, true, caps_get_policy, VAS_A_CAPS },
	{ VAS_CMD_MIGRATION_GET, migration_get_doit, false, NULL, 0 },
	{ VAS_CMD_COORD_REGISTER, coord_register_doit, false, NULL, 0 },
	{ VAS_CMD_COORD_UNREGISTER, coord_unregister_doit, false, NULL, 0 },
	{ VAS_CMD_COORD_ACK, coord_ack_doit, false, coord_ack_policy,
	  VAS_A_TOKEN },
};

static void dump_start(struct request *rq, uint8_t cmd)
{
	rq->c->dump = (struct dump) {
		.active = true,
		.cmd = cmd,
		.nlmsg_seq = rq->nlh->nlmsg_seq,
		.portid = rq->nlh->nlmsg_pid,
	};
	fk_debug("connection %llu: %s dump", (unsigned long long)rq->c->id,
		 vas_cmd_to_string(cmd));
}

/*
 * genl_rcv_msg(): 0 or a negative errno to ack with; -EINTR when a dump
 * started (netlink_dump_start(): no ack, NLMSG_DONE ends it).
 */
static int genl_rcv_msg(struct request *rq)
{
	const struct nlmsghdr *nlh = rq->nlh;
	const struct genlmsghdr *genl;
	const struct op *op = NULL;
	int r;

	if (nlh->nlmsg_type != KERNEL_SOURCE_UNIX_FAMILY_ID)
		return -ENOENT;
	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return -EINVAL;
	genl = (const struct genlmsghdr *)((const uint8_t *)nlh + NLMSG_HDRLEN);

	for (size_t i = 0; i < ELEMENTSOF(ops); i++)
		if (ops[i].cmd == genl->cmd)
			op = &ops[i];
	if (!op)
		return -EOPNOTSUPP;

	if ((nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP && !op->dumpit)
		return -EOPNOTSUPP;
	r = validate_parse((const uint8_t *)nlh + NLMSG_HDRLEN + GENL_HDRLEN,
			   nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN,
			   op->maxattr, op->policy, rq->tb, &rq->extack);
	if (r < 0)
		return r;
	if ((nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP) {
		if (rq->c->dump.active)
			return -EBUSY;	/* netlink: cb_running */
		dump_start(rq, genl->cmd);
		return -EINTR;
	}
	return op->doit(rq);
}

/* netlink_rcv_skb(), for one message. */
static void handle_msg(struct fk_server *s, struct conn *c,
		       const struct nlmsghdr *nlh)
{
	struct request rq = { .s = s, .c = c, .nlh = nlh };
	uint8_t buf[VAS_ENCODE_ERROR_MAX];
	int err = 0, len;

	s->stats.requests++;
	/* not requests, and control messages (NLMSG_NOOP): only acked */
	if ((nlh->nlmsg_flags & NLM_F_REQUEST) &&
	    nlh->nlmsg_type >= NLMSG_MIN_TYPE) {
		err = genl_rcv_msg(&rq);
		if (err == -EINTR)
			return;
		fk_debug("connection %llu: request type %u flags 0x%x: %s%s%s",
			 (unsigned long long)c->id, nlh->nlmsg_type,
			 nlh->nlmsg_flags, err ? strerror(-err) : "ok",
			 rq.extack ? ": " : "", rq.extack ? rq.extack : "");
	}
	if (err == 0 && !(nlh->nlmsg_flags & NLM_F_ACK))
		return;
	len = vas_encode_error(buf, sizeof(buf), nlh, err, rq.extack);
	conn_reply(s, c, buf, (size_t)len);
}

static void handle_datagram(struct fk_server *s, struct conn *c,
			    const uint8_t *p, size_t len)
{
	while (len >= NLMSG_HDRLEN && !c->dead) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)p;
		size_t step;

		/* netlink ignores the rest of a datagram it cannot frame */
		if (nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > len)
			return;
		handle_msg(s, c, nlh);
		step = NLMSG_ALIGN(nlh->nlmsg_len);
		if (step >= len)
			return;
		p += step;
		len -= step;
	}
}

/*
 * One part of a dump (vas_nl_window_get_dumpit(), vas_nl_caps_get_dumpit()
 * and netlink_dump()): as many messages as fit, NLMSG_DONE after the last
 * one when it fits too.
 */
static uint16_t dump_flags(struct dump *d, bool moved)
{
	if (!moved || d->flagged)
		return NLM_F_MULTI;
	return NLM_F_MULTI | NLM_F_DUMP_INTR;
}

static void dump_part(struct fk_server *s, struct conn *c)
{
	struct dump *d = &c->dump;
	uint64_t seq = fk_model_seq(s->model);
	struct vas_encode_frame f = {
		.type = KERNEL_SOURCE_UNIX_FAMILY_ID,
		.seq = d->nlmsg_seq,
		.portid = d->portid,
		.pad64 = s->pad64,
	};
	size_t off = 0;
	bool done = false, moved;
	int len;

	if (!d->started) {
		d->started = true;
		d->start_seq = seq;
	}
	moved = seq != d->start_seq;

	for (;;) {
		struct vas_msg m = {
			.cmd = d->cmd,
			.generation = fk_model_generation(s->model),
			.seq = seq,
		};
		const struct vas_window *w = NULL;

		if (d->cmd == VAS_CMD_WINDOW_GET) {
			w = fk_model_window_next(s->model, d->next);
			if (!w) {
				done = true;
				break;
			}
			m.window = *w;
		} else if (fk_model_caps_get(s->model, d->next, &m.caps) < 0) {
			done = true;
			break;
		}
		f.flags = dump_flags(d, moved);
		len = vas_encode_msg(s->wbuf.bytes + off, sizeof(s->wbuf) - off,
				     &f, &m);
		if (len < 0)
			break;	/* the part is full */
		if (f.flags & NLM_F_DUMP_INTR)
			d->flagged = true;
		off += (size_t)len;
		d->next = w ? w->id + 1 : d->next + 1;
	}
	if (done) {
		f.flags = dump_flags(d, moved);
		len = vas_encode_done(s->wbuf.bytes + off,
				      sizeof(s->wbuf) - off, &f, 0);
		if (len > 0) {
			off += (size_t)len;
			d->active = false;
		}
	}
	conn_reply(s, c, s->wbuf.bytes, off);
}

static void conn_read(struct fk_server *s, struct conn *c)
{
	ssize_t n;

	n = recv(c->fd, s->rbuf.bytes, sizeof(s->rbuf),
		 MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			conn_kill(s, c, strerror(errno));
		return;
	}
	if (n == 0) {
		conn_kill(s, c, "closed by the client");
		return;
	}
	if (!c->requests) {
		c->requests = true;
		c->overrun = false;
		set_sndbuf(c->fd, REQUEST_SNDBUF);
		fk_log("connection %llu sends requests: it gets no events",
		       (unsigned long long)c->id);
	}
	if ((size_t)n > sizeof(s->rbuf)) {
		fk_log("connection %llu: a datagram of %zd bytes, cut to %zu",
		       (unsigned long long)c->id, n, sizeof(s->rbuf));
		n = (ssize_t)sizeof(s->rbuf);
	}
	handle_datagram(s, c, s->rbuf.bytes, (size_t)n);
}

static void accept_all(struct fk_server *s)
{
	for (;;) {
		struct conn *c, **p;
		int fd;

		fd = accept4(s->listen_fd, NULL, NULL,
			     SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == ECONNABORTED || errno == EINTR)
				continue;
			if (errno != EAGAIN)
				fk_log("accept: %s", strerror(errno));
			return;
		}
		if (s->n_conns == s->cap_conns) {
			size_t cap = s->cap_conns ? s->cap_conns * 2 : 8;

			p = realloc(s->conns, cap * sizeof(*p));
			if (!p) {
				close(fd);
				fk_log("accept: out of memory");
				return;
			}
			s->conns = p;
			s->cap_conns = cap;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			fk_log("accept: out of memory");
			return;
		}
		c->fd = fd;
		c->id = ++s->last_conn_id;
		set_sndbuf(fd, s->events_sndbuf);
		s->conns[s->n_conns++] = c;
		fk_log("connection %llu accepted", (unsigned long long)c->id);
		/* a request connection says so at once: no event for it */
		conn_read(s, c);
	}
}

static short conn_events(const struct conn *c)
{
	if (!c->requests)
		return POLLIN | (c->overrun ? POLLOUT : 0);
	if (c->out_head || c->dump.active)
		return POLLOUT;
	return POLLIN;
}

static void conn_ready(struct fk_server *s, struct conn *c, short revents)
{
	if (revents & POLLIN)
		conn_read(s, c);
	else if (revents & (POLLHUP | POLLERR))
		conn_kill(s, c, "hung up");
	if (c->dead || !(revents & POLLOUT))
		return;
	if (!c->requests) {
		if (c->overrun)
			(void)send_enobufs(s, c);
		return;
	}
	conn_flush(s, c);
	if (!c->out_head && c->dump.active && !c->dead)
		dump_part(s, c);
}

static void read_signal(struct fk_server *s)
{
	struct signalfd_siginfo si;

	if (read(s->signal_fd, &si, sizeof(si)) != sizeof(si))
		return;
	fk_log("signal %u: stopping", si.ssi_signo);
	s->terminated = true;
}

int fk_server_turn(struct fk_server *s, uint64_t deadline, int extra_fd,
		   bool *ret_extra_ready)
{
	struct timespec ts, *tsp = NULL;
	size_t n = 3 + s->n_conns;
	int r;

	if (n > s->cap_pfds) {
		struct pollfd *p = realloc(s->pfds, n * 2 * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->pfds = p;
		s->cap_pfds = n * 2;
	}
	s->pfds[0] = (struct pollfd) { .fd = s->listen_fd, .events = POLLIN };
	s->pfds[1] = (struct pollfd) { .fd = s->signal_fd, .events = POLLIN };
	s->pfds[2] = (struct pollfd) { .fd = extra_fd, .events = POLLIN };
	for (size_t i = 0; i < s->n_conns; i++)
		s->pfds[3 + i] = (struct pollfd) {
			.fd = s->conns[i]->fd,
			.events = conn_events(s->conns[i]),
		};

	if (deadline != FK_FOREVER) {
		uint64_t now = now_mono(), left = deadline > now ?
						  deadline - now : 0;

		ts.tv_sec = (time_t)(left / 1000000000u);
		ts.tv_nsec = (long)(left % 1000000000u);
		tsp = &ts;
	}
	r = ppoll(s->pfds, n, tsp, NULL);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;

	if (s->pfds[1].revents)
		read_signal(s);
	if (ret_extra_ready)
		*ret_extra_ready = extra_fd >= 0 && s->pfds[2].revents;
	/* connections accepted now are polled from the next turn on */
	for (size_t i = 0; i < n - 3; i++)
		if (s->pfds[3 + i].revents)
			conn_ready(s, s->conns[i], s->pfds[3 + i].revents);
	if (s->pfds[0].revents)
		accept_all(s);
	sweep(s);
	return 0;
}

bool fk_server_terminated(const struct fk_server *s)
{
	return s->terminated;
}

/* The coordinator. */

bool fk_server_has_coordinator(const struct fk_server *s)
{
	return s->coord != 0;
}

bool fk_server_coord_arm(struct fk_server *s, uint64_t token)
{
	if (!s->coord)
		return false;
	s->coord_waiting = true;
	s->coord_token = token;
	s->coord_outcome = FK_COORD_PENDING;
	return true;
}

enum fk_coord_outcome fk_server_coord_outcome(const struct fk_server *s)
{
	return s->coord_outcome;
}

void fk_server_coord_disarm(struct fk_server *s)
{
	s->coord_waiting = false;
}

void fk_server_coord_release(struct fk_server *s)
{
	if (s->coord)
		fk_log("connection %llu is no longer the coordinator",
		       (unsigned long long)s->coord);
	coord_release(s);
}

void fk_server_get_stats(const struct fk_server *s,
			 struct fk_server_stats *ret)
{
	*ret = s->stats;
}

/* Setup. */

/*
 * The socket appears at @path only once it listens (bound under another
 * name, then renamed), so that a client that sees the file can connect.
 */
static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r;

	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s.%d", path,
		     (int)getpid()) >= (int)sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	/* a socket left by an earlier run; anything else stays */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (listen(fd, 64) < 0 || rename(sa.sun_path, path) < 0) {
		r = -errno;
		unlink(sa.sun_path);
		close(fd);
		return r;
	}
	return fd;
}

static int signals_fd(void)
{
	sigset_t mask;
	int fd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	/* a client that went away is a send error, not a signal */
	signal(SIGPIPE, SIG_IGN);
	fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

int fk_server_new(const struct fk_server_config *c, struct fk_model *model,
		  struct fk_server **ret)
{
	_cleanup_(fk_server_freep) struct fk_server *s = NULL;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->signal_fd = -1;
	s->listen_fd = -1;
	s->model = model;
	s->events_sndbuf = c->events_sndbuf;
	s->pad64 = c->pad64;
	s->backpressure = c->backpressure;
	s->signal_fd = signals_fd();
	if (s->signal_fd < 0)
		return s->signal_fd;
	s->path = strdup(c->path);
	if (!s->path)
		return -ENOMEM;
	s->listen_fd = listen_on(c->path);
	if (s->listen_fd < 0) {
		/* not ours to unlink */
		free(s->path);
		s->path = NULL;
		return s->listen_fd;
	}
	*ret = s;
	s = NULL;
	return 0;
}

struct fk_server *fk_server_free(struct fk_server *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n_conns; i++)
		conn_free(s->conns[i]);
	free(s->conns);
	free(s->pfds);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->signal_fd >= 0)
		close(s->signal_fd);
	if (s->path)
		unlink(s->path);
	free(s->path);
	free(s);
	return NULL;
}
