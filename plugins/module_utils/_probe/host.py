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


def first_cpu(kernel):
    """(flags, vendor_id) of /proc/cpuinfo's first CPU, None where it does not say. Its entry is 2 to 4 kB: the
    kernel writes the next CPU's only if read."""
    try:
        head = kernel.read_head("/proc/cpuinfo", 16384).decode("utf-8", "replace").split("\n\n")[0]
    except OSError:
        return None, None
    found = dict((k.strip(), v.strip()) for k, _sep, v in (line.partition(":") for line in head.split("\n")))
    return (found["flags"].split() if "flags" in found else None), found.get("vendor_id") or None
