#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""vasctl metrics on a ledger of a known history: windows of both types,
one suspended for credits; a migration whose delay lock is never released
(a timeout) and whose kernel suspend races a window's open (an anomaly),
completed; a check vetoed by a block lock; a delay and a block lock still
held. The output is parsed by a strict parser written to the text
format's spec (and by promtool check metrics when installed) and each
value checked against the history and against the ledger read with
Python's sqlite3: while vasd runs, and after it stopped (no lock held
then). --output writes the same text atomically (a new inode, mode 0644,
no temporary file left); an unreadable ledger gives vasd_ledger_readable 0
and status 4; root, with CAP_SETUID and CAP_SETGID only as
vasd-metrics.service runs it, reads another's ledger in its 0700 directory
as its owner, so the -wal and -shm files SQLite creates beside it are the
owner's, and writes the output as root."""

import math
import os
import re
import shutil
import subprocess

from vasdtest import FakeKernel, TempDir, Vasd, VASCTL, check, ledger, log
from bustest import BUS_CLIENT, PrivateBus
from migtest import Follower, phase, phase_error, wait_prop

PROMTOOL = shutil.which("promtool")
# vasctl under memcheck when the valgrind setup runs (tools/valgrind-wrap)
WRAP = os.environ.get("VASD_WRAPPER", "").split()
FLEET_MD = os.environ["FLEET_MD"]
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


def parse_labels(s, where):
    """{a="x",b="y"} without the braces: a dict; only \\\\, \\" and \\n escapes."""
    labels = {}
    i = 0
    while i < len(s):
        m = re.compile(LABEL + '="').match(s, i)
        check(m is not None, "%s: bad label at %r" % (where, s[i:]))
        name = m.group(0)[:-2]
        i = m.end()
        value = []
        while True:
            check(i < len(s), "%s: label value not closed" % where)
            c = s[i]
            if c == "\\":
                e = s[i + 1:i + 2]
                check(e in ("\\", '"', "n"), "%s: escape \\%s" % (where, e))
                value.append("\n" if e == "n" else e)
                i += 2
            elif c == '"':
                i += 1
                break
            else:
                check(c != "\n", "%s: newline in a label value" % where)
                value.append(c)
                i += 1
        check(name not in labels, "%s: label %s twice" % (where, name))
        labels[name] = "".join(value)
        if i < len(s):
            check(s[i] == ",", "%s: expected ',' at %r" % (where, s[i:]))
            i += 1
    return labels


def parse_exposition(text):
    """The text format 0.0.4, strictly: {(name, ((label, value), ...)): float}."""
    check(text.endswith("\n"), "the text does not end with a newline")
    samples, types, helps = {}, {}, {}
    seen_families, current = set(), None
    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = "line %d %r" % (n, line)
        check(line.strip() != "" or line == "", where)
        if line == "":
            continue
        if line.startswith("#"):
            m = re.fullmatch(r"# (HELP|TYPE) (%s) (.*)" % NAME, line)
            if not m:
                continue        # a comment
            kind, name, rest = m.groups()
            if kind == "TYPE":
                check(rest in TYPES, "%s: type %r" % (where, rest))
                check(name not in types, "%s: a second TYPE for %s" % (where, name))
                check(name not in seen_families, "%s: TYPE after samples of %s" % (where, name))
                types[name] = rest
            else:
                check(name not in helps, "%s: a second HELP for %s" % (where, name))
                check(re.search(r"\\[^\\n]", rest) is None, "%s: HELP escape" % where)
                helps[name] = rest
            continue
        m = re.fullmatch(r"(%s)(?:\{(.*)\})? (\S+)(?: (-?\d+))?" % NAME, line)
        check(m is not None, "%s: not a sample" % where)
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        labels = parse_labels(labels, where)
        check(re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?Inf|NaN", value),
              "%s: value %r" % (where, value))
        family = name
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix) and name[:-len(suffix)] in types and \
               types[name[:-len(suffix)]] in ("histogram", "summary"):
                family = name[:-len(suffix)]
        check(family in types, "%s: no TYPE before the sample" % where)
        if family != current:
            check(family not in seen_families, "%s: %s's samples are not together" % (where, family))
            seen_families.add(family)
            current = family
        key = (name, tuple(sorted(labels.items())))
        check(key not in samples, "%s: the series twice" % where)
        samples[key] = float(value)
    return samples, types


