#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""signal-fanout: how long one PrepareForMigration takes to reach 1000
subscribed clients (bench/signal-fanout.c: 1000 connections in one process),
against 1000 Pings to vasd sent at once by the same clients, in the same
run. The fake kernel migrates; vasd commits its prepare and sends the
signal. Per round, the time runs from the kernel's timestamp of prepare
to the last client's receipt (what a migration waits for), and the Pings
from the first sent to the last reply. Medians of the rounds after the
first. Last line:
  signal-fanout: ratio X (prepare to the 1000th client over 1000 concurrent Pings)"""

import os
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tests", "host"))
from vasdtest import FakeKernel, TempDir, Vasd, check, ledger  # noqa: E402
from bustest import PrivateBus  # noqa: E402

CLIENT = os.environ["SIGNAL_FANOUT"]
N = int(os.environ.get("VASD_FANOUT_CLIENTS", "1000"))
ROUNDS = int(os.environ.get("VASD_FANOUT_ROUNDS", "8"))
ROUND = re.compile(r"round (\d+): ping (\d+); true first (\d+) last (\d+) "
                   r"spread (\d+); false last (\d+)")


def prepare_timestamp(path, stream):
    db = ledger(path)
    row = db.execute("SELECT timestamp FROM events WHERE kind = 'migration-change' "
                     "AND migration_stream_id = ? AND migration_phase = 1",
                     (stream,)).fetchone()
    db.close()
    check(row is not None, "no prepare of stream %d in the ledger" % stream)
    return row[0]


with TempDir() as d:
    bus = PrivateBus(d, limits={"max_connections_per_user": N + 100,
                                "max_completed_connections": N + 100})
    k = FakeKernel(d)
    v = Vasd(d, k.spec, bus=True).start()
    c = None
    try:
        c = subprocess.Popen([CLIENT, str(N), str(ROUNDS)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
        line = c.stdout.readline().strip()
        check(line == "connected %d" % N, "clients: %r" % line)
        pings, e2e, first, spread = [], [], [], []
        for r in range(1, ROUNDS + 1):
            line = c.stdout.readline().strip()
            check(line == "ready", "clients: %r" % line)
            k.run("migrate stream=%d" % r)
            line = c.stdout.readline().strip()
            m = ROUND.fullmatch(line)
            check(m and int(m.group(1)) == r, "clients: %r" % line)
            ping, t_first, t_last, t_spread = (int(m.group(i)) for i in (2, 3, 4, 5))
            ts = prepare_timestamp(v.db, r)
            print("round %d: %d Pings %.2f ms; prepare to the first client %.2f ms, to the last %.2f ms (spread %.2f ms)"
                  % (r, N, ping / 1e6, (t_first - ts) / 1e6, (t_last - ts) / 1e6, t_spread / 1e6))
            if r > 1:
                pings.append(ping)
                e2e.append(t_last - ts)
                first.append(t_first - ts)
                spread.append(t_spread)
            k.truth()
            c.stdin.write("next\n")
            c.stdin.flush()
        check(c.wait(60) == 0, "the clients failed")
        check(v.stop() == 0, "vasd did not stop cleanly")
    finally:
        if c and c.poll() is None:
            c.kill()
        v.close()
        k.stop()
        bus.stop()

ping, last, first, spread = (statistics.median(x) for x in (pings, e2e, first, spread))
print("medians of %d rounds, %d clients: %d Pings at once %.2f ms; PrepareForMigration from the kernel's prepare to the first client %.2f ms, to the last %.2f ms; first to last receipt %.2f ms"
      % (len(pings), N, N, ping / 1e6, first / 1e6, last / 1e6, spread / 1e6))
print("signal-fanout: ratio %.2f (first to last receipt of the signal over %d concurrent Pings)" % (spread / ping, N))
print("signal-fanout: ratio %.2f (prepare to the %dth client over %d concurrent Pings)" % (last / ping, N, N))
