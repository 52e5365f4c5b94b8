// SPDX-License-Identifier: GPL-2.0-only
/*
 * A fuzzer for the "vas" family (issue 17): for a bounded time, processes
 * as root and as nobody send random, mutated and malformed generic netlink
 * messages to the family (commands, flags, nested attributes, sizes),
 * interrupt dumps and close sockets in the middle of them, and register,
 * ack and die as the migration coordinator, while windows open and close
 * and migrations run. Then the family must still work: a dump lists the
 * windows really open, a migration waits for a registered coordinator's
 * ack and completes, the module unloads, and the kernel log holds no
 * report.
 *
 *	fuzz-family [--seed N] [--duration SEC]
 *
 * The seed is printed first; each process draws from its own generator
 * seeded from it, so a seed replays every process's sequence of messages.
 * The interleaving with the other processes and the kernel is the
 * scheduler's, so a failure that needs a race may need a few runs.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include "vmtest.h"

#define MSG_MAX		(72 * 1024)
#define RBUF		(96 * 1024)
#define POOL		4
#define COORD_PROCS	3
#define ROOT_FUZZERS	2
#define NOBODY_FUZZERS	1
#define MAX_WINDOWS	40
/* Short, so that a coordinator that never acks does not stall migrations. */
#define FUZZ_COORD_TIMEOUT_MS	"300"
#define FINAL_WINDOWS	5
#define ERRNO_MAX	4096

/* What the processes sent, by class, and what came back. */
enum fz_class {
	FZ_VALID,	/* well-formed requests of every command */
	FZ_MUTATED,	/* well-formed, then bytes flipped, cut, grown */
	FZ_RANDOM,	/* random header, command and attribute soup */
	FZ_NEST,	/* nests: wrong types, lengths, depth, duplicates */
	FZ_SIZE,	/* zero, short, misaligned, oversized, batched */
	FZ_FLAGS,	/* valid requests with odd nlmsg_flags */
	FZ_DUMP,	/* dumps read in part, then more sent or closed */
	FZ_COORD,	/* register, unregister, ack from fuzzing sockets */
	FZ_COORD_PROC,	/* requests of the coordinator processes */
	FZ_PRIV,	/* nobody: privileged commands, must be EPERM */
	FZ_NCLASS,
};

static const char *const class_names[FZ_NCLASS] = {
	[FZ_VALID] = "valid",
	[FZ_MUTATED] = "mutated",
	[FZ_RANDOM] = "random",
	[FZ_NEST] = "nested",
	[FZ_SIZE] = "sizes",
	[FZ_FLAGS] = "flags",
	[FZ_DUMP] = "dump-interrupted",
	[FZ_COORD] = "coord-fuzz",
	[FZ_COORD_PROC] = "coord-procs",
	[FZ_PRIV] = "nobody-privileged",
};

/* Answers by errno, for the summary: the kernel said something. */
enum fz_answer {
	FA_OK, FA_EINVAL, FA_EPERM, FA_EOPNOTSUPP, FA_ENOENT, FA_ERANGE,
	FA_EBUSY, FA_EACCES, FA_ESTALE, FA_OTHER, FA_NANSWER,
};

static const char *const answer_names[FA_NANSWER] = {
	"0", "EINVAL", "EPERM", "EOPNOTSUPP", "ENOENT", "ERANGE", "EBUSY",
	"EACCES", "ESTALE", "other",
};

struct fz_shared {
	atomic_ulong sent[FZ_NCLASS];
	atomic_ulong answers[FA_NANSWER];
	atomic_ulong other_errno[ERRNO_MAX];
	atomic_ulong replies;		/* messages of the family */
	atomic_ulong dump_done;
	atomic_ulong notifications;
	atomic_ulong enobufs;
	atomic_ulong send_errors;
	atomic_ulong sockets;
	atomic_ulong sockets_closed_mid_dump;
	atomic_ulong nobody_eperm;
	atomic_ulong win_opened;
	atomic_ulong win_refused;
	atomic_ulong win_orphaned;	/* died with the process */
	atomic_ulong credit_changes;
	atomic_ulong migrations;
	atomic_ulong migrations_aborted;
	atomic_ulong migrations_busy;
	atomic_ulong coord_registered;
	atomic_ulong coord_acked;
	atomic_ulong coord_prepares;	/* PREPAREs seen while registered */
	atomic_ulong coord_late;	/* their ack came too late: ENOENT */
	atomic_ulong coord_died;
};

static struct fz_shared *shm;
/* payload of oversized attributes */
static uint8_t junk[65536];
static uint16_t family;
static uint32_t events_group;
static double deadline_ms;

/* Where a worker is, for a failure's message. */
static const char *worker_name = "main";
static unsigned long worker_iter;
static enum fz_class worker_class;

#define FZ_CHECK(cond, ...)						\
	((cond) ? (void)0 : fz_fail(__FILE__, __LINE__, __VA_ARGS__))

static noreturn void fz_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static noreturn void fz_fail(const char *file, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vt_fail(file, line, "%s, iteration %lu, class %s: %s", worker_name,
		worker_iter, class_names[worker_class], msg);
}

