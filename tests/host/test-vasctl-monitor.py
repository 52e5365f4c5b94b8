#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""vasctl monitor against vasd fed by the fake kernel: a window added,
suspended and removed, the Manager's changes, PrepareForMigration around a
migration, the log level, vasd leaving
and coming back; human lines as root and --json as nobody (the policy lets
anyone watch). monitor --kernel still runs: without the kernel's family it
says so with exit status 3."""

import json
import re
import time

from vasdtest import TempDir, Vasd, check, log
from bustest import unprivileged
from vasctltest import (
    Lines, last_position, ok, one_line_error, run, settle, start,
    truth_window
)

LINE = re.compile(r"VASD\[(\d+)\.(\d{6})\] (\S+)(.*)")


def wait_ready(*monitors):
    """A monitor prints nothing until something happens: set the log level
    until each has printed it, so that its matches are surely in place."""
    for m in monitors:
        deadline = time.monotonic() + 15
        while True:
            check(time.monotonic() < deadline, "monitor never saw the log level")
            ok("log-level", "info")
            line = m.line(0.3)
            if line is not None:
                check("log-level" in line, "first line: %r" % line)
                break
    for m in monitors:
        while m.line(0.3) is not None:
            pass


def fields(line):
    """The event and KEY=VALUE fields of a human line."""
    r = LINE.fullmatch(line)
    check(r, "not a monitor line: %r" % line)
    return r.group(3), dict(f.split("=", 1) for f in r.group(4).split())


def until_event(m, event, json_lines):
    if json_lines:
        return json.loads(m.until(lambda l: json.loads(l)["event"] == event, event)[-1])
    return fields(m.until(lambda l: fields(l)[0] == event, event)[-1])[1]


with TempDir() as d:
    p = run("monitor", "--kernel")
    one_line_error(p, 3, "no 'vas' netlink family", "monitor --kernel without the family")
    log("monitor --kernel: no family here, exit status 3")

    bus, k, v = start(d)
    try:
        h = Lines("monitor")
        j = Lines("monitor", "--json", user=unprivileged())
        wait_ready(h, j)
        log("monitors ready (root, human; nobody, --json)")

        k.run("open default comm=nxwatch tgid=4242 pid=4243")
        t = settle(k, v)
        w = truth_window(t["windows"][0])
        del w["object_path"]
        got = until_event(j, "window-add", True)
        check(got["window"] == w, "window-add --json: %r, expected %r" % (got, w))
        check(set(got) == {"time", "event", "window"} and
              abs(got["time"] - time.time_ns()) < 30 * 10**9, "window-add: %r" % got)
        got = until_event(h, "window-add", False)
        check(got == {"id": "1", "tgid": "4242", "pid": "4243", "comm": "nxwatch",
                      "type": "default", "state": "active", "uid": "1000"},
              "window-add: %r" % got)
        pos = last_position(v.db)
        got = until_event(j, "manager-change", True)["changed"]
        check(got["last_position"] == pos and got["windows"] == 1 and
              got["seq"] == t["seq"], "manager-change: %r" % got)
        got = until_event(h, "manager-change", False)
        check(got["last_position"] == str(pos) and got["windows"] == "1",
              "manager-change: %r" % got)
        log("window-add with the truth's fields; manager-change with the ledger's position")

        k.run("credits default 0")
        settle(k, v)
        got = until_event(j, "window-change", True)["window"]
        check(got == {"id": 1, "state": "suspended", "reason": "credits"},
              "window-change: %r" % got)
        got = until_event(h, "window-change", False)
        check(got == {"id": "1", "state": "suspended", "reason": "credits"},
              "window-change: %r" % got)
        # used drops with the window, total with the credits: one commit or two
        got = until_event(h, "manager-change", False)
        while got.get("credits_default") != "0/0":
            got = until_event(h, "manager-change", False)

        k.run("close 1")
        settle(k, v)
        check(until_event(j, "window-remove", True)["window"] == {"id": 1}, "window-remove")
        check(until_event(h, "window-remove", False) == {"id": "1"}, "window-remove")
        log("window-change (suspended for credits) and window-remove")

        k.run("migrate stream=7")
        settle(k, v)
        for active in (True, False):
            got = until_event(j, "prepare-for-migration", True)
            check(got["active"] is active and got["migration"] == "1",
                  "prepare-for-migration: %r" % got)
            got = until_event(h, "prepare-for-migration", False)
            check(got == {"active": str(active).lower(), "migration": "1"},
                  "prepare-for-migration: %r" % got)
        log("prepare-for-migration true, then false, named 1 by vasd (the kernel's stream 7)")

        check(v.stop() == 0, "vasd did not stop cleanly")
        v.close()
        check(until_event(h, "vasd-vanished", False) == {}, "vasd-vanished")
        check(until_event(j, "vasd-vanished", True)["event"] == "vasd-vanished", "vanished")
        v = Vasd(d, k.spec, bus=True).start()
        got = until_event(j, "vasd-appeared", True)
        check(got["owner"].startswith(":"), "vasd-appeared: %r" % got)
        until_event(h, "vasd-appeared", False)
        k.run("open qos comm=again")
        settle(k, v)
        check(until_event(h, "window-add", False)["comm"] == "again", "after the restart")
        check(until_event(j, "window-add", True)["window"]["comm"] == "again", "after the restart")
        log("vasd vanished and appeared again; monitoring went on")

        check(h.stop() == 0 and j.stop() == 0, "monitor: SIGINT is not exit 0")
    finally:
        v.close()
        k.stop()
        bus.stop()
log("ok")
