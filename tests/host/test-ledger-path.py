#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""What vasd refuses at the ledger's path (issue 13, finding 7), with a
distinct exit status, a clear message, and nothing created or written: a
0-byte file (exit 3: a ledger whose history is gone, not a new one; vasd
creates a new ledger whole under another name, so it never leaves one), a
FIFO, a directory, a
symbolic link (dangling: its target is not created; to a ledger: the
ledger is not written) and a -wal or -shm beside the ledger that is a
symbolic link. SIGHUP is said in the log and ignored."""

import fcntl
import hashlib
import os
import signal
import subprocess

from vasdtest import VASCTL, Scenarios, TempDir, Vasd, check, ledger, log, wait_until

EXIT_REFUSED = 3
EXIT_UNSAFE = 5


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def vasd(d, db):
    return Vasd(d, "unix:" + os.path.join(d, "absent.sock"), db=db)


def refused(d, path, what, needle, status=EXIT_UNSAFE):
    v = vasd(d, path).spawn()
    try:
        rc = v.wait_exit()
        out = v.log_tail()
    finally:
        v.close()
    check(rc == status, "%s: vasd exited %d, expected %d:\n%s"
          % (what, rc, status, out))
    check(needle in out, "%s: no %r in:\n%s" % (what, needle, out))
    for extra in ("-wal", "-shm", "-journal"):
        check(not os.path.lexists(path + extra) or os.path.islink(path + extra),
              "%s: vasd created %s" % (what, path + extra))
    log("%s: exit %d (%s)" % (what, rc, out.strip().splitlines()[0]))


with Scenarios() as s, TempDir() as d:
    # a real ledger, for the links to point at
    good = os.path.join(d, "good.db")
    v = vasd(d, good).start()
    check(v.stop() == 0, "vasd did not stop cleanly")
    v.close()
    good_digest = digest(good)

    # vasd creates a ledger under a temporary name and renames it: none is
    # left beside it, and a 0-byte file at the path came from elsewhere
    with s("new ledger, atomically"):
        left = [f for f in os.listdir(d) if f.startswith("good.db")]
        check(left == ["good.db"], "beside a new ledger: %s" % sorted(left))

    with s("0-byte file"):
        p = os.path.join(d, "empty.db")
        open(p, "w").close()
        refused(d, p, "0-byte file", "is an empty file, not a ledger",
                status=EXIT_REFUSED)
        check(os.path.getsize(p) == 0, "the 0-byte file was written")

    # a creation killed before its rename leaves a locked-no-more temporary
    # file: the next creation removes it, and never a live one
    with s("leftover creation"):
        p = os.path.join(d, "fresh.db")
        stale = p + ".new-AbC123"
        with open(stale, "wb") as f:
            f.write(b"half")
        open(stale + "-journal", "wb").close()
        other = os.path.join(d, "fresh.db.new-keep99")
        with open(other, "wb") as f:
            f.write(b"live")
        held = open(other, "rb")
        fcntl.flock(held, fcntl.LOCK_EX)
        try:
            v = vasd(d, p).start()
            check(v.stop() == 0, "vasd did not stop cleanly")
            v.close()
        finally:
            held.close()
        check(os.path.getsize(p) > 0, "no ledger at %s" % p)
        check(not os.path.lexists(stale) and not os.path.lexists(stale + "-journal"),
              "the leftover creation was not removed")
        check(os.path.exists(other), "a creation in progress (locked) was removed")

    with s("FIFO"):
        p = os.path.join(d, "fifo.db")
        os.mkfifo(p)
        refused(d, p, "FIFO", "is not a regular file")

    with s("directory"):
        p = os.path.join(d, "dir.db")
        os.mkdir(p)
        refused(d, p, "directory", "is a directory")
        check(os.listdir(p) == [], "vasd wrote into the directory")

    with s("dangling symlink"):
        p = os.path.join(d, "dangling.db")
        target = os.path.join(d, "nowhere.db")
        os.symlink(target, p)
        refused(d, p, "dangling symlink", "is a symbolic link")
        check(not os.path.lexists(target), "the link's target was created")

    with s("symlink to a ledger"):
        p = os.path.join(d, "link.db")
        os.symlink(good, p)
        refused(d, p, "symlink to a ledger", "is a symbolic link")
        check(digest(good) == good_digest, "the ledger behind the link was written")

    for side in ("-wal", "-shm"):
        with s("%s is a symlink" % side):
            p = os.path.join(d, "side%s.db" % side)
            with open(good, "rb") as f, open(p, "wb") as g:
                g.write(f.read())
            target = os.path.join(d, "elsewhere" + side)
            os.symlink(target, p + side)
            refused(d, p, "%s a symlink" % side, "%s is a symbolic link" % (p + side))
            check(not os.path.lexists(target), "the %s link's target was created" % side)

    # vasctl (often root) reads the ledger and follows no link either: SQLite
    # would create -wal/-shm beside wherever the link points
    with s("vasctl and a symlink"):
        elsewhere = os.path.join(d, "elsewhere")
        os.mkdir(elsewhere)
        target = os.path.join(elsewhere, "copy.db")
        with open(good, "rb") as f, open(target, "wb") as g:
            g.write(f.read())
        link = os.path.join(d, "reader-link.db")
        os.symlink(target, link)
        for verb in ("verify", "stats", "export"):
            p = subprocess.run([VASCTL, "ledger", verb, "--database", link],
                               capture_output=True, text=True, timeout=60)
            check(p.returncode == 4 and "is a symbolic link; it is not followed" in p.stderr,
                  "vasctl ledger %s on a link: %d %r" % (verb, p.returncode, p.stderr))
        p = subprocess.run([VASCTL, "migration", "status", "--database", link],
                           capture_output=True, text=True, timeout=60)
        check(p.returncode != 0 and "is a symbolic link" in p.stderr,
              "vasctl migration status on a link: %d %r" % (p.returncode, p.stderr))
        check(sorted(os.listdir(elsewhere)) == ["copy.db"],
              "vasctl created beside the link's target: %s" % sorted(os.listdir(elsewhere)))
        p = subprocess.run([VASCTL, "ledger", "verify", "--database", target],
                           capture_output=True, text=True, timeout=60)
        check(p.returncode == 0, "vasctl ledger verify on the file: %d %r" % (p.returncode, p.stderr))
        log("vasctl on a symlink: exit 4, nothing created beside its target")

    with s("SIGHUP"):
        v = vasd(d, good).start()
        try:
            v.proc.send_signal(signal.SIGHUP)
            wait_until("vasd's word of SIGHUP",
                       lambda: "Received SIGHUP; ignored" in v.log_tail())
            check(v.proc.poll() is None, "vasd exited on SIGHUP")
            check(v.stop() == 0, "vasd did not stop cleanly after SIGHUP")
            kinds = [r[0] for r in ledger(good).execute(
                "SELECT kind FROM events ORDER BY position")]
            check(kinds[-2:] == ["daemon-start", "daemon-stop"],
                  "events after SIGHUP: %s" % kinds)
        finally:
            v.close()
        log("SIGHUP: said in the log, ignored; vasd stops cleanly after it")
