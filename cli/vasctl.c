// SPDX-License-Identifier: GPL-2.0-only
/*
 * vasctl: show and control VAS windows and migrations. main() only parses
 * the global options and dispatches to a command; each command lives in
 * its own file (vasctl-COMMAND.c).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>

#include "util/escape.h"
#include "util/macro.h"
#include "vasctl.h"

struct verb {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

static const struct verb verbs[] = {
	{ "status", "Show vasd's state, windows, credits and migration",
	  vasctl_status },
	{ "windows", "List the windows vasd's ledger holds",
	  vasctl_windows },
	{ "events", "Print the ledger's events, and follow new ones",
	  vasctl_events },
	{ "inhibitors", "List the inhibitor locks clients hold",
	  vasctl_inhibitors },
	{ "release-lock", "End another's inhibitor lock (root: a veto's override)",
	  vasctl_release_lock },
	{ "log-level", "Show or set vasd's log level",
	  vasctl_log_level },
	{ "monitor", "Print vasd's (or the kernel's) events as they happen",
	  vasctl_monitor },
	{ "ledger", "Verify, export or summarize vasd's ledger file",
	  vasctl_ledger },
	{ "metrics", "Print the ledger as Prometheus metrics (node_exporter's textfile)",
	  vasctl_metrics },
	{ "migration", "Run a migration phase (drmgr's hook), or report one",
	  vasctl_migration },
};

int vasctl_vprint_escaped(FILE *f, const char *fmt, va_list ap)
{
	_cleanup_(freep) char *raw = NULL, *safe = NULL;

	if (vasprintf(&raw, fmt, ap) < 0) {
		raw = NULL;
		return -ENOMEM;
	}
	safe = text_escape(raw);
	if (!safe)
		return -ENOMEM;
	return fputs(safe, f) == EOF ? -EIO : 0;
}

int vasctl_print_escaped(FILE *f, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasctl_vprint_escaped(f, fmt, ap);
	va_end(ap);
	return r;
}

void vasctl_error(const char *fmt, ...)
{
	va_list ap;

	fputs("vasctl: ", stderr);
	va_start(ap, fmt);
	(void)vasctl_vprint_escaped(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int vasctl_block_signals(void)
{
	sigset_t mask;
	int fd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	return fd;
}

bool vasctl_color(void)
{
	const char *no_color = getenv("NO_COLOR");
	const char *term = getenv("TERM");

	if (no_color && *no_color)
		return false;
	if (term && strcmp(term, "dumb") == 0)
		return false;
	return isatty(STDOUT_FILENO) == 1;
}

int vasctl_finish_output(const char *verb, int r)
{
	if (r >= 0 && (fflush(stdout) == EOF || ferror(stdout)))
		r = errno ? -errno : -EIO;
	if (r < 0) {
		vasctl_error("%s: cannot write the output: %s", verb,
			     strerror(-r));
		return VASCTL_EXIT_FAILURE;
	}
	return VASCTL_EXIT_OK;
}

int vasctl_parse_number(const char *s, int64_t *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

int vasctl_parse_json_args(int argc, char **argv, void (*usage)(FILE *f),
			   int max_args, bool *ret_json)
{
	enum { ARG_JSON = 0x100 };
	static const struct option options[] = {
		{ "json", no_argument, NULL, ARG_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = false;
	int c;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case ARG_JSON:
			json = true;
			break;
		case 'h':
			usage(stdout);
			return VASCTL_EXIT_OK;
		default:
			usage(stderr);
			return VASCTL_EXIT_USAGE;
		}
	}
	if (argc - optind > max_args) {
		vasctl_error("%s: unexpected argument '%s'", argv[0],
			     argv[optind + max_args]);
		usage(stderr);
		return VASCTL_EXIT_USAGE;
	}
	*ret_json = json;
	return -1;
}

int vasctl_parse_json_only(int argc, char **argv, void (*usage)(FILE *f),
			   bool *ret_json)
{
	return vasctl_parse_json_args(argc, argv, usage, 0, ret_json);
}

static void usage(FILE *f)
{
	fputs("Usage: vasctl [OPTIONS] COMMAND [ARGS...]\n"
	      "\n"
	      "Show and control VAS windows and migrations.\n"
	      "\n"
	      "Commands:\n", f);
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
		fprintf(f, "  %-12s %s\n", verbs[i].name, verbs[i].summary);
	fputs("\n"
	      "Options:\n"
	      "  -h --help     Show this help\n"
	      "     --version  Show the version\n"
	      "\n"
	      "Exit status: 0 success, 1 failure, 2 usage error, 3 vasd is not\n"
	      "running (monitor --kernel: no vas netlink family), 4 the ledger\n"
	      "cannot be read, 5 vasd vetoed the migration (migration check).\n"
	      "\n"
	      "See 'vasctl COMMAND --help' and vasctl(8).\n", f);
}

int main(int argc, char **argv)
{
	enum { ARG_VERSION = 0x100 };
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, ARG_VERSION },
		{ 0 },
	};
	int c;

	/* "+": the first non-option is the command; its options are its own */
	while ((c = getopt_long(argc, argv, "+h", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			usage(stdout);
			return VASCTL_EXIT_OK;
		case ARG_VERSION:
			printf("vasctl %s\n", PROJECT_VERSION);
			return VASCTL_EXIT_OK;
		default:
			usage(stderr);
			return VASCTL_EXIT_USAGE;
		}
	}

	if (optind >= argc) {
		vasctl_error("no command given");
		usage(stderr);
		return VASCTL_EXIT_USAGE;
	}

	for (size_t i = 0; i < ELEMENTSOF(verbs); i++) {
		if (strcmp(argv[optind], verbs[i].name) == 0) {
			int verb_argc = argc - optind;
			char **verb_argv = argv + optind;

			/* 0, not 1: GNU getopt then starts afresh */
			optind = 0;
			return verbs[i].run(verb_argc, verb_argv);
		}
	}

	vasctl_error("unknown command '%s'", argv[optind]);
	usage(stderr);
	return VASCTL_EXIT_USAGE;
}
