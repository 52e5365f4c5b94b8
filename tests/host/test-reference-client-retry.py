#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The reference client refused a lock (issue 13, finding 3): a user's
other process holds every lock vasd lets one user have
(--max-locks-per-user), so vasd answers the client's Inhibit with
TooManyInhibitors; the client logs the refusal and tries again with a
backoff (1 s, then 2 s, ..., each with up to half again at random), and
once the other process lets go it holds its lock, and the next migration
waits for it: drmgr's pre is answered when it released it."""

import json
import os
import subprocess
import time

from vasdtest import TempDir, check, log
from bustest import BUS_CLIENT, PrivateBus, manager, start_vasd, unprivileged
from migtest import phase

VAS_CLIENT = os.environ.get("VAS_CLIENT", "")
NOBODY = unprivileged()


def steps(path):
    try:
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def wait_step(path, step, n=1, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        got = [s for s in steps(path) if s.get("step") == step]
        if len(got) >= n:
            return got
        check(time.monotonic() < deadline,
              "no %d %r in the client's log: %r" % (n, step, steps(path)))
        time.sleep(0.05)


with TempDir() as d:
    bus = PrivateBus(d)
    v = start_vasd(d, extra=("--max-locks-per-user=2",))
    logs = os.path.join(d, "clients")
    os.mkdir(logs)
    os.chmod(logs, 0o777)
    client_log = os.path.join(logs, "client.log")
    hog = client = None
    try:
        # nobody's other process holds nobody's two locks
        hog = subprocess.Popen([*NOBODY, BUS_CLIENT, "inhibit", "2", "delay"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        lines = [hog.stdout.readline().strip() for _ in range(3)]
        check(lines == ["ok", "ok", "held 2"], "the hog: %s" % lines)

        client = subprocess.Popen([*NOBODY, VAS_CLIENT, "--who", "retrier", "--no-window",
                                   "--work-ms", "50", "--log", client_log],
                                  stdout=subprocess.DEVNULL,
                                  stderr=open(os.path.join(d, "client.err"), "w"))
        failed = wait_step(client_log, "inhibit-failed", 2)
        check(all(s["error"] == "org.vasd1.Error.TooManyInhibitors" for s in failed),
              "refusals: %r" % failed)
        retries = wait_step(client_log, "inhibit-retry", 2)
        first, second = retries[0]["after_ms"], retries[1]["after_ms"]
        check(1000 <= first <= 1500 and 2000 <= second <= 3000,
              "backoff: %d ms then %d ms" % (first, second))
        check(not [s for s in steps(client_log) if s.get("step") == "lock-taken"],
              "a lock taken past the user's limit")
        log("refused twice (TooManyInhibitors), retried after %d ms, then %d ms" % (first, second))

        hog.stdin.close()
        hog.wait(10)
        wait_step(client_log, "lock-taken", 1, timeout=30)
        held = manager("ListInhibitors")["data"][0]
        check(held == [["migration", "retrier", held[0][2], "delay", 65534, client.pid]],
              "ListInhibitors: %r" % held)
        log("the hog let go: the client's retry took its lock")

        check(phase("check")[0] == "1", "check")
        m, msg = phase("pre")
        check(m == "1" and msg.startswith("vasd: migration 1: 1 client lock released in "),
              "pre: %r" % msg)
        wait_step(client_log, "lock-released")
        check(phase("post")[0] == "1", "post")
        wait_step(client_log, "lock-taken-again")
        log("the next migration waited for it: %s" % msg)
        check(v.stop() == 0, "vasd did not stop cleanly")
    finally:
        for p in (hog, client):
            if p and p.poll() is None:
                p.terminate()
                p.wait(10)
        v.close()
        bus.stop()
log("ok")
