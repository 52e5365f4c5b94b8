#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""drmgr's hook (cli/50-vasd, the build tree's copy, which runs the build's
vasctl) run exactly as drmgr runs it: env -i PHASE=..., cwd /, stdin
/dev/null; and vasctl migration check|prepare|complete|abort|status
directly, on a private bus with the fake kernel.

vasd not running (no bus, then the bus without vasd): every phase exits 0
with a "not running" line; vasctl exits 3. Then with vasd: check passes
in one line; undocheck cancels; a block lock vetoes check (the hook exits
1 with the holder named, vasctl exits 5) and undocheck after it finds
nothing; check, pre with two delay locks that release, the kernel's
migration, post: all exit 0, the ledger has them asked and released, and
migration status (human and --json) reports them, the blackout per
client and the outcome; a post with none open exits 0 with vasd's line
(vasctl: 1); the phases with --json; the fake kernel's race makes post
warn, migration status lists the anomaly and vasctl status counts it; status of an open migration shows
vasd's state. Last, with vasd stopped, status still reports from the
ledger (exit 0, "not running") and every phase is a "not running" line.
A vasd that does not answer (SIGSTOP): the hook gives up after its own
bound (shortened in a copy), exits 0 and says so."""

import json
import os
import re
import signal
import subprocess
import time

from vasdtest import FakeKernel, Scenarios, TempDir, VASCTL, Vasd, check, ledger, log
from bustest import PrivateBus
from migtest import Follower, last_position, records, verify, wait_prop

HOOK = os.environ["DRMGR_HOOK"]
BOUND = 2
OPTIONS = ["--inhibit-delay-max=%d" % BOUND]
# vasctl under memcheck when the valgrind setup runs (tools/valgrind-wrap)
WRAP = os.environ.get("VASD_WRAPPER", "").split()


def hook(phase, address=None, path=HOOK):
    """The hook as drmgr runs it: after clearenv(), from /, stdin on
    /dev/null. The one addition is DBUS_SYSTEM_BUS_ADDRESS, which points
    vasctl at the private bus instead of the system one."""
    env = ["PHASE=" + phase,
           "DBUS_SYSTEM_BUS_ADDRESS=" + (address or os.environ["DBUS_SYSTEM_BUS_ADDRESS"])]
    p = subprocess.run(["/usr/bin/env", "-i", *env, path], cwd="/",
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=120)
    check(p.stderr == "", "hook %s: stderr %r" % (phase, p.stderr))
    return p.returncode, p.stdout


def hook_line(phase, rc, needle, address=None, path=HOOK):
    """The hook exits rc with one line holding needle; the line."""
    got, out = hook(phase, address, path)
    lines = out.splitlines()
    check(got == rc and len(lines) == 1 and needle in lines[0],
          "hook %s: exit %d %r, expected %d and one line with %r"
          % (phase, got, out, rc, needle))
    return lines[0]


def vasctl_run(*args):
    return subprocess.run([*WRAP, VASCTL, *args], capture_output=True,
                          text=True, timeout=120)


def vasctl_ok(*args):
    p = vasctl_run(*args)
    check(p.returncode == 0, "vasctl %s: exit %d %s%s"
          % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p.stdout


def vasctl_json(*args):
    out = vasctl_ok(*args, "--json")
    check(len(out.splitlines()) == 1, "--json: one line: %r" % out)
    return json.loads(out)


def vasctl_fails(rc, needle, *args):
    """vasctl exits rc with one line holding needle on stderr, nothing else."""
    p = vasctl_run(*args)
    check(p.returncode == rc and p.stdout == "" and
          len(p.stderr.splitlines()) == 1 and needle in p.stderr,
          "vasctl %s: exit %d %r %r, expected %d and %r"
          % (" ".join(args), p.returncode, p.stdout, p.stderr, rc, needle))
    return p.stderr.strip()


def not_running(address=None):
    env = dict(os.environ)
    if address:
        env["DBUS_SYSTEM_BUS_ADDRESS"] = address
    with Scenarios() as scenario:
        for phase in ("check", "undocheck", "pre", "post"):
            with scenario("the hook's %s" % phase):
                hook_line(phase, 0, "vasd: not running", address)
        for verb in ("check", "prepare", "complete", "abort"):
            with scenario("vasctl migration %s" % verb):
                p = subprocess.run([*WRAP, VASCTL, "migration", verb], env=env,
                                   capture_output=True, text=True, timeout=60)
                check(p.returncode == 3 and p.stdout == "" and
                      len(p.stderr.splitlines()) == 1 and "not running" in p.stderr,
                      "vasctl migration %s: %d %r" % (verb, p.returncode, p.stderr))


def step(k, v, *lines):
    k.run(*lines)
    t = k.truth()
    v.wait_seq(t["seq"])
    return t


with TempDir() as d:
    check(os.access(HOOK, os.X_OK), "%s is not executable" % HOOK)
    not_running("unix:path=" + os.path.join(d, "no-bus"))
    bus = PrivateBus(d)
    not_running()
    log("vasd not running (no bus; no vasd on the bus): every phase exits 0 and says so")

    k = FakeKernel(d)
    k.run("open default comm=alpha tgid=4242")
    v = Vasd(d, k.spec, bus=True, extra=OPTIONS).start()
    db = ledger(v.db)
    status = ("migration", "status", "--database", v.db)
    try:
        p = vasctl_run("migration", "bogus")
        check(p.returncode == 2, "an unknown command: %d" % p.returncode)
        p = vasctl_run("migration", "status", "x")
        check(p.returncode == 2, "a bad id: %d" % p.returncode)
        p = vasctl_run("migration", "check", "1")
        check(p.returncode == 2, "check takes no id: %d" % p.returncode)
        check("Usage: vasctl migration" in vasctl_ok("migration", "--help"), "--help")

        check(vasctl_json(*status) == {"migration": None, "vasd_running": True},
              "status before any migration")
        check(vasctl_ok(*status).startswith("No migration recorded in "),
              "status before any migration")

        # check, undocheck
        check(hook_line("check", 0, "may proceed") ==
              "vasd: migration 1 may proceed; 0 delay locks will be asked to release",
              "check")
        s = vasctl_json(*status)
        check(s["migration"] == "1" and s["state"] == "checked" and s["vasd_running"] and
              s["outcome"] is None and s["closed_at"] is None and s["origin"] == "check",
              "status of an open migration: %r" % s)
        check(vasctl_ok(*status).startswith("Migration 1: checked\nvasd:      running, this migration is checked\n"),
              "status of an open migration")
        check(hook_line("undocheck", 0, "cancelled") == "vasd: migration 1 cancelled", "undocheck")
        s = vasctl_json(*status, "1")
        check(s["state"] == "closed" and s["outcome"] == "cancelled" and
              [h["phase"] for h in s["hooks"]] == ["check", "undocheck"] and
              all(h["comm"] == "vasctl" and h["uid"] == 0 for h in s["hooks"]),
              "cancelled: %r" % s)
        log("check: exit 0, one line; undocheck cancels")

        # a block lock vetoes
        b = Follower("block", -1)
        line = hook_line("check", 1, "vetoed")
        check(re.fullmatch(r'vasd: migration vetoed: block lock (\d+) of uid 0 \(root\), pid %d \(bus-client\): who "bus-client", why "following"; release it first, or as root: vasctl release-lock \1' % b.pid, line),
              "veto: %r" % line)
        hook_line("undocheck", 0, "nothing to cancel")
        vasctl_fails(5, "of uid 0 (root), pid %d (bus-client)" % b.pid,
                     "migration", "check")
        s = vasctl_json(*status, "2")
        check(s["outcome"] == "vetoed" and len(s["vetoes"]) == 1 and
              s["vetoes"][0]["reason"] == "block-lock" and s["vetoes"][0]["pid"] == b.pid,
              "vetoed: %r" % s)
        check(re.search(r"^Vetoed:    block lock \d+ of uid 0, pid %d \(bus-client\)$" % b.pid,
                        vasctl_ok(*status, "2"), re.M),
              "vetoed, human")
        b.quit()
        log("a block lock: the hook's check exits 1 naming its holder, vasctl exits 5")

        # check -> pre -> the kernel's migration -> post, two clients release
        at = last_position(db)
        f1, f2 = Follower("delay", 0), Follower("delay", 100)
        hook_line("check", 0, "vasd: migration 4 may proceed; 2 delay locks will be asked")
        line = hook_line("pre", 0, "vasd: migration 4: 2 client locks released in ")
        for f in (f1, f2):
            f.expect("prepare true 4")
            f.expect("closed")
        step(k, v, "migrate stream=20")
        hook_line("post", 0, "vasd: migration 4 closed: completed")
        for f in (f1, f2):
            f.expect("prepare false 4")
        recs = records(db, at)
        asked = sorted(r["pid"] for r in recs if r["kind"] == "migration-asked")
        released = sorted(r["pid"] for r in recs
                          if r["kind"] == "inhibitor-release" and r["migration"] == 4)
        check(asked == released == sorted([f1.pid, f2.pid]),
              "asked %r, released %r" % (asked, released))

        s = vasctl_json(*status, "4")
        check(s["state"] == "closed" and s["outcome"] == "completed" and
              [h["phase"] for h in s["hooks"]] == ["check", "pre", "post"],
              "completed: %r" % s)
        locks = {l["pid"]: l for l in s["asked"]}
        check(sorted(locks) == sorted([f1.pid, f2.pid]) and
              all(l["released_at"] >= l["asked_at"] > 0 and l["timed_out_at"] is None
                  for l in locks.values()), "asked: %r" % s["asked"])
        check(locks[f2.pid]["released_at"] - locks[f2.pid]["asked_at"] >= 100e6,
              "f2 released 100 ms after it was asked: %r" % locks[f2.pid])
        q = s["quiesced"]
        check(q["how"] == "released" and q["released"] == 2 and q["asked"] == 2, "quiesced: %r" % q)
        check(len(s["acks"]) == 1 and s["acks"][0]["stream_id"] == 20, "acks: %r" % s["acks"])
        bo = s["blackout"]
        check(bo["suspended"] == 1 and bo["resumed"] == 1 and
              bo["last_resumed"] >= bo["first_suspended"] > 0, "blackout: %r" % bo)
        check([(c["tgid"], c["comm"], c["blackout"]["suspended"]) for c in s["clients"]]
              == [(4242, "alpha", 1)], "clients: %r" % s["clients"])
        check(s["anomalies"] == [] and s["errors"] == [] and s["vetoes"] == [], "clean: %r" % s)
        human = vasctl_ok(*status, "4")
        for needle in ("Migration 4: closed", "vasd:      running, no migration open",
                       "Closed:", ": completed", "Quiesced:  released: 2 of 2 delay locks released in ",
                       "Kernel:    stream 20 acked at +", "Blackout:  ", "1 window suspended, 1 resumed",
                       "Delay locks asked to release:", "Blackout per client:", "alpha"):
            check(needle in human, "status 4: no %r in\n%s" % (needle, human))
        for f in (f1, f2):
            check(re.search(r"^ +\d+ +%d +bus-client +0 +\+.* after " % f.pid, human, re.M),
                  "status 4: pid %d released:\n%s" % (f.pid, human))
        check(vasctl_ok(*status) == human, "status without an id: the last migration")
        f1.quit()
        f2.quit()
        log("check, pre (2 clients release), the kernel's migration, post: exit 0; status reports them")

        # post with none open: a clear line, not a veto
        hook_line("post", 0, "vasd: no migration is open: post has nothing to close")
        vasctl_fails(1, "vasd: no migration is open", "migration", "complete")
        log("post with none open: exit 0 and vasd's line (vasctl: 1)")

        # the phases through vasctl with --json
        for verb, phase_name, needle in (("check", "check", "may proceed"),
                                         ("prepare", "pre", "no client holds a delay lock"),
                                         ("complete", "post", "closed: unknown")):
            o = vasctl_json("migration", verb)
            check(o["migration"] == "5" and o["phase"] == phase_name and needle in o["message"]
                  and sorted(o) == ["message", "migration", "phase"], "%s --json: %r" % (verb, o))
        check(vasctl_ok("migration", "check") == "vasd: migration 6 may proceed; 0 delay locks will be asked to release\n",
              "check: vasd's line")
        check(vasctl_ok("migration", "abort") == "vasd: migration 6 cancelled\n", "abort")
        log("vasctl migration check|prepare|complete|abort, human and --json")

        # the seed's race: post warns, status lists the anomaly
        hook_line("check", 0, "migration 7 may proceed")
        hook_line("pre", 0, "migration 7")
        step(k, v, "migrate stream=21 race")
        wait_prop("MigrationAnomalies", 1)
        line = hook_line("post", 0, "vasd: migration 7 closed: completed; warning: 1 window stayed active")
        s = vasctl_json(*status)
        check(s["migration"] == "7" and len(s["anomalies"]) == 1 and
              s["anomalies"][0]["kind"] == "active-at-suspended" and
              s["anomalies"][0]["window"]["comm"] == "raced", "anomalies: %r" % s["anomalies"])
        human = vasctl_ok(*status, "7")
        check("Anomalies: 1" in human and "active-at-suspended" in human and "raced" in human,
              "status 7:\n%s" % human)
        overall = vasctl_ok("status").splitlines()
        check("Anomalies: 1 window left active by the kernel's suspend "
              "(the last migration; vasctl migration status)" in overall,
              "vasctl status:\n%s" % "\n".join(overall))
        check(vasctl_json("status")["migration_anomalies"] == 1, "status --json")
        log("the race: post warns in its line; migration status lists the anomaly, "
            "vasctl status counts it")

        check(v.stop() == 0, "vasd did not stop cleanly")
        s = vasctl_json(*status)
        check(s["migration"] == "7" and not s["vasd_running"] and s["state"] == "closed",
              "status with vasd stopped: %r" % s)
        human = vasctl_ok(*status, "4")
        check(human.startswith("Migration 4: closed\nvasd:      not running; this report is the ledger's\n"),
              "status 4 with vasd stopped:\n%s" % human)
        not_running()
        log("vasd stopped: status reports from the ledger (exit 0), the phases say not running")
        verify(v.db)

        # A vasd that does not answer (stopped): the hook's own bound. The
        # copy bounds check by 2 s instead of 60; the rest is the hook's.
        v.close()
        v = Vasd(d, k.spec, bus=True, extra=OPTIONS).start()
        with open(HOOK) as f:
            text = f.read()
        bound = "check)\t\tverb=check;\tbound=60 ;;"
        check(bound in text, "the hook's check bound is not %r" % bound)
        short = os.path.join(d, "50-vasd-short")
        with open(short, "w") as f:
            f.write(text.replace(bound, bound.replace("=60", "=2")))
        os.chmod(short, 0o755)
        os.kill(v.proc.pid, signal.SIGSTOP)
        try:
            start = time.monotonic()
            hook_line("check", 0, "vasd: no answer within 2s; the migration goes on (check)",
                      path=short)
            took = time.monotonic() - start
        finally:
            os.kill(v.proc.pid, signal.SIGCONT)
        check(took < 10, "the hook took %.1f s with a 2 s bound" % took)
        # continued, vasd cannot learn the gone caller's uid and refuses its
        # check; it serves the next one
        hook_line("check", 0, "may proceed")
        hook_line("undocheck", 0, "cancelled")
        check(v.stop() == 0, "vasd did not stop cleanly")
        log("vasd stopped with SIGSTOP: the hook gave up after its bound (%.1f s), exit 0, "
            "and said so" % took)
    finally:
        v.close()
        k.stop()
        bus.stop()
log("ok")
