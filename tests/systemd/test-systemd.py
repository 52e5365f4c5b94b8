#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""vasd as a distribution runs it (issue 15), inside a VM booted with
Debian's systemd as PID 1 (tests/systemd/run): the .deb installed with
dpkg -i starts it under the real unit as user vasd; systemctl starts and
stops it (within its bound); a call to org.vasd1 while it is stopped
activates it through the bus; stopped with SIGSTOP, the watchdog kills and
restarts it with the ledger intact and the open migration restored;
`systemctl restart` in the middle of a pre answers the hook and the new
vasd takes the migration up; drmgr's hook run with env -i is answered over
vasd's private socket; the sandbox holds (no write outside the state
directory; systemd-analyze security printed); the command names of callers
are recorded under ProtectProc= (issue 13, finding 7); the journal carries
the records' MESSAGE_IDs and the catalog explains them; on a stock-like
kernel (vas_sim.ko family=N) the unit alone cannot observe and says so, and
with the shipped observe drop-in linked a window that nobody opens is in
the ledger (issue 14); removal keeps the ledger and purge removes it.

argv[1]: the .deb; BUS_CLIENT: the build's bus-client."""

import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "host"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "vm"))
from vasdtest import Scenarios, check, log, wait_until  # noqa: E402
from vmmig import NX_GZIP_DEV, VAS_KMOD, sim_load, sim_unload  # noqa: E402

DEB = sys.argv[1]
BUS_CLIENT = os.environ["BUS_CLIENT"]
VASCTL = "/usr/bin/vasctl"
HOOK = "/etc/drmgr.d/pmig/50-vasd"
LEDGER = "/var/lib/vasd/ledger.db"
DROPIN = "/usr/share/vasd/observe.conf"
DROPIN_LINK = "/etc/systemd/system/vasd.service.d/observe.conf"
WATCHDOG_S = 6
MSG_OPENED = "2ea6a6825afa440cbe7910e9c4958766"
MSG_CLOSED = "a0d15216f696443a93e40843f0a56f9e"


def sh(*args, ok=True, env=None, timeout=120):
    p = subprocess.run(args, capture_output=True, text=True, env=env, timeout=timeout)
    if ok:
        check(p.returncode == 0, "%s: %d\n%s%s" % (" ".join(args), p.returncode,
                                                 p.stdout, p.stderr))
    return p


def prop(unit, name):
    return sh("systemctl", "show", "-P", name, unit).stdout.strip()


def main_pid():
    return int(prop("vasd.service", "MainPID"))


def active():
    return sh("systemctl", "is-active", "vasd.service", ok=False).stdout.strip()


def wait_active(what, timeout=60):
    wait_until(what, lambda: active() == "active" and main_pid() > 0, timeout)
    return main_pid()


def vasctl_json(*args):
    return json.loads(sh(VASCTL, *args, "--json").stdout)


def hook(phase):
    """drmgr's way: no environment but PHASE, from /, stdin /dev/null."""
    p = subprocess.run(["env", "-i", "PHASE=" + phase, HOOK], capture_output=True,
                       text=True, cwd="/", stdin=subprocess.DEVNULL, timeout=300)
    return p.returncode, p.stdout.strip()


def ledger_rows(sql):
    import sqlite3
    db = sqlite3.connect("file:%s?mode=ro" % LEDGER, uri=True)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


