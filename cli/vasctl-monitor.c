// SPDX-License-Identifier: GPL-2.0-only
/*
 * vasctl monitor: its options; and with --kernel, print each notification
 * of the kernel's "vas" family as one line, until SIGINT or SIGTERM.
 * Without --kernel it prints vasd's signals (vasctl-monitor-bus.c).
 *
 * With --dump-first it first prints the current credits and windows. It
 * joins the events group before dumping, on a second socket, so nothing
 * that happens meanwhile is missed: events the dump already covers (seq at
 * or below the dump's) are dropped, events after it are printed, and an
 * event that falls between two dumps may show twice but never not at all.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libmnl/libmnl.h>

#include "netlink/vas-format.h"
#include "netlink/vas-msg.h"
#include "netlink/vas-nl.h"
#include "util/macro.h"
#include "vasctl.h"

/*
 * The kernel sends each notification as it happens: a burst of window
 * opens outruns a reader on a busy machine unless the buffer is large.
 */
#define DEFAULT_RCVBUF (4 * 1024 * 1024)

/* A dump the kernel flags inconsistent is retried this many times. */
#define DUMP_TRIES 5

struct follow {
	uint16_t family_id;
	/* the last event printed or covered, to tell gaps */
	bool known;
	uint64_t generation;
	uint64_t seq;
};

static void monitor_usage(FILE *f)
{
	fputs("Usage: vasctl monitor [--json]\n"
	      "       vasctl monitor --kernel [--dump-first] [--buffer-size=BYTES]\n"
	      "\n"
	      "Print each event as one line until interrupted: vasd's signals on\n"
	      "the system bus (what its ledger committed: windows added, changed\n"
	      "and removed, its state, PrepareForMigration), or with --kernel the\n"
	      "kernel's vas netlink family (joining its group needs CAP_NET_ADMIN).\n"
	      "\n"
	      "Options:\n"
	      "     --json               vasd's events as JSON, one object a line\n"
	      "                           (proto/vasctl-json.md)\n"
	      "  -k --kernel              Follow the kernel's events instead of vasd's\n"
	      "  -d --dump-first          --kernel: print the current credits and\n"
	      "                           windows first\n"
	      "  -b --buffer-size=BYTES   --kernel: socket receive buffer (suffix K, M;\n"
	      "                           default 4M)\n"
	      "  -h --help                Show this help\n", f);
}

static int print_line(const char *line)
{
	if (puts(line) == EOF || fflush(stdout) == EOF)
		return -errno;
	return 0;
}

static int print_msg(const struct vas_msg *m)
{
	char line[VAS_FORMAT_LINE_MAX];

	vas_format_msg(line, sizeof(line), m);
	return print_line(line);
}

static int parse_size(const char *s, int *ret)
{
	unsigned long long v, mult = 1;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -EINVAL;
	if (*end == 'K' || *end == 'k')
		mult = 1024, end++;
	else if (*end == 'M' || *end == 'm')
		mult = 1024 * 1024, end++;
	if (*end || v == 0 || v > INT_MAX / mult)
		return -EINVAL;
	*ret = (int)(v * mult);
	return 0;
}

struct snapshot {
	uint8_t cmd;		/* the GET command dumped */
	struct vas_msg *msgs;
	size_t n;
};

