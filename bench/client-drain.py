#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""client-drain: from PrepareForMigration to the last lock released, with
100 clients on libvasclient (tests/host/vasclient-test.c: one process, 100
clients each on a thread of the library's own, as libnxz would run it, 8
worker threads each submitting jobs the way libnxz would), over 100 bare
sd-bus clients that only close their fd on the signal (tests/host/
delay-clients.c: one process, one epoll set), on vasd and a private system
bus. The floor's process carries the same application: 8 worker threads a
client in the same loop of jobs, stopped by the signal and not waited for
(VASD_DRAIN_FLOOR_THREADS=0: none, as before the fourth session). 800
threads waking every GAP_US take the machine's CPU from the bus and vasd
in both, and are the application's cost, not the library's.

Both are timed by vasd itself, the same way: its ledger's
migration-quiesced record of each migration, written when the last lock
was released, carries when vasd took the call that began the quiesce
(`since`). Between the two vasd commits the migration's records (100
migration-asked) before it sends the signal: on a disk that is an fsync,
1 to 30 ms on this shared machine, as long as the clients' part or longer
and the same for both kinds, which brought the ratio towards 1 and buried
it in the disk's noise. The ledger is on a tmpfs (/dev/shm; VASD_DRAIN_TMPDIR
another), so what is timed is the signal, the clients' release and vasd
reading it. Each round is a
whole migration through drmgr's phases (check, pre, post) once every
client holds its lock again; pre's answer must say that all 100 locks were
released. The machine is shared and its load changes: the two kinds take
turns, BLOCKS times ROUNDS migrations each, a new process each block, its
first round left out. The library's workers submit a job every GAP_US,
each in flight for JOB_US: a job caught in flight is drained first, as the
library's user must. VASD_DRAIN_MODES=thread,loop adds the clients on the
program's own poll loop (vasclient-test -l). Last line:
  client-drain: ratio X (libvasclient's drain over bare sd-bus clients')"""

import os
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "host"))
import tempfile  # noqa: E402

from vasdtest import TempDir, check, ledger  # noqa: E402
from bustest import PrivateBus, start_vasd, inhibitors  # noqa: E402
from migtest import phase  # noqa: E402
from libclienttest import LibClients  # noqa: E402

DELAY_CLIENTS = os.environ["DELAY_CLIENTS"]
N = int(os.environ.get("VASD_DRAIN_CLIENTS", "100"))
THREADS = int(os.environ.get("VASD_DRAIN_THREADS", "8"))
BLOCKS = int(os.environ.get("VASD_DRAIN_BLOCKS", "4"))
ROUNDS = int(os.environ.get("VASD_DRAIN_ROUNDS", "4"))
JOB_US = int(os.environ.get("VASD_DRAIN_JOB_US", "100"))
GAP_US = int(os.environ.get("VASD_DRAIN_GAP_US", "100000"))
MODES = os.environ.get("VASD_DRAIN_MODES", "thread").split(",")
FLOOR_THREADS = int(os.environ.get("VASD_DRAIN_FLOOR_THREADS", str(THREADS)))
TMPDIR = os.environ.get("VASD_DRAIN_TMPDIR", "/dev/shm")
if TMPDIR and os.path.isdir(TMPDIR) and os.access(TMPDIR, os.W_OK):
    tempfile.tempdir = TMPDIR
RELEASED = re.compile(r"vasd: migration (\d+): (\d+) client locks? released in [0-9.]+ s")


def drain_ns(path, migration):
    """migration-quiesced's time less the signal's, as vasd recorded them."""
    db = ledger(path)
    rows = db.execute("SELECT coord_what, coord_count, coord_total, timestamp, coord_since "
                      "FROM events WHERE kind = 'migration-quiesced' AND coord_migration = ?",
                      (migration,)).fetchall()
    db.close()
    check(len(rows) == 1 and tuple(rows[0])[:3] == ("released", N, N),
          "migration %d: quiesced %r" % (migration, [tuple(r) for r in rows]))
    return rows[0]["timestamp"] - rows[0]["coord_since"]


def expect(c, pattern):
    line = c.stdout.readline().strip()
    m = re.fullmatch(pattern, line)
    check(m is not None, "delay-clients: %r, expected %r" % (line, pattern))
    return m


class Bare:
    """delay-clients: it runs drmgr's phases itself."""

    def __init__(self):
        self.c = subprocess.Popen([DELAY_CLIENTS, str(N), str(FLOOR_THREADS), str(JOB_US),
                                   str(GAP_US)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        expect(self.c, "held %d" % N)

    def migrate(self, migration):
        self.c.stdin.write("migrate\n")
        self.c.stdin.flush()
        expect(self.c, r"released %d %d" % (migration, N))
        expect(self.c, r"pre \d+ %d .*" % migration)
        expect(self.c, "resumed %d" % migration)
        expect(self.c, "held %d" % N)
        expect(self.c, r"post %d .*" % migration)

    def stop(self):
        self.c.stdin.close()
        check(self.c.wait(60) == 0, "delay-clients failed")

    def kill(self):
        if self.c.poll() is None:
            self.c.kill()
            self.c.wait(60)


class Library:
    """vasclient-test; drmgr's phases called here."""

    def __init__(self, d, mode):
        self.c = LibClients(d, "-c", str(N), "-t", str(THREADS), "-w", str(JOB_US),
                            "-g", str(GAP_US), "-q", *(["-l"] if mode == "loop" else []))
        self.c.wait("every lock", lambda: self.c.each(N, "lock-taken"), timeout=120)

    def migrate(self, migration):
        check(len(inhibitors()) == N, "locks before migration %d" % migration)
        m = self.c.mark()
        check(phase("check")[0] == str(migration), "check")
        name, msg = phase("pre")
        got = RELEASED.fullmatch(msg)
        check(name == str(migration) and got and got.group(2) == str(N), "pre: %r" % msg)
        phase("post")
        self.c.wait("every lock again", lambda: self.c.each(N, "lock-taken-again", m),
                    timeout=120)

    def stop(self):
        check(not self.c.violations(), "violations: %r" % self.c.violations())
        check(self.c.stop() == 0, "vasclient-test failed")

    def kill(self):
        self.c.kill()


with TempDir() as d:
    bus = PrivateBus(d)
    v = start_vasd(d)
    kinds = ["bare", *MODES]
    times = {k: [] for k in kinds}
    migration = 0
    try:
        for b in range(1, BLOCKS + 1):
            for kind in kinds:
                clients = Bare() if kind == "bare" else Library(d, kind)
                try:
                    got = []
                    for r in range(ROUNDS):
                        migration += 1
                        clients.migrate(migration)
                        got.append(drain_ns(v.db, migration))
                    clients.stop()
                finally:
                    clients.kill()
                times[kind] += got[1:]
                print("block %d, %s: %s ms" % (b, kind, ", ".join("%.2f" % (ns / 1e6)
                                                                  for ns in got)), flush=True)
        check(v.stop() == 0, "vasd did not stop cleanly")
    finally:
        v.close()
        bus.stop()

med = {k: statistics.median(times[k]) for k in kinds}
print("medians of %d migrations each, %d clients (floor: %d worker threads a client; "
      "ledger in %s): %s" % (len(times["bare"]), N, FLOOR_THREADS, tempfile.gettempdir(),
                             "; ".join("%s %.2f ms" % (k, med[k] / 1e6) for k in kinds)))
for k in MODES[1:]:
    print("client-drain (%s): ratio %.2f" % (k, med[k] / med["bare"]))
print("client-drain: ratio %.2f (libvasclient's drain, %d worker threads a client, over bare "
      "sd-bus clients')" % (med[MODES[0]] / med["bare"], THREADS))
