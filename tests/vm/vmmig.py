# SPDX-License-Identifier: GPL-2.0-only
"""Helpers for the VM tests of vasd's migration coordinator: they run as
root inside tools/vm/run, load vas_sim.ko, and drive vasd on a private
system bus (tests/host/bustest.py) against the real kernel part, with
drmgr's phases through the bus (tests/host/migtest.py) and migrations
started through the simulation's debugfs control, as drmgr's write to
/sys/kernel/mobility/migration starts them."""

import errno
import fcntl
import os
import select
import signal
import struct
import subprocess
import threading
import time

from vasdtest import Vasd, check
from migtest import read_client_log

VAS_KMOD = os.environ.get("VAS_KMOD", "")
VAS_CLIENT = os.environ.get("VAS_CLIENT", "")
DEBUGFS = "/sys/kernel/debug/vas_sim"
COORD_TIMEOUT = "/sys/module/vas_sim/parameters/coord_timeout_ms"
NX_GZIP_DEV = "/dev/crypto/nx-gzip"
# _IOW('v', 0x20, struct vas_tx_win_open_attr): 64 bytes
VAS_TX_WIN_OPEN = (1 << 30) | (64 << 16) | (ord("v") << 8) | 0x20

# proto/vas.h
PREPARE, SUSPENDING, SUSPENDED, RESUMED, COMPLETED, ABORTED = range(1, 7)
WIN_ACTIVE, WIN_SUSPENDED = 0, 1
REASON_MIGRATION = 1


def sim_load(*params):
    subprocess.run(["insmod", VAS_KMOD, *params], check=True)


def sim_unload():
    """rmmod, then the kernel log must hold no report of a bug."""
    deadline = time.monotonic() + 10
    while subprocess.run(["rmmod", "vas_sim"], capture_output=True).returncode:
        check(time.monotonic() < deadline, "vas_sim still in use after 10 s")
        time.sleep(0.05)
    dmesg = subprocess.run(["dmesg"], capture_output=True, text=True).stdout
    for bad in ("BUG:", "WARNING:", "Oops", "KASAN", "UBSAN", "Call Trace:"):
        check(bad not in dmesg, "the kernel log has %r:\n%s" % (bad, dmesg[-4000:]))


def sim_set(name, value):
    with open(os.path.join(DEBUGFS, name), "w") as f:
        f.write(str(value))


def sim_stats():
    with open(os.path.join(DEBUGFS, "stats")) as f:
        return {k: int(v) for k, v in (line.split() for line in f)}


def coord_timeout_ms(ms):
    with open(COORD_TIMEOUT, "w") as f:
        f.write(str(ms))


def migrate(stream):
    """A migration through the sim's control; returns when it is over:
    0 (completed) or -EAGAIN (the hypervisor aborted it)."""
    # one write(): a buffered file would write again at close after an error
    fd = os.open(os.path.join(DEBUGFS, "migrate"), os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, str(stream).encode())
    except OSError as e:
        check(e.errno == errno.EAGAIN, "migrate %d: %s" % (stream, e))
        return -e.errno
    finally:
        os.close(fd)
    return 0


class Migration:
    """migrate() in a thread, as drmgr's write blocks until the end."""

    def __init__(self, stream):
        self.stream = stream
        self.result = None
        self.start = time.monotonic()
        self.start_ns = time.time_ns()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        self.result = migrate(self.stream)
        self.end = time.monotonic()

    def join(self, timeout=60):
        self.thread.join(timeout)
        check(not self.thread.is_alive(), "migration %d still running after %ds"
              % (self.stream, timeout))
        return self.result

    @property
    def took(self):
        return self.end - self.start


def window_open():
    """A window the way libnxz opens one: its fd, or a negative errno."""
    fd = os.open(NX_GZIP_DEV, os.O_RDWR | os.O_CLOEXEC)
    attr = struct.pack("=IhHQ6Q", 1, -1, 0, 0, *[0] * 6)
    try:
        fcntl.ioctl(fd, VAS_TX_WIN_OPEN, attr)
    except OSError as e:
        os.close(fd)
        return -e.errno
    return fd


def start_vasd(d, extra=()):
    """vasd on the real kernel part and the private bus."""
    return Vasd(d, "netlink", bus=True, extra=extra).start(timeout=60)


class Clients:
    """n reference clients (examples/vas-client.c), a process each, with
    real windows; their JSON lines go to one log. ready() waits until every
    one holds its lock."""

    def __init__(self, d, log_path, who, n, *extra, work_ms=100):
        self.log_path = log_path
        self.procs = []
        self.ready_fds = []
        self.err = open(os.path.join(d, "clients-%s.err" % who), "w")
        for i in range(1, n + 1):
            r, w = os.pipe()
            name = who if n == 1 else "%s-%d" % (who, i)
            self.procs.append(subprocess.Popen(
                [VAS_CLIENT, "--who", name, "--work-ms", str(work_ms),
                 "--log", log_path, "--ready-fd", str(w), *extra],
                pass_fds=[w], stdout=subprocess.DEVNULL, stderr=self.err))
            os.close(w)
            self.ready_fds.append(os.fdopen(r))

    def ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        for p, f in zip(self.procs, self.ready_fds):
            left = deadline - time.monotonic()
            ok, _, _ = select.select([f], [], [], max(left, 0))
            check(ok, "client %d not ready within %ds" % (p.pid, timeout))
            line = f.readline()
            check(line == "ready\n", "client %d: %r (exit %s)" % (p.pid, line, p.poll()))
            f.close()

    @property
    def pids(self):
        return [p.pid for p in self.procs]

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        rcs = [p.wait(60) for p in self.procs]
        self.err.close()
        return rcs

    def kill(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait(60)


def read_log(path):
    return read_client_log(path, "pid")


def step_times(steps, name):
    return [s["time"] for s in steps if s["step"] == name]


KERNEL_SQL = """
SELECT position, kind, seq, timestamp, window_id AS id, window_tgid AS tgid,
       window_state AS state, window_reason AS reason,
       migration_stream_id AS stream, migration_phase AS phase
FROM events
WHERE position > ? AND kind IN ('window-add', 'window-change', 'window-del',
                                'migration-change')
ORDER BY position
"""


def kernel_events(db, after=0):
    return [dict(r) for r in db.execute(KERNEL_SQL, (after,))]


def phase_event(events, stream, phase):
    got = [e for e in events if e["kind"] == "migration-change" and
           e["stream"] == stream and e["phase"] == phase]
    check(len(got) == 1, "stream %d phase %d: %d events in the ledger"
          % (stream, phase, len(got)))
    return got[0]


def wait_kernel_phase(db, stream, phase, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        got = [e for e in kernel_events(db) if e["kind"] == "migration-change"
               and e["stream"] == stream and e["phase"] == phase]
        if got:
            return got[0]
        check(time.monotonic() < deadline, "stream %d phase %d not in the ledger"
              % (stream, phase))
        time.sleep(0.02)
