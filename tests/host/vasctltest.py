# SPDX-License-Identifier: GPL-2.0-only
"""Helpers for the tests of vasctl's bus commands: vasd fed by the fake
kernel on a private system bus with the real policy, the fake kernel's
truth as vasctl should show it, and vasctl run as root or as nobody."""

import json
import os
import select
import signal
import subprocess
import time

from vasdtest import FakeKernel, VASCTL, Vasd, check, fail, ledger, wait_until
from bustest import PrivateBus, prop

TYPES = ["default", "qos"]
STATES = ["active", "suspended"]
REASONS = ["none", "migration", "credits"]
PHASES = ["none", "prepare", "suspending", "suspended", "resumed",
          "completed", "aborted"]
# `vasctl status --json`'s keys, in order (proto/vasctl-json.md)
STATUS_KEYS = ["state", "kernel_attached", "kernel_source", "observed_missed",
               "generation", "seq", "first_position",
               "last_position",
               "windows", "windows_active", "windows_suspended",
               "credits_default", "credits_qos", "migration_phase",
               "migration_stream", "migration_name", "migration_state",
               "migration_anomalies", "inhibit_delay_max_usec"]


def escape_comm(comm):
    """As vasd puts a comm on the bus: bytes outside printable ASCII, and
    the backslash, as \\xHH."""
    return "".join(c if " " <= c < "\x7f" and c != "\\" else "\\x%02x" % ord(c)
                   for c in comm)


def truth_window(w):
    """A window of the truth as vasctl windows --json prints it."""
    return {
        "id": w["id"], "tgid": w["tgid"], "pid": w["pid"],
        "comm": escape_comm(w["comm"]),
        "cop": "gzip", "type": TYPES[w["type"]], "state": STATES[w["state"]],
        "reason": REASONS[w["reason"]], "opened_at": w["opened_at"],
        "uid": w["uid"],
        "object_path": "/org/vasd1/window/%d" % w["id"],
    }


def run(*args, user=(), env=None, timeout=60):
    return subprocess.run([*user, VASCTL, *args], capture_output=True,
                          text=True, env=env, timeout=timeout)


def ok(*args, user=()):
    p = run(*args, user=user)
    if p.returncode != 0:
        fail("vasctl %s exited %d:\n%s%s" % (" ".join(args), p.returncode,
                                             p.stdout, p.stderr))
    return p.stdout


def ok_json(*args, user=()):
    return json.loads(ok(*args, "--json", user=user))


def one_line_error(p, rc, needle, what):
    """p failed with rc and said so in one line on stderr, nothing on stdout."""
    check(p.returncode == rc, "%s: exit %d, expected %d (%s)"
          % (what, p.returncode, rc, p.stderr.strip()))
    check(p.stdout == "", "%s: printed %r" % (what, p.stdout))
    lines = p.stderr.splitlines()
    check(len(lines) == 1 and needle in lines[0],
          "%s: stderr %r, expected one line with %r" % (what, p.stderr, needle))


def start(d, kernel_extra=()):
    """A private bus, the fake kernel and vasd on it, its start-up over."""
    bus = PrivateBus(d)
    k = FakeKernel(d, extra=kernel_extra)
    v = Vasd(d, k.spec, bus=True).start()
    wait_running()
    return bus, k, v


def wait_running():
    """vasd sends READY=1 just before it announces State "running" on the
    bus: a monitor started in between would print that change first. Once
    a Get answers "running", the announcement is ahead of that reply on
    vasd's connection, so a client that subscribes later cannot see it."""
    wait_until('State "running" on the bus', lambda: prop("State") == "running", 30)


def settle(k, v):
    """The fake kernel's truth, once vasd's ledger (and bus) has it."""
    t = k.truth()
    v.wait_seq(t["seq"])
    deadline = time.monotonic() + 10
    while prop("Seq") != t["seq"]:
        check(time.monotonic() < deadline, "the bus never showed seq %d" % t["seq"])
        time.sleep(0.02)
    return t


def last_position(db):
    return ledger(db).execute("SELECT max(position) FROM events").fetchone()[0]


class Lines:
    """A long-running vasctl whose output lines are read with a deadline."""

    def __init__(self, *args, user=()):
        self.proc = subprocess.Popen([*user, VASCTL, *args],
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.args = args
        self.buf = ""

    def line(self, timeout=10):
        """The next line, or None when none came in time."""
        deadline = time.monotonic() + timeout
        while "\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if r:
                chunk = os.read(self.proc.stdout.fileno(), 65536).decode()
                if not chunk:
                    check(False, "vasctl %s ended: %d %s" % (
                        " ".join(self.args), self.proc.wait(),
                        self.proc.stderr.read()))
                self.buf += chunk
        line, self.buf = self.buf.split("\n", 1)
        return line

    def until(self, pred, what, timeout=15):
        """Lines up to and including the first for which pred holds."""
        got = []
        deadline = time.monotonic() + timeout
        while True:
            line = self.line(max(0, deadline - time.monotonic()))
            if line is None:
                fail("vasctl %s: no %s in time; got %r"
                     % (" ".join(self.args), what, got[-5:]))
            got.append(line)
            if pred(line):
                return got

    def stop(self):
        """SIGINT; returns the exit status."""
        self.proc.send_signal(signal.SIGINT)
        rc = self.proc.wait(10)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return rc
