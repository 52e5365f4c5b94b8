#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""vasd on its real architecture: the patched 6.12 pseries kernel
(tools/ppc64le/kernel) booted under qemu-system-ppc64 with an initramfs of
ppc64el vasd, vasctl, dbus-daemon and busybox (tools/ppc64le/initramfs),
whose /init (tests/ppc64le/init) prints what vasd and vasctl see. QEMU has
no VAS hypercalls, so the kernel is the "Without VAS capabilities" case of
docs/kernel.md: the family registered, no windows, 0 credits of each type.

    test-boot.py [CROSS_BUILD_DIR]

Exits 0 when everything holds; the console is printed on failure."""

import json
import os
import select
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = os.path.join(REPO, "tools", "ppc64le")
sys.path.insert(0, os.path.join(REPO, "tests", "host"))
from vasctltest import STATUS_KEYS  # noqa: E402  the same contract as on amd64
# the boot alone, once the kernel and the initramfs exist: about a minute
# under TCG; a loaded machine may take several times that
BOOT_TIMEOUT = int(os.environ.get("VASD_PPC64LE_BOOT_TIMEOUT", "600"))
TAG = "VASD-PPC64LE "
RESULT = "VASD-PPC64LE-RESULT "



def log(msg):
    print("ppc64le/boot: %s" % msg, file=sys.stderr, flush=True)


def boot(kernel, initrd):
    """Runs the VM; returns the console's lines. Kills qemu on timeout."""
    cmd = ["qemu-system-ppc64", "-M", "pseries", "-cpu", "POWER9",
           "-accel", "tcg", "-smp", "1", "-m", "1G", "-nographic",
           "-no-reboot", "-kernel", kernel, "-initrd", initrd,
           "-append", "console=hvc0 panic=-1"]
    log(" ".join(cmd))
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    lines, buf = [], b""
    deadline = time.monotonic() + BOOT_TIMEOUT
    timed_out = False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([proc.stdout], [], [], left)
            if not ready:
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            *done, buf = buf.split(b"\n")
            lines += [l.decode(errors="replace").rstrip("\r") for l in done]
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    if buf:
        lines.append(buf.decode(errors="replace"))
    if timed_out:
        lines.append("(test-boot.py: killed qemu after %d s)" % BOOT_TIMEOUT)
    return lines


def check_guest(lines):
    """The failures in what the guest printed, as a list of strings."""
    errors = []
    tagged = {}
    monitor = []
    result = None
    for line in lines:
        # the tag may follow a kernel message's tail on the same line
        if RESULT in line:
            result = line[line.index(RESULT) + len(RESULT):].strip()
        elif TAG in line:
            key, _, value = line[line.index(TAG) + len(TAG):].partition(" ")
            if key == "monitor":
                monitor.append(value)
            else:
                tagged[key] = value
    if result != "PASS":
        return ["the guest's result: %r" % result]

    status = json.loads(tagged["status"])
    if list(status) != STATUS_KEYS:
        errors.append("status keys: %s" % list(status))
    # docs/kernel.md "Without VAS capabilities": the family is there (vasd
    # attached), WINDOW_GET dumps nothing, CAPS_GET says total 0, used 0.
    want = {
        "state": "running", "kernel_attached": True,
        "windows": 0, "windows_active": 0, "windows_suspended": 0,
        "credits_default": {"total": 0, "used": 0},
        "credits_qos": {"total": 0, "used": 0},
        "migration_phase": "none", "migration_stream": 0,
        "migration_name": "", "migration_state": "idle", "migration_anomalies": 0,
    }
    for key, value in want.items():
        if status.get(key) != value:
            errors.append("status %s: %r, expected %r" % (key, status.get(key), value))
    # a real kernel instance: its generation is not the zeros of "never resynced"
    if status.get("generation") in (None, "0" * 16):
        errors.append("status generation: %r" % status.get("generation"))
    if status.get("first_position") != 1 or status.get("last_position", 0) < 1:
        errors.append("status positions: %r..%r"
                      % (status.get("first_position"), status.get("last_position")))

    windows = json.loads(tagged["windows"])
    if windows != []:
        errors.append("windows --json: %r" % windows)

    # vasctl monitor --kernel --dump-first: the credits of both types, 0,
    # no window, and a clean exit on SIGTERM
    caps = sorted(l.split() for l in monitor if "total=" in l)
    types = sorted(w for c in caps for w in c if w.startswith("type="))
    if types != ["type=default", "type=qos"]:
        errors.append("monitor's credits: %r" % monitor)
    for c in caps:
        if "total=0" not in c or "used=0" not in c:
            errors.append("monitor's credits: %r" % " ".join(c))
    if any("id=" in l for l in monitor):
        errors.append("monitor dumped windows: %r" % monitor)
    if tagged.get("monitor-exit") != "0":
        errors.append("vasctl monitor --kernel exited %r" % tagged.get("monitor-exit"))
    if tagged.get("vasd-exit") != "0":
        errors.append("vasd exited %r on SIGTERM" % tagged.get("vasd-exit"))
    return errors


def main():
    cross = os.path.abspath(sys.argv[1] if len(sys.argv) > 1
                            else os.path.join(REPO, "build-ppc64el"))
    t0 = time.monotonic()
    kdir = subprocess.run([os.path.join(TOOLS, "kernel")], check=True,
                          stdout=subprocess.PIPE, text=True).stdout.strip()
    t1 = time.monotonic()
    log("kernel %s (%.0f s)" % (kdir, t1 - t0))
    with tempfile.TemporaryDirectory() as tmp:
        initrd = os.path.join(tmp, "initrd.img")
        subprocess.run([os.path.join(TOOLS, "initramfs"), cross, initrd], check=True)
        t2 = time.monotonic()
        log("initramfs (%.0f s)" % (t2 - t1))
        lines = boot(os.path.join(kdir, "vmlinux"), initrd)
    log("boot (%.0f s)" % (time.monotonic() - t2))
    try:
        errors = check_guest(lines)
    except (KeyError, ValueError) as e:
        errors = ["the guest's output: %r" % e]
    if errors:
        print("\n".join(lines))
        for e in errors:
            log("FAIL: " + e)
        return 1
    for line in lines:
        if TAG in line:
            print(line)
    log("PASS (%.0f s in all)" % (time.monotonic() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
