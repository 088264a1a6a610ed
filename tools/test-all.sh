#!/usr/bin/env bash
# Set up everything and run every test of fleetcheck.kvm: the README's test command.
# Usage: bash tools/test-all.sh        (root on Debian 12; CI runs it through .ci/run)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

fc_apt gcc libc6-dev linux-libc-dev chromium openssh-client
fc_image
fc_venv tests/requirements.txt
fc_collection
export PATH="$FC_VENV/bin:$PATH"

fc_log "unit tests, real-device tests, the probe under every CPython, the fleet audit (pytest)"
cd "$FC_ROOT"
python -m pytest -p no:cacheprovider -ra tests/unit tests/integration

fc_log "molecule: every scenario of the validate role in privileged podman containers"
MOLECULE_NO_COLOR=1 NO_COLOR=1 ANSIBLE_FORCE_COLOR=0 molecule test --all
