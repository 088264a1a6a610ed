#!/usr/bin/env bash
# Build a container image with one Debian suite's qemu-system-x86, as the QEMU release that suite ships:
#   bash tools/qemu/build-image.sh SUITE IMAGE
# SUITE: trixie (QEMU 10.0) or forky (11.1), as tools/lib.sh builds them; bookworm (7.2) is this host's own.
# A -backports suite is taken as its base plus the backport (bookworm-backports' 10.0 did not resolve here).
# No registry is reachable: mmdebstrap into a folder, then podman import. Called by tools/lib.sh (fc_qemu_images),
# which names IMAGE after a hash of this script, so that a change rebuilds it.
set -euo pipefail

suite=$1 image=$2
mirror=${FC_DEBIAN_MIRROR:-http://deb.debian.org/debian}
work=$(mktemp -d "${TMPDIR:-/tmp}/fc-qemu.XXXXXX")
trap 'rm -rf "$work"' EXIT

# A backports suite adds its packages to its base suite; mmdebstrap takes the sources as lines.
base=${suite%-backports}
sources=("deb $mirror $base main")
package=qemu-system-x86
if [ "$base" != "$suite" ]; then
  sources+=("deb $mirror $suite main")
  package="qemu-system-x86/$suite"   # apt's package/suite takes the backport and what it needs from there
fi
# A testing suite's -updates Release file can be out of date; only the main suite is used, and without the
# Valid-Until check, so that an expired Release never stops the build.
mmdebstrap --quiet --variant=apt --architectures=amd64 \
  --aptopt='Acquire::Check-Valid-Until "false"' \
  --include="python3,$package" \
  "$base" "$work/root" "${sources[@]}"
chroot "$work/root" qemu-system-x86_64 --version | head -1
rm -rf "$work/root/var/cache/apt/archives"/*.deb "$work/root/var/lib/apt/lists"/*_Packages
tar -C "$work/root" -c . | podman import --change 'CMD ["/bin/sleep", "infinity"]' - "$image" >/dev/null
