// SPDX-License-Identifier: GPL-2.0-only
/*
 * fake-kernel: the kernel part's generic netlink family "vas", without a
 * kernel: the same messages over a SOCK_SEQPACKET unix socket
 * (daemon/kernel-source.h, "unix:PATH"), the semantics of
 * kernel/vas-sim.c, driven by a script. For host tests and benchmarks of
 * vasd, which decodes these messages with the same code as netlink's.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>

#include "fk-log.h"
#include "fk-model.h"
#include "fk-script.h"
#include "fk-server.h"

/* vasd's default receive buffer: how far its events may lag. */
#define DEFAULT_SNDBUF (8 << 20)

struct options {
	const char *socket;
	const char *script;
	uint64_t generation;
	uint32_t credits[2];
	int sndbuf;
	bool pad64;
	bool backpressure;
	bool linger;
	struct fk_script_config script_cfg;
};

static void usage(FILE *f)
{
	fputs("Usage: fake-kernel --socket PATH [OPTIONS]\n"
	      "\n"
	      "Serve the generic netlink family \"vas\" on a SOCK_SEQPACKET unix\n"
	      "socket, with the semantics of the vas_sim module, driven by a script.\n"
	      "The first connection of a client gets every event; a connection that\n"
	      "sends a request is answered as netlink answers, and gets no events.\n"
	      "\n"
	      "Options:\n"
	      "  -s --socket=PATH          Listen here (required)\n"
	      "  -f --script=FILE          Read the script from FILE (default: stdin)\n"
	      "  -g --generation=N         The instance's generation (default: random)\n"
	      "  -r --rate=N               At most N events per second (default 0: no limit)\n"
	      "  -l --linger               After the script, serve until SIGTERM\n"
	      "     --default-credits=N    Initial default credits (32)\n"
	      "     --qos-credits=N        Initial QoS credits (16)\n"
	      "     --ack-timeout-ms=N     How long a migration waits for the coordinator (5000)\n"
	      "     --pause-ms=N           The hypervisor's pause in a migration (10)\n"
	      "     --sndbuf=BYTES         Send buffer of events connections (8 MiB)\n"
	      "     --pad64                Pad attributes before u64s, as kernels do\n"
	      "                            where unaligned access is slow\n"
	      "     --backpressure         Wait (up to 10 s) for a listener that lags\n"
	      "                            instead of dropping events (benchmarks; the\n"
	      "                            kernel never waits)\n"
	      "  -v --verbose              Log every event and request\n"
	      "  -h --help                 Show this help\n"
	      "\n"
	      "Script, one command a line ('#' starts a comment):\n"
	      "  open [default|qos] [comm=NAME] [tgid=N] [pid=N] [uid=N]\n"
	      "                    open a window (refused as the kernel refuses: no\n"
	      "                    credit left, EBUSY while windows are suspended)\n"
	      "  close ID | close-newest | close-oldest\n"
	      "  credits default|qos N\n"
	      "                    DLPAR: suspend the newest windows, or resume the oldest\n"
	      "  migrate [stream=N] [ack-timeout-ms=N] [pause-ms=N] [abort]\n"
	      "                    a whole migration; waits for a coordinator's ack\n"
	      "  drop N            the next N events are numbered but not sent\n"
	      "  reload            a new instance: new generation, seq from 1, no windows\n"
	      "  random N [seed=S] N random opens, closes, credit changes, migrations\n"
	      "  burst N           N window open+close pairs, as fast as allowed\n"
	      "  sleep MS          serve the socket for MS milliseconds\n"
	      "  wait-client [N]   until N (1) events connections are there\n"
	      "  wait-coordinator  until a connection registered as coordinator\n"
	      "  truth PATH        write the state as JSON to PATH (atomically)\n"
	      "  exit [STATUS]     stop now, even with --linger\n"
	      "\n"
	      "Exit status: 0, the script's exit status, 1 on failure, 2 for bad options\n"
	      "or a script line that does not parse.\n", f);
}

