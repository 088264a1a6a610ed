# SPDX-License-Identifier: GPL-3.0-or-later
"""The qemu_check option: QEMU's own answer on this host, compared with the probe's (imported only when asked).

Where the release judged is the one installed, QEMU is started as the probe models it (q35, -accel kvm, stopped
before any guest code: -S, no devices, no disk), bounded in time and address space, and asked
query-cpu-definitions and the expansion of its `host` model. Every model whose verdict differs, and the host
model's features, are listed; where they differ, QEMU's answer is the one the facts give, and the judge warns
(guest_cpu.qemu_disagrees) so that the machine is recorded (tools/record/record.sh) and the rule found.
"""

from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.levels import x86_64_level
from ansible_collections.fleetcheck.kvm.plugins.module_utils._cpu.releases import known_features, nearest_table
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.qemu_release import QEMU_BINARIES, installed

TIMEOUT = 10.0  # seconds for QEMU to start, answer and quit (about 0.15 s here)
ADDRESS_SPACE = 1 << 30  # bytes of virtual memory QEMU may map: it needs about 300 MiB with 16 MiB of guest RAM
ARGS = ("-machine", "q35", "-accel", "kvm", "-m", "16", "-nodefaults", "-S", "-display", "none", "-qmp", "stdio")
COMMANDS = ("query-version", "query-cpu-definitions",
            ("query-cpu-model-expansion", {"type": "full", "model": {"name": "host"}}))


def binary(kernel):
    """The first QEMU binary of QEMU_BINARIES that exists, or None."""
    for path in QEMU_BINARIES:
        try:
            kernel.stat(path)
        except OSError:
            continue
        return path
    return None


def ask(kernel, table):
    """(QEMU's answers, None) or (None, the qemu_check entry saying why QEMU was not asked or did not answer)."""
    version, source = installed(kernel)
    if version is None:
        return None, {"skipped": "no QEMU is installed here (%s)" % source}
    if nearest_table(version) != table:
        return None, {"skipped": "QEMU %s is installed (%s), but the release judged is %s; judge the installed one "
                                 "(qemu_version: auto) to check it" % (version, source, table)}
    path = binary(kernel)
    if path is None:
        return None, {"version": version, "skipped": "QEMU %s is installed (%s), but none of %s exists"
                                                     % (version, source, ", ".join(QEMU_BINARIES))}
    started = kernel.monotonic()
    try:
        answers = kernel.qmp((path,) + ARGS, COMMANDS, TIMEOUT, ADDRESS_SPACE)
    except OSError as error:
        return None, {"version": version, "binary": path, "error": "QEMU did not answer: %s" % (
            error.strerror or error)}
    elapsed = round((kernel.monotonic() - started) * 1000.0, 1)
    bad = [name if isinstance(name, str) else name[0] for name, answer in zip(COMMANDS, answers)
           if isinstance(answer, dict) and "error" in answer and len(answer) == 1]
    if bad or not isinstance(answers[1], list):
        return None, {"version": version, "binary": path, "error": "QEMU refused %s" % ", ".join(bad or COMMANDS[1:2])}
    return answers, {"version": version, "binary": path, "elapsed_ms": elapsed}


def compare(facts, answers, entry, release):
    """Fill `entry` (agree, differences) and, where QEMU differs, give QEMU's answer in `facts` (all models)."""
    differences = []
    for definition in answers[1]:
        name = definition.get("name")
        unavailable = sorted(set(str(f) for f in definition.get("unavailable-features") or ()))
        ours = facts["models"].get(name)
        if not isinstance(name, str) or ours is None:
            continue  # a model the table lacks: the table test (and cpu_models) speak of those
        if sorted(ours["missing"]) != unavailable:
            differences.append({"model": name, "ours": sorted(ours["missing"]), "qemu": unavailable})
            facts["models"][name] = {"runnable": not unavailable, "missing": unavailable}
    host = answers[2].get("model", {}).get("props", {}) if isinstance(answers[2], dict) else {}
    if host:
        known = known_features(release)
        theirs = sorted(name for name in known if host.get(name) is True)
        if theirs != facts["features"]:
            differences.append({"model": "host", "ours": sorted(set(facts["features"]) - set(theirs)),
                                "qemu": sorted(set(theirs) - set(facts["features"]))})
            facts["features"] = theirs
            facts["level"], facts["missing_for_next_level"] = x86_64_level(theirs)
    if differences:
        facts["runnable_models"] = sorted(name for name, verdict in facts["models"].items() if verdict["runnable"])
    entry["agree"] = not differences
    entry["differences"] = differences
    return entry
