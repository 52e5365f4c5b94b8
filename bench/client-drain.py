#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""client-drain: from PrepareForMigration to the last lock released, with
100 clients on libvasclient (tests/host/vasclient-test.c: one process, 100
clients on the library's threads, 8 worker threads each submitting jobs the
way libnxz would), over 100 bare sd-bus clients that only close their fd on
the signal (tests/host/delay-clients.c: one process, one epoll set), in the
same run, on vasd and a private system bus.

Both are timed by vasd itself, the same way: its ledger's
migration-quiesced record of each migration, written when the last lock
was released, carries when the signal was sent (`since`). Each round is a
whole migration through drmgr's phases (check, pre, post) once every
client holds its lock again; pre's answer must say that all 100 locks were
released. Medians of the rounds after the first. The library's workers
submit a job every GAP_US, each in flight for JOB_US: a job caught in
flight is drained first, as the library's user must. Last line:
  client-drain: ratio X (libvasclient's drain over bare sd-bus clients')"""

import os
import re
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "host"))
from vasdtest import TempDir, check, ledger  # noqa: E402
from bustest import PrivateBus, start_vasd, inhibitors  # noqa: E402
from migtest import phase  # noqa: E402
from libclienttest import LibClients  # noqa: E402
import subprocess  # noqa: E402

DELAY_CLIENTS = os.environ["DELAY_CLIENTS"]
N = int(os.environ.get("VASD_DRAIN_CLIENTS", "100"))
THREADS = int(os.environ.get("VASD_DRAIN_THREADS", "8"))
ROUNDS = int(os.environ.get("VASD_DRAIN_ROUNDS", "8"))
JOB_US = int(os.environ.get("VASD_DRAIN_JOB_US", "100"))
GAP_US = int(os.environ.get("VASD_DRAIN_GAP_US", "100000"))
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


with TempDir() as d:
    bus = PrivateBus(d)
    v = start_vasd(d)
    floor, lib = [], []
    migration = 0
    try:
        # the floor: bare clients, delay-clients runs drmgr's phases itself
        c = subprocess.Popen([DELAY_CLIENTS, str(N)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
        try:
            expect(c, "held %d" % N)
            for r in range(1, ROUNDS + 1):
                migration += 1
                c.stdin.write("migrate\n")
                c.stdin.flush()
                expect(c, r"released %d %d" % (migration, N))
                expect(c, r"pre \d+ %d .*" % migration)
                expect(c, "resumed %d" % migration)
                expect(c, "held %d" % N)
                expect(c, r"post %d .*" % migration)
                ns = drain_ns(v.db, migration)
                print("bare round %d: %.2f ms" % (r, ns / 1e6), flush=True)
                if r > 1:
                    floor.append(ns)
            c.stdin.close()
            check(c.wait(60) == 0, "delay-clients failed")
        finally:
            if c.poll() is None:
                c.kill()

        lc = LibClients(d, "-c", str(N), "-t", str(THREADS), "-w", str(JOB_US),
                        "-g", str(GAP_US))
        try:
            lc.wait("every lock", lambda: lc.each(N, "lock-taken"), timeout=120)
            for r in range(1, ROUNDS + 1):
                check(len(inhibitors()) == N, "locks before round %d" % r)
                m = lc.mark()
                migration += 1
                check(phase("check")[0] == str(migration), "check")
                name, msg = phase("pre")
                got = RELEASED.fullmatch(msg)
                check(name == str(migration) and got and got.group(2) == str(N),
                      "pre: %r" % msg)
                phase("post")
                lc.wait("every lock again", lambda: lc.each(N, "lock-taken-again", m),
                        timeout=120)
                ns = drain_ns(v.db, migration)
                print("libvasclient round %d: %.2f ms" % (r, ns / 1e6), flush=True)
                if r > 1:
                    lib.append(ns)
            check(not lc.violations(), "violations: %r" % lc.violations())
            check(lc.stop() == 0, "vasclient-test failed")
        finally:
            lc.kill()
        check(v.stop() == 0, "vasd did not stop cleanly")
    finally:
        v.close()
        bus.stop()

f, li = statistics.median(floor), statistics.median(lib)
print("medians of %d rounds, %d clients: bare %.2f ms; libvasclient (%d threads each) %.2f ms"
      % (len(floor), N, f / 1e6, THREADS, li / 1e6))
print("client-drain: ratio %.2f (libvasclient's drain over bare sd-bus clients')" % (li / f))
