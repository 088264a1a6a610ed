"""Run the whole probe once, as a process, and print the facts as JSON (for whole-process timings).

The JSON is written by the small encoder below rather than the json module, whose import
(json.decoder pulls in re and enum) would cost more than the probe's own imports.
"""
import os
import sys

sys.path.insert(0, sys.argv[1])  # a directory holding ansible_collections/fleetcheck/kvm
from ansible_collections.fleetcheck.kvm.plugins.module_utils import kvm_probe  # noqa: E402

ESCAPES = dict((chr(c), "\\u%04x" % c) for c in range(32))
ESCAPES.update({'"': '\\"', "\\": "\\\\"})


def encode(value):
    if value is None or value is True or value is False:
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"%s"' % "".join(ESCAPES.get(c, c) for c in value)
    if isinstance(value, dict):
        return "{%s}" % ", ".join("%s: %s" % (encode(str(k)), encode(v)) for k, v in value.items())
    return "[%s]" % ", ".join(encode(v) for v in value)


SPEC = os.environ.get("FLEETCHECK_GATHER_SUBSET")  # e.g. "device,api,vm": compare like with like
sys.stdout.write(encode(kvm_probe.gather(SPEC.split(",") if SPEC else None,
                                         device=os.environ.get("FLEETCHECK_DEVICE", "/dev/kvm"))) + "\n")
