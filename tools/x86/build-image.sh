#!/usr/bin/env bash
# Build the emulated x86 machine of tests/functional/x86: Debian bookworm's amd64 kernel, whose kvm_amd
# loads under QEMU's TCG with -cpu max (AMD SVM emulated), and an initramfs with Python 3, busybox, QEMU 7.2
# (the oracle of the guest CPU answers, inside the guest) and only the modules KVM needs (kvm, kvm-amd,
# kvm-intel and what they depend on, as modules.dep lists them).
# usage: build-image.sh OUTDIR   -> OUTDIR/bzImage, OUTDIR/base.cpio.gz, OUTDIR/kernel-release
# mmdebstrap's extract variant runs no maintainer script and no depmod: depmod (kmod) writes modules.dep
# here, as the kernel package's postinst would. tools/lib.sh (fc_x86_vm) caches OUTDIR by a hash of its inputs.
set -euo pipefail

out=$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
suite=bookworm
mirror=${FC_DEBIAN_MIRROR:-http://deb.debian.org/debian}
work=$(mktemp -d "${TMPDIR:-/tmp}/fc-x86.XXXXXX")
trap 'rm -rf "$work"' EXIT

mkdir -p "$out"
mmdebstrap --quiet --architectures=amd64 --variant=extract \
  --include=python3,busybox,linux-image-amd64,qemu-system-x86 "$suite" "$work/root" "$mirror"

kernel=$(ls "$work"/root/boot/vmlinuz-* | head -1)
[ -f "$kernel" ] || { echo "no kernel in linux-image-amd64" >&2; exit 1; }
release=$(basename "$kernel" | sed 's/^vmlinuz-//')
grep -qx "CONFIG_KVM_AMD=m" "$work/root/boot/config-$release" || { echo "this kernel has no kvm_amd module" >&2; exit 1; }
cp "$kernel" "$out/bzImage"
echo "$release" > "$out/kernel-release"
/usr/sbin/depmod -b "$work/root" "$release"
modules="$work/root/lib/modules/$release"
# Keep depmod's indexes (the probe reads modules.dep and modules.builtin, modprobe the .bin ones), the .config and
# the KVM modules with what they depend on; the other 380 MB of modules stay out.
keep=$(grep -E '^kernel/arch/x86/kvm/' "$modules/modules.dep" | tr -d ':' | tr ' ' '\n' | sort -u)
mkdir -p "$work/keep"
for file in $keep $(cd "$modules" && ls modules.*); do
  mkdir -p "$work/keep/$(dirname "$file")" && cp "$modules/$file" "$work/keep/$file"
done
rm -rf "$modules" && mv "$work/keep" "$modules"
mkdir -p "$work/root/boot.keep" && cp "$work/root/boot/config-$release" "$work/root/boot.keep/"
rm -rf "$work/root/boot" && mv "$work/root/boot.keep" "$work/root/boot"
install -m 0755 "$here/../arm64/init.sh" "$work/root/init"
[ -e "$work/root/bin/sh" ] || ln -s busybox "$work/root/bin/sh"  # no dash: maintainer scripts did not run
mkdir -p "$work/root/etc/modprobe.d"
python3 "$here/../arm64/cpio_newc.py" "$work/root" "$out/base.cpio.gz" \
  --exclude usr/share/doc --exclude usr/share/man --exclude usr/share/locale --exclude usr/share/info
