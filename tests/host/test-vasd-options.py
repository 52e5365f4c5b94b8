#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""vasd's command line: --help and --version succeed, bad options fail
with status 2 and say what is wrong; with no kernel part vasd is ready
anyway, says it waits, and stops cleanly."""

import os
import subprocess

from vasdtest import Scenarios, TempDir, VASD, Vasd, check, ledger, log


def run(*args):
    return subprocess.run([VASD, *args], capture_output=True, text=True,
                          timeout=30)


BAD = ((["--bogus"], "unrecognized"),
       (["--kernel", "tcp:1"], "--kernel"),
       (["--batch-events", "0"], "--batch-events"),
       (["--batch-ms", "x"], "--batch-ms"),
       (["--rcvbuf", "12Q"], "--rcvbuf"),
       (["--log-level", "loud"], "--log-level"),
       (["--inhibit-delay-max", "0"], "--inhibit-delay-max"),
       (["--inhibit-delay-max", "1.5s"], "--inhibit-delay-max"),
       (["--inhibit-delay-max", "3601"], "--inhibit-delay-max"),
       (["extra"], "Unexpected"))

with Scenarios() as scenario:
    with scenario("--help"):
        p = run("--help")
        check(p.returncode == 0 and "--database" in p.stdout and
              "--inhibit-delay-max=SEC" in p.stdout, "--help: %r" % p.stdout)
    with scenario("--version"):
        p = run("--version")
        check(p.returncode == 0 and p.stdout.startswith("vasd "), "--version: %r" % p.stdout)
    for args, needle in BAD:
        with scenario(" ".join(args)):
            p = run(*args)
            check(p.returncode == 2, "%s: exit %d" % (args, p.returncode))
            check(needle in p.stderr, "%s: %r not in %r" % (args, needle, p.stderr))
    log("options: --help, --version and %d bad command lines behave" % len(BAD))

    with scenario("no kernel part"), TempDir() as d:
        v = Vasd(d, "unix:" + os.path.join(d, "absent.sock")).start()
        try:
            v.wait_notify("Waiting for the kernel part")
            check(v.stop() == 0, "vasd did not stop cleanly")
            check("not available" in v.log_tail(), "no word about the kernel part")
            kinds = [r[0] for r in ledger(v.db).execute(
                "SELECT kind FROM events ORDER BY position")]
            check(kinds == ["daemon-start", "daemon-stop"], "events: %s" % kinds)
        finally:
            v.close()
        log("no kernel part: ready, waiting, stopped cleanly")
