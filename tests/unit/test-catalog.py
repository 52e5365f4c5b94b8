#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""systemd/vasd.catalog and daemon/message-ids.h list the same ids, each
once (and the docs given name no other); every entry has systemd's headers (Subject:, Defined-By: vasd,
Support:) and an explanation; and journalctl's own parser takes the file:
journalctl --update-catalog on a root holding only it, then --list-catalog
lists every id with its subject."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

HEADER, CATALOG, DOCS = sys.argv[1], sys.argv[2], sys.argv[3:]


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


with open(HEADER) as f:
    header = re.findall(r'#define (VASD_MESSAGE_\w+)\s+"([^"]*)"', f.read())
ids = [i for _, i in header]
for name, i in header:
    if not re.fullmatch(r"[0-9a-f]{32}", i):
        fail("%s: %r is not a 128-bit id in hex" % (name, i))
if len(set(ids)) != len(ids) or len(ids) < 10:
    fail("ids in the header: %r" % header)

entries = {}
with open(CATALOG) as f:
    current = None
    for line in f:
        m = re.match(r"-- (\S+)(?: (\S+))?$", line.rstrip("\n"))
        if m:
            if m.group(1) in entries:
                fail("%s twice in the catalog" % m.group(1))
            current = entries[m.group(1)] = []
        elif current is not None:
            current.append(line.rstrip("\n"))
if set(entries) != set(ids):
    fail("only in the header: %s; only in the catalog: %s"
         % (sorted(set(ids) - set(entries)), sorted(set(entries) - set(ids))))
subjects = {}
for i, lines in entries.items():
    heads = {}
    n = 0
    while n < len(lines) and lines[n]:
        key, _, value = lines[n].partition(": ")
        heads[key] = value
        n += 1
    body = [line for line in lines[n:] if line.strip()]
    if not heads.get("Subject") or heads.get("Defined-By") != "vasd" or not heads.get("Support"):
        fail("%s: headers %r" % (i, heads))
    if len(body) < 2:
        fail("%s: no explanation" % i)
    subjects[i] = heads["Subject"]
print("%d ids in the header and the catalog, each with its headers" % len(ids))
for doc in DOCS:
    with open(doc) as f:
        named = set(re.findall(r"\b[0-9a-f]{32}\b", f.read()))
    if not named or not named <= set(ids):
        fail("%s names ids not in the header: %s" % (doc, sorted(named - set(ids))))
    print("%s: its %d ids are vasd's" % (os.path.basename(doc), len(named)))

root = tempfile.mkdtemp(prefix="vasd-catalog.")
try:
    d = os.path.join(root, "usr/lib/systemd/catalog")
    os.makedirs(d)
    shutil.copy(CATALOG, d)
    p = subprocess.run(["journalctl", "--root=" + root, "--update-catalog"],
                       capture_output=True, text=True)
    if p.returncode != 0 or p.stderr.strip():
        fail("journalctl --update-catalog: %d %s" % (p.returncode, p.stderr))
    p = subprocess.run(["journalctl", "--root=" + root, "--list-catalog"],
                       capture_output=True, text=True)
    listed = dict(line.split(" ", 1) for line in p.stdout.splitlines())
    for i in ids:
        if listed.get(i) != "vasd: " + subjects[i]:
            fail("journalctl --list-catalog: %s is %r, expected %r"
                 % (i, listed.get(i), "vasd: " + subjects[i]))
    if len(listed) != len(ids):
        fail("journalctl lists %d entries, not %d" % (len(listed), len(ids)))
    for i in ids:
        p = subprocess.run(["journalctl", "--root=" + root, "--dump-catalog", i],
                           capture_output=True, text=True)
        if p.returncode != 0 or subjects[i] not in p.stdout:
            fail("journalctl --dump-catalog %s: %s%s" % (i, p.stdout, p.stderr))
    print("journalctl --update-catalog takes the file; --list-catalog and --dump-catalog show every id")
finally:
    shutil.rmtree(root)