class Follower:
    """bus-client follow: a delay lock, closed ms after PrepareForMigration
    (never for -1)."""

    def __init__(self, ms, user=()):
        self.proc = subprocess.Popen([*user, BUS_CLIENT, "follow", "delay", str(ms)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.expect("held")

    def expect(self, want):
        line = self.proc.stdout.readline().strip()
        check(line.startswith(want), "bus-client follow: %r, expected %r (%s)"
              % (line, want, self.proc.stderr.read() if self.proc.poll() is not None else ""))
        return line

    def quit(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(10)


with Scenarios() as s:
    with s("installed with dpkg -i, started as user vasd"):
        # the VM's root is the host's, which may be a container image whose
        # policy-rc.d forbids starting services: a partition has none
        if os.path.exists("/usr/sbin/policy-rc.d"):
            os.unlink("/usr/sbin/policy-rc.d")
        start = time.monotonic()
        sh("dpkg", "-i", DEB, timeout=300)
        pid = wait_active("vasd active after dpkg -i")
        with open("/proc/%d/status" % pid) as f:
            uid = re.search(r"^Uid:\s+(\d+)", f.read(), re.M).group(1)
        check(sh("id", "-u", "vasd").stdout.strip() == uid, "vasd runs as uid %s" % uid)
        st = vasctl_json("status")
        check(st["state"] in ("running", "waiting-for-kernel"), "status: %r" % st)
        check(os.path.exists("/run/vasd/private"), "no private socket")
        log("dpkg -i: vasd active in %.1f s as user vasd (uid %s), state %s"
            % (time.monotonic() - start, uid, st["state"]))

    with s("systemctl stop within its bound, start again"):
        start = time.monotonic()
        sh("systemctl", "stop", "vasd.service")
        took = time.monotonic() - start
        # within TimeoutStopSec=, or systemd would say "timeout"
        check(active() == "inactive", "stop: %s after %.1f s" % (active(), took))
        check(prop("vasd.service", "Result") == "success",
              "stop's result: %s after %.1f s" % (prop("vasd.service", "Result"), took))
        sh("systemctl", "start", "vasd.service")
        wait_active("started by systemctl")
        log("systemctl stop: %.2f s, result success; started again" % took)

    with s("D-Bus activation"):
        sh("systemctl", "stop", "vasd.service")
        p = sh("busctl", "--system", "call", "org.vasd1", "/org/vasd1",
               "org.freedesktop.DBus.Properties", "Get", "ss", "org.vasd1.Manager", "State")
        # answered once the name is vasd's, which is before READY=1
        check(active() in ("activating", "active"), "vasd not activated by the call: %s" % active())
        wait_active("activated by the call")
        log("a call to org.vasd1 while stopped: activated, answered %s" % p.stdout.strip())

    with s("drmgr's hook with env -i, over the private socket"):
        rc, line = hook("check")
        check(rc == 0 and re.match(r"vasd: migration \d+ may proceed", line), "check: %d %r" % (rc, line))
        n = re.match(r"vasd: migration (\d+)", line).group(1)
        rc, line = hook("undocheck")
        check(rc == 0 and line == "vasd: migration %s cancelled" % n, "undocheck: %d %r" % (rc, line))
        hooks = ledger_rows("SELECT coord_comm, coord_uid FROM events WHERE kind = 'migration-hook' "
                            "AND coord_migration = %s" % n)
        check(hooks == [("vasctl", 0), ("vasctl", 0)], "the hooks' records: %r" % hooks)
        log("the hook: check and undocheck answered, recorded as vasctl uid 0")

    with s("callers' command names under the sandbox"):
        f = Follower(0, user=["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"])
        f.quit()
        took = ledger_rows("SELECT coord_comm, coord_uid FROM events WHERE kind = 'inhibitor-take' "
                           "AND coord_pid = %d" % f.proc.pid)
        check(took == [("bus-client", 65534)], "nobody's lock in the ledger: %r" % took)
        log("ProtectProc=%s: nobody's lock recorded with its command name %r"
            % (prop("vasd.service", "ProtectProc"), took[0][0]))

    with s("watchdog: SIGSTOP, killed and restarted"):
        os.makedirs("/etc/systemd/system/vasd.service.d", exist_ok=True)
        with open("/etc/systemd/system/vasd.service.d/watchdog.conf", "w") as fd:
            fd.write("[Service]\nWatchdogSec=%ds\n" % WATCHDOG_S)
        sh("systemctl", "daemon-reload")
        sh("systemctl", "restart", "vasd.service")
        old = wait_active("restarted with WatchdogSec=%d" % WATCHDOG_S)
        rc, line = hook("check")
        check(rc == 0, "check: %r" % line)
        n = re.match(r"vasd: migration (\d+)", line).group(1)
        os.kill(old, 19)  # SIGSTOP
        start = time.monotonic()
        new = wait_until("a new vasd after the watchdog",
                         lambda: main_pid() not in (0, old) and active() == "active" and main_pid(),
                         WATCHDOG_S * 4 + 30)
        took = time.monotonic() - start
        check(took <= WATCHDOG_S * 2 + 10, "restarted after %.1f s" % took)
        sh(VASCTL, "ledger", "verify")
        st = vasctl_json("migration", "status", n)
        check(st["state"] != "closed" and st["vasd_running"], "migration %s after the watchdog: %r" % (n, st))
        rc, line = hook("undocheck")
        check(rc == 0 and "cancelled" in line, "undocheck after the watchdog: %r" % line)
        out = sh("journalctl", "-u", "vasd.service", "--no-pager", "-o", "cat").stdout
        check("Watchdog timeout" in out or "watchdog" in out.lower(), "the journal does not say watchdog")
        log("SIGSTOP: killed by the watchdog and restarted in %.1f s (WatchdogSec=%d); "
            "ledger verifies; migration %s still %s, cancelled after" % (took, WATCHDOG_S, n, st["state"]))
        os.unlink("/etc/systemd/system/vasd.service.d/watchdog.conf")
        sh("systemctl", "daemon-reload")

    with s("systemctl restart in the middle of pre"):
        f = Follower(-1)
        rc, line = hook("check")
        n = re.match(r"vasd: migration (\d+)", line).group(1)
        pre = subprocess.Popen(["env", "-i", "PHASE=pre", HOOK], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, cwd="/")
        f.expect("prepare true")
        start = time.monotonic()
        sh("systemctl", "restart", "vasd.service")
        out, _ = pre.communicate(timeout=60)
        took = time.monotonic() - start
        check(pre.returncode == 0, "pre's hook exited %d: %s" % (pre.returncode, out))
        wait_active("restarted")
        st = vasctl_json("migration", "status", n)
        check(st["state"] != "closed", "migration %s after the restart: %r" % (n, st))
        rc, line = hook("post")
        check(rc == 0, "post: %r" % line)
        f.quit()
        log("restart during pre: the hook answered in %.1f s (%s); migration %s taken up (%s), post: %s"
            % (took, out.strip(), n, st["state"], line))

    with s("the sandbox"):
        pid = main_pid()
        p = sh("nsenter", "-t", str(pid), "-m", "--", "touch", "/etc/vasd-escape", ok=False)
        check(p.returncode != 0 and "Read-only file system" in p.stderr,
              "a write to /etc in vasd's namespace: %d %r" % (p.returncode, p.stderr))
        sh("nsenter", "-t", str(pid), "-m", "--", "touch", "/var/lib/vasd/probe")
        os.unlink("/var/lib/vasd/probe")
        p = sh("systemd-analyze", "security", "--no-pager", "vasd.service", ok=False)
        exposure = re.search(r"Overall exposure level for vasd.service: ([\d.]+)", p.stdout)
        check(exposure, "systemd-analyze security: %r" % p.stdout[-300:])
        log("vasd's mount namespace: /etc read-only, /var/lib/vasd writable; "
            "systemd-analyze security: exposure %s" % exposure.group(1))

    with s("the journal: MESSAGE_IDs and the catalog"):
        recs = [json.loads(line) for line in
                sh("journalctl", "-u", "vasd.service", "-o", "json", "--no-pager",
                   "MESSAGE_ID=" + MSG_OPENED).stdout.splitlines()]
        check(recs and all(r.get("VASD_MIGRATION") for r in recs),
              "no migration-opened record with VASD_MIGRATION: %r" % recs[:2])
        closed = sh("journalctl", "-u", "vasd.service", "-o", "json", "--no-pager",
                    "MESSAGE_ID=" + MSG_CLOSED).stdout.splitlines()
        check(closed, "no migration-closed record")
        cat = sh("journalctl", "--list-catalog", "--no-pager").stdout
        check(MSG_OPENED in cat, "the catalog does not know %s" % MSG_OPENED)
        x = sh("journalctl", "-x", "-u", "vasd.service", "--no-pager",
               "MESSAGE_ID=" + MSG_OPENED).stdout
        check("Documentation: man:vasd(8)" in x or "man:vasd(8)" in x, "journalctl -x: %r" % x[-400:])
        log("journalctl MESSAGE_ID=: %d opened, %d closed, with VASD_MIGRATION; -x explains them"
            % (len(recs), len(closed)))

    with s("a stock kernel: the unit alone cannot observe, the shipped drop-in can"):
        check(os.path.exists(DROPIN), "the package has no %s" % DROPIN)
        check(VAS_KMOD, "VAS_KMOD is not set")
        sim_load("family=N")
        os.chmod(NX_GZIP_DEV, 0o666)    # as a udev rule would, for the users
        sh("systemctl", "restart", "vasd.service")
        wait_active("restarted on a stock-like kernel")
        wait_until("vasd's notice that the node is hidden", lambda: DROPIN in sh(
            "journalctl", "-u", "vasd.service", "-o", "cat", "--no-pager").stdout, 30)
        check(vasctl_json("status")["kernel_source"] == "", "a source without the drop-in: %r"
              % vasctl_json("status")["kernel_source"])
        os.makedirs(os.path.dirname(DROPIN_LINK), exist_ok=True)
        os.symlink(DROPIN, DROPIN_LINK)
        sh("systemctl", "daemon-reload")
        sh("systemctl", "restart", "vasd.service")
        wait_active("restarted with the drop-in")
        wait_until("vasd observing", lambda: vasctl_json("status")["kernel_source"] == "observe", 30)
        # a window of nobody's, held until its stdin closes
        client = subprocess.Popen(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "python3", "-c",
             "import sys; sys.path[:0] = %r; from vmmig import window_open; "
             "fd = window_open(); print(fd, flush=True); sys.stdin.read()" % sys.path[:2]],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        fd = int(client.stdout.readline())
        check(fd >= 0, "nobody's window: %d" % fd)
        start = time.monotonic()
        wait_until("nobody's window in the ledger, with its uid", lambda: ledger_rows(
            "SELECT uid FROM windows WHERE tgid = %d" % client.pid) == [(65534,)], 30)
        seen = time.monotonic() - start
        client.stdin.close()
        client.wait()
        wait_until("nobody's window gone", lambda: ledger_rows(
            "SELECT count(*) FROM windows WHERE tgid = %d" % client.pid) == [(0,)], 30)
        caps = sh("systemctl", "show", "-p", "CapabilityBoundingSet", "vasd.service").stdout.strip()
        log("stock-like kernel: without the drop-in vasd names it and waits; with it (%s) "
            "nobody's window in the ledger after %.0f ms, and gone after its close" % (caps, seen * 1000))
        os.unlink(DROPIN_LINK)
        sh("systemctl", "daemon-reload")
        sh("systemctl", "stop", "vasd.service")
        sim_unload()
        sh("systemctl", "start", "vasd.service")
        wait_active("started again without the drop-in")

    with s("remove keeps the ledger, purge removes it"):
        sh("dpkg", "-r", "vasd", timeout=300)
        check(active() != "active", "vasd still active after dpkg -r")
        check(os.path.exists(LEDGER), "dpkg -r removed the ledger")
        check(not os.path.exists("/usr/sbin/vasd") and not os.path.exists(VASCTL),
              "dpkg -r left the programs")
        # the hook is a conffile: kept until purge, and it lets drmgr go on
        rc, line = hook("check")
        check(rc == 0 and "is missing; the migration goes on" in line,
              "the hook after dpkg -r: %d %r" % (rc, line))
        sh("dpkg", "-P", "vasd", timeout=300)
        check(not os.path.exists("/var/lib/vasd"), "dpkg -P left /var/lib/vasd")
        check(not os.path.exists(HOOK), "dpkg -P left the hook")
        check(sh("dpkg-query", "-W", "vasd", ok=False).returncode != 0 or
              "not-installed" in sh("dpkg-query", "-W", "-f", "${Status}", "vasd", ok=False).stdout,
              "vasd still known to dpkg")
        log("dpkg -r: stopped, programs gone, ledger and the hook (a conffile, saying vasd is "
            "missing) kept; dpkg -P: /var/lib/vasd and the hook gone")
log("ok")
