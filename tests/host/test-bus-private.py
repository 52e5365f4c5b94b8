#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Root's private socket beside the bus (issue 13, finding 1): vasctl run
as root is answered over it even while the bus answers nobody (the bus
daemon stopped with SIGSTOP): status, windows, log-level and a migration's
phases, the hook's records naming vasctl's pid as the kernel gave it; the
socket is root's (mode 0600), and a connection of another uid is closed
even when the mode would let it in; Inhibit is refused there (a lock
belongs on the bus, where PrepareForMigration reaches it); the socket goes
with vasd, and vasctl then falls back to the bus and says vasd is not
running."""

import json
import os
import signal
import stat
import subprocess

from vasdtest import VASCTL, Scenarios, TempDir, check, ledger, log
from bustest import PrivateBus, start_vasd, unprivileged
from migtest import records

NOBODY = unprivileged()


def run(env, *args, user=()):
    return subprocess.run([*user, VASCTL, *args], env=env, capture_output=True,
                          text=True, timeout=60)


def peer_call(method, *args, user=()):
    """A call on the socket as a direct peer (busctl would say Hello)."""
    return subprocess.run([*user, "dbus-send", "--peer=unix:path=" + v.private,
                           "--print-reply", "--dest=org.vasd1", "/org/vasd1", method, *args],
                          capture_output=True, text=True, timeout=30)


with Scenarios() as s, TempDir() as d:
    bus = PrivateBus(d)
    v = start_vasd(d, windows=5)
    env = dict(os.environ, VASD_PRIVATE_SOCKET=v.private)
    try:
        with s("root's socket"):
            st = os.stat(v.private)
            check(stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600 and
                  st.st_uid == 0, "the socket: mode %o uid %d" % (st.st_mode, st.st_uid))
            log("%s: a socket, mode 0600, root's" % os.path.basename(v.private))

        with s("answered with the bus stopped"):
            os.kill(bus.proc.pid, signal.SIGSTOP)
            try:
                p = run(env, "status", "--json")
                check(p.returncode == 0 and json.loads(p.stdout)["windows"] == 5,
                      "status: %d %r %r" % (p.returncode, p.stdout, p.stderr))
                p = run(env, "windows")
                check(p.returncode == 0 and p.stdout.endswith("\n5 windows listed (0 suspended).\n"),
                      "windows: %d %r" % (p.returncode, p.stdout))
                p = run(env, "log-level")
                check(p.returncode == 0 and p.stdout == "info\n", "log-level: %r" % p.stdout)
                at = len(records(ledger(v.db)))
                for phase in ("check", "prepare", "complete"):
                    p = run(env, "migration", phase)
                    check(p.returncode == 0 and p.stdout.startswith("vasd: migration 1"),
                          "migration %s: %d %r %r" % (phase, p.returncode, p.stdout, p.stderr))
                hooks = [r for r in records(ledger(v.db))[at:] if r["kind"] == "migration-hook"]
                check([h["what"] for h in hooks] == ["check", "pre", "post"] and
                      all(h["uid"] == 0 and h["comm"] == "vasctl" and h["pid"] > 0
                          for h in hooks),
                      "the hooks' records: %r" % hooks)
            finally:
                os.kill(bus.proc.pid, signal.SIGCONT)
            log("with the bus daemon stopped: status, windows, log-level and migration 1's "
                "check, prepare, complete answered; the hooks recorded as vasctl, uid 0")

        with s("root's only"):
            p = run(env, "status", user=NOBODY)
            # nobody cannot open the socket: vasctl uses the bus
            check(p.returncode == 0, "nobody's status over the bus: %r" % p.stderr)
            os.chmod(v.private, 0o666)
            p = peer_call("org.freedesktop.DBus.Peer.Ping")
            check(p.returncode == 0, "root's Ping on the socket: %r" % p.stderr)
            p = peer_call("org.freedesktop.DBus.Peer.Ping", user=NOBODY)
            check(p.returncode != 0, "nobody was served on root's socket: %r" % p.stdout)
            check("Refused a connection to %s from uid 65534" % v.private in v.log_tail(50),
                  "the refusal is not logged:\n%s" % v.log_tail())
            os.chmod(v.private, 0o600)
            log("nobody: cannot open it; let in by its mode, closed at once and logged")

        with s("no locks on it"):
            p = peer_call("org.vasd1.Manager.Inhibit", "string:migration", "string:me",
                          "string:why", "string:delay")
            check(p.returncode != 0 and
                  "org.freedesktop.DBus.Error.NotSupported: Inhibitor locks are taken on the "
                  "system bus, where PrepareForMigration reaches their holders" in p.stderr,
                  "Inhibit on the socket: %d %r %r" % (p.returncode, p.stdout, p.stderr))
            log("Inhibit on it: NotSupported")

        with s("gone with vasd"):
            check(v.stop() == 0, "vasd did not stop cleanly")
            check(not os.path.exists(v.private), "the socket is left")
            p = run(env, "status")
            check(p.returncode == 3 and "vasd is not running" in p.stderr,
                  "status without vasd: %d %r" % (p.returncode, p.stderr))
            log("vasd stopped: the socket removed; vasctl falls back to the bus: not running")
    finally:
        v.close()
        bus.stop()
