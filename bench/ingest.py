#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""ingest: events per second from the fake kernel into vasd's durable
ledger, against the floor measured in the same run: the same rows and
projection updates written straight with SQLite (bench/ingest-floor.c),
same pragmas, same batch size. Also against vasd committing every event on
its own, and the p99 event-to-commit latency at 10k events/s.

Goals: ratio >= 0.5 against the floor; >= 50 against one transaction per
event. Last line:
  ingest: ratio X (vasd events/s over raw SQLite inserts, batch 256)"""

import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "host"))
from vasdtest import FakeKernel, TempDir, Vasd, check  # noqa: E402

FLOOR = os.environ["INGEST_FLOOR"]
N = int(os.environ.get("VASD_INGEST_OPS", "60000"))
BATCH = 256


def ingest(d, ops, extra=(), fake_extra=()):
    """Run ops random operations through vasd; events/s and the vasd."""
    k = FakeKernel(d, list(fake_extra))
    v = Vasd(d, k.spec, extra).start()
    try:
        first = k.truth()["seq"]
        path = os.path.join(d, "done.json")
        t0 = time.monotonic()
        k.run("random %d seed=1" % ops, "truth " + path)
        while not os.path.exists(path):
            time.sleep(0.001)
        t_gen = time.monotonic() - t0
        with open(path) as f:
            last = json.load(f)["seq"]
        v.wait_seq(last, 300)
        secs = time.monotonic() - t0
        check(v.stop() == 0, "vasd did not stop cleanly")
        return (last - first) / secs, last - first, secs, t_gen, v
    finally:
        v.close()
        k.stop()


with TempDir() as d:
    a = os.path.join(d, "a")
    os.mkdir(a)
    # The fake kernel waits for vasd rather than drop (--backpressure) and
    # its migrations take no time: vasd is the bottleneck, not the source.
    fast = ["--backpressure", "--pause-ms", "0"]
    rate, n, secs, t_gen, v = ingest(a, N, ["--batch-events", str(BATCH)], fast)
    print("vasd:  %d events in %.3f s = %.0f events/s (the fake kernel's script ended after %.3f s)"
          % (n, secs, rate, t_gen))

    p = subprocess.run([FLOOR, v.db, os.path.join(d, "floor.db"), str(BATCH)],
                       capture_output=True, text=True, check=True)
    fn, fsecs = p.stdout.split()
    floor = int(fn) / float(fsecs)
    print("floor: %s events in %.3f s = %.0f events/s (raw SQLite, batch %d)"
          % (fn, float(fsecs), floor, BATCH))

    # What the disk allows: raw SQLite, one transaction per event
    p = subprocess.run([FLOOR, v.db, os.path.join(d, "floor1.db"), "1", "3000"],
                       capture_output=True, text=True, check=True)
    f1n, f1secs = p.stdout.split()
    floor1 = int(f1n) / float(f1secs)
    print("floor, one transaction per event: %s events in %.3f s = %.0f events/s"
          % (f1n, float(f1secs), floor1))

    b = os.path.join(d, "b")
    os.mkdir(b)
    rate1, n1, secs1, _, _ = ingest(b, max(N // 20, 500), ["--batch-events", "1"], fast)
    print("vasd, one transaction per event: %d events in %.3f s = %.0f events/s"
          % (n1, secs1, rate1))

    c = os.path.join(d, "c")
    os.mkdir(c)
    _, nl, secsl, _, vl = ingest(c, 20000, fake_extra=["--rate", "10000"])
    m = re.search(r"p50 (\d+) us, p99 (\d+) us, max (\d+) us", open(vl.log_path).read())
    check(m, "no latency line in vasd's log")
    print("at 10k events/s: %d events in %.2f s; event-to-commit p50 %s us, p99 %s us, max %s us"
          % (nl, secsl, m.group(1), m.group(2), m.group(3)))

print("ingest: ratio %.1f (vasd batched over vasd with one transaction per event; "
      "raw SQLite batched over raw SQLite one per event, the ceiling here: %.1f)"
      % (rate / rate1, floor / floor1))
print("ingest: ratio %.2f (vasd events/s over raw SQLite inserts, batch %d)" % (rate / floor, BATCH))
