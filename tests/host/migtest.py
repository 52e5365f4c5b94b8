# SPDX-License-Identifier: GPL-2.0-only
"""Helpers for the migration coordinator's tests: drmgr's phases as the
hook brings them (root's busctl; dbus-send where the error's name
matters), clients that follow PrepareForMigration (bus-client follow), and
the coordinator's records as the ledger holds them, read with Python's
sqlite3."""

import json
import queue
import re
import subprocess
import threading
import time

from vasdtest import check, fail, vasctl
from bustest import BUS_CLIENT, manager, prop

PHASES = {"check": "MigrationCheck", "undocheck": "MigrationAbort",
          "pre": "MigrationPrepare", "post": "MigrationComplete"}


def phase(name, user=()):
    """A phase that must succeed: (migration, message)."""
    return tuple(manager(PHASES[name], user=user)["data"])


def phase_error(name, user=()):
    """A phase that must fail: (error name, message)."""
    p = subprocess.run([*user, "dbus-send", "--system", "--print-reply",
                        "--dest=org.vasd1", "/org/vasd1",
                        "org.vasd1.Manager." + PHASES[name]],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode != 0, "%s succeeded: %s" % (name, p.stdout))
    m = re.match(r"Error (\S+): (.*)", p.stderr.strip(), re.S)
    check(m is not None, "%s: dbus-send said %r" % (name, p.stderr))
    return m.group(1), m.group(2)


class Phase:
    """A phase called in the background (pre waits for the clients)."""

    def __init__(self, name):
        self.name = name
        self.start = time.monotonic()
        self.proc = subprocess.Popen(
            ["busctl", "--system", "--json=short", "call", "org.vasd1",
             "/org/vasd1", "org.vasd1.Manager", PHASES[name]],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def done(self):
        return self.proc.poll() is not None

    def result(self, timeout=30):
        out, err = self.proc.communicate(timeout=timeout)
        self.elapsed = time.monotonic() - self.start
        check(self.proc.returncode == 0, "%s: %s" % (self.name, err.strip()))
        return tuple(json.loads(out)["data"])

    def failed(self, timeout=30):
        out, err = self.proc.communicate(timeout=timeout)
        check(self.proc.returncode != 0, "%s succeeded: %s" % (self.name, out))
        return err.strip()


class Follower:
    """A client with one inhibitor lock that closes it ms after
    PrepareForMigration(true) (never for -1)."""

    def __init__(self, mode="delay", ms=0, user=()):
        self.proc = subprocess.Popen([*user, BUS_CLIENT, "follow", mode, str(ms)],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        threading.Thread(target=self.read, daemon=True).start()
        self.expect("held")

    def read(self):
        for line in self.proc.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)

    def expect(self, want, timeout=30):
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            fail("bus-client follow: no %r within %ss" % (want, timeout))
        check(line == want, "bus-client follow: %r, expected %r" % (line, want))

    def nothing(self):
        check(self.lines.empty(), "bus-client follow: %r" % self.lines.queue)

    def close(self):
        self.proc.stdin.write("close\n")
        self.proc.stdin.flush()
        self.expect("closed")

    def quit(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(10)

    @property
    def pid(self):
        return self.proc.pid


COORD_SQL = """
SELECT position, kind, timestamp, coord_migration AS migration,
       coord_lock AS lock, coord_since AS since, coord_token AS token,
       coord_what AS what, coord_count AS count, coord_total AS total,
       coord_pid AS pid, coord_uid AS uid, coord_comm AS comm,
       migration_stream_id AS stream, migration_phase AS phase,
       migration_token AS ktoken, window_id, window_comm, window_state
FROM events
WHERE position > ? AND (kind LIKE 'inhibitor-%'
                        OR (kind LIKE 'migration-%' AND kind != 'migration-change'))
ORDER BY position
"""


def last_position(db):
    return db.execute("SELECT coalesce(max(position), 0) FROM events").fetchone()[0]


def records(db, after=0):
    """The coordinator's events after position `after`, as dicts."""
    return [dict(r) for r in db.execute(COORD_SQL, (after,))]


def kinds(recs):
    return [(r["kind"], r["what"]) for r in recs]


def check_kinds(recs, want, what):
    got = kinds(recs)
    check(got == want, "%s: the ledger has\n  %s\nexpected\n  %s" % (what, got, want))


def wait_record(db, after, kind, what=None, timeout=30):
    """Wait until a record of kind (and what) is committed; returns it."""
    deadline = time.monotonic() + timeout
    while True:
        for r in records(db, after):
            if r["kind"] == kind and (what is None or r["what"] == what):
                return r
        check(time.monotonic() < deadline, "no %s %s in the ledger" % (kind, what or ""))
        time.sleep(0.05)


def read_client_log(path, key):
    """The reference client's --log: key ("who" or "pid") -> the steps
    logged, in order; a line still being written is left for the next
    read."""
    steps = {}
    with open(path) as f:
        for line in f:
            if not line.endswith("\n"):
                break
            s = json.loads(line)
            steps.setdefault(s[key], []).append(s)
    return steps


def wait_prop(name, value, timeout=10):
    deadline = time.monotonic() + timeout
    while prop(name) != value:
        check(time.monotonic() < deadline, "%s: %r, expected %r" % (name, prop(name), value))
        time.sleep(0.05)


def verify(path):
    p = vasctl("ledger", "verify", "--database", path, check_rc=0)
    check("equal" in p.stdout, "verify: %s" % p.stdout)
