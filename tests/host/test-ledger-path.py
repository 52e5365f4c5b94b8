#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""What vasd refuses at the ledger's path (issue 13, finding 7), with exit
status 5, a clear message, and nothing created or written: a 0-byte file
(a ledger whose history is gone, not a new one), a FIFO, a directory, a
symbolic link (dangling: its target is not created; to a ledger: the
ledger is not written) and a -wal or -shm beside the ledger that is a
symbolic link. SIGHUP is said in the log and ignored."""

import hashlib
import os
import signal

from vasdtest import Scenarios, TempDir, Vasd, check, ledger, log, wait_until

EXIT_UNSAFE = 5


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def vasd(d, db):
    return Vasd(d, "unix:" + os.path.join(d, "absent.sock"), db=db)


def refused(d, path, what, needle):
    v = vasd(d, path).spawn()
    try:
        rc = v.wait_exit()
        out = v.log_tail()
    finally:
        v.close()
    check(rc == EXIT_UNSAFE, "%s: vasd exited %d, expected %d:\n%s"
          % (what, rc, EXIT_UNSAFE, out))
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

    # what vasd leaves when it is killed before SQLite's first write: a new
    # ledger, not a refused one (vasd must come back after a SIGKILL)
    with s("0-byte file"):
        p = os.path.join(d, "empty.db")
        open(p, "w").close()
        v = vasd(d, p).start()
        check(v.stop() == 0, "vasd on a 0-byte file did not stop cleanly")
        v.close()
        check(os.path.getsize(p) > 0, "the 0-byte file did not become a ledger")

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
