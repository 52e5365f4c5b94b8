#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Peak RSS of vasd with 100k windows in the ledger: while it ingests them
from the fake kernel, and when it starts on that ledger (loads the
projection, resyncs against the kernel's dump of the same 100k windows).
Budget: 32 MiB. Last line:
  vasd-rss: ratio X (peak RSS over the 32 MiB budget)"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "host"))
from vasdtest import (  # noqa: E402
    FakeKernel, TempDir, Vasd, check, ledger, peak_rss
)

WINDOWS = int(os.environ.get("VASD_RSS_WINDOWS", "100000"))
BUDGET = 32 << 20


with TempDir() as d:
    k = FakeKernel(d)
    v = Vasd(d, k.spec).start()
    try:
        # credits are u16s: the windows are spread over both types
        half = WINDOWS // 2
        k.run("credits default %d" % min(half + 16, 65535),
              "credits qos %d" % min(WINDOWS - half + 16, 65535))
        k.run(*["open %s comm=w%d" % ("default" if i < half else "qos", i % 1000)
                for i in range(WINDOWS)])
        t = k.truth(300)
        check(len(t["windows"]) == WINDOWS, "fake kernel has %d windows"
              % len(t["windows"]))
        v.wait_seq(t["seq"], 300, gen=t["generation"])
        ingest = peak_rss(v.proc.pid)
        check(v.stop() == 0, "vasd did not stop cleanly")
        size = os.path.getsize(v.db)

        v.start(300)
        v.wait_seq(t["seq"], 300, gen=t["generation"])
        start = peak_rss(v.proc.pid)
        n = ledger(v.db).execute("SELECT count(*) FROM windows").fetchone()[0]
        check(n == WINDOWS, "ledger has %d windows" % n)
        check(v.stop() == 0, "vasd did not stop cleanly")
    finally:
        v.close()
        k.stop()

peak = max(ingest, start)
print("vasd-rss: %d windows, ledger %.1f MiB; peak RSS %.1f MiB while ingesting them, %.1f MiB starting on them"
      % (WINDOWS, size / 2**20, ingest / 2**20, start / 2**20))
print("vasd-rss: ratio %.2f (peak RSS over the 32 MiB budget)" % (peak / BUDGET))
