#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""vasctl events against vasd fed by the fake kernel: --json pages through
everything the ledger holds and equals `vasctl ledger export` line for
line; --since and --limit; the human lines; --follow prints new events as
the fake kernel makes them, woken by PropertiesChanged (no ReadEvents while
nothing happens), and goes on across a restart of vasd; after a compaction
it starts at FirstPosition and refuses --since a removed position."""

import json
import os
import re
import shutil
import subprocess
import time

from vasdtest import TempDir, Vasd, check, log
from bustest import BusMonitor, manager
from vasctltest import (
    Lines, last_position, ok, ok_json, one_line_error, run, settle, start
)


def export(db, frm=None):
    args = ["ledger", "export", "-d", db] + (["--from", str(frm)] if frm else [])
    return ok(*args).splitlines()


def follow_until(f, last):
    """--follow --json lines up to position last."""
    lines = f.until(lambda l: json.loads(l)["position"] >= last,
                    "position %d" % last)
    check(json.loads(lines[-1])["position"] == last, "followed past %d" % last)
    return lines


def caught_up(messages):
    """The callers a ReadEvents answered with an empty page: at the end."""
    calls = {(m["sender"], m["cookie"]) for m in messages
             if m.get("member") == "ReadEvents"}
    return {m["destination"] for m in messages
            if m.get("type") == "method_return" and
            (m.get("destination"), m.get("reply_cookie")) in calls and
            m["payload"]["data"][0] == []}


def count_read_events(mon, seconds):
    """ReadEvents calls to vasd while we watch the bus for seconds: the
    window of the claim that nothing is asked while nothing happens."""
    mark = len(mon.messages)
    time.sleep(seconds)
    mon.sync()
    return len([m for m in mon.messages[mark:] if m.get("member") == "ReadEvents"])


with TempDir() as d:
    bus, k, v = start(d)
    try:
        k.run("random 3000 seed=11")
        settle(k, v)
        want = export(v.db)
        check(len(want) > 2500, "only %d events" % len(want))
        got = ok("events", "--json").splitlines()
        diff = [(a, b) for a, b in zip(got, want) if a != b][:1]
        check(got == want, "events --json differs from ledger export (%d, %d lines): %s"
              % (len(got), len(want), diff))
        last = json.loads(want[-1])["position"]
        check(last == last_position(v.db), "last position")
        log("events --json: %d events in %d pages, byte for byte as ledger export"
            % (len(got), (len(got) + 999) // 1000))

        since = export(v.db, 1234)[:1500]
        got = ok("events", "--json", "--since", "1234", "--limit", "1500").splitlines()
        check(got == since, "--since 1234 --limit 1500: %d lines" % len(got))
        check(ok("events", "--since", str(last + 1)) == "", "past the end")
        got = ok("events", "-n", "3", "-s", "10").splitlines()
        check(len(got) == 3, "-n 3: %r" % got)
        for line, j in zip(got, export(v.db, 10)[:3]):
            e = json.loads(j)
            cells = line.split()
            check(cells[0] == str(e["position"]) and cells[3] == e["kind"],
                  "%r for %r" % (line, e))
            check(re.fullmatch(r"\d{4}-\d\d-\d\d", cells[1]) and
                  re.fullmatch(r"\d\d:\d\d:\d\d\.\d{6}", cells[2]), "time: %r" % line)
            if "seq" in e:
                check("seq=%d" % e["seq"] in cells, "seq: %r" % line)
        human = ok("events").splitlines()
        check(len(human) == len(want) and all(l == l.rstrip() for l in human),
              "human lines: %d" % len(human))
        log("--since and --limit page as asked; human lines: position, time, kind, fields")

        mon = BusMonitor()
        f = Lines("events", "--follow", "--json", "--since", str(last + 1))
        tail = Lines("events", "--follow", "--json")
        mon.until(lambda ms: len(caught_up(ms)) == 2)
        check(len(caught_up(mon.messages)) == 2, "the followers never read to the end")
        check(count_read_events(mon, 2) == 0, "ReadEvents while nothing happened")
        mon.stop()
        k.run("open default comm=follow1", "open qos comm=follow2", "close-oldest")
        settle(k, v)
        new = last_position(v.db)
        check(new > last, "no new events")
        check(follow_until(f, new) == export(v.db, last + 1),
              "--follow printed other than the ledger holds")
        got = follow_until(tail, new)
        check(json.loads(got[0])["position"] > last,
              "--follow without --since printed old events")
        check(got == export(v.db, json.loads(got[0])["position"]), "--follow (end)")
        log("--follow: events %d..%d as committed, woken without polling; "
            "without --since from the end" % (last + 1, new))

        check(v.stop() == 0, "vasd did not stop cleanly")
        v.close()
        v = Vasd(d, k.spec, bus=True).start()
        k.run("open default comm=after")
        settle(k, v)
        newer = last_position(v.db)
        got = follow_until(f, newer)
        kinds = [json.loads(l)["kind"] for l in got]
        check(kinds[0] == "daemon-stop" and "daemon-start" in kinds and
              kinds[-1] == "window-add", "across the restart: %s" % kinds)
        check(got == export(v.db, new + 1), "across the restart")
        log("--follow across a restart of vasd: daemon-stop, daemon-start, on")

        lim = Lines("events", "--follow", "--json", "--since", str(newer + 1),
                    "--limit", "2")
        k.run("burst 3")
        settle(k, v)
        got = [lim.line(), lim.line()]
        check(all(got), "--limit 2: %r" % got)
        check(lim.proc.wait(10) == 0, "--follow --limit 2 did not exit 0")
        check(got == export(v.db, newer + 1)[:2], "--limit 2: %r" % got)
        log("--follow --limit 2 exits once 2 events came")

        check(f.stop() == 0 and tail.stop() == 0, "--follow: SIGINT is not exit 0")

        first, removed = manager("CompactLedger", "x", "1000")["data"]
        check(first == 1000 and removed == 999, "CompactLedger: %r" % [first, removed])
        check(ok_json("status")["first_position"] == 1000, "status after compaction")
        p = run("events", "--since", "5")
        one_line_error(p, 1, "org.vasd1.Error.Compacted", "--since a compacted position")
        want = export(v.db)
        check(json.loads(want[0])["kind"] == "checkpoint", "export: %r" % want[0])
        got = ok("events", "--json").splitlines()
        check(got == want[1:], "events --json after compaction differs from export")
        check(json.loads(got[0])["position"] == 1000, "starts at %r" % got[0])
        log("after CompactLedger: from FirstPosition, as export without its checkpoint; "
            "--since a compacted position refused")

        # the lock holder's comm, as its executable's name: vasd escapes the
        # tab, the human line the space, so that the line splits on spaces
        busctl = os.path.join(d, "my job\t1")
        os.symlink(shutil.which("busctl"), busctl)
        before = last_position(v.db)
        subprocess.run([busctl, "--system", "call", "org.vasd1", "/org/vasd1",
                        "org.vasd1.Manager", "Inhibit", "ssss", "migration", "me",
                        "testing", "delay"], check=True, stdout=subprocess.DEVNULL)
        got = ok("events", "--since", str(before + 1)).splitlines()
        check(len(got) == 2 and all("comm=my\\x20job\\x091" in l.split() for l in got),
              "inhibitor-take and -release: %r" % got)
        log("events: a comm with a space and a tab is one cell")
    finally:
        v.close()
        k.stop()
        bus.stop()
log("ok")
