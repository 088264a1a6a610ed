# SPDX-License-Identifier: GPL-3.0-or-later
"""The extensions subset: every KVM_CHECK_EXTENSION answer by name, and the vCPU and memslot limits."""

from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.caps import KVM_CAPS, cap_name
from ansible_collections.fleetcheck.kvm.plugins.module_utils._kvm.errors import errno_text

# Capabilities above the table that the sweep still asks for, reported as KVM_CAP_<n>.
CAP_SWEEP_BEYOND_TABLE = 32


def probe(ctx):
    """Every capability with a nonzero answer, by name, and the friendly limits; errors are informational."""
    extensions, errors = {}, []
    for number in range(max(KVM_CAPS) + 1 + CAP_SWEEP_BEYOND_TABLE):
        try:
            value = ctx.check_extension(number)
        except OSError as error:
            errors.append("KVM_CHECK_EXTENSION(%s) failed with %s" % (cap_name(number), errno_text(error)))
            continue
        if value:
            extensions[cap_name(number)] = value
    facts = {"extensions": extensions}
    facts.update(limits(extensions))
    return facts, errors


def not_probed(why):
    facts = {"extensions": {}}
    facts.update(limits({}))
    return facts


def limits(extensions):
    """The vCPU and memslot limits, with the fallbacks that the KVM API document prescribes."""
    nr_vcpus = extensions.get("KVM_CAP_NR_VCPUS")
    max_vcpus = extensions.get("KVM_CAP_MAX_VCPUS") or nr_vcpus
    return {
        "nr_vcpus": nr_vcpus,
        "max_vcpus": max_vcpus,
        "max_vcpu_id": extensions.get("KVM_CAP_MAX_VCPU_ID") or max_vcpus,
        "nr_memslots": extensions.get("KVM_CAP_NR_MEMSLOTS"),
    }
