#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""vasd's start on a ledger of 1M events (bench/replay's mix: windows,
credits, migrations, restarts), from exec to READY=1, against the floor of
SQLite's own PRAGMA quick_check of the same file (Python's sqlite3, the
same libsqlite3, timed in-process: no exec counted for it). vasd runs as
systemd starts it (NOTIFY_SOCKET), without a kernel part and without the
bus, so what is timed is its open (quick_check), the projection's load
and the coordinator's restore. Rounds alternate the two, warm cache both;
the best of each counts. integrity_check is printed too: vasd ran it at
every start until it left the index cross-check to vasctl ledger verify. The file goes in $TMPDIR, else /var/tmp.
Last line:
  startup: ratio X (vasd exec to READY=1 over quick_check, 1M events)"""

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "host"))
from vasdtest import Vasd, check  # noqa: E402

REPLAY = os.environ["REPLAY"]
ROUNDS = 3


def pragma(path, what):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        t = time.monotonic()
        rows = db.execute("PRAGMA %s" % what).fetchall()
        t = time.monotonic() - t
    finally:
        db.close()
    check(rows == [("ok",)], "%s: %r" % (what, rows[:3]))
    return t


def start(d, path):
    v = Vasd(d, "unix:/nonexistent", db=path)
    t = time.monotonic()
    v.start(300)
    t = time.monotonic() - t
    check(v.stop() == 0, "vasd did not stop cleanly")
    v.close()
    return t


base = os.environ.get("TMPDIR") or "/var/tmp"
d = tempfile.mkdtemp(prefix="vasd-startup.", dir=base)
try:
    path = os.path.join(d, "ledger.db")
    t = time.monotonic()
    subprocess.run([REPLAY, "--build", path], check=True)
    print("build:    1M events in %.1f s, %.1f MiB" % (time.monotonic() - t,
                                                       os.path.getsize(path) / 2**20))
    best_vasd = best_quick = best_integrity = None
    for i in range(ROUNDS):
        if i % 2 == 0:
            q = pragma(path, "quick_check")
            s = start(d, path)
        else:
            s = start(d, path)
            q = pragma(path, "quick_check")
        n = pragma(path, "integrity_check")
        print("round %d:  vasd exec to READY=1 %.3f s, quick_check %.3f s, integrity_check %.3f s"
              % (i + 1, s, q, n))
        best_vasd = s if best_vasd is None else min(best_vasd, s)
        best_quick = q if best_quick is None else min(best_quick, q)
        best_integrity = n if best_integrity is None else min(best_integrity, n)
finally:
    shutil.rmtree(d, ignore_errors=True)

print("best:     vasd %.3f s, quick_check %.3f s, integrity_check %.3f s (vasd's open runs it)"
      % (best_vasd, best_quick, best_integrity))
print("          vasd over integrity_check alone: %.2f" % (best_vasd / best_integrity))
print("startup: ratio %.2f (vasd exec to READY=1 over quick_check, 1M events)"
      % (best_vasd / best_quick))