static int parse_num(const char *s, uint64_t max, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

enum {
	ARG_DEFAULT_CREDITS = 0x100,
	ARG_QOS_CREDITS,
	ARG_ACK_TIMEOUT,
	ARG_PAUSE,
	ARG_SNDBUF,
	ARG_PAD64,
	ARG_BACKPRESSURE,
};

/* 0, 1 when done (--help), or -EINVAL (reported). */
static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "script", required_argument, NULL, 'f' },
		{ "generation", required_argument, NULL, 'g' },
		{ "rate", required_argument, NULL, 'r' },
		{ "linger", no_argument, NULL, 'l' },
		{ "default-credits", required_argument, NULL, ARG_DEFAULT_CREDITS },
		{ "qos-credits", required_argument, NULL, ARG_QOS_CREDITS },
		{ "ack-timeout-ms", required_argument, NULL, ARG_ACK_TIMEOUT },
		{ "pause-ms", required_argument, NULL, ARG_PAUSE },
		{ "sndbuf", required_argument, NULL, ARG_SNDBUF },
		{ "pad64", no_argument, NULL, ARG_PAD64 },
		{ "backpressure", no_argument, NULL, ARG_BACKPRESSURE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "s:f:g:r:lvh", options, NULL)) >= 0) {
		const char *name = NULL;
		uint64_t max = UINT32_MAX;

		switch (c) {
		case 's':
			o->socket = optarg;
			continue;
		case 'f':
			o->script = optarg;
			continue;
		case 'l':
			o->linger = true;
			continue;
		case ARG_PAD64:
			o->pad64 = true;
			continue;
		case ARG_BACKPRESSURE:
			o->backpressure = true;
			continue;
		case 'v':
			fk_log_set_verbose(true);
			continue;
		case 'h':
			usage(stdout);
			return 1;
		case 'g':
			name = "--generation";
			max = UINT64_MAX;
			break;
		case 'r':
			name = "--rate";
			max = UINT64_MAX;
			break;
		case ARG_DEFAULT_CREDITS:
			name = "--default-credits";
			max = FK_CREDITS_MAX;
			break;
		case ARG_QOS_CREDITS:
			name = "--qos-credits";
			max = FK_CREDITS_MAX;
			break;
		case ARG_ACK_TIMEOUT:
			name = "--ack-timeout-ms";
			break;
		case ARG_PAUSE:
			name = "--pause-ms";
			break;
		case ARG_SNDBUF:
			name = "--sndbuf";
			max = INT_MAX;
			break;
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (parse_num(optarg, max, &v) < 0 ||
		    (c == 'g' && v == 0) || (c == ARG_SNDBUF && v == 0)) {
			fprintf(stderr, "fake-kernel: %s: invalid value '%s'\n",
				name, optarg);
			return -EINVAL;
		}
		switch (c) {
		case 'g':
			o->generation = v;
			break;
		case 'r':
			o->script_cfg.rate = v;
			break;
		case ARG_DEFAULT_CREDITS:
			o->credits[VAS_WIN_TYPE_DEFAULT] = (uint32_t)v;
			break;
		case ARG_QOS_CREDITS:
			o->credits[VAS_WIN_TYPE_QOS] = (uint32_t)v;
			break;
		case ARG_ACK_TIMEOUT:
			o->script_cfg.ack_timeout_ms = (uint32_t)v;
			break;
		case ARG_PAUSE:
			o->script_cfg.pause_ms = (uint32_t)v;
			break;
		case ARG_SNDBUF:
			o->sndbuf = (int)v;
			break;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "fake-kernel: unexpected argument '%s'\n",
			argv[optind]);
		return -EINVAL;
	}
	if (!o->socket) {
		fprintf(stderr, "fake-kernel: --socket is required\n");
		return -EINVAL;
	}
	return 0;
}

static void on_event(const struct vas_msg *m, void *userdata)
{
	struct fk_server **server = userdata;

	fk_server_event(*server, m);
}

/* Serve until SIGTERM or SIGINT. */
static int linger(struct fk_server *s)
{
	fk_log("script done: serving until SIGTERM");
	while (!fk_server_terminated(s)) {
		int r = fk_server_turn(s, FK_FOREVER, -1, NULL);

		if (r < 0)
			return r;
	}
	return 0;
}

static int run(const struct options *o)
{
	_cleanup_(fk_model_freep) struct fk_model *model = NULL;
	_cleanup_(fk_server_freep) struct fk_server *server = NULL;
	_cleanup_(fk_script_freep) struct fk_script *script = NULL;
	const struct fk_server_config scfg = {
		.path = o->socket,
		.events_sndbuf = o->sndbuf,
		.pad64 = o->pad64,
		.backpressure = o->backpressure,
	};
	struct fk_server_stats st;
	int fd = STDIN_FILENO, status = 0, r;

	r = fk_model_new(o->generation ? o->generation : fk_random_nonzero(),
			 o->credits, on_event, &server, &model);
	if (r < 0) {
		fk_log("cannot set up: %s", strerror(-r));
		return 1;
	}
	r = fk_server_new(&scfg, model, &server);
	if (r < 0) {
		fk_log("cannot listen on %s: %s", o->socket, strerror(-r));
		return 1;
	}
	if (o->script && strcmp(o->script, "-") != 0) {
		fd = open(o->script, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fk_log("cannot open %s: %s", o->script, strerror(errno));
			return 1;
		}
	}
	r = fk_script_new(fd, o->script ? o->script : "stdin", model, server,
			  &o->script_cfg, &script);
	if (r < 0) {
		fk_log("cannot set up: %s", strerror(-r));
		return 1;
	}
	fk_log("listening on %s: generation 0x%" PRIx64 ", credits default %u qos %u",
	       o->socket, fk_model_generation(model),
	       o->credits[VAS_WIN_TYPE_DEFAULT], o->credits[VAS_WIN_TYPE_QOS]);

	r = fk_script_run(script, &status);
	if (r == 0 && o->linger)
		r = linger(server);
	if (fd != STDIN_FILENO)
		close(fd);

	fk_server_get_stats(server, &st);
	fk_log("%" PRIu64 " events in this generation; %" PRIu64 " sent, %" PRIu64 " dropped by the script, %" PRIu64 " lost to overruns; %" PRIu64 " requests",
	       fk_model_seq(model), st.sent, st.dropped, st.overrun,
	       st.requests);
	if (r == -EINVAL)
		return 2;
	if (r == 1)
		return status;
	if (r < 0 && r != -ECANCELED) {
		fk_log("failed: %s", strerror(-r));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = {
		.credits = { 32, 16 },
		.sndbuf = DEFAULT_SNDBUF,
		.script_cfg = {
			.ack_timeout_ms = 5000,
			.pause_ms = 10,
		},
	};
	int r;

	r = parse_options(argc, argv, &o);
	if (r != 0)
		return r > 0 ? 0 : 2;
	/* --rate waits for fractions of a millisecond */
	(void)prctl(PR_SET_TIMERSLACK, 1UL);
	return run(&o);
}
