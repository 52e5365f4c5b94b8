#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""vasd refuses, with exit status 3 and a clear message, a ledger file that
is not its own (another application's SQLite file, not SQLite at all),
that is damaged, or that a newer vasd wrote, and leaves it byte for byte
as it was. vasctl's read-only commands refuse them too."""

import hashlib

from vasdtest import *


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


with TempDir() as d:
    # another application's database
    p = os.path.join(d, "foreign.db")
    db = sqlite3.connect(p)
    db.execute("PRAGMA application_id = 1234")
    db.execute("CREATE TABLE notes (x TEXT)")
    db.execute("INSERT INTO notes VALUES ('precious')")
    db.commit()
    db.close()
    refused(d, p, "foreign application_id", "not a vasd ledger")

    # not SQLite at all
    p = os.path.join(d, "text.db")
    with open(p, "w") as f:
        f.write("my thesis, chapter 1\n" * 500)
    refused(d, p, "not SQLite", "not a vasd ledger")

    # a real ledger, written by vasd, then damaged inside a b-tree page
    k = FakeKernel(d)
    v = Vasd(d, k.spec).start()
    k.run("random 3000 seed=5")
    t = k.truth()
    v.wait_seq(t["seq"])
    check(v.stop() == 0, "vasd did not stop cleanly")
    v.close()
    k.stop()
    good = os.path.join(d, "ledger.db")
    p = os.path.join(d, "damaged.db")
    with open(good, "rb") as f:
        data = bytearray(f.read())
    page = 4096
    check(len(data) > 8 * page, "ledger too small to damage: %d" % len(data))
    for off in range(3 * page + 100, 3 * page + 400):
        data[off] ^= 0x5a
    with open(p, "wb") as f:
        f.write(data)
    refused(d, p, "damaged", "integrity")

    # written by a newer vasd
    p = os.path.join(d, "newer.db")
    shutil.copy(good, p)
    db = sqlite3.connect(p)
    db.execute("PRAGMA user_version = 999")
    db.commit()
    db.close()
    refused(d, p, "newer schema", "newer")
log("ok")
