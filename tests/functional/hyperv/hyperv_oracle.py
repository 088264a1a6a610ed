"""Run where one QEMU release is installed (a container of its Debian suite, this host, or the emulated kvm_amd
machine): print, as JSON, the probe's hyperv facts for qemu_version auto and whether that QEMU starts a q35
machine under KVM with each Hyper-V enlightenment and the ones it needs (`-cpu host,hv-a,hv-b`), and with
hv-passthrough; an abort (QEMU asserts when KVM refuses an MSR) counts as not started, with QEMU's words.

Usage: python3 tests/functional/hyperv/hyperv_oracle.py [FACTS.json [--grouped]]
Without FACTS.json it gathers the facts from this checkout; with it (the emulated machine, where only kvm_facts'
AnsiballZ payload is), it starts QEMU for the enlightenments those facts name, each with what their `needs` say.
--grouped (the emulated machine, where each start under nested TCG costs seconds and a rare one stalls the guest's
kernel): the enlightenments the facts offer are started together, once, and each other one alone with what it needs.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, HERE)  # in the emulated machine, qmp.py is shipped beside this file
from qmp import Qmp, QmpError  # noqa: E402  (tools/qmp.py)

QEMU = "qemu-system-x86_64"


def starts(cpu):
    """(started, QEMU's words) for -cpu CPU on a q35 machine under KVM, stopped before it runs guest code."""
    try:
        machine = Qmp(QEMU, ["-machine", "q35", "-accel", "kvm", "-cpu", cpu, "-nodefaults", "-S",
                             "-display", "none", "-qmp", "stdio"])
    except QmpError as error:
        return False, str(error)[-600:]
    try:
        return len(machine.command("query-cpus-fast")) == 1, "started"
    finally:
        machine.close()


def with_needs(name, entries):
    """The enlightenment and all it needs, by the facts' `needs`, in the facts' order."""
    wanted, todo = set(), [name]
    while todo:
        current = todo.pop()
        if current not in wanted:
            wanted.add(current)
            todo.extend(entries[current]["needs"])
    return [n for n in entries if n in wanted]


def facts_here():
    """The probe's hyperv facts from this checkout, for qemu_version auto."""
    from checkout import importable  # tools/checkout.py: import the collection from this checkout
    importable()
    from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
    return gather(["hyperv"])["hyperv"]


def main():
    if len(sys.argv) > 1:
        with open(sys.argv[1]) as handle:
            found = {"facts": json.load(handle)["ansible_facts"]["kvm"]["hyperv"]}
    else:
        found = {"facts": facts_here()}
    entries = found["facts"]["enlightenments"]
    # the pool's Hyper-V block of this one host: every enlightenment offered, together (as cpu_config gives it)
    offered = [name for name, entry in entries.items() if entry["offered"]]
    found["all_offered"] = starts(",".join(["host"] + offered)) if offered else None
    alone = [name for name in entries if name not in offered] if "--grouped" in sys.argv else list(entries)
    found["starts"] = dict((name, starts("host," + ",".join(with_needs(name, entries)))) for name in alone)
    if "--grouped" in sys.argv and found["all_offered"]:
        # QEMU checks each enlightenment on its own: all of them starting together is each one (with its needs, which
        # the offered set holds) starting; not starting together, each is started alone after all
        found["starts"].update((name, found["all_offered"] if found["all_offered"][0] else starts(
            "host," + ",".join(with_needs(name, entries)))) for name in offered)
    found["passthrough"] = starts("host,hv-passthrough")
    print(json.dumps(found))


if __name__ == "__main__":
    main()