/* A self-contained generator: splitmix64 seeds xorshift64*. */
struct rng {
	uint64_t s;
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rng_init(struct rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ (stream * 0xd1342543de82ef95ull);

	do {
		r->s = splitmix64(&x);
	} while (!r->s);
}

static uint64_t rnd(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

/* Uniform in [0, n). */
static uint32_t rnd_below(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)((rnd(r) >> 32) * n >> 32) : 0;
}

static bool chance(struct rng *r, unsigned int percent)
{
	return rnd_below(r, 100) < percent;
}

static void rnd_bytes(struct rng *r, void *buf, size_t len)
{
	uint8_t *p = buf;
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (!(i % 8))
			v = rnd(r);
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static bool time_left(void)
{
	return vt_now_ms() < deadline_ms;
}

static void answer_count(int err)
{
	enum fz_answer a;

	static const int errnos[FA_OTHER] = {
		[FA_OK] = 0, [FA_EINVAL] = EINVAL, [FA_EPERM] = EPERM,
		[FA_EOPNOTSUPP] = EOPNOTSUPP, [FA_ENOENT] = ENOENT,
		[FA_ERANGE] = ERANGE, [FA_EBUSY] = EBUSY, [FA_EACCES] = EACCES,
		[FA_ESTALE] = ESTALE,
	};

	for (a = FA_OK; a < FA_OTHER && errnos[a] != -err; a++)
		;
	atomic_fetch_add(&shm->answers[a], 1);
	if (a == FA_OTHER)
		atomic_fetch_add(&shm->other_errno[-err], 1);
}

/* Fuzzing sockets: raw, non-blocking, with random options. */

struct fsock {
	struct mnl_socket *sock;
	int fd;
	uint32_t seq;
	bool joined;
	bool dumping;		/* a dump was started and not read to its end */
};

static void fsock_open(struct fsock *s, struct rng *r, bool root,
		       bool may_join)
{
	static const int opts[] = {
		NETLINK_EXT_ACK, NETLINK_CAP_ACK, NETLINK_GET_STRICT_CHK,
		NETLINK_NO_ENOBUFS,
	};
	int one = 1, bytes;
	size_t i;

	memset(s, 0, sizeof(*s));
	s->sock = mnl_socket_open2(NETLINK_GENERIC, SOCK_CLOEXEC |
				   SOCK_NONBLOCK);
	FZ_CHECK(s->sock, "netlink socket: %s", strerror(errno));
	FZ_CHECK(mnl_socket_bind(s->sock, 0, MNL_SOCKET_AUTOPID) == 0,
		 "netlink bind: %s", strerror(errno));
	s->fd = mnl_socket_get_fd(s->sock);
	s->seq = (uint32_t)rnd(r);
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (chance(r, 50))
			FZ_CHECK(setsockopt(s->fd, SOL_NETLINK, opts[i], &one,
					    sizeof(one)) == 0,
				 "netlink option %d: %s", opts[i],
				 strerror(errno));
	/* small receive buffers make dumps come in many parts */
	if (chance(r, 40)) {
		bytes = 1024 + (int)rnd_below(r, 16384);
		FZ_CHECK(setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &bytes,
				    sizeof(bytes)) == 0, "SO_RCVBUF: %s",
			 strerror(errno));
	}
	if (may_join && chance(r, 20)) {
		int err = setsockopt(s->fd, SOL_NETLINK,
				     NETLINK_ADD_MEMBERSHIP, &events_group,
				     sizeof(events_group)) ? errno : 0;

		/* the events group is for CAP_NET_ADMIN only */
		if (root)
			FZ_CHECK(!err, "root joining events: %s",
				 strerror(err));
		else
			FZ_CHECK(err == EPERM, "nobody joining events: %s",
				 err ? strerror(err) : "joined");
		s->joined = !err;
		if (!root)
			atomic_fetch_add(&shm->nobody_eperm, 1);
	}
	atomic_fetch_add(&shm->sockets, 1);
}

static void fsock_close(struct fsock *s)
{
	if (!s->sock)
		return;
	if (s->dumping)
		atomic_fetch_add(&shm->sockets_closed_mid_dump, 1);
	mnl_socket_close(s->sock);
	s->sock = NULL;
}

/* Checks of what the kernel sends back. */

static int reply_attr_cb(const struct nlattr *a, void *data)
{
	unsigned int depth = *(unsigned int *)data;
	uint16_t type = mnl_attr_get_type(a);

	FZ_CHECK(depth || (type >= VAS_A_PAD && type <= VAS_A_MAX),
		 "reply with top-level attribute %u", type);
	if (!depth && (type == VAS_A_WINDOW || type == VAS_A_CAPS ||
		       type == VAS_A_MIGRATION)) {
		unsigned int inner = 1;

		FZ_CHECK(mnl_attr_validate(a, MNL_TYPE_NESTED) == 0,
			 "attribute %u of a reply is not a nest", type);
		FZ_CHECK(mnl_attr_parse_nested(a, reply_attr_cb, &inner) ==
			 MNL_CB_OK, "malformed nest %u in a reply", type);
	}
	return MNL_CB_OK;
}

/* One message the kernel sent to a fuzzing socket. */
static void check_message(const struct fsock *s, const struct nlmsghdr *nlh)
{
	const struct genlmsghdr *genl;
	unsigned int depth = 0;
	int err;

	switch (nlh->nlmsg_type) {
	case NLMSG_ERROR: {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

		FZ_CHECK(mnl_nlmsg_get_payload_len(nlh) >= sizeof(*e),
			 "short NLMSG_ERROR");
		FZ_CHECK(e->error <= 0 && e->error >= -4095,
			 "NLMSG_ERROR with error %d", e->error);
		answer_count(e->error);
		return;
	}
	case NLMSG_DONE:
		FZ_CHECK(mnl_nlmsg_get_payload_len(nlh) >= sizeof(int),
			 "short NLMSG_DONE");
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
		FZ_CHECK(err <= 0 && err >= -4095, "NLMSG_DONE with %d", err);
		atomic_fetch_add(&shm->dump_done, 1);
		return;
	}
	FZ_CHECK(nlh->nlmsg_type == family, "message of type %u (family %u)",
		 nlh->nlmsg_type, family);
	FZ_CHECK(mnl_nlmsg_get_payload_len(nlh) >= sizeof(*genl),
		 "family message without a genl header");
	genl = mnl_nlmsg_get_payload(nlh);
	if (nlh->nlmsg_seq == 0 && nlh->nlmsg_pid == 0 &&
	    genl->cmd != VAS_CMD_WINDOW_GET && genl->cmd != VAS_CMD_CAPS_GET &&
	    genl->cmd != VAS_CMD_MIGRATION_GET) {
		/* never to a socket outside the events group */
		FZ_CHECK(s->joined, "notification %s to a socket not joined",
			 vt_cmd_name(genl->cmd));
		atomic_fetch_add(&shm->notifications, 1);
	} else {
		FZ_CHECK(genl->cmd == VAS_CMD_WINDOW_GET ||
			 genl->cmd == VAS_CMD_CAPS_GET ||
			 genl->cmd == VAS_CMD_MIGRATION_GET,
			 "reply of command %u", genl->cmd);
		atomic_fetch_add(&shm->replies, 1);
	}
	FZ_CHECK(mnl_attr_parse(nlh, sizeof(*genl), reply_attr_cb, &depth) ==
		 MNL_CB_OK, "malformed attributes in %s",
		 vt_cmd_name(genl->cmd));
}

/*
 * Reads what is queued, at most @max datagrams (0: until none is), each
 * into @cap bytes. Requests to the kernel are handled in the sender's
 * sendmsg() and a dump's next part in recvmsg(), so nothing more comes
 * unasked once this finds the socket empty - but events. Returns whether
 * the dump in progress ended.
 */
static bool fsock_drain(struct fsock *s, unsigned int max, size_t cap)
{
	static char buf[RBUF];
	const struct nlmsghdr *nlh;
	bool done = false;
	unsigned int n = 0;
	ssize_t len;
	int left;

	while (!max || n++ < max) {
		len = recv(s->fd, buf, cap, MSG_DONTWAIT | MSG_TRUNC);
		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0 && errno == EAGAIN)
			break;
		if (len < 0 && errno == ENOBUFS) {
			atomic_fetch_add(&shm->enobufs, 1);
			continue;
		}
		FZ_CHECK(len >= 0, "netlink receive: %s", strerror(errno));
		/* a datagram cut by a small buffer is the reader's loss */
		if ((size_t)len > cap)
			continue;
		left = (int)len;
		for (nlh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			check_message(s, nlh);
			if (nlh->nlmsg_type == NLMSG_DONE ||
			    (nlh->nlmsg_type == NLMSG_ERROR &&
			     s->dumping && !(nlh->nlmsg_flags & NLM_F_MULTI)))
				done = true;
		}
		FZ_CHECK(left == 0, "%d stray bytes after the messages", left);
	}
	if (done)
		s->dumping = false;
	return done;
}

/*
 * Every message of the datagram that netlink_rcv_skb() would hand on goes
 * to the family (or is a control message, which it skips): a mutated
 * nlmsg_len turns the rest of a datagram into a next message, whose type
 * would otherwise be attribute bytes - another family, which is not ours
 * to fuzz.
 */
static void aim_at_family(uint8_t *buf, size_t len)
{
	struct nlmsghdr *nlh;
	size_t off = 0, step;

	while (len - off >= NLMSG_HDRLEN) {
		nlh = (struct nlmsghdr *)(buf + off);
		if (nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > len - off)
			return;
		if (nlh->nlmsg_type >= NLMSG_MIN_TYPE)
			nlh->nlmsg_type = family;
		step = NLMSG_ALIGN(nlh->nlmsg_len);
		off += step < len - off ? step : len - off;
	}
}

static void fsock_send(struct fsock *s, void *buf, size_t len)
{
	aim_at_family(buf, len);
	if (mnl_socket_sendto(s->sock, buf, len) < 0) {
		/* EMSGSIZE, ENOBUFS, EAGAIN: the message was refused whole */
		FZ_CHECK(errno != EFAULT && errno != EBADF, "send: %s",
			 strerror(errno));
		atomic_fetch_add(&shm->send_errors, 1);
	}
}

/* Message builders. */

