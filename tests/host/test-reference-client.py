#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The reference client (examples/vas-client.c) against vasd fed by the fake
kernel, on a private bus. N clients in one process and one in a process of
its own take delay locks; on the fake kernel's migration each logs
prepare-received, drained, lock-released, resume-received, lock-taken-again
in that order, and ListInhibitors shows their locks gone during the
migration and back after it. A never-release client keeps its lock; a
die-while-preparing client dies and its lock goes with it; a block client's
lock is listed as block throughout. A client that comes after drmgr's
pre reads vasd's MigrationState and quiesces as if told. vasd restarted: every client takes a
new lock from the new vasd and follows its next migration. SIGTERM: clean
exits, no lock left.

Timing: the hypervisor's pause of the fake kernel's migration keeps the
migration on for PAUSE_MS, which must exceed the time the clients take to
drain WORK_MS and give their locks back; every wait is bounded generously."""

import os
import select
import signal
import subprocess
import time

from vasdtest import FakeKernel, TempDir, Vasd, WRAPPER, check, log, wait_until
from bustest import PrivateBus, manager
from migtest import Phase, phase, read_client_log

VAS_CLIENT = os.environ.get("VAS_CLIENT", "")
N = 4
WORK_MS = 100
PAUSE_MS = 6000
WAIT = 60

NORMAL_CYCLE = ["prepare-received", "drained", "lock-released",
                "resume-received", "lock-taken-again"]
CYCLE_STEPS = set(NORMAL_CYCLE) | {"dying"}


class Clients:
    """One vas-client process; its steps are read from the shared log."""

    def __init__(self, d, log_path, who, *extra, clients=1, ready_fd=True):
        self.log_path = log_path
        self.names = [who] if clients == 1 else \
            ["%s-%d" % (who, i) for i in range(1, clients + 1)]
        self.err = open(os.path.join(d, "client-%s.err" % who), "w")
        args = [*WRAPPER, VAS_CLIENT, "--who", who, "--no-window",
                "--work-ms", str(WORK_MS), "--log", log_path,
                "--clients", str(clients), *extra]
        if ready_fd:
            r, w = os.pipe()
            self.proc = subprocess.Popen(args + ["--ready-fd", str(w)],
                                         pass_fds=[w], stdout=subprocess.DEVNULL,
                                         stderr=self.err)
            os.close(w)
            self.ready = os.fdopen(r)
        else:
            self.proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                         stderr=self.err, text=True)
            self.ready = self.proc.stdout

    def wait_ready(self):
        ready, _, _ = select.select([self.ready], [], [], WAIT)
        check(ready, "%s: not ready within %ds" % (self.names[0], WAIT))
        line = self.ready.readline()
        check(line == "ready\n", "%s: %r instead of ready (exit %s)"
              % (self.names[0], line, self.proc.poll()))
        self.ready.close()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(WAIT)
        self.err.close()
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(WAIT)


def read_log(path):
    return read_client_log(path, "who")


def inhibitors():
    """vasd's locks as (who, mode, pid), sorted."""
    got = manager("ListInhibitors")["data"][0]
    check(all(i[0] == "migration" and i[4] == 0 for i in got),
          "ListInhibitors: %r" % got)
    return sorted((i[1], i[3], i[5]) for i in got)


def locks(*procs, block=()):
    return sorted((n, "block" if p in block else "delay", p.proc.pid)
                  for p in procs for n in p.names)


def steps_of(log, who, kinds):
    return [s for s in log.get(who, []) if s["step"] in kinds]


def wait_log(path, what, pred):
    """The log, once pred(log) holds."""
    def logged():
        got = read_log(path)
        return got if pred(got) else None
    return wait_until(what, logged)


