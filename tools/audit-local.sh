#!/usr/bin/env bash
# Set up and audit the local host: the README's main command.
# Usage: bash tools/audit-local.sh        (root on Debian 12)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

fc_venv tools/requirements-audit.txt
fc_collection
export PATH="$FC_VENV/bin:$PATH"

fc_log "asking /dev/kvm on localhost (fleetcheck.kvm.kvm_facts)"
ANSIBLE_CALLBACK_RESULT_FORMAT=yaml ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0 \
  ansible localhost -m fleetcheck.kvm.kvm_facts