static struct nlmsghdr *msg_start(struct rng *r, void *buf, struct fsock *s,
				  uint8_t cmd, uint16_t flags)
{
	return vt_genl_put(buf, family, flags, ++s->seq, cmd,
			   chance(r, 90) ? VAS_FAMILY_VERSION : (uint8_t)rnd(r));
}

static const uint8_t request_cmds[] = {
	VAS_CMD_WINDOW_GET, VAS_CMD_CAPS_GET, VAS_CMD_MIGRATION_GET,
	VAS_CMD_COORD_REGISTER, VAS_CMD_COORD_UNREGISTER, VAS_CMD_COORD_ACK,
};

static uint32_t rnd_window_id(struct rng *r)
{
	switch (rnd_below(r, 4)) {
	case 0:
		return (uint32_t)rnd(r);
	case 1:
		return rnd_below(r, 2) ? 0 : UINT32_MAX;
	default:
		return rnd_below(r, 300);
	}
}

/* A request as a client writes it, with its command's attributes. */
static struct nlmsghdr *build_valid(struct rng *r, void *buf, struct fsock *s,
				    uint8_t cmd, bool dump, uint16_t flags)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	if (!flags)
		flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : NLM_F_ACK);
	nlh = msg_start(r, buf, s, cmd, flags);
	switch (cmd) {
	case VAS_CMD_WINDOW_GET:
		if (dump && chance(r, 70))
			break;
		nest = mnl_attr_nest_start(nlh, VAS_A_WINDOW);
		mnl_attr_put_u32(nlh, VAS_A_WINDOW_ID, rnd_window_id(r));
		mnl_attr_nest_end(nlh, nest);
		break;
	case VAS_CMD_CAPS_GET:
		if (dump && chance(r, 70))
			break;
		nest = mnl_attr_nest_start(nlh, VAS_A_CAPS);
		mnl_attr_put_u32(nlh, VAS_A_CAPS_TYPE, rnd_below(r, 3));
		mnl_attr_nest_end(nlh, nest);
		break;
	case VAS_CMD_COORD_ACK:
		mnl_attr_put_u64(nlh, VAS_A_TOKEN,
				 chance(r, 20) ? 0 : rnd(r));
		break;
	}
	return nlh;
}

static uint8_t rnd_request_cmd(struct rng *r, bool root)
{
	/* nobody's privileged commands have their own class */
	return request_cmds[rnd_below(r, root ? 6 : 3)];
}

/* Random attributes, possibly nested, from @at up to @end. */
static size_t put_random_attrs(struct rng *r, uint8_t *at, size_t room,
			       unsigned int depth)
{
	size_t used = 0, len;
	unsigned int i, n = rnd_below(r, 6);
	struct nlattr *a;

	for (i = 0; i < n && used + 4 <= room; i++) {
		a = (struct nlattr *)(at + used);
		a->nla_type = chance(r, 80) ? (uint16_t)rnd_below(r, 12) :
					      (uint16_t)rnd(r);
		if (depth < 8 && chance(r, 25)) {
			a->nla_type |= chance(r, 70) ? NLA_F_NESTED : 0;
			len = 4 + put_random_attrs(r, at + used + 4,
						   room - used - 4, depth + 1);
		} else {
			static const size_t lens[] = { 0, 1, 2, 3, 4, 8, 16 };

			len = 4 + (chance(r, 80) ?
				   lens[rnd_below(r, 7)] : rnd_below(r, 64));
			if (used + len > room)
				len = room - used;
			rnd_bytes(r, at + used + 4, len - 4);
		}
		a->nla_len = (uint16_t)len;
		if (chance(r, 5))	/* a lie about the length */
			a->nla_len = (uint16_t)rnd_below(r, 256);
		used += chance(r, 90) ? MNL_ALIGN(len) : len;
		if (used > room)
			used = room;
	}
	return used;
}

static size_t gen_random(struct rng *r, uint8_t *buf, struct fsock *s)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	nlh = msg_start(r, buf, s, chance(r, 70) ? (uint8_t)rnd_below(r, 14) :
				   (uint8_t)rnd(r), (uint16_t)rnd(r));
	if (chance(r, 50))
		nlh->nlmsg_flags |= NLM_F_REQUEST;
	if (chance(r, 5))
		nlh->nlmsg_type = (uint16_t)rnd_below(r, NLMSG_MIN_TYPE);
	genl = mnl_nlmsg_get_payload(nlh);
	if (chance(r, 10))
		genl->reserved = (uint16_t)rnd(r);
	nlh->nlmsg_len += (uint32_t)put_random_attrs(r, (uint8_t *)buf +
						     nlh->nlmsg_len, 512, 0);
	return nlh->nlmsg_len;
}

/* Bytes flipped, attribute lengths rewritten, cut or grown. */
static size_t mutate(struct rng *r, uint8_t *buf, size_t len)
{
	unsigned int i, n = 1 + rnd_below(r, 4);
	size_t at, grow;

	for (i = 0; i < n; i++) {
		at = rnd_below(r, (uint32_t)len);
		switch (rnd_below(r, 7)) {
		case 0:
			buf[at] ^= (uint8_t)(1u << rnd_below(r, 8));
			break;
		case 1:
			buf[at] = chance(r, 50) ? 0 : 0xff;
			break;
		case 2:
			buf[at] = (uint8_t)rnd(r);
			break;
		case 3:	/* an nla_len or nla_type past the headers */
			if (len > NLMSG_HDRLEN + GENL_HDRLEN + 2) {
				at = NLMSG_HDRLEN + GENL_HDRLEN +
				     rnd_below(r, (uint32_t)(len - NLMSG_HDRLEN -
							     GENL_HDRLEN - 1));
				at &= ~(size_t)1;
				buf[at] = (uint8_t)rnd(r);
				buf[at + 1] = chance(r, 70) ? 0 :
							      (uint8_t)rnd(r);
			}
			break;
		case 4:	/* cut */
			len = NLMSG_HDRLEN + rnd_below(r, (uint32_t)len);
			if (len > MSG_MAX)
				len = MSG_MAX;
			break;
		case 5:	/* grow with garbage */
			grow = rnd_below(r, 64);
			rnd_bytes(r, buf + len, grow);
			len += grow;
			break;
		case 6:	/* the genl header's cmd, version, reserved */
			buf[NLMSG_HDRLEN + rnd_below(r, GENL_HDRLEN)] =
				(uint8_t)rnd(r);
			break;
		}
	}
	/* half the time nlmsg_len says the truth about the new size */
	if (chance(r, 50) && len >= NLMSG_HDRLEN)
		((struct nlmsghdr *)buf)->nlmsg_len = (uint32_t)len;
	return len;
}

