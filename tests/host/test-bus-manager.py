#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""org.vasd1.Manager and the window objects through busctl: every
property, ListWindows, ReadEvents paging and its bound, the windows as
objects and through GetManagedObjects, bad input, and PropertiesChanged
as vasd stops."""


from vasdtest import TempDir, check, ledger, log
from bustest import (
    BusMonitor, PrivateBus, busctl, busctl_error, manager, prop, start_vasd
)

N, SUSPENDED = 1200, 400
GENERATION = 0x5d1c0a7e93b2f468


def expected_window(i):
    """What ledger-fill put in window i."""
    return {
        "id": i, "tgid": 1000 + i, "pid": 1000 + i,
        "comm": "bad\\xff" if i == 2 else "job%d" % i,
        "cop": "gzip", "type": "qos" if i % 2 == 0 else "default",
        "state": "suspended" if i <= SUSPENDED else "active",
        "reason": "credits" if i <= SUSPENDED else "none",
        "opened_at": i * 1000000000,
        "uid": 4294967295 if i == 3 else 2000 + i,
    }


with TempDir() as d:
    bus = PrivateBus(d)
    v = start_vasd(d, N, SUSPENDED)
    try:
        db = ledger(v.db)
        last = db.execute("SELECT max(position) FROM events").fetchone()[0]
        active = [i for i in range(SUSPENDED + 1, N + 1)]
        want = {
            "State": "waiting-for-kernel",
            "KernelAttached": False,
            "KernelSource": "",
            "ObservedMissed": 0,
            "Generation": GENERATION,
            "Seq": N,
            "FirstPosition": 1,
            "LastPosition": last,
            "Windows": N,
            "WindowsActive": N - SUSPENDED,
            "WindowsSuspended": SUSPENDED,
            "CreditsDefault": [1000, len([i for i in active if i % 2])],
            "CreditsQos": [1000, len([i for i in active if i % 2 == 0])],
            "MigrationPhase": "none",
            "MigrationStream": 0,
            "MigrationName": "",
            "MigrationState": "idle",
            "MigrationAnomalies": 0,
            "InhibitDelayMaxUSec": 4000000,
        }
        for name, value in want.items():
            got = prop(name)
            check(got == value, "%s: %r, expected %r" % (name, got, value))
        got = busctl(
            "call", "org.vasd1", "/org/vasd1", "org.freedesktop.DBus.Properties",
            "GetAll", "s", "org.vasd1.Manager")["data"][0]
        check({k: x["data"] for k, x in got.items()} == want,
              "GetAll: %r" % got)
        log("Manager: %d properties, by Get and GetAll" % len(want))

        windows = manager("ListWindows")["data"][0]
        check(len(windows) == N, "ListWindows: %d windows" % len(windows))
        for i, w in enumerate(windows, 1):
            e = expected_window(i)
            check(w == [e["id"], e["tgid"], e["pid"], e["comm"], e["cop"],
                        e["type"], e["state"], e["reason"], e["opened_at"],
                        "/org/vasd1/window/%d" % i],
                  "ListWindows[%d]: %r" % (i, w))
        log("ListWindows: %d windows in id order, comm escaped" % N)

        for i in (1, 2, 3, N):
            e = expected_window(i)
            got = busctl("call", "org.vasd1", "/org/vasd1/window/%d" % i,
                         "org.freedesktop.DBus.Properties", "GetAll", "s",
                         "org.vasd1.Window")["data"][0]
            got = {k: x["data"] for k, x in got.items()}
            check(got == {"Id": e["id"], "Owner": e["tgid"], "Pid": e["pid"],
                          "Comm": e["comm"], "Cop": e["cop"], "Type": e["type"],
                          "State": e["state"], "Reason": e["reason"],
                          "OpenedAt": e["opened_at"], "Uid": e["uid"]},
                  "window %d: %r" % (i, got))
        objects = busctl("call", "org.vasd1", "/org/vasd1",
                         "org.freedesktop.DBus.ObjectManager",
                         "GetManagedObjects")["data"][0]
        check(sorted(objects) == sorted("/org/vasd1/window/%d" % i
                                        for i in range(1, N + 1)),
              "GetManagedObjects: %d objects" % len(objects))
        w7 = objects["/org/vasd1/window/7"]["org.vasd1.Window"]
        check(w7["Comm"]["data"] == "job7" and w7["State"]["data"] == "suspended",
              "GetManagedObjects window 7: %r" % w7)
        for path in ("/org/vasd1/window/%d" % (N + 1), "/org/vasd1/window/007",
                     "/org/vasd1/window/0"):
            err = busctl_error("get-property", "org.vasd1", path,
                               "org.vasd1.Window", "Id")
            check("Unknown object" in err, "%s: %s" % (path, err))
        log("windows: objects, GetManagedObjects, unknown windows refused")

        positions = [r[0] for r in db.execute(
            "SELECT position FROM events ORDER BY position")]
        got, frm, pages = [], 0, 0
        while True:
            events, nxt = manager("ReadEvents", "xu", str(frm), "97")["data"]
            check(len(events) <= 97, "page of %d" % len(events))
            if not events:
                check(nxt == frm, "empty page moves next to %d" % nxt)
                break
            got += events
            pages += 1
            check(nxt == events[-1][0] + 1, "next %d after %d" % (nxt, events[-1][0]))
            frm = nxt
        check([e[0] for e in got] == positions, "ReadEvents positions differ")
        kinds = {e[1] for e in got}
        check({"daemon-start", "resync-begin", "resync-window-add",
               "resync-caps", "resync-end"} <= kinds, "kinds: %s" % kinds)
        adds = [e for e in got if e[1] == "resync-window-add"]
        check(len(adds) == N, "%d window adds" % len(adds))
        w = {k: x["data"] for k, x in adds[1][4]["window"]["data"].items()}
        check(w == expected_window(2), "event window: %r" % w)
        end = [e for e in got if e[1] == "resync-end"][0][4]
        check(end["generation"]["data"] == GENERATION and end["seq"]["data"] == N,
              "resync-end: %r" % end)
        begin = [e for e in got if e[1] == "resync-begin"][0][4]
        check(begin["reason"]["data"] == "start", "resync-begin: %r" % begin)
        log("ReadEvents: %d events in %d pages of 97, as the ledger holds them"
            % (len(got), pages))

        for asked in ("0", "5000"):
            events, nxt = manager("ReadEvents", "xu", "0", asked)["data"]
            check(len(events) == 1000, "max %s: %d events" % (asked, len(events)))
        events, nxt = manager("ReadEvents", "xu", str(last + 10), "10")["data"]
        check(events == [] and nxt == last + 10, "past the end: %r %r" % (events, nxt))
        err = busctl_error("call", "org.vasd1", "/org/vasd1", "org.vasd1.Manager",
                           "ReadEvents", "xu", "-1", "10")
        check("position" in err, "from -1: %s" % err)
        err = busctl_error("call", "org.vasd1", "/org/vasd1", "org.vasd1.Manager",
                           "ReadEvents", "su", "zero", "10")
        check("signature" in err.lower() or "invalid" in err.lower(),
              "wrong types: %s" % err)
        err = busctl_error("call", "org.vasd1", "/org/vasd1", "org.vasd1.Manager",
                           "Inhibit", "ssss", "sleep", "me", "why", "delay")
        check("migration" in err, "what=sleep: %s" % err)
        err = busctl_error("call", "org.vasd1", "/org/vasd1", "org.vasd1.Manager",
                           "Inhibit", "ssss", "migration", "me", "why", "later")
        check("delay" in err, "mode=later: %s" % err)
        check(prop("State") == "waiting-for-kernel", "vasd stopped serving")
        log("bad input: pages clamped to 1000, bad positions, types and modes refused")

        mon = BusMonitor()
        check(v.stop() == 0, "vasd did not stop cleanly")
        stop_pos = ledger(v.db).execute("SELECT max(position) FROM events").fetchone()[0]

        def manager_changes(messages):
            return [{k: x["data"] for k, x in m["payload"]["data"][1].items()}
                    for m in messages if m.get("member") == "PropertiesChanged"
                    and m.get("path") == "/org/vasd1"]
        # vasd is gone, no Ping to sync on: read until both came, or 30 s
        mon.until(lambda ms: {"State": "stopping"} in manager_changes(ms) and
                  {"LastPosition": stop_pos} in manager_changes(ms))
        changed = manager_changes(mon.stop())
        check({"State": "stopping"} in changed, "no State=stopping: %r" % changed)
        check({"LastPosition": stop_pos} in changed,
              "no LastPosition=%d: %r" % (stop_pos, changed))
        log("PropertiesChanged: State stopping, LastPosition of daemon-stop")
    finally:
        v.close()
        bus.stop()
log("ok")
