#!/usr/bin/env bash
# mypy --strict over the controller side of fleetcheck.kvm (tools/mypy.ini); the test command runs it.
# Usage: bash tools/typecheck.sh     (after tools/test-all.sh set up the venv, or with mypy on PATH)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fc_venv tests/requirements.txt
tree=$(mktemp -d /tmp/fleetcheck-typecheck.XXXXXX)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/ansible_collections/fleetcheck"
ln -s "$FC_ROOT" "$tree/ansible_collections/fleetcheck/kvm"
cd "$tree" && "$FC_VENV/bin/python" -m mypy --config-file "$FC_ROOT/tools/mypy.ini" --cache-dir "$FC_CACHE/mypy" \
  -p ansible_collections.fleetcheck.kvm.plugins.plugin_utils -p ansible_collections.fleetcheck.kvm.plugins.action \
  -p ansible_collections.fleetcheck.kvm.plugins.strategy -p ansible_collections.fleetcheck.kvm.plugins.filter
