#!/usr/bin/env bash
# Build the emulated arm64 machine of tests/functional/arm64: Debian bookworm's arm64 kernel
# (KVM built in) and an initramfs with Python 3 and busybox, nothing else.
# usage: build-image.sh OUTDIR   -> OUTDIR/Image, OUTDIR/base.cpio.gz, OUTDIR/kernel-release
# mmdebstrap's extract variant only unpacks the packages (no maintainer scripts), so no
# binfmt_misc or qemu-user is needed. tools/lib.sh (fc_arm64_vm) caches OUTDIR by a hash of
# this directory's build inputs.
set -euo pipefail

out=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
suite=bookworm
mirror=${FC_DEBIAN_MIRROR:-http://deb.debian.org/debian}
work=$(mktemp -d "${TMPDIR:-/tmp}/fc-arm64.XXXXXX")
trap 'rm -rf "$work"' EXIT

mkdir -p "$out"
mmdebstrap --quiet --architectures=arm64 --variant=extract \
  --include=python3,busybox,linux-image-arm64 "$suite" "$work/root" "$mirror"

kernel=$(ls "$work"/root/boot/vmlinuz-* | head -1)
[ -f "$kernel" ] || { echo "no kernel in linux-image-arm64" >&2; exit 1; }
grep -qx "CONFIG_KVM=y" "$work"/root/boot/config-* || { echo "this arm64 kernel has no built-in KVM" >&2; exit 1; }
cp "$kernel" "$out/Image"
basename "$kernel" | sed 's/^vmlinuz-//' > "$out/kernel-release"
install -m 0755 "$here/init.sh" "$work/root/init"
[ -e "$work/root/bin/sh" ] || ln -s busybox "$work/root/bin/sh"  # no dash: maintainer scripts did not run
# The modules (KVM, the console and the initramfs are built in), the kernel and the docs stay out.
python3 "$here/cpio_newc.py" "$work/root" "$out/base.cpio.gz" \
  --exclude lib/modules --exclude boot --exclude usr/share/doc --exclude usr/share/man \
  --exclude usr/share/locale --exclude usr/share/info