static size_t gen_nest(struct rng *r, uint8_t *buf, struct fsock *s)
{
	static const uint16_t tops[] = { VAS_A_WINDOW, VAS_A_CAPS,
					 VAS_A_MIGRATION, VAS_A_TOKEN };
	uint8_t cmd = chance(r, 50) ? VAS_CMD_WINDOW_GET : VAS_CMD_CAPS_GET;
	struct nlattr *nests[64], *a;
	struct nlmsghdr *nlh;
	unsigned int i, depth;
	uint16_t top, inner;
	size_t total;

	nlh = msg_start(r, buf, s, cmd, NLM_F_REQUEST |
			(chance(r, 20) ? NLM_F_DUMP : NLM_F_ACK));
	top = chance(r, 70) ? (cmd == VAS_CMD_WINDOW_GET ? VAS_A_WINDOW :
			       VAS_A_CAPS) : tops[rnd_below(r, 4)];
	inner = chance(r, 70) ? 1 + (cmd == VAS_CMD_WINDOW_GET) :
				(uint16_t)rnd_below(r, 12);
	switch (rnd_below(r, 6)) {
	case 0:	/* deep: the nest inside itself */
		depth = 1 + rnd_below(r, 64);
		for (i = 0; i < depth; i++)
			nests[i] = mnl_attr_nest_start(nlh, top);
		if (chance(r, 50))
			mnl_attr_put_u32(nlh, inner, rnd_window_id(r));
		while (depth--)
			mnl_attr_nest_end(nlh, nests[depth]);
		break;
	case 1:	/* the inner attribute of the wrong type */
		nests[0] = mnl_attr_nest_start(nlh, top);
		switch (rnd_below(r, 5)) {
		case 0:
			mnl_attr_put_u8(nlh, inner, 1);
			break;
		case 1:
			mnl_attr_put_u16(nlh, inner, 1);
			break;
		case 2:
			mnl_attr_put_u64(nlh, inner, rnd(r));
			break;
		case 3:
			mnl_attr_put_strz(nlh, inner, "vas");
			break;
		case 4:
			mnl_attr_put(nlh, inner, 0, NULL);
			break;
		}
		mnl_attr_nest_end(nlh, nests[0]);
		break;
	case 2:	/* duplicates, inside and outside */
		for (i = 0; i < 1 + rnd_below(r, 4); i++) {
			nests[0] = mnl_attr_nest_start(nlh, top);
			mnl_attr_put_u32(nlh, inner, rnd_window_id(r));
			if (chance(r, 50))
				mnl_attr_put_u32(nlh, inner, rnd_window_id(r));
			mnl_attr_nest_end(nlh, nests[0]);
		}
		break;
	case 3:	/* a nest whose length runs past the message */
		nests[0] = mnl_attr_nest_start(nlh, top);
		mnl_attr_put_u32(nlh, inner, rnd_window_id(r));
		mnl_attr_nest_end(nlh, nests[0]);
		nests[0]->nla_len += (uint16_t)(4 + rnd_below(r, 200));
		break;
	case 4:	/* a nest shorter than its header, or empty, or not nested */
		a = mnl_nlmsg_get_payload_tail(nlh);
		a->nla_type = top | (chance(r, 50) ? NLA_F_NESTED : 0);
		a->nla_len = (uint16_t)rnd_below(r, 8);
		nlh->nlmsg_len += MNL_ALIGN(sizeof(*a));
		break;
	case 5:	/* the nest flag on a scalar, byte order flag on a nest */
		mnl_attr_put_u64(nlh, VAS_A_TOKEN | NLA_F_NESTED, rnd(r));
		nests[0] = mnl_attr_nest_start(nlh, top);
		nests[0]->nla_type |= NLA_F_NET_BYTEORDER;
		mnl_attr_put_u32(nlh, inner, rnd_window_id(r));
		mnl_attr_nest_end(nlh, nests[0]);
		break;
	}
	total = nlh->nlmsg_len;
	return total;
}

/* Sizes: sent as one datagram; nlmsg_len may disagree with it. */
static size_t gen_size(struct rng *r, uint8_t *buf, struct fsock *s)
{
	struct nlmsghdr *nlh;
	size_t len, room, one = 0;
	unsigned int i, n;

	switch (rnd_below(r, 8)) {
	case 0:	/* nothing, or less than a header */
		len = rnd_below(r, NLMSG_HDRLEN);
		rnd_bytes(r, buf, len);
		return len;
	case 1:	/* nlmsg_len below a header */
		nlh = build_valid(r, buf, s, rnd_request_cmd(r, true), false, 0);
		nlh->nlmsg_len = rnd_below(r, NLMSG_HDRLEN);
		return NLMSG_HDRLEN + GENL_HDRLEN;
	case 2:	/* nlmsg_len above the datagram */
		nlh = build_valid(r, buf, s, rnd_request_cmd(r, true), false, 0);
		len = nlh->nlmsg_len;
		nlh->nlmsg_len += 1 + rnd_below(r, 4096);
		return len;
	case 3:	/* misaligned: 1-3 bytes of tail */
		nlh = build_valid(r, buf, s, rnd_request_cmd(r, true),
				  chance(r, 30), 0);
		len = nlh->nlmsg_len + 1 + rnd_below(r, 3);
		rnd_bytes(r, buf + nlh->nlmsg_len, len - nlh->nlmsg_len);
		if (chance(r, 50))
			nlh->nlmsg_len = (uint32_t)len;
		return len;
	case 4:	/* a header, and part of the genl header or none */
		nlh = build_valid(r, buf, s, rnd_request_cmd(r, true), false, 0);
		nlh->nlmsg_len = NLMSG_HDRLEN + rnd_below(r, GENL_HDRLEN);
		return nlh->nlmsg_len;
	case 5:	/* oversized: tens of KiB of attributes */
		nlh = build_valid(r, buf, s, rnd_request_cmd(r, true),
				  chance(r, 30), 0);
		room = 16384 + rnd_below(r, MSG_MAX - 16384 - 1024);
		if (chance(r, 50)) {
			/* one attribute as long as an nla_len goes */
			len = 65532 - nlh->nlmsg_len - 4;
			if (len > room)
				len = room;
			mnl_attr_put(nlh, (uint16_t)rnd_below(r, 12),
				     len & ~(size_t)3, junk);
		} else {
			while (nlh->nlmsg_len + 64 < room)
				mnl_attr_put_u64(nlh, chance(r, 50) ?
						 VAS_A_TOKEN :
						 (uint16_t)rnd_below(r, 12),
						 rnd(r));
		}
		return nlh->nlmsg_len;
	case 6:	/* a batch, the last one cut */
		len = 0;
		n = 2 + rnd_below(r, 8);
		for (i = 0; i < n; i++) {
			nlh = build_valid(r, buf + len, s,
					  rnd_request_cmd(r, true),
					  chance(r, 20), 0);
			one = nlh->nlmsg_len;
			len += MNL_ALIGN(one);
		}
		return len - rnd_below(r, (uint32_t)one);
	default: /* the family's header with nothing after it */
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = family;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		nlh->nlmsg_seq = ++s->seq;
		return nlh->nlmsg_len;
	}
}

static uint16_t rnd_weird_flags(struct rng *r)
{
	static const uint16_t f[] = {
		0, NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP, NLM_F_ROOT,
		NLM_F_MATCH, NLM_F_ATOMIC, NLM_F_ECHO, NLM_F_MULTI,
		NLM_F_DUMP_INTR, NLM_F_REPLACE, NLM_F_EXCL, NLM_F_CREATE,
		NLM_F_APPEND, NLM_F_NONREC, NLM_F_BULK, 0xffff,
	};
	uint16_t flags = 0;
	unsigned int i, n = 1 + rnd_below(r, 4);

	for (i = 0; i < n; i++)
		flags |= f[rnd_below(r, sizeof(f) / sizeof(f[0]))];
	if (chance(r, 70))
		flags |= NLM_F_REQUEST;
	return flags ? flags : NLM_F_ROOT;
}

