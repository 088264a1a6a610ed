"""Ask one QEMU, over QMP, everything the guest CPU tables and their tests compare with; print it as JSON.

Usage: python3 tools/qemu/ask_qemu.py [--qemu PATH]
Runs wherever that QEMU is installed: on this host (QEMU 7.2) or in a container of another Debian suite
(tools/qemu/build-image.sh). The answer: version, package, query-cpu-definitions (with unavailable-features,
migration-safe and deprecated, as this host's KVM makes them) and, for every migration-safe model,
the features query-cpu-model-expansion (type static) sets; and, for each feature name among those that the bit
table (cpuid_bits.py, generated from a QEMU source tree) does not know, where QEMU puts it: a machine started with
`-cpu base,NAME=on` under TCG sets one bit more in its `feature-words` or `filtered-features` (leaf, subleaf,
register, bit), or none for a feature-MSR bit, which those properties do not show.
"""
import argparse
import json
import os
import sys

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TOOLS)
sys.path.insert(0, os.path.join(os.path.dirname(TOOLS), "plugins", "module_utils", "_cpu"))
import qmp  # noqa: E402  (tools/qmp.py)
from qmp import Qmp  # noqa: E402
import cpuid_bits  # noqa: E402  (the generated bit table)

CPU_PATH = "/machine/unattached/device[0]"  # the first CPU of a pc machine


def cpuid_bits_set(binary, cpu):
    """{(leaf, subleaf, register): bits} a pc machine with `-cpu CPU` asks for, kept or filtered out (TCG)."""
    saved = qmp.QEMU_ARGS
    qmp.QEMU_ARGS = ["-machine", "pc", "-accel", "tcg", "-cpu", cpu, "-nodefaults", "-S", "-display", "none",
                     "-qmp", "stdio"]
    try:
        machine = Qmp(binary)
    finally:
        qmp.QEMU_ARGS = saved
    try:
        found = {}
        for prop in ("feature-words", "filtered-features"):
            for word in machine.command("qom-get", path=CPU_PATH, property=prop):
                key = (word["cpuid-input-eax"], word.get("cpuid-input-ecx", 0), word["cpuid-register"].lower())
                found[key] = found.get(key, 0) | word["features"]
        return found
    finally:
        machine.close()


def placements(binary, names):
    """{name: [leaf, subleaf, register, bit] or None} of feature names the bit table lacks."""
    base = cpuid_bits_set(binary, "base")
    found = {}
    for name in sorted(names):
        extra = [(key, value & ~base.get(key, 0)) for key, value in cpuid_bits_set(binary, "base,%s=on" % name).items()
                 if value & ~base.get(key, 0)]
        bits = [list(key) + [bit] for key, value in extra for bit in range(32) if value >> bit & 1]
        found[name] = bits[0] if len(bits) == 1 else None
    return found


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
    host_features = sorted(k for k, v in host.items() if v is True)
    known = set(name for word in cpuid_bits.FEATURE_WORDS for name in word[5].values())
    named = set(host_features).union(*expansions.values()).union(*(d["unavailable-features"] for d in definitions))
    return {"version": "%(major)d.%(minor)d.%(micro)d" % version["qemu"], "package": version.get("package", "").strip(),
            "definitions": definitions, "expansions": expansions, "host_features": host_features,
            "placements": placements(binary, named - known)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qemu", default="qemu-system-x86_64")
    json.dump(ask(parser.parse_args().qemu), sys.stdout, sort_keys=True)
