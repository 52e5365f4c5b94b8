#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""vasd under the journal: with $JOURNAL_STREAM naming its stderr, as
systemd starts a service, vasd sends its records by the journal's native
protocol to /run/systemd/journal/socket -- here a datagram socket of the
test's, bound there in a mount namespace of vasd's own (a tmpfs /run, as
bustest.PrivateBroker does) -- and writes nothing to stderr. The records of
a migration opened, quiesced, disturbed by an anomaly and closed carry
their MESSAGE_ID (daemon/message-ids.h) and fields, the ledger positions
of the records they tell of among them; a veto and root's release of a
lock whose who and why forge a log line and a terminal's escapes carry
them escaped; LogTarget says "journal". With $JOURNAL_STREAM naming
another file, vasd writes "<N>text" lines to stderr as ever, and nothing
to the journal's socket."""

import os
import re
import socket
import struct
import subprocess
import threading
import time

from vasdtest import FakeKernel, TempDir, Vasd, VASCTL, check, ledger, log
from bustest import BUS_CLIENT, PrivateBus, busctl
from migtest import last_position, phase, phase_error, records, wait_prop

IDS_HEADER = os.environ["MESSAGE_IDS"]
IDS = dict(re.findall(r'#define VASD_MESSAGE_(\w+)\s+"([0-9a-f]{32})"',
                      open(IDS_HEADER).read()))
check(len(IDS) >= 10, "message ids in %s: %r" % (IDS_HEADER, IDS))
FORGED_WHO, FORGED_WHO_ESCAPED = "a\n<0>forged", "a\\n<0>forged"
FORGED_WHY, FORGED_WHY_ESCAPED = "\x1b]52;c;cm0K\x07\u202e", "\\x1b]52;c;cm0K\\x07\\u202e"


def parse_native(data):
    """The journal's native protocol: KEY=value\\n, or KEY\\n, a 64-bit
    little-endian length, the value, \\n (a value holding a newline)."""
    fields = {}
    i = 0
    while i < len(data):
        nl = data.index(b"\n", i)
        line = data[i:nl]
        if b"=" in line:
            key, value = line.split(b"=", 1)
            i = nl + 1
        else:
            key = line
            (n,) = struct.unpack_from("<Q", data, nl + 1)
            value = data[nl + 9:nl + 9 + n]
            check(data[nl + 9 + n:nl + 10 + n] == b"\n", "binary field %r not ended" % key)
            i = nl + 10 + n
        key = key.decode()
        check(re.fullmatch(r"[A-Z0-9][A-Z0-9_]*", key) is not None, "field name %r" % key)
        check(key not in fields, "field %s twice in %r" % (key, data))
        fields[key] = value.decode()
    return fields


