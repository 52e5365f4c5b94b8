#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The packages install what `meson install` installs. From a copy of the
source tree (the worktree is never written), builds

  - the reference: `meson setup --prefix=/usr -Dvm=disabled`, `meson install
    --destdir`;
  - the .deb: `dpkg-buildpackage -us -uc -b` (debian/), and the source
    package (`dpkg-source -b`), then lintian over both;
  - the RPM: `rpmbuild -bb --nodeps` of packaging/rpm/vasd.spec (Debian's
    rpm: Debian's package names are not the spec's BuildRequires);

and checks that each package holds exactly the reference's files
(directories aside; the man pages may be compressed; the packages' own
/usr/share/doc and /usr/share/licenses aside, and the RPM's build-id links),
with the same executable bits and, but for the stripped ELF files, the same
bytes; that all three carry meson's version; that lintian reports no error
(its whole output is printed); and that the .deb's postrm purges the unit's
StateDirectory.

    check-packages.py SOURCE_DIR

Exits 0 when everything holds. Keeps its temporary directory on failure."""

import glob
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

JOBS = "2"  # the machine's two cores are shared: never more


DEB_PACKAGES = ("vasd", "libvasclient0", "libvasclient-dev")
RPM_PACKAGES = ("vasd", "libvasclient", "libvasclient-devel")


def log(msg):
    print("package: %s" % msg, file=sys.stderr, flush=True)


def run(cmd, cwd=None, env=None, logfile=None):
    """Runs cmd; its output goes to logfile (printed on failure) or is
    returned."""
    start = time.monotonic()
    log("%s%s" % (" ".join(cmd), " (in %s)" % cwd if cwd else ""))
    full_env = dict(os.environ, LC_ALL="C.UTF-8")
    for k in ("DESTDIR", "MESON_TESTTHREADS", "MAKEFLAGS"):
        full_env.pop(k, None)
    full_env.update(env or {})
    proc = subprocess.run(cmd, cwd=cwd, env=full_env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.decode(errors="replace")
    if logfile:
        with open(logfile, "w") as f:
            f.write(out)
    log("  %.0f s, exit %d" % (time.monotonic() - start, proc.returncode))
    if proc.returncode != 0:
        print(out[-20000:], file=sys.stderr)
        raise SystemExit("package: %s failed (exit %d)" % (cmd[0], proc.returncode))
    return out


def source_files(src):
    """The tree's files as git sees them (tracked and untracked, not
    ignored), so no build directory is copied; every file when it is no
    checkout."""
    try:
        out = subprocess.run(["git", "-C", src, "ls-files", "-z", "--cached",
                              "--others", "--exclude-standard"],
                             check=True, capture_output=True).stdout
        return sorted(p for p in out.decode().split("\0")
                      if p and os.path.lexists(os.path.join(src, p)))
    except (OSError, subprocess.CalledProcessError):
        files = []
        for root, dirs, names in os.walk(src):
            dirs[:] = [d for d in dirs if not (d.startswith("build") or d == ".git"
                                               or d.startswith("obj-"))]
            files += [os.path.relpath(os.path.join(root, n), src) for n in names]
        return sorted(files)


def copy_tree(src, files, dst):
    for rel in files:
        target = os.path.join(dst, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(os.path.join(src, rel), target, follow_symlinks=False)


def normalize(path):
    """A package's path as meson installs it: man pages uncompressed."""
    if path.startswith("/usr/share/man/") and path.endswith(".gz"):
        return path[:-3]
    return path


def packaging_own(path):
    """Files a package adds of its own: its docs, licence, build-id links."""
    return (path.startswith("/usr/share/doc/") or path.startswith("/usr/share/licenses/")
            or path.startswith("/usr/lib/.build-id/"))


def reference_files(root):
    """{path: executable} of what meson installed under root."""
    files = {}
    for dirpath, dirs, names in os.walk(root):
        for n in names:
            full = os.path.join(dirpath, n)
            path = "/" + os.path.relpath(full, root)
            files[path] = bool(os.lstat(full).st_mode & 0o111)
    return files


def deb_files(deb):
    files = {}
    for line in run(["dpkg-deb", "-c", deb]).splitlines():
        # drwxr-xr-x root/root 0 2026-12-06 10:30 ./etc/
        fields = line.split(None, 5)
        perms, name = fields[0], fields[5].split(" -> ")[0]
        if perms.startswith("d"):
            continue
        path = name[1:] if name.startswith("./") else name
        files[path] = "x" in perms
    return files


