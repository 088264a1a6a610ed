"""The probe's in-process cost, split by subset: median microseconds over many rounds.

Each subset is timed in a fresh run in which the subsets before it (in run order)
have already answered, so a shared answer (the one VM, the capability cache) is
charged to the first subset that asks for it, as in a real gather.
"""
import json
import statistics
import sys
import time

sys.path.insert(0, sys.argv[1])
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe import gather  # noqa: E402
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.ioctls import Kvm  # noqa: E402
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.syscalls import Syscalls  # noqa: E402
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.context import ProbeContext  # noqa: E402

ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 300
DEVICE = "/dev/kvm"
kernel = Syscalls()


def time_subset(index):
    """Seconds that the subset at SUBSET_TABLE[index] takes once the earlier ones have run."""
    ctx = ProbeContext(kernel, DEVICE, gather.DEFAULT_TIMEOUT, (), list(gather.SUBSETS))
    try:
        for _name, module, _kind, _core in gather.SUBSET_TABLE[:index]:
            ctx.facts.update(module.probe(ctx)[0])
        probe = gather.SUBSET_TABLE[index][1].probe
        start = time.perf_counter()
        probe(ctx)
        return time.perf_counter() - start
    finally:
        ctx.close()


def median_us(call):
    call()  # warm up
    return round(statistics.median([call() * 1e6 for _round in range(ROUNDS)]), 1)


def timed(call):
    def run():
        start = time.perf_counter()
        call()
        return time.perf_counter() - start
    return run


results = {"open + close /dev/kvm": median_us(timed(lambda: Kvm.open(kernel, DEVICE).close()))}
for position, entry in enumerate(gather.SUBSET_TABLE):
    results["subset %s" % entry[0]] = median_us(lambda position=position: time_subset(position))
results["whole gather (all subsets)"] = median_us(timed(lambda: gather.gather(device=DEVICE)))
print(json.dumps(results))
