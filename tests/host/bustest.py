# SPDX-License-Identifier: GPL-2.0-only
"""Helpers for the bus tests: a private dbus-daemon of type system whose
configuration includes the real policy file (systemd/org.vasd1.conf), vasd
on it, and busctl as the independent client."""

import atexit
import json
import os
import select
import socket
import subprocess
import time

from vasdtest import Vasd, check, fail

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
        # a test that ends without stop() (a failure, or none written)
        # leaves no bus running
        atexit.register(self.stop)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.log.close()


# The system bus's own limits, as Debian ships dbus-daemon (a user's
# connections above all): what a hostile user meets on a real system.
STOCK_LIMITS = {"max_connections_per_user": 256,
                "max_completed_connections": 2048,
                "max_incomplete_connections": 64}


class PrivateBroker:
    """dbus-broker (the system bus of Fedora and RHEL 9) with the same
    configuration as PrivateBus and its own stock limits: its launcher,
    given the listening socket as systemd would, in a mount namespace whose
    /run holds a journal socket of ours (it logs there, and connects to the
    bus it serves, which it finds through DBUS_SYSTEM_BUS_ADDRESS)."""

    def __init__(self, directory):
        os.chmod(directory, 0o755)
        self.socket = os.path.join(directory, "system_bus_socket")
        self.config = os.path.join(directory, "broker.conf")
        with open(self.config, "w") as f:
            f.write("""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <auth>EXTERNAL</auth>
%s
</busconfig>
""" % (DEFAULT_POLICY % BUS_POLICY))
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(self.socket)
        listener.listen(128)
        os.chmod(self.socket, 0o666)
        journal = os.path.join(directory, "broker-journal")
        os.mkdir(journal)
        self.journal = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.journal.bind(os.path.join(journal, "socket"))
        self.address = "unix:path=" + self.socket
        self.log = open(os.path.join(directory, "dbus-broker.log"), "w")
        # sd_listen_fds(): the socket as fd 3, LISTEN_PID the launcher's
        fd3 = os.dup(3) if _fd_open(3) else None
        os.dup2(listener.fileno(), 3)
        try:
            self.proc = subprocess.Popen(
                ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                 'mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/journal && '
                 'mount --bind "$1" /run/systemd/journal && '
                 'DBUS_SYSTEM_BUS_ADDRESS="$2" LISTEN_PID=$$ LISTEN_FDS=1 '
                 'exec dbus-broker-launch --scope system --config-file "$3"',
                 "sh", journal, self.address, self.config],
                pass_fds=[3], stdout=self.log, stderr=self.log)
        finally:
            if fd3 is None:
                os.close(3)
            else:
                os.dup2(fd3, 3)
                os.close(fd3)
        listener.close()
        os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = self.address
        atexit.register(self.stop)
        deadline = time.monotonic() + 30
        while subprocess.run(["busctl", "--system", "--timeout=2", "status",
                              "org.freedesktop.DBus"],
                             capture_output=True).returncode != 0:
            check(self.proc.poll() is None and time.monotonic() < deadline,
                  "dbus-broker did not start: %s" % open(self.log.name).read())
            time.sleep(0.1)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.log.close()
        if self.journal.fileno() >= 0:
            self.journal.close()


