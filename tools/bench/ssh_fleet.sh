#!/usr/bin/env bash
# Benchmark over real SSH (not a test: nothing here passes or fails on a number).
# HOSTS podman containers of the sshd image (tools/lib.sh fc_sshd_image) on the podman bridge of
# this machine, with /dev/kvm passed in and /usr/bin/python3 as the managed interpreter. Pipelining
# on, ControlPersist, 15 forks (as docs/user-guide.md recommends). Compares, in one hyperfine run
# each, at 15 hosts and at HOSTS: `ansible -m fleetcheck.kvm.kvm_facts` vs `ansible -m
# ansible.builtin.ping`, and the fleetcheck.kvm.audit playbook vs a ping playbook (linear and free).
# Usage: bash tools/bench/ssh_fleet.sh [HOSTS] [ROUNDS]     (default 50 hosts, 5 rounds)
# Environment: FC_BENCH_FORKS (15), FC_BENCH_PREFIX (container name prefix, fc-bench-ssh-),
# FC_BENCH_COLLECTIONS (collections path to measure; default the one tools/lib.sh installs),
# FC_BENCH_BEFORE (another collections path, e.g. an earlier commit's: its kvm_facts and audit are timed in
# the same rounds, side by side, "(before)").
# Writes tools/bench/results/ssh/*.json and summary.md, and prints the summary.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

HOSTS="${1:-50}"
RUNS="${2:-5}"
FORKS="${FC_BENCH_FORKS:-15}"
PREFIX="${FC_BENCH_PREFIX:-fc-bench-ssh-}"
OUT="$FC_ROOT/tools/bench/results/ssh"
fc_apt hyperfine openssh-client
fc_sshd_image
if [ -n "${FC_BENCH_COLLECTIONS:-}" ]; then
  export ANSIBLE_COLLECTIONS_PATH="$FC_BENCH_COLLECTIONS"
else
  fc_venv tests/requirements.txt
  fc_collection
