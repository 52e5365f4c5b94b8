#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""drmgr's phases with 50 reference clients on real windows: vasd on a
private system bus is the kernel part's coordinator; 50 vas-client
processes open a window each through the simulated device and take a
delay lock; check, pre (vasd quiesces them), the migration through the
sim's control (as drmgr's write to /sys/kernel/mobility/migration), post.

Asserted: pre returns once every client released, before the kernel's
suspend began; the kernel's prepare is acked at once; every client's window
is suspended between the kernel's SUSPENDING and SUSPENDED and resumed
between SUSPENDED and RESUMED (the suspend completes with every window
closed: the migration completes); no client pasted while suspended and each
pasted again after; and vasd's records - who was asked, who released and
when, the blackout of the migration and of each client - match what the
clients logged and the kernel's window events (by window id and tgid)."""

import json
import os
import time

from vasdtest import TempDir, check, ledger, log, u64, vasctl, wait_until
from bustest import PrivateBus, prop
from migtest import Phase, last_position, phase, records, verify
from vmmig import (
    COMPLETED, Clients, Migration, PREPARE, REASON_MIGRATION, RESUMED,
    SUSPENDED, SUSPENDING, WIN_SUSPENDED, kernel_events, phase_event,
    read_log, sim_load, sim_set, sim_unload, start_vasd, step_times
)

N = 50
STREAM = 4711
WORK_MS = 100
PAUSE_MS = 300
CYCLE = ["window-opened", "lock-taken", "prepare-received", "drained", "lock-released",
         "resume-received", "lock-taken-again"]
# the clients' times and vasd's are one clock's, read a little apart
SLACK_NS = 2 * 10**9

