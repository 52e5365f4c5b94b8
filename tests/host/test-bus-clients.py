#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Misbehaving clients: every method called with arguments of the wrong
type, too few and too many, is refused with InvalidArgs (a read-only
property's Set with PropertyReadOnly) and changes nothing; clients that disconnect in the middle of every kind of call, 50
of them at once, while another client calls on: it gets every answer,
vasd holds nothing for the vanished and serves on."""

import subprocess
import time

from vasdtest import Scenarios, TempDir, check, ledger, log, vasctl
from bustest import BUS_CLIENT, PrivateBus, busctl, manager, prop, start_vasd

WINDOWS = 2000
MANAGER = ("org.vasd1", "/org/vasd1", "org.vasd1.Manager")
PROPS = "org.freedesktop.DBus.Properties"

# (path, interface, member, [args, ...]): calls, in dbus-send's notation,
# that do not match the member's signature. dbus-send, not busctl: it
# prints the error's name.
WRONG = [
    ("/org/vasd1", "org.vasd1.Manager", "ListWindows",
     [["uint32:1"], ["string:all"]]),
    ("/org/vasd1", "org.vasd1.Manager", "ReadEvents",
     [["string:zero", "uint32:10"], ["int64:0"], ["int64:0", "uint32:10", "string:x"],
      ["uint32:0", "int64:10"], []]),
    ("/org/vasd1", "org.vasd1.Manager", "Inhibit",
     [["string:migration", "string:me", "string:why"],
      ["string:migration", "string:me", "string:why", "string:delay", "string:x"],
      ["int32:1", "int32:2", "int32:3", "int32:4"],
      ["string:migration", "string:me", "string:why", "boolean:true"]]),
    ("/org/vasd1", "org.vasd1.Manager", "ListInhibitors",
     [["boolean:true"]]),
    ("/org/vasd1", "org.vasd1.Manager", "CompactLedger",
     [["string:all"], ["uint64:5"], ["int64:5", "int64:6"], []]),
    ("/org/vasd1", PROPS, "Get",
     [["string:org.vasd1.Manager"], ["string:org.vasd1.Manager", "uint32:1"]]),
    ("/org/vasd1", PROPS, "GetAll",
     [["uint32:1"]]),
    ("/org/vasd1", "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
     [["string:x"]]),
    ("/org/vasd1/window/1", PROPS, "GetAll",
     [["uint32:1"]]),
    ("/org/vasd1/window/1", PROPS, "Get",
     [["string:org.vasd1.Window", "int32:1"]]),
    ("/org/freedesktop/LogControl1", PROPS, "Set",
     [["string:org.freedesktop.LogControl1", "string:LogLevel", "variant:uint32:7"],
      ["string:org.freedesktop.LogControl1", "string:LogLevel"]]),
    ("/org/vasd1", "org.freedesktop.DBus.Introspectable", "Introspect",
     [["string:x"]]),
]

# sd-bus answers these itself: Set of a read-only property is refused as
# such, whatever the value; the arguments after those it reads it ignores
# (Peer's, GetAll's), which harms nothing.
READ_ONLY = [
    ("/org/vasd1", PROPS, "Set", ["string:org.vasd1.Manager", "string:Windows"]),
    ("/org/vasd1", PROPS, "Set", ["string:org.vasd1.Manager", "string:Windows",
                                  "variant:string:many"]),
    ("/org/vasd1/window/1", PROPS, "Set", ["string:org.vasd1.Window", "string:State",
                                           "variant:uint32:1"]),
]
IGNORED = [
    ("/org/vasd1", PROPS, "GetAll", ["string:org.vasd1.Manager", "string:Windows"]),
    ("/org/vasd1", "org.freedesktop.DBus.Peer", "Ping", ["uint32:1"]),
    ("/org/vasd1", "org.freedesktop.DBus.Peer", "GetMachineId", ["string:x"]),
]


def dbus_send(path, iface, member, args):
    return subprocess.run(["dbus-send", "--system", "--print-reply",
                           "--dest=org.vasd1", path, "%s.%s" % (iface, member),
                           *args], capture_output=True, text=True, timeout=30)


def refused(path, iface, member, args, error):
    p = dbus_send(path, iface, member, args)
    what = "%s.%s(%s)" % (iface, member, " ".join(args))
    check(p.returncode != 0, "%s succeeded: %s" % (what, p.stdout))
    check(p.stderr.startswith("Error org.freedesktop.DBus.Error.%s:" % error),
          "%s: %s" % (what, p.stderr.strip()))


def wrong_calls():
    """Each call a scenario of its own, named by the call."""
    n = 0
    with Scenarios() as scenario:
        for path, iface, member, variants in WRONG:
            for args in variants:
                with scenario("%s.%s %s" % (iface, member, " ".join(args))):
                    refused(path, iface, member, args, "InvalidArgs")
                n += 1
        for path, iface, member, args in READ_ONLY:
            with scenario("%s.%s %s" % (iface, member, " ".join(args))):
                refused(path, iface, member, args, "PropertyReadOnly")
            n += 1
        for path, iface, member, args in IGNORED:
            with scenario("%s.%s %s" % (iface, member, " ".join(args))):
                p = dbus_send(path, iface, member, args)
                check(p.returncode == 0, "%s.%s: %s" % (iface, member, p.stderr))
            n += 1
    return n


with TempDir() as d:
    bus = PrivateBus(d)
    v = start_vasd(d, WINDOWS, 100)
    try:
        db = ledger(v.db)
        last = db.execute("SELECT max(position) FROM events").fetchone()[0]
        n = wrong_calls()
        check(prop("Windows") == WINDOWS and prop("FirstPosition") == 1,
              "something changed")
        check(prop("LastPosition") == last, "the ledger changed")
        check(busctl("get-property", "org.vasd1", "/org/freedesktop/LogControl1",
                     "org.freedesktop.LogControl1", "LogLevel")["data"] == "info",
              "LogLevel changed")
        check(manager("ListInhibitors")["data"][0] == [], "an inhibitor was taken")
        log("%d calls with wrong arguments: refused (but the extra ones sd-bus ignores), nothing changed" % n)

        steady = subprocess.Popen([BUS_CLIENT, "calls", "40"], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        vanishers = [subprocess.Popen([BUS_CLIENT, "vanish"]) for _ in range(50)]
        for p in vanishers:
            check(p.wait(60) == 0, "bus-client vanish failed")
        out, _ = steady.communicate(timeout=120)
        check(steady.returncode == 0 and out.strip() == "ok 40",
              "the other client: %r" % out)
        deadline = time.monotonic() + 10
        while manager("ListInhibitors")["data"][0]:
            check(time.monotonic() < deadline, "inhibitors of vanished clients held")
            time.sleep(0.05)
        check(prop("Windows") == WINDOWS, "vasd stopped serving")
        check(subprocess.run([BUS_CLIENT, "calls", "1"], capture_output=True,
                             text=True).stdout.strip() == "ok 1", "a new client")
        check(v.proc.poll() is None, "vasd died")
        log("50 clients gone in the middle of every kind of call: the other got its 160 answers, nothing held")
        check(v.stop() == 0, "vasd did not stop cleanly")
        p = vasctl("ledger", "verify", "--database", v.db, check_rc=0)
    finally:
        v.close()
        bus.stop()
log("ok")
