/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * fk-script: what drives the fake kernel: one command a line, read from a
 * file or a pipe as it arrives (so a test can feed it step by step).
 * Between and during commands the socket is served: requests are answered
 * while a command waits (sleep, a coordinator's ack, the event rate).
 * The grammar is in fake-kernel.c's --help.
 */
#pragma once

#include <stdint.h>

#include "util/macro.h"
#include "fk-model.h"
#include "fk-server.h"

struct fk_script_config {
	uint64_t rate;			/* events per second; 0: unlimited */
	uint32_t ack_timeout_ms;	/* coord_timeout_ms of the module */
	uint32_t pause_ms;		/* the hypervisor's pause (pause_ms) */
};

struct fk_script;

int fk_script_new(int fd, const char *name, struct fk_model *model,
		  struct fk_server *server, const struct fk_script_config *c,
		  struct fk_script **ret);
struct fk_script *fk_script_free(struct fk_script *sc);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct fk_script, fk_script_free)

/*
 * Run the script to its end. Returns 0 at its end, 1 when "exit" ran
 * (*ret_status is its status), -ECANCELED when SIGTERM or SIGINT stopped
 * it, -EINVAL for a line that does not parse (logged), another negative
 * errno when reading it failed.
 */
int fk_script_run(struct fk_script *sc, int *ret_status);

/* What the kernel's get_random_u64() gives, never 0 (generation, token). */
uint64_t fk_random_nonzero(void);
