#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""bus-latency: vasd on a private system bus (the real policy) with 10k
windows in its ledger (tests/host/ledger-fill.c), measured by
bench/bus-latency.c: GetAll and ListWindows against Ping to vasd on the
same connection, in one run. Goal: GetAll p99 <= 1.5 x Ping p99. Last line:
  bus-latency: ratio X (GetAll p99 over Ping p99)"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "host"))
from vasdtest import TempDir, check  # noqa: E402
from bustest import PrivateBus, prop, start_vasd  # noqa: E402

CLIENT = os.environ["BUS_LATENCY"]
WINDOWS = int(os.environ.get("VASD_BUS_WINDOWS", "10000"))
CALLS = os.environ.get("VASD_BUS_CALLS", "20000")
LISTS = os.environ.get("VASD_BUS_LISTS", "300")

with TempDir() as d:
    bus = PrivateBus(d)
    v = start_vasd(d, WINDOWS, WINDOWS // 10)
    try:
        check(prop("Windows") == WINDOWS, "vasd serves %r windows" % prop("Windows"))
        p = subprocess.run([CLIENT, CALLS, LISTS], capture_output=True, text=True,
                           timeout=600)
        sys.stdout.write(p.stdout)
        check(p.returncode == 0, "bus-latency failed: %s" % p.stderr)
        check(v.stop() == 0, "vasd did not stop cleanly")
    finally:
        v.close()
        bus.stop()
