/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ledger-schema: the SQL of every version of the ledger's schema, as forward
 * migrations. ledger_schema_steps[v] turns a file at user_version v into
 * one at v + 1; a new file runs them all from 0. A step, once released, is
 * never edited: a change is a new step.
 */
#pragma once

#include <stddef.h>

extern const char *const ledger_schema_steps[];
extern const size_t ledger_schema_n_steps;

/* The user_version this build writes: the number of steps. */
#define LEDGER_SCHEMA_VERSION ((int)ledger_schema_n_steps)
