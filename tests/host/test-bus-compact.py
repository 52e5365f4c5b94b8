#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""CompactLedger while vasd follows the fake kernel: root compacts, vasctl
ledger verify stays clean and export starts with the checkpoint, the
events kept are unchanged and new ones take new positions (also after
compacting down to the newest event and restarting), ReadEvents refuses a
compacted position and starts at FirstPosition from 0. The bus denies an
unprivileged caller; on a bus that allows everything, vasd does. A
compaction longer than a step announces FirstPosition after each."""

import json

from vasdtest import (
    FakeKernel, TempDir, Vasd, check, check_windows, ledger, log, vasctl
)
from bustest import (
    BusMonitor, PrivateBus, busctl_error, manager, prop, start_vasd,
    unprivileged
)

NOBODY = unprivileged()
INT64_MAX = 2**63 - 1
# more than one step of vasd's compaction (LEDGER_COMPACT_STEP)
STEPPED_WINDOWS = 60000


def compact(keep_from, user=()):
    return manager("CompactLedger", "x", str(keep_from), user=user)["data"]


def events_by_position(path):
    db = ledger(path)
    rows = db.execute("SELECT position, kind, generation, seq, timestamp "
                      "FROM events ORDER BY position").fetchall()
    db.close()
    return {r[0]: tuple(r) for r in rows}


def verify(path, first):
    p = vasctl("ledger", "verify", "--database", path, check_rc=0)
    check("result:   equal" in p.stdout, "verify: %s" % p.stdout)
    if first > 1:
        check("history:  from position %d," % first in p.stdout,
              "verify does not say where the history starts: %s" % p.stdout)
    return p.stdout


def export(path, *args):
    p = vasctl("ledger", "export", "--database", path, *args, check_rc=0)
    return [json.loads(line) for line in p.stdout.splitlines()]


def run_workload(k, v, ops, seed):
    k.run("random %d seed=%d" % (ops, seed))
    t = k.truth()
    v.wait_seq(t["seq"])
    return t


with TempDir() as d:
    bus = PrivateBus(d)
    k = FakeKernel(d)
    v = Vasd(d, k.spec, bus=True).start()
    try:
        run_workload(k, v, 1500, 1)
        before = events_by_position(v.db)
        last = max(before)
        check(prop("FirstPosition") == 1, "FirstPosition before: %r" % prop("FirstPosition"))

        err = busctl_error("call", "org.vasd1", "/org/vasd1", "org.vasd1.Manager",
                           "CompactLedger", "x", "100", user=NOBODY)
        check("Access denied" in err and "org.vasd1.Error" not in err,
              "nobody: %s" % err)
        check(events_by_position(v.db) == before, "the ledger changed")
        log("the policy denies nobody CompactLedger")

        check(compact(0) == [1, 0], "CompactLedger(0)")
        check(compact(1) == [1, 0], "CompactLedger(1)")
        err = busctl_error("call", "org.vasd1", "/org/vasd1", "org.vasd1.Manager",
                           "CompactLedger", "x", "-5")
        check("InvalidArgs" in err or "position is 0 or more" in err, "-5: %s" % err)
        err = busctl_error("call", "org.vasd1", "/org/vasd1", "org.vasd1.Manager",
                           "CompactLedger", "s", "all")
        check("signature" in err.lower() or "invalid" in err.lower(), "s: %s" % err)
        log("nothing below the first event; bad arguments refused")

        keep = last // 2
        check(compact(keep) == [keep, keep - 1], "CompactLedger(%d)" % keep)
        check(prop("FirstPosition") == keep, "FirstPosition: %r" % prop("FirstPosition"))
        after = events_by_position(v.db)
        check(after == {p: e for p, e in before.items() if p >= keep},
              "the events kept are not those from %d on" % keep)
        verify(v.db, keep)
        lines = export(v.db)
        check(lines[0]["kind"] == "checkpoint" and lines[0]["first_position"] == keep
              and lines[0]["events_removed"] == keep - 1, "export: %r" % lines[0])
        check(lines[1]["position"] == keep, "export starts at %r" % lines[1])
        check(export(v.db, "--from", str(keep + 1))[0]["position"] == keep + 1,
              "export --from past the checkpoint")
        log("compacted to %d of %d: verify equal, export starts with the checkpoint"
            % (keep, last))

        err = busctl_error("call", "org.vasd1", "/org/vasd1", "org.vasd1.Manager",
                           "ReadEvents", "xu", "1", "10")
        check("org.vasd1.Error.Compacted" in err or "were compacted" in err,
              "ReadEvents(1): %s" % err)
        check("position %d" % keep in err, "the error does not name %d: %s" % (keep, err))
        events, nxt = manager("ReadEvents", "xu", "0", "10")["data"]
        check(events[0][0] == keep and nxt == keep + 10, "ReadEvents(0): %r" % events[:1])
        events, _ = manager("ReadEvents", "xu", str(keep), "1")["data"]
        check(events[0][0] == keep, "ReadEvents(%d): %r" % (keep, events))
        log("ReadEvents: a compacted position is refused with Compacted; 0 starts at %d" % keep)

        t = run_workload(k, v, 500, 2)
        newer = events_by_position(v.db)
        check(min(p for p in newer if p not in after) == last + 1,
              "new events do not follow %d" % last)
        verify(v.db, keep)
        check_windows(ledger(v.db), t)

        last = max(newer)
        check(compact(INT64_MAX) == [last, last - keep], "compact all but the newest")
        check(list(events_by_position(v.db)) == [last], "more than the newest is left")
        check(prop("LastPosition") == last, "LastPosition moved")
        verify(v.db, last)
        check(v.stop() == 0, "vasd did not stop cleanly")

        v.start()
        check(prop("FirstPosition") == last, "FirstPosition after a restart")
        t = run_workload(k, v, 300, 3)
        final = events_by_position(v.db)
        check(min(final) == last and sorted(final)[1] == last + 1,
              "positions after the restart: %s" % sorted(final)[:3])
        verify(v.db, last)
        check_windows(ledger(v.db), t)
        check(v.stop() == 0, "vasd did not stop cleanly")
        log("compacted to the newest event; after a restart positions go on from %d" % last)
    finally:
        v.close()
        k.stop()
        bus.stop()

with TempDir() as d:
    bus = PrivateBus(d, allow_all=True)
    v = start_vasd(d, STEPPED_WINDOWS, 0)
    try:
        before = events_by_position(v.db)
        last = max(before)
        err = busctl_error("call", "org.vasd1", "/org/vasd1", "org.vasd1.Manager",
                           "CompactLedger", "x", "10", user=NOBODY)
        check("Only root may compact" in err, "nobody on an open bus: %s" % err)
        check(events_by_position(v.db) == before, "the ledger changed")
        check(prop("FirstPosition") == 1, "FirstPosition changed")
        check(compact(10) == [10, 9], "root on an open bus")
        log("an open bus: vasd itself denies nobody CompactLedger; root compacts")

        mon = BusMonitor()
        check(compact(INT64_MAX) == [last, last - 10], "compact %d positions" % last)
        mon.sync()
        firsts = []
        for m in mon.stop():
            if m.get("member") == "PropertiesChanged" and m.get("path") == "/org/vasd1":
                changed = m["payload"]["data"][1]
                if "FirstPosition" in changed:
                    firsts.append(changed["FirstPosition"]["data"])
        check(firsts == [10 + 50000, last], "FirstPosition announced %r" % firsts)
        verify(v.db, last)
        log("%d positions compacted in steps of 50000: FirstPosition %r" % (last - 10, firsts))
    finally:
        v.close()
        bus.stop()
log("ok")
