#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# build-kmod.sh OUTDIR SRCDIR [KDIR]
#
# Builds vas_sim.ko from a copy of SRCDIR/kernel and SRCDIR/proto made in
# OUTDIR/kmod, so the source tree stays clean, and puts it in OUTDIR. KDIR
# defaults to the build directory of tools/vm/kernel-release's default
# release: the one Debian's linux-headers-amd64 depends on, else the newest
# installed 6.1 (meson's vm_kernel option passes another as KDIR). KDIR
# "debug" is the build directory of the debug kernel, which
# tools/vm/debug-kernel builds first if its cache does not hold it.
# Any compiler warning fails the build.
set -eu

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: $0 OUTDIR SRCDIR [KDIR]" >&2
	exit 2
fi
outdir=$1
srcdir=$2
kdir=${3:-}

# The release the test VM boots by default (tools/vm/fetch-kernel), so the
# module loads there.
default_kdir() {
	release=$("$srcdir/tools/vm/kernel-release" default) || return 0
	echo "/lib/modules/$release/build"
}

if [ -z "$kdir" ]; then
	kdir=$(default_kdir)
elif [ "$kdir" = debug ]; then
	kdir=$("$srcdir/tools/vm/debug-kernel")/build || exit 1
fi
if [ -z "$kdir" ] || [ ! -f "$kdir/Makefile" ]; then
	echo "error: no kernel headers found${kdir:+ in $kdir}." >&2
	echo "Install them (apt-get install linux-headers-amd64) or pass KDIR." >&2
	exit 1
fi

kmod=$outdir/kmod
rm -rf "$kmod"
mkdir -p "$kmod/kernel" "$kmod/proto"
cp "$srcdir"/kernel/*.c "$srcdir"/kernel/*.h "$srcdir"/kernel/Kbuild \
	"$kmod/kernel/"
cp "$srcdir"/proto/*.h "$kmod/proto/"

log=$kmod/build.log
if ! make -C "$kdir" M="$kmod/kernel" W=1 -j"$(nproc)" modules >"$log" 2>&1
then
	cat "$log" >&2
	echo "error: building vas_sim.ko against $kdir failed" >&2
	exit 1
fi
if grep -qi 'warning:' "$log"; then
	cat "$log" >&2
	echo "error: building vas_sim.ko produced warnings" >&2
	exit 1
fi

cp "$kmod/kernel/vas_sim.ko" "$outdir/vas_sim.ko"