/* Sends a message of @cls and reads what came back. */
static void fuzz_one(struct rng *r, struct fsock *s, enum fz_class cls,
		     bool root, uint8_t *buf)
{
	struct nlmsghdr *nlh;
	size_t len;
	uint8_t cmd;

	memset(buf, 0, 1024);
	switch (cls) {
	case FZ_VALID:
		cmd = rnd_request_cmd(r, root);
		nlh = build_valid(r, buf, s, cmd, (cmd == VAS_CMD_WINDOW_GET ||
				  cmd == VAS_CMD_CAPS_GET) && chance(r, 40), 0);
		len = nlh->nlmsg_len;
		break;
	case FZ_MUTATED:
		cmd = rnd_request_cmd(r, root);
		nlh = build_valid(r, buf, s, cmd, chance(r, 30), 0);
		len = mutate(r, buf, nlh->nlmsg_len);
		break;
	case FZ_RANDOM:
		len = gen_random(r, buf, s);
		break;
	case FZ_NEST:
		len = gen_nest(r, buf, s);
		if (chance(r, 20))
			len = mutate(r, buf, len);
		break;
	case FZ_SIZE:
		len = gen_size(r, buf, s);
		break;
	case FZ_FLAGS:
		nlh = build_valid(r, buf, s, rnd_request_cmd(r, root), false,
				  rnd_weird_flags(r));
		len = nlh->nlmsg_len;
		break;
	default:
		abort();
	}
	if (len >= NLMSG_HDRLEN) {
		nlh = (struct nlmsghdr *)buf;
		if (nlh->nlmsg_type == family &&
		    (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP &&
		    (nlh->nlmsg_flags & NLM_F_REQUEST))
			s->dumping = true;
	}
	fsock_send(s, buf, len);
	atomic_fetch_add(&shm->sent[cls], 1);
	/* a dump left unread is this class's job, not the others' */
	fsock_drain(s, s->dumping ? 0 : 16, RBUF);
}

/*
 * A dump read in part: the receive buffer holds a part or two, then the
 * socket sends another request (a second dump gets EBUSY), is closed, or
 * reads on with buffers too small for a part.
 */
static void fuzz_dump(struct rng *r, struct fsock *s, bool root, uint8_t *buf)
{
	struct nlmsghdr *nlh;
	unsigned int parts;

	fsock_drain(s, 0, RBUF);
	nlh = build_valid(r, buf, s, chance(r, 75) ? VAS_CMD_WINDOW_GET :
			  VAS_CMD_CAPS_GET, true, chance(r, 20) ?
			  NLM_F_REQUEST | NLM_F_DUMP | NLM_F_ACK : 0);
	s->dumping = true;
	fsock_send(s, buf, nlh->nlmsg_len);
	atomic_fetch_add(&shm->sent[FZ_DUMP], 1);
	parts = rnd_below(r, 3);
	if (parts)
		fsock_drain(s, parts, RBUF);

	switch (rnd_below(r, 4)) {
	case 0:	/* another request in the middle */
		nlh = build_valid(r, buf, s, rnd_request_cmd(r, root),
				  chance(r, 50), 0);
		fsock_send(s, buf, nlh->nlmsg_len);
		atomic_fetch_add(&shm->sent[FZ_DUMP], 1);
		break;
	case 1:	/* closed mid-dump */
		fsock_close(s);
		fsock_open(s, r, root, true);
		return;
	case 2:	/* buffers smaller than a part: parts are lost, not split */
		fsock_drain(s, 1 + rnd_below(r, 4), 16 + rnd_below(r, 256));
		break;
	default: /* left in the middle for the next message */
		return;
	}
	fsock_drain(s, 64, RBUF);
}

/* Coordinator requests from fuzzing sockets, results unchecked. */
static void fuzz_coord(struct rng *r, struct fsock *s, uint8_t *buf)
{
	/* unregistering more than registering: the coordinator processes
	 * should hold the place often enough to ack migrations */
	static const uint8_t cmds[] = {
		VAS_CMD_COORD_REGISTER, VAS_CMD_COORD_UNREGISTER,
		VAS_CMD_COORD_UNREGISTER, VAS_CMD_COORD_UNREGISTER,
		VAS_CMD_COORD_ACK, VAS_CMD_COORD_ACK,
	};
	struct nlmsghdr *nlh;

	nlh = build_valid(r, buf, s, cmds[rnd_below(r, 6)], false, 0);
	fsock_send(s, buf, nlh->nlmsg_len);
	atomic_fetch_add(&shm->sent[FZ_COORD], 1);
	fsock_drain(s, 16, RBUF);
}

/*
 * Nobody's privileged command, valid header and random attributes: the
 * family's GENL_ADMIN_PERM answers EPERM before looking at them.
 */
static void fuzz_priv(struct rng *r, struct fsock *s, uint8_t *buf)
{
	static const uint8_t cmds[] = {
		VAS_CMD_COORD_REGISTER, VAS_CMD_COORD_UNREGISTER,
		VAS_CMD_COORD_ACK,
	};
	static char rbuf[RBUF];
	const struct nlmsghdr *nlh;
	struct nlmsghdr *req;
	double until;
	bool found = false;
	ssize_t n;
	int left;

	fsock_drain(s, 0, RBUF);
	if (s->dumping) {
		/* a dump still running answers every request with EBUSY */
		fsock_close(s);
		fsock_open(s, r, false, true);
	}
	req = build_valid(r, buf, s, cmds[rnd_below(r, 3)], false, 0);
	req->nlmsg_flags = NLM_F_REQUEST | (chance(r, 50) ? NLM_F_ACK : 0);
	((struct genlmsghdr *)mnl_nlmsg_get_payload(req))->version =
		(uint8_t)rnd(r);
	if (chance(r, 50))
		req->nlmsg_len += (uint32_t)put_random_attrs(
			r, buf + req->nlmsg_len, 256, 0);
	fsock_send(s, buf, req->nlmsg_len);
	atomic_fetch_add(&shm->sent[FZ_PRIV], 1);

	/* the answer is queued by the time sendmsg() returned */
	until = vt_now_ms() + 1000;
	while (!found) {
		n = recv(s->fd, rbuf, sizeof(rbuf), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			FZ_CHECK(vt_now_ms() < until,
				 "no answer to nobody's %s",
				 vt_cmd_name(((struct genlmsghdr *)
					      mnl_nlmsg_get_payload(req))->cmd));
			vt_sleep_ms(1);
			continue;
		}
		FZ_CHECK(n > 0, "receive: %s", strerror(errno));
		left = (int)n;
		for (nlh = (const struct nlmsghdr *)rbuf; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			check_message(s, nlh);
			if (nlh->nlmsg_type == NLMSG_ERROR &&
			    nlh->nlmsg_seq == req->nlmsg_seq) {
				const struct nlmsgerr *e =
					mnl_nlmsg_get_payload(nlh);

				FZ_CHECK(e->error == -EPERM,
					 "nobody's %s: %s, expected EPERM",
					 vt_cmd_name(((struct genlmsghdr *)
						mnl_nlmsg_get_payload(req))->cmd),
					 e->error ? strerror(-e->error) :
						    "success");
				atomic_fetch_add(&shm->nobody_eperm, 1);
				found = true;
			}
		}
	}
}

/* A fuzzing process: a pool of sockets, one message at a time. */
static void fuzzer(uint64_t seed, unsigned int idx, bool root,
		   struct fsock *inherited, unsigned int n_inherited)
{
	static const struct {
		enum fz_class cls;
		unsigned int weight;
	} mix[] = {
		{ FZ_VALID, 15 }, { FZ_MUTATED, 20 }, { FZ_RANDOM, 15 },
		{ FZ_NEST, 15 }, { FZ_SIZE, 10 }, { FZ_FLAGS, 10 },
		{ FZ_DUMP, 8 }, { FZ_COORD, 4 }, { FZ_PRIV, 4 },
	};
	uint8_t *buf = calloc(1, MSG_MAX + 4096);
	struct fsock pool[POOL];
	unsigned int i, w, total = 0;
	struct rng r;
	enum fz_class cls;
	struct fsock *s;

	FZ_CHECK(buf, "out of memory");
	rng_init(&r, seed, idx);
	rnd_bytes(&r, junk, sizeof(junk));
	for (i = 0; i < POOL; i++) {
		if (i < n_inherited)
			pool[i] = inherited[i];
		else
			fsock_open(&pool[i], &r, root, true);
	}
	for (i = 0; i < sizeof(mix) / sizeof(mix[0]); i++)
		total += mix[i].weight;

	for (worker_iter = 0; time_left(); worker_iter++) {
		w = rnd_below(&r, total);
		for (i = 0; w >= mix[i].weight; i++)
			w -= mix[i].weight;
		cls = mix[i].cls;
		if (cls == FZ_COORD && !root)
			cls = FZ_PRIV;
		if (cls == FZ_PRIV && root)
			cls = FZ_VALID;
		worker_class = cls;
		s = &pool[rnd_below(&r, POOL)];
		if (chance(&r, 1)) {
			/* a fresh socket now and then, mid-dump or not */
			fsock_close(s);
			fsock_open(s, &r, root, true);
		}
		switch (cls) {
		case FZ_DUMP:
			fuzz_dump(&r, s, root, buf);
			break;
		case FZ_COORD:
			fuzz_coord(&r, s, buf);
			break;
		case FZ_PRIV:
			fuzz_priv(&r, s, buf);
			break;
		default:
			fuzz_one(&r, s, cls, root, buf);
			break;
		}
	}
	for (i = 0; i < POOL; i++)
		fsock_close(&pool[i]);
	free(buf);
}

/*
 * Nobody: two of its sockets were opened by root before the drop; a
 * capability is judged on the caller as well as on the opener, so they
 * get EPERM too.
 */
static void fuzzer_nobody(uint64_t seed, unsigned int idx)
{
	struct fsock inherited[2];
	struct rng r;
	int err;

	rng_init(&r, seed, 1000 + idx);
	fsock_open(&inherited[0], &r, true, false);
	fsock_open(&inherited[1], &r, true, false);

	vt_drop_to_nobody();
	err = setsockopt(inherited[0].fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
			 &events_group, sizeof(events_group)) ? errno : 0;
	FZ_CHECK(err == EPERM, "nobody joining with root's socket: %s",
		 err ? strerror(err) : "joined");
	atomic_fetch_add(&shm->nobody_eperm, 1);
	fuzzer(seed, 100 + idx, false, inherited, 2);
}

/*
 * A coordinator process: registers, unregisters, acks the PREPAREs it
 * sees with the right token, a wrong one, twice or not at all, closes its
 * socket while registered and has children die registered. What the
 * family answers must follow from whether this socket is the coordinator.
 */
static void coordinator(uint64_t seed, unsigned int idx)
{
	struct vt_reply *rep = calloc(1, sizeof(*rep));
	struct vt_nl *ev, *c = NULL;
	bool registered = false;
	struct vt_msg m;
	struct rng r;
	uint64_t token;
	int err, status, w, tmo;
	pid_t pid;

	FZ_CHECK(rep, "out of memory");
	rng_init(&r, seed, 2000 + idx);
	ev = vt_nl_new();
	FZ_CHECK(vt_nl_join(ev) == 0, "coordinator joining events");
	vt_nl_rcvbuf(ev, 1 << 20);
	worker_class = FZ_COORD_PROC;

#define COORD_REQ(expr) (atomic_fetch_add(&shm->sent[FZ_COORD_PROC], 1), (expr))
	for (worker_iter = 0; time_left(); worker_iter++) {
		if (!c) {
			c = vt_nl_new();
			registered = false;
		}
		w = (int)rnd_below(&r, 100);
		if (w < 20) {
			err = COORD_REQ(vt_simple(c, VAS_CMD_COORD_REGISTER,
						  false, rep));
			FZ_CHECK(err == 0 || (!registered && err == -EBUSY),
				 "register (registered %d): %s", registered,
				 strerror(-err));
			if (!err && !registered) {
				registered = true;
				atomic_fetch_add(&shm->coord_registered, 1);
			}
		} else if (w < 23) {
			err = COORD_REQ(vt_simple(c, VAS_CMD_COORD_UNREGISTER,
						  false, rep));
			FZ_CHECK(err == (registered ? 0 : -ENOENT),
				 "unregister (registered %d): %s", registered,
				 strerror(-err));
			registered = false;
		} else if (w < 25) {
			/* gone while registered, perhaps with a waiter */
			vt_nl_free(c);
			c = NULL;
			if (registered)
				atomic_fetch_add(&shm->coord_died, 1);
		} else if (w < 27) {
			fflush(stdout);
			pid = fork();
			FZ_CHECK(pid >= 0, "fork: %s", strerror(errno));
			if (!pid) {
				struct vt_nl *d = vt_nl_new();

				err = vt_simple(d, VAS_CMD_COORD_REGISTER,
						false, rep);
				if (!err)
					atomic_fetch_add(&shm->coord_died, 1);
				if (chance(&r, 50))
					vt_sleep_ms(rnd_below(&r, 300));
				if (chance(&r, 50))
					raise(SIGKILL);
				_exit(err == 0 || err == -EBUSY ? 0 : 1);
			}
			atomic_fetch_add(&shm->sent[FZ_COORD_PROC], 1);
			FZ_CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
			FZ_CHECK((WIFEXITED(status) && !WEXITSTATUS(status)) ||
				 (WIFSIGNALED(status) &&
				  WTERMSIG(status) == SIGKILL),
				 "dying coordinator: status 0x%x", status);
		} else if (w < 30) {
			err = COORD_REQ(vt_coord_ack(c, rnd(&r), rep));
			FZ_CHECK(registered ? (err == -ENOENT ||
					       err == -ESTALE) :
					      err == -EACCES,
				 "ack of a random token (registered %d): %s",
				 registered, strerror(-err));
		} else {
			/*
			 * Everything queued, as a daemon reads: the window
			 * events of a migration would otherwise hold the
			 * PREPARE back past coord_timeout_ms.
			 */
			token = 0;
			for (tmo = 50; (err = vt_event_wait(ev, &m, tmo)); tmo = 0) {
				if (err == -ENOBUFS)
					continue;
				FZ_CHECK(err > 0, "events: %s", strerror(-err));
				if (m.cmd == VAS_CMD_MIGRATION_CHANGE_NTF &&
				    m.mig.phase == VAS_MIGRATION_PHASE_PREPARE)
					token = m.mig.token;
			}
			if (!token)
				continue;
			if (registered)
				atomic_fetch_add(&shm->coord_prepares, 1);
			switch (rnd_below(&r, 5)) {
			case 0:	/* not acked: the migration times out */
				break;
			case 1:
				err = COORD_REQ(vt_coord_ack(c, token ^ 1,
							     rep));
				FZ_CHECK(registered ? (err == -ESTALE ||
						       err == -ENOENT) :
						      err == -EACCES,
					 "ack of a wrong token: %s",
					 strerror(-err));
				/* fall through */
			default:
				err = COORD_REQ(vt_coord_ack(c, token, rep));
				FZ_CHECK(registered ? (err == 0 ||
						       err == -ENOENT ||
						       err == -ESTALE) :
						      err == -EACCES,
					 "ack (registered %d): %s",
					 registered, strerror(-err));
				if (!err)
					atomic_fetch_add(&shm->coord_acked, 1);
				if (err == -ENOENT)
					atomic_fetch_add(&shm->coord_late, 1);
				if (err || chance(&r, 50))
					break;
				/* twice: the migration no longer waits */
				err = COORD_REQ(vt_coord_ack(c, token, rep));
				FZ_CHECK(err == -ENOENT || err == -ESTALE,
					 "second ack: %s",
					 err ? strerror(-err) : "success");
				break;
			}
		}
	}
#undef COORD_REQ
	vt_nl_free(c);
	vt_nl_free(ev);
	free(rep);
}

/* Windows open and close, some die with their process; credits change. */
static void window_churn(uint64_t seed)
{
	int fds[MAX_WINDOWS], n = 0, fd, i, status;
	struct rng r;
	pid_t pid;

	rng_init(&r, seed, 3000);
	while (time_left()) {
		switch (rnd_below(&r, 20)) {
		case 0:	/* a process dies with its windows */
			fflush(stdout);
			pid = fork();
			FZ_CHECK(pid >= 0, "fork: %s", strerror(errno));
			if (!pid) {
				for (i = 0; i < 3; i++)
					vt_win_open(chance(&r, 50) ? 0 :
						VAS_TX_WIN_FLAG_QOS_CREDIT);
				_exit(0);
			}
			FZ_CHECK(waitpid(pid, &status, 0) == pid &&
				 WIFEXITED(status) && !WEXITSTATUS(status),
				 "window child: status 0x%x", status);
			atomic_fetch_add(&shm->win_orphaned, 1);
			break;
		case 1:	/* a DLPAR change of credits, closing or reopening */
			FZ_CHECK(vt_debugfs_write(chance(&r, 50) ?
						  "credits_default" :
						  "credits_qos", "%u",
						  4 + rnd_below(&r, 36)) == 0,
				 "credits write");
			atomic_fetch_add(&shm->credit_changes, 1);
			break;
		default:
			if (n < MAX_WINDOWS && (n == 0 || chance(&r, 55))) {
				fd = vt_win_open(chance(&r, 50) ? 0 :
						 VAS_TX_WIN_FLAG_QOS_CREDIT);
				/* EBUSY: migrating; EINVAL: no credit */
				FZ_CHECK(fd >= 0 || fd == -EBUSY ||
					 fd == -EINVAL, "window open: %s",
					 strerror(-fd));
				if (fd >= 0) {
					fds[n++] = fd;
					atomic_fetch_add(&shm->win_opened, 1);
				} else {
					atomic_fetch_add(&shm->win_refused, 1);
				}
			} else if (n) {
				i = (int)rnd_below(&r, (uint32_t)n);
				close(fds[i]);
				fds[i] = fds[--n];
			}
			break;
		}
		vt_sleep_ms(rnd_below(&r, 3));
	}
	while (n)
		close(fds[--n]);
}

static void migrator(uint64_t seed)
{
	uint64_t stream = 1000;
	struct rng r;
	int err;

	rng_init(&r, seed, 4000);
	while (time_left()) {
		err = vt_migrate(stream++);
		FZ_CHECK(!err || err == -EAGAIN || err == -EBUSY,
			 "migration: %s", strerror(-err));
		atomic_fetch_add(err == -EAGAIN ? &shm->migrations_aborted :
				 err == -EBUSY ? &shm->migrations_busy :
						 &shm->migrations, 1);
		vt_sleep_ms(rnd_below(&r, 40));
	}
}

struct child {
	pid_t pid;
	char name[32];
};

static struct child children[16];
static unsigned int nchildren;

static void spawn(const char *name, void (*fn)(uint64_t, unsigned int),
		  uint64_t seed, unsigned int idx)
{
	struct child *c = &children[nchildren++];
	pid_t pid;

	snprintf(c->name, sizeof(c->name), "%s %u", name, idx);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	TEST_ASSERTF(pid >= 0, "fork: %s", strerror(errno));
	if (!pid) {
		worker_name = c->name;
		fn(seed, idx);
		fflush(stdout);
		_exit(0);
	}
	c->pid = pid;
}

static void root_fuzzer(uint64_t seed, unsigned int idx)
{
	fuzzer(seed, idx, true, NULL, 0);
}

static void churn_proc(uint64_t seed, unsigned int idx)
{
	window_churn(seed);
}

static void migrate_proc(uint64_t seed, unsigned int idx)
{
	migrator(seed);
}

/* Every child must end on its own within a grace period, with status 0. */
static void wait_children(void)
{
	double grace = deadline_ms + 60000;
	unsigned int left = nchildren, i;
	int status;
	pid_t pid;

	while (left) {
		pid = waitpid(-1, &status, WNOHANG);
		TEST_ASSERTF(pid >= 0, "waitpid: %s", strerror(errno));
		if (!pid) {
			if (vt_now_ms() > grace) {
				for (i = 0; i < nchildren; i++)
					if (children[i].pid)
						fprintf(stderr, "fuzz: %s hangs\n",
							children[i].name);
				TEST_ASSERTF(false, "workers hang 60 s after the end");
			}
			vt_sleep_ms(20);
			continue;
		}
		for (i = 0; i < nchildren && children[i].pid != pid; i++)
			;
		TEST_ASSERTF(i < nchildren, "unknown child %d", pid);
		TEST_ASSERTF(WIFEXITED(status) && !WEXITSTATUS(status),
			     "%s failed (status 0x%x)", children[i].name,
			     status);
		children[i].pid = 0;
		left--;
	}
}

/* Kernel log: only what came after our mark counts. */

#define KMSG_MARK "fuzz-family: start"

static void kmsg_mark(uint64_t seed)
{
	char line[128];
	int fd, len;

	len = snprintf(line, sizeof(line), KMSG_MARK " seed %" PRIu64 "\n",
		       seed);
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	TEST_ASSERTF(fd >= 0, "/dev/kmsg: %s", strerror(errno));
	TEST_ASSERT(write(fd, line, (size_t)len) == len);
	close(fd);
}

/*
 * The reports of the kernel's debuggers, on a production kernel as on a
 * debug one: BUG/WARNING/Oops, KASAN, UBSAN, lockdep (its reports are
 * WARNINGs or "possible ... locking"), sleeping in atomic context (a
 * BUG:), list and object debugging.
 */
static void kmsg_check(void)
{
	static const char *const bad[] = {
		"BUG:", "WARNING:", "Oops", "KASAN", "UBSAN", "kernel BUG",
		"general protection fault", "Call Trace:", "lockdep",
		"possible circular locking", "possible recursive locking",
		"inconsistent lock state", "held lock freed",
		"suspicious RCU usage", "list_add corruption",
		"list_del corruption", "ODEBUG", "INFO: task",
		"rcu_sched self-detected stall", "refcount_t",
		"unreferenced object",
	};
	int found = vt_klog_scan(KMSG_MARK, bad, sizeof(bad) / sizeof(bad[0]));

	TEST_ASSERTF(found >= 0, "the kernel log lost our mark");
	TEST_ASSERTF(!found, "the kernel log has a report since the fuzzing began");
}

/* The family after the fuzzing. */

/* The next event of @cmd (others skipped), within 5 s. */
static void event_until(struct vt_nl *ev, uint8_t cmd, uint32_t phase,
			struct vt_msg *m)
{
	double until = vt_now_ms() + 5000;
	int err;

	for (;;) {
		err = vt_event_wait(ev, m, (int)(until - vt_now_ms()));
		TEST_ASSERTF(err == 1, "waiting for %s: %s", vt_cmd_name(cmd),
			     err ? strerror(-err) : "timed out");
		if (m->cmd != cmd)
			continue;
		if (cmd == VAS_CMD_WINDOW_ADD_NTF && m->win.tgid !=
		    (uint32_t)getpid())
			continue;
		if (cmd == VAS_CMD_MIGRATION_CHANGE_NTF &&
		    m->mig.phase != phase)
			continue;
		return;
	}
}

static void final_check(void)
{
	struct vt_reply *r = calloc(1, sizeof(*r));
	uint32_t ids[FINAL_WINDOWS];
	int fds[FINAL_WINDOWS];
	struct vt_migration fm;
	double took_ms;
	struct vt_nl *nl, *ev, *coord;
	struct vt_msg m;
	size_t i, j;

	TEST_ASSERT(r);
	worker_name = "final check";
	TEST_ASSERT_ERR(0, vt_debugfs_write("credits_default", "32"));
	TEST_ASSERT_ERR(0, vt_debugfs_write("credits_qos", "16"));
	nl = vt_nl_new();
	ev = vt_nl_new();
	coord = vt_nl_new();
	TEST_ASSERT_ERR(0, vt_nl_join(ev));

	/* every worker is gone, and so are its windows */
	for (i = 0; i < FINAL_WINDOWS; i++) {
		fds[i] = vt_win_open(i % 2 ? VAS_TX_WIN_FLAG_QOS_CREDIT : 0);
		TEST_ASSERT_ERR(0, fds[i] < 0 ? fds[i] : 0);
		event_until(ev, VAS_CMD_WINDOW_ADD_NTF, 0, &m);
		ids[i] = m.win.id;
	}
	TEST_ASSERT_ERR(0, vt_simple(nl, VAS_CMD_WINDOW_GET, true, r));
	TEST_ASSERT(!r->dump_intr);
	TEST_ASSERTF(r->n == FINAL_WINDOWS,
		     "the dump lists %zu windows, %d are open", r->n,
		     FINAL_WINDOWS);
	for (i = 0; i < FINAL_WINDOWS; i++) {
		for (j = 0; j < r->n && r->msgs[j].win.id != ids[i]; j++)
			;
		TEST_ASSERTF(j < r->n, "window %u missing from the dump",
			     ids[i]);
		TEST_ASSERT_EQ(getpid(), r->msgs[j].win.tgid);
		TEST_ASSERT_EQ(VAS_WIN_STATE_ACTIVE, r->msgs[j].win.state);
	}
	TEST_ASSERT_ERR(0, vt_simple(nl, VAS_CMD_CAPS_GET, true, r));
	TEST_ASSERT_EQ(2, r->n);
	printf("fuzz: after: the dump lists exactly the %d windows open\n",
	       FINAL_WINDOWS);

	/* the dead coordinators left the place free; an ack lets it go on */
	vt_param_write("coord_timeout_ms", "10000");
	TEST_ASSERT_ERR(0, vt_simple(coord, VAS_CMD_COORD_REGISTER, false, r));
	vt_migrate_start(&fm, 1);
	event_until(ev, VAS_CMD_MIGRATION_CHANGE_NTF,
		    VAS_MIGRATION_PHASE_PREPARE, &m);
	TEST_ASSERT_EQ(1, m.mig.stream_id);
	TEST_ASSERT_ERR(0, vt_coord_ack(coord, m.mig.token, r));
	event_until(ev, VAS_CMD_MIGRATION_CHANGE_NTF,
		    VAS_MIGRATION_PHASE_COMPLETED, &m);
	took_ms = vt_migrate_join(&fm);
	TEST_ASSERTF(took_ms < 5000, "acked migration took %.0f ms", took_ms);
	TEST_ASSERT_ERR(0, vt_simple(nl, VAS_CMD_MIGRATION_GET, false, r));
	TEST_ASSERT_EQ(VAS_MIGRATION_PHASE_COMPLETED, r->msgs[0].mig.phase);
	TEST_ASSERT_ERR(0, vt_simple(coord, VAS_CMD_COORD_UNREGISTER, false,
				     r));
	printf("fuzz: after: a migration acked by a new coordinator completed in %.0f ms\n",
	       took_ms);

	for (i = 0; i < FINAL_WINDOWS; i++)
		close(fds[i]);
	vt_nl_free(coord);
	vt_nl_free(ev);
	vt_nl_free(nl);
	free(r);
}

static void report(double secs)
{
	unsigned long total = 0, n;
	int i;

	for (i = 0; i < FZ_NCLASS; i++)
		total += atomic_load(&shm->sent[i]);
	printf("fuzz: %lu messages in %.1f s (%.0f/s)\n", total, secs,
	       total / secs);
	for (i = 0; i < FZ_NCLASS; i++) {
		n = atomic_load(&shm->sent[i]);
		printf("fuzz:   %-18s %8lu  %6.0f/s\n", class_names[i], n,
		       n / secs);
	}
	printf("fuzz: answers:");
	for (i = 0; i < FA_NANSWER; i++)
		printf(" %s %lu", answer_names[i],
		       atomic_load(&shm->answers[i]));
	for (i = 0; i < ERRNO_MAX; i++)
		if (atomic_load(&shm->other_errno[i]))
			printf(" (%s %lu)", strerrorname_np(i),
			       atomic_load(&shm->other_errno[i]));
	printf("\nfuzz: %lu replies, %lu dumps ended, %lu notifications, %lu ENOBUFS, %lu sends refused\n",
	       atomic_load(&shm->replies), atomic_load(&shm->dump_done),
	       atomic_load(&shm->notifications), atomic_load(&shm->enobufs),
	       atomic_load(&shm->send_errors));
	printf("fuzz: %lu sockets, %lu closed mid-dump; nobody refused %lu times (EPERM)\n",
	       atomic_load(&shm->sockets),
	       atomic_load(&shm->sockets_closed_mid_dump),
	       atomic_load(&shm->nobody_eperm));
	printf("fuzz: windows: %lu opened, %lu refused, %lu processes died with theirs, %lu credit changes\n",
	       atomic_load(&shm->win_opened), atomic_load(&shm->win_refused),
	       atomic_load(&shm->win_orphaned),
	       atomic_load(&shm->credit_changes));
	printf("fuzz: migrations: %lu completed, %lu aborted, %lu busy\n",
	       atomic_load(&shm->migrations),
	       atomic_load(&shm->migrations_aborted),
	       atomic_load(&shm->migrations_busy));
	printf("fuzz: coordinator processes: %lu registrations, %lu PREPAREs seen registered, %lu acked, %lu acks too late, %lu died registered\n",
	       atomic_load(&shm->coord_registered),
	       atomic_load(&shm->coord_prepares),
	       atomic_load(&shm->coord_acked), atomic_load(&shm->coord_late),
	       atomic_load(&shm->coord_died));
}

static noreturn void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: fuzz-family [--seed N] [--duration SEC]\n");
	exit(status);
}

