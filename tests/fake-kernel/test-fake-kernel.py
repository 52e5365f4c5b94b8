#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The fake kernel read by a client of its own: raw SOCK_SEQPACKET sockets
and struct, no code of the project, so that the fake kernel's bytes are
checked against the uapi (proto/vas.h) and docs/netlink.md rather than
against the decoder that built them. Events numbered without a gap and,
applied in order, equal to the truth; dumps equal to the truth; the
module's order of suspension and of a migration; drop as a gap; reload
as a new generation; the coordinator's rules; bad requests; overrun as
an NLMSG_ERROR -ENOBUFS."""

import errno
import json
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback

FAKE_KERNEL = os.environ.get("FAKE_KERNEL", "")

# linux/netlink.h
NLMSG_NOOP, NLMSG_ERROR, NLMSG_DONE = 1, 2, 3
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK = 0x1, 0x2, 0x4
NLM_F_DUMP = 0x300
NLM_F_CAPPED, NLM_F_ACK_TLVS = 0x100, 0x200
NLA_TYPE_MASK = 0x3FFF
NLMSGERR_ATTR_MSG = 1
NLMSG_HDR = struct.Struct("=IHHII")
NLA_HDR = struct.Struct("=HH")

# proto/vas.h; the family's id on the unix transport (daemon/kernel-source-unix.c)
FAMILY_ID = 0x1A
FAMILY_VERSION = 1
(CMD_WINDOW_GET, CMD_WINDOW_ADD_NTF, CMD_WINDOW_DEL_NTF, CMD_WINDOW_CHANGE_NTF,
 CMD_CAPS_GET, CMD_CAPS_CHANGE_NTF, CMD_MIGRATION_GET,
 CMD_MIGRATION_CHANGE_NTF, CMD_COORD_REGISTER, CMD_COORD_UNREGISTER,
 CMD_COORD_ACK) = range(1, 12)
NOTIFICATIONS = (CMD_WINDOW_ADD_NTF, CMD_WINDOW_DEL_NTF, CMD_WINDOW_CHANGE_NTF,
                 CMD_CAPS_CHANGE_NTF, CMD_MIGRATION_CHANGE_NTF)
(A_PAD, A_GENERATION, A_SEQ, A_TIMESTAMP, A_WINDOW, A_CAPS, A_MIGRATION,
 A_TOKEN) = range(1, 9)
WINDOW_ATTRS = {2: ("id", "I"), 3: ("tgid", "I"), 4: ("pid", "I"),
                5: ("comm", "s"), 6: ("cop", "I"), 7: ("type", "I"),
                8: ("state", "I"), 9: ("reason", "I"), 10: ("opened_at", "Q")}
CAPS_ATTRS = {1: ("type", "I"), 2: ("total", "I"), 3: ("used", "I")}
MIGRATION_ATTRS = {2: ("stream_id", "Q"), 3: ("phase", "I"), 4: ("token", "Q")}
TYPE_DEFAULT, TYPE_QOS = 0, 1
STATE_ACTIVE, STATE_SUSPENDED = 0, 1
REASON_NONE, REASON_MIGRATION, REASON_CREDITS = 0, 1, 2
(PHASE_NONE, PHASE_PREPARE, PHASE_SUSPENDING, PHASE_SUSPENDED, PHASE_RESUMED,
 PHASE_COMPLETED, PHASE_ABORTED) = range(7)

TIMEOUT = 20


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr, flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def check_eq(got, want, what):
    if got != want:
        fail("%s: got %r, expected %r" % (what, got, want))


def log(msg):
    print(msg, flush=True)


# --- netlink, minimally -----------------------------------------------------

def attrs(data):
    """{type: payload} of a run of attributes; pads are skipped."""
    out = {}
    off = 0
    while off + NLA_HDR.size <= len(data):
        length, typ = NLA_HDR.unpack_from(data, off)
        check(length >= NLA_HDR.size and off + length <= len(data),
              "attribute of length %d at %d in %d bytes" % (length, off, len(data)))
        out[typ & NLA_TYPE_MASK] = data[off + NLA_HDR.size:off + length]
        off += (length + 3) & ~3
    check(off >= len(data), "trailing bytes after the attributes")
    return out


def nest(data, spec):
    out = {}
    for typ, payload in attrs(data).items():
        if typ not in spec:
            continue
        name, fmt = spec[typ]
        if fmt == "s":
            check(payload.endswith(b"\0"), "%s is not NUL-terminated" % name)
            out[name] = payload[:-1].decode()
        else:
            check_eq(len(payload), struct.calcsize(fmt), "length of " + name)
            out[name] = struct.unpack("=" + fmt, payload)[0]
    return out


def u64(a, typ):
    return struct.unpack("=Q", a[typ])[0] if typ in a else None


class Msg:
    """One netlink message, with its genetlink payload decoded."""

    def __init__(self, data):
        (self.len, self.type, self.flags, self.nlseq,
         self.pid) = NLMSG_HDR.unpack_from(data)
        body = data[NLMSG_HDR.size:self.len]
        self.error = None
        self.extack = None
        self.cmd = None
        if self.type == NLMSG_ERROR:
            self.error = struct.unpack_from("=i", body)[0]
            # a CAPPED ack echoes only the request's header
            if self.flags & NLM_F_ACK_TLVS:
                check(self.flags & NLM_F_CAPPED, "extack without NLM_F_CAPPED")
                tlv = attrs(body[4 + NLMSG_HDR.size:])
                if NLMSGERR_ATTR_MSG in tlv:
                    self.extack = tlv[NLMSGERR_ATTR_MSG].rstrip(b"\0").decode()
            return
        if self.type == NLMSG_DONE:
            self.error = struct.unpack_from("=i", body)[0] if body else 0
            return
        check_eq(self.type, FAMILY_ID, "nlmsg_type")
        self.cmd, version, _ = struct.unpack_from("=BBH", body)
        check_eq(version, FAMILY_VERSION, "genetlink version")
        a = attrs(body[4:])
        self.generation = u64(a, A_GENERATION)
        self.seq = u64(a, A_SEQ)
        self.timestamp = u64(a, A_TIMESTAMP)
        self.token = u64(a, A_TOKEN)
        self.window = nest(a[A_WINDOW], WINDOW_ATTRS) if A_WINDOW in a else None
        self.caps = nest(a[A_CAPS], CAPS_ATTRS) if A_CAPS in a else None
        self.migration = (nest(a[A_MIGRATION], MIGRATION_ATTRS)
                          if A_MIGRATION in a else None)


def messages(datagram):
    out = []
    off = 0
    while off + NLMSG_HDR.size <= len(datagram):
        length = NLMSG_HDR.unpack_from(datagram, off)[0]
        check(NLMSG_HDR.size <= length <= len(datagram) - off,
              "nlmsg_len %d at %d of %d" % (length, off, len(datagram)))
        out.append(Msg(datagram[off:off + length]))
        off += (length + 3) & ~3
    return out


def nla(typ, payload):
    data = NLA_HDR.pack(NLA_HDR.size + len(payload), typ) + payload
    return data + b"\0" * (-len(data) % 4)


def request_bytes(cmd, flags, nlseq, payload=b"", ftype=FAMILY_ID, version=FAMILY_VERSION):
    body = struct.pack("=BBH", cmd, version, 0) + payload
    return NLMSG_HDR.pack(NLMSG_HDR.size + len(body), ftype,
                          NLM_F_REQUEST | flags, nlseq, 0) + body


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET | socket.SOCK_CLOEXEC)
    s.connect(path)
    return s


def recv(sock, timeout=TIMEOUT):
    r, _, _ = select.select([sock], [], [], timeout)
    check(r, "nothing received within %ss" % timeout)
    data = sock.recv(65536)
    check(data, "the fake kernel closed the connection")
    return data


class Requests:
    """A request connection: a second connection, claimed by its first request."""

    def __init__(self, path):
        self.sock = connect(path)
        self.nlseq = 0

    def send(self, raw):
        self.sock.send(raw)

    def transact(self, cmd, flags, payload=b"", **kw):
        """Replies to one request: (error of its ack or NLMSG_DONE, messages)."""
        self.nlseq += 1
        self.send(request_bytes(cmd, flags, self.nlseq, payload, **kw))
        return self.replies(ack=bool(flags & NLM_F_ACK))

    def replies(self, ack):
        got = []
        while True:
            for m in messages(recv(self.sock)):
                if m.nlseq != self.nlseq:
                    # events sent before the connection was claimed
                    check(m.nlseq == 0 and m.cmd in NOTIFICATIONS,
                          "a reply to no request: type %d seq %d" % (m.type, m.nlseq))
                    continue
                if m.type == NLMSG_ERROR:
                    return m, got
                if m.type == NLMSG_DONE:
                    check(all(g.flags & NLM_F_MULTI for g in got),
                          "a dump part without NLM_F_MULTI")
                    return m, got
                got.append(m)
                if not ack and not (m.flags & NLM_F_MULTI):
                    return None, got

    def dump(self, cmd):
        end, got = self.transact(cmd, NLM_F_DUMP)
        check_eq(end.type, NLMSG_DONE, "end of dump %d" % cmd)
        check_eq(end.error, 0, "NLMSG_DONE's error")
        return got

    def do(self, cmd, payload=b""):
        """A do with NLM_F_ACK: (errno, extack, replies)."""
        ack, got = self.transact(cmd, NLM_F_ACK, payload)
        check_eq(ack.type, NLMSG_ERROR, "ack of cmd %d" % cmd)
        return ack.error, ack.extack, got

    def close(self):
        self.sock.close()


class Events:
    """The events connection, and the state its events make."""

    def __init__(self, path):
        self.sock = connect(path)
        self.generation = None
        self.last = 0
        self.windows = {}
        self.totals = {}
        self.migration = None
        self.log = []

    def next(self, timeout=TIMEOUT):
        data = recv(self.sock, timeout)
        ms = messages(data)
        check_eq(len(ms), 1, "messages in an event datagram")
        m = ms[0]
        if m.type == NLMSG_ERROR:
            return m
        check_eq(m.nlseq, 0, "nlmsg_seq of a notification")
        check_eq(m.flags, 0, "nlmsg_flags of a notification")
        check(m.cmd in NOTIFICATIONS, "event cmd %d" % m.cmd)
        check(m.generation is not None and m.seq is not None
              and m.timestamp is not None, "an event without generation, seq or time")
        self.log.append(m)
        return m

    def apply(self, m):
        """Follow an event; contiguous seq within a generation."""
        if m.generation != self.generation:
            self.generation = m.generation
            self.windows = {}
            self.migration = None
            check_eq(m.seq, 1, "first seq of generation %x" % m.generation)
        else:
            check_eq(m.seq, self.last + 1, "seq after %d" % self.last)
        self.last = m.seq
        if m.cmd == CMD_WINDOW_ADD_NTF:
            check(m.window["id"] not in self.windows, "added twice: %r" % m.window)
            self.windows[m.window["id"]] = m.window
        elif m.cmd == CMD_WINDOW_DEL_NTF:
            check(self.windows.pop(m.window["id"], None) is not None,
                  "deleted unknown window %r" % m.window)
        elif m.cmd == CMD_WINDOW_CHANGE_NTF:
            check(m.window["id"] in self.windows, "changed unknown %r" % m.window)
            self.windows[m.window["id"]] = m.window
        elif m.cmd == CMD_CAPS_CHANGE_NTF:
            self.totals[m.caps["type"]] = m.caps["total"]
        else:
            self.migration = m.migration

    def follow(self, until_seq, timeout=TIMEOUT):
        """Apply events up to until_seq; returns them."""
        got = []
        while self.last < until_seq or self.generation is None:
            m = self.next(timeout)
            check(m.type != NLMSG_ERROR, "an error %d on the events connection" % (m.error or 0))
            self.apply(m)
            got.append(m)
        return got

    def close(self):
        self.sock.close()


class FakeKernel:
    def __init__(self, directory, *extra):
        self.dir = directory
        self.socket = os.path.join(directory, "kernel.sock")
        self.n = 0
        self.stderr = open(os.path.join(directory, "fake-kernel.log"), "w")
        self.proc = subprocess.Popen(
            [FAKE_KERNEL, "--socket", self.socket, "--linger", *extra],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=self.stderr, text=True)
        deadline = time.monotonic() + TIMEOUT
        while not os.path.exists(self.socket):
            check(self.proc.poll() is None, "the fake kernel exited at start")
            check(time.monotonic() < deadline, "the fake kernel did not listen")
            time.sleep(0.005)

    def run(self, *lines):
        for line in lines:
            self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def truth(self):
        self.n += 1
        path = os.path.join(self.dir, "truth-%d.json" % self.n)
        self.run("truth " + path)
        deadline = time.monotonic() + 3 * TIMEOUT
        while not os.path.exists(path):
            check(self.proc.poll() is None, "the fake kernel died")
            check(time.monotonic() < deadline, "no truth from the fake kernel")
            time.sleep(0.005)
        check(not os.path.exists(path + ".tmp"), "truth's temporary file left")
        with open(path) as f:
            return json.load(f)

    def stop(self):
        self.proc.stdin.close()
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(TIMEOUT)
        self.stderr.close()
        check_eq(rc, 0, "the fake kernel's exit status")
        check(not os.path.exists(self.socket), "the socket was left behind")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def session(directory, *extra):
    """A fake kernel with an events connection and a request connection
    (connected in that order, as vasd connects)."""
    k = FakeKernel(directory, *extra)
    ev = Events(k.socket)
    rq = Requests(k.socket)
    # the first request makes it a request connection
    check_eq(rq.do(CMD_MIGRATION_GET)[0], 0, "the first request")
    k.run("wait-client")
    return k, ev, rq


WINDOW_KEYS = ("id", "tgid", "pid", "comm", "cop", "type", "state", "reason",
               "opened_at")


def by_id(windows):
    return {w["id"]: {k: w[k] for k in WINDOW_KEYS} for w in windows}


def check_dumps(rq, truth, what):
    parts = rq.dump(CMD_WINDOW_GET)
    for p in parts:
        check_eq(p.cmd, CMD_WINDOW_GET, "cmd of a window dump part")
        check_eq(p.generation, truth["generation"], "generation in a window dump")
        check_eq(p.seq, truth["seq"], "seq in a window dump")
    check_eq(by_id(p.window for p in parts), by_id(truth["windows"]),
             what + ": window dump against the truth")
    caps = rq.dump(CMD_CAPS_GET)
    for p in caps:
        check_eq(p.generation, truth["generation"], "generation in a caps dump")
        check_eq(p.seq, truth["seq"], "seq in a caps dump")
    check_eq([p.caps for p in caps], truth["caps"], what + ": caps dump")
    err, _, got = rq.do(CMD_MIGRATION_GET)
    check_eq(err, 0, "MIGRATION_GET's ack")
    check_eq(len(got), 1, "MIGRATION_GET replies")
    check_eq(got[0].migration, truth["migration"], what + ": MIGRATION_GET")
    check_eq((got[0].generation, got[0].seq),
             (truth["generation"], truth["seq"]), "MIGRATION_GET's generation and seq")


def check_follow(ev, truth, what):
    ev.follow(truth["seq"])
    check_eq(ev.generation, truth["generation"], what + ": generation")
    check_eq(ev.last, truth["seq"], what + ": last seq")
    check_eq(by_id(ev.windows.values()), by_id(truth["windows"]),
             what + ": windows the events made against the truth")
    for c in truth["caps"]:
        if c["type"] in ev.totals:
            check_eq(ev.totals[c["type"]], c["total"], what + ": caps total")


def test_semantics(d):
    k, ev, rq = session(d, "--generation", "0x8000000000001234",
                        "--default-credits", "4", "--qos-credits", "2")
    try:
        check_dumps(rq, k.truth(), "at start")
        # an empty window dump is NLMSG_DONE alone
        check_eq(rq.dump(CMD_WINDOW_GET), [], "empty window dump")

        t0 = time.time_ns()
        k.run("open default comm=alpha tgid=10", "open default comm=beta",
              "open qos tgid=77", "open default", "open default",
              "open default")  # no credit left: refused, no event
        t = k.truth()
        check_eq(t["generation"], 0x8000000000001234, "--generation")
        check_eq(t["seq"], 5, "seq after 5 opens and a refusal")
        got = ev.follow(5)
        check_eq([m.cmd for m in got], [CMD_WINDOW_ADD_NTF] * 5, "five adds")
        check_eq([m.window["id"] for m in got], [1, 2, 3, 4, 5], "window ids")
        check_eq((got[0].window["comm"], got[0].window["tgid"]), ("alpha", 10),
                 "comm and tgid of the first")
        check_eq(got[2].window["type"], TYPE_QOS, "the qos window's type")
        for m in got:
            check(t0 <= m.timestamp <= time.time_ns(), "timestamp %d" % m.timestamp)
        check_follow(ev, t, "opens")
        check_dumps(rq, t, "opens")

        # fewer credits suspend the newest default windows (5, then 4)
        k.run("credits default 2")
        t = k.truth()
        got = ev.follow(t["seq"])
        check_eq([(m.cmd, m.window and m.window["id"]) for m in got],
                 [(CMD_WINDOW_CHANGE_NTF, 5), (CMD_WINDOW_CHANGE_NTF, 4),
                  (CMD_CAPS_CHANGE_NTF, None)], "credits 4 -> 2")
        check_eq([(m.window["state"], m.window["reason"]) for m in got[:2]],
                 [(STATE_SUSPENDED, REASON_CREDITS)] * 2, "suspended for credits")
        check_eq(got[2].caps, {"type": TYPE_DEFAULT, "total": 2, "used": 2}, "caps change")
        check_follow(ev, t, "credits down")
        check_dumps(rq, t, "credits down")
        # an unchanged total sends nothing
        k.run("credits default 2")
        check_eq(k.truth()["seq"], t["seq"], "seq after an unchanged total")

        # a migration: every window suspended, then resumed, in its phases
        k.run("migrate stream=9")
        t = k.truth()
        got = ev.follow(t["seq"])
        phases = [(i, m.migration["phase"]) for i, m in enumerate(got)
                  if m.cmd == CMD_MIGRATION_CHANGE_NTF]
        check_eq([p for _, p in phases],
                 [PHASE_PREPARE, PHASE_SUSPENDING, PHASE_SUSPENDED,
                  PHASE_RESUMED, PHASE_COMPLETED], "migration phases")
        check(all(m.migration["stream_id"] == 9 for m in got if m.migration),
              "stream id")
        (_, _), (i_ing, _), (i_ed, _), (i_res, _), (i_done, _) = phases
        check_eq(i_done, len(got) - 1, "COMPLETED last")
        down = [m.window for m in got[i_ing + 1:i_ed]]
        check_eq(sorted(w["id"] for w in down), [1, 2, 3, 4, 5],
                 "every window changed while suspending")
        check(all((w["state"], w["reason"]) == (STATE_SUSPENDED, REASON_MIGRATION)
                  for w in down), "suspended for the migration: %r" % down)
        up = {m.window["id"]: m.window for m in got[i_ed + 1:i_res]}
        check_eq(sorted(up), [1, 2, 3, 4, 5], "every window changed while resuming")
        check_eq([(up[i]["state"], up[i]["reason"]) for i in (1, 2, 3, 4, 5)],
                 [(STATE_ACTIVE, REASON_NONE)] * 3
                 + [(STATE_SUSPENDED, REASON_CREDITS)] * 2,
                 "after the migration, credits still missing")
        check_eq(t["migration"]["phase"], PHASE_COMPLETED, "truth's phase")
        check(t["migration"]["token"] != 0, "a token")
        check_follow(ev, t, "migration")
        check_dumps(rq, t, "migration")

        # more credits resume the oldest first (4, then 5)
        k.run("credits default 3")
        got = ev.follow(k.truth()["seq"])
        check_eq([(m.cmd, m.window and m.window["id"]) for m in got],
                 [(CMD_WINDOW_CHANGE_NTF, 4), (CMD_CAPS_CHANGE_NTF, None)],
                 "credits 2 -> 3")

        k.run("close 2", "close-newest", "close-oldest", "close 99")
        t = k.truth()
        got = ev.follow(t["seq"])
        check_eq([(m.cmd, m.window["id"]) for m in got],
                 [(CMD_WINDOW_DEL_NTF, 2), (CMD_WINDOW_DEL_NTF, 5),
                  (CMD_WINDOW_DEL_NTF, 1)], "closes")
        check_follow(ev, t, "closes")

        k.run("random 2000 seed=42", "burst 50")
        t = k.truth()
        check_follow(ev, t, "random")
        check_dumps(rq, t, "random")
        log("semantics: %d events, seq 1..%d contiguous, %d windows"
            % (len(ev.log), ev.last, len(t["windows"])))

        # the same seed, the same operations
        k.run("reload", "random 300 seed=7")
        a = k.truth()
        k.run("reload", "random 300 seed=7")
        b = k.truth()
        check_eq([(w["id"], w["type"], w["comm"], w["state"]) for w in a["windows"]],
                 [(w["id"], w["type"], w["comm"], w["state"]) for w in b["windows"]],
                 "random with one seed twice")
        check_eq(a["seq"], b["seq"], "random's events with one seed")
        k.stop()
    finally:
        k.kill()


def test_gap_and_reload(d):
    k, ev, rq = session(d)
    late = Requests(k.socket)
    try:
        # a connection gets events until its first request, then replies only
        k.run("wait-client 2", "open", "open")
        for seq in (1, 2):
            m = messages(recv(late.sock))[0]
            check_eq((m.cmd, m.seq), (CMD_WINDOW_ADD_NTF, seq), "an event before a request")
        check_eq(len(late.dump(CMD_WINDOW_GET)), 2, "the late connection's dump")
        k.run("open", "truth " + os.path.join(d, "sync.json"))
        ev.follow(3)
        check(not select.select([late.sock], [], [], 0.2)[0],
              "an event after the connection's first request")
        late.close()
        k.run("close 3")
        k.run("open", "open")
        t = k.truth()
        check_follow(ev, t, "before the gap")
        gen = t["generation"]
        k.run("drop 3", "open", "open", "open", "open")
        m = ev.next()
        check_eq((m.generation, m.seq), (gen, 10), "first event after drop 3")
        t = k.truth()
        check_eq(t["seq"], 10, "seq counts the dropped events")
        check_eq(len(t["windows"]), 8, "the dropped events' windows are there")
        ev.windows = {w["id"]: w for w in t["windows"]}
        ev.last = m.seq

        k.run("reload")
        t = k.truth()
        check(t["generation"] != gen, "reload keeps the generation")
        check_eq((t["seq"], t["windows"]), (0, []), "after reload")
        check_eq([c["total"] for c in t["caps"]], [32, 16], "credits after reload")
        check_eq(rq.dump(CMD_WINDOW_GET), [], "window dump after reload")
        k.run("open default comm=after")
        m = ev.next()
        check_eq((m.generation, m.seq, m.window["id"]), (t["generation"], 1, 1),
                 "first event after reload")
        k.stop()
    finally:
        k.kill()


def token_attr(token):
    return nla(A_TOKEN, struct.pack("=Q", token))


def test_coordinator(d):
    k, ev, rq = session(d)
    other = Requests(k.socket)
    try:
        check_eq(rq.do(CMD_COORD_REGISTER)[0], 0, "COORD_REGISTER")
        check_eq(rq.do(CMD_COORD_REGISTER)[0], 0, "COORD_REGISTER again, same connection")
        check_eq(other.do(CMD_COORD_REGISTER)[0], -errno.EBUSY, "a second coordinator")
        check_eq(other.do(CMD_COORD_UNREGISTER)[0], -errno.ENOENT,
                 "COORD_UNREGISTER by another")
        check_eq(rq.do(CMD_COORD_ACK)[0], -errno.EINVAL, "COORD_ACK without a token")
        check_eq(other.do(CMD_COORD_ACK, token_attr(1))[0], -errno.EACCES,
                 "COORD_ACK by another")
        check_eq(rq.do(CMD_COORD_ACK, token_attr(1))[0], -errno.ENOENT,
                 "COORD_ACK with nothing waiting")

        # the migration waits after PREPARE for the ack, serving requests
        start = time.monotonic()
        k.run("migrate ack-timeout-ms=15000")
        m = ev.follow(1)[0]
        check_eq(m.migration["phase"], PHASE_PREPARE, "first migration event")
        token = m.migration["token"]
        check(token, "PREPARE without a token")
        check_eq(rq.do(CMD_MIGRATION_GET)[2][0].migration["phase"], PHASE_PREPARE,
                 "MIGRATION_GET while waiting")
        check(not select.select([ev.sock], [], [], 0.2)[0],
              "the migration went on without the ack")
        check_eq(rq.do(CMD_COORD_ACK, token_attr(token ^ 1))[0], -errno.ESTALE,
                 "COORD_ACK with a wrong token")
        check_eq(rq.do(CMD_COORD_ACK, token_attr(token))[0], 0, "COORD_ACK")
        t = k.truth()
        check(time.monotonic() - start < 10, "the ack did not end the wait")
        check_eq(t["migration"]["phase"], PHASE_COMPLETED, "migration after the ack")

        # without an ack: the timeout
        start = time.monotonic()
        k.run("migrate ack-timeout-ms=300")
        t = k.truth()
        took = time.monotonic() - start
        check(0.3 <= took < 10, "ack timeout of 300 ms took %.3f s" % took)
        check_eq(t["migration"]["phase"], PHASE_COMPLETED, "migration after a timeout")

        check_eq(rq.do(CMD_COORD_UNREGISTER)[0], 0, "COORD_UNREGISTER")
        check_eq(rq.do(CMD_COORD_UNREGISTER)[0], -errno.ENOENT, "COORD_UNREGISTER again")
        check_eq(other.do(CMD_COORD_REGISTER)[0], 0, "register after unregister")
        # closing the coordinator's connection releases it
        other.close()
        deadline = time.monotonic() + TIMEOUT
        while rq.do(CMD_COORD_REGISTER)[0] == -errno.EBUSY:
            check(time.monotonic() < deadline, "a closed coordinator stays")
            time.sleep(0.01)
        k.stop()
    finally:
        k.kill()


def test_bad_requests(d):
    k, ev, rq = session(d)
    try:
        check_eq(rq.do(99)[0], -errno.EOPNOTSUPP, "an unknown cmd")
        ack, _ = rq.transact(CMD_MIGRATION_GET, NLM_F_DUMP)
        check_eq((ack.type, ack.error), (NLMSG_ERROR, -errno.EOPNOTSUPP),
                 "MIGRATION_GET dump")
        # a token of 4 bytes, and an attribute running past the message
        err, extack, _ = rq.do(CMD_COORD_ACK, nla(A_TOKEN, b"\1\2\3\4"))
        check_eq(err, -errno.EINVAL, "a short token")
        check(extack, "no extack for a short token")
        err, _, _ = rq.do(CMD_COORD_ACK, NLA_HDR.pack(64, A_TOKEN) + b"\0" * 8)
        check_eq(err, -errno.EINVAL, "an attribute past the end")
        # a message too short for its genetlink header
        rq.nlseq += 1
        rq.send(NLMSG_HDR.pack(NLMSG_HDR.size + 2, FAMILY_ID,
                               NLM_F_REQUEST | NLM_F_ACK, rq.nlseq, 0) + b"\1\1")
        ack, _ = rq.replies(ack=True)
        check_eq(ack.error, -errno.EINVAL, "no genetlink header")
        # without NLM_F_ACK, a do gets its reply and nothing else
        ack, got = rq.transact(CMD_MIGRATION_GET, 0)
        check_eq((ack, len(got)), (None, 1), "MIGRATION_GET without ACK")
        # the gets as dos, by id or type, as the kernel has them too
        err, extack, _ = rq.do(CMD_CAPS_GET)
        check_eq((err, extack), (-errno.EINVAL, "missing VAS_A_CAPS"), "CAPS_GET without a type")
        err, _, got = rq.do(CMD_CAPS_GET, nla(A_CAPS | 0x8000, nla(1, struct.pack("=I", TYPE_QOS))))
        check_eq((err, got[0].caps), (0, {"type": TYPE_QOS, "total": 16, "used": 0}),
                 "CAPS_GET of qos")
        err, _, _ = rq.do(CMD_CAPS_GET, nla(A_CAPS | 0x8000, nla(1, struct.pack("=I", 2))))
        check_eq(err, -errno.ERANGE, "CAPS_GET of type 2 (NLA_POLICY_MAX)")
        k.run("open default comm=one")
        ev.follow(1)
        win = nla(A_WINDOW | 0x8000, nla(2, struct.pack("=I", 1)))
        err, _, got = rq.do(CMD_WINDOW_GET, win)
        check_eq((err, got[0].window), (0, ev.windows[1]), "WINDOW_GET of window 1")
        err, _, _ = rq.do(CMD_WINDOW_GET, nla(A_WINDOW | 0x8000, nla(2, struct.pack("=I", 2))))
        check_eq(err, -errno.ENOENT, "WINDOW_GET of no window")
        # still served
        check_eq(len(rq.dump(CMD_CAPS_GET)), 2, "caps dump after bad requests")
        k.stop()
    finally:
        k.kill()


def test_overrun(d):
    k, ev, rq = session(d, "--sndbuf", "262144")
    try:
        k.run("burst 20000")
        check_eq(k.truth()["seq"], 40000, "seq after burst 20000")
        seqs = []
        error_at = None
        while select.select([ev.sock], [], [], 0.5)[0]:
            m = ev.next()
            if m.type == NLMSG_ERROR:
                check_eq((m.error, m.nlseq), (-errno.ENOBUFS, 0), "the overrun's error")
                check(error_at is None, "two errors for one overrun")
                error_at = len(seqs)
            else:
                seqs.append(m.seq)
        k.run("open")
        m = ev.next()
        if error_at is None:
            # it comes as soon as a send succeeds again: before the next event
            check_eq((m.type, m.error), (NLMSG_ERROR, -errno.ENOBUFS),
                     "ENOBUFS before the first event after the overrun")
            error_at = len(seqs)
            m = ev.next()
        seqs.append(m.seq)
        check_eq(m.seq, 40001, "the event after the overrun")
        before, after = seqs[:error_at], seqs[error_at:]
        check(before and len(before) < 40000, "%d events before the overrun" % len(before))
        check_eq(before, list(range(1, len(before) + 1)), "seqs before the overrun")
        check(after and after[0] > before[-1] + 1, "no gap at the overrun")
        check_eq(after, list(range(after[0], after[0] + len(after))),
                 "seqs after the overrun")
        check(rq.dump(CMD_CAPS_GET), "requests served after an overrun")
        log("overrun: seq 1..%d sent, ENOBUFS, then from seq %d"
            % (before[-1], after[0]))
        k.stop()
    finally:
        k.kill()


def test_script_end(d):
    # without --linger the fake kernel exits at the script's end; a bad line is status 2
    sock = os.path.join(d, "k2.sock")
    script = os.path.join(d, "script")
    with open(script, "w") as f:
        f.write("# a comment\nopen qos comm=x\nsleep 10\ntruth %s/t.json\n" % d)
    p = subprocess.run([FAKE_KERNEL, "--socket", sock, "--script", script],
                       capture_output=True, text=True, timeout=TIMEOUT)
    check_eq(p.returncode, 0, "exit at the end of a script:\n" + p.stderr)
    with open(os.path.join(d, "t.json")) as f:
        t = json.load(f)
    check_eq([(w["type"], w["comm"]) for w in t["windows"]], [(TYPE_QOS, "x")],
             "the script's window")
    check(len(p.stderr.splitlines()) >= 4, "a log line per command")
    p = subprocess.run([FAKE_KERNEL, "--socket", sock], input="frobnicate\n",
                       capture_output=True, text=True, timeout=TIMEOUT)
    check_eq(p.returncode, 2, "a bad line")
    p = subprocess.run([FAKE_KERNEL, "--socket", sock], input="exit 7\nopen\n",
                       capture_output=True, text=True, timeout=TIMEOUT)
    check_eq(p.returncode, 7, "exit 7")
    p = subprocess.run([FAKE_KERNEL, "--help"], capture_output=True, text=True)
    check(p.returncode == 0 and "burst N" in p.stdout, "--help")


def main():
    check(FAKE_KERNEL, "FAKE_KERNEL is not set")
    tests = [test_semantics, test_gap_and_reload, test_coordinator,
             test_bad_requests, test_overrun, test_script_end]
    # Every scenario runs even when one before it failed; a failure names it.
    failed = []
    for test in tests:
        d = tempfile.mkdtemp(prefix="test-fake-kernel.")
        try:
            start = time.monotonic()
            test(d)
            log("ok %s (%.2f s)" % (test.__name__, time.monotonic() - start))
        except (SystemExit, Exception) as e:
            if isinstance(e, SystemExit) and e.code in (0, None):
                raise
            if not isinstance(e, SystemExit):
                traceback.print_exc()
            print("FAIL: scenario '%s'" % test.__name__, file=sys.stderr, flush=True)
            failed.append(test.__name__)
            log("fake kernel's log of %s:" % test.__name__)
            try:
                with open(os.path.join(d, "fake-kernel.log")) as f:
                    sys.stdout.write("".join(f.readlines()[-40:]))
            except OSError:
                pass
        finally:
            shutil.rmtree(d, ignore_errors=True)
    if failed:
        fail("%d of %d scenarios failed: %s" % (len(failed), len(tests), ", ".join(failed)))
    log("%d tests passed" % len(tests))


if __name__ == "__main__":
    main()
