#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""What a client writes reaches no terminal raw (issue 13, finding 5):
a block lock whose who, why and process name (prctl PR_SET_NAME) carry
each class of unsafe text -- C0 controls, a newline (a forged log line),
\\r, ESC with CSI and OSC 52 sequences, C1 controls, bidi overrides,
invalid UTF-8 (a process name only: the bus carries UTF-8) -- is printed
escaped, byte for byte, by vasctl inhibitors, vasctl migration check (the
veto line), drmgr's hook and vasd's log at debug
level; vasctl migration status, status and windows print nothing unsafe;
vasctl inhibitors --json keeps the words as they are."""

import json
import os
import subprocess

from vasdtest import Scenarios, TempDir, VASCTL, check, log
from bustest import BUS_CLIENT, PrivateBus, start_vasd

HOOK = os.environ["DRMGR_HOOK"]
# vasctl under memcheck when the valgrind setup runs (tools/valgrind-wrap)
WRAP = os.environ.get("VASD_WRAPPER", "").split()
VETOED = 5

# class: (the raw text, as vasctl and vasd must print it)
CLASSES = {
    "newline": ("a\n<0>forged", "a\\n<0>forged"),
    "carriage return": ("ok\rEVIL", "ok\\rEVIL"),
    "C0 controls": ("a\x07\x08\x7fb", "a\\x07\\x08\\x7fb"),
    "CSI": ("\x1b[2J\x1b[31mx", "\\x1b[2J\\x1b[31mx"),
    "OSC 52": ("\x1b]52;c;cm0K\x07", "\\x1b]52;c;cm0K\\x07"),
    "C1 controls": ("\u009b31m\u009d0;t", "\\u009b31m\\u009d0;t"),
    "bidi": ("a\u202eb\u2066c\u2069", "a\\u202eb\\u2066c\\u2069"),
}
INVALID = (b"c\xff\xc3(\xed\xa0\x80", "c\\xff\\xc3(\\xed\\xa0\\x80")


def unsafe(out):
    """Why the bytes are not safe on a terminal, or None."""
    try:
        text = out.decode("utf-8")
    except UnicodeDecodeError as e:
        return "invalid UTF-8: %s" % e
    for c in text:
        o = ord(c)
        if c != "\n" and (o < 0x20 or 0x7f <= o <= 0x9f or
                          0x2028 <= o <= 0x202e or 0x2066 <= o <= 0x2069):
            return "U+%04X in %r" % (o, text)
    return None


def safe(out, what):
    why = unsafe(out)
    check(why is None, "%s: %s" % (what, why))
    return out.decode()


class Holder:
    """bus-client holding one block lock of who, why, comm."""

    def __init__(self, who, why, comm):
        self.proc = subprocess.Popen(
            [BUS_CLIENT, "inhibit", "1", "block", who, why, comm],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        lines = [self.proc.stdout.readline() for _ in range(2)]
        check(lines == [b"ok\n", b"held 1\n"], "bus-client: %r" % lines)

    def quit(self):
        self.proc.stdin.close()
        self.proc.wait(10)


def run(*args):
    return subprocess.run([*WRAP, VASCTL, *args], capture_output=True,
                          timeout=120)


def hook_check():
    """drmgr's hook as drmgr runs it (see test-migration-hook.py)."""
    env = ["PHASE=check",
           "DBUS_SYSTEM_BUS_ADDRESS=" + os.environ["DBUS_SYSTEM_BUS_ADDRESS"]]
    return subprocess.run(["/usr/bin/env", "-i", *env, HOOK], cwd="/",
                          stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=120)


def scenario(v, name, who, why, comm, who_esc, why_esc, comm_esc):
    start = os.path.getsize(v.log_path)
    h = Holder(who, why, comm)
    try:
        p = run("inhibitors")
        check(p.returncode == 0, "inhibitors: exit %d" % p.returncode)
        out = safe(p.stdout, "vasctl inhibitors")
        lines = out.splitlines()
        check(len(lines) == 4 and lines[3] == "1 inhibitors listed.",
              "inhibitors: %r" % out)
        row = lines[1]
        check(row.startswith(who_esc + " ") and row.endswith(" " + why_esc) and
              (" %d %s " % (h.proc.pid, comm_esc)) in row,
              "inhibitors row %r: expected who %r, comm %r, why %r"
              % (row, who_esc, comm_esc, why_esc))

        p = run("inhibitors", "--json")
        got = json.loads(p.stdout)
        check([(i["who"], i["why"]) for i in got] == [(who, why)],
              "inhibitors --json: %r" % got)

        p = run("migration", "check")
        check(p.returncode == VETOED and p.stdout == b"",
              "migration check: exit %d %r" % (p.returncode, p.stdout))
        err = safe(p.stderr, "migration check")
        check(err.count("\n") == 1 and who_esc in err and why_esc in err,
              "migration check: %r, expected one line with %r and %r"
              % (err, who_esc, why_esc))

        p = hook_check()
        out = safe(p.stdout + p.stderr, "the hook's check")
        check(p.returncode == 1 and out.count("\n") == 1 and who_esc in out,
              "hook check: exit %d %r" % (p.returncode, out))

        # its Vetoed: line names the holder by the comm vasd recorded
        p = run("migration", "status", "--database", v.db)
        out = safe(p.stdout + p.stderr, "migration status")
        vetoed = [l for l in out.splitlines() if l.startswith("Vetoed:")]
        check(p.returncode == 0 and len(vetoed) == 1 and
              ("pid %d (" % h.proc.pid) in vetoed[0] and "block lock" in vetoed[0],
              "migration status: exit %d, %r" % (p.returncode, out))

        for verb in (("status",), ("windows",), ("events",)):
            p = run(*verb)
            safe(p.stdout + p.stderr, "vasctl %s" % verb[0])
    finally:
        h.quit()

    # what vasd logged during this scenario (at debug: the lock's who)
    with open(v.log_path, "rb") as f:
        f.seek(start)
        text = f.read()
    safe(text, "%s: vasd's log" % name)
    # nothing here is an emergency: a line at <0> is the client's
    check(all(line[:1] == b"<" and not line.startswith(b"<0>")
              for line in text.splitlines()),
          "%s: a log line forged: %r" % (name, text))
    check(who_esc.encode() in text,
          "%s: the log lacks the escaped who %r" % (name, who_esc))
    log("%s: escaped in inhibitors, the veto line, the hook and the log"
        % name)


with TempDir() as d, Scenarios() as s:
    bus = PrivateBus(d)
    v = start_vasd(d, extra=["--log-level=debug"])
    try:
        for name, (raw, esc) in CLASSES.items():
            with s(name):
                comm = raw.encode()
                check(len(comm) <= 15, "%s: a comm of %d bytes" % (name, len(comm)))
                scenario(v, name, "w" + raw, "y" + raw, comm,
                         "w" + esc, "y" + esc, esc)
        with s("invalid UTF-8 in the process name"):
            scenario(v, "invalid UTF-8", "plain", "words", INVALID[0],
                     "plain", "words", INVALID[1])
    finally:
        v.stop()
        v.close()
        bus.stop()