static int snapshot_add(const struct nlmsghdr *nlh, void *userdata)
{
	struct snapshot *s = userdata;
	struct vas_msg m, *p;
	const char *err;
	int r;

	r = vas_msg_decode(nlh, nlh->nlmsg_len, &m, &err);
	if (r < 0) {
		vasctl_error("monitor: malformed dump reply: %s", err);
		return r;
	}
	if (m.cmd != s->cmd) {
		vasctl_error("monitor: dump reply of the wrong command %u",
			     m.cmd);
		return -EBADMSG;
	}
	p = realloc(s->msgs, (s->n + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	s->msgs = p;
	s->msgs[s->n++] = m;
	return 0;
}

static int dump_one(struct vas_nl *nl, uint8_t cmd, struct snapshot *s)
{
	int r = -EAGAIN;

	for (int i = 0; i < DUMP_TRIES && r == -EAGAIN; i++) {
		free(s->msgs);
		*s = (struct snapshot){ .cmd = cmd };
		r = vas_nl_dump(nl, cmd, snapshot_add, s);
	}
	if (r == -EAGAIN)
		vasctl_error("monitor: the %s dump kept changing under us",
			     vas_cmd_to_string(cmd));
	else if (r < 0)
		vasctl_error("monitor: cannot dump %s: %s",
			     vas_cmd_to_string(cmd), strerror(-r));
	return r;
}

/*
 * Print the credits, then the windows. The oldest seq among them is where
 * following starts: anything newer may be missing from one of the dumps.
 */
static int dump_first(struct follow *f)
{
	static const uint8_t cmds[] = { VAS_CMD_CAPS_GET, VAS_CMD_WINDOW_GET };
	_cleanup_(vas_nl_freep) struct vas_nl *nl = NULL;
	int r;

	r = vas_nl_new(&nl);
	if (r < 0) {
		vasctl_error("monitor: cannot open a netlink socket: %s",
			     strerror(-r));
		return r;
	}

	for (size_t c = 0; c < ELEMENTSOF(cmds); c++) {
		struct snapshot s = { 0 };

		r = dump_one(nl, cmds[c], &s);
		for (size_t i = 0; r >= 0 && i < s.n; i++) {
			const struct vas_msg *m = &s.msgs[i];

			if (!f->known || m->generation != f->generation ||
			    m->seq < f->seq) {
				f->known = true;
				f->generation = m->generation;
				f->seq = m->seq;
			}
			r = print_msg(m);
			if (r < 0)
				vasctl_error("monitor: cannot write: %s",
					     strerror(-r));
		}
		free(s.msgs);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Print one notification. Events the dump covered are dropped; a jump in
 * seq means events were lost without the socket noticing (it cannot: the
 * kernel numbers events nobody listened to, e.g. before we joined).
 */
static int follow_msg(struct follow *f, const struct nlmsghdr *nlh)
{
	struct vas_msg m;
	const char *err;
	char line[96];
	int r;

	if (nlh->nlmsg_type != f->family_id)
		return 0;
	r = vas_msg_decode(nlh, nlh->nlmsg_len, &m, &err);
	if (r == -EOPNOTSUPP)
		return 0;	/* a command newer than this build */
	if (r < 0) {
		vasctl_error("monitor: skipping a malformed event: %s", err);
		return 0;
	}

	if (f->known && m.generation == f->generation) {
		if (m.seq <= f->seq)
			return 0;
		if (m.seq > f->seq + 1) {
			snprintf(line, sizeof(line),
				 "KERNEL lost events (seq %" PRIu64 "..%" PRIu64 ")",
				 f->seq + 1, m.seq - 1);
			r = print_line(line);
			if (r < 0)
				return r;
		}
	}
	f->known = true;
	f->generation = m.generation;
	f->seq = m.seq;
	return print_msg(&m);
}

static int follow_datagram(struct follow *f, struct vas_nl *nl, void *buf,
			   size_t size)
{
	const struct nlmsghdr *nlh;
	ssize_t n;
	int len, r;

	n = vas_nl_recv(nl, buf, size);
	if (n == -EINTR || n == -EAGAIN)
		return 0;
	if (n == -ENOBUFS) {
		/* the next event starts over: no gap can be told across */
		f->known = false;
		return print_line("KERNEL lost events (ENOBUFS)");
	}
	if (n < 0) {
		vasctl_error("monitor: cannot receive: %s", strerror((int)-n));
		return (int)n;
	}

	len = (int)n;
	for (nlh = buf; mnl_nlmsg_ok(nlh, len);
	     nlh = mnl_nlmsg_next(nlh, &len)) {
		r = follow_msg(f, nlh);
		if (r < 0) {
			vasctl_error("monitor: cannot write: %s", strerror(-r));
			return r;
		}
	}
	return 0;
}

static int open_events(struct vas_nl **ret, int rcvbuf)
{
	_cleanup_(vas_nl_freep) struct vas_nl *nl = NULL;
	int r;

	r = vas_nl_new(&nl);
	if (r == -ENOENT) {
		vasctl_error("the kernel has no 'vas' netlink family (is vas_sim loaded?)");
		return r;
	}
	if (r < 0) {
		vasctl_error("monitor: cannot open the vas netlink family: %s",
			     strerror(-r));
		return r;
	}
	r = vas_nl_set_rcvbuf(nl, rcvbuf);
	if (r < 0) {
		vasctl_error("monitor: cannot set the receive buffer: %s",
			     strerror(-r));
		return r;
	}
	r = vas_nl_join_events(nl);
	if (r < 0) {
		vasctl_error("monitor: cannot join the events group%s: %s",
			     r == -EPERM ? " (needs CAP_NET_ADMIN)" : "",
			     strerror(-r));
		return r;
	}
	*ret = nl;
	nl = NULL;
	return 0;
}

static int monitor_run(bool dump, int rcvbuf)
{
	_cleanup_(vas_nl_freep) struct vas_nl *nl = NULL;
	struct follow f = { 0 };
	void *buf = NULL;
	int sfd, r;

	sfd = vasctl_block_signals();
	if (sfd < 0) {
		vasctl_error("monitor: cannot set up signals: %s",
			     strerror(-sfd));
		return VASCTL_EXIT_FAILURE;
	}

	r = open_events(&nl, rcvbuf);
	if (r < 0) {
		close(sfd);
		return r == -ENOENT ? VASCTL_EXIT_NOT_RUNNING : VASCTL_EXIT_FAILURE;
	}
	f.family_id = vas_nl_get_family_id(nl);

	if (dump) {
		r = dump_first(&f);
		if (r < 0)
			goto out;
	}

	/* aligned for struct nlmsghdr, which a char array is not */
	buf = malloc(VAS_NL_BUFFER_SIZE);
	if (!buf) {
		r = -ENOMEM;
		vasctl_error("monitor: %s", strerror(-r));
		goto out;
	}

	for (;;) {
		struct pollfd p[] = {
			{ .fd = vas_nl_get_fd(nl), .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
		};

		if (poll(p, ELEMENTSOF(p), -1) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			vasctl_error("monitor: poll: %s", strerror(-r));
			break;
		}
		if (p[1].revents) {
			r = 0;
			break;
		}
		if (p[0].revents) {
			r = follow_datagram(&f, nl, buf, VAS_NL_BUFFER_SIZE);
			if (r < 0)
				break;
		}
	}

out:
	free(buf);
	close(sfd);
	return r < 0 ? VASCTL_EXIT_FAILURE : VASCTL_EXIT_OK;
}

int vasctl_monitor(int argc, char **argv)
{
	enum { ARG_JSON = 0x100 };
	static const struct option options[] = {
		{ "json", no_argument, NULL, ARG_JSON },
		{ "kernel", no_argument, NULL, 'k' },
		{ "dump-first", no_argument, NULL, 'd' },
		{ "buffer-size", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool kernel = false, dump = false, json = false, buffer = false;
	int rcvbuf = DEFAULT_RCVBUF;
	int c;

	while ((c = getopt_long(argc, argv, "kdb:h", options, NULL)) >= 0) {
		switch (c) {
		case 'k':
			kernel = true;
			break;
		case 'd':
			dump = true;
			break;
		case 'b':
			if (parse_size(optarg, &rcvbuf) < 0) {
				vasctl_error("monitor: invalid buffer size '%s'",
					     optarg);
				return VASCTL_EXIT_USAGE;
			}
			buffer = true;
			break;
		case ARG_JSON:
			json = true;
			break;
		case 'h':
			monitor_usage(stdout);
			return VASCTL_EXIT_OK;
		default:
			monitor_usage(stderr);
			return VASCTL_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		vasctl_error("monitor: unexpected argument '%s'", argv[optind]);
		monitor_usage(stderr);
		return VASCTL_EXIT_USAGE;
	}
	if (kernel && json) {
		vasctl_error("monitor: --json is for vasd's events, not --kernel's");
		return VASCTL_EXIT_USAGE;
	}
	if (!kernel && (dump || buffer)) {
		vasctl_error("monitor: --dump-first and --buffer-size need --kernel");
		return VASCTL_EXIT_USAGE;
	}
	return kernel ? monitor_run(dump, rcvbuf) : vasctl_monitor_bus(json);
}