def rpm_files(rpm):
    files = {}
    out = run(["rpm", "-qp", "--qf", "[%{FILEMODES:perms} %{FILENAMES}\\n]", rpm])
    for line in out.splitlines():
        perms, path = line.split(" ", 1)
        if perms.startswith("d"):
            continue
        files[path] = "x" in perms
    return files


def read_installed(root, path):
    """The file's bytes in an extracted package, decompressed."""
    for candidate in (path, path + ".gz"):
        full = root + candidate
        if os.path.exists(full):
            with open(full, "rb") as f:
                data = f.read()
            return gzip.decompress(data) if candidate.endswith(".gz") else data
    return None


def compare(what, ref, ref_root, files, root):
    """Differences between a package's files and the reference's."""
    errors = []
    own = sorted(p for p in files if packaging_own(p))
    got = {normalize(p): x for p, x in files.items() if not packaging_own(p)}
    log("%s: %d files, and its own %s" % (what, len(got), ", ".join(own) or "none"))
    for p in sorted(set(ref) - set(got)):
        errors.append("%s lacks %s" % (what, p))
    for p in sorted(set(got) - set(ref)):
        errors.append("%s has %s, which meson does not install" % (what, p))
    for p in sorted(set(ref) & set(got)):
        # Debian's policy (8.1) has shared libraries 0644; meson installs 0755
        if ref[p] != got[p] and not re.search(r"\.so(\.\d+)*$", p):
            mode = {True: "executable", False: "not executable"}
            errors.append("%s: %s is %s, meson's is %s" % (what, p, mode[got[p]], mode[ref[p]]))
        with open(ref_root + p, "rb") as f:
            want = f.read()
        if want.startswith(b"\x7fELF"):
            continue  # stripped, its debug info split off
        if read_installed(root, p) != want:
            errors.append("%s: %s differs from meson's" % (what, p))
    return errors


