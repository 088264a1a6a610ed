"""The probe's in-process cost, split by step: median microseconds over many rounds."""
import json
import statistics
import sys
import time

sys.path.insert(0, sys.argv[1])
from ansible_collections.fleetcheck.kvm.plugins.module_utils import kvm_probe  # noqa: E402
from ansible_collections.fleetcheck.kvm.plugins.module_utils.kvm_ioctls import Kvm, Syscalls  # noqa: E402

ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 300
kernel = Syscalls()


def open_close():
    Kvm.open(kernel, "/dev/kvm").close()


def device():
    kvm_probe.probe_device(kernel, "/dev/kvm")[1].close()


steps = {"open + close /dev/kvm": open_close, "device (stat, open)": device}
kvm = Kvm.open(kernel, "/dev/kvm")
steps.update({
    "api version + mmap size": lambda: kvm_probe.probe_api(kvm, {"path": "/dev/kvm", "kvm_node": True}),
    "capability sweep (280 ioctls)": lambda: kvm_probe.probe_extensions(kvm),
    "CPUID": lambda: kvm_probe.probe_cpuid(kvm, kernel.machine),
    "MSR lists": lambda: kvm_probe.probe_msrs(kvm, kernel.machine),
    "VM create + types": lambda: kvm_probe.probe_vm(kvm, kernel.machine),
    "vCPU run": lambda: kvm_probe.probe_vcpu_run(kvm, kernel, kvm.get_vcpu_mmap_size(), 2.0),
    "host (/sys/module)": lambda: kvm_probe.probe_host(kernel),
    "classic system ioctls": lambda: kvm_probe.probe_system_ioctls(kvm),
    "whole gather (all subsets)": kvm_probe.gather,
})
results = {}
for name, step in steps.items():
    step()  # warm up
    samples = []
    for _round in range(ROUNDS):
        start = time.perf_counter()
        step()
        samples.append((time.perf_counter() - start) * 1e6)
    results[name] = round(statistics.median(samples), 1)
kvm.close()
print(json.dumps(results))
