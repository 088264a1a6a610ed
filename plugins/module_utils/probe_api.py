# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The api and extensions subsets: the API version, the kvm_run size, and every capability."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.fleetcheck.kvm.plugins.module_utils import kvm_abi as abi
from ansible_collections.fleetcheck.kvm.plugins.module_utils.kvm_caps import KVM_CAPS, cap_name
from ansible_collections.fleetcheck.kvm.plugins.module_utils.kvm_ioctls import errno_text

# Capabilities above the table that the sweep still asks for, reported as KVM_CAP_<n>.
CAP_SWEEP_BEYOND_TABLE = 32


def probe_api(ctx):
    """KVM_GET_API_VERSION, then KVM_GET_VCPU_MMAP_SIZE."""
    device = ctx.facts["device"]
    facts = {"api_version": None, "vcpu_mmap_size": None}
    try:
        facts["api_version"] = ctx.kvm.get_api_version()
    except OSError as error:
        reason = "%s: KVM_GET_API_VERSION failed with %s" % (device["path"], errno_text(error))
        if not device["kvm_node"]:
            reason += "; the node is character device %s:%s, not KVM (%d:%d)" % (
                device["major"], device["minor"], abi.KVM_MISC_MAJOR, abi.KVM_MINOR)
        return facts, [reason]
    if facts["api_version"] != abi.KVM_API_VERSION:
        return facts, ["%s: KVM_GET_API_VERSION returned %s, but the stable KVM API is %d (since Linux "
                       "2.6.22); this kernel's KVM cannot run today's VMMs" % (
                           device["path"], facts["api_version"], abi.KVM_API_VERSION)]
    try:
        facts["vcpu_mmap_size"] = ctx.kvm.get_vcpu_mmap_size()
    except OSError as error:
        return facts, ["KVM_GET_VCPU_MMAP_SIZE failed with %s" % errno_text(error)]
    return facts, []


def api_not_probed(why):
    return {"api_version": None, "vcpu_mmap_size": None}


def probe_extensions(ctx):
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


def extensions_not_probed(why):
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