def main():
    src = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                          os.path.join(os.path.dirname(__file__), "..", ".."))
    start = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="vasd-package-")
    log("working in %s" % tmp)
    files = source_files(src)

    # the reference, and meson's version
    ref_src = os.path.join(tmp, "ref", "vasd")
    copy_tree(src, files, ref_src)
    ref_build = os.path.join(tmp, "ref", "build")
    ref_root = os.path.join(tmp, "ref", "root")
    run(["meson", "setup", "--prefix=/usr", "-Dvm=disabled", ref_build, ref_src],
        logfile=os.path.join(tmp, "ref-setup.log"))
    # only what is installed (the packages build and test the rest)
    targets = json.loads(run(["meson", "introspect", "--targets", ref_build]))
    outputs = [os.path.relpath(f, ref_build) for t in targets if t.get("installed")
               for f in t["filename"]]
    run(["ninja", "-C", ref_build, "-j", JOBS] + outputs,
        logfile=os.path.join(tmp, "ref-build.log"))
    run(["meson", "install", "-C", ref_build, "--no-rebuild", "--destdir", ref_root],
        logfile=os.path.join(tmp, "ref-install.log"))
    info = json.loads(run(["meson", "introspect", "--projectinfo", ref_build]))
    version = info["version"]
    ref = reference_files(ref_root)
    log("meson installs %d files, version %s" % (len(ref), version))

    errors = []

    # the .deb; dpkg-buildpackage writes beside the tree, so the copy
    # gets a directory of its own
    deb_src = os.path.join(tmp, "deb", "vasd-" + version)
    copy_tree(src, files, deb_src)
    # the source package too, before the build fills the tree: lintian
    # checks debian/ (copyright's DEP-5, control, rules) in it
    run(["dpkg-source", "-b", os.path.basename(deb_src)], cwd=os.path.dirname(deb_src))
    run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=deb_src,
        env={"DEB_BUILD_OPTIONS": "parallel=" + JOBS},
        logfile=os.path.join(tmp, "deb-build.log"))
    # vasd, and libvasclient's runtime and development packages: together
    # they hold what meson installs (the debug symbols' packages aside)
    debs = sorted(d for name in DEB_PACKAGES
                  for d in glob.glob(os.path.join(tmp, "deb", "%s_%s_*.deb" % (name, version))))
    changes = glob.glob(os.path.join(tmp, "deb", "vasd_%s_*.changes" % version))
    dsc = glob.glob(os.path.join(tmp, "deb", "vasd_%s.dsc" % version))
    if len(debs) != len(DEB_PACKAGES) or len(changes) != 1 or len(dsc) != 1:
        raise SystemExit("package: not one .deb of each of %s, a .changes and a .dsc "
                         "(debian/changelog's version is not meson's?): %s" %
                         (", ".join(DEB_PACKAGES), os.listdir(os.path.join(tmp, "deb"))))
    deb_root = os.path.join(tmp, "deb", "root")
    deb_all = {}
    for deb in debs:
        run(["dpkg-deb", "-x", deb, deb_root])
        deb_all.update(deb_files(deb))
    errors += compare(" + ".join(os.path.basename(d) for d in debs), ref, ref_root,
                      deb_all, deb_root)

    lintian = subprocess.run(["lintian", "-I", changes[0], dsc[0]], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = lintian.stdout.decode(errors="replace")
    print("lintian (exit %d):\n%s" % (lintian.returncode, out), flush=True)
    lintian_errors = [line for line in out.splitlines() if line.startswith("E: ")]
    if lintian_errors:
        errors.append("lintian reports %d error(s)" % len(lintian_errors))
    elif lintian.returncode != 0:
        errors.append("lintian failed (exit %d)" % lintian.returncode)

    # the ledger removed on purge: the postrm names the unit's StateDirectory
    ctl = os.path.join(tmp, "deb", "control")
    run(["dpkg-deb", "-e", [d for d in debs if os.path.basename(d).startswith("vasd_")][0], ctl])
    unit = [p for p in ref if p.endswith("/vasd.service")]
    with open(ref_root + unit[0]) as f:
        state = re.findall(r"^StateDirectory=(\S+)$", f.read(), re.M)
    with open(os.path.join(ctl, "postrm")) as f:
        postrm = f.read()
    if len(state) != 1 or ("rm -rf /var/lib/%s\n" % state[0]) not in postrm:
        errors.append("the postrm does not remove the StateDirectory %s" % state)

    # the RPM from a tarball of the same copy
    top = os.path.join(tmp, "rpm")
    os.makedirs(os.path.join(top, "SOURCES"))
    # the name `meson dist` gives it; the copy, not dist's HEAD, so that
    # what is tested is the tree as it is
    with tarfile.open(os.path.join(top, "SOURCES", "vasd-%s.tar.xz" % version), "w:xz",
                      preset=0) as tar:
        tar.add(ref_src, arcname="vasd-" + version)
    # Debian's rpm says /usr/lib64, RHEL's libdir; built here, the
    # library goes where meson put it on this system
    multiarch = run(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"]).strip()
    run(["rpmbuild", "-bb", "--nodeps", "--define", "_topdir " + top,
         "--define", "_libdir /usr/lib/" + multiarch,
         "--define", "_smp_mflags -j" + JOBS, "--define", "_smp_build_ncpus " + JOBS,
         os.path.join(ref_src, "packaging", "rpm", "vasd.spec")],
        logfile=os.path.join(tmp, "rpm-build.log"))
    rpms = sorted(r for name in RPM_PACKAGES
                  for r in glob.glob(os.path.join(top, "RPMS", "*", "%s-%s-*.rpm" % (name, version))))
    if len(rpms) != len(RPM_PACKAGES):
        raise SystemExit("package: not one RPM of each of %s (the spec's Version is not "
                         "meson's?): %s" % (", ".join(RPM_PACKAGES), glob.glob(top + "/RPMS/*/*")))
    rpm_root = os.path.join(top, "root")
    os.makedirs(rpm_root)
    rpm_all = {}
    for rpm in rpms:
        with open(rpm, "rb") as f:
            cpio = subprocess.run(["rpm2cpio"], stdin=f, capture_output=True, check=True).stdout
        subprocess.run(["cpio", "-idm", "--quiet"], input=cpio, cwd=rpm_root, check=True)
        rpm_all.update(rpm_files(rpm))
    errors += compare(" + ".join(os.path.basename(r) for r in rpms), ref, ref_root,
                      rpm_all, rpm_root)

    log("%.0f s in all" % (time.monotonic() - start))
    if errors:
        for e in errors:
            log("FAIL: " + e)
        log("kept %s" % tmp)
        return 1
    shutil.rmtree(tmp)
    log("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
