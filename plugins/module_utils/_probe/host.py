# SPDX-License-Identifier: GPL-3.0-or-later
"""The host subset: architecture, kernel, the loaded KVM backend(s), their parameters and nesting."""

from ansible_collections.fleetcheck.kvm.plugins.module_utils._names import KVM_BACKENDS
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.errors import errno_text
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.context import SYSFS_MODULE

NESTED_PARAMETER = "nested"


def probe(ctx):
    kernel = ctx.kernel
    facts = {"arch": kernel.machine, "kernel": kernel.kernel_release, "kvm_module": False, "backends": [],
             "backend": None, "parameters": {}, "nested": None}
    try:
        loaded = ctx.loaded_modules()
    except OSError as error:
        facts["error"] = "%s: %s" % (SYSFS_MODULE, errno_text(error))
        return {"host": facts}, []
    facts["kvm_module"] = "kvm" in loaded
    facts["backends"] = [name for name in KVM_BACKENDS if name in loaded]
    facts["backend"] = facts["backends"][0] if facts["backends"] else None
    for backend in facts["backends"]:
        facts["parameters"][backend] = ctx.module_parameters(backend)
        nested = facts["parameters"][backend].get(NESTED_PARAMETER)
        if nested is not None and facts["nested"] is None:
            facts["nested"] = nested.upper() in ("Y", "1")
    return {"host": facts}, []


# /proc/cpuinfo's first CPU (read by guest_cpu and by the explanation of a missing /dev/kvm): its entry, flags
# included, is 2 to 4 kB; the kernel writes the rest only if read, CPU by CPU.
CPUINFO_HEAD = 16384


def first_cpu(kernel):
    """(flags, vendor) of the first CPU: flags a list of the kernel's names, or None when /proc/cpuinfo cannot be
    read or has no flags line (other architectures); vendor the vendor_id, or None."""
    try:
        head = kernel.read_head("/proc/cpuinfo", CPUINFO_HEAD)
    except OSError:
        return None, None
    entry = head.decode("utf-8", "replace").split("\n\n", 1)[0]
    fields = {}
    for line in entry.split("\n"):
        name, colon, value = line.partition(":")
        if colon:
            fields.setdefault(name.strip(), value.strip())
    flags = fields.get("flags")
    return (flags.split() if flags is not None else None), (fields.get("vendor_id") or None)
