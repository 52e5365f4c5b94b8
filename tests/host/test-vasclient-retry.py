#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""libvasclient refused, or without vasd: three clients of one process run
as nobody (vasclient-test.c, two worker threads each).

- No vasd yet: each Inhibit fails (ServiceUnknown) and is tried again after
  1 to 1.5 s; the jobs run meanwhile, uncoordinated.
- vasd starts with --max-locks-per-user=2: each client asks again
  (NameOwnerChanged, or its backoff); two hold locks, the
  third is refused (TooManyInhibitors) and tries again after 1-1.5 s, then
  2-3 s, never holding a lock past the limit.
- One holder freed: the refused client's next retry takes the lock.
- pre waits for both holders; post gives them new locks."""

from vasdtest import TempDir, check, log, wait_until
from bustest import PrivateBus, inhibitors, start_vasd, unprivileged
from migtest import phase
from libclienttest import LibClients

NOBODY = unprivileged()
K = 3
TOO_MANY = "org.vasd1.Error.TooManyInhibitors"


def between(e, lo_ms, hi_ms):
    return lo_ms * 1000 <= e["value"] <= hi_ms * 1000


with TempDir() as d:
    bus = PrivateBus(d)
    c = v = None
    try:
        c = LibClients(d, "-c", str(K), "-t", "2", user=NOBODY)
        c.wait("each client's first retry", lambda: c.each(K, "inhibit-retry"))
        for i in range(K):
            failed = c.events(i, "inhibit-failed")[0]
            retry = c.events(i, "inhibit-retry")[0]
            check(failed["detail"] == "org.freedesktop.DBus.Error.ServiceUnknown",
                  "client %d without vasd: %r" % (i, failed))
            check(between(retry, 1000, 1500), "client %d's first backoff: %r" % (i, retry))
        log("no vasd: each client's Inhibit failed (ServiceUnknown), retried after 1-1.5 s")

        m = c.mark()
        v = start_vasd(d, extra=("--max-locks-per-user=2",))
        c.wait("each client saw vasd", lambda: c.each(K, "vasd-started", m))

        def since_vasd(i, *kinds):
            """Client i's events of kinds after it saw vasd start (an
            Inhibit the bus answered ServiceUnknown may come back after m)."""
            got = c.events(i, since=m)
            first = [e["event"] for e in got].index("vasd-started")
            return [e for e in got[first + 1:] if not kinds or e["event"] in kinds]

        answered = ("lock-taken", "inhibit-failed")
        c.wait("each client answered by vasd", lambda: all(since_vasd(i, *answered)
                                                           for i in range(K)))
        held = [i for i in range(K) if since_vasd(i, *answered)[0]["event"] == "lock-taken"]
        refused = [i for i in range(K) if i not in held]
        check(len(refused) == 1, "held %r" % held)
        r = refused[0]
        check(since_vasd(r, *answered)[0]["detail"] == TOO_MANY,
              "the refusal: %r" % since_vasd(r))
        log("vasd started: clients %r took locks, client %d was refused" % (held, r))

        retries = c.wait("two retries of the refused client",
                         lambda: (lambda e: e if len(e) >= 2 else None)(
                             since_vasd(r, "inhibit-retry")))
        check(between(retries[0], 1000, 1500) and between(retries[1], 2000, 3000),
              "backoff: %r" % retries)
        check(all(e["detail"] == TOO_MANY for e in since_vasd(r, "inhibit-failed")),
              "refusals: %r" % since_vasd(r))
        check(len(inhibitors()) == 2, "locks: %r" % inhibitors())
        log("refused twice, retried after %d ms, then %d ms; never past the limit"
            % (retries[0]["value"] // 1000, retries[1]["value"] // 1000))

        c.send("free %d" % held[0])
        c.wait("the refused client's lock", lambda: c.events(r, "lock-taken", m), timeout=30)
        holders = sorted([held[1], r])
        wait_until("the new holder listed", lambda: sorted(
            int(i[1].split("-")[1]) for i in inhibitors()) == holders)
        log("client %d freed: client %d's retry took its lock" % (held[0], r))

        m = c.mark()
        check(phase("check")[0], "check")
        mig, msg = phase("pre")
        check(msg.startswith("vasd: migration %s: 2 client locks released in " % mig),
              "pre: %r" % msg)
        phase("post")
        c.wait("both locks again", lambda: all(c.events(i, "lock-taken-again", m)
                                                for i in holders))
        wait_until("both locks listed after post", lambda: len(inhibitors()) == 2)
        log("pre waited for both: %s; post gave them new locks" % msg)

        check(not c.violations(), "violations: %r" % c.violations())
        check(c.stop() == 0, "vasclient-test did not exit 0")
        wait_until("no lock left", lambda: inhibitors() == [])
        check(v.stop() == 0, "vasd did not stop cleanly")
    finally:
        if c:
            c.kill()
        if v:
            v.close()
        bus.stop()
log("ok")
