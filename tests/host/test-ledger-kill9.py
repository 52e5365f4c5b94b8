#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""SIGKILL vasd at random points while it ingests a steady stream of
events, again and again; then let it catch up. No event is stored twice,
every seq is stored or covered by a recorded resync, the projection equals
the kernel's truth, `vasctl ledger verify` is clean and SQLite's
integrity_check is ok."""

import json
import os
import random
import sqlite3
import time

from vasdtest import (
    FakeKernel, TempDir, Vasd, check, check_seqs, check_windows, ledger,
    log, vasctl
)

KILLS = int(os.environ.get("VASD_KILLS", "60"))

rng = random.Random(int(os.environ.get("VASD_SEED", "1")))
with TempDir() as d:
    # vasd is the fake kernel's coordinator: each of the stream's migrations
    # waits for its ack, which comes once vasd has caught up with the events
    # before it; a short wait keeps the stream's length the kernel's, even
    # with vasd under valgrind
    k = FakeKernel(d, ["--rate", "20000", "--ack-timeout-ms", "50"])
    v = Vasd(d, k.spec, ["--batch-events", "64"])
    truth_path = os.path.join(d, "truth.json")
    try:
        # a stream of about 20 s; the kills take about half of that
        k.run("random 250000 seed=3", "truth " + truth_path)
        for i in range(KILLS):
            v.spawn()
            # sometimes before READY (mid-resync), mostly during ingest
            time.sleep(rng.uniform(0.0, 0.25))
            check(v.proc.poll() is None,
                  "vasd exited by itself:\n" + v.log_tail())
            v.kill()
        check(not os.path.exists(truth_path),
              "the stream ended before the kills did: make it longer")
        log("killed vasd %d times during ingest" % KILLS)

        v.start()
        deadline = time.monotonic() + 120
        while not os.path.exists(truth_path):
            check(time.monotonic() < deadline, "the stream never ended")
            time.sleep(0.1)
        with open(truth_path) as f:
            t = json.load(f)
        v.wait_seq(t["seq"], 60, gen=t["generation"])

        db = ledger(v.db)
        dup = db.execute("SELECT count(*) FROM (SELECT generation, seq FROM events "
                         "WHERE seq IS NOT NULL AND kind NOT LIKE 'resync%' "
                         "GROUP BY generation, seq HAVING count(*) > 1)").fetchone()[0]
        check(dup == 0, "%d events stored twice" % dup)
        n = check_windows(db, t)
        reasons = check_seqs(db, t["generation"], t["seq"])
        starts = db.execute("SELECT count(*) FROM events WHERE kind = 'daemon-start'").fetchone()[0]
        stored = db.execute("SELECT count(*) FROM events WHERE kind NOT LIKE 'resync%' "
                            "AND kind NOT LIKE 'daemon%'").fetchone()[0]
        db.close()
        check(v.stop() == 0, "vasd did not stop cleanly")
        ok = sqlite3.connect(v.db).execute("PRAGMA integrity_check").fetchone()[0]
        check(ok == "ok", "integrity_check: " + ok)
        p = vasctl("ledger", "verify", "-d", v.db, check_rc=0)
        log("%d starts recorded, %d kernel events stored of %d, resyncs %s, %d windows; %s"
            % (starts, stored, t["seq"], reasons, n, p.stdout.strip().splitlines()[-1]))
    finally:
        v.close()
        k.stop()
log("ok")
