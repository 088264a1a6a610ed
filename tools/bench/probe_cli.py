"""Run the whole probe once, as a process, and print the facts as JSON (for whole-process timings).

The JSON comes from CPython's C encoder (_json.make_encoder, what json.dumps calls) without the json
package, whose import (json.decoder pulls in re and enum) would cost more than the probe's own
imports; where _json is missing, the small Python encoder below (about 3 ms for these facts) serves.
"""
import os
import sys

sys.path.insert(0, sys.argv[1])  # a directory holding ansible_collections/fleetcheck/kvm
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe import gather  # noqa: E402

ESCAPES = dict((chr(c), "\\u%04x" % c) for c in range(32))
ESCAPES.update({'"': '\\"', "\\": "\\\\"})


def encode_py(value):
    if value is None or value is True or value is False:
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"%s"' % "".join(ESCAPES.get(c, c) for c in value)
    if isinstance(value, dict):
        return "{%s}" % ", ".join("%s: %s" % (encode_py(str(k)), encode_py(v)) for k, v in value.items())
    return "[%s]" % ", ".join(encode_py(v) for v in value)


def encode(value):
    try:
        import _json
    except ImportError:
        return encode_py(value)
    # markers, default, string encoder, indent, key and item separators, sort_keys, skipkeys, allow_nan
    make = _json.make_encoder({}, str, _json.encode_basestring_ascii, None, ": ", ", ", False, False, True)
    return "".join(make(value, 0))


SPEC = os.environ.get("FLEETCHECK_GATHER_SUBSET")  # e.g. "device,api,vm": compare like with like
MODELS = os.environ.get("FLEETCHECK_CPU_MODELS")  # e.g. "" for none, as the audit's probe without requirements
sys.stdout.write(encode(gather.gather(SPEC.split(",") if SPEC else None,
                                      device=os.environ.get("FLEETCHECK_DEVICE", "/dev/kvm"),
                                      cpu_models=None if MODELS is None else [m for m in MODELS.split(",") if m])) + "\n")
