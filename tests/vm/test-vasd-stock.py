#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""vasd on a stock-like kernel: vas_sim.ko loaded with family=N has the
device and the real sysfs credits and no "vas" family. vasd (--kernel=auto,
the default) observes: windows opened and closed by clients of several
users appear in the ledger, with the owner's tgid and comm, although the
interval between pictures is an hour, longer than any wait here: only the
notifications of the device node can drive those pictures. A client that opens and closes windows faster than
pictures are taken has each of them either seen (added and deleted) or
counted as missed. A restart adopts the ledger's windows (nothing
recorded); DLPAR credit changes appear at a picture of the interval, which
rides on the watchdog's pings when there is one. drmgr's check and pre
name the processes holding windows but no lock. When the family is
registered, vasd switches to it with a resync and follows the kernel's
numbered events; when it goes, back to observing.

How soon is bench/observe's to measure (`meson test --benchmark
observe`): here every wait is for its condition, with HANG_S as the guard
against a hang, not as a bound of speed; the times are logged only.
"""

import ctypes
import json
import os
import re
import signal
import subprocess
import time

from vasdtest import TempDir, Vasd, VASCTL, check, ledger, log, wait_until
from bustest import PrivateBus, prop
from migtest import phase, wait_prop
from vmmig import NX_GZIP_DEV, window_open, sim_load, sim_set, sim_unload

# what a wait gives up after: a hang, not a slow vasd (bench/observe times them)
HANG_S = 60
FAMILY = "/sys/module/vas_sim/parameters/family"
QOS_UPDATE = "/sys/devices/virtual/misc/vas/vas0/gzip/qos_capabilities/update_total_credits"
RAPID = 5


class Client:
    """A process of user uid holding n windows until stopped; its comm
    is name, as the kernel shows it."""

    def __init__(self, uid, name, n):
        r, w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            os.close(r)
            try:
                libc = ctypes.CDLL(None)
                libc.prctl(15, name.encode(), 0, 0, 0)  # PR_SET_NAME
                os.setgid(uid)
                os.setuid(uid)
                fds = [window_open() for _ in range(n)]
                os.write(w, (" ".join(map(str, fds)) + "\n").encode())
                while True:
                    signal.pause()  # until stop() kills it
            finally:
                os._exit(0)
        os.close(w)
        self.name = name
        self.uid = uid
        got = os.read(r, 256).decode().split()
        os.close(r)
        check(len(got) == n and all(int(fd) >= 0 for fd in got),
              "%s (uid %d): windows %r" % (name, uid, got))
        self.opened = time.monotonic()

    def stop(self):
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        self.closed = time.monotonic()


def windows(db):
    """The ledger's windows, with their owner's uid (observed from /proc,
    or sent by the family)."""
    return sorted((r["tgid"], r["pid"], r["comm"], r["uid"]) for r in
                  db.execute("SELECT tgid, pid, comm, uid FROM windows"))


def want(clients):
    return sorted((c.pid, c.pid, c.name, c.uid) for c, n in clients for _ in range(n))


def appear(db, clients, since, what):
    """Waits until the ledger's windows are the clients'."""
    got = wait_until(what, lambda: windows(db) == want(clients) or None,
                     timeout=HANG_S)
    log("%s: in the ledger after %.0f ms" % (what, (time.monotonic() - since) * 1000))
    return got


def reasons(db):
    return [r[0] for r in db.execute(
        "SELECT reason FROM events WHERE kind = 'resync-begin' ORDER BY position")]


def caps_total(db, type_):
    row = db.execute("SELECT caps_total FROM events WHERE kind IN ('resync-caps', 'caps-change') "
                     "AND caps_type = ? ORDER BY position DESC LIMIT 1", (type_,)).fetchone()
    return row[0] if row else None


def missed(v):
    m = re.findall(r"\(missed; (\d+) in all\)", open(v.log_path).read())
    return int(m[-1]) if m else 0


def family(value):
    with open(FAMILY, "w") as f:
        f.write(value)


with TempDir() as d:
    sim_load("family=N", "default_credits=8", "qos_credits=4")
    os.chmod(NX_GZIP_DEV, 0o666)    # as a udev rule would, for the users
    bus = PrivateBus(d)
    # an interval no wait reaches: a window seen came through a notification
    v = Vasd(d, "auto", bus=True, extra=["--observe-interval=3600000"]).start(timeout=60)
    db = ledger(v.db)
    clients = []
    try:
        wait_prop("KernelSource", "observe")
        check(reasons(db) == ["observed"], "resyncs: %r" % reasons(db))
        st = subprocess.run([VASCTL, "status"], capture_output=True, text=True).stdout
        check("observed (no vas family" in st and "cannot see suspensions" in st,
              "vasctl status:\n%s" % st)

        # several users, one and two windows a process
        uids = []
        for uid, name, n in ((1001, "nx-alice", 2), (1002, "nx-bob", 1), (0, "nx-root", 1)):
            c = Client(uid, name, n)
            clients.append((c, n))
            uids.append((c, uid))
            appear(db, clients, c.opened, "%s's %d window(s)" % (name, n))
        bob = clients.pop(1)[0]
        bob.stop()
        appear(db, clients, bob.closed, "nx-bob's close")

        # faster than pictures: each window seen, or counted as missed
        pid = os.fork()
        if pid == 0:
            ctypes.CDLL(None).prctl(15, b"nx-rapid", 0, 0, 0)
            for _ in range(RAPID):
                os.close(window_open())
            os._exit(0)
        os.waitpid(pid, 0)
        rapid = time.monotonic()
        wait_until("the rapid windows accounted for", lambda: (
            db.execute("SELECT count(*) FROM events WHERE kind = 'resync-window-add' "
                       "AND window_comm = 'nx-rapid'").fetchone()[0] + missed(v) == RAPID),
                   timeout=HANG_S)
        seen = db.execute("SELECT count(*) FROM events WHERE kind = 'resync-window-add' "
                          "AND window_comm = 'nx-rapid'").fetchone()[0]
        appear(db, clients, rapid, "the rapid client's windows accounted for")
        check(prop("ObservedMissed") == missed(v), "ObservedMissed %r, log %d"
              % (prop("ObservedMissed"), missed(v)))
        log("%d windows opened and closed at once: %d seen, %d missed" % (RAPID, seen, missed(v)))

        # drmgr's hooks name who holds windows but no lock: reported, not vetoed
        line = "uncoordinated: " + ", ".join(
            "%d %s (%d window%s)" % (c.pid, c.name, n, "" if n == 1 else "s")
            for c, n in sorted(clients, key=lambda cn: cn[0].pid))
        for name in ("check", "pre"):
            _, msg = phase(name)
            check(line in msg, "%s said %r, not %r" % (name, msg, line))
        _, msg = phase("post")
        check("uncoordinated" not in msg, "post said %r" % msg)
        log("check and pre: %s" % line)
        # and the migration's report names them, phase by phase, with their users
        out = subprocess.run([VASCTL, "migration", "status", "--json", "-d", v.db], capture_output=True,
                             text=True, check=True).stdout
        got = sorted((u["phase"], u["pid"], u["uid"], u["comm"], u["windows"])
                     for u in json.loads(out)["uncoordinated"])
        owners = {c.pid: uid for c, uid in uids}
        want_u = sorted((p, c.pid, owners[c.pid], c.name, n) for p in ("check", "pre")
                        for c, n in clients)
        check(got == want_u, "the report's uncoordinated: %r, not %r" % (got, want_u))
        human = subprocess.run([VASCTL, "migration", "status", "-d", v.db], capture_output=True,
                               text=True, check=True).stdout
        check("Uncoordinated (holding windows but no lock" in human, "vasctl migration status:\n%s"
              % human)

        # a restart adopts the ledger's windows: nothing recorded
        check(v.stop() == 0, "vasd did not stop cleanly")
        last = db.execute("SELECT max(position) FROM events").fetchone()[0]
        # under a watchdog (a ping every 0.5 s) the interval rides on its
        # pings: observe's own timer no longer runs it
        os.environ["WATCHDOG_USEC"] = "1000000"
        v = Vasd(d, "auto", bus=True, extra=["--observe-interval=1000"]).start(timeout=60)
        del os.environ["WATCHDOG_USEC"]
        check("at the watchdog's pings" in open(v.log_path).read(),
              "the interval does not ride on the watchdog")
        # READY follows the first picture's commit
        wait_prop("KernelSource", "observe")
        kinds = [r[0] for r in db.execute(
            "SELECT kind FROM events WHERE position > ? ORDER BY position", (last,))]
        check(not [k for k in kinds if k.startswith("resync")],
              "the restart recorded %r" % kinds)

        # DLPAR: sysfs changes without a notification; the interval sees it
        t0 = time.monotonic()
        sim_set("credits_default", 6)
        with open(QOS_UPDATE, "w") as f:
            f.write("3")
        wait_until("the new credits", lambda: caps_total(db, 0) == 6 and caps_total(db, 1) == 3,
                   timeout=HANG_S)
        log("DLPAR credits in the ledger after %.0f ms (interval 1 s at pings 0.5 s apart)"
            % ((time.monotonic() - t0) * 1000))

        # the family registered later: netlink, with a resync
        t0 = time.monotonic()
        family("Y")
        wait_prop("KernelSource", "netlink", timeout=HANG_S)
        wait_until("the resync on the family", lambda: reasons(db)[-1] == "start", timeout=HANG_S)
        appear(db, clients, t0, "the family's windows")
        carol = Client(1003, "nx-carol", 1)
        clients.append((carol, 1))
        appear(db, clients, carol.opened, "nx-carol's window, from the family")
        row = db.execute("SELECT seq, window_tgid, window_uid FROM events "
                         "WHERE kind = 'window-add' ORDER BY position DESC LIMIT 1").fetchone()
        check(row is not None and row[0] > 0 and row[1] == carol.pid and row[2] == 1003,
              "window-add from the family: %r" % ((tuple(row) if row else None),))

        # and back when it goes
        family("N")
        wait_prop("KernelSource", "observe", timeout=HANG_S)
        wait_until("the observed resync", lambda: reasons(db)[-1] == "observed", timeout=HANG_S)
        clients.pop()[0].stop()
        appear(db, clients, carol.closed, "nx-carol's close, observed again")
        log("family: picked up when registered, left when unregistered")
    finally:
        for c, _ in clients:
            try:
                c.stop()
            except ChildProcessError:
                pass
        v.close()
        bus.stop()
    sim_unload()
log("ok")
