#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""vasd refuses, with exit status 3 and a clear message, a ledger file that
is not its own (another application's SQLite file, not SQLite at all),
that is damaged, or that a newer vasd wrote, and leaves it byte for byte
as it was. vasctl's read-only commands refuse them too."""

import hashlib
import os
import shutil
import sqlite3

from vasdtest import FakeKernel, Scenarios, TempDir, Vasd, check, log, vasctl


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def refused(d, path, what, needle):
    before = digest(path)
    v = Vasd(d, "unix:" + os.path.join(d, "none.sock"), db=path).spawn()
    rc = v.wait_exit()
    out = v.log_tail()
    v.close()
    check(rc == 3, "%s: vasd exited %d, expected 3:\n%s" % (what, rc, out))
    check(needle in out, "%s: no %r in the message:\n%s" % (what, needle, out))
    check(digest(path) == before, "%s: the file was changed" % what)
    for extra in (path + "-wal", path + "-journal"):
        check(not os.path.exists(extra) or os.path.getsize(extra) == 0,
              "%s: vasd left %s" % (what, extra))
    p = vasctl("ledger", "verify", "-d", path)
    check(p.returncode == 4, "%s: vasctl ledger verify exited %d"
          % (what, p.returncode))
    check(digest(path) == before, "%s: vasctl changed the file" % what)
    log("%s: refused (%s)" % (what, out.strip().splitlines()[0]))


with Scenarios() as scenario, TempDir() as d:
    # another application's database
    with scenario("foreign application_id"):
        p = os.path.join(d, "foreign.db")
        db = sqlite3.connect(p)
        db.execute("PRAGMA application_id = 1234")
        db.execute("CREATE TABLE notes (x TEXT)")
        db.execute("INSERT INTO notes VALUES ('precious')")
        db.commit()
        db.close()
        refused(d, p, "foreign application_id", "not a vasd ledger")

    # not SQLite at all
    with scenario("not SQLite"):
        p = os.path.join(d, "text.db")
        with open(p, "w") as f:
            f.write("my thesis, chapter 1\n" * 500)
        refused(d, p, "not SQLite", "not a vasd ledger")

    # a real ledger, written by vasd, for the two cases below
    k = FakeKernel(d)
    v = Vasd(d, k.spec).start()
    try:
        k.run("random 3000 seed=5")
        t = k.truth()
        v.wait_seq(t["seq"], gen=t["generation"])
        check(v.stop() == 0, "vasd did not stop cleanly")
    finally:
        v.close()
        k.stop()
    good = os.path.join(d, "ledger.db")

    # damaged inside a b-tree page
    with scenario("damaged"):
        p = os.path.join(d, "damaged.db")
        with open(good, "rb") as f:
            data = bytearray(f.read())
        page = int.from_bytes(data[16:18], "big")
        check(len(data) > 8 * page, "ledger too small to damage: %d" % len(data))
        # Damage the header and cell pointers of a b-tree leaf in the middle of
        # the file (bytes inside a record's payload would be data, which no
        # integrity check can tell from good data).
        leaves = [n for n in range(1, len(data) // page)
                  if data[n * page] in (0x0a, 0x0d)]
        check(leaves, "no b-tree leaf page in the ledger")
        n = leaves[len(leaves) // 2]
        for off in range(n * page, n * page + 24):
            data[off] ^= 0x5a
        with open(p, "wb") as f:
            f.write(data)
        refused(d, p, "damaged", "quick_check")

    # written by a newer vasd
    with scenario("newer schema"):
        p = os.path.join(d, "newer.db")
        shutil.copy(good, p)
        db = sqlite3.connect(p)
        db.execute("PRAGMA user_version = 999")
        db.commit()
        db.close()
        refused(d, p, "newer schema", "newer")
log("ok")
