"""Run where one QEMU release is installed (a container of its Debian suite, or this host): print, as JSON, that
QEMU's own answers (tools/qemu/ask_qemu.py) and the probe's guest_cpu facts for qemu_version auto, and, with
--start MODEL..., whether that QEMU starts a machine with `-cpu MODEL,enforce -accel kvm`.

Usage: python3 tests/functional/qemu/release_oracle.py [--no-qemu] [--qemu-version RELEASE] [--start MODEL...]
(from any checkout; --qemu-version judges for RELEASE instead of auto)
"""
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tools", "qemu"))
sys.path.insert(0, os.path.join(ROOT, "tools", "record"))
from checkout import importable  # noqa: E402  (tools/checkout.py: import the collection from this checkout)
importable()

from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather  # noqa: E402
from qmp import Qmp, QmpError  # noqa: E402  (tools/qmp.py)
from ask_qemu import ask  # noqa: E402  (tools/qemu/ask_qemu.py)
from record_machine import qemu_answers  # noqa: E402  (tools/record/record_machine.py)

QEMU = "qemu-system-x86_64"


def starts(model):
    """(started, QEMU's words): a q35 machine with -cpu MODEL,enforce under KVM, stopped before it runs any code;
    enforce makes QEMU refuse to start when KVM cannot give the model every feature it asks for."""
    try:
        machine = Qmp(QEMU, ["-machine", "q35", "-accel", "kvm", "-cpu", model + ",enforce", "-nodefaults", "-S",
                             "-display", "none", "-qmp", "stdio"])
    except QmpError as error:
        return False, str(error)
    try:
        cpus = machine.command("query-cpus-fast")
        return len(cpus) == 1, "%d vCPU(s) realized" % len(cpus)
    finally:
        machine.close()


def main():
    args = sys.argv[1:]
    release = [args[args.index("--qemu-version") + 1]] if "--qemu-version" in args else None
    result = {"facts": gather(["guest_cpu"], qemu_version=release)["guest_cpu"]}
    if "--no-qemu" not in args:
        result["answers"] = ask(QEMU)
        result["host_full"] = qemu_answers(QEMU)["host"]  # the host model's full expansion, as recordings have it
        result["checked"] = gather(["guest_cpu"], qemu_version=release, qemu_check=True)["guest_cpu"]["qemu_check"]
    if "--start" in args:
        result["starts"] = dict((model, starts(model)) for model in args[args.index("--start") + 1:])
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
