#!/usr/bin/env bash
# Ask every QEMU release at hand, over QMP, for what the model table is generated from, then regenerate it:
#   bash tools/qemu/ask_all.sh [DIR]      (root, on this Debian 12 machine with /dev/kvm)
# This host's QEMU (7.2) and the QEMU of each suite's image (tools/lib.sh fc_qemu_images: 10.0, 11.1) each write
# DIR/<suite>.json (tools/qemu/ask_qemu.py); tools/gen_qemu_cpu_models.py makes _cpu/qemu_models.py of them.
# Not part of the test command: the tests compare each release's part of the committed table with its QEMU.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
dir=${1:-$FC_CACHE/qemu-answers}
mkdir -p "$dir"
fc_apt qemu-system-x86
fc_qemu_images
python3 "$FC_ROOT/tools/qemu/ask_qemu.py" > "$dir/bookworm.json"
for entry in $FLEETCHECK_QEMU_IMAGES; do
  suite=${entry%%=*} image=${entry#*=}
  podman run --rm --device /dev/kvm -v "$FC_ROOT:/src:ro" "$image" python3 /src/tools/qemu/ask_qemu.py > "$dir/$suite.json"
done
python3 "$FC_ROOT/tools/gen_qemu_cpu_models.py" "$dir"/*.json
