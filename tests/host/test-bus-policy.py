#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Who may do what: with the real policy an unprivileged user reads, lists,
reads events and takes inhibitors, and the bus denies it setting the log
level and the migration phases; root sets it and runs them. With a bus
that allows everything, vasd itself denies the unprivileged user both, and
records no phase it did not run."""

import subprocess

from vasdtest import Scenarios, TempDir, check, ledger, log
from bustest import (
    BUS_CLIENT, PrivateBus, busctl, busctl_run, manager, prop, start_vasd,
    unprivileged
)
from migtest import PHASES, kinds, phase, phase_error, records

LOGCTL = ("org.vasd1", "/org/freedesktop/LogControl1",
          "org.freedesktop.LogControl1")
NOBODY = unprivileged()


def log_level(user=()):
    return busctl("get-property", *LOGCTL, "LogLevel", user=user)["data"]


def set_log_level(level, user=()):
    return busctl_run("set-property", *LOGCTL, "LogLevel", "s", level, user=user)


with TempDir() as d:
    bus = PrivateBus(d)
    v = start_vasd(d, 3, 1)
    try:
        check(prop("Windows", user=NOBODY) == 3, "nobody: Windows")
        check(len(manager("ListWindows", user=NOBODY)["data"][0]) == 3, "nobody: ListWindows")
        events, _ = manager("ReadEvents", "xu", "0", "5", user=NOBODY)["data"]
        check(len(events) == 5, "nobody: ReadEvents")
        check(manager("ListInhibitors", user=NOBODY)["data"][0] == [], "nobody: ListInhibitors")
        p = subprocess.run([*NOBODY, BUS_CLIENT, "inhibit", "1", "delay"],
                           input="", capture_output=True, text=True, timeout=30)
        check(p.stdout.split("\n")[:2] == ["ok", "held 1"], "nobody: Inhibit: %r" % p.stdout)
        busctl("call", "org.vasd1", "/org/vasd1", "org.freedesktop.DBus.ObjectManager",
               "GetManagedObjects", user=NOBODY)
        busctl("call", "org.vasd1", "/org/vasd1", "org.freedesktop.DBus.Peer",
               "Ping", user=NOBODY)
        check(log_level(user=NOBODY) == "info", "nobody: LogLevel")
        log("unprivileged: properties, lists, events, Inhibit, ObjectManager, Peer")

        p = set_log_level("debug", user=NOBODY)
        check(p.returncode != 0 and "Access denied" in p.stderr,
              "nobody set LogLevel: %r" % p.stderr)
        check("org.vasd1.Error" not in p.stderr, "the bus let it through: %r" % p.stderr)
        check(log_level() == "info", "LogLevel changed")
        p = set_log_level("debug")
        check(p.returncode == 0, "root: %s" % p.stderr)
        check(log_level() == "debug", "root did not set LogLevel")
        p = set_log_level("loud")
        check(p.returncode != 0 and "Unknown log level" in p.stderr, "loud: %r" % p.stderr)
        p = busctl_run("set-property", *LOGCTL, "LogTarget", "s", "kmsg")
        check(p.returncode != 0 and "standard error" in p.stderr, "kmsg: %r" % p.stderr)
        p = busctl_run("set-property", *LOGCTL, "SyslogIdentifier", "s", "x")
        check(p.returncode != 0, "SyslogIdentifier was set")
        log("the policy denies nobody the log level; root sets it, bad values refused")

        with Scenarios() as scenario:
            for name, method in PHASES.items():
                with scenario("nobody %s" % method):
                    p = busctl_run("call", "org.vasd1", "/org/vasd1", "org.vasd1.Manager",
                                   method, user=NOBODY)
                    check(p.returncode != 0 and "Access denied" in p.stderr and
                          "org.vasd1.Error" not in p.stderr, "nobody %s: %r" % (method, p.stderr))
        check([r for r in records(ledger(v.db)) if r["kind"].startswith("migration-")] == [],
              "a denied phase was recorded")
        check(phase("check") == ("1", "vasd: migration 1 may proceed; 0 delay locks will be asked to release"),
              "root: check")
        check(phase("undocheck") == ("1", "vasd: migration 1 cancelled"), "root: undocheck")
        log("the policy denies nobody the migration phases; root runs them")
    finally:
        v.close()
        bus.stop()

with TempDir() as d:
    bus = PrivateBus(d, allow_all=True)
    v = start_vasd(d)
    try:
        p = set_log_level("debug", user=NOBODY)
        check(p.returncode != 0 and "Only root may change" in p.stderr,
              "nobody on an open bus: %r" % p.stderr)
        check(log_level() == "info", "LogLevel changed")
        check(set_log_level("notice").returncode == 0 and log_level() == "notice",
              "root on an open bus")
        log("an open bus: vasd itself denies nobody the log level")

        with Scenarios() as scenario:
            for name in PHASES:
                with scenario("nobody %s on an open bus" % name):
                    got = phase_error(name, user=NOBODY)
                    check(got == ("org.vasd1.Error.AccessDenied",
                                  "Only root may run the migration phases (the caller is uid 65534)"),
                          "nobody %s on an open bus: %r" % (name, got))
        check(records(ledger(v.db)) == [], "a denied phase was recorded")
        check(phase("check")[0] == "1", "root on an open bus: check")
        check(kinds(records(ledger(v.db))) == [("migration-hook", "check"), ("migration-open", "check")],
              "root's check recorded")
        log("an open bus: vasd itself denies nobody the migration phases and records none")
    finally:
        v.close()
        bus.stop()
log("ok")
