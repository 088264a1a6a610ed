# SPDX-License-Identifier: GPL-3.0-or-later
"""The api subset: KVM_GET_API_VERSION, then KVM_GET_VCPU_MMAP_SIZE (a gate: without API 12 nothing else is asked)."""

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm import abi
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.errors import errno_text
from ansible_collections.fleetcheck.kvm.plugins.module_utils._probe.problems import problem
from ansible_collections.fleetcheck.kvm.plugins.module_utils._names import KVM_MINOR, KVM_MISC_MAJOR

# What the subsets after this gate are told when it stops them.
BLOCKS = "the KVM API did not answer as version %d" % abi.KVM_API_VERSION


def probe(ctx):
    """KVM_GET_API_VERSION, then KVM_GET_VCPU_MMAP_SIZE."""
    device = ctx.node
    facts = {"api_version": None, "vcpu_mmap_size": None}
    try:
        facts["api_version"] = ctx.api_version()
    except OSError as error:
        message = "%s: KVM_GET_API_VERSION failed with %s" % (device["path"], errno_text(error))
        if not device["kvm_node"]:
            return facts, [problem("api.not_kvm", device["path"], message + "; the node is character device %s:%s, "
                                   "not KVM (%d:%d)" % (device["major"], device["minor"], KVM_MISC_MAJOR,
                                                        KVM_MINOR), "point the device option at the KVM node")]
        return facts, [problem("api.failed", device["path"], message, "see the kernel log (dmesg)")]
    if facts["api_version"] != abi.KVM_API_VERSION:
        return facts, [problem("api.version", "KVM_GET_API_VERSION", "%s: KVM_GET_API_VERSION returned %s, but the "
                               "stable KVM API is %d (since Linux 2.6.22)" % (
                                   device["path"], facts["api_version"], abi.KVM_API_VERSION),
                               "this kernel's KVM cannot run today's VMMs; boot a current kernel")]
    try:
        facts["vcpu_mmap_size"] = ctx.vcpu_mmap_size()
    except OSError as error:
        return facts, [problem("api.mmap_size", "KVM_GET_VCPU_MMAP_SIZE", "KVM_GET_VCPU_MMAP_SIZE failed with %s"
                               % errno_text(error), "see the kernel log (dmesg)")]
    return facts, []


def not_probed(why):
    return {"api_version": None, "vcpu_mmap_size": None}
