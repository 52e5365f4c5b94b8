#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The seed's race as vasd sees it (docs/migration.md, "Detection beyond
the kernel"). Openers open and close windows in a loop while migrations
run back to back through the sim's control, vasd the registered
coordinator (each migration kernel-driven: vasd acks, the kernel goes on).
In the sim's pre-fix mode a window still being opened when the suspend
runs is missed; vasd sees it listed and active at SUSPENDED, or added
before RESUMED, and records a migration-anomaly. Asserted: in pre-fix
vasd records anomalies, each in a migration the hypervisor aborted (a
listed window it missed is one the hypervisor still holds), and
MigrationAnomalies says how many the last one had; in upstream and
whole-path it records none, and nothing is aborted. Most missed windows
are listed only after the resume, where nothing can tell them from a new
open: vasd sees a part of the aborted migrations, never more."""

import errno
import os
import threading
import time

from vasdtest import TempDir, check, ledger, log, wait_until
from bustest import PrivateBus, prop
from migtest import last_position, records, verify, wait_prop
from vmmig import (
    migrate, sim_load, sim_set, sim_stats, sim_unload, start_vasd,
    window_open
)

# An open spends OPEN_DELAY_US between its allocation and its listing;
# an opener rests as long between two: at a suspend about half of them are
# in that gap, and vasd, which records every open and close under TCG,
# keeps up with them. On the debug kernel (VAS_VM_SLOW > 1: KASAN and
# lockdep under TCG) vasd records about 100 events a second, fewer than
# three openers make at that pace: it fell minutes behind the kernel. There
# an opener rests ten times as long (a tenth of them in the gap at a
# suspend, a tenth of the events) and a quarter of the migrations run.
SLOW = int(os.environ.get("VAS_VM_SLOW", "1")) > 1
MIGRATIONS = 50 if SLOW else 200
OPENERS = 3
OPEN_DELAY_US = 10000
REST_S = 0.1 if SLOW else 0.01


def opener(stop, counts):
    while not stop.is_set():
        fd = window_open()
        if fd >= 0:
            os.close(fd)
            counts["opens"] += 1
        else:
            check(fd == -errno.EBUSY, "open: %s" % os.strerror(-fd))
        time.sleep(REST_S)


def anomalies(db, after):
    """migration number -> (kernel stream, anomaly records)."""
    got = {}
    for r in records(db, after):
        if r["kind"] == "migration-anomaly":
            check(r["what"] in ("active-at-suspended", "opened-while-suspended"),
                  "anomaly: %r" % r)
            stream, n = got.get(r["migration"], (r["stream"], 0))
            got[r["migration"]] = (stream, n + 1)
    return got


def closes(db, after):
    """kernel stream -> the outcome vasd closed its migration with."""
    return {r["stream"]: r["what"] for r in records(db, after) if r["kind"] == "migration-close"}


def run_mode(db, mode, base):
    sim_set("lock_mode", mode)
    at = last_position(db)
    before = sim_stats()
    stop = threading.Event()
    counts = {"opens": 0}
    threads = [threading.Thread(target=opener, args=(stop, counts), daemon=True)
               for _ in range(OPENERS)]
    for t in threads:
        t.start()
    aborted = set()
    start = time.monotonic()
    for i in range(MIGRATIONS):
        if migrate(base + i) == -errno.EAGAIN:
            aborted.add(base + i)
    took = time.monotonic() - start
    stop.set()
    for t in threads:
        t.join()
    after = sim_stats()
    wait_prop("MigrationState", "idle")
    wait_until("vasd closed every migration", lambda: len(closes(db, at)) == MIGRATIONS)
    found = anomalies(db, at)
    outcome = closes(db, at)
    check(after["aborted"] - before["aborted"] == len(aborted), "the sim's count of aborted")
    check({s for s, o in outcome.items() if o == "aborted"} == aborted,
          "%s: vasd's aborted migrations differ from the kernel's" % mode)
    for m, (stream, n) in found.items():
        check(stream in aborted, "%s: migration %d (stream %d) has %d anomalies and completed"
              % (mode, m, stream, n))
    log("race: %-10s %d migrations in %.1f s, %d opens: %d aborted (%d windows missed), "
        "vasd recorded anomalies in %d of them (%d windows)"
        % (mode, MIGRATIONS, took, counts["opens"], len(aborted),
           after["missed_windows"] - before["missed_windows"], len(found),
           sum(n for _, n in found.values())))
    check(counts["opens"] > 0, "%s: the openers opened nothing" % mode)
    return aborted, found


with TempDir() as d:
    sim_load()
    sim_set("open_delay_us", OPEN_DELAY_US)
    sim_set("pause_ms", 1)
    bus = PrivateBus(d)
    v = start_vasd(d)
    db = ledger(v.db)
    try:
        aborted, found = run_mode(db, "pre-fix", 1000)
        check(aborted, "pre-fix: no migration aborted: the race did not show")
        check(found, "pre-fix: vasd recorded no anomaly in %d aborted migrations" % len(aborted))
        pre = (len(aborted), len(found))

        # MigrationAnomalies: the last migration's count.
        at = last_position(db)
        stop = threading.Event()
        counts = {"opens": 0}
        t = threading.Thread(target=opener, args=(stop, counts), daemon=True)
        t.start()
        for i in range(50):
            migrate(1500 + i)
            wait_prop("MigrationState", "idle")
            got = anomalies(db, at)
            if got:
                break
        stop.set()
        t.join()
        check(got, "no anomaly in 50 more pre-fix migrations")
        (n,) = [n for _, n in got.values()]
        check(prop("MigrationAnomalies") == n, "MigrationAnomalies %d, the ledger %d"
              % (prop("MigrationAnomalies"), n))
        log("MigrationAnomalies: %d, as the ledger has for the last migration" % n)

        for mode, base in (("upstream", 2000), ("whole-path", 3000)):
            aborted, found = run_mode(db, mode, base)
            check(not aborted, "%s: %d migrations aborted" % (mode, len(aborted)))
            check(not found, "%s: vasd recorded anomalies: %r" % (mode, found))
            check(prop("MigrationAnomalies") == 0, "%s: MigrationAnomalies %d"
                  % (mode, prop("MigrationAnomalies")))
        log("race: anomalies recorded: pre-fix in %d/%d migrations (%d aborted), upstream 0/%d, "
            "whole-path 0/%d" % (pre[1], MIGRATIONS, pre[0], MIGRATIONS, MIGRATIONS))

        sim_set("lock_mode", "upstream")
        sim_set("open_delay_us", 0)
        check(v.stop() == 0, "vasd did not stop cleanly")
        verify(v.db)
    finally:
        v.close()
        bus.stop()
    sim_unload()
log("ok")
