#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""vasd with the fake kernel: a workload of windows, DLPAR changes and
migrations ends with a projection equal to the kernel's truth, every seq
in the ledger once, `vasctl ledger verify` clean; a restart continues the
same ledger; gaps and a new generation are resynced and converge."""

from vasdtest import (
    FakeKernel, TempDir, Vasd, check, check_seqs, check_windows, ledger,
    log, vasctl
)

with TempDir() as d:
    k = FakeKernel(d)
    v = Vasd(d, k.spec).start()
    try:
        k.run("open default comm=before", "random 3000 seed=7",
              "credits default 4", "migrate stream=9", "credits default 32")
        t = k.truth()
        v.wait_seq(t["seq"], gen=t["generation"])
        db = ledger(v.db)
        n = check_windows(db, t)
        reasons = check_seqs(db, t["generation"], t["seq"])
        check(not reasons, "resyncs without loss: %s" % reasons)
        log("workload: %d windows, seq up to %d, no resync" % (n, t["seq"]))

        # restart: the ledger continues, the kernel moved on meanwhile
        check(v.stop() == 0, "vasd did not stop cleanly")
        k.run("random 500 seed=8")
        v.start()
        t = k.truth()
        v.wait_seq(t["seq"], gen=t["generation"])
        check_windows(db, t)
        reasons = check_seqs(db, t["generation"], t["seq"])
        check(reasons == {"start": 1}, "restart: resyncs %s" % reasons)
        log("restart: events missed while down were resynced once")

        # a gap: the fake kernel drops events
        k.run("drop 3", "random 200 seed=9")
        t = k.truth()
        v.wait_seq(t["seq"], gen=t["generation"])
        check_windows(db, t)
        reasons = check_seqs(db, t["generation"], t["seq"])
        check(reasons.get("gap") == 1, "gap: resyncs %s" % reasons)
        row = db.execute("SELECT lost_from, seq FROM events WHERE kind = "
                         "'resync-begin' AND reason = 'gap'").fetchone()
        check(row["seq"] - row["lost_from"] == 3,
              "gap recorded as %d..%d" % (row["lost_from"], row["seq"] - 1))
        log("gap: lost seq %d..%d recorded, converged"
            % (row["lost_from"], row["seq"] - 1))

        # a new kernel instance
        old = t["generation"]
        k.run("reload", "random 200 seed=10")
        t = k.truth()
        check(t["generation"] != old, "reload kept the generation")
        v.wait_seq(t["seq"], gen=t["generation"])
        check_windows(db, t)
        reasons = check_seqs(db, t["generation"], t["seq"])
        check(reasons.get("generation") == 1, "reload: resyncs %s" % reasons)
        log("reload: new generation %x resynced" % t["generation"])
        db.close()

        check(v.stop() == 0, "vasd did not stop cleanly")
        p = vasctl("ledger", "verify", "-d", v.db, check_rc=0)
        log(p.stdout.strip())
        events = ledger(v.db).execute("SELECT kind FROM events ORDER BY position").fetchall()
        check(events[0]["kind"] == "daemon-start" and events[-1]["kind"] == "daemon-stop",
              "ledger does not start with daemon-start and end with daemon-stop")
    finally:
        v.close()
        k.stop()
log("ok")
