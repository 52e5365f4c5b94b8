#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""vasctl status, windows, inhibitors and log-level against vasd on a
private system bus with the real policy, fed by the fake kernel: the values
are the fake kernel's truth and what busctl sees; --json has the shapes of
proto/vasctl-json.md; tables are aligned; colour only on a terminal without
NO_COLOR; setting the log level is root's; every command says "vasd is not
running" in one line with exit status 3; --help for each."""

import os
import pwd
import pty
import re
import subprocess
import time

from vasdtest import FakeKernel, TempDir, VASCTL, Vasd, check, log
from bustest import BUS_CLIENT, PrivateBus, busctl, manager, unprivileged
from vasctltest import (
    PHASES, STATES, STATUS_KEYS, TYPES, last_position, ok, ok_json,
    one_line_error, run, settle, truth_window
)

COMMANDS = ["status", "windows", "events", "inhibitors", "log-level", "monitor"]
BUS_NAMES = ["State", "KernelAttached", "KernelSource", "ObservedMissed", "Generation", "Seq", "FirstPosition", "LastPosition",
             "Windows", "WindowsActive", "WindowsSuspended", "CreditsDefault",
             "CreditsQos", "MigrationPhase", "MigrationStream", "MigrationName",
             "MigrationState", "MigrationAnomalies", "InhibitDelayMaxUSec"]


def not_running(what):
    for cmd in COMMANDS + ["events --follow"]:
        p = run(*cmd.split())
        one_line_error(p, 3, "vasd is not running", "%s (%s)" % (cmd, what))


def check_status(t, db):
    st = ok_json("status")
    check(list(st) == STATUS_KEYS, "status keys: %s" % list(st))
    caps = {TYPES[c["type"]]: {"total": c["total"], "used": c["used"]}
            for c in t["caps"]}
    windows = t["windows"]
    suspended = len([w for w in windows if STATES[w["state"]] == "suspended"])
    want = {
        "state": "running", "kernel_attached": True, "kernel_source": "unix",
        "observed_missed": 0,
        "generation": "%016x" % t["generation"], "seq": t["seq"],
        "first_position": 1, "last_position": last_position(db),
        "windows": len(windows), "windows_active": len(windows) - suspended,
        "windows_suspended": suspended,
        "credits_default": caps["default"], "credits_qos": caps["qos"],
        "migration_phase": PHASES[t["migration"]["phase"]],
        "migration_stream": t["migration"]["stream_id"],
        # the fake kernel's migrations came and went with no hook: closed
        "migration_name": "", "migration_state": "idle", "migration_anomalies": 0,
        "inhibit_delay_max_usec": 4000000,
    }
    check(st == want, "status --json:\n %r\nexpected\n %r" % (st, want))

    got = busctl("call", "org.vasd1", "/org/vasd1", "org.freedesktop.DBus.Properties",
                 "GetAll", "s", "org.vasd1.Manager")["data"][0]
    for key, name in zip(STATUS_KEYS, BUS_NAMES):
        v = got[name]["data"]
        if key == "generation":
            v = "%016x" % v
        elif key.startswith("credits"):
            v = {"total": v[0], "used": v[1]}
        check(st[key] == v, "%s: vasctl %r, busctl %r" % (key, st[key], v))

    text = ok("status")
    check("\x1b" not in text, "colour in a pipe: %r" % text)
    for line in ("State:     running",
                 "Kernel:    attached, generation %016x, seq %d" % (t["generation"], t["seq"]),
                 "Ledger:    positions 1..%d" % want["last_position"],
                 "Windows:   %d (%d active, %d suspended)" % (len(windows), len(windows) - suspended, suspended),
                 "Credits:   default %d/%d used, qos %d/%d used" % (
                     caps["default"]["used"], caps["default"]["total"],
                     caps["qos"]["used"], caps["qos"]["total"]),
                 "Migration: %s, stream %d" % (want["migration_phase"], want["migration_stream"]),
                 "           vasd: no migration open",
                 "Inhibit:   a delay lock holds a migration for at most 4s"):
        check(line in text.splitlines(), "status: no line %r in\n%s" % (line, text))
    log("status: %d windows, %d suspended, credits, migration: as the fake kernel has them, and busctl"
        % (len(windows), suspended))