with TempDir() as d:
    bus = PrivateBus(d)
    k = FakeKernel(d)
    v = Vasd(d, k.spec, bus=True).start()
    log_path = os.path.join(d, "clients.log")
    everyone = []
    try:
        many = Clients(d, log_path, "many", clients=N)
        one = Clients(d, log_path, "one", ready_fd=False)
        never = Clients(d, log_path, "never", "--variant", "never-release")
        dies = Clients(d, log_path, "dies", "--variant", "die-while-preparing")
        block = Clients(d, log_path, "block", "--mode", "block")
        everyone = [many, one, never, dies, block]
        for c in everyone:
            c.wait_ready()
        normal = [*many.names, *one.names]
        check(inhibitors() == locks(*everyone, block=[block]),
              "before: %r" % inhibitors())
        log("%d clients ready, their locks listed (%d delay, 1 block)"
            % (N + 4, N + 3))

        # The first migration: the locks seen while it is on.
        k.run("migrate stream=7 pause-ms=%d" % PAUSE_MS)
        during = locks(never, block, block=[block])
        wait_until("the normal clients' locks released and the dying one's gone",
                   lambda: inhibitors() == during)
        seen = time.time_ns()
        check(dies.proc.wait(WAIT) == -signal.SIGKILL,
              "die-while-preparing exited with %s" % dies.proc.returncode)
        l = read_log(log_path)
        late = [w for w in normal if steps_of(l, w, {"resume-received"})]
        check(not late, "%s heard the migration's end before the listing: "
              "PAUSE_MS too short for this machine" % late)
        log("during the migration: only never-release's delay lock and the block lock")

        after = locks(many, one, never, block, block=[block])
        wait_until("every lock back", lambda: inhibitors() == after)
        # never-release and block hear the resume as the others do, each in
        # its own time (under valgrind, well after them): wait for theirs too
        l = wait_log(log_path, "every client's cycle logged",
                     lambda l: all(steps_of(l, w, {"lock-taken-again"}) for w in normal) and
                     all(steps_of(l, w, {"resume-received"})
                         for w in (never.names[0], block.names[0])))
        for w in normal:
            got = steps_of(l, w, CYCLE_STEPS)
            check([s["step"] for s in got] == NORMAL_CYCLE,
                  "%s: %s" % (w, [s["step"] for s in got]))
            # the name is vasd's to choose; both signals carry the same
            check(got[0]["migration"] and got[0]["migration"] == got[3]["migration"],
                  "%s: migrations %r, %r" % (w, got[0]["migration"], got[3]["migration"]))
            check(got[2]["time"] < seen < got[3]["time"],
                  "%s: the listing was not taken between its release and the resume" % w)
            # the log's clock is CLOCK_REALTIME, the drain timer's
            # CLOCK_MONOTONIC: allow the realtime clock's slew, 5 ms
            check(got[2]["time"] - got[0]["time"] >= (WORK_MS - 5) * 10**6,
                  "%s released before its work drained" % w)
        for w, want in ((never.names[0], ["prepare-received", "drained", "resume-received"]),
                        (block.names[0], ["prepare-received", "drained", "resume-received"]),
                        (dies.names[0], ["prepare-received", "drained", "dying"])):
            got = [s["step"] for s in steps_of(l, w, CYCLE_STEPS)]
            check(got == want, "%s: %s" % (w, got))
        log("each normal client: %s" % ", ".join(NORMAL_CYCLE))
        log("never-release kept its lock, die-while-preparing died with it, "
            "block kept its block lock")

        # vasd restarts: the locks died with it; the clients take new ones.
        everyone.remove(dies)
        check(v.stop() == 0, "vasd did not stop cleanly")
        v.close()
        v = Vasd(d, k.spec, bus=True).start()
        wait_until("every client's new lock", lambda: inhibitors() == after)
        restart = ["vasd-gone", "lock-lost", "vasd-started", "lock-taken"]

        def restarted(w, l):
            return [s["step"] for s in l.get(w, []) if s["step"] in restart]
        # vasd lists a lock before its holder reads the reply and logs it
        restarted_ones = [*normal, never.names[0], block.names[0]]
        wait_log(log_path, "every client's restart logged",
                 lambda l: all(restarted(w, l)[-2:] == restart[2:] for w in restarted_ones))
        l = read_log(log_path)
        for w in restarted_ones:
            got = restarted(w, l)
            check(got[-4:] == restart, "%s after the restart: %s" % (w, got))
        log("vasd restarted: every client took a new lock from the new vasd")

        k.run("migrate stream=8 pause-ms=%d" % PAUSE_MS)
        wait_until("the normal locks released in the second migration",
                   lambda: inhibitors() == locks(never, block, block=[block]))
        wait_until("every lock back after the second migration",
                   lambda: inhibitors() == after)
        l = wait_log(log_path, "every normal client's second cycle logged",
                     lambda l: all(len(steps_of(l, w, {"lock-taken-again"})) == 2
                                   for w in normal))
        for w in normal:
            got = steps_of(l, w, CYCLE_STEPS)
            check([s["step"] for s in got] == NORMAL_CYCLE * 2,
                  "%s: %s" % (w, [s["step"] for s in got]))
        log("the new vasd's migration followed the same way")

        # drmgr's pre ran before this client came: vasd's MigrationState
        # tells it, as PrepareForMigration would have.
        pre = Phase("pre")
        pre.result(WAIT)
        late = Clients(d, log_path, "late")
        everyone.append(late)
        late.wait_ready()
        l = wait_log(log_path, "the late client joining the migration",
                     lambda l: steps_of(l, "late", {"lock-released"}))
        got = steps_of(l, "late", {"migration-in-progress", "drained", "lock-released"})
        check([s["step"] for s in got] == ["migration-in-progress", "drained", "lock-released"]
              and got[0]["phase"] == "quiesced", "late client: %r" % got)
        phase("post")
        l = wait_log(log_path, "the late client's new lock",
                     lambda l: steps_of(l, "late", {"lock-taken-again"}))
        wait_until("every lock back after post",
                   lambda: inhibitors() == locks(many, one, never, late, block, block=[block]))
        log("a client started after pre read MigrationState 'quiesced', drained and "
            "gave its lock back; post gave it a new one")

        for c in everyone:
            check(c.stop() == 0, "%s did not exit cleanly" % c.names[0])
        l = read_log(log_path)
        for c in everyone:
            for w in c.names:
                check(l[w][-1]["step"] == "exit" and l[w][-1]["status"] == 0,
                      "%s ended with %r" % (w, l[w][-1]))
        wait_until("no lock left", lambda: inhibitors() == [])
        log("SIGTERM: every client exited 0, no lock left")
        check(v.stop() == 0, "vasd did not stop cleanly")
    finally:
        for c in everyone:
            c.kill()
        v.close()
        k.stop()
        bus.stop()
log("ok")
