#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""vasd SIGKILLed in the middle of a migration, against the real kernel
part (docs/migration.md, "Restart").

1. Hook-driven: check, then pre waits for a client that never releases;
   the migration starts through the sim's control and the kernel waits
   for vasd's ack. vasd is killed: pre's caller gets an error, and the
   kernel goes on within its bound (coord_timeout_ms) - no wedge - and
   completes the migration while no vasd runs. The restarted vasd restores
   migration 1 from the ledger (state quiesced, the wait ended as
   "restart", its clients told again) and follows the kernel's migration
   from its dump; post closes it with the kernel's outcome, stream and
   token.
2. Kernel-driven: vasd killed while the kernel waits for its ack; the
   restart closes the migration with the outcome the kernel's dump gives,
   and tells the clients it is over.
3. vasd stopped (SIGSTOP) while the kernel waits: its socket stays open,
   and the kernel goes on when its bound passes; vasd, continued, records
   the ack it missed."""

import os
import signal
import time

from vasdtest import TempDir, check, ledger, log, u64, wait_until
from bustest import PrivateBus, manager, prop
from migtest import (
    Phase, check_kinds, last_position, phase, records, verify, wait_prop,
    wait_record
)
from vmmig import (
    COMPLETED, Clients, Migration, PREPARE, coord_timeout_ms, read_log,
    sim_load, sim_set, sim_unload, start_vasd, wait_kernel_phase
)

N = 3
STREAM = 900
COORD_MS = 5000
STOPPED_MS = 2000


def only(recs, kind, what=None):
    return [r for r in recs if r["kind"] == kind and (what is None or r["what"] == what)]


def locks():
    return len(manager("ListInhibitors")["data"][0])


def prepare_token(db, stream):
    row = db.execute("SELECT migration_token FROM events WHERE kind = 'migration-change' "
                     "AND migration_stream_id = ? AND migration_phase = ?",
                     (stream, PREPARE)).fetchone()
    check(row is not None and row[0], "no PREPARE with a token for stream %d" % stream)
    return u64(row[0])


def kill_waiting(v, db, mig):
    """The kernel waits for vasd's ack; kill vasd; the kernel goes on."""
    wait_kernel_phase(db, mig.stream, PREPARE)
    time.sleep(1)
    check(mig.thread.is_alive() and mig.result is None,
          "the kernel did not wait for vasd's ack")
    killed = time.monotonic()
    v.kill()
    check(mig.join(COORD_MS / 1000 + 10) == 0, "migration %d aborted" % mig.stream)
    went_on = mig.end - killed
    check(went_on < COORD_MS / 1000, "the kernel went on %.2f s after the kill (bound %d ms)"
          % (went_on, COORD_MS))
    v.close()
    return went_on


def told(log_path, pids, migration, what):
    return all(sum(1 for s in read_log(log_path).get(p, [])
                   if s["step"] == what and s.get("migration") == migration) >= 1 for p in pids)


def prepares(log_path, pid, migration):
    return sum(1 for s in read_log(log_path).get(pid, [])
               if s["step"] == "prepare-received" and s.get("migration") == migration)


