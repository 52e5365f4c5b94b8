/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * message-ids: the MESSAGE_ID= of vasd's journal records an operator
 * searches (journalctl MESSAGE_ID=...), one 128-bit id each, made once
 * with `systemd-id128 new` and never changed: a fleet's saved searches
 * and alerts name them. systemd/vasd.catalog explains each (journalctl
 * -x); tests/unit/test-catalog.py checks that both list the same ids.
 * docs/daemon.md lists the fields the records carry.
 */
#pragma once

/* a migration began: a check, a pre or the kernel's prepare */
#define VASD_MESSAGE_MIGRATION_OPENED		"2ea6a6825afa440cbe7910e9c4958766"
/* the check was refused: a block lock, the ledger, another migration */
#define VASD_MESSAGE_MIGRATION_VETOED		"45175bdbc2e842ed851ede67b5f077d8"
/* a delay lock was not released within --inhibit-delay-max */
#define VASD_MESSAGE_MIGRATION_LOCK_TIMEOUT	"0982a16fe4834427a9b55a63633c7485"
/* the clients are quiesced: every lock released, or the bound reached */
#define VASD_MESSAGE_MIGRATION_QUIESCED		"75aede07b97b4f7a80aa4a4062f16a52"
/* a window is active while the kernel said every window is suspended */
#define VASD_MESSAGE_MIGRATION_ANOMALY		"a12e5092191a4339a2e4976ce11188b2"
/* the kernel and vasd disagree about the migration (ack missed, ...) */
#define VASD_MESSAGE_MIGRATION_ERROR		"f3b94a97980c40af9e825669dc020a51"
/* a migration ended, with its outcome */
#define VASD_MESSAGE_MIGRATION_CLOSED		"a0d15216f696443a93e40843f0a56f9e"
/* vasd restarted in the middle of a migration and takes it up */
#define VASD_MESSAGE_MIGRATION_RESUMED		"4e869b5ed5a5446f8176a0e37ee9f4f4"
/* the ledger was brought back to the kernel's state (a resync) */
#define VASD_MESSAGE_RESYNC			"84e47a6e0d114dceb43ba17970602235"
/* vasd would not open its ledger (corrupt, newer schema, not SQLite) */
#define VASD_MESSAGE_LEDGER_REFUSED		"d5fc4cc01dbe4491ae578c1b69a2a9b9"
/* a write to the ledger failed (disk full, I/O error); vasd exits */
#define VASD_MESSAGE_LEDGER_WRITE_FAILED	"771ce3acebab44feacae9ee1de156692"
/* root compacted the ledger (CompactLedger) */
#define VASD_MESSAGE_LEDGER_COMPACTED		"9d30993d77044e35a5821a93fe233486"
/* root released another user's inhibitor lock (ReleaseLock) */
#define VASD_MESSAGE_LOCK_RELEASED_BY_ROOT	"ea89c94359e14200b62111021fe2e045"
