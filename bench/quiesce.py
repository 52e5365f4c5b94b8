#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""quiesce: how long drmgr's `pre` (MigrationPrepare, called as root) takes
to return with 1000 clients that each hold a delay lock and close it as
soon as PrepareForMigration(true) reaches them (tests/host/delay-clients.c:
1000 connections in one process), against 1000 Pings to vasd sent at once
by the same clients on the same bus, in the same run.

The floor: a quiesce is, at the least, vasd telling every client and
hearing back from each; 1000 concurrent Pings to vasd are that through the
same bus, connections and event loops (a message to each client and one
from each, every one through dbus-daemon and vasd's sd-bus), without what
the coordinator adds (the ledger's records and COMMITs, the signal's
fan-out, the locks' fds). Pings one after the other would add the round
trips' latencies and flatter pre; a bare PrepareForMigration fan-out (bench/
signal-fanout) leaves out the way back.

Each round is a whole migration (check, the timed pre, post) after the
Pings, so the coordinator is idle again and every client holds a new lock;
pre's answer must say that all 1000 locks were released, and the ledger
must hold 1000 asked and 1000 released for the migration. Medians of the
rounds after the first. Last line:
  quiesce: ratio X (pre with 1000 releasing clients over 1000 Pings)"""

import os
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "host"))
from vasdtest import TempDir, check, ledger  # noqa: E402
from bustest import PrivateBus, prop, start_vasd  # noqa: E402

CLIENTS = os.environ["DELAY_CLIENTS"]
N = int(os.environ.get("VASD_QUIESCE_CLIENTS", "1000"))
ROUNDS = int(os.environ.get("VASD_QUIESCE_ROUNDS", "8"))
PRE = re.compile(r"pre (\d+) (\d+) (.*)")
RELEASED = re.compile(r"vasd: migration (\d+): (\d+) client locks? released in [0-9.]+ s")


def expect(c, pattern):
    line = c.stdout.readline().strip()
    m = re.fullmatch(pattern, line)
    check(m is not None, "delay-clients: %r, expected %r" % (line, pattern))
    return m


def check_ledger(path, migration):
    """Every client was asked, and every one released, in this migration."""
    db = ledger(path)
    n = dict(db.execute("SELECT kind, count(*) FROM events WHERE coord_migration = ? "
                        "AND kind IN ('migration-asked', 'inhibitor-release', "
                        "'migration-timeout') GROUP BY kind", (migration,)).fetchall())
    q = db.execute("SELECT coord_what, coord_count, coord_total FROM events "
                   "WHERE kind = 'migration-quiesced' AND coord_migration = ?",
                   (migration,)).fetchall()
    db.close()
    check(n == {"migration-asked": N, "inhibitor-release": N},
          "migration %d: the ledger has %r" % (migration, n))
    check([tuple(r) for r in q] == [("released", N, N)],
          "migration %d: quiesced %r" % (migration, [tuple(r) for r in q]))


with TempDir() as d:
    bus = PrivateBus(d)
    v = start_vasd(d)
    c = None
    try:
        c = subprocess.Popen([CLIENTS, str(N)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
        expect(c, "held %d" % N)
        pings, pres = [], []
        for r in range(1, ROUNDS + 1):
            c.stdin.write("ping\n")
            c.stdin.flush()
            ping = int(expect(c, r"ping (\d+)").group(1))
            c.stdin.write("migrate\n")
            c.stdin.flush()
            expect(c, r"released %d %d" % (r, N))
            pre, name, message = expect(c, PRE.pattern).groups()
            pre = int(pre)
            m = RELEASED.fullmatch(message)
            check(name == str(r) and m and m.groups() == (str(r), str(N)),
                  "pre %s: %r" % (name, message))
            expect(c, "resumed %d" % r)
            expect(c, "held %d" % N)
            expect(c, r"post %d vasd: migration %d closed: \w+" % (r, r))
            check(prop("MigrationState") == "idle", "not idle after post")
            check_ledger(v.db, r)
            print("round %d: %d Pings at once %.2f ms; pre with %d releasing clients %.2f ms (%.2f x)"
                  % (r, N, ping / 1e6, N, pre / 1e6, pre / ping), flush=True)
            if r > 1:
                pings.append(ping)
                pres.append(pre)
        c.stdin.close()
        check(c.wait(60) == 0, "the clients failed")
        c = None
        check(v.stop() == 0, "vasd did not stop cleanly")
    finally:
        if c and c.poll() is None:
            c.kill()
        v.close()
        bus.stop()

ping, pre = statistics.median(pings), statistics.median(pres)
print("medians of %d rounds, %d clients: %d Pings at once %.2f ms; pre %.2f ms"
      % (len(pings), N, N, ping / 1e6, pre / 1e6))
print("quiesce: ratio %.2f (pre with %d releasing clients over %d Pings)"
      % (pre / ping, N, N))