with TempDir() as d:
    sim_load("default_credits=16")
    sim_set("pause_ms", 100)
    coord_timeout_ms(COORD_MS)
    bus = PrivateBus(d)
    # pre's own bound is far: only the kill ends its wait
    options = ["--inhibit-delay-max=60"]
    v = start_vasd(d, extra=options)
    db = ledger(v.db)
    log_path = os.path.join(d, "clients.log")
    clients = never = None
    try:
        clients = Clients(d, log_path, "client", N)
        never = Clients(d, log_path, "never", 1, "--variant", "never-release")
        clients.ready()
        never.ready()
        pids = clients.pids + never.pids

        # 1: killed mid-pre
        check(phase("check")[0] == "1", "check")
        pre = Phase("pre")
        wait_until("the normal clients released", lambda: locks() == 1)
        check(prop("MigrationState") == "quiescing", "pre is not waiting")
        mig = Migration(STREAM)
        went_on = kill_waiting(v, db, mig)
        err = pre.failed()
        log("killed mid-pre: pre's caller got %r; the kernel went on %.2f s after the kill "
            "and completed migration %d" % (err.split("\n")[0], went_on, STREAM))
        token = prepare_token(db, STREAM)

        at = last_position(db)
        v = start_vasd(d, extra=options)
        check((prop("MigrationName"), prop("MigrationState")) == ("1", "quiesced"),
              "restored: %s %s" % (prop("MigrationName"), prop("MigrationState")))
        recs = records(db, at)
        q = only(recs, "migration-quiesced")
        check(len(q) == 1 and (q[0]["what"], q[0]["migration"], q[0]["count"], q[0]["total"]) ==
              ("restart", 1, N, N + 1), "restored wait: %r" % q)
        wait_until("the clients told again", lambda: all(prepares(log_path, p, "1") == 2 for p in pids))
        name, msg = phase("post")
        check((name, msg) == ("1", "vasd: migration 1 closed: completed"), "post: %r %r" % (name, msg))
        recs = records(db, at)
        close = only(recs, "migration-close")
        check(len(close) == 1 and close[0]["migration"] == 1 and close[0]["what"] == "completed" and
              close[0]["stream"] == STREAM and close[0]["phase"] == COMPLETED and
              u64(close[0]["ktoken"]) == token, "close: %r (token %x)" % (close, token))
        # the windows went and came back while no vasd ran (docs/migration.md, "Limits")
        check(not only(recs, "migration-client-blackout"), "client blackouts: %r"
              % only(recs, "migration-client-blackout"))
        check(not only(recs, "migration-error"), "errors: %r" % only(recs, "migration-error"))
        wait_until("the clients told it is over", lambda: told(log_path, pids, "1", "resume-received"))
        wait_until("every lock back", lambda: locks() == N + 1)
        log("restarted: migration 1 restored (quiesced, wait ended 'restart', %d of %d released), "
            "the clients told again; post closed it completed with the kernel's stream and token" % (N, N + 1))

        # 2: kernel-driven, killed while the kernel waits for the ack
        at = last_position(db)
        mig = Migration(STREAM + 1)
        wait_record(db, at, "migration-open", "kernel")
        went_on = kill_waiting(v, db, mig)
        token = prepare_token(db, STREAM + 1)
        at = last_position(db)
        v = start_vasd(d, extra=options)
        wait_prop("MigrationState", "idle")
        recs = records(db, at)
        check_kinds([r for r in recs if r["kind"].startswith("migration-")],
                    [("migration-quiesced", "restart"), ("migration-close", "completed")],
                    "the restart of a kernel-driven migration")
        close = only(recs, "migration-close")[0]
        check(close["migration"] == 2 and close["stream"] == STREAM + 1 and
              u64(close["ktoken"]) == token and close["phase"] == COMPLETED, "close: %r" % close)
        wait_until("the clients told it is over", lambda: told(log_path, pids, "2", "resume-received"))
        log("killed mid-prepare (kernel-driven): the kernel went on %.2f s after the kill; "
            "the restart closed migration 2 completed, as the kernel's dump said" % went_on)

        # 3: vasd stopped, not dead: its socket stays open, the kernel's bound ends the wait
        wait_until("every lock back", lambda: locks() == N + 1)
        coord_timeout_ms(STOPPED_MS)
        at = last_position(db)
        mig = Migration(STREAM + 2)
        wait_record(db, at, "migration-open", "kernel")
        v.proc.send_signal(signal.SIGSTOP)
        stopped = time.monotonic()
        ok = mig.join(STOPPED_MS / 1000 + 10) == 0
        went_on = mig.end - stopped
        v.proc.send_signal(signal.SIGCONT)
        check(ok, "migration %d aborted" % mig.stream)
        check(STOPPED_MS / 1000 * 0.9 <= went_on < STOPPED_MS / 1000 + 2,
              "the kernel went on %.2f s after vasd stopped (bound %d ms)" % (went_on, STOPPED_MS))
        wait_prop("MigrationState", "idle")
        recs = records(db, at)
        err = only(recs, "migration-error")
        check([r["what"] for r in err] == ["ack-missed"] and err[0]["stream"] == STREAM + 2,
              "errors: %r" % err)
        close = only(recs, "migration-close")
        check(len(close) == 1 and close[0]["what"] == "completed" and close[0]["stream"] == STREAM + 2,
              "close: %r" % close)
        log("vasd stopped while the kernel waited: the kernel went on after its %d ms bound (%.2f s); "
            "vasd, continued, recorded ack-missed and closed migration 3 completed" % (STOPPED_MS, went_on))

        check(all(rc == 0 for rc in clients.stop() + never.stop()), "a client did not exit 0")
        clients = never = None
        check(v.stop() == 0, "vasd did not stop cleanly")
        verify(v.db)
    finally:
        for c in (clients, never):
            if c:
                c.kill()
        v.close()
        bus.stop()
    sim_unload()
log("ok")