static uint64_t parse_u64(const char *s)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-')
		usage(2);
	return v;
}

int main(int argc, char **argv)
{
	double duration = 20, start;
	bool have_seed = false;
	struct vt_nl *nl;
	uint64_t seed = 0;
	unsigned int i;
	int a;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--seed") && a + 1 < argc)
			seed = parse_u64(argv[++a]), have_seed = true;
		else if (!strcmp(argv[a], "--duration") && a + 1 < argc)
			duration = (double)parse_u64(argv[++a]);
		else if (!strcmp(argv[a], "--help"))
			usage(0);
		else
			usage(2);
	}
	if (!have_seed)
		TEST_ASSERT(getrandom(&seed, sizeof(seed), 0) ==
			    sizeof(seed));
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("fuzz: seed %" PRIu64 " (rerun: --seed %" PRIu64
	       "), %.0f s\n", seed, seed, duration);

	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(shm != MAP_FAILED);

	vt_setup(NULL);
	kmsg_mark(seed);
	vt_param_write("coord_timeout_ms", FUZZ_COORD_TIMEOUT_MS);
	nl = vt_nl_new();
	family = vt_nl_family(nl);
	events_group = vt_nl_group(nl);
	vt_nl_free(nl);

	start = vt_now_ms();
	deadline_ms = start + duration * 1000;
	for (i = 0; i < ROOT_FUZZERS; i++)
		spawn("root fuzzer", root_fuzzer, seed, i);
	for (i = 0; i < NOBODY_FUZZERS; i++)
		spawn("nobody fuzzer", fuzzer_nobody, seed, i);
	for (i = 0; i < COORD_PROCS; i++)
		spawn("coordinator", coordinator, seed, i);
	spawn("window churn", churn_proc, seed, 0);
	spawn("migrator", migrate_proc, seed, 0);
	wait_children();
	report((vt_now_ms() - start) / 1000);

	final_check();
	vt_kmod_unload();
	kmsg_check();
	printf("fuzz: ok: seed %" PRIu64 ", the module unloaded, no kernel report\n",
	       seed);
	return 0;
}
