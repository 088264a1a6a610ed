# SPDX-License-Identifier: GPL-3.0-or-later
"""The vm subset: can a VM be created, and which machine types does the host accept?"""

import errno

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import abi
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import CAP_NUMBER
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.errors import errno_name, errno_text
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.problems import problem

# What an operator does about each way KVM_CREATE_VM can fail.
CREATE_VM_HINTS = {
    errno.EBUSY: "another hypervisor (VirtualBox, VMware, a second KVM instance) holds the CPU's "
                 "virtualization extensions; stop it or unload its kernel module",
    errno.ENOMEM: "the host is out of memory for a VM; free memory or check the memory cgroup",
    errno.EINVAL: "the kernel does not accept the default machine type",
    errno.EPERM: "a security module or seccomp filter forbids creating VMs",
    errno.EACCES: "a security module forbids creating VMs",
    errno.EMFILE: "the process is out of file descriptors; raise the nofile limit",
    errno.ENODEV: "KVM is present but the CPU's virtualization extensions are off or in use; "
                  "enable VT-x/AMD-V in the firmware",
}


def probe(ctx):
    """The run's one VM (kept for the other subsets), and the types of KVM_CAP_VM_TYPES."""
    facts = {"vm": {"created": False, "error": None}, "vm_types": []}
    error = ctx.vm_error()
    if error is not None:
        facts["vm"]["error"] = errno_name(error)
        hint = CREATE_VM_HINTS.get(error.errno, "see dmesg for the kernel's account")
        return facts, [problem("vm.create_failed", "KVM_CREATE_VM", "KVM_CREATE_VM failed with %s" % errno_text(error),
                               hint, ": ")]
    facts["vm"]["created"] = True
    if ctx.machine == "aarch64":
        facts["vm"]["arm_preferred_target"] = _arm_preferred_target(ctx)
    try:
        mask = ctx.check_extension(CAP_NUMBER["KVM_CAP_VM_TYPES"])
    except OSError:
        mask = 0
    mask = mask or 1  # without KVM_CAP_VM_TYPES, the default type (just created) is all we know
    names = abi.KVM_X86_VM_TYPES if ctx.machine in abi.X86_ARCHES else {}
    facts["vm_types"] = [names.get(bit, "type %d" % bit) for bit in range(32) if mask & (1 << bit)]
    return facts, []


def _arm_preferred_target(ctx):
    """KVM_ARM_PREFERRED_TARGET: the vCPU target (KVM_ARM_TARGET_*) and feature words a VMM should ask for."""
    try:
        target, features = ctx.arm_preferred_target()
    except OSError as error:
        return {"target": None, "features": [], "error": errno_name(error)}
    return {"target": target, "features": features, "error": None}


def not_probed(why):
    return {"vm": {"created": False, "error": None}, "vm_types": []}
