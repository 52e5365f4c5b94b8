#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""One vasd per ledger (issue 13, finding 6): a second vasd on a ledger
another vasd writes -- on the bus or with --no-bus -- exits 4 saying the
ledger is locked, writes nothing (the last position stays), and the first
goes on serving. A vasd that cannot have org.vasd1 (another vasd holds
it, on another ledger) appends nothing to its own ledger."""

import os

from vasdtest import Scenarios, TempDir, Vasd, check, ledger, log
from bustest import PrivateBus, manager, ping_vasd, start_vasd

EXIT_LOCKED = 4


def last_position(db):
    return ledger(db).execute("SELECT max(position) FROM events").fetchone()[0]


def second(d, db, bus):
    """A second vasd on db: its exit status and its log."""
    v = Vasd(d, "unix:" + os.path.join(d, "absent.sock"), db=db, bus=bus).spawn()
    try:
        rc = v.wait_exit()
        return rc, v.log_tail()
    finally:
        v.close()


with TempDir() as d, Scenarios() as s:
    bus = PrivateBus(d)
    first = start_vasd(d)
    try:
        for name, on_bus in (("on the bus", True), ("--no-bus", False)):
            with s("a second vasd on the same ledger, " + name):
                before = last_position(first.db)
                rc, out = second(d, first.db, on_bus)
                check(rc == EXIT_LOCKED,
                      "second vasd exited %d, expected %d:\n%s" % (rc, EXIT_LOCKED, out))
                check("is locked: another vasd writes it" in out,
                      "no word of the lock:\n%s" % out)
                check(last_position(first.db) == before,
                      "the ledger moved from %s to %s" % (before, last_position(first.db)))
                check(first.proc.poll() is None, "the first vasd exited")
                ping_vasd()
                check(manager("ListInhibitors")["data"][0] == [],
                      "the first vasd does not answer")
                log("second vasd %s: exit %d, ledger still at position %d, the first serves"
                    % (name, rc, before))

        with s("a second vasd without the bus name writes nothing"):
            other = os.path.join(d, "other.db")
            rc, out = second(d, other, True)
            check(rc == 1 and "is taken" in out,
                  "vasd without the name: exit %d\n%s" % (rc, out))
            n = ledger(other).execute("SELECT count(*) FROM events").fetchone()[0]
            check(n == 0, "%d events appended before the name was held" % n)
            check(first.proc.poll() is None, "the first vasd exited")
            log("a vasd refused org.vasd1 exits 1 with 0 events in its ledger")
    finally:
        check(first.stop() == 0, "the first vasd did not stop cleanly")
        first.close()
        bus.stop()
