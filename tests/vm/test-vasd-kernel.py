#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The kernel-driven path alone: no hook runs; the migration is started
through the sim's control. vasd, the kernel part's registered coordinator,
hears the kernel's PREPARE, opens a migration of its own, asks the
clients' delay locks, and when the last is released acks with the token
the PREPARE carried. The kernel waits for that ack: its SUSPENDING comes
after it, the clients have drained before it, and the migration takes
about the clients' drain, far below the kernel's bound. Then a second
migration with a client that never releases: vasd's wait ends at its own
bound (InhibitDelayMaxUSec), below the kernel's, and it still acks."""

import os

from vasdtest import TempDir, check, ledger, log, u64, wait_until
from bustest import PrivateBus, manager
from migtest import last_position, records, verify, wait_prop
from vmmig import (
    Clients, Migration, PREPARE, SUSPENDING, coord_timeout_ms,
    kernel_events, phase_event, read_log, sim_load, sim_set, sim_unload,
    start_vasd, step_times
)

N = 10
WORK_MS = 300
BOUND_S = 1
STREAM = 77


def only(recs, kind, what=None):
    return [r for r in recs if r["kind"] == kind and (what is None or r["what"] == what)]


def acked(recs, stream, token):
    ack = only(recs, "migration-ack")
    check(len(ack) == 1 and ack[0]["stream"] == stream and u64(ack[0]["ktoken"]) == token and
          ack[0]["phase"] == PREPARE, "ack: %r (the kernel's token %x)" % (ack, token))
    check(not only(recs, "migration-error"), "errors: %r" % only(recs, "migration-error"))
    return ack[0]


def prepare_token(db, stream):
    row = db.execute("SELECT migration_token FROM events WHERE kind = 'migration-change' "
                     "AND migration_stream_id = ? AND migration_phase = ?",
                     (stream, PREPARE)).fetchone()
    check(row is not None and row[0], "no PREPARE with a token for stream %d" % stream)
    return u64(row[0])


with TempDir() as d:
    sim_load("default_credits=32")
    sim_set("pause_ms", 100)
    coord_timeout_ms(5000)
    bus = PrivateBus(d)
    v = start_vasd(d, extra=["--inhibit-delay-max=%d" % BOUND_S])
    db = ledger(v.db)
    log_path = os.path.join(d, "clients.log")
    clients = never = None
    try:
        clients = Clients(d, log_path, "client", N, work_ms=WORK_MS)
        clients.ready()
        pids = set(clients.pids)
        at = last_position(db)

        mig = Migration(STREAM)
        check(mig.join() == 0, "migration %d aborted" % STREAM)
        wait_prop("MigrationState", "idle")
        recs = records(db, at)
        kev = kernel_events(db, at)
        token = prepare_token(db, STREAM)
        ack = acked(recs, STREAM, token)
        check([r["what"] for r in only(recs, "migration-open")] == ["kernel"] and
              not only(recs, "migration-hook"), "opened: %r" % only(recs, "migration-open"))
        check(sorted(r["pid"] for r in only(recs, "migration-asked")) == sorted(pids), "asked")
        releases = [r for r in only(recs, "inhibitor-release") if r["migration"] == 1]
        check(sorted(r["pid"] for r in releases) == sorted(pids), "released")
        q = only(recs, "migration-quiesced")
        check(len(q) == 1 and (q[0]["what"], q[0]["count"], q[0]["total"]) == ("released", N, N),
              "quiesced: %r" % q)
        check(ack["timestamp"] >= q[0]["timestamp"] >= max(r["timestamp"] for r in releases),
              "acked before the clients released")
        suspending = phase_event(kev, STREAM, SUSPENDING)
        check(suspending["timestamp"] >= ack["timestamp"],
              "the kernel suspended before vasd's ack: it did not wait for it")
        steps = read_log(log_path)
        for p in pids:
            # the client stamps lock-released after its close, which vasd
            # may act on first: drained is the client's last step before it
            released = step_times(steps[p], "lock-released")
            drained = step_times(steps[p], "drained")
            check(len(released) == 1 and drained[0] < suspending["timestamp"],
                  "client %d: drained %r, SUSPENDING at %d" % (p, drained, suspending["timestamp"]))
        waited = (ack["timestamp"] - phase_event(kev, STREAM, PREPARE)["timestamp"]) / 1e9
        check(WORK_MS / 1000 * 0.9 <= waited < 4, "the kernel waited %.2f s for the ack" % waited)
        close = only(recs, "migration-close")
        check(len(close) == 1 and close[0]["what"] == "completed" and close[0]["stream"] == STREAM,
              "close: %r" % close)
        cb = only(recs, "migration-client-blackout")
        check(sorted(r["pid"] for r in cb) == sorted(pids), "client blackouts")
        log("kernel-driven: PREPARE (token %016x) -> %d clients asked and released -> acked with the "
            "token after %.2f s -> SUSPENDING; migration took %.2f s; closed completed"
            % (token, N, waited, mig.took))

        # One that never releases: vasd's bound, then the ack.
        wait_until("the clients' locks back", lambda: len(manager("ListInhibitors")["data"][0]) == N)
        never = Clients(d, log_path, "never", 1, "--variant", "never-release")
        never.ready()
        at = last_position(db)
        mig = Migration(STREAM + 1)
        check(mig.join() == 0, "migration %d aborted" % (STREAM + 1))
        wait_prop("MigrationState", "idle")
        recs = records(db, at)
        token = prepare_token(db, STREAM + 1)
        ack = acked(recs, STREAM + 1, token)
        q = only(recs, "migration-quiesced")
        check(len(q) == 1 and (q[0]["what"], q[0]["count"], q[0]["total"]) == ("timeout", N, N + 1),
              "quiesced: %r" % q)
        t = only(recs, "migration-timeout")
        check(len(t) == 1 and t[0]["pid"] == never.pids[0], "timeout: %r" % t)
        waited = (ack["timestamp"] - q[0]["since"]) / 1e9
        check(BOUND_S <= waited < BOUND_S + 2, "acked %.2f s after asking (bound %d s)" % (waited, BOUND_S))
        check(BOUND_S <= mig.took < 5, "the migration took %.2f s" % mig.took)
        log("a client that never releases: vasd gave up after its %d s bound and acked (%.2f s), "
            "below the kernel's 5 s" % (BOUND_S, waited))

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