def user_name(uid):
    """vasctl windows' USER: the name, else the number."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def check_windows(t):
    want = [truth_window(w) for w in sorted(t["windows"], key=lambda w: w["id"])]
    got = ok_json("windows")
    check(got == want, "windows --json:\n %r\nexpected\n %r" % (got[:3], want[:3]))
    listed = manager("ListWindows")["data"][0]
    check([[w["id"], w["tgid"], w["pid"], w["comm"], w["cop"], w["type"], w["state"],
            w["reason"], w["opened_at"], w["object_path"]] for w in got] == listed,
          "windows --json differs from busctl's ListWindows")

    lines = ok("windows").splitlines()
    header = lines[0]
    check(header.split() == ["ID", "TYPE", "STATE", "REASON", "PID", "TGID", "USER", "COMM",
                             "OPENED", "AGE"], "header: %r" % header)
    check(lines[-2] == "" and lines[-1] == "%d windows listed (%d suspended)."
          % (len(want), len([w for w in want if w["state"] == "suspended"])),
          "footer: %r" % lines[-2:])
    rows = lines[1:-2]
    check(len(rows) == len(want), "%d rows" % len(rows))
    # left-aligned columns start where their header does; right-aligned end there
    starts = {h: header.index(h) for h in ("TYPE", "STATE", "REASON", "USER", "COMM", "OPENED")}
    ends = {h: header.index(h) + len(h) for h in ("ID", "PID", "TGID", "AGE")}
    for row, w in zip(rows, want):
        check(row == row.rstrip(), "trailing blanks: %r" % row)
        cells = row.split()
        check(cells[:8] == [str(w["id"]), w["type"], w["state"],
                            "-" if w["reason"] == "none" else w["reason"],
                            str(w["pid"]), str(w["tgid"]), user_name(w["uid"]), w["comm"]],
              "row %r for %r" % (row, w))
        check(re.fullmatch(r"\d{4}-\d\d-\d\d", cells[8]) and
              re.fullmatch(r"\d\d:\d\d:\d\d", cells[9]), "OPENED: %r" % row)
        for h, col in starts.items():
            check(row[col - 1] == " " and row[col] != " ", "%s misaligned: %r" % (h, row))
        for h, col in ends.items():
            check(row[col - 1] != " " and (col == len(row) or row[col] == " "),
                  "%s misaligned: %r" % (h, row))
    log("windows: %d rows aligned under their headers, --json equals the truth and ListWindows"
        % len(rows))


def check_color():
    for env, want in ((dict(os.environ), True),
                      (dict(os.environ, NO_COLOR="1"), False)):
        master, slave = pty.openpty()
        p = subprocess.run([VASCTL, "windows"], stdout=slave,
                           stderr=subprocess.PIPE, env=env, timeout=30)
        os.close(slave)
        out = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        os.close(master)
        check(p.returncode == 0, "windows on a terminal: %d" % p.returncode)
        check((b"\x1b[" in out) == want, "colour on a terminal, NO_COLOR=%s: %r"
              % (env.get("NO_COLOR"), out[:200]))
    log("colour on a terminal only, and not with NO_COLOR")


def check_inhibitors():
    check(ok("inhibitors") == "No inhibitors.\n", "no inhibitors")
    check(ok_json("inhibitors") == [], "no inhibitors (json)")
    holders = []
    for n, mode in ((2, "delay"), (1, "block")):
        h = subprocess.Popen([BUS_CLIENT, "inhibit", str(n), mode], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
        holders.append(h)
        while True:
            line = h.stdout.readline()
            check(line, "bus-client ended early")
            if line.startswith("held "):
                check(line.strip() == "held %d" % n, line)
                break
    a, b = holders
    want = [{"what": "migration", "who": "bus-client", "why": "testing", "mode": "block",
             "uid": 0, "pid": b.pid}] + \
           [{"what": "migration", "who": "bus-client", "why": "testing", "mode": "delay",
             "uid": 0, "pid": a.pid}] * 2
    got = ok_json("inhibitors")
    check(got == want, "inhibitors --json: %r" % got)
    check(ok_json("inhibitors", user=unprivileged()) == want, "inhibitors as nobody")
    listed = manager("ListInhibitors")["data"][0]
    check([[i["what"], i["who"], i["why"], i["mode"], i["uid"], i["pid"]] for i in got] == listed,
          "inhibitors differ from busctl's: %r" % listed)
    lines = ok("inhibitors").splitlines()
    check(lines[0].split() == ["WHO", "UID", "USER", "PID", "COMM", "WHAT", "MODE", "WHY"],
          "header %r" % lines[0])
    check([l.split() for l in lines[1:4]] ==
          [["bus-client", "0", "root", str(b.pid), "bus-client", "migration", "block", "testing"]] +
          [["bus-client", "0", "root", str(a.pid), "bus-client", "migration", "delay", "testing"]] * 2,
          "inhibitors table:\n%s" % "\n".join(lines))
    check(lines[-1] == "3 inhibitors listed.", "footer %r" % lines[-1])
    for h in holders:
        h.stdin.close()
        h.wait(10)
    deadline = time.monotonic() + 10
    while ok_json("inhibitors"):
        check(time.monotonic() < deadline, "inhibitors not released")
        time.sleep(0.05)
    log("inhibitors: 2 delay and 1 block lock of bus-client, newest first, also as nobody; as busctl")


def log_level_as(user):
    return run("log-level", user=user)


def check_log_level():
    level = prop_of("/org/freedesktop/LogControl1", "org.freedesktop.LogControl1", "LogLevel")
    check(ok("log-level") == level + "\n", "log-level: %r" % level)
    check(ok_json("log-level") == {"log_level": level}, "log-level --json")
    check(ok("log-level", user=unprivileged()) == level + "\n", "log-level as nobody")
    check(ok("log-level", "debug") == "", "setting prints nothing")
    check(ok("log-level") == "debug\n", "log level not set")
    check(prop_of("/org/freedesktop/LogControl1", "org.freedesktop.LogControl1", "LogLevel")
          == "debug", "busctl does not see debug")
    p = run("log-level", "info", user=unprivileged())
    one_line_error(p, 1, "only root may set vasd's log level", "log-level info as nobody")
    check("org.freedesktop.DBus.Error.AccessDenied" in p.stderr, "denied how: %s" % p.stderr)
    check(ok("log-level") == "debug\n", "nobody changed the log level")
    p = run("log-level", "loud")
    one_line_error(p, 1, "Unknown log level 'loud'", "log-level loud")
    check("org.freedesktop.DBus.Error.InvalidArgs" in p.stderr, p.stderr)
    check(ok("log-level", "info") == "" and ok("log-level") == "info\n", "back to info")
    log("log-level: read by anyone, set by root, refused to nobody with the bus's error")


def prop_of(path, interface, name):
    return busctl("get-property", "org.vasd1", path, interface, name)["data"]


def check_help():
    for cmd in COMMANDS + ["ledger"]:
        p = run(cmd, "--help")
        check(p.returncode == 0 and p.stdout.startswith("Usage: vasctl %s" % cmd),
              "%s --help: %d %r" % (cmd, p.returncode, p.stdout[:80]))
        p = run(cmd, "--no-such-option")
        check(p.returncode == 2 and "Usage: vasctl %s" % cmd in p.stderr,
              "%s --no-such-option: %d" % (cmd, p.returncode))
    for args in (["status", "extra"], ["windows", "x"], ["events", "--since", "-1"],
                 ["events", "--limit", "0"], ["log-level", "debug", "info"],
                 ["monitor", "--kernel", "--json"], ["monitor", "--dump-first"]):
        p = run(*args)
        check(p.returncode == 2, "%s: exit %d" % (" ".join(args), p.returncode))
    log("--help for each command; bad options and arguments are usage errors (2)")


with TempDir() as d:
    check_help()
    p = run("status", env=dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=" + d + "/none"))
    one_line_error(p, 3, "vasd is not running (no system bus", "status without a bus")
    bus = PrivateBus(d)
    not_running("no vasd on the bus")
    log("not running: one line and exit status 3 from every command, without vasd or a bus")

    k = FakeKernel(d, extra=["--default-credits", "4", "--qos-credits", "2"])
    v = Vasd(d, k.spec, bus=True).start()
    try:
        k.run("open default comm=nxgzip tgid=812 pid=813 uid=0",
              "open qos comm=nx\\x01job tgid=900 uid=4000000",
              "open default comm=a-rather-long-n tgid=1048 pid=1052",
              "open qos", "open default", "close 4",
              "credits default 1", "migrate stream=7")
        t = settle(k, v)
        check(len(t["windows"]) == 4, "truth: %r" % t["windows"])
        check_status(t, v.db)
        check_windows(t)
        check_color()
        check_inhibitors()
        check_log_level()
        check(v.stop() == 0, "vasd did not stop cleanly")
        v.close()
        not_running("vasd stopped")
        out = ok("ledger", "verify", "-d", v.db)
        check(out.endswith("result:   equal\n"), out)
        log("vasd stopped: the bus commands say so, ledger verify still works")
    finally:
        v.close()
        k.stop()
        bus.stop()
log("ok")