with TempDir() as d:
    sim_load("default_credits=%d" % N)
    sim_set("pause_ms", PAUSE_MS)
    bus = PrivateBus(d)
    v = start_vasd(d)
    db = ledger(v.db)
    log_path = os.path.join(d, "clients.log")
    clients = None
    try:
        start = time.monotonic()
        clients = Clients(d, log_path, "client", N, work_ms=WORK_MS)
        clients.ready(timeout=90)
        pids = set(clients.pids)
        log("%d clients hold a window and a delay lock after %.1f s"
            % (N, time.monotonic() - start))
        at = last_position(db)

        name, msg = phase("check")
        check(name == "1" and msg == "vasd: migration 1 may proceed; %d delay locks will be asked to release" % N,
              "check: %r %r" % (name, msg))
        pre = Phase("pre")
        name, msg = pre.result(timeout=60)
        pre_done = time.time_ns()
        check(name == "1" and msg.startswith("vasd: migration 1: %d client locks released in " % N),
              "pre: %r %r" % (name, msg))
        check(prop("MigrationState") == "quiesced", "after pre: %s" % prop("MigrationState"))
        log("check, pre: %s (%.2f s)" % (msg, pre.elapsed))

        mig = Migration(STREAM)
        check(mig.join() == 0, "the migration was aborted: a window stayed open")
        check(mig.took < 3 + PAUSE_MS / 1000, "the migration took %.2f s: was the ack late?" % mig.took)
        name, msg = phase("post")
        check((name, msg) == ("1", "vasd: migration 1 closed: completed"), "post: %r %r" % (name, msg))
        check(prop("MigrationState") == "idle", "after post: %s" % prop("MigrationState"))
        log("migration %d took %.2f s (pause %d ms); post: %s" % (STREAM, mig.took, PAUSE_MS, msg))

        def cycled():
            got = read_log(log_path)
            return got if all(step_times(got.get(p, []), "lock-taken-again") for p in pids) else None
        steps = wait_until("every client's lock taken again", cycled)
        recs = records(db, at)
        kev = kernel_events(db)

        # The kernel's side: the phases, each client's one window.
        prepare = phase_event(kev, STREAM, PREPARE)
        suspending = phase_event(kev, STREAM, SUSPENDING)
        suspended = phase_event(kev, STREAM, SUSPENDED)
        resumed = phase_event(kev, STREAM, RESUMED)
        phase_event(kev, STREAM, COMPLETED)
        windows = {}
        for e in kev:
            if e["kind"] == "window-add" and e["tgid"] in pids:
                check(e["tgid"] not in windows, "client %d has two windows" % e["tgid"])
                windows[e["tgid"]] = e["id"]
        check(set(windows) == pids, "windows of %d of %d clients in the ledger" % (len(windows), N))
        by_id = {w: p for p, w in windows.items()}
        suspends, resumes = {}, {}
        for e in kev:
            if e["kind"] != "window-change" or not suspending["seq"] < e["seq"] < resumed["seq"]:
                continue
            check(e["id"] in by_id, "window %d of no client changed in the migration" % e["id"])
            if e["state"] == WIN_SUSPENDED:
                check(e["reason"] == REASON_MIGRATION and e["seq"] < suspended["seq"],
                      "window %d suspended at seq %d (reason %d), SUSPENDED at %d"
                      % (e["id"], e["seq"], e["reason"], suspended["seq"]))
                suspends[e["id"]] = e
            else:
                check(e["seq"] > suspended["seq"],
                      "window %d resumed at seq %d, before SUSPENDED" % (e["id"], e["seq"]))
                resumes[e["id"]] = e
        check(set(suspends) == set(by_id) == set(resumes),
              "%d windows suspended and %d resumed of %d" % (len(suspends), len(resumes), N))
        log("the kernel: %d windows suspended between SUSPENDING and SUSPENDED, "
            "resumed between SUSPENDED and RESUMED; completed" % N)

        # The clients' side, against the kernel's times.
        for p in pids:
            s = steps[p]
            released = step_times(s, "lock-released")
            told = step_times(s, "prepare-received")
            resumed_at = step_times(s, "resume-received")
            check(len(released) == len(told) == len(resumed_at) == 1,
                  "client %d: %s" % (p, [x["step"] for x in s]))
            order = [x["step"] for x in s if x["step"] in CYCLE]
            check(order == CYCLE, "client %d: %s" % (p, order))
            # drained comes before the close that pre waits for
            check(step_times(s, "drained")[0] <= pre_done and released[0] < suspending["timestamp"],
                  "client %d released after pre returned or the suspend began" % p)
            check(resumed_at[0] > resumed["timestamp"],
                  "client %d was told of the end before the kernel resumed" % p)
            check(not step_times(s, "window-paste-failed"), "client %d pasted while suspended" % p)
            check(step_times(s, "window-paste-ok")[-1] > resumed_at[0],
                  "client %d did not paste after the migration" % p)

        # vasd's report against both.
        def only(kind, what=None):
            return [r for r in recs if r["kind"] == kind and (what is None or r["what"] == what)]
        check([r["what"] for r in only("migration-hook")] == ["check", "pre", "post"],
              "hooks: %r" % only("migration-hook"))
        check([r["what"] for r in only("migration-open")] == ["check"], "open: %r" % only("migration-open"))
        asked = only("migration-asked")
        check(sorted(r["pid"] for r in asked) == sorted(pids), "asked: %r" % [r["pid"] for r in asked])
        releases = [r for r in only("inhibitor-release", "delay") if r["migration"] == 1]
        check(sorted(r["pid"] for r in releases) == sorted(pids),
              "released: %r" % [r["pid"] for r in releases])
        asked_at = {r["pid"]: r["timestamp"] for r in asked}
        for r in releases:
            # the client closes its fd between these two steps' clocks:
            # vasd may see the close before the client logs it
            d = step_times(steps[r["pid"]], "drained")[0]
            t = step_times(steps[r["pid"]], "lock-released")[0]
            check(d <= r["timestamp"] < t + SLACK_NS,
                  "client %d: drained at %d, released at %d, vasd saw it at %d"
                  % (r["pid"], d, t, r["timestamp"]))
            check(r["since"] == asked_at[r["pid"]], "client %d: since %d, asked at %d"
                  % (r["pid"], r["since"], asked_at[r["pid"]]))
        check(not only("migration-timeout"), "timeouts: %r" % only("migration-timeout"))
        q = only("migration-quiesced")
        check(len(q) == 1 and q[0]["what"] == "released" and q[0]["count"] == N and q[0]["total"] == N,
              "quiesced: %r" % q)
        check(q[0]["timestamp"] >= max(r["timestamp"] for r in releases), "quiesced before the last release")
        ack = only("migration-ack")
        check(len(ack) == 1 and ack[0]["stream"] == STREAM and ack[0]["phase"] == PREPARE and
              u64(ack[0]["ktoken"]) != 0, "ack: %r" % ack)
        check(ack[0]["timestamp"] >= prepare["timestamp"], "acked before the prepare")
        check(not only("migration-error"), "errors: %r" % only("migration-error"))
        check(not only("migration-anomaly"), "anomalies: %r" % only("migration-anomaly"))

        b = only("migration-blackout")
        check(len(b) == 1 and b[0]["count"] == N and b[0]["total"] == N, "blackout: %r" % b)
        check(b[0]["since"] == min(e["timestamp"] for e in suspends.values()) and
              b[0]["timestamp"] == max(e["timestamp"] for e in resumes.values()),
              "blackout %r, kernel's first suspend %d, last resume %d"
              % (b[0], min(e["timestamp"] for e in suspends.values()),
                 max(e["timestamp"] for e in resumes.values())))
        cb = only("migration-client-blackout")
        check(sorted(r["pid"] for r in cb) == sorted(pids), "client blackouts: %r" % [r["pid"] for r in cb])
        for r in cb:
            w = windows[r["pid"]]
            check(r["comm"] == "vas-client" and r["count"] == 1 and r["total"] == 1 and
                  r["since"] == suspends[w]["timestamp"] and r["timestamp"] == resumes[w]["timestamp"],
                  "client %d (window %d): %r" % (r["pid"], w, r))
            s = steps[r["pid"]]
            check(step_times(s, "lock-released")[0] < r["since"] and
                  r["timestamp"] < step_times(s, "resume-received")[0],
                  "client %d: its blackout is not between its release and its resume" % r["pid"])
        close = only("migration-close")
        check(len(close) == 1 and close[0]["what"] == "completed" and close[0]["stream"] == STREAM,
              "close: %r" % close)
        check({r["migration"] for r in recs if r["kind"].startswith("migration-")} == {1},
              "records of another migration")
        log("vasd's records: %d asked, %d released (times as the clients logged), quiesced, acked; "
            "blackout %.1f ms over %d windows, one per client with its window; closed completed"
            % (len(asked), len(releases), (b[0]["timestamp"] - b[0]["since"]) / 1e6, N))

        # The report the operator reads says the same.
        rep = json.loads(vasctl("migration", "status", "--json", "--database", v.db, "1",
                                check_rc=0).stdout)
        check(rep["migration"] == "1" and rep["state"] == "closed" and rep["outcome"] == "completed"
              and [h["phase"] for h in rep["hooks"]] == ["check", "pre", "post"],
              "report: %r" % {k: rep[k] for k in ("migration", "state", "outcome", "hooks")})
        released_at = {r["pid"]: r["timestamp"] for r in releases}
        check(sorted(a["pid"] for a in rep["asked"]) == sorted(pids) and
              all(a["released_at"] == released_at[a["pid"]] and a["timed_out_at"] is None
                  for a in rep["asked"]), "report's asked: %r" % rep["asked"][:3])
        check(rep["quiesced"]["how"] == "released" and rep["quiesced"]["released"] == N
              and rep["acks"][0]["stream_id"] == STREAM and not rep["anomalies"],
              "report: quiesced %r, acks %r" % (rep["quiesced"], rep["acks"]))
        check(rep["blackout"] == {"first_suspended": b[0]["since"], "last_resumed": b[0]["timestamp"],
                                  "suspended": N, "resumed": N}, "report's blackout: %r" % rep["blackout"])
        per_client = {c["tgid"]: c["blackout"] for c in rep["clients"]}
        check(set(per_client) == pids, "report's clients: %r" % sorted(per_client))
        for p, w in windows.items():
            want = {"first_suspended": suspends[w]["timestamp"], "last_resumed": resumes[w]["timestamp"],
                    "suspended": 1, "resumed": 1}
            check(per_client[p] == want, "report, client %d: %r, kernel %r" % (p, per_client[p], want))
        log("vasctl migration status --json 1: the same asked, released, blackout and clients")

        check(all(rc == 0 for rc in clients.stop()), "a client did not exit 0")
        clients = None
        check(v.stop() == 0, "vasd did not stop cleanly")
        verify(v.db)
    finally:
        if clients:
            clients.kill()
        v.close()
        bus.stop()
    sim_unload()
log("ok")
