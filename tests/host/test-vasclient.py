#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""libvasclient (lib/client) against vasd fed by the fake kernel, on a
private bus: K clients in one process, each with T worker threads
submitting jobs (vasclient-test.c), run on the library's threads ("thread")
or on the program's own poll loop ("loop", argv[1]).

- Every client takes its lock; ListInhibitors lists them, the process's
  pid. The fake kernel's migration: each drains (its jobs in flight end
  first: the program reports any lock released with a job in flight), its
  lock goes, and comes back after the resume; jobs run again.
- Fork and exec (thread only): a child that stays without exec and one that
  execs hold no lock: vasd's pre is answered with every lock released while
  they live; a storm of forks from every worker thread at once, each child
  sees -ECHILD and no lock.
- vasd restarted mid-migration (after pre): the clients take no lock from
  the new vasd while the migration is on, and take one when post ends it.
- Every client freed (thread): the library's thread ends; a client started
  again makes a new one and takes its lock.
- EOF: every client freed, no lock left, exit 0."""

import os
import signal
import sys

from vasdtest import FakeKernel, Scenarios, TempDir, Vasd, check, log, wait_until
from bustest import PrivateBus, inhibitors
from migtest import phase
from libclienttest import LibClients, WAIT

MODE = sys.argv[1] if len(sys.argv) > 1 else "thread"
K, T = 8, 8
PAUSE_MS = 6000
ECHILD = 10


def locks_of(pid):
    got = inhibitors()
    check(all(i[5] == pid for i in got), "locks of other pids: %r" % got)
    return sorted(i[1] for i in got)


def jobs_done(c):
    m = c.mark()
    c.send("jobs")
    return c.wait("jobs", lambda: c.events(event="jobs", since=m))[0]["value"]


ALL = sorted("lib-%d" % i for i in range(K))

with TempDir() as d, Scenarios() as s:
    bus = PrivateBus(d)
    k = FakeKernel(d)
    v = Vasd(d, k.spec, bus=True).start()
    c = None
    try:
        c = LibClients(d, "-c", str(K), "-t", str(T), *(["-l"] if MODE == "loop" else []))
        pid = c.proc.pid
        c.wait("every client's lock", lambda: c.each(K, "lock-taken"))
        wait_until("vasd listing every lock", lambda: locks_of(pid) == ALL)
        log("%d clients of %d threads (%s): %d locks, pid %d" % (K, T, MODE, K, pid))

        with s("the fake kernel's migration"):
            m = c.mark()
            k.run("migrate stream=7 pause-ms=%d" % PAUSE_MS)
            wait_until("every lock released", lambda: locks_of(pid) == [])
            check(c.each(K, "lock-released", m), "released: %r" % c.events(event="lock-released"))
            check(not c.events(event="resume-received", since=m),
                  "the migration ended before the listing: PAUSE_MS too short")
            c.wait("every client's resume", lambda: c.each(K, "resume", m))
            c.wait("every client's new lock", lambda: c.each(K, "lock-taken-again", m))
            wait_until("every lock back", lambda: locks_of(pid) == ALL)
            drains = c.events(event="drain", since=m)
            check(len(drains) == K, "drains: %r" % drains)
            later = sum(e["value"] for e in drains)
            for i in range(K):
                steps = [e["event"] for e in c.events(i, since=m)
                         if e["event"] in ("prepare-received", "drain", "lock-released",
                                           "resume-received", "resume", "lock-taken-again")]
                check(steps[:3] == ["prepare-received", "drain", "lock-released"] and
                      sorted(steps[3:]) == ["lock-taken-again", "resume", "resume-received"],
                      "client %d: %s" % (i, steps))
            log("migrated: %d clients drained (%d with jobs in flight), released, "
                "took their locks again" % (K, later))
            if MODE == "thread":
                before = jobs_done(c)
                wait_until("jobs after the resume", lambda: jobs_done(c) > before)
                log("jobs run again after the resume")

        if MODE == "thread":
            with s("fork and exec: the children hold no lock"):
                m = c.mark()
                c.send("fork-wait")
                c.send("fork-exec")
                kids = c.wait("two children", lambda: (lambda e: e if len(e) == 2 else None)(
                    c.events(event="child", since=m)))
                waiting = [e for e in kids if "has_lock" in e]
                check(len(waiting) == 1 and waiting[0]["has_lock"] == -ECHILD,
                      "the forked child's view: %r" % kids)
                check(locks_of(pid) == ALL, "locks with the children: %r" % inhibitors())
                m = c.mark()
                check(phase("check")[0], "check")
                mig, msg = phase("pre")
                check(msg.startswith("vasd: migration %s: %d client locks released in "
                                     % (mig, K)), "pre, children alive: %r" % msg)
                check(locks_of(pid) == [], "after pre: %r" % inhibitors())
                for e in kids:
                    os.kill(e["pid"], 0)
                log("pre answered with all %d locks released, a forked child and an "
                    "exec'd one alive: %s" % (K, msg))
                phase("post")
                c.wait("every client's lock after post", lambda: c.each(K, "lock-taken-again", m))
                wait_until("every lock back after post", lambda: locks_of(pid) == ALL)
                for e in kids:
                    os.kill(e["pid"], signal.SIGKILL)

                m = c.mark()
                c.send("fork-storm 4")
                storm = c.wait("the fork storm", lambda: c.events(event="storm", since=m),
                               timeout=WAIT * 2)[0]
                check(storm["failed"] == 0 and storm["forks"] == 4 * T,
                      "fork storm: %r" % storm)
                check(locks_of(pid) == ALL, "after the storm: %r" % inhibitors())
                log("%d forks from %d threads at once: no child saw a lock" % (storm["forks"], T))

        with s("vasd restarted mid-migration"):
            m = c.mark()
            check(phase("check")[0], "check")
            mig, msg = phase("pre")
            check(locks_of(pid) == [], "after pre: %r" % inhibitors())
            check(v.stop() == 0, "vasd did not stop cleanly")
            v.close()
            v = Vasd(d, k.spec, bus=True).start()
            c.wait("every client saw the new vasd", lambda: c.each(K, "vasd-started", m))
            # the restored migration is announced again; no lock until post
            c.wait("the new vasd's prepare", lambda: c.each(K, "prepare-received", m, 2))
            check(locks_of(pid) == [], "locks taken during the migration: %r" % inhibitors())
            check(not c.events(event="lock-taken", since=m) and
                  not c.events(event="lock-taken-again", since=m),
                  "a lock taken during the restored migration")
            phase("post")
            c.wait("every client's lock after post", lambda: c.each(K, "lock-taken-again", m))
            wait_until("every lock back from the new vasd", lambda: locks_of(pid) == ALL)
            log("vasd restarted after pre: no lock until post, then all %d" % K)

        if MODE == "thread":
            with s("every client freed, then one started: a new library thread"):
                m = c.mark()
                for i in range(K):
                    c.send("free %d" % i)
                c.wait("every client freed", lambda: c.each(K, "freed", m))
                wait_until("no lock", lambda: locks_of(pid) == [])
                c.send("start 0")
                c.wait("client 0's new lock", lambda: c.events(0, "lock-taken", m))
                wait_until("client 0's lock listed", lambda: locks_of(pid) == ["lib-0"])
                log("every client freed (the library's thread ends), client 0 started "
                    "again: its lock")

        check(not c.violations(), "violations: %r" % c.violations())
        check(c.stop() == 0, "vasclient-test did not exit 0")
        wait_until("no lock left", lambda: inhibitors() == [])
        log("EOF: every client freed, no lock left, no violation")
        check(v.stop() == 0, "vasd did not stop cleanly")
    finally:
        if c:
            c.kill()
        v.close()
        k.stop()
        bus.stop()
log("ok")
