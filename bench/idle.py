#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""vasd's wakeups while nothing happens: vasd as systemd runs it (the
watchdog on, WATCHDOG_USEC=20 s: a ping every 10 s), on the system bus (a
private dbus-daemon with the real policy), attached to the fake kernel,
with a few windows, left alone for IDLE_S seconds. Its wakeups are the
context switches of all its threads (/proc/PID/task/*/status: a thread
that sleeps in epoll_wait and is woken counts one); the floor is the
watchdog's pings received on the notify socket in the same window, one
wakeup each. Goal: the watchdog's alone (ratio 1). Last line:
  idle: ratio X (vasd's wakeups over the watchdog's pings, N s idle)"""

import glob
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "host"))
from vasdtest import FakeKernel, TempDir, Vasd, check  # noqa: E402
from bustest import PrivateBus  # noqa: E402

IDLE_S = int(os.environ.get("IDLE_S", "60"))


def switches(pid):
    n = 0
    for status in glob.glob("/proc/%d/task/*/status" % pid):
        with open(status) as f:
            for line in f:
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    n += int(line.split()[1])
    return n


def pings(v):
    with v.cond:
        return sum(m.count("WATCHDOG=1") for m in v.messages)


with TempDir() as d:
    bus = PrivateBus(d)
    k = FakeKernel(d)
    os.environ["WATCHDOG_USEC"] = "20000000"
    v = Vasd(d, k.spec, bus=True)
    try:
        v.start()
        k.run("open default comm=alpha tgid=100", "open qos comm=beta tgid=200")
        t = k.truth()
        v.wait_seq(t["seq"], gen=t["generation"])
        # let what the start and the windows scheduled run out
        time.sleep(3)
        s0, p0 = switches(v.proc.pid), pings(v)
        time.sleep(IDLE_S)
        s1, p1 = switches(v.proc.pid), pings(v)
        check(v.stop() == 0, "vasd did not stop cleanly")
    finally:
        v.close()
        k.stop()
        bus.stop()
wakeups, floor = s1 - s0, p1 - p0
check(floor > 0, "no watchdog ping in %d s" % IDLE_S)
print("vasd: %d wakeups in %d s idle; the watchdog: %d pings (WatchdogSec=20s)"
      % (wakeups, IDLE_S, floor))
print("idle: ratio %.2f (vasd's wakeups over the watchdog's pings, %d s idle)"
      % (wakeups / floor, IDLE_S))
