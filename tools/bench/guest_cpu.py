"""The in-process cost of the guest_cpu subset: median (min) milliseconds (budget: 2 ms).

Usage: python tools/bench/guest_cpu.py COLLECTIONS_PATH [ROUNDS]

- warm: the subset once the subsets before it have run in the same gather (the CPUID
  answer is shared with `cpuid`, ctypes already imported by `vcpu_run`), model sets cached;
- cold: a fresh interpreter per round, as under Ansible: importing the subset's modules
  (bit table, model table) plus its first call, after the other subsets have run;
- compute: the pure computation alone (_cpu/guest_cpu.guest_cpu_facts) on this host's answers.
Measurements, not tests: nothing fails on a number.
"""
import json
import statistics
import subprocess
import sys
import time

PATH = sys.argv[1]
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 200
sys.path.insert(0, PATH)
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe import gather  # noqa: E402
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.syscalls import Syscalls  # noqa: E402
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.context import ProbeContext  # noqa: E402

DEVICE = "/dev/kvm"
INDEX = [entry[0] for entry in gather.SUBSET_TABLE].index("guest_cpu")

COLD = r'''
import ast, importlib, json, os, sys, time
sys.path.insert(0, sys.argv[1])
base = "ansible_collections.fleetcheck.kvm.plugins.module_utils._probe"
# First what the other subsets import (the registry's imports, but not the guest_cpu subset) ...
source = os.path.join(sys.argv[1], *base.split(".")) + "/subsets.py"
for node in ast.walk(ast.parse(open(source).read())):
    if isinstance(node, ast.ImportFrom) and node.module == base:
        for alias in node.names:
            if alias.name != "guest_cpu":
                importlib.import_module(base + "." + alias.name)
# ... then the subset's own modules, timed.
start = time.perf_counter()
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe import guest_cpu as probe_guest_cpu
imported = time.perf_counter()
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe import gather
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.syscalls import Syscalls
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.context import ProbeContext
names = [entry[0] for entry in gather.SUBSET_TABLE]
ctx = ProbeContext(Syscalls(), "/dev/kvm", 2.0, (), list(gather.SUBSETS))
for _name, module, _kind, _core in gather.SUBSET_TABLE[:names.index("guest_cpu")]:
    ctx.facts.update(module.probe(ctx)[0])
called = time.perf_counter()
probe_guest_cpu.probe(ctx)
done = time.perf_counter()
ctx.close()
print(json.dumps([imported - start, done - called]))
'''


def warm_once():
    ctx = ProbeContext(Syscalls(), DEVICE, gather.DEFAULT_TIMEOUT, (), list(gather.SUBSETS))
    try:
        for _name, module, _kind, _core in gather.SUBSET_TABLE[:INDEX]:
            ctx.facts.update(module.probe(ctx)[0])
        start = time.perf_counter()
        gather.SUBSET_TABLE[INDEX][1].probe(ctx)
        return time.perf_counter() - start
    finally:
        ctx.close()


def compute_once():
    from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.guest_cpu import guest_cpu_facts
    from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe import guest_cpu as probe_guest_cpu
    ctx = ProbeContext(Syscalls(), DEVICE, gather.DEFAULT_TIMEOUT, (), list(gather.SUBSETS))
    try:
        dict((e[0], e[1]) for e in gather.SUBSET_TABLE)["device"].probe(ctx)  # opens /dev/kvm
        kernel, _notes = probe_guest_cpu.gather_answers(ctx)
    finally:
        ctx.close()
    start = time.perf_counter()
    guest_cpu_facts(kernel)
    return time.perf_counter() - start


def median_ms(samples):
    """'median (min)' in ms: the machine may be shared, and the minimum shows the cost without noise."""
    return "%.3f (%.3f)" % (statistics.median(samples) * 1e3, min(samples) * 1e3)


warm_once()
results = {"warm: guest_cpu subset (ms)": median_ms([warm_once() for _round in range(ROUNDS)]),
           "compute only (ms)": median_ms([compute_once() for _round in range(ROUNDS)])}
cold = [json.loads(subprocess.check_output([sys.executable, "-c", COLD, PATH]))
        for _round in range(max(10, ROUNDS // 10))]
results["cold: import of the subset's modules (ms)"] = median_ms([c[0] for c in cold])
results["cold: first call (ms)"] = median_ms([c[1] for c in cold])
results["cold: import + first call (ms)"] = median_ms([c[0] + c[1] for c in cold])
print(json.dumps(results, indent=1))
