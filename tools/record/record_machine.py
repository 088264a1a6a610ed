"""Record a machine for the guest-CPU replay tests: KVM's own answers and each QEMU release's.

Usage (root, on the machine to record, from a checkout):
  python3 tools/record/record_machine.py kvm                 print this host's KVM answers as JSON
  python3 tools/record/record_machine.py qemu [--qemu BIN] [--chroot DIR]
                                                             print one QEMU's answers as JSON (run in DIR)
  python3 tools/record/record_machine.py probe RELEASE       print the probe's guest_cpu facts for QEMU RELEASE
  bash tools/record/record.sh DIR [NOTE]                     both, for this host's QEMU and each suite container's

The KVM answers are exactly what the probe's guest_cpu subset asks (KVM_GET_SUPPORTED_CPUID, the
capabilities, KVM_GET_MSR_INDEX_LIST, the feature MSRs with KVM_GET_MSRS on the system fd,
KVM_X86_XCOMP_GUEST_SUPP and the first CPU of /proc/cpuinfo), asked by the collection's own code, so that
the fake kernel can give them back (tests/unit/plugins/module_utils/machines.py). A QEMU's answers are its
version, query-cpu-definitions and query-cpu-model-expansion of `host` (type full), from
the QEMU options of kvm_facts' qemu_check (_probe/qemu_check.py ARGS: `-machine q35 -accel kvm -S`, the machine the
probe models: in-kernel irqchip, QEMU's default CPU options).
"""
import json
import os
import sys

TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TOOLS)


def collection():
    try:  # an emulated machine's payload ships the collection's module_utils on PYTHONPATH
        import ansible_collections.fleetcheck.kvm.plugins.module_utils  # noqa: F401 pylint: disable=unused-import
    except ImportError:
        from checkout import importable  # tools/checkout.py: the collection from this checkout
        importable()


def kvm_answers():
    collection()
    from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.syscalls import Syscalls
    from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.ioctls import Kvm
    from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import abi
    from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import CAP_NUMBER
    from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.context import ProbeContext
    from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.guest_cpu import gather_answers
    kernel = Syscalls()
    ctx = ProbeContext(kernel, "/dev/kvm", 1.0, (), ["guest_cpu"])
    ctx.kvm = Kvm(kernel, kernel.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC), abi.KvmRequests(kernel.machine))
    try:
        answers, notes = gather_answers(ctx)
        caps = dict((name, ctx.check_extension(CAP_NUMBER[name])) for name in CAPS)
    finally:
        ctx.close()
    with open("/proc/cpuinfo") as handle:
        first_cpu = handle.read().split("\n\n")[0]
    return {
        "uname": " ".join(os.uname()),
        "supported_cpuid": [["0x%x" % e[0], e[1], e[2]] + ["0x%08x" % r for r in e[3:7]]
                            for e in sorted(answers.cpuid.values())],
        "caps": caps,
        "msr_index_list": ["0x%x" % i for i in sorted(answers.msr_index_list)],
        "feature_msrs": dict(("0x%x" % i, "0x%x" % v) for i, v in sorted(answers.feature_msrs.items())),
        "xcomp_guest_supp": None if answers.xcomp_guest_supp is None else "0x%x" % answers.xcomp_guest_supp,
        "proc_cpuinfo_first_cpu": first_cpu,
        "notes": notes,
    }


CAPS = ("KVM_CAP_IRQCHIP", "KVM_CAP_TSC_DEADLINE_TIMER", "KVM_CAP_GET_MSR_FEATURES", "KVM_CAP_SYS_ATTRIBUTES")


def qemu_answers(binary, chroot=None):
    from qmp import Qmp  # tools/qmp.py
    collection()
    from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.qemu_check import ARGS
    machine = Qmp("chroot", [chroot, binary] + list(ARGS)) if chroot else Qmp(binary, ARGS)
    try:
        version = machine.command("query-version")
        return {"version": "%(major)d.%(minor)d.%(micro)d" % version["qemu"], "package": version["package"].strip(),
                "args": list(ARGS),
                "definitions": sorted(machine.command("query-cpu-definitions"), key=lambda d: d["name"]),
                "host": machine.command("query-cpu-model-expansion", type="full", model={"name": "host"})["model"]}
    finally:
        machine.close()


def main(argv):
    if argv[:1] == ["kvm"]:
        result = kvm_answers()
    elif argv[:1] == ["probe"] and len(argv) == 2:
        collection()
        from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.gather import gather
        result = gather(["guest_cpu"], qemu_version=[argv[1]])["guest_cpu"]
    elif argv[:1] == ["qemu"]:
        result = qemu_answers(argv[argv.index("--qemu") + 1] if "--qemu" in argv else "qemu-system-x86_64",
                              argv[argv.index("--chroot") + 1] if "--chroot" in argv else None)
    else:
        raise SystemExit(__doc__)
    sys.stdout.write(dumps(result))


def dumps(document):
    """One key a line, each value compact: recordings are committed, and diffs stay readable."""
    lines = ["%s: %s" % (json.dumps(key), json.dumps(value, sort_keys=True)) for key, value in sorted(document.items())]
    return "{\n%s\n}\n" % ",\n".join(lines)


if __name__ == "__main__":
    main(sys.argv[1:])
