"""Ask one QEMU, over QMP, everything the guest CPU tables and their tests compare with; print it as JSON.

Usage: python3 tools/qemu/ask_qemu.py [--qemu PATH]
Runs wherever that QEMU is installed: on this host (QEMU 7.2) or in a container of another Debian suite
(tools/qemu/build-image.sh). The answer: version, package, query-cpu-definitions (with unavailable-features,
migration-safe and deprecated, as this host's KVM makes them) and, for every migration-safe model,
the features query-cpu-model-expansion (type static) sets; and, for each feature name among those that the bit
table (cpuid_bits.py, generated from a QEMU source tree) does not know, where QEMU puts it, as [kind, where,
subleaf, register, bit] in cpuid_bits' shape: a machine started with `-cpu base,NAME=on` under TCG sets one
CPUID bit more in its `feature-words` or `filtered-features`; a feature-MSR bit, which those properties do not
show, is read from the binary's own feature_word_info (elf_feature_names.py). Where both answer, they must agree.
"""
import argparse
import json
import os
import shutil
import sys

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TOOLS)
sys.path.insert(0, os.path.join(os.path.dirname(TOOLS), "plugins", "module_utils", "_cpu"))
from qmp import Qmp  # noqa: E402  (tools/qmp.py)
import cpuid_bits  # noqa: E402  (the generated bit table)
from elf_feature_names import place  # noqa: E402  (tools/qemu/elf_feature_names.py)

CPU_PATH = "/machine/unattached/device[0]"  # the first CPU of a pc machine


def cpuid_bits_set(binary, cpu):
    """{(leaf, subleaf, register): bits} a pc machine with `-cpu CPU` asks for, kept or filtered out (TCG)."""
    machine = Qmp(binary, ["-machine", "pc", "-accel", "tcg", "-cpu", cpu, "-nodefaults", "-S", "-display", "none",
                           "-qmp", "stdio"])
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
    """{name: [kind, where, subleaf, register, bit] or None} of feature names the bit table lacks."""
    base = cpuid_bits_set(binary, "base")
    from_binary = place(shutil.which(binary) or binary, names, cpuid_bits.FEATURE_WORDS)
    found = {}
    for name in sorted(names):
        extra = [(key, value & ~base.get(key, 0)) for key, value in cpuid_bits_set(binary, "base,%s=on" % name).items()
                 if value & ~base.get(key, 0)]
        bits = [["cpuid"] + list(key) + [bit] for key, value in extra for bit in range(32) if value >> bit & 1]
        found[name] = bits[0] if len(bits) == 1 else from_binary[name]
        if from_binary[name] and found[name] != from_binary[name]:
            raise SystemExit("%s: QMP places %s at %s, the binary's table at %s"
                             % (binary, name, found[name], from_binary[name]))
    return found


def ask(binary):
    qmp = Qmp(binary)  # -machine none -accel kvm: the machine QEMU's KVM CPU rules are modelled for
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
