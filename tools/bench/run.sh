#!/usr/bin/env bash
# Benchmarks of fleetcheck.kvm (not tests: nothing here passes or fails on a number).
# Usage: bash tools/bench/run.sh [HOSTS]      HOSTS: inventory size for the per-host costs (default 20)
# Writes JSON and a Markdown summary to tools/bench/results/ and prints the summary.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

fc_apt hyperfine libvirt-clients cpu-checker
fc_venv tools/requirements-audit.txt
fc_collection
export PATH="$FC_VENV/bin:$PATH" ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_NOCOLOR=1
HOSTS="${1:-20}"
OUT="$FC_ROOT/tools/bench/results"
TREE="$FC_COLLECTIONS"
# The managed host's usual interpreter, the distribution's own binary: never a pyenv shim or build
# (a shim adds tens of milliseconds, a pyenv build loads more at start-up than Debian's).
PYTHON=/usr/bin/python3
mkdir -p "$OUT"
cd "$OUT"

fc_log "1. whole-process: the probe (all subsets, vCPU run included) vs virt-host-validate vs kvm-ok"
# Byte-compile first: a host that may write bytecode has it after the first run (this environment
# may set PYTHONDONTWRITEBYTECODE, which would otherwise charge compilation to every run).
"$PYTHON" -m compileall -q "$TREE/ansible_collections/fleetcheck/kvm/plugins/module_utils"
# Where the process's time goes: the same imports with and without the interpreter's finalization.
IMPORT="import sys; sys.path.insert(0, \"$TREE\"); from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe import gather"
# Interleaved rounds (interleave.py, below): a slow second of the shared machine falls on every command.
"$PYTHON" "$FC_ROOT/tools/bench/interleave.py" 40 3 whole.json \
  "fleetcheck probe ($(basename "$PYTHON"))" "$PYTHON $FC_ROOT/tools/bench/probe_cli.py $TREE" \
  "the interpreter alone ($(basename "$PYTHON") -c pass)" "$PYTHON -c pass" \
  "the probe's imports alone" "$PYTHON -c '$IMPORT'" \
  "the probe's imports alone, exit without finalization" "$PYTHON -c '$IMPORT; import os; os._exit(0)'" \
  "virt-host-validate qemu" "virt-host-validate qemu" \
  "kvm-ok" "kvm-ok"
"$PYTHON" "$FC_ROOT/tools/bench/probe_cli.py" "$TREE" > probe.json
virt-host-validate qemu > vhv.txt 2>&1 || true
kvm-ok > kvmok.txt 2>&1 || true

fc_log "2. in-process cost of each step of the probe"
"$PYTHON" "$FC_ROOT/tools/bench/probe_split.py" "$TREE" 300 > split.json
"$PYTHON" "$FC_ROOT/tools/bench/guest_cpu.py" "$TREE" > guest_cpu.json

fc_log "3. per-host cost under Ansible: ping vs kvm_facts vs setup, $HOSTS hosts, local connection"
{ echo "[fleet]"; for i in $(seq 1 "$HOSTS"); do echo "host$i ansible_connection=local ansible_python_interpreter=$PYTHON"; done; } > hosts.ini
# hyperfine in interleaved rounds (tools/bench/interleave.py): each round times every command once, so the
# drift of a shared machine falls on all of them alike, which back-to-back runs of one command do not give.
printf -- '- name: Ping\n  hosts: all\n  gather_facts: false\n  tasks:\n    - name: Ping\n      ansible.builtin.ping:\n' > ping.yml
"$PYTHON" "$FC_ROOT/tools/bench/interleave.py" 7 1 ansible.json \
  "ansible.builtin.ping" "ansible all -i hosts.ini -f 10 -m ansible.builtin.ping" \
  "fleetcheck.kvm.kvm_facts" "ansible all -i hosts.ini -f 10 -m fleetcheck.kvm.kvm_facts" \
  "ansible.builtin.setup" "ansible all -i hosts.ini -f 10 -m ansible.builtin.setup"
"$PYTHON" "$FC_ROOT/tools/bench/interleave.py" 7 1 audit.json \
  "a ping playbook" "ansible-playbook -i hosts.ini -f 10 ping.yml" \
  "fleetcheck.kvm.audit playbook" "ansible-playbook -i hosts.ini -f 10 fleetcheck.kvm.audit -e kvm_audit_report_dir=$OUT/audit"

fc_log "3b. where a host's cost goes: the payloads the controller builds, run as a managed host runs them"
# The control module returns the audit's facts without probing: kvm_facts minus its code and its probe.
FLEETCHECK_CPU_MODELS="" "$PYTHON" "$FC_ROOT/tools/bench/probe_cli.py" "$TREE" > probe-audit.json
ANSIBLE_COLLECTIONS_PATH="$TREE:$FC_ROOT/tools/bench/control" \
  "$FC_VENV/bin/python" "$FC_ROOT/tools/bench/payloads.py" "$OUT" "$OUT/probe-audit.json" > payloads.json
"$PYTHON" "$FC_ROOT/tools/bench/interleave.py" 30 2 host_payloads.json \
  "ping" "$PYTHON $OUT/payloads/ping.py" \
  "canned_facts" "$PYTHON $OUT/payloads/canned_facts.py" \
  "kvm_facts_audit" "$PYTHON $OUT/payloads/kvm_facts_audit.py" \
  "kvm_facts" "$PYTHON $OUT/payloads/kvm_facts.py"

fc_log "4. report generation for synthetic fleets"
fc_apt chromium
"$PYTHON" "$FC_ROOT/tools/bench/report_scale.py" "$TREE" 10,1000,10000,100000 "$OUT/fleet-100000.html" --browser > reports.json
hyperfine -N --warmup 1 --runs 5 --export-json browser.json -n "chromium renders fleet.html (100,000 hosts)" \
  "chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
   --disable-sync --no-first-run --user-data-dir=$OUT/chrome --dump-dom file://$OUT/fleet-100000.html" >/dev/null

"$PYTHON" "$FC_ROOT/tools/bench/summarize.py" "$OUT" "$HOSTS" | tee summary.md
