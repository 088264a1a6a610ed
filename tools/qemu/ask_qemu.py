"""Ask one QEMU, over QMP, everything the guest CPU tables and their tests compare with; print it as JSON.

Usage: python3 tools/qemu/ask_qemu.py [--qemu PATH]
Runs wherever that QEMU is installed: on this host (QEMU 7.2) or in a container of another Debian suite
(tools/qemu/build-image.sh). The answer: version, package, query-cpu-definitions (with unavailable-features,
migration-safe and deprecated, as this host's KVM makes them) and, for every migration-safe model,
the features query-cpu-model-expansion (type static) sets.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from qmp import Qmp  # noqa: E402  (tools/qmp.py)


def ask(binary):
    qmp = Qmp(binary)
    try:
        definitions = qmp.command("query-cpu-definitions")
        expansions = {}
        for definition in definitions:
            if definition.get("migration-safe") and not definition.get("alias-of"):
                model = qmp.command("query-cpu-model-expansion", type="static", model={"name": definition["name"]})
                expansions[definition["name"]] = sorted(k for k, v in model["model"]["props"].items() if v is True)
        host = qmp.command("query-cpu-model-expansion", type="static", model={"name": "host"})["model"]["props"]
        version = qmp.greeting["version"]
    finally:
        qmp.close()
    return {"version": "%(major)d.%(minor)d.%(micro)d" % version["qemu"], "package": version.get("package", "").strip(),
            "definitions": definitions, "expansions": expansions,
            "host_features": sorted(k for k, v in host.items() if v is True)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qemu", default="qemu-system-x86_64")
    json.dump(ask(parser.parse_args().qemu), sys.stdout, sort_keys=True)
