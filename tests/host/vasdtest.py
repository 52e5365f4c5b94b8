# SPDX-License-Identifier: GPL-2.0-only
"""Helpers for the host tests: run the fake kernel and vasd as systemd
would (NOTIFY_SOCKET, READY=1, SIGTERM), and read the ledger with Python's
own sqlite3 module, independently of vasd's code."""

import atexit
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback

VASD = os.environ.get("VASD", "")
VASCTL = os.environ.get("VASCTL", "")
FAKE_KERNEL = os.environ.get("FAKE_KERNEL", "")
# e.g. valgrind and its options (tools/valgrind-wrap sets it): vasd runs
# under it, and its exit status tells its errors
WRAPPER = os.environ.get("VASD_WRAPPER", "").split()
# vasd runs under valgrind or was built with sanitizers: several times slower
SLOW = bool(WRAPPER) or os.environ.get("VASD_SANITIZE", "none") != "none"


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr, flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def log(msg):
    print(msg, flush=True)


class Scenarios:
    """The named scenarios of a test, as unittest's subTest: each runs in
    `with s("name"):`, a failure says which scenario failed and the
    scenarios after it still run, and leaving `with Scenarios() as s:`
    fails the test when any did."""

    def __init__(self):
        self.failed = []

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        if kind is None and self.failed:
            fail("%d scenario(s) failed: %s" % (len(self.failed), "; ".join(self.failed)))

    @contextlib.contextmanager
    def __call__(self, name):
        try:
            yield
        except SystemExit as e:
            # check() and fail() exit 1 after saying why
            if e.code in (0, None):
                raise
            self.failed.append(name)
            print("FAIL: scenario '%s'" % name, file=sys.stderr, flush=True)
        except Exception:
            self.failed.append(name)
            traceback.print_exc()
            print("FAIL: scenario '%s': an exception" % name, file=sys.stderr, flush=True)


class TempDir:
    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="vasd-host.")

    def __enter__(self):
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)


class FakeKernel:
    """The fake kernel, fed a script on its stdin, line by line."""

    def __init__(self, directory, extra=()):
        self.socket = os.path.join(directory, "kernel.sock")
        self.dir = directory
        self.stderr = open(os.path.join(directory, "fake-kernel.log"), "w")
        self.proc = subprocess.Popen(
            [FAKE_KERNEL, "--socket", self.socket, "--linger", *extra],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=self.stderr, text=True)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.socket):
            check(self.proc.poll() is None, "fake kernel exited at start")
            check(time.monotonic() < deadline, "fake kernel did not listen")
            time.sleep(0.01)
        # nothing of a test outlives it, failed or not
        atexit.register(self.stop)

    def run(self, *lines):
        for line in lines:
            self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def truth(self, timeout=30):
        """Ask for the truth and wait until the script got there."""
        path = os.path.join(self.dir, "truth-%d.json" % time.monotonic_ns())
        self.run("truth " + path)
        deadline = time.monotonic() + timeout
        while not os.path.exists(path):
            check(self.proc.poll() is None, "fake kernel died")
            check(time.monotonic() < deadline, "no truth from the fake kernel")
            time.sleep(0.01)
        with open(path) as f:
            return json.load(f)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)
        self.stderr.close()

    @property
    def spec(self):
        return "unix:" + self.socket


