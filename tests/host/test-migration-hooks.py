#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""drmgr's phases on the bus, as root's hook calls them, with clients that
hold inhibitor locks (no kernel part: the outcome is "unknown"):
check -> pre -> post with a delay lock released at once, one released
late and one never (the bound, 2 s here); a block lock vetoes check
(MigrationVetoed, the holder named) and undocheck finds nothing to
cancel; undocheck cancels a check; repeated pre calls join one
migration; post with none open is MigrationRefused. Every step is checked
in the ledger (kind, what and fields), with the properties and the
PrepareForMigration each client saw; the ledger verifies."""

import re
import time

from vasdtest import TempDir, check, ledger, log
from bustest import PrivateBus, manager, prop, start_vasd
from migtest import (
    Follower, Phase, check_kinds, last_position, phase, phase_error,
    records, verify, wait_prop, wait_record
)

BOUND = 2.0


def check_lock(r, f, lock, what):
    check(r["lock"] == lock and r["pid"] == f.pid and r["uid"] == 0 and
          r["comm"] == "bus-client", "%s: lock %r" % (what, r))


def quit_client(db, f):
    """The client exits; its release is recorded (outside any migration)."""
    at = last_position(db)
    f.quit()
    r = wait_record(db, at, "inhibitor-release")
    check(r["migration"] == 0 and r["since"] == 0, "release at exit: %r" % r)


def check_hook(r, phase_name, migration):
    check(r["kind"] == "migration-hook" and r["what"] == phase_name and
          r["migration"] == migration and r["uid"] == 0 and r["pid"] > 0 and
          r["comm"] == "busctl", "hook %s: %r" % (phase_name, r))


with TempDir() as d:
    bus = PrivateBus(d)
    v = start_vasd(d, extra=["--inhibit-delay-max=%g" % BOUND])
    db = ledger(v.db)
    try:
        check((prop("MigrationState"), prop("MigrationName"), prop("MigrationAnomalies"))
              == ("idle", "", 0), "properties at start")

        # 1: a delay lock released as soon as the client is asked
        at = last_position(db)
        f = Follower("delay", 0)
        check(phase("check") == ("1", "vasd: migration 1 may proceed; 1 delay lock will be asked to release"),
              "check")
        check((prop("MigrationState"), prop("MigrationName")) == ("checked", "1"), "checked")
        f.nothing()
        m, msg = phase("pre")
        check(m == "1" and msg.startswith("vasd: migration 1: 1 client lock released in "),
              "pre: %r" % ((m, msg),))
        f.expect("prepare true 1")
        f.expect("closed")
        check(prop("MigrationState") == "quiesced", "quiesced")
        check(phase("post") == ("1", "vasd: migration 1 closed: unknown"), "post")
        f.expect("prepare false 1")
        check((prop("MigrationState"), prop("MigrationName")) == ("idle", ""), "idle again")
        recs = records(db, at)
        check_kinds(recs, [("inhibitor-take", "delay"), ("migration-hook", "check"),
                           ("migration-open", "check"), ("migration-hook", "pre"),
                           ("migration-asked", None), ("inhibitor-release", "delay"),
                           ("migration-quiesced", "released"), ("migration-hook", "post"),
                           ("migration-close", "unknown")], "released at once")
        take, hcheck, opened, hpre, asked, release, quiesced, hpost, close = recs
        check_lock(take, f, 1, "take")
        check(take["migration"] == 0, "take: %r" % take)
        check_hook(hcheck, "check", 1)
        check_hook(hpre, "pre", 1)
        check_hook(hpost, "post", 1)
        check(opened["migration"] == 1 and opened["stream"] == 0, "open: %r" % opened)
        check_lock(asked, f, 1, "asked")
        check(asked["migration"] == 1, "asked: %r" % asked)
        check_lock(release, f, 1, "release")
        check(release["migration"] == 1 and release["since"] == asked["timestamp"] and
              release["timestamp"] >= asked["timestamp"], "release: %r" % release)
        check(quiesced["count"] == 1 and quiesced["total"] == 1 and
              quiesced["since"] == asked["timestamp"], "quiesced: %r" % quiesced)
        check(close["migration"] == 1, "close: %r" % close)
        f.quit()  # its lock was released already
        log("released at once: check, pre (answered when the lock closed), post; %d records" % len(recs))

        # 2: one lock released late, one never
        at = last_position(db)
        late = Follower("delay", int(BOUND * 1000) + 1000)
        never = Follower("delay", -1)
        check(phase("check")[0] == "2", "check 2")
        p = Phase("pre")
        m, msg = p.result()
        check(BOUND <= p.elapsed < BOUND + 2, "pre took %.3f s, bound %.1f s" % (p.elapsed, BOUND))
        check(m == "2" and msg.startswith("vasd: migration 2: 0 of 2 client locks released; the rest did not within %.3f s (bus-client, pid " % BOUND),
              "pre: %r" % msg)
        for c in (late, never):
            c.expect("prepare true 2")
        late.expect("closed")
        wait_record(db, at, "inhibitor-release")
        check(phase("post") == ("2", "vasd: migration 2 closed: unknown"), "post 2")
        for c in (late, never):
            c.expect("prepare false 2")
        recs = records(db, at)
        check_kinds(recs, [("inhibitor-take", "delay"), ("inhibitor-take", "delay"),
                           ("migration-hook", "check"), ("migration-open", "check"),
                           ("migration-hook", "pre"), ("migration-asked", None),
                           ("migration-asked", None), ("migration-timeout", None),
                           ("migration-timeout", None), ("migration-quiesced", "timeout"),
                           ("inhibitor-release", "delay"), ("migration-hook", "post"),
                           ("migration-close", "unknown")], "late and never")
        asked = recs[5:7]
        timeouts = recs[7:9]
        quiesced, release = recs[9], recs[10]
        check([r["lock"] for r in asked] == [2, 3] == [r["lock"] for r in timeouts],
              "asked, timed out: %r" % recs[5:9])
        for a, t in zip(asked, timeouts):
            check(t["since"] == a["timestamp"] and
                  BOUND * 1e9 <= t["timestamp"] - a["timestamp"] < (BOUND + 2) * 1e9,
                  "timeout after %.3f s" % ((t["timestamp"] - a["timestamp"]) / 1e9))
        check(quiesced["count"] == 0 and quiesced["total"] == 2, "quiesced: %r" % quiesced)
        check_lock(release, late, 2, "late release")
        check(release["migration"] == 2 and release["since"] == asked[0]["timestamp"] and
              release["timestamp"] - release["since"] >= (BOUND + 1) * 1e9,
              "late release: %r" % release)
        quit_client(db, never)
        late.quit()
        log("late and never: pre answered at the bound (%.3f s) naming who did not release; timeouts, the late release with its migration and since" % p.elapsed)

        # 3: a block lock vetoes check; undocheck finds nothing to cancel
        at = last_position(db)
        b = Follower("block", -1)
        name, msg = phase_error("check")
        check(name == "org.vasd1.Error.MigrationVetoed", "veto: %s" % name)
        check(re.fullmatch(r'vasd: migration vetoed: block lock (\d+) of uid 0 \(root\), pid %d \(bus-client\): who "bus-client", why "following"; release it first, or as root: vasctl release-lock \1' % b.pid, msg),
              "veto message: %r" % msg)
        check(prop("MigrationState") == "idle", "a vetoed migration stays open")
        check(phase("undocheck") == ("3", "vasd: no migration is open: nothing to cancel"), "undocheck after a veto")
        b.nothing()
        recs = records(db, at)
        check_kinds(recs, [("inhibitor-take", "block"), ("migration-hook", "check"),
                           ("migration-open", "check"), ("migration-veto", "block-lock"),
                           ("migration-close", "vetoed"), ("migration-hook", "undocheck")],
                    "veto")
        veto = recs[3]
        check_lock(veto, b, 4, "veto")
        check(veto["migration"] == 3 and veto["count"] == 1, "veto: %r" % veto)
        check_hook(recs[5], "undocheck", 3)
        quit_client(db, b)
        log("block lock: check vetoed with MigrationVetoed naming the holder; undocheck names the vetoed migration")

        # 4: undocheck cancels a check; nobody was told
        at = last_position(db)
        f = Follower("delay", 0)
        check(phase("check")[0] == "4", "check 4")
        check(phase("undocheck") == ("4", "vasd: migration 4 cancelled"), "undocheck")
        f.nothing()
        check_kinds(records(db, at), [("inhibitor-take", "delay"), ("migration-hook", "check"),
                                      ("migration-open", "check"), ("migration-hook", "undocheck"),
                                      ("migration-close", "cancelled")], "cancelled")
        log("undocheck cancels a checked migration; clients were never told")

        # 5: pre without check, repeated: the calls join one migration
        quit_client(db, f)
        at = last_position(db)
        f = Follower("delay", -1)
        p1 = Phase("pre")
        wait_prop("MigrationState", "quiescing")
        p2 = Phase("pre")
        deadline = time.monotonic() + 10
        while len([r for r in records(db, at) if r["kind"] == "migration-hook"]) < 2:
            check(time.monotonic() < deadline, "the second pre did not arrive")
            time.sleep(0.02)
        check(not p1.done() and not p2.done(), "pre answered before the lock was released")
        f.expect("prepare true 5")
        f.close()
        r1, r2 = p1.result(), p2.result()
        check(r1 == r2 and r1[0] == "5" and "1 client lock released" in r1[1],
              "joined pre: %r %r" % (r1, r2))
        check(phase("pre") == ("5", "vasd: migration 5: clients are quiesced already"), "third pre")
        check(phase("post")[0] == "5", "post 5")
        f.expect("prepare false 5")
        f.nothing()
        check_kinds(records(db, at), [("inhibitor-take", "delay"), ("migration-hook", "pre"),
                                      ("migration-open", "pre"), ("migration-asked", None),
                                      ("migration-hook", "pre"), ("inhibitor-release", "delay"),
                                      ("migration-quiesced", "released"), ("migration-hook", "pre"),
                                      ("migration-hook", "post"), ("migration-close", "unknown")],
                    "joined pre")
        f.quit()
        log("pre without check opens; a pre while it waits joins; one after is answered at once")

        # 6: post with none open
        at = last_position(db)
        name, msg = phase_error("post")
        check((name, msg) == ("org.vasd1.Error.MigrationRefused",
                              "vasd: no migration is open: post has nothing to close"),
              "post with none open: %s %r" % (name, msg))
        recs = records(db, at)
        check_kinds(recs, [("migration-hook", "post"), ("migration-error", "no-migration")],
                    "post with none open")
        check(recs[1]["migration"] == 0, "error: %r" % recs[1])
        check(prop("State") == "waiting-for-kernel", "vasd serves on")
        log("post with none open: MigrationRefused, recorded as no-migration")

        # 7: a compaction removes every migration's events; numbers go on
        first, removed = manager("CompactLedger", "x", str(1 << 62))["data"]
        check(removed > 0 and [r for r in records(db) if r["kind"] == "migration-open"] == [],
              "compacted: %s %s" % (first, removed))
        check(v.stop() == 0, "vasd did not stop cleanly")
        v.close()
        v = start_vasd(d, extra=["--inhibit-delay-max=%g" % BOUND])
        check(phase("check")[0] == "6", "after the compaction, migration 6 is next")
        check(phase("undocheck")[0] == "6", "undocheck 6")
        log("after a compaction of every migration's events, the next is still 6")

        check(v.stop() == 0, "vasd did not stop cleanly")
        verify(v.db)
        log("the ledger verifies")
    finally:
        v.close()
        bus.stop()
log("ok")
