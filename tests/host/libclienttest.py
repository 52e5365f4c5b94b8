# SPDX-License-Identifier: GPL-2.0-only
"""vasclient-test (tests/host/vasclient-test.c), libvasclient's clients
with worker threads, as a process whose JSON lines are read as they come."""

import json
import os
import signal
import subprocess
import threading
import time

from vasdtest import WRAPPER, check

VASCLIENT_TEST = os.environ.get("VASCLIENT_TEST", "")
WAIT = 60


class LibClients:
    def __init__(self, d, *args, user=()):
        self.err = open(os.path.join(d, "vasclient-test.err"), "a")
        self.proc = subprocess.Popen([*user, *WRAPPER, VASCLIENT_TEST, *args],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err, text=True)
        self.lines = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.wait("started", lambda: self.events(event="started"))

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(json.loads(line))
                self.cond.notify_all()
        with self.cond:
            self.lines.append({"event": "eof"})
            self.cond.notify_all()

    def events(self, client=None, event=None, since=0):
        with self.cond:
            return [e for e in self.lines[since:]
                    if (client is None or e.get("client") == client) and
                    (event is None or e["event"] == event)]

    def mark(self):
        """A position in the lines: events(since=mark) are the later ones."""
        with self.cond:
            return len(self.lines)

    def wait(self, what, pred, timeout=WAIT):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                got = pred()
                if got:
                    return got
                left = deadline - time.monotonic()
                check(left > 0, "%s: not within %ds; last lines %r"
                      % (what, timeout, self.lines[-10:]))
                check(not self.lines or self.lines[-1]["event"] != "eof",
                      "%s: vasclient-test ended; last lines %r" % (what, self.lines[-10:]))
                self.cond.wait(min(left, 0.5))

    def each(self, n, event, since=0, count=1):
        """Whether each of clients 0..n-1 logged event count times since."""
        return all(len(self.events(i, event, since)) >= count for i in range(n))

    def send(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def violations(self):
        return self.events(event="violation")

    def stop(self):
        """EOF on stdin: every client freed; the exit status."""
        self.proc.stdin.close()
        rc = self.proc.wait(WAIT)
        self.reader.join(WAIT)
        self.err.close()
        return rc

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(WAIT)