def _fd_open(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def unprivileged(groups=()):
    """A command prefix: run as nobody, in the groups given (gids) or none."""
    return ["setpriv", "--reuid=nobody", "--regid=nogroup",
            "--groups=" + ",".join(map(str, groups)) if groups else "--clear-groups"]


class Holder:
    """bus-client holding n inhibitor locks of mode (as user, a command
    prefix); lines: "ok" or "ERROR.NAME message" for each, then "held K"."""

    def __init__(self, n, mode, user=()):
        self.proc = subprocess.Popen([*user, BUS_CLIENT, "inhibit", str(n), mode],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.lines = []
        while True:
            line = self.proc.stdout.readline()
            check(line, "bus-client ended early: %s" % self.lines)
            self.lines.append(line.strip())
            if line.startswith("held "):
                break

    def close_one(self):
        self.proc.stdin.write("close\n")
        self.proc.stdin.flush()
        check(self.proc.stdout.readline().strip() == "closed", "no close")

    def quit(self):
        self.proc.stdin.close()
        self.proc.wait(10)


def inhibitors():
    return manager("ListInhibitors")["data"][0]


def wait_inhibitors(n, what):
    deadline = time.monotonic() + 10
    while len(inhibitors()) != n:
        check(time.monotonic() < deadline,
              "%s: %d inhibitors, expected %d" % (what, len(inhibitors()), n))
        time.sleep(0.05)


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


def ping_vasd():
    """A round trip to vasd: it has handled what reached it before."""
    p = busctl_run("call", "org.vasd1", "/org/vasd1",
                   "org.freedesktop.DBus.Peer", "Ping")
    check(p.returncode == 0, "Ping: %s" % p.stderr.strip())


class BusMonitor:
    """busctl monitor of org.vasd1's traffic: what vasd sends and what it
    is sent, as parsed messages (busctl's --json=short), read as they come.

    It is in place once it has shown a Ping of ours to vasd and vasd's
    reply, and sync() later means it has shown every message vasd sent
    before it answered another Ping: dbus-daemon relays a connection's
    messages in the order it sent them. The Pings themselves are left out
    of messages."""

    def __init__(self):
        self.proc = subprocess.Popen(
            ["busctl", "--system", "--json=short", "monitor", "org.vasd1"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.buf = b""
        self.messages = []
        self.ping_calls = set()
        self.pings = 0
        # A Ping sent before the monitor was in place is never shown:
        # another one each second until one is.
        deadline = time.monotonic() + 30
        while not self.sync(1):
            check(time.monotonic() < deadline,
                  "busctl monitor never showed a Ping to vasd")

    def read(self, timeout):
        """Read what came within timeout seconds; False when nothing did."""
        r, _, _ = select.select([self.proc.stdout], [], [], max(0, timeout))
        if not r:
            return False
        chunk = os.read(self.proc.stdout.fileno(), 65536)
        if not chunk:
            fail("busctl monitor ended: %d" % self.proc.wait())
        self.buf += chunk
        *lines, self.buf = self.buf.split(b"\n")
        for line in lines:
            if not line.strip():
                continue
            m = json.loads(line)
            if m.get("interface") == "org.freedesktop.DBus.Peer":
                self.ping_calls.add((m.get("sender"), m.get("cookie")))
            elif (m.get("type") == "method_return" and
                  (m.get("destination"), m.get("reply_cookie")) in self.ping_calls):
                self.pings += 1
            else:
                self.messages.append(m)
        return True

    def sync(self, timeout=30):
        """Ping vasd and read until the monitor shows the reply; False when
        it did not within timeout seconds."""
        seen = self.pings
        ping_vasd()
        deadline = time.monotonic() + timeout
        while self.pings == seen:
            if not self.read(deadline - time.monotonic()):
                return False
        return True

    def until(self, pred, timeout=30):
        """Read until pred(messages) holds or timeout seconds passed; the
        caller checks what it got."""
        deadline = time.monotonic() + timeout
        while not pred(self.messages) and self.read(deadline - time.monotonic()):
            pass
        return self.messages

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.proc.stdout.close()
        return self.messages


def fill_ledger(db, n, suspended):
    subprocess.run([LEDGER_FILL, db, str(n), str(suspended)], check=True)


def start_vasd(directory, windows=0, suspended=0, extra=()):
    """vasd on a ledger holding windows, without a kernel part."""
    v = Vasd(directory, "unix:/nonexistent", extra=extra, bus=True)
    if windows:
        fill_ledger(v.db, windows, suspended)
    return v.start()
