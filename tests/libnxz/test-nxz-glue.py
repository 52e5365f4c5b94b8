#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The libnxz series' glue (nx_vasclient.c) on the host, in nxz-glue: it
loads libvasclient with dlopen as libnxz does, and threads stand in for
jobs. Against vasd fed by the fake kernel on a private bus:

- the glue takes a lock, "libnxz", at its first window open;
- drmgr's pre: every job in flight ends, the window is closed once, with
  no job in flight, and the lock is released; no job runs until post;
- post: the lock comes back, jobs run again and the first reopens the
  window;
- no job ever finds the window closed under it."""

import json
import os
import subprocess
import threading
import time

from vasdtest import FakeKernel, Scenarios, TempDir, Vasd, check, log, wait_until
from bustest import PrivateBus, inhibitors
from migtest import phase

GLUE = os.environ["NXZ_GLUE"]
WAIT = 30


class Glue:
    def __init__(self, d):
        env = dict(os.environ, LD_LIBRARY_PATH=os.environ["VASCLIENT_LIBDIR"])
        self.err = open(os.path.join(d, "nxz-glue.err"), "w")
        self.proc = subprocess.Popen([GLUE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err, text=True, env=env)
        self.lines = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        self.wait(lambda: self.of("started"), "started")

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(json.loads(line))
                self.cond.notify_all()

    def of(self, event):
        with self.cond:
            return [e for e in self.lines if e["event"] == event]

    def wait(self, pred, what):
        deadline = time.monotonic() + WAIT
        with self.cond:
            while not pred():
                left = deadline - time.monotonic()
                check(left > 0, "nxz-glue: %s: not within %ds" % (what, WAIT))
                self.cond.wait(left)

    def state(self):
        n = len(self.of("state"))
        self.proc.stdin.write("state\n")
        self.proc.stdin.flush()
        self.wait(lambda: len(self.of("state")) > n, "state")
        return self.of("state")[n]

    def stop(self):
        self.proc.stdin.close()
        rc = self.proc.wait(WAIT)
        self.err.close()
        return rc


def locks(pid):
    return sorted(i[1] for i in inhibitors() if i[5] == pid)


with TempDir() as d, Scenarios() as s:
    bus = PrivateBus(d)
    k = FakeKernel(d)
    v = Vasd(d, k.spec, bus=True).start()
    g = Glue(d)
    pid = g.proc.pid
    try:
        with s("the first window open takes the lock"):
            wait_until("the lock of libnxz", lambda: locks(pid) == ["libnxz"])
            before = g.state()
            wait_until("jobs", lambda: g.state()["jobs"] > before["jobs"])
            log("lock taken, jobs run: %r" % g.state())

        with s("a migration: drained, closed once, released; reopened after post"):
            check(phase("check")[0], "check")
            mig, msg = phase("pre")
            check(locks(pid) == [], "locks after pre: %r" % inhibitors())
            during = g.state()
            check(during["closes"] == 1 and during["open"] == 0,
                  "after pre, the window: %r" % during)
            time.sleep(0.2)
            later = g.state()
            check(later["jobs"] == during["jobs"] and later["opens"] == during["opens"],
                  "jobs ran during the migration: %r then %r" % (during, later))
            log("pre: %s; window closed, %d jobs, none during the migration"
                % (msg, during["jobs"]))
            phase("post")
            wait_until("the lock back", lambda: locks(pid) == ["libnxz"])
            wait_until("jobs after post", lambda: g.state()["jobs"] > later["jobs"])
            after = g.state()
            check(after["opens"] == during["opens"] + 1 and after["open"] == 1,
                  "the window after post: %r" % after)
            log("post: lock back, window reopened once, jobs run: %r" % after)

        with s("no violation"):
            check(g.of("violation") == [], "violations: %r" % g.of("violation"))
    finally:
        rc = g.stop()
    check(rc == 0, "nxz-glue exit status %d" % rc)
    check(v.stop() == 0, "vasd did not stop cleanly")
