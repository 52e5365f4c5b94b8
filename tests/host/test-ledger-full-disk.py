#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A full file system under the ledger (a small tmpfs): vasd reports it
and exits non-zero; everything it had committed is still there and the
file verifies; with space again, a restart catches up and records the loss
as a resync."""

import os
import subprocess
import sys

from vasdtest import (
    FakeKernel, TempDir, Vasd, check, check_seqs, check_windows, ledger,
    log, vasctl
)

if os.geteuid() != 0:
    log("SKIP: mounting a tmpfs needs root")
    sys.exit(77)

with TempDir() as d:
    mnt = os.path.join(d, "small")
    os.mkdir(mnt)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4M", "vasd-test", mnt],
                   check=True)
    k = v = None
    try:
        k = FakeKernel(d)
        # retention off: its default (a tenth of this small file system)
        # would compact the history this test reads back
        v = Vasd(d, k.spec, db=os.path.join(mnt, "ledger.db"),
                 extra=["--ledger-max-use=0"]).start()
        k.run("random 200 seed=11")
        t = k.truth()
        v.wait_seq(t["seq"], gen=t["generation"])
        committed = t["seq"]

        k.run("random 100000 seed=12")
        rc = v.wait_exit(60)
        out = v.log_tail()
        check(rc == 1, "vasd exited %d on a full disk, expected 1:\n%s" % (rc, out))
        check("full" in out or "No space" in out,
              "the log does not say the disk is full:\n" + out)
        log("full disk: vasd exited 1: %s" % [l for l in out.splitlines()
                                             if "full" in l or "space" in l][0])

        db = ledger(v.db)
        got = db.execute("SELECT max(seq) FROM events WHERE kind NOT LIKE 'resync%' "
                         "AND kind NOT LIKE 'daemon%'").fetchone()[0]
        check(got >= committed, "committed seq %d lost: ledger ends at %d"
              % (committed, got))
        db.close()
        p = vasctl("ledger", "verify", "-d", v.db, check_rc=0)
        log("after the crash: seq up to %d kept (%d reported committed); %s"
            % (got, committed, p.stdout.strip().splitlines()[-1]))

        subprocess.run(["mount", "-o", "remount,size=64M", mnt], check=True)
        v.start()
        t = k.truth(120)
        v.wait_seq(t["seq"], 60, gen=t["generation"])
        db = ledger(v.db)
        check_windows(db, t)
        reasons = check_seqs(db, t["generation"], t["seq"])
        check(reasons.get("start", 0) >= 1, "no resync after restart: %s" % reasons)
        db.close()
        check(v.stop() == 0, "vasd did not stop cleanly")
        vasctl("ledger", "verify", "-d", v.db, check_rc=0)
        log("with space again: caught up, resyncs %s" % reasons)
    finally:
        if v:
            v.close()
        if k:
            k.stop()
        subprocess.run(["umount", mnt])
log("ok")