class Vasd:
    """vasd on a ledger in directory, started as systemd would start it."""

    count = 0

    def __init__(self, directory, kernel_spec, extra=(), db=None, bus=False,
                 wrap=()):
        Vasd.count += 1
        self.n = Vasd.count
        self.dir = directory
        self.bus = bus
        self.db = db or os.path.join(directory, "ledger.db")
        self.kernel = kernel_spec
        self.extra = list(extra)
        # a command prefix, e.g. a mount namespace (test-journal.py)
        self.wrap = list(wrap)
        self.proc = None
        self.status = ""
        # One socket per Vasd: two of them may share a directory.
        self.notify_path = os.path.join(directory, "notify-%d" % self.n)
        self.log_path = os.path.join(directory, "vasd-%d.log" % self.n)
        # root's socket beside the bus (vasctl uses it with
        # VASD_PRIVATE_SOCKET set): one per vasd, never /run/vasd's
        self.private = os.path.join(directory, "private-%d" % self.n)
        self.notify = None
        atexit.register(self.close)

    def spawn(self):
        if self.notify is None:
            self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            if os.path.exists(self.notify_path):
                os.unlink(self.notify_path)
            self.notify.bind(self.notify_path)
            self.notify.settimeout(0.1)
            self.messages = []
            self.cond = threading.Condition()
            self.closing = False
            # Read the notify socket all the time, as systemd does: a full
            # socket would block vasd in sd_notify().
            self.reader = threading.Thread(target=self.read_notify,
                                           daemon=True)
            self.reader.start()
        with self.cond:
            self.mark = len(self.messages)
        env = dict(os.environ, NOTIFY_SOCKET=self.notify_path)
        self.logf = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [*self.wrap, *WRAPPER, VASD, "--database", self.db, "--kernel", self.kernel,
             *(["--private-socket=" + self.private] if self.bus else ["--no-bus"]),
             *self.extra],
            env=env, stdout=self.logf, stderr=self.logf)
        return self

    def read_notify(self):
        while not self.closing:
            try:
                msg = self.notify.recv(4096).decode()
            except socket.timeout:
                continue
            except OSError:
                return
            with self.cond:
                self.messages.append(msg)
                for line in msg.split("\n"):
                    if line.startswith("STATUS="):
                        self.status = line[7:]
                self.cond.notify_all()

    def start(self, timeout=30):
        self.spawn()
        self.wait_notify("READY=1", timeout)
        return self

    def wait_for(self, pred, what, timeout=30):
        """Wait until pred(message) holds for a notification sent since
        the last spawn."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while not any(pred(m) for m in self.messages[self.mark:]):
                left = deadline - time.monotonic()
                if left <= 0:
                    fail("vasd did not say %s within %ss (last status: %s)\n%s"
                         % (what, timeout, self.status, self.log_tail()))
                if self.proc.poll() is not None:
                    fail("vasd exited with %d while we waited for %s\n%s"
                         % (self.proc.returncode, what, self.log_tail()))
                self.cond.wait(min(left, 0.1))

    def wait_notify(self, needle, timeout=30):
        self.wait_for(lambda m: needle in m, repr(needle), timeout)

    def wait_seq(self, seq, timeout=30, gen=None):
        """The status is sent at most every 100 ms: wait for one at seq or
        past it (of generation gen, when given)."""
        def reached(m):
            r = re.search(r"generation ([0-9a-f]{16}) at seq (\d+):", m)
            return (r is not None and int(r.group(2)) >= seq and
                    (gen is None or int(r.group(1), 16) == u64(gen)))
        self.wait_for(reached, "seq %d" % seq, timeout)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.wait_exit(30)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        self.logf.close()

    def wait_exit(self, timeout=30):
        rc = self.proc.wait(timeout)
        self.logf.close()
        return rc

    def log_tail(self, n=30):
        try:
            with open(self.log_path) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.kill()
        if self.notify:
            self.closing = True
            self.reader.join()
            self.notify.close()
            self.notify = None


def peak_rss(pid):
    """A process's peak resident set size (VmHWM), in bytes."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    fail("no VmHWM for %d" % pid)


def ledger(path):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
    db.row_factory = sqlite3.Row
    return db


WINDOW_FIELDS = ("id", "tgid", "pid", "comm", "cop", "type", "state",
                 "reason", "opened_at", "uid")


def ledger_windows(db):
    rows = db.execute("SELECT %s FROM windows ORDER BY id"
                      % ", ".join(WINDOW_FIELDS)).fetchall()
    return [tuple(r) for r in rows]


def truth_windows(truth):
    return sorted(tuple(w[f] for f in WINDOW_FIELDS)
                  for w in truth["windows"])


def check_windows(db, truth):
    got, want = ledger_windows(db), truth_windows(truth)
    if got != want:
        fail("ledger windows differ from the kernel's:\n ledger: %s\n kernel: %s"
             % (got[:10], want[:10]))
    return len(got)


def u64(v):
    """SQLite stores a u64 as a signed INTEGER."""
    return v & 0xFFFFFFFFFFFFFFFF


def is_coord(kind):
    """The migration coordinator's kinds: vasd's facts, without a seq."""
    return (kind.startswith("inhibitor-") or
            (kind.startswith("migration-") and kind != "migration-change"))


def check_seqs(db, generation, last):
    """Every seq is stored once in order or covered by a later resync-end.
    Returns the resyncs after the first, by reason."""
    expect = gen = None
    reasons = {}
    pending = None
    for row in db.execute("SELECT kind, generation, seq, reason FROM events "
                          "WHERE kind NOT LIKE 'daemon%' ORDER BY position"):
        kind = row["kind"]
        if is_coord(kind):
            continue
        if kind == "resync-begin":
            pending = row["reason"]
        elif kind == "resync-end":
            if expect is not None:
                reasons[pending] = reasons.get(pending, 0) + 1
                if u64(row["generation"]) == gen:
                    check(row["seq"] + 1 >= expect,
                          "resync went back to %d from %d" % (row["seq"], expect - 1))
            gen = u64(row["generation"])
            expect = row["seq"] + 1
        elif not kind.startswith("resync"):
            check(expect is not None, "%s before the first resync" % kind)
            check(u64(row["generation"]) == gen, "%s of another generation" % kind)
            check(row["seq"] == expect, "%s: seq %d, expected %d"
                  % (kind, row["seq"], expect))
            expect += 1
    check(gen == u64(generation), "ledger follows generation %x, kernel is %x"
          % (gen, generation))
    check(expect == last + 1, "ledger ends at seq %d, kernel at %d"
          % (expect - 1, last))
    return reasons


def wait_until(what, pred, timeout=60):
    """pred()'s first true value within timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        got = pred()
        if got:
            return got
        check(time.monotonic() < deadline, "not within %ds: %s" % (timeout, what))
        time.sleep(0.05)


def vasctl(*args, check_rc=None):
    p = subprocess.run([VASCTL, *args], capture_output=True, text=True)
    if check_rc is not None and p.returncode != check_rc:
        fail("vasctl %s exited %d (expected %d):\n%s%s"
             % (" ".join(args), p.returncode, check_rc, p.stdout, p.stderr))
    return p
