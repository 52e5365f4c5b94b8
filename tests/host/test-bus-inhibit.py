#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Inhibitor locks: listed with the holder's uid and pid; released when the
fd is closed, when the holder dies, and when the caller is gone before the
reply; at most 16 a client, with org.vasd1.Error.TooManyInhibitors."""

import signal
import subprocess

from vasdtest import TempDir, check, ledger, log
from bustest import (
    BUS_CLIENT, Holder, PrivateBus, busctl_error, inhibitors, ping_vasd, prop,
    start_vasd, wait_inhibitors,
)
from migtest import records


with TempDir() as d:
    bus = PrivateBus(d)
    v = start_vasd(d)
    try:
        err = busctl_error("call", "org.vasd1", "/org/vasd1", "org.vasd1.Manager",
                           "Inhibit", "ssss", "migration", "me", "testing", "Delay")
        check("Unknown inhibitor mode 'Delay': expected 'delay' or 'block'" in err,
              "mode Delay: %s" % err)
        check(inhibitors() == [], "a lock of no mode is held")
        log("an unknown mode is refused, with its name and the two known")

        a = Holder(2, "delay")
        check(a.lines == ["ok", "ok", "held 2"], "Inhibit: %s" % a.lines)
        got = inhibitors()
        check(got == [["migration", "bus-client", "testing", "delay", 0, a.proc.pid]] * 2,
              "ListInhibitors: %r" % got)
        a.close_one()
        wait_inhibitors(1, "after close")
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait(10)
        wait_inhibitors(0, "after the holder's death")
        log("released by close and by death; listed with uid and pid")

        a = Holder(17, "block")
        check(a.lines[:16] == ["ok"] * 16 and
              a.lines[16].startswith("org.vasd1.Error.TooManyInhibitors ") and
              a.lines[17] == "held 16", "17 locks: %s" % a.lines)
        b = Holder(1, "delay")
        check(b.lines == ["ok", "held 1"], "another client: %s" % b.lines)
        wait_inhibitors(17, "16 + 1")
        modes = sorted(i[3] for i in inhibitors())
        check(modes == ["block"] * 16 + ["delay"], "modes: %s" % modes)
        a.quit()
        wait_inhibitors(1, "after the client exited")
        b.quit()
        wait_inhibitors(0, "all released")
        log("16 a client, the 17th refused with TooManyInhibitors; others unaffected")

        for _ in range(5):
            subprocess.run([BUS_CLIENT, "vanish"], check=True)
        # each call was written before its caller exited: vasd handles it
        # before our Ping, and whatever it took goes with the caller
        ping_vasd()
        wait_inhibitors(0, "callers gone before the reply")
        check(prop("State") == "waiting-for-kernel", "vasd stopped serving")
        log("callers gone mid-call: nothing held, vasd serves on")
        check(v.stop() == 0, "vasd did not stop cleanly")
        recs = records(ledger(v.db))
        takes = [r for r in recs if r["kind"] == "inhibitor-take"]
        releases = [r for r in recs if r["kind"] == "inhibitor-release"]
        # a vanished caller's lock is taken only when the bus still knew it
        check(2 + 16 + 1 <= len(takes) <= 2 + 16 + 1 + 5 and
              sorted(r["lock"] for r in takes) == sorted(r["lock"] for r in releases) ==
              list(range(1, len(takes) + 1)), "the ledger: %d takes, %d releases"
              % (len(takes), len(releases)))
        check([r["what"] for r in takes[:19]] == ["delay"] * 2 + ["block"] * 16 + ["delay"] and
              all(r["comm"] == "bus-client" and r["uid"] == 0 for r in takes[:19]),
              "takes: %r" % takes[:3])
        log("the ledger: every lock taken and released, by number, mode and holder")
    finally:
        v.close()
        bus.stop()
log("ok")
