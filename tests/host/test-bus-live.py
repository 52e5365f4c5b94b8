#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The signals as the fake kernel's windows come and go, watched with
busctl monitor: InterfacesAdded with the window as the kernel has it,
PropertiesChanged of a window's State and Reason on a credit change,
InterfacesRemoved on close, the Manager's counts and credits announced as
they change (and what was announced last is what GetAll says), and
PrepareForMigration(true, then false) around a migration, named by the
coordinator, true before the migration suspends any window."""


from vasdtest import FakeKernel, TempDir, Vasd, check, log
from bustest import BusMonitor, PrivateBus, busctl

WINDOW_PROPS = {"Id": "id", "Owner": "tgid", "Pid": "pid", "Comm": "comm",
                "OpenedAt": "opened_at", "Uid": "uid"}
TYPES = {0: "default", 1: "qos"}
STATES = {0: "active", 1: "suspended"}
REASONS = {0: "none", 1: "migration", 2: "credits"}
STREAM = 7


def step(k, v, *lines):
    """Run lines, wait until vasd committed what they did; the truth."""
    k.run(*lines)
    t = k.truth()
    v.wait_seq(t["seq"])
    return t


def as_served(w):
    """A window of the truth as org.vasd1.Window has it."""
    d = {p: w[f] for p, f in WINDOW_PROPS.items()}
    d.update(Cop="gzip", Type=TYPES[w["type"]], State=STATES[w["state"]],
             Reason=REASONS[w["reason"]])
    return d


def subsequence(want, got):
    it = iter(got)
    return all(any(x == y for y in it) for x in want)


with TempDir() as d:
    bus = PrivateBus(d)
    k = FakeKernel(d)
    v = Vasd(d, k.spec, bus=True).start()
    mon = None
    try:
        step(k, v)
        mon = BusMonitor()
        opened = {}
        for typ, comm, uid in (("default", "alpha", 0), ("qos", "beta", 1001),
                               ("default", "gamma", 60000)):
            t = step(k, v, "open %s comm=%s uid=%d" % (typ, comm, uid))
            w = [w for w in t["windows"] if w["comm"] == comm][0]
            check(w["uid"] == uid, "fake kernel: window %s of uid %r" % (comm, w["uid"]))
            opened[w["id"]] = as_served(w)
        t = step(k, v, "credits default 1")
        suspended = [w["id"] for w in t["windows"] if w["state"] == 1]
        step(k, v, "credits default 32")
        step(k, v, "close 2")
        step(k, v, "migrate stream=%d" % STREAM)
        final = {x: y["data"] for x, y in busctl(
            "call", "org.vasd1", "/org/vasd1",
            "org.freedesktop.DBus.Properties", "GetAll", "s",
            "org.vasd1.Manager")["data"][0].items()}
        mon.sync()
        signals = [m for m in mon.stop() if m.get("type") == "signal"]
        mon = None
        added = [(m["payload"]["data"][0], m["payload"]["data"][1])
                 for m in signals if m["member"] == "InterfacesAdded"]
        check([p for p, _ in added] == ["/org/vasd1/window/%d" % i for i in (1, 2, 3)],
              "InterfacesAdded: %s" % [p for p, _ in added])
        for path, ifaces in added:
            i = int(path.rsplit("/", 1)[1])
            got = {x: y["data"] for x, y in ifaces["org.vasd1.Window"].items()}
            check(got == opened[i], "window %d added as %r, the kernel has %r"
                  % (i, got, opened[i]))
        removed = [m["payload"]["data"] for m in signals if m["member"] == "InterfacesRemoved"]
        check(removed == [["/org/vasd1/window/2", [
            "org.freedesktop.DBus.Peer", "org.freedesktop.DBus.Introspectable",
            "org.freedesktop.DBus.Properties", "org.vasd1.Window"]]],
              "InterfacesRemoved: %r" % removed)
        log("InterfacesAdded for windows 1, 2, 3 as the kernel has them; InterfacesRemoved for 2")

        def window_changes(i):
            return [{x: y["data"] for x, y in m["payload"]["data"][1].items()}
                    for m in signals if m["member"] == "PropertiesChanged"
                    and m["path"] == "/org/vasd1/window/%d" % i]
        check(suspended == [3], "credits default 1 suspended %s" % suspended)
        w3 = window_changes(3)
        check(w3 == [{"State": "suspended", "Reason": "credits"},
                     {"State": "active", "Reason": "none"},
                     {"State": "suspended", "Reason": "migration"},
                     {"State": "active", "Reason": "none"}], "window 3: %r" % w3)
        w1 = window_changes(1)
        check(w1 == [{"State": "suspended", "Reason": "migration"},
                     {"State": "active", "Reason": "none"}], "window 1: %r" % w1)
        log("window PropertiesChanged: State and Reason for credits and the migration")

        manager_changes = [{x: y["data"] for x, y in m["payload"]["data"][1].items()}
                           for m in signals if m["member"] == "PropertiesChanged"
                           and m["path"] == "/org/vasd1"]

        def announced(name):
            return [c[name] for c in manager_changes if name in c]
        for name, want in (("Windows", [1, 2, 3, 2]),
                           ("WindowsActive", [1, 2, 3, 2, 3, 2]),
                           ("WindowsSuspended", [1, 0]),
                           ("CreditsDefault", [[32, 1], [32, 2], [1, 1], [32, 2]]),
                           ("CreditsQos", [[16, 1], [16, 0]]),
                           ("MigrationPhase", ["completed"])):
            got = announced(name)
            check(subsequence(want, got), "%s announced %r, expected %r among them"
                  % (name, got, want))
        for name, value in final.items():
            got = announced(name)[-1:]
            check(got in ([], [value]), "%s: last announced %r, GetAll %r"
                  % (name, got, value))
        check({"Seq", "LastPosition", "MigrationStream"} <= {n for c in manager_changes for n in c},
              "announced: %s" % {n for c in manager_changes for n in c})
        log("Manager PropertiesChanged: counts and credits as they changed; the last announced equals GetAll")

        prepare = [(i, m["payload"]["data"]) for i, m in enumerate(signals)
                   if m["member"] == "PrepareForMigration"]
        check([p for _, p in prepare] == [[True, "1"], [False, "1"]],
              "PrepareForMigration: %r" % prepare)
        first_suspend = min(i for i, m in enumerate(signals)
                            if m["member"] == "PropertiesChanged"
                            and m["path"].startswith("/org/vasd1/window/")
                            and m["payload"]["data"][1].get("Reason", {}).get("data") == "migration")
        check(prepare[0][0] < first_suspend, "PrepareForMigration(true) after a window was suspended")
        log("PrepareForMigration(true), then (false), named 1 (the coordinator's first migration); true before any window is suspended")
        check(v.stop() == 0, "vasd did not stop cleanly")
    finally:
        if mon:
            mon.stop()
        v.close()
        k.stop()
        bus.stop()
log("ok")
