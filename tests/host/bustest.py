# SPDX-License-Identifier: GPL-2.0-only
"""Helpers for the bus tests: a private dbus-daemon of type system whose
configuration includes the real policy file (systemd/org.vasd1.conf), vasd
on it, and busctl as the independent client."""

import json
import os
import subprocess

from vasdtest import *

LEDGER_FILL = os.environ.get("LEDGER_FILL", "")
BUS_CLIENT = os.environ.get("BUS_CLIENT", "")
BUS_POLICY = os.environ.get("BUS_POLICY", "")
BUS_INTERFACES = os.environ.get("BUS_INTERFACES", "")

# As Debian's /usr/share/dbus-1/system.conf: deny by default, the driver open.
DEFAULT_POLICY = """
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Properties"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Peer"/>
    <allow send_destination="org.freedesktop.DBus"
           send_interface="org.freedesktop.DBus.Monitoring"/>
  </policy>
  <include>%s</include>
  <!-- vasd runs as root here, not as the user vasd the policy names -->
  <policy user="root"><allow own="org.vasd1"/></policy>
"""

# Everything allowed: only vasd's own checks stand.
ALLOW_ALL_POLICY = """
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
  </policy>
"""


# The system bus lets a user have 256 connections (and 64 not yet
# authenticated): tests and benchmarks run a thousand clients and more
# as root, as many as vasd takes inhibitor locks (4096).
MANY_CLIENTS_LIMITS = {"max_connections_per_user": 4200,
                       "max_completed_connections": 4200,
                       "max_incomplete_connections": 4200}


class PrivateBus:
    """A dbus-daemon of type system in directory; sets
    DBUS_SYSTEM_BUS_ADDRESS for this process and its children."""

    def __init__(self, directory, allow_all=False, limits=None):
        """limits: dbus-daemon's <limit>s by name, over
        MANY_CLIENTS_LIMITS, e.g. {"max_connections_per_user": 8000}."""
        # unprivileged clients (setpriv) must reach the socket
        os.chmod(directory, 0o755)
        self.socket = os.path.join(directory, "system_bus_socket")
        self.config = os.path.join(directory, "bus.conf")
        policy = ALLOW_ALL_POLICY if allow_all else DEFAULT_POLICY % BUS_POLICY
        policy += "".join('  <limit name="%s">%d</limit>\n' % kv
                          for kv in {**MANY_CLIENTS_LIMITS, **(limits or {})}.items())
        with open(self.config, "w") as f:
            f.write("""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
%s
</busconfig>
""" % (self.socket, policy))
        self.log = open(os.path.join(directory, "dbus-daemon.log"), "w")
        self.proc = subprocess.Popen(
            ["dbus-daemon", "--config-file=" + self.config, "--nofork",
             "--nopidfile", "--print-address=1"],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.address = self.proc.stdout.readline().strip()
        check(self.address.startswith("unix:"),
              "dbus-daemon did not start: %r" % self.address)
        os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = self.address

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.log.close()


def unprivileged():
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


def busctl_run(*args, user=(), opts=()):
    # "--": arguments like -1 are values, not options
    return subprocess.run([*user, "busctl", "--system", *opts, "--", *args],
                          capture_output=True, text=True, timeout=60)


def busctl(*args, user=()):
    """busctl --json=short; returns the parsed output."""
    p = busctl_run(*args, user=user, opts=["--json=short"])
    if p.returncode != 0:
        fail("busctl %s: %s" % (" ".join(args), p.stderr.strip()))
    return json.loads(p.stdout) if p.stdout.strip() else None


def busctl_error(*args, user=()):
    """The error busctl reports for a call that must fail."""
    p = busctl_run(*args, user=user)
    check(p.returncode != 0, "busctl %s succeeded: %s" % (" ".join(args), p.stdout))
    return p.stderr.strip()


def manager(*args, user=()):
    return busctl("call", "org.vasd1", "/org/vasd1", "org.vasd1.Manager",
                  *args, user=user)


def prop(name, user=()):
    return busctl("get-property", "org.vasd1", "/org/vasd1",
                  "org.vasd1.Manager", name, user=user)["data"]


def fill_ledger(db, n, suspended):
    subprocess.run([LEDGER_FILL, db, str(n), str(suspended)], check=True)


def start_vasd(directory, windows=0, suspended=0, extra=()):
    """vasd on a ledger holding windows, without a kernel part."""
    v = Vasd(directory, "unix:/nonexistent", extra=extra, bus=True)
    if windows:
        fill_ledger(v.db, windows, suspended)
    return v.start()
