#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The fake kernel's migrations with vasd as its registered coordinator:
vasd quiesces its clients and acks the prepare with its token before the
kernel's timeout; after a hook's pre the ack is immediate; a client that
never releases makes the kernel go on at its own bound (ack-missed); vasd
killed mid-pre (hook-driven, then kernel-driven) does not wedge the kernel,
and the restarted vasd takes the migration up and closes it; a window the
suspend missed (migrate race) is an anomaly, MigrationAnomalies says 1 and
MigrationComplete's message warns. The ledger's records are checked for
each, the kernel's truth and log for the acks, and the ledger verifies."""

import os
import re
import time

from vasdtest import FakeKernel, TempDir, Vasd, check, fail, ledger, log, u64
from bustest import PrivateBus, prop
from migtest import (
    Follower, Phase, check_kinds, last_position, phase, records, verify,
    wait_prop, wait_record
)

PREPARE, COMPLETED = 1, 5
BOUND = 4
OPTIONS = ["--inhibit-delay-max=%d" % BOUND]


def step(k, v, *lines):
    """Run lines; wait until vasd committed what they did; the truth."""
    k.run(*lines)
    t = k.truth()
    v.wait_seq(t["seq"])
    return t


def prepare_log(k, stream):
    """The fake kernel's words about the prepare of stream: (token, outcome, ms)."""
    with open(os.path.join(k.dir, "fake-kernel.log")) as f:
        for line in f:
            m = re.search(r"migrate stream %d: prepare \(token 0x([0-9a-f]+)\), (.*) after ([0-9.]+) ms"
                          % stream, line)
            if m:
                return int(m.group(1), 16), m.group(2), float(m.group(3))
    fail("the fake kernel did not log the prepare of stream %d" % stream)


def wait_kernel(k, stream, phase):
    deadline = time.monotonic() + 30
    while True:
        t = k.truth()
        if t["migration"]["stream_id"] == stream and t["migration"]["phase"] == phase:
            return t
        check(time.monotonic() < deadline, "the kernel's migration: %r" % t["migration"])
        time.sleep(0.1)


def wait_kernel_event(db, stream, phase):
    deadline = time.monotonic() + 30
    while not db.execute("SELECT count(*) FROM events WHERE kind = 'migration-change' "
                         "AND migration_stream_id = ? AND migration_phase = ?",
                         (stream, phase)).fetchone()[0]:
        check(time.monotonic() < deadline, "stream %d phase %d not in the ledger" % (stream, phase))
        time.sleep(0.02)


def check_kernel(r, stream, token, phase, what):
    check(r["stream"] == stream and u64(r["ktoken"]) == token and r["phase"] == phase,
          "%s: the kernel's migration in %r" % (what, r))


def restart(d, k):
    v = Vasd(d, k.spec, bus=True, extra=OPTIONS).start()
    k.run("wait-coordinator")
    check(k.truth()["coordinator"], "vasd did not register again")
    return v


