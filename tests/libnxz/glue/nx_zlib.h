/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the series' nx_vasclient.c takes from libnxz's lib/nx_zlib.h, for
 * nxz-glue on the host: libnxz's own header needs POWER
 * (sys/platform/ppc.h). Same names and types as libnxz's.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#ifndef __unused
#  define __unused __attribute__((unused))
#endif

struct nx_config_t {
	uint64_t timeout_paste_success;
};
extern struct nx_config_t nx_config;

/* nx_zlib.c (nxz-glue.c stands in) */
extern int nx_close_windows(void);

/* nx_vasclient.c */
extern void nx_vasclient_init(void);
extern void nx_job_enter(void);
extern void nx_job_leave(void);
extern bool nx_job_draining(void);