fi
export PATH="$FC_VENV/bin:$PATH" ANSIBLE_NOCOLOR=1
WORK=$(mktemp -d /tmp/fleetcheck-ssh-bench.XXXXXX)
# CPU time as well as wall time: on a shared machine the wall time swings with the others' load,
# the CPU time much less. The controller side (ansible, its forks, the ssh clients and the
# ControlPersist masters) runs in a cpuacct cgroup of its own; the hosts' side is each container's.
CGROUP=/sys/fs/cgroup/cpuacct/fleetcheck-ssh-bench-$$
names=()
cleanup() {
  local name pid
  echo $$ > /sys/fs/cgroup/cpuacct/cgroup.procs 2>/dev/null || true
  for pid in $(cat "$CGROUP/cgroup.procs" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done  # ssh masters
  for name in "${names[@]}"; do podman rm -f -t 0 "$name" >/dev/null 2>&1 || true; done
  rmdir "$CGROUP" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
mkdir "$CGROUP" && echo $$ > "$CGROUP/cgroup.procs"
mkdir -p "$OUT" "$WORK/cp"
ssh-keygen -q -t ed25519 -N "" -f "$WORK/id"

fc_log "starting $HOSTS sshd containers"
for i in $(seq -w 1 "$HOSTS"); do
  names+=("$PREFIX$i")
  podman rm -f -t 0 "$PREFIX$i" >/dev/null 2>&1 || true
  podman run -d --name "$PREFIX$i" --device /dev/kvm -e FC_SSH_KEY="$(cat "$WORK/id.pub")" "$FC_SSHD_IMAGE" >/dev/null
done
{
  echo "[fleet]"
  for name in "${names[@]}"; do echo "$name ansible_host=$(podman inspect -f '{{.NetworkSettings.IPAddress}}' "$name")"; done
  echo "[first15]"
  printf '%s\n' "${names[@]:0:15}"
} > "$WORK/hosts.ini"
cat > "$WORK/ansible.cfg" <<EOF2
[defaults]
forks = $FORKS
host_key_checking = False
interpreter_python = /usr/bin/python3
remote_user = root
private_key_file = $WORK/id
[ssh_connection]
pipelining = True
control_path_dir = $WORK/cp
ssh_args = -o ControlMaster=auto -o ControlPersist=600s -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o LogLevel=ERROR
EOF2
printf -- '- name: Ping\n  hosts: all\n  gather_facts: false\n  tasks:\n    - name: Ping\n      ansible.builtin.ping:\n' > "$WORK/ping.yml"
export ANSIBLE_CONFIG="$WORK/ansible.cfg"
for name in "${names[@]}"; do
  echo "/sys/fs/cgroup/cpuacct/libpod_parent/libpod-$(podman inspect -f '{{.Id}}' "$name")/cpuacct.usage"
done > "$WORK/host-cgroups"
# cpu NAME COMMAND...: run COMMAND; append "NAME controller-ns hosts-ns" to cpu.log (no fork inside the window)
cat > "$WORK/cpu" <<'EOF2'
#!/bin/bash
name=$1; shift
mapfile -t files < "${0%/*}/host-cgroups"
hosts() { local sum=0 file; for file in "${files[@]}"; do sum=$((sum + $(<"$file"))); done; echo "$sum"; }
h0=$(hosts); c0=$(<"$FC_BENCH_CGROUP/cpuacct.usage")
"$@"; rc=$?
c1=$(<"$FC_BENCH_CGROUP/cpuacct.usage"); h1=$(hosts)
echo "$name $((c1 - c0)) $((h1 - h0))" >> "${0%/*}/cpu.log"
exit $rc
EOF2
chmod +x "$WORK/cpu"
export FC_BENCH_CGROUP="$CGROUP"
cd "$WORK"
# every sshd up and every ControlPersist master open before anything is timed
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  ansible all -i hosts.ini -m ansible.builtin.ping >/dev/null 2>&1 && break
  sleep 1
done
ansible all -i hosts.ini -m ansible.builtin.ping > "$OUT/ping-check.txt" 2>&1 \
  || { tail -5 "$OUT/ping-check.txt" >&2; exit 1; }

# The machine may be shared: each round runs every command once, back to back, in one hyperfine
# run, and the summary takes the median over rounds of each command's time and of its ratio to
# its baseline in the same round (a load change then hits both sides of a ratio alike).
for size in 15 "$HOSTS"; do
  limit=$([ "$size" = 15 ] && echo first15 || echo fleet)
  ansible "$limit" -i hosts.ini -m fleetcheck.kvm.kvm_facts >/dev/null 2>&1 || true  # bytecode, caches
  before=()
  if [ -n "${FC_BENCH_BEFORE:-}" ]; then
    before=(-n "ansible -m fleetcheck.kvm.kvm_facts (before)"
            "./cpu adhoc-kvm_facts_before-$size env ANSIBLE_COLLECTIONS_PATH=$FC_BENCH_BEFORE ansible $limit -i hosts.ini -m fleetcheck.kvm.kvm_facts"
            -n "fleetcheck.kvm.audit (before)"
            "./cpu playbook-audit_before-$size env ANSIBLE_COLLECTIONS_PATH=$FC_BENCH_BEFORE ansible-playbook -i hosts.ini -l $limit fleetcheck.kvm.audit -e kvm_audit_report_dir=$WORK/rb")
  fi
  for round in $(seq 1 "$RUNS"); do
    fc_log "$size hosts over SSH, round $round of $RUNS"
    hyperfine -N --runs 1 --ignore-failure --export-json "$OUT/round-$size-$round.json" "${before[@]}" \
      -n "ansible -m ansible.builtin.ping" "./cpu adhoc-ping-$size ansible $limit -i hosts.ini -m ansible.builtin.ping" \
      -n "ansible -m fleetcheck.kvm.kvm_facts" "./cpu adhoc-kvm_facts-$size ansible $limit -i hosts.ini -m fleetcheck.kvm.kvm_facts" \
      -n "a ping playbook" "./cpu playbook-ping-$size ansible-playbook -i hosts.ini -l $limit ping.yml" \
      -n "fleetcheck.kvm.audit" "./cpu playbook-audit-$size ansible-playbook -i hosts.ini -l $limit fleetcheck.kvm.audit -e kvm_audit_report_dir=$WORK/r" \
      -n "a ping playbook, strategy free" "./cpu free-ping-$size env ANSIBLE_STRATEGY=free ansible-playbook -i hosts.ini -l $limit ping.yml" \
      -n "fleetcheck.kvm.audit, strategy free" \
         "./cpu free-audit-$size env ANSIBLE_STRATEGY=free ansible-playbook -i hosts.ini -l $limit fleetcheck.kvm.audit -e kvm_audit_report_dir=$WORK/r" \
      >/dev/null
  done
done
cp "$WORK/cpu.log" "$OUT/cpu.log"

python3 - "$OUT" "$RUNS" "$FORKS" 15 "$HOSTS" <<'PY' | tee "$OUT/summary.md"
import json, os, statistics, sys
out, runs, forks, sizes = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
NAMES = {"adhoc-ping": "ansible -m ansible.builtin.ping", "adhoc-kvm_facts": "ansible -m fleetcheck.kvm.kvm_facts",
         "adhoc-kvm_facts_before": "ansible -m fleetcheck.kvm.kvm_facts (before)",
         "playbook-ping": "a ping playbook", "playbook-audit": "fleetcheck.kvm.audit",
         "playbook-audit_before": "fleetcheck.kvm.audit (before)",
         "free-ping": "a ping playbook, strategy free", "free-audit": "fleetcheck.kvm.audit, strategy free"}
BASE = {"adhoc-kvm_facts": "adhoc-ping", "adhoc-kvm_facts_before": "adhoc-ping", "playbook-audit": "playbook-ping",
        "playbook-audit_before": "playbook-ping", "free-ping": "playbook-ping", "free-audit": "free-ping"}
cpu = {}
for line in open(os.path.join(out, "cpu.log")):
    name, controller, hosts = line.split()
    cpu.setdefault(name, []).append((int(controller) / 1e9, int(hosts) / 1e9))
NAMES = dict((key, name) for key, name in NAMES.items() if any(k.startswith(key + "-") for k in cpu))
median = statistics.median
print("# Over SSH: %s forks, pipelining, ControlPersist, /usr/bin/python3 on the hosts; median of %d rounds\n"
      % (forks, runs))
print("Wall: elapsed time. CPU: the controller's CPU time (ansible, forks, ssh) plus the hosts' (every container).")
print("Ratios are the medians of the per-round ratios to the baseline named.\n")
print("Controller per host: the controller's CPU time divided by the hosts; its ratio is to the baseline's.\n")
print("| hosts | command | wall s | CPU s (controller + hosts) | controller per host | baseline | wall ratio | "
      "CPU ratio | controller ratio |")
print("| ---: | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |")
for size in sizes:
    wall = {}
    for index in range(1, runs + 1):
        for result in json.load(open(os.path.join(out, "round-%s-%d.json" % (size, index))))["results"]:
            wall.setdefault(result["command"], []).append(result["mean"])
    for key, command in NAMES.items():
        own = "%s-%s" % (key, size)
        totals = [c + h for c, h in cpu[own]]
        base = BASE.get(key)
        if base:
            base_wall = wall[NAMES[base]]
            base_cpu = [c + h for c, h in cpu["%s-%s" % (base, size)]]
            base_controller = [c for c, h in cpu["%s-%s" % (base, size)]]
            ratios = "%.2fx | %.2fx | %.2fx" % (
                median(a / b for a, b in zip(wall[command], base_wall)), median(a / b for a, b in zip(totals, base_cpu)),
                median(a / b for a, b in zip([c for c, h in cpu[own]], base_controller)))
        else:
            ratios = "1.00x | 1.00x | 1.00x"
        print("| %s | %s | %.2f | %.2f (%.2f + %.2f) | %.0f ms | %s | %s |" % (
            size, command, median(wall[command]), median(totals), median(c for c, h in cpu[own]),
            median(h for c, h in cpu[own]), median(c for c, h in cpu[own]) * 1000 / int(size), NAMES.get(base, "-"),
            ratios))
PY
