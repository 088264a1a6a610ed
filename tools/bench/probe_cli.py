"""Run the whole probe once, as a process, and print the facts as JSON (for whole-process timings)."""
import json
import os
import sys

sys.path.insert(0, sys.argv[1])  # a directory holding ansible_collections/fleetcheck/kvm
from ansible_collections.fleetcheck.kvm.plugins.module_utils import kvm_probe  # noqa: E402

print(json.dumps(kvm_probe.gather(device=os.environ.get("FLEETCHECK_DEVICE", "/dev/kvm"))))
