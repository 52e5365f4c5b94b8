#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The ledger's growth is bounded (issue 13, finding 4): under root's
Inhibit/close loop (root is not rate-limited: the worst a local user can
make vasd write), --ledger-max-use holds the ledger's pages in use under
the bound and its file near it, while a churn without retention grows the
file past it many times; --ledger-max-age lets go of what is older; neither
drops a migration's records: vasctl migration status reads the same reports
after as before, from the archive; the ledger verifies."""

import json
import os
import subprocess
import time

from vasdtest import Scenarios, TempDir, check, ledger, log, vasctl, wait_until
from bustest import BUS_CLIENT, PrivateBus, start_vasd
from migtest import Follower, phase, phase_error

MAX_USE = 256 << 10
CHURN_LOCKS = 10000	# 20000 events, some 1.8 MiB of ledger
BURSTS = 10


def stats(db):
    p = vasctl("ledger", "stats", "--json", "-d", db, check_rc=0)
    return json.loads(p.stdout)


def status(db, n):
    p = vasctl("migration", "status", "--json", "-d", db, str(n), check_rc=0)
    s = json.loads(p.stdout)
    s.pop("vasd_running", None)
    return s


def churn(seconds, locks=0):
    """root's take/close loop: (locks taken, seconds)."""
    start = time.monotonic()
    p = subprocess.run([BUS_CLIENT, "churn", str(seconds), str(locks)],
                       capture_output=True, text=True, timeout=seconds + 60)
    check(p.returncode == 0, "root's churn: %r %r" % (p.stdout, p.stderr))
    return int(p.stdout.split()[1]), time.monotonic() - start


def migrations():
    """Migration 1 cancelled with a lock asked; migration 2 vetoed."""
    f = Follower("delay", 0)
    phase("check")
    phase("undocheck")
    f.quit()
    b = Follower("block", -1)
    phase_error("check")
    b.quit()


with Scenarios() as s, TempDir() as d:
    bus = PrivateBus(d)

    with s("no retention: the churn's growth"):
        v = start_vasd(os.path.join(d), extra=("--ledger-max-use=0",))
        try:
            taken, secs = churn(600, CHURN_LOCKS)
            st = stats(v.db)
            unbounded = st["file_bytes"]
            check(taken == CHURN_LOCKS and unbounded > 6 * MAX_USE,
                  "%d locks made only %d bytes" % (taken, unbounded))
            log("without retention: %d locks in %.1f s, %.0f events a second, file %d KiB"
                % (taken, secs, taken * 2 / secs, unbounded >> 10))
        finally:
            check(v.stop() == 0, "vasd did not stop cleanly")
            v.close()

    bounded_dir = os.path.join(d, "bounded")
    os.mkdir(bounded_dir)
    with s("size bound under the churn, migrations kept"):
        v = start_vasd(bounded_dir, extra=("--ledger-max-use=%d" % MAX_USE,))
        try:
            migrations()
            before = [status(v.db, n) for n in (1, 2)]
            check(before[0]["outcome"] == "cancelled" and before[1]["outcome"] == "vetoed",
                  "the migrations: %r" % before)
            # the churn in BURSTS, each waited out: how far the file runs
            # ahead of retention (a second of writes at whatever rate this
            # machine has) is then at most a burst, not a matter of speed
            taken, secs, sizes = 0, 0.0, []
            for _ in range(BURSTS):
                t, dt = churn(600, CHURN_LOCKS // BURSTS)
                taken, secs = taken + t, secs + dt
                # the last round comes a second after the last commit
                st = wait_until("the ledger under its bound after a burst",
                                lambda: (lambda x: x if x["used_bytes"] <= MAX_USE else None)(stats(v.db)))
                sizes.append(st["file_bytes"])
            check(st["first_position"] > 1000 and st["archived"] > 0,
                  "nothing compacted or archived: %r" % st)
            # the file holds the bound, a burst and the B-trees' slack, and
            # stops growing: the freed pages are used again
            burst = unbounded // BURSTS
            check(sizes[-1] <= MAX_USE + 3 * burst,
                  "the file grew to %d bytes with --ledger-max-use=%d, bursts of %d bytes (%r)"
                  % (sizes[-1], MAX_USE, burst, sizes))
            check(sizes[-1] <= max(sizes[:BURSTS // 2]) + burst // 2,
                  "the file still grows: %r" % sizes)
            after = [status(v.db, n) for n in (1, 2)]
            check(after == before, "migration status changed:\n%r\n%r" % (before, after))
            check("Retention: " in open(v.log_path).read(), "no retention round logged")
            vasctl("ledger", "verify", "-d", v.db, check_rc=0)
            log("--ledger-max-use=256K: %d locks in %d bursts, %.1f s of churn; in use %d KiB, "
                "file %s KiB after each burst (%d KiB without), history from %d, %d migration "
                "records archived; both migrations read the same"
                % (taken, BURSTS, secs, st["used_bytes"] >> 10,
                   " ".join(str(x >> 10) for x in sizes), unbounded >> 10,
                   st["first_position"], st["archived"]))
        finally:
            check(v.stop() == 0, "vasd did not stop cleanly")
            v.close()

    with s("age bound, migrations kept"):
        v = start_vasd(bounded_dir, extra=("--ledger-max-use=0", "--ledger-max-age=2s"))
        try:
            churn(1, 200)
            end = time.time_ns()
            first_before = stats(v.db)["first_position"]

            # each lock taken and released is a commit; retention looks a
            # second after one, and lets go of what is 2 s old by then
            def aged():
                churn(0.1, 1)
                db = ledger(v.db)
                oldest = db.execute("SELECT min(recorded) FROM events").fetchone()[0]
                db.close()
                return oldest >= end
            wait_until("the events older than 2 s compacted", aged)
            st = stats(v.db)
            check(st["first_position"] > first_before, "nothing compacted by age: %r" % st)
            after = [status(v.db, n) for n in (1, 2)]
            check(after == before, "migration status changed:\n%r\n%r" % (before, after))
            vasctl("ledger", "verify", "-d", v.db, check_rc=0)
            log("--ledger-max-age=2s: history from %d (was %d), the migrations read the same"
                % (st["first_position"], first_before))
        finally:
            check(v.stop() == 0, "vasd did not stop cleanly")
            v.close()

    with s("options"):
        for bad, needle in (("--ledger-max-use=1X", "expected a size like 512M"),
                            ("--ledger-max-use=-1", "expected a size like 512M"),
                            ("--ledger-max-age=3m", "expected a span like 30d"),
                            ("--ledger-max-age=soon", "expected a span like 30d")):
            p = subprocess.run([os.environ["VASD"], "--no-bus", bad], capture_output=True,
                               text=True, timeout=30)
            check(p.returncode == 2 and needle in p.stderr,
                  "%s: %d %r" % (bad, p.returncode, p.stderr))
        log("bad sizes and spans: usage errors")
