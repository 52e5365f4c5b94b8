// SPDX-License-Identifier: GPL-2.0-only
/*
 * vasctl: show and control VAS windows and migrations. main() only parses
 * the global options and dispatches to a command; each command lives in
 * its own file (vasctl-COMMAND.c).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "vasctl.h"

struct verb {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

static const struct verb verbs[] = {
	{ "monitor", "Print the kernel's VAS events as they happen",
	  vasctl_monitor },
	{ "ledger", "Verify, export or summarize vasd's ledger file",
	  vasctl_ledger },
};

void vasctl_error(const char *fmt, ...)
{
	va_list ap;

	fputs("vasctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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
