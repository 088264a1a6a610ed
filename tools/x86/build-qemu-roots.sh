#!/usr/bin/env bash
# The other QEMU releases for the emulated x86 machine's CPU matrix (tests/functional/x86/test_cpu_matrix.py): from
# each suite's QEMU image (tools/lib.sh fc_qemu_images: trixie's 10.0, forky's 11.1), only what
# qemu-system-x86_64 needs to start under -accel kvm (the binary, the libraries ldd names, its firmware and data),
# under suites/<suite>/ in one initramfs archive that a boot appends to the machine's own. The guest runs each with
# chroot, beside its own bookworm QEMU 7.2.
# usage: build-qemu-roots.sh OUT.cpio.gz suite=image...
set -euo pipefail
out=$1; shift
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
stage=$(mktemp -d "${TMPDIR:-/tmp}/fc-qemu-roots.XXXXXX")
trap 'rm -rf "$stage"' EXIT
for entry in "$@"; do
  suite=${entry%%=*} image=${entry#*=}
  mkdir -p "$stage/suites/$suite"
  podman run --rm -v "$stage/suites/$suite:/out" "$image" sh -ec '
    binary=/usr/bin/qemu-system-x86_64
    for file in $binary $(ldd $binary | awk "/=> \// {print \$3} /^\t\/lib/ {print \$1}"); do
      cp -L --parents "$file" /out/
    done
    cp -a --parents /usr/share/qemu /usr/share/seabios /out/
    mkdir -p /out/dev /out/proc /out/tmp
    "$binary" --version | head -1'
done
python3 "$here/../arm64/cpio_newc.py" "$stage" "$out"
