#!/usr/bin/env bash
# Set up and audit the local host: the README's main command.
# Usage: bash tools/audit-local.sh        (root on Debian 12)
# Installs ansible-core into a venv, builds and installs the collection, then runs the fleet audit
# playbook on localhost (the embedded default inventory): it prints a summary (the verdict, root causes
# and fixes, warnings, the guest CPU level, where the reports are) and writes its reports to ./kvm-audit/.
# Exits non-zero when the host fails the audit. The full facts: ansible localhost -m fleetcheck.kvm.kvm_facts
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

fc_venv tools/requirements-audit.txt
fc_collection
export PATH="$FC_VENV/bin:$PATH" ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0

fc_log "the fleet audit of this host (ansible-playbook fleetcheck.kvm.audit)"
ansible-playbook fleetcheck.kvm.audit -e kvm_audit_report_dir="$PWD/kvm-audit"