def metrics(*args, rc=0):
    p = subprocess.run([*WRAP, VASCTL, "metrics", *args], capture_output=True, text=True)
    check(p.returncode == rc, "vasctl metrics %s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr))
    return p.stdout


def parsed(text):
    samples, types = parse_exposition(text)
    if PROMTOOL:
        p = subprocess.run([PROMTOOL, "check", "metrics"], input=text,
                           capture_output=True, text=True)
        check(p.returncode == 0, "promtool check metrics: %s%s" % (p.stdout, p.stderr))
    return samples, types


def value(samples, name, **labels):
    key = (name, tuple(sorted(labels.items())))
    check(key in samples, "no %s%r in the output" % (name, labels))
    return samples[key]


def check_against(db, path, samples, types, locks):
    """The values of the known history and the ledger's own rows."""
    want = {("vasd_migrations_total", "completed"): 1, ("vasd_migrations_total", "vetoed"): 1}
    for outcome in ("completed", "aborted", "unknown", "cancelled", "vetoed", "expired", "abandoned"):
        got = value(samples, "vasd_migrations_total", outcome=outcome)
        check(got == want.get(("vasd_migrations_total", outcome), 0),
              "migrations %s: %s" % (outcome, got))
    for name, n in (("vasd_migration_anomalies_total", 1), ("vasd_inhibitor_lock_timeouts_total", 1),
                    ("vasd_migration_vetoes_total", 1), ("vasd_migration_open", 0),
                    ("vasd_ledger_readable", 1), ("vasd_kernel_synced", 1)):
        check(value(samples, name) == n, "%s: %s, expected %d" % (name, value(samples, name), n))
    for mode, n in locks.items():
        got = value(samples, "vasd_inhibitor_locks", mode=mode)
        check(got == n, "locks %s: %s, expected %d" % (mode, got, n))
    for t, st, n in db.execute("SELECT type, state, count(*) FROM windows GROUP BY type, state"):
        got = value(samples, "vasd_windows", type=("default", "qos")[t], state=("active", "suspended")[st])
        check(got == n, "windows %d/%d: %s, the ledger %d" % (t, st, got, n))
    check(sum(v for (name, _), v in samples.items() if name == "vasd_windows") ==
          db.execute("SELECT count(*) FROM windows").fetchone()[0], "windows in all")
    for t, total, used in db.execute("SELECT type, total, used FROM caps"):
        name = ("default", "qos")[t]
        check(value(samples, "vasd_credits", type=name) == total, "credits %s" % name)
        check(value(samples, "vasd_credits_used", type=name) == used, "credits used %s" % name)
    first, last, n = db.execute("SELECT min(position), max(position), count(*) FROM events").fetchone()
    check((value(samples, "vasd_ledger_first_position"), value(samples, "vasd_ledger_position"),
           value(samples, "vasd_ledger_events")) == (first, last, n), "positions")
    generation, seq = db.execute("SELECT generation, seq FROM cursor").fetchone()
    check(value(samples, "vasd_kernel_info", generation="%016x" % (generation & (2**64 - 1))) == 1,
          "kernel info")
    check(value(samples, "vasd_kernel_seq") == seq, "kernel seq")
    check(value(samples, "vasd_ledger_bytes", file="db") == os.path.getsize(path), "ledger bytes")
    ts, since = db.execute("SELECT timestamp, coord_since FROM events WHERE kind = "
                           "'migration-client-blackout' OR kind = 'migration-blackout' "
                           "ORDER BY (kind = 'migration-blackout') DESC, position DESC").fetchone()
    check(math.isclose(value(samples, "vasd_migration_last_blackout_seconds"),
                       (ts - since) / 1e9, abs_tol=1e-6), "blackout")
    for reason, n in db.execute("SELECT reason, count(*) FROM events WHERE kind = 'resync-begin' "
                                "GROUP BY reason"):
        check(value(samples, "vasd_resyncs_total", reason=reason) == n, "resyncs %s" % reason)
    for name, kind in types.items():
        check(kind == ("counter" if name.endswith("_total") else "gauge"), "%s is a %s" % (name, kind))


with TempDir() as d:
    bus = PrivateBus(d)
    k = FakeKernel(d)
    k.run("open default comm=alpha tgid=4242", "open default comm=beta tgid=4243",
          "open qos comm=gamma tgid=4244", "open qos comm=delta tgid=4245", "credits qos 1")
    v = Vasd(d, k.spec, bus=True, extra=["--inhibit-delay-max=1"]).start()
    k.run("wait-coordinator")
    db = ledger(v.db)
    never = block = None
    try:
        # a delay lock never released: pre waits out the bound
        never = Follower("delay", -1)
        check(phase("check")[0] == "1", "check 1")
        phase("pre")
        k.run("migrate stream=1 race")
        wait_prop("MigrationAnomalies", 1)
        m, msg = phase("post")
        check(m == "1" and "closed: completed" in msg, "post: %r" % msg)
        # a block lock vetoes the next check
        block = subprocess.Popen([BUS_CLIENT, "inhibit", "1", "block"],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        check(block.stdout.readline() == "ok\n" and block.stdout.readline() == "held 1\n",
              "the block lock")
        name, _ = phase_error("check")
        check(name == "org.vasd1.Error.MigrationVetoed", "veto: %s" % name)
        log("history: migration 1 completed with a lock timeout and an anomaly; migration 2 vetoed")

        samples, types = parsed(metrics("-d", v.db))
        check_against(db, v.db, samples, types, {"delay": 1, "block": 1})
        families = set(types)
        check(value(samples, "vasd_windows", type="qos", state="suspended") == 1, "qos suspended")
        log("while vasd runs: %d series, strict parser%s: every value as the history and the ledger say"
            % (len(samples), " and promtool" if PROMTOOL else ""))

        check(v.stop() == 0, "vasd did not stop cleanly")
        text = metrics("-d", v.db)
        samples, types = parsed(text)
        check_against(db, v.db, samples, types, {"delay": 0, "block": 0})
        log("vasd stopped: the same, no lock held")

        # --output: atomic, readable by all, the same text
        out_dir = os.path.join(d, "textfile")
        os.mkdir(out_dir)
        out = os.path.join(out_dir, "vasd.prom")
        with open(out, "w") as f:
            f.write("old\n")
        old_ino = os.stat(out).st_ino
        metrics("-d", v.db, "--output", out)
        st = os.stat(out)
        check(open(out).read() == text, "--output differs from standard output")
        check(st.st_ino != old_ino and st.st_mode & 0o777 == 0o644,
              "--output: inode %d (was %d), mode %o" % (st.st_ino, old_ino, st.st_mode & 0o777))
        check(os.listdir(out_dir) == ["vasd.prom"], "left in the directory: %r" % os.listdir(out_dir))
        log("--output: renamed into place (a new inode), mode 0644, nothing else left")

        # a ledger that cannot be read
        missing = os.path.join(d, "missing.db")
        text = metrics("-d", missing, "--output", out, rc=4)
        samples, _ = parsed(open(out).read())
        check(samples == {("vasd_ledger_readable", ()): 0.0}, "unreadable: %r" % samples)
        check(not os.path.exists(missing), "vasctl created the ledger")
        log("an unreadable ledger: exit 4, vasd_ledger_readable 0 written")

        # root reads another's ledger as its owner
        own = os.path.join(d, "owned")
        os.mkdir(own)
        shutil.copy(v.db, own)
        nobody = int(subprocess.check_output(["id", "-u", "nobody"]))
        os.chown(own, nobody, -1)
        os.chown(os.path.join(own, "ledger.db"), nobody, -1)
        os.chmod(own, 0o700)
        check(os.listdir(own) == ["ledger.db"], "no -wal or -shm before")
        # as vasd-metrics.service runs it: root with CAP_SETUID and CAP_SETGID alone
        p = subprocess.run(["setpriv", "--bounding-set=-all,+setuid,+setgid", "--inh-caps=-all",
                            VASCTL, "metrics", "-d", os.path.join(own, "ledger.db"),
                            "--output", out], capture_output=True, text=True)
        check(p.returncode == 0, "vasctl metrics without DAC capabilities: %s" % p.stderr)
        samples, _ = parsed(open(out).read())
        check(value(samples, "vasd_ledger_readable") == 1, "owned ledger unreadable")
        made = {f: os.stat(os.path.join(own, f)).st_uid for f in os.listdir(own)}
        check(all(uid == nobody for uid in made.values()), "files beside the ledger: %r" % made)
        check(os.stat(out).st_uid == 0, "the output is not root's")
        log("root without CAP_DAC_* read nobody's ledger in its 0700 directory as nobody (%s), wrote as root"
            % ", ".join(sorted(made)))

        # docs/fleet.md's alert rules: valid, and on families vasctl writes
        with open(FLEET_MD) as f:
            fleet = f.read()
        rules = fleet[fleet.index("    groups:\n"):fleet.index("\nFleet views")]
        rules = "\n".join(line[4:] for line in rules.split("\n"))
        named = set(re.findall(r"\bvasd_[a-z_]+", rules))
        check(named and named <= families, "docs/fleet.md names %s" % sorted(named - families))
        if PROMTOOL:
            path = os.path.join(d, "rules.yml")
            with open(path, "w") as f:
                f.write(rules)
            p = subprocess.run([PROMTOOL, "check", "rules", path], capture_output=True, text=True)
            check(p.returncode == 0, "promtool check rules docs/fleet.md: %s%s" % (p.stdout, p.stderr))
        log("docs/fleet.md's rules: %d vasd families, all written by vasctl metrics%s"
            % (len(named), "; promtool check rules passes" if PROMTOOL else ""))
    finally:
        if never is not None:
            never.quit()
        if block is not None:
            block.stdin.close()
            block.wait(10)
        v.close()
        k.stop()
        bus.stop()