class Journal:
    """A datagram socket where sd-journal sends, read all the time (a full
    socket would block vasd, as journald's would)."""

    def __init__(self, directory):
        self.dir = os.path.join(directory, "journal")
        os.mkdir(self.dir)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(os.path.join(self.dir, "socket"))
        self.sock.settimeout(0.1)
        self.records = []
        self.cond = threading.Condition()
        self.closing = False
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self):
        while not self.closing:
            try:
                data, fds, _, _ = socket.recv_fds(self.sock, 1 << 20, 1)
            except socket.timeout:
                continue
            except OSError:
                return
            for fd in fds:
                # a record too big for a datagram comes as a memfd
                with os.fdopen(fd, "rb") as f:
                    data = f.read()
            with self.cond:
                self.records.append(parse_native(data))
                self.cond.notify_all()

    def wrap(self):
        """A command prefix: a mount namespace whose /run/systemd/journal is ours."""
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                'mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/journal && '
                'mount --bind "$1" /run/systemd/journal && shift && exec "$@"',
                "sh", self.dir]

    def wait(self, message_id, pred=lambda r: True, timeout=30):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for r in self.records:
                    if r.get("MESSAGE_ID") == message_id and pred(r):
                        return r
                left = deadline - time.monotonic()
                check(left > 0, "no record %s in the journal: %r"
                      % (message_id, [r.get("MESSAGE") for r in self.records]))
                self.cond.wait(left)

    def mark(self, tag):
        """A record of ours, waited for: what was sent before is read."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.sendto(b"MESSAGE_ID=" + tag.encode() + b"\n", os.path.join(self.dir, "socket"))
        sock.close()
        self.wait(tag)

    def close(self):
        self.closing = True
        self.reader.join()
        self.sock.close()


def start(d, k, journal, stream):
    """vasd with $JOURNAL_STREAM naming its stderr (stream True) or another file."""
    v = Vasd(d, k.spec, bus=True, wrap=journal.wrap())
    open(v.log_path, "a").close()
    st = os.stat(v.log_path if stream else os.path.join(d, "fake-kernel.log"))
    os.environ["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
    try:
        v.start()
    finally:
        del os.environ["JOURNAL_STREAM"]
    k.run("wait-coordinator")
    check(k.truth()["coordinator"], "vasd is not the coordinator")
    return v


def check_record(r, name, priority, fields):
    check(r["PRIORITY"] == str(priority) and r["SYSLOG_IDENTIFIER"] == "vasd",
          "%s: PRIORITY or SYSLOG_IDENTIFIER: %r" % (name, r))
    for key, value in fields.items():
        check(r.get(key) == str(value), "%s: %s=%r, expected %r in %r"
              % (name, key, r.get(key), value, r))


def log_target():
    return busctl("get-property", "org.vasd1", "/org/freedesktop/LogControl1",
                  "org.freedesktop.LogControl1", "LogTarget")["data"]


with TempDir() as d:
    bus = PrivateBus(d)
    k = FakeKernel(d)
    journal = Journal(d)
    k.run("open default comm=alpha tgid=4242")
    v = start(d, k, journal, True)
    db = ledger(v.db)
    try:
        check(log_target() == "journal", "LogTarget: %r" % log_target())
        r = journal.wait(IDS["RESYNC"])
        # a new ledger: the kernel's window and caps are differences (notice)
        check_record(r, "resync", 5, {"VASD_RESYNC_REASON": "start",
                                      "VASD_WINDOWS": 1, "CODE_FUNC": "log_resynced",
                                      "VASD_LEDGER_POSITION": last_position(db)})
        check(re.fullmatch(r"Resync \(start\): \d+ differences recorded; following generation "
                           r"[0-9a-f]{16} from seq \d+ \(1 windows\)", r["MESSAGE"]),
              "resync: %r" % r["MESSAGE"])
        log("ready under the journal: LogTarget journal; the first resync's record")

        # a migration: check and pre by the hook, the kernel's race, post
        at = last_position(db)
        m = phase("check")[0]
        phase("pre")
        k.run("migrate stream=12 race")
        wait_prop("MigrationAnomalies", 1)
        phase("post")
        recs = {rec["kind"]: rec for rec in records(db, at)}
        opened = journal.wait(IDS["MIGRATION_OPENED"])
        check_record(opened, "opened", 6, {
            "VASD_MIGRATION": m, "VASD_REASON": "check",
            "VASD_LEDGER_POSITION": recs["migration-open"]["position"],
            "MESSAGE": "Migration %s opened (check)" % m})
        a = recs["migration-anomaly"]
        anomaly = journal.wait(IDS["MIGRATION_ANOMALY"])
        check_record(anomaly, "anomaly", 4, {
            "VASD_MIGRATION": m, "VASD_REASON": "active-at-suspended",
            "VASD_LEDGER_POSITION": a["position"], "VASD_WINDOW": a["window_id"],
            "VASD_CLIENT_COMM": "raced", "VASD_KERNEL_STREAM": 12})
        check(anomaly["MESSAGE"].startswith("Migration %s: window %d of raced" % (m, a["window_id"])),
              "anomaly: %r" % anomaly["MESSAGE"])
        quiesced = journal.wait(IDS["MIGRATION_QUIESCED"])
        check_record(quiesced, "quiesced", 6, {
            "VASD_MIGRATION": m, "VASD_REASON": recs["migration-quiesced"]["what"],
            "VASD_LEDGER_POSITION": recs["migration-quiesced"]["position"]})
        closed = journal.wait(IDS["MIGRATION_CLOSED"])
        check_record(closed, "closed", 6, {
            "VASD_MIGRATION": m, "VASD_REASON": "completed",
            "VASD_LEDGER_POSITION": recs["migration-close"]["position"],
            "MESSAGE": "Migration %s closed: completed" % m})
        log("migration %s: opened, quiesced, anomaly and closed in the journal with their ledger positions" % m)

        # a block lock whose words forge a line and a terminal's escapes
        holder = subprocess.Popen([BUS_CLIENT, "inhibit", "1", "block", FORGED_WHO,
                                   FORGED_WHY, "evil"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        lines = [holder.stdout.readline() for _ in range(2)]
        check(lines == [b"ok\n", b"held 1\n"], "bus-client: %r" % lines)
        name, msg = phase_error("check")
        check(name == "org.vasd1.Error.MigrationVetoed", "veto: %s" % name)
        vetoed = journal.wait(IDS["MIGRATION_VETOED"])
        check_record(vetoed, "vetoed", 5, {"VASD_REASON": "block-lock"})
        lock = re.search(r"vasctl release-lock (\d+)", msg).group(1)
        p = subprocess.run([VASCTL, "release-lock", lock], capture_output=True, text=True)
        check(p.returncode == 0, "release-lock: %s" % p.stderr)
        released = journal.wait(IDS["LOCK_RELEASED_BY_ROOT"])
        check_record(released, "released", 5, {
            "VASD_LOCK": lock, "VASD_LOCK_MODE": "block",
            "VASD_CLIENT_PID": holder.pid, "VASD_CLIENT_UID": 0,
            "VASD_CLIENT_WHO": FORGED_WHO_ESCAPED, "VASD_CLIENT_WHY": FORGED_WHY_ESCAPED})
        check(FORGED_WHO_ESCAPED in released["MESSAGE"] and FORGED_WHY_ESCAPED in released["MESSAGE"],
              "released: %r" % released["MESSAGE"])
        holder.stdin.close()
        holder.wait(10)
        with journal.cond:
            for rec in journal.records:
                for key, value in rec.items():
                    check(not re.search("[\x00-\x1f\x7f-\x9f\u2028-\u202e\u2066-\u2069]", value),
                          "%s=%r: unsafe text" % (key, value))
        log("a veto and root's release of a forged lock: its words escaped in MESSAGE and every field")

        check(v.stop() == 0, "vasd did not stop cleanly")
        with open(v.log_path) as f:
            err = f.read()
        check(err == "", "vasd wrote to stderr under the journal: %r" % err[:500])
        # what vasd sent before it exited (its "Stopped" line last) is read
        # once a mark sent after it is
        journal.mark("stopped")
        n = len(journal.records)
        log("%d records in the journal, nothing on stderr" % (n - 1))

        # $JOURNAL_STREAM of another file: stderr as ever
        v = start(d, k, journal, False)
        check(log_target() == "console", "LogTarget: %r" % log_target())
        check(v.stop() == 0, "vasd did not stop cleanly")
        with open(v.log_path) as f:
            err = f.read()
        check(re.search(r"^<6>Resync \(start\): ", err, re.M) and "\n<6>Ready\n" in err,
              "stderr without the journal: %r" % err[:500])
        # vasd has exited: what it sent is queued before a mark of ours
        journal.mark("mark")
        check(len(journal.records) == n + 1, "records sent to the journal: %r" % journal.records[n:])
        log("JOURNAL_STREAM of another file: <N> lines on stderr, nothing sent")
    finally:
        v.close()
        k.stop()
        bus.stop()
        journal.close()
