#!/usr/bin/env bash
# Set up everything and run every test of fleetcheck.kvm: the README's test command.
# Usage: bash tools/test-all.sh        (root on Debian 12; CI runs it through .ci/run)
# Every stage runs even when an earlier one fails; the last line counts them, and the exit
# status is non-zero if any failed.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

fc_log "setting up: Debian packages, the container image, the venvs, the collection"
fc_apt gcc libc6-dev linux-libc-dev chromium openssh-client git strace qemu-system-x86 cmark-gfm libvirt-clients libxml2-utils
fc_prometheus_tools
fc_image
fc_arm64_vm
fc_x86_vm
fc_qemu_images
fc_x86_qemu_roots
fc_nova
fc_venv tests/requirements.txt
fc_core_venvs
fc_ansible_test_setup
fc_collection
# the execution environment (cached: rebuilt only when the collection changes), ansible-runner, sshd hosts
fc_ee
fc_runner
fc_sshd_image
export PATH="$FC_VENV/bin:$PATH"
cd "$FC_ROOT"

passed=0 failed=0 failures=()
fc_stage() {  # fc_stage NAME COMMAND...: run one stage, record its outcome, go on
  local name="$1"; shift
  fc_log "stage: $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$name"); fi
}

stage_sanity_and_units() {
  local tree pythons
  tree=$(fc_collection_tree "$FC_CACHE/ansible-test") || return 1
  # never let git init run anywhere but in the copied tree (an empty $tree would cd nowhere)
  [ -n "$tree" ] && [ -d "$tree/plugins" ] || { echo "no collection tree to test" >&2; return 1; }
  pythons=$(ls -d "$HOME"/.pyenv/versions/3.*/bin 2>/dev/null | tr '\n' ':' || true)
  (cd "$tree" && git init -q && git add -A && git -c user.name=ci -c user.email=ci@localhost commit -qm tree \
    && PATH="$pythons$PATH" ansible-test sanity --venv --color no 2>&1 | grep -v "^WARNING: Location" \
    && ansible-test units --venv --python 3.11 --color no 2>&1 | grep -v "^WARNING: Location")
}

stage_generated() {  # every generated file is what its generator makes of the committed data
  python tools/gen_kvm_caps.py --check && python tools/gen_docs.py --check && python tools/gen_qemu_rules.py --check \
    && python tools/gen_qemu_features.py --check
}

fc_stage "generated tables and docs in step with their sources" stage_generated
fc_stage "ansible-test sanity (CPython 3.8-3.13) and units" stage_sanity_and_units
fc_stage "mypy --strict over the controller (tools/typecheck.sh)" bash tools/typecheck.sh
fc_stage "ansible-lint, production profile" ansible-lint --nocolor roles playbooks molecule
fc_stage "changelog fragments (antsibull-changelog lint)" antsibull-changelog lint
fc_stage "pytest: unit, real /dev/kvm, arm64 KVM under QEMU, every CPython, fleet audit, galaxy round trip" \
  python -m pytest -p no:cacheprovider -ra tests/unit tests/functional
fc_stage "molecule: every scenario in privileged podman containers" \
  env MOLECULE_NO_COLOR=1 NO_COLOR=1 ANSIBLE_FORCE_COLOR=0 molecule test --all

[ ${#failures[@]} -eq 0 ] || printf 'failed stage: %s\n' "${failures[@]}"
echo "stages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