with TempDir() as d:
    bus = PrivateBus(d)
    k = FakeKernel(d)
    k.run("open default comm=alpha tgid=4242")
    v = Vasd(d, k.spec, bus=True, extra=OPTIONS).start()
    db = ledger(v.db)
    try:
        k.run("wait-coordinator")
        check(k.truth()["coordinator"], "vasd is not the coordinator")

        # 1: kernel-driven; the client releases 100 ms after it is asked
        at = last_position(db)
        f = Follower("delay", 100)
        t = step(k, v, "migrate stream=7")
        token, outcome, ms = prepare_log(k, 7)
        check(outcome == "acked" and 100 <= ms < 5000, "the kernel: %s after %.1f ms" % (outcome, ms))
        check(token == t["migration"]["token"], "the kernel's token")
        for line in ("prepare true 1", "closed", "prepare false 1"):
            f.expect(line)
        recs = records(db, at)
        check_kinds(recs, [("inhibitor-take", "delay"), ("migration-open", "kernel"),
                           ("migration-asked", None), ("inhibitor-release", "delay"),
                           ("migration-quiesced", "released"), ("migration-ack", None),
                           ("migration-blackout", None), ("migration-client-blackout", None),
                           ("migration-close", "completed")], "kernel-driven")
        opened, ack, blackout, client, close = recs[1], recs[5], recs[6], recs[7], recs[8]
        check_kernel(opened, 7, token, PREPARE, "open")
        check_kernel(ack, 7, token, PREPARE, "ack")
        check_kernel(close, 7, token, COMPLETED, "close")
        check(ack["timestamp"] >= recs[3]["timestamp"], "acked before the release")
        check(blackout["count"] == 1 and blackout["total"] == 1 and
              0 < blackout["since"] < blackout["timestamp"], "blackout: %r" % blackout)
        check(client["pid"] == 4242 and client["comm"] == "alpha" and
              client["count"] == 1 and client["total"] == 1 and
              client["since"] == blackout["since"], "client blackout: %r" % client)
        check({r["migration"] for r in recs[1:]} == {1}, "all of migration 1")
        f.quit()
        log("kernel-driven: asked, released, acked with the token after %.1f ms; blackouts; closed completed" % ms)

        # 2: the hook's pre first: the kernel's prepare is acked at once
        at = last_position(db)
        check(phase("check")[0] == "2", "check 2")
        check(phase("pre") == ("2", "vasd: migration 2: no client holds a delay lock"), "pre 2")
        t = step(k, v, "migrate stream=8")
        token, outcome, ms = prepare_log(k, 8)
        check(outcome == "acked" and ms < 1000, "the kernel: %s after %.1f ms" % (outcome, ms))
        check(prop("MigrationState") == "quiesced", "post is still due")
        check(phase("post") == ("2", "vasd: migration 2 closed: completed"), "post 2")
        recs = records(db, at)
        check_kinds(recs, [("migration-hook", "check"), ("migration-open", "check"),
                           ("migration-hook", "pre"), ("migration-quiesced", "none"),
                           ("migration-ack", None), ("migration-hook", "post"),
                           ("migration-blackout", None), ("migration-client-blackout", None),
                           ("migration-close", "completed")], "pre, then the kernel")
        check_kernel(recs[4], 8, token, PREPARE, "ack")
        check_kernel(recs[8], 8, token, COMPLETED, "close")
        log("pre then the kernel's prepare: acked after %.1f ms; post closes it completed" % ms)

        # 3: a client that never releases: the kernel goes on at its bound
        at = last_position(db)
        never = Follower("delay", -1)
        step(k, v, "migrate stream=9 ack-timeout-ms=300")
        token, outcome, ms = prepare_log(k, 9)
        check(outcome == "ack timed out" and 300 <= ms < 2000, "the kernel: %s after %.1f ms" % (outcome, ms))
        recs = records(db, at)
        check_kinds(recs, [("inhibitor-take", "delay"), ("migration-open", "kernel"),
                           ("migration-asked", None), ("migration-error", "ack-missed"),
                           ("migration-quiesced", "closed"), ("migration-blackout", None),
                           ("migration-client-blackout", None), ("migration-close", "completed")],
                    "ack missed")
        check(recs[3]["stream"] == 9 and u64(recs[3]["ktoken"]) == token and
              recs[3]["phase"] > PREPARE, "ack-missed: %r" % recs[3])
        never.expect("prepare true 3")
        never.expect("prepare false 3")
        log("a client that never releases: the kernel went on after its %.0f ms; ack-missed recorded" % ms)

        # 4: vasd killed while pre waits for the client; the kernel waits for the ack
        at = last_position(db)
        check(phase("check")[0] == "4", "check 4")
        p = Phase("pre")
        wait_prop("MigrationState", "quiescing")
        never.expect("prepare true 4")
        k.run("migrate stream=10")
        wait_kernel_event(db, 10, PREPARE)
        v.kill()
        p.failed()
        t = wait_kernel(k, 10, COMPLETED)
        token, outcome, ms = prepare_log(k, 10)
        check(outcome == "coordinator gone", "the kernel: %s after %.1f ms" % (outcome, ms))
        at = last_position(db)
        v.close()
        v = restart(d, k)
        never.expect("prepare true 4")
        check((prop("MigrationName"), prop("MigrationState")) == ("4", "quiesced"),
              "restored: %s %s" % (prop("MigrationName"), prop("MigrationState")))
        check(phase("post") == ("4", "vasd: migration 4 closed: completed"), "post 4")
        never.expect("prepare false 4")
        recs = records(db, at)
        check_kinds(recs, [("migration-quiesced", "restart"), ("migration-hook", "post"),
                           ("migration-close", "completed")], "restart mid-pre")
        check(recs[0]["migration"] == 4 and recs[0]["total"] == 1, "quiesced: %r" % recs[0])
        check_kernel(recs[2], 10, token, COMPLETED, "close")
        log("killed mid-pre: the kernel went on when vasd's socket closed; the restart took migration 4 up, post closed it completed")
        never.quit()

        # 5: vasd killed while a kernel-driven migration waits
        never = Follower("delay", -1)
        at = last_position(db)
        k.run("migrate stream=11")
        wait_record(db, at, "migration-open", "kernel")
        v.kill()
        wait_kernel(k, 11, COMPLETED)
        token, outcome, ms = prepare_log(k, 11)
        check(outcome == "coordinator gone", "the kernel: %s" % outcome)
        v.close()
        at = last_position(db)
        v = restart(d, k)
        recs = records(db, at)
        check_kinds(recs, [("migration-quiesced", "restart"), ("migration-close", "completed")],
                    "restart mid-prepare")
        check_kernel(recs[1], 11, token, COMPLETED, "close")
        check(recs[1]["migration"] == 5 and prop("MigrationState") == "idle", "closed: %r" % recs[1])
        never.expect("prepare true 5")
        never.expect("prepare false 5")
        never.quit()
        log("killed mid-prepare (kernel-driven): the restart closed migration 5 with the kernel's outcome")

        # 6: the seed's race: a window listed after the suspend
        at = last_position(db)
        check(phase("check")[0] == "6", "check 6")
        phase("pre")
        step(k, v, "migrate stream=12 race")
        wait_prop("MigrationAnomalies", 1)
        m, msg = phase("post")
        check(m == "6" and msg.startswith("vasd: migration 6 closed: completed; warning: 1 window stayed active"),
              "post with an anomaly: %r" % msg)
        check((prop("MigrationAnomalies"), prop("MigrationState")) == (1, "idle"),
              "the last migration's anomalies")
        recs = [r for r in records(db, at) if r["kind"] == "migration-anomaly"]
        check(len(recs) == 1, "anomalies: %r" % recs)
        a = recs[0]
        check(a["what"] == "active-at-suspended" and a["window_comm"] == "raced" and
              a["window_state"] == 0 and a["total"] == 1 and a["migration"] == 6 and
              a["stream"] == 12 and a["phase"] == 3, "anomaly: %r" % a)
        step(k, v, "migrate stream=13")
        wait_prop("MigrationState", "idle")
        check(prop("MigrationAnomalies") == 0, "a new migration counts anew")
        log("the race: an anomaly (window 'raced' active at suspended); MigrationAnomalies 1; post warns")

        check(v.stop() == 0, "vasd did not stop cleanly")
        verify(v.db)
        log("the ledger verifies")
    finally:
        v.close()
        k.stop()
        bus.stop()
log("ok")
