/* SPDX-License-Identifier: GPL-2.0-only */
/* libnxz's logging (inc_nx/nx_dbg.h) for nxz-glue: every level to stderr. */
#pragma once

#include <stdio.h>

#define prt_err(fmt, ...) fprintf(stderr, "nxz-glue: Error: " fmt, ##__VA_ARGS__)
#define prt_info(fmt, ...) fprintf(stderr, "nxz-glue: Info: " fmt, ##__VA_ARGS__)
