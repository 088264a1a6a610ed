#!/usr/bin/env bash
# Record this machine for the guest-CPU replay tests (tests/unit/plugins/module_utils/_cpu/test_recorded_machines.py):
#   bash tools/record/record.sh DIR ["what this machine is"]     (root, Debian 12, /dev/kvm, from a checkout)
# Writes DIR/kvm.json (this host's KVM answers) and DIR/qemu-<release>.json for this host's QEMU (7.2) and each
# suite container's (tools/lib.sh fc_qemu_images: 10.0, 11.1). Commit DIR under tests/fixtures/machines/, or send
# it with a report when qemu_check found a difference.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
dir=${1:?usage: record.sh DIR [NOTE]}
mkdir -p "$dir"
fc_apt qemu-system-x86
fc_qemu_images
record="$FC_ROOT/tools/record/record_machine.py"
python3 "$record" kvm > "$dir/kvm.json"
save() {  # save FILE: named after the feature release of the QEMU that answered
  local release
  release=$(python3 -c 'import json,sys; print(".".join(json.load(sys.stdin)["version"].split(".")[:2]))' < "$1")
  mv "$1" "$dir/qemu-$release.json"
}
python3 "$record" qemu > "$dir/qemu.tmp" && save "$dir/qemu.tmp"
for entry in $FLEETCHECK_QEMU_IMAGES; do
  podman run --rm --device /dev/kvm -v "$FC_ROOT:/src:ro" "${entry#*=}" python3 /src/tools/record/record_machine.py qemu \
    > "$dir/qemu.tmp" && save "$dir/qemu.tmp"
done
[ -z "${2:-}" ] || printf '%s\n' "$2" > "$dir/NOTE"
ls -l "$dir"
